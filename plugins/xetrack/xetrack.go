// Package xetrack records every tool call, prompt and resource read, with
// its arguments and its result as the client received it, in an xetrack
// compatible SQLite table ("events"), as the Python gateway's xetrack
// plugin does, so that users' queries keep working:
//
//	SELECT server_name, capability_name, content_text FROM events
//
// It sits outermost in the chain: it sees what the client sends after the
// guardrails masked it and the result as the guardrails left it. Rows are
// written off the call path, in batches, by one goroutine; none is
// dropped (a call waits when the queue is full) and Close writes what is
// queued.
package xetrack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/plugin"
)

// Name is the plugin's name.
const Name = "xetrack"

// SkipInsert as the database path records no database rows (only the log
// outputs), as XETRACK_DB_PATH=SKIP_INSERT does for the Python plugin.
const SkipInsert = "SKIP_INSERT"

// DefaultFile is the database's name in the gateway's data directory when
// no path is configured.
const DefaultFile = "xetrack.db"

// MaxColumns caps the columns of the events table; argument keys beyond it
// are kept in the extra_arguments column.
const MaxColumns = 256

func init() {
	plugin.Register(plugin.Spec{Name: Name, New: New})
}

// Config is gateway.plugins.xetrack. Every key is optional; a key that is
// set wins over the matching environment variable.
type Config struct {
	// DBPath is the SQLite database ($XETRACK_DB_PATH; default
	// <data dir>/xetrack.db; "SKIP_INSERT": none).
	DBPath *string `json:"dbPath"`
	// LogsPath is a folder that receives one JSON line per row in
	// xetrack-<date>.jsonl ($XETRACK_LOGS_PATH; default none).
	LogsPath *string `json:"logsPath"`
	// LogsStdout logs every row to the gateway log at info level
	// ($XETRACK_LOGS_STDOUT; default false). Never to stdout: that is the
	// MCP stdio channel.
	LogsStdout *bool `json:"logsStdout"`
	// FlattenArguments makes each top-level argument a column
	// ($XETRACK_FLATTEN_ARGUMENTS; default true); false keeps them all in
	// "arguments".
	FlattenArguments *bool `json:"flattenArguments"`
	// FlattenResponse writes one row per content item
	// ($XETRACK_FLATTEN_RESPONSE; default true); false writes one row per
	// call with the whole result in "response".
	FlattenResponse *bool `json:"flattenResponse"`
	// Arguments records the arguments at all (default true).
	Arguments *bool `json:"arguments"`
}

// settings is the resolved configuration.
type settings struct {
	dbPath           string // "" when SkipInsert
	logsPath         string
	logsStdout       bool
	flattenArguments bool
	flattenResponse  bool
	arguments        bool
}

// Plugin is the xetrack tracer.
type Plugin struct {
	s       settings
	trackID string
	log     *slog.Logger
	w       *writer

	warnClosed sync.Once
}

var _ plugin.Handler = (*Plugin)(nil)
var _ io.Closer = (*Plugin)(nil)

// New builds the plugin from its section and the environment, and opens
// its outputs.
func New(raw json.RawMessage, env plugin.Env) (plugin.Handler, error) {
	return newPlugin(raw, env, os.LookupEnv, writerOptions{})
}

func newPlugin(raw json.RawMessage, env plugin.Env, lookup func(string) (string, bool), wo writerOptions) (*Plugin, error) {
	s, err := resolve(raw, env, lookup)
	if err != nil {
		return nil, err
	}
	log := env.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Plugin{s: s, trackID: newTrackID(), log: log}
	wo.log = log
	var st *store
	if s.dbPath != "" {
		if st, err = openStore(s.dbPath); err != nil {
			return nil, fmt.Errorf("gateway.plugins.xetrack: %w", err)
		}
	}
	var sinks []sink
	if s.logsPath != "" {
		fs, err := newFileSink(s.logsPath)
		if err != nil {
			if st != nil {
				st.close()
			}
			return nil, fmt.Errorf("gateway.plugins.xetrack: logs path: %w", err)
		}
		sinks = append(sinks, fs)
	}
	if s.logsStdout {
		sinks = append(sinks, logSink{log: log})
	}
	p.w = newWriter(st, sinks, p.finish, p.trackID, wo)
	db := s.dbPath
	if db == "" {
		db = "none (" + SkipInsert + ")"
	}
	log.Info("xetrack: recording calls", "db", db, "track_id", p.trackID, "logs_path", s.logsPath,
		"logs_to_gateway_log", s.logsStdout, "flatten_arguments", s.flattenArguments,
		"flatten_response", s.flattenResponse, "arguments", s.arguments)
	return p, nil
}

