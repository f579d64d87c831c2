package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"os"
	"os/signal"
	"reflect"
	"strings"
	"syscall"
	"time"

	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/gateway"
)

// configPoll is how often the config file is checked for changes.
const configPoll = time.Second

// watchConfig reloads the servers of the config file when it changes on
// disk (checked every configPoll, by content, so a save without change or
// a touch does nothing) and on SIGHUP, until ctx ends. A file that does not
// load is refused with the same errors as at start-up, and the running
// configuration stays. Changes outside the server entries (the gateway
// section, plugins) take effect at the next start; the log says so.
func watchConfig(ctx context.Context, st *setup, g *gateway.Gateway) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	log := st.log.With("component", "reload")
	path := st.cfg.Path
	running := st.cfg
	last := fileDigest(path)
	t := time.NewTicker(configPoll)
	defer t.Stop()
	for {
		forced := false
		select {
		case <-ctx.Done():
			return
		case <-hup:
			forced = true
		case <-t.C:
		}
		d := fileDigest(path)
		if !forced && d == last {
			continue
		}
		last = d
		why := "the file changed"
		if forced {
			why = "SIGHUP"
		}
		cfg, err := loadConfig(path)
		if err != nil {
			log.Error("config reload refused; the running configuration stays", "reason", why, "err", joinedLines(err))
			continue
		}
		rep, err := g.Reload(cfg)
		if err != nil {
			log.Error("config reload refused; the running configuration stays", "reason", why, "err", joinedLines(err))
			continue
		}
		if !reflect.DeepEqual(withoutPlaces(cfg.Gateway), withoutPlaces(running.Gateway)) || !reflect.DeepEqual(cfg.Wrapper, running.Wrapper) {
			log.Warn("the gateway settings or plugins in the file changed; they take effect at the next start (only servers are reloaded)")
		}
		running = cfg
		if rep.Empty() {
			log.Info("config reloaded; no server changed", "reason", why)
		} else {
			log.Info("config reloaded", "reason", why, "added", rep.Added, "removed", rep.Removed, "changed", rep.Changed)
		}
	}
}

// fileDigest is the SHA-256 of the file's content (zero when it cannot be
// read: a file being replaced is looked at again at the next poll).
func fileDigest(path string) [32]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		return [32]byte{}
	}
	return sha256.Sum256(b)
}

// withoutPlaces returns the gateway settings without their positions in
// the file, which move when servers are edited.
func withoutPlaces(g config.Gateway) config.Gateway {
	secs := make(map[string]config.Section, len(g.Sections))
	for k, s := range g.Sections {
		secs[k] = config.Section{Raw: bytes.TrimSpace(s.Raw), Path: s.Path}
	}
	g.Sections = secs
	return g
}

// joinedLines joins a multi-line error (several config mistakes) with "; ".
func joinedLines(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }
