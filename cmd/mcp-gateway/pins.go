package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"text/tabwriter"

	"github.com/mcpgw/mcp-gateway/plugins/pinning"
)

const pinsUsage = `Usage:
  mcp-gateway tools pending [--data-dir DIR]
      list the tools whose definition changed since it was approved
  mcp-gateway tools approve [--data-dir DIR] SERVER [TOOL...]
      approve the changed definitions of the named tools (all of SERVER's when none is named);
      a running gateway offers them again within seconds
`

// pins runs `tools pending` and `tools approve` on the pinning plugin's
// pins file.
func pins(cmd string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tools "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, pinsUsage) }
	dataDir := fs.String("data-dir", "", "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dir := *dataDir
	if dir == "" {
		dir = defaultDataDir()
	}
	store := pinning.OpenStore(filepath.Join(dir, pinning.FileName))
	switch cmd {
	case "pending":
		all, err := store.Load()
		if err != nil {
			fmt.Fprintf(stderr, "mcp-gateway: %v\n", err)
			return 1
		}
		w := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(w, "SERVER\tTOOL\tAPPROVED\tNOW\tCHANGED AT")
		servers := make([]string, 0, len(all))
		for s := range all {
			servers = append(servers, s)
		}
		sort.Strings(servers)
		n := 0
		for _, s := range servers {
			tools := make([]string, 0, len(all[s]))
			for t := range all[s] {
				tools = append(tools, t)
			}
			sort.Strings(tools)
			for _, t := range tools {
				p := all[s][t]
				if p.Pending == "" {
					continue
				}
				n++
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s, t, p.SHA256, p.Pending, p.PendingSince.Format("2006-01-02 15:04:05Z"))
			}
		}
		w.Flush()
		if n == 0 {
			fmt.Fprintf(stdout, "no tool is waiting for approval (%s)\n", store.Path())
		}
		return 0
	case "approve":
		if fs.NArg() < 1 {
			fmt.Fprint(stderr, "mcp-gateway tools approve: name the server (and optionally the tools)\n"+pinsUsage)
			return 2
		}
		done, err := store.Approve(fs.Arg(0), fs.Args()[1:])
		if err != nil {
			fmt.Fprintf(stderr, "mcp-gateway: %v\n", err)
			return 1
		}
		for _, t := range done {
			fmt.Fprintf(stdout, "approved %s %s\n", fs.Arg(0), t)
		}
		return 0
	}
	return 2
}
