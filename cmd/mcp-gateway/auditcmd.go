package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/mcpgw/mcp-gateway/audit"
)

const auditUsage = `Usage:
  mcp-gateway audit [flags]          show recorded calls, oldest first
  mcp-gateway audit --events [flags] show security and backend events

Flags:
  --mcp-json-path PATH   config whose gateway.audit section names the store (default ./mcp.json;
                         without the file: SQLite in the data dir)
  --data-dir DIR         data dir of the default SQLite store
  --db PATH              an audit SQLite file to read instead
  --since WHEN           from this time: a duration back from now (15m, 2h, 7d) or a
                         time (2026-12-01, 2026-12-01T10:00:00Z)
  --until WHEN           up to this time (same forms)
  --server NAME          only calls to (events of) this server
  --tool NAME            only this tool or prompt name (exposed name) or resource URI
  --principal NAME       only this caller
  --status STATUS        only calls that ended so: %s
  --method METHOD        only this method (tools/call, resources/read, ...)
  --kind KIND            events only: security or backend
  --limit N              at most N rows (default 100), the newest
  --json                 one JSON object per line instead of a table
  --follow, -f           keep printing new rows as they are stored (Ctrl-C to stop)
`

// auditOptions are the parsed flags of the audit command.
type auditOptions struct {
	configPath, dataDir, db string
	since, until            string
	filter                  audit.Filter
	events, json, follow    bool
}

func parseAuditArgs(args []string, stderr io.Writer) (*auditOptions, error) {
	o := &auditOptions{}
	fs := flag.NewFlagSet("mcp-gateway audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	statuses := make([]string, len(audit.Statuses))
	for i, s := range audit.Statuses {
		statuses[i] = string(s)
	}
	fs.Usage = func() { fmt.Fprintf(stderr, auditUsage, strings.Join(statuses, ", ")) }
	fs.StringVar(&o.configPath, "mcp-json-path", "mcp.json", "")
	fs.StringVar(&o.dataDir, "data-dir", "", "")
	fs.StringVar(&o.db, "db", "", "")
	fs.StringVar(&o.since, "since", "", "")
	fs.StringVar(&o.until, "until", "", "")
	fs.StringVar(&o.filter.Server, "server", "", "")
	fs.StringVar(&o.filter.Name, "tool", "", "")
	fs.StringVar(&o.filter.Principal, "principal", "", "")
	status := fs.String("status", "", "")
	fs.StringVar(&o.filter.Method, "method", "", "")
	fs.StringVar(&o.filter.Kind, "kind", "", "")
	fs.IntVar(&o.filter.Limit, "limit", audit.DefaultLimit, "")
	fs.BoolVar(&o.events, "events", false, "")
	fs.BoolVar(&o.json, "json", false, "")
	fs.BoolVar(&o.follow, "follow", false, "")
	fs.BoolVar(&o.follow, "f", false, "")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (see mcp-gateway audit --help)", fs.Arg(0))
	}
	now := time.Now()
	var err error
	if o.filter.Since, err = parseWhen(o.since, now); err != nil {
		return nil, fmt.Errorf("--since: %w", err)
	}
	if o.filter.Until, err = parseWhen(o.until, now); err != nil {
		return nil, fmt.Errorf("--until: %w", err)
	}
	if *status != "" {
		if !slices.Contains(statuses, *status) {
			return nil, fmt.Errorf("--status %q: expected one of %s", *status, strings.Join(statuses, ", "))
		}
		o.filter.Status = audit.Status(*status)
	}
	if o.filter.Kind != "" && o.filter.Kind != audit.KindSecurity && o.filter.Kind != audit.KindBackend {
		return nil, fmt.Errorf("--kind %q: expected security or backend", o.filter.Kind)
	}
	if o.filter.Limit <= 0 {
		return nil, fmt.Errorf("--limit %d: expected a positive number of rows", o.filter.Limit)
	}
	if o.events && (o.filter.Status != "" || o.filter.Method != "") {
		return nil, errors.New("--status and --method select calls; they do not apply to --events")
	}
	if !o.events && o.filter.Kind != "" {
		return nil, errors.New("--kind selects events; add --events")
	}
	return o, nil
}

// parseWhen parses a --since/--until value: "" (none), a duration back
// from now (with days: 7d), an RFC 3339 time or a date.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := audit.ParseAge(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither a duration (15m, 2h, 7d) nor a time (2026-12-01, 2026-12-01T10:00:00Z)", s)
}

