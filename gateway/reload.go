package gateway

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"time"

	"github.com/mcpgw/mcp-gateway/catalog"
	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

// serverSet is what the config runs: the active backends and every
// configured server. Reload replaces it whole; the call path reads it
// with one atomic load.
type serverSet struct {
	backends []*backend // active, in config order
	byName   map[string]*backend
	servers  []config.Server // every configured server, for get_metadata and status
}

func (g *Gateway) set() *serverSet { return g.servers.Load() }

// buildSet builds the backends of servers, keeping those of old whose
// entry did not change; added are the new ones (not started yet).
func (g *Gateway) buildSet(servers []config.Server, old *serverSet) (set *serverSet, added []*backend, err error) {
	set = &serverSet{byName: map[string]*backend{}, servers: servers}
	for _, sc := range servers {
		if !sc.Active() {
			if old == nil || old.byName[sc.Name] != nil {
				why := "disabled"
				if sc.Blocked == "blocked" {
					why = "blocked"
				}
				g.log.Info("server not started", "server", sc.Name, "reason", why)
			}
			continue
		}
		if old != nil {
			if b := old.byName[sc.Name]; b != nil && sameServer(b.src, sc) {
				set.backends = append(set.backends, b)
				set.byName[sc.Name] = b
				continue
			}
		}
		b, err := g.newBackend(sc)
		if err != nil {
			return nil, nil, err
		}
		set.backends = append(set.backends, b)
		set.byName[sc.Name] = b
		added = append(added, b)
	}
	return set, added, nil
}

// sameServer reports whether two entries describe the same server (their
// place in the file aside).
func sameServer(a, b config.Server) bool {
	a.Where, b.Where = "", ""
	if a.OAuth != nil && b.OAuth != nil {
		oa, ob := *a.OAuth, *b.OAuth
		oa.Where, ob.Where = "", ""
		a.OAuth, b.OAuth = &oa, &ob
	}
	a.Replicas, b.Replicas = withoutPlaces(a.Replicas), withoutPlaces(b.Replicas)
	return reflect.DeepEqual(a, b)
}

// withoutPlaces returns a copy of rs without their places in the file.
func withoutPlaces(rs []config.Replica) []config.Replica {
	out := slices.Clone(rs)
	for i := range out {
		out[i].Where = ""
	}
	return out
}

// ReloadReport says what a Reload changed, by server name.
type ReloadReport struct {
	Added, Removed, Changed []string
}

// Empty reports whether the reload changed no server.
func (r ReloadReport) Empty() bool { return len(r.Added)+len(r.Removed)+len(r.Changed) == 0 }

// ErrNotStarted is returned by Reload before Start.
var ErrNotStarted = errors.New("gateway: Reload before Start")

// Reload makes the gateway run the servers of cfg: new servers are
// started, removed ones stopped, changed ones replaced; servers whose
// entry is the same keep running untouched, with their sessions and calls.
// Calls in flight to a removed or changed server are let finish (for at
// most its timeout) before it is stopped; new calls go to the new entry at
// once. Clients are told that their lists changed. Only server entries are
// reloaded: cfg's gateway settings and plugins stay those of start-up. On
// an error (a server that cannot be built), nothing changes.
func (g *Gateway) Reload(cfg *config.Config) (ReloadReport, error) {
	g.reloadMu.Lock()
	defer g.reloadMu.Unlock()
	if g.runCtx == nil {
		return ReloadReport{}, ErrNotStarted
	}
	old := g.set()
	set, added, err := g.buildSet(cfg.Servers, old)
	if err != nil {
		return ReloadReport{}, err
	}
	var rep ReloadReport
	var gone []*backend
	for _, b := range old.backends {
		if set.byName[b.cfg.Name] != b {
			gone = append(gone, b)
			if set.byName[b.cfg.Name] != nil {
				rep.Changed = append(rep.Changed, b.cfg.Name)
			} else {
				rep.Removed = append(rep.Removed, b.cfg.Name)
			}
		}
	}
	for _, b := range added {
		if !slices.Contains(rep.Changed, b.cfg.Name) {
			rep.Added = append(rep.Added, b.cfg.Name)
		}
	}
	for _, b := range added {
		g.startBackend(b)
	}
	g.servers.Store(set)
	if rep.Empty() {
		return rep, nil
	}
	g.rebuild()
	for _, k := range []catalog.Kind{catalog.Tools, catalog.Prompts, catalog.Resources} {
		g.broadcastListChanged(k)
	}
	if ev := g.opts.BackendEvent; ev != nil {
		for typ, names := range map[string][]string{"added": rep.Added, "removed": rep.Removed, "changed": rep.Changed} {
			for _, n := range names {
				ev(n, typ, "config reload")
			}
		}
	}
	for _, b := range gone {
		go g.retire(b)
	}
	return rep, nil
}

