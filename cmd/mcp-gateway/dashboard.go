package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/mcpgw/mcp-gateway/audit"
	"github.com/mcpgw/mcp-gateway/catalog"
	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/gateway"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/ui"
)

// dashboardSection configures the web dashboard:
// "gateway": {"dashboard": {"enabled": true, "roles": ["admin"]}}.
const dashboardSection = "dashboard"

func init() { config.RegisterSection(dashboardSection) }

// dashboardConfig is the checked dashboard section.
type dashboardConfig struct {
	Disabled bool
	// Roles may see the dashboard when the front door authenticates
	// callers; every call of every principal is on it. Default: admin.
	Roles []string
}

func parseDashboardConfig(cfg *config.Config) (dashboardConfig, error) {
	dc := dashboardConfig{Roles: []string{"admin"}}
	sec, ok := cfg.Gateway.Sections[dashboardSection]
	if !ok {
		return dc, nil
	}
	var s struct {
		Enabled *bool    `json:"enabled"`
		Roles   []string `json:"roles"`
	}
	d := json.NewDecoder(bytes.NewReader(sec.Raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&s); err != nil {
		return dc, fmt.Errorf("%s: gateway.dashboard: %v (keys: enabled, roles)", sec.Where, err)
	}
	if s.Enabled != nil && !*s.Enabled {
		dc.Disabled = true
	}
	if s.Roles != nil {
		if len(s.Roles) == 0 {
			return dc, fmt.Errorf("%s: gateway.dashboard.roles: give at least one role (or \"enabled\": false)", sec.Where)
		}
		dc.Roles = s.Roles
	}
	return dc, nil
}

// dashboardSource is what the dashboard reads from the running gateway.
type dashboardSource struct {
	g *gateway.Gateway
	w *audit.Writer // nil without an audit trail
}

var _ ui.Source = dashboardSource{}

func (s dashboardSource) Servers() []ui.Server {
	st := s.g.Servers()
	out := make([]ui.Server, len(st))
	for i, v := range st {
		out[i] = ui.Server{Name: v.Name, Transport: v.Transport, State: v.State, Error: v.Error, Restarts: v.Restarts,
			Protocol: v.Protocol, Era: v.Era, Tools: v.Tools, Prompts: v.Prompts, Resources: v.Resources}
		if len(v.Replicas) > 1 {
			for _, r := range v.Replicas {
				out[i].Replicas = append(out[i].Replicas, ui.Replica{Index: r.Index, Target: r.Target, State: r.State,
					OutOfRotation: !r.EjectedUntil.IsZero(), Error: r.Error})
			}
		}
	}
	return out
}

var uiKinds = map[catalog.Kind]string{catalog.Tools: ui.KindTool, catalog.Prompts: ui.KindPrompt,
	catalog.Resources: ui.KindResource, catalog.Templates: ui.KindTemplate}

func (s dashboardSource) Catalog() []ui.CatalogItem {
	snap := s.g.Snapshot()
	var out []ui.CatalogItem
	for _, k := range []catalog.Kind{catalog.Tools, catalog.Prompts, catalog.Resources, catalog.Templates} {
		for _, it := range snap.Items(k) {
			out = append(out, ui.CatalogItem{Kind: uiKinds[k], Name: it.Exposed, Server: it.Server,
				Title: stringField(it.Raw, "title"), Description: stringField(it.Raw, "description")})
		}
		names, hidings := snap.HiddenItems(k)
		for i, n := range names {
			out = append(out, ui.CatalogItem{Kind: uiKinds[k], Name: n, Server: hidings[i].Server, Hidden: true,
				HiddenReason: hidings[i].Reason})
		}
	}
	return out
}

func stringField(raw []byte, key string) string {
	v, _ := jsonrpc.Get(raw, key)
	if v == nil {
		return ""
	}
	s, _ := jsonrpc.String(v)
	return s
}

func (s dashboardSource) Calls(ctx context.Context, f audit.Filter) ([]audit.Record, error) {
	if s.w == nil {
		return nil, ui.ErrUnavailable
	}
	return s.w.Store().Calls(ctx, f)
}

func (s dashboardSource) Events(ctx context.Context, f audit.Filter) ([]audit.Event, error) {
	if s.w == nil {
		return nil, ui.ErrUnavailable
	}
	return s.w.Store().Events(ctx, f)
}

func (s dashboardSource) Subscribe(buf int) *audit.Subscription {
	if s.w == nil {
		return nil
	}
	return s.w.Subscribe(buf)
}

// dashboardHandler returns the dashboard mounted at /ui/. identify, when
// not nil, authenticates its API requests; then only the configured roles
// get in.
func dashboardHandler(g *gateway.Gateway, st *setup, dc dashboardConfig, identify func(*http.Request) (plugin.Identity, error)) http.Handler {
	o := ui.Options{Log: st.log.With("component", "ui"), Version: buildVersion()}
	if identify != nil {
		o.Authorize = func(r *http.Request) error {
			id, err := identify(r)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(id.Roles, func(r string) bool { return slices.Contains(dc.Roles, r) }) {
				return fmt.Errorf("principal %s may not see the dashboard: it needs one of the roles %s (gateway.dashboard.roles)",
					id.Principal, strings.Join(dc.Roles, ", "))
			}
			return nil
		}
	}
	return http.StripPrefix("/ui", ui.Handler(dashboardSource{g: g, w: st.obs.writer}, o))
}
