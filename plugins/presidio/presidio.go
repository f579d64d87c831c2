// Package presidio is the personal-data guardrail: it masks (or blocks, or
// reports) e-mail addresses, phone numbers, card numbers, national ids
// and the like in tool and prompt arguments on the way in and in tool
// results, resource contents and prompt messages on the way out, with
// the entities and validation of guard/pii (Presidio's names).
package presidio

import (
	"encoding/json"
	"fmt"

	"github.com/mcpgw/mcp-gateway/guard"
	"github.com/mcpgw/mcp-gateway/guard/pii"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/plugins/internal/contentguard"
)

// Name is the plugin's name.
const Name = "presidio"

func init() {
	plugin.Register(plugin.Spec{Name: Name, New: New})
}

// Config is gateway.plugins.presidio and each per-server override.
type Config struct {
	contentguard.Settings
	// Entities are the entity names to detect (default: pii's default
	// set); Threshold the minimum score; Context extra context words per
	// entity; Allow values never reported.
	Entities  []string            `json:"entities"`
	Threshold float64             `json:"threshold"`
	Context   map[string][]string `json:"context"`
	Allow     []string            `json:"allow"`
}

// New builds the plugin.
func New(raw json.RawMessage, env plugin.Env) (plugin.Handler, error) {
	g, err := contentguard.New(Name, raw, env, pii.Entities(), func(server string, sec *contentguard.Section) (guard.Detector, contentguard.Settings, error) {
		var cfg Config
		if err := sec.Decode(server, &cfg); err != nil {
			return nil, cfg.Settings, err
		}
		s, err := pii.New(pii.Options{Entities: cfg.Entities, Threshold: cfg.Threshold, Context: cfg.Context, Allow: cfg.Allow})
		if err != nil {
			return nil, cfg.Settings, fmt.Errorf("%s: %w", sec.Where(server), err)
		}
		return s, cfg.Settings, nil
	})
	if err != nil {
		return nil, err
	}
	// Member names are context for personal data: {"ssn": "078051120"}.
	g.KeyContext = true
	return g, nil
}