// startBackend runs b's supervisors (and health checks) until the gateway
// or b is stopped.
func (g *Gateway) startBackend(b *backend) {
	ctx, cancel := context.WithCancel(g.runCtx)
	b.stop = cancel
	for _, r := range b.replicas {
		g.wg.Go(func() { r.sv.Run(ctx) })
		if len(b.replicas) > 1 {
			g.wg.Go(func() { r.healthChecks(ctx) })
		}
	}
	g.wg.Go(func() { b.refreshLists(ctx) })
}

// retireDrainPoll is how often retire looks whether calls are still in
// flight.
const retireDrainPoll = 20 * time.Millisecond

// retire stops a backend that the config no longer runs (in this form):
// once its calls in flight are answered, or its timeout has passed, its
// sessions, the clients' own ones included, are closed and its processes
// stopped.
func (g *Gateway) retire(b *backend) {
	deadline := time.Now().Add(b.cfg.Timeout)
	for b.inflight.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(retireDrainPoll)
	}
	g.frontsMu.Lock()
	fronts := make([]*Front, 0, len(g.fronts))
	for f := range g.fronts {
		fronts = append(fronts, f)
	}
	g.frontsMu.Unlock()
	for _, f := range fronts {
		f.mu.Lock()
		cb := f.backs[b]
		delete(f.backs, b)
		f.mu.Unlock()
		if cb != nil {
			closeClientBacks(map[*backend]*clientBack{b: cb})
		}
	}
	b.closePool()
	if b.stop != nil {
		b.stop()
	}
	g.log.Info("server stopped after a config change", "server", b.cfg.Name)
}

// Bounds of list refreshes.
const (
	listCheckEvery = time.Second     // how often freshness is looked at
	minListRefresh = 5 * time.Second // a modern backend's ttlMs of less counts as this
	maxListRefresh = 24 * time.Hour  // and of more as this
)

// refreshLists re-fetches lists whose freshness ran out, until ctx ends:
// a modern backend's by the ttlMs it gave with them (within
// minListRefresh and maxListRefresh), any backend's every "listRefresh"
// when the config sets it. Clients are told only when a list changed.
// Legacy backends without "listRefresh" are re-read on their list_changed
// notifications only.
func (b *backend) refreshLists(ctx context.Context) {
	t := time.NewTicker(listCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, k := range []catalog.Kind{catalog.Tools, catalog.Prompts, catalog.Resources} {
				if b.listStale(k, now) {
					b.reread(k, false)
				}
			}
		}
	}
}

// listStale reports whether list k is due to be fetched again.
func (b *backend) listStale(k catalog.Kind, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if has, _ := jsonrpc.Get(b.caps, capabilityFor[k]); has == nil || b.fetched[k].IsZero() {
		return false // not offered, or the backend is not up yet
	}
	every := b.cfg.ListRefresh
	if h := b.hints[k]; h.known {
		d := min(max(time.Duration(h.ttlMs())*time.Millisecond, minListRefresh), maxListRefresh)
		if every == 0 || d < every {
			every = d
		}
	}
	return every > 0 && now.Sub(b.fetched[k]) >= every
}