// resolve decodes the section strictly and lays it over the environment.
func resolve(raw json.RawMessage, env plugin.Env, lookup func(string) (string, bool)) (settings, error) {
	var s settings
	var cfg Config
	if t := bytes.TrimSpace(raw); len(t) > 0 && string(t) != "null" {
		sec := config.Section{Raw: raw, Where: "config"}
		if err := sec.Decode("plugins."+Name, &cfg); err != nil {
			return s, errors.New(strings.TrimPrefix(err.Error(), "config: "))
		}
	}
	var err error
	str := func(p *string, name string) string {
		if p != nil && *p != "" {
			return *p
		}
		v, _ := lookup(name)
		return strings.TrimSpace(v)
	}
	boolean := func(p *bool, name string, def bool) (bool, error) {
		if p != nil {
			return *p, nil
		}
		v, ok := lookup(name)
		if !ok || strings.TrimSpace(v) == "" {
			return def, nil
		}
		b, ok := parseBool(v)
		if !ok {
			return def, fmt.Errorf("%s=%q: expected true or false", name, v)
		}
		return b, nil
	}
	if s.flattenArguments, err = boolean(cfg.FlattenArguments, "XETRACK_FLATTEN_ARGUMENTS", true); err != nil {
		return s, err
	}
	if s.flattenResponse, err = boolean(cfg.FlattenResponse, "XETRACK_FLATTEN_RESPONSE", true); err != nil {
		return s, err
	}
	if s.logsStdout, err = boolean(cfg.LogsStdout, "XETRACK_LOGS_STDOUT", false); err != nil {
		return s, err
	}
	s.arguments = cfg.Arguments == nil || *cfg.Arguments
	s.logsPath = expandHome(str(cfg.LogsPath, "XETRACK_LOGS_PATH"))
	db := str(cfg.DBPath, "XETRACK_DB_PATH")
	switch {
	case db == SkipInsert:
		db = ""
	case db == "":
		if env.DataDir == "" {
			return s, fmt.Errorf("gateway.plugins.xetrack: no data directory to keep %s in: set gateway.plugins.xetrack.dbPath or XETRACK_DB_PATH", DefaultFile)
		}
		db = filepath.Join(env.DataDir, DefaultFile)
	default:
		db = expandHome(db)
	}
	s.dbPath = db
	return s, nil
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "on":
		return true, true
	case "false", "0", "no", "off":
		return false, true
	}
	return false, false
}

func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// TrackID is this run's track_id, the same in every row it writes.
func (p *Plugin) TrackID() string { return p.trackID }

// DBPath is the database the rows go to ("" for none).
func (p *Plugin) DBPath() string { return p.s.dbPath }

// Handle passes the call on and queues its tracking rows.
func (p *Plugin) Handle(ctx context.Context, c *plugin.Call, next plugin.Next) (*plugin.Result, error) {
	switch c.Method {
	case "tools/call", "prompts/get", "resources/read":
	default:
		return next(ctx, c)
	}
	start := time.Now()
	res, err := next(ctx, c)
	e := p.entry(c, res, err, start, time.Now())
	if qerr := p.w.add(e); qerr != nil {
		p.warnClosed.Do(func() {
			p.log.Warn("xetrack: a call ended after the tracker was closed; it is not recorded", "server", c.Server, "name", c.Name)
		})
	}
	return res, err
}

// Close writes every queued row and closes the outputs. It returns an
// error when rows could not be stored.
func (p *Plugin) Close() error { return p.w.close() }

// Stats reports how many rows were written and how many calls wait.
func (p *Plugin) Stats() (rows int64, queued int) { return p.w.rows.Load(), len(p.w.queue) }

func newTrackID() string {
	var b [6]byte
	randRead(b[:])
	return "mcp-gateway-" + strconv.FormatUint(uint64(b[0])<<40|uint64(b[1])<<32|uint64(b[2])<<24|uint64(b[3])<<16|uint64(b[4])<<8|uint64(b[5]), 36)
}
