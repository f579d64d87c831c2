package main

import (
	"fmt"
	"path/filepath"
)

// runCache is the -cache scenario: the same tools/call through the
// gateway's HTTP front to the backend (bench/echoserver, or with -backend
// everything the npm server-everything) over streamable HTTP, once with
// the response cache off and once with a rule that caches it (every call
// after the first is a hit), at 1 and 8 sessions, in one run.
func runCache(gw, echo, dir, backend string, calls int) error {
	start := func() (*process, error) { return startEcho(echo) }
	if backend == "everything" {
		start = startEverything
	}
	be, err := start()
	if err != nil {
		return err
	}
	defer be.stop()
	server := map[string]any{"type": "http", "url": be.url}
	off := filepath.Join(dir, "cache-off.json")
	writeJSON(off, map[string]any{"mcpServers": map[string]any{"echo": server},
		"gateway": map[string]any{"cache": map[string]any{"enabled": false}}})
	on := filepath.Join(dir, "cache-on.json")
	writeJSON(on, map[string]any{"mcpServers": map[string]any{"echo": server},
		"gateway": map[string]any{"cache": map[string]any{"rules": []map[string]any{{"tools": []string{"echo__echo"}, "ttl": "1h"}}}}})

	fmt.Printf("## Response cache: tools/call through the gateway to %s, cache off vs every call a hit\n", backend)
	fmt.Println()
	fmt.Println("| concurrency | path | calls/s | p50 | p99 | gateway CPU per call | backend CPU per call | hit throughput / through to the backend |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, conc := range []int{1, 8} {
		var through float64
		for _, v := range []struct{ name, cfg string }{{"to the backend (cache off)", off}, {"cache hit", on}} {
			g, err := startGateway(gw, v.cfg)
			if err != nil {
				return err
			}
			r, err := measureHTTP(g.url, "echo__echo", calls, conc, g.pid(), be.pid())
			g.stop()
			if err != nil {
				return fmt.Errorf("%s: %w", v.name, err)
			}
			ratio := ""
			if through == 0 {
				through = r.rate
			} else {
				ratio = fmt.Sprintf("%.2f", r.rate/through)
			}
			fmt.Printf("| %d | %s | %.0f | %s | %s | %.1f µs | %.1f µs | %s |\n", conc, v.name, r.rate, us(r.p50), us(r.p99), r.gwCPU*1e6, r.backendCPU*1e6, ratio)
		}
	}
	return nil
}