// auditStore opens the store the audit command reads.
func (o *auditOptions) store(ctx context.Context) (audit.Store, error) {
	if o.db != "" {
		if _, err := os.Stat(o.db); err != nil {
			return nil, fmt.Errorf("--db: %w", err)
		}
		return audit.OpenSQLite(o.db)
	}
	ac := audit.Config{}
	if _, err := os.Stat(o.configPath); err == nil {
		cfg, err := loadConfig(o.configPath)
		if err != nil {
			return nil, err
		}
		if ac, err = auditConfig(cfg); err != nil {
			return nil, err
		}
	}
	dataDir := o.dataDir
	if dataDir == "" {
		dataDir = defaultDataDir()
	}
	if ac.Postgres == "" {
		path := sqlitePath(ac, dataDir)
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no audit store at %s (the gateway creates it on its first run; see --data-dir and --db)", path)
		}
	}
	s, _, err := openAuditStore(ctx, ac, dataDir)
	return s, err
}

func auditCmd(args []string, stdout, stderr io.Writer) int {
	o, err := parseAuditArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "mcp-gateway audit: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	store, err := o.store(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "mcp-gateway audit: %v\n", err)
		return 1
	}
	defer store.Close()
	p := &auditPrinter{w: stdout, json: o.json, events: o.events}
	last, err := p.query(ctx, store, o.filter)
	if err != nil {
		fmt.Fprintf(stderr, "mcp-gateway audit: %v\n", err)
		return 1
	}
	if !o.follow {
		return 0
	}
	f := o.filter
	f.Limit = 1000
	for {
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(500 * time.Millisecond):
		}
		f.AfterID = last
		if last, err = p.query(ctx, store, f); err != nil {
			if ctx.Err() != nil {
				return 0
			}
			fmt.Fprintf(stderr, "mcp-gateway audit: %v\n", err)
			return 1
		}
	}
}

// auditPrinter prints rows oldest first, as a table or JSON lines.
type auditPrinter struct {
	w        io.Writer
	json     bool
	events   bool
	header   bool // printed already
	lastSeen int64
}

// query prints the rows f selects and returns the highest id printed so
// far (for following).
func (p *auditPrinter) query(ctx context.Context, s audit.Store, f audit.Filter) (int64, error) {
	var rows []any
	if p.events {
		evs, err := s.Events(ctx, f)
		if err != nil {
			return p.lastSeen, err
		}
		for i := range evs {
			rows = append(rows, &evs[i])
			p.lastSeen = max(p.lastSeen, evs[i].ID)
		}
	} else {
		recs, err := s.Calls(ctx, f)
		if err != nil {
			return p.lastSeen, err
		}
		for i := range recs {
			rows = append(rows, &recs[i])
			p.lastSeen = max(p.lastSeen, recs[i].ID)
		}
	}
	// Print oldest first, by arrival: the store returns the newest first,
	// in the order calls ended.
	slices.SortStableFunc(rows, func(a, b any) int { return rowTime(a).Compare(rowTime(b)) })
	if p.json {
		enc := json.NewEncoder(p.w)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return p.lastSeen, err
			}
		}
		return p.lastSeen, nil
	}
	tw := tabwriter.NewWriter(p.w, 2, 4, 2, ' ', 0)
	if !p.header {
		if p.events {
			fmt.Fprintln(tw, "TIME\tKIND\tTYPE\tPLUGIN\tSERVER\tNAME\tRULE\tPRINCIPAL\tREASON")
		} else {
			fmt.Fprintln(tw, "TIME\tPRINCIPAL\tSERVER\tNAME\tMETHOD\tSTATUS\tLATENCY\tIN\tOUT\tREQUEST\tDETAIL")
		}
		p.header = true
	}
	for _, r := range rows {
		switch r := r.(type) {
		case *audit.Event:
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.Local().Format("2006-01-02 15:04:05.000"),
				r.Kind, r.Type, dash(r.Plugin), dash(r.Server), dash(r.Name), dash(r.Rule), dash(r.Principal), oneLine(r.Reason))
		case *audit.Record:
			detail := oneLine(r.Error)
			if len(r.Findings) > 0 {
				var fs []string
				for _, f := range r.Findings {
					fs = append(fs, f.Plugin+":"+f.Type+":"+f.Rule+"×"+strconv.Itoa(max(f.Count, 1)))
				}
				detail = strings.TrimSpace(strings.Join(fs, " ") + " " + detail)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", r.Time.Local().Format("2006-01-02 15:04:05.000"),
				dash(r.Principal), dash(r.Server), dash(r.Name), r.Method, r.Status, r.Duration.Round(10*time.Microsecond),
				r.BytesIn, r.BytesOut, r.RequestID, detail)
		}
	}
	return p.lastSeen, tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine cuts s to its first line and 120 characters, for a table cell.
func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > 120 {
		s = string(r[:119]) + "…"
	}
	return s
}

func rowTime(r any) time.Time {
	if e, ok := r.(*audit.Event); ok {
		return e.Time
	}
	return r.(*audit.Record).Time
}
