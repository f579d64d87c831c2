// Command mcp-gateway is one MCP endpoint in front of many MCP servers.
//
//	mcp-gateway --mcp-json-path ~/mcp.json -p basic -p presidio
//
// serves MCP over stdio (the way Claude Desktop starts servers) and proxies
// every server configured in mcp.json. Logs go to stderr; LOGLEVEL=DEBUG or
// --log-level debug raises them.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/mcpgw/mcp-gateway/catalog"
	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/gateway"
	"github.com/mcpgw/mcp-gateway/httpfront"
	"github.com/mcpgw/mcp-gateway/internal/gctune"
	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/plugin"
	_ "github.com/mcpgw/mcp-gateway/plugins/all" // every built plugin
	"github.com/mcpgw/mcp-gateway/tracing"
	"github.com/mcpgw/mcp-gateway/transport"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

func init() { config.RegisterSection("plugins") }

func main() {
	// The heap may grow by 16 MiB at least between collections (unless
	// GOGC is set): fewer collections on the call path, for a few MiB.
	gc := gctune.Start(16 << 20)
	code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	gc.Stop()
	os.Exit(code)
}

// options are the parsed command line.
type options struct {
	configPath string
	plugins    []string
	logLevel   string
	logFormat  string
	dataDir    string
	version    bool
	scan       bool
	cpuProfile string
	listen     string
	metrics    string
}

type listFlag struct{ list *[]string }

func (l listFlag) String() string {
	if l.list == nil {
		return ""
	}
	return strings.Join(*l.list, ",")
}
func (l listFlag) Set(v string) error { *l.list = append(*l.list, v); return nil }

const usage = `mcp-gateway: one MCP endpoint in front of many MCP servers.

Usage:
  mcp-gateway [flags]            serve MCP over stdio (for Claude Desktop and other clients)
  mcp-gateway --listen ADDR      serve MCP over HTTP at http://ADDR/mcp (and legacy SSE at /sse)
  mcp-gateway servers [flags]    start every server once and show its state (exit 1 if one fails)
  mcp-gateway tools [flags]      start every server once and show the merged tool catalog
  mcp-gateway tools pending      list tools whose definition changed (with -p pinning)
  mcp-gateway tools approve SERVER [TOOL...]
                                 approve changed tool definitions
  mcp-gateway audit [flags]      show recorded calls and events (see mcp-gateway audit --help)

Flags:
  --mcp-json-path PATH   config file (default ./mcp.json): Claude Desktop "mcpServers",
                         the nested "mcp-gateway" → "servers" form, or VS Code "servers"
  -p, --plugin NAME      enable a plugin; repeatable (known: %s)
  --listen ADDR          serve streamable HTTP instead of stdio, e.g. 127.0.0.1:8080; a bare
                         port (:8080) binds 127.0.0.1, 0.0.0.0:8080 every interface
  --metrics-listen ADDR  also serve /metrics (Prometheus) and /ui (dashboard) at ADDR, for
                         stdio mode (with --listen they are on the main listener already)
  --log-level LEVEL      debug, info, warn or error (default info; env LOGLEVEL)
  --log-format FORMAT    text or json (default text); logs go to stderr
  --data-dir DIR         where state is kept (default $XDG_DATA_HOME/mcp-gateway,
                         else ~/.local/share/mcp-gateway)
  --version              print the version and exit
  --cpuprofile FILE      write a Go CPU profile of the run to FILE (for performance reports)
  --enable-guardrails [NAME], --enable-tracing [NAME]
                         deprecated spellings of -p (bare: basic, xetrack)

Example Claude Desktop entry:
  "mcp-gateway": {"command": "mcp-gateway", "args": ["--mcp-json-path", "/home/me/mcp.json", "-p", "basic"]}
`

// rewriteDeprecated turns the Python gateway's optional-value flags into
// -p flags and reports a warning for each.
func rewriteDeprecated(args []string) (out []string, warnings []string) {
	defaults := map[string]string{"--enable-guardrails": "basic", "--enable-tracing": "xetrack"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		def, ok := defaults[name]
		if !ok {
			if a == "--" {
				return append(out, args[i:]...), warnings
			}
			out = append(out, a)
			continue
		}
		if !hasVal {
			val = def
			if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				val = args[i+1]
				i++
			}
		}
		if val == "all" {
			val = def
		}
		warnings = append(warnings, fmt.Sprintf("%s is deprecated; use -p %s", name, val))
		out = append(out, "--plugin="+val)
	}
	return out, warnings
}

func parseArgs(args []string, stderr io.Writer) (*options, []string, error) {
	args, warnings := rewriteDeprecated(args)
	o := &options{}
	fs := flag.NewFlagSet("mcp-gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintf(stderr, usage, strings.Join(plugin.Known(), ", ")) }
	fs.StringVar(&o.configPath, "mcp-json-path", "mcp.json", "")
	fs.Var(listFlag{&o.plugins}, "p", "")
	fs.Var(listFlag{&o.plugins}, "plugin", "")
	fs.StringVar(&o.logLevel, "log-level", "", "")
	fs.StringVar(&o.logFormat, "log-format", "text", "")
	fs.StringVar(&o.dataDir, "data-dir", "", "")
	fs.BoolVar(&o.version, "version", false, "")
	fs.BoolVar(&o.scan, "scan", false, "")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "")
	fs.StringVar(&o.listen, "listen", "", "")
	fs.StringVar(&o.metrics, "metrics-listen", "", "")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if fs.NArg() > 0 {
		return nil, nil, fmt.Errorf("unexpected argument %q (flags start with -; see --help)", fs.Arg(0))
	}
	return o, warnings, nil
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// logLevel resolves --log-level, then LOGLEVEL (Python names accepted).
func logLevel(flagValue string) (slog.Level, error) {
	v := flagValue
	if v == "" {
		v = os.Getenv("LOGLEVEL")
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug", "trace":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error", "critical", "fatal":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q (use debug, info, warn or error)", v)
}

func newLogger(w io.Writer, level slog.Level, format string) (*slog.Logger, error) {
	ho := &slog.HandlerOptions{Level: level}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return nil, fmt.Errorf("unknown log format %q (use text or json)", format)
}

func defaultDataDir() string {
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "mcp-gateway")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "mcp-gateway")
	}
	return filepath.Join(home, ".local", "share", "mcp-gateway")
}

// setup is what every mode shares: flags, logging, config and plugins.
// On error it has already printed the message; code is the exit code.
type setup struct {
	o       *options
	log     *slog.Logger
	cfg     *config.Config
	plugins []plugin.Handler
	enabled []string // the names of plugins, in chain order
	dataDir string
	obs     *observability
}

func prepare(args []string, stdout, stderr io.Writer) (st *setup, code int) {
	fail := func(err error) (*setup, int) {
		fmt.Fprintf(stderr, "mcp-gateway: %v\n", err)
		return nil, 2
	}
	o, warnings, err := parseArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil, 0
	}
	if err != nil {
		return fail(err)
	}
	if o.version {
		fmt.Fprintf(stdout, "mcp-gateway %s\n", buildVersion())
		return nil, 0
	}
	level, err := logLevel(o.logLevel)
	if err != nil {
		return fail(err)
	}
	log, err := newLogger(stderr, level, o.logFormat)
	if err != nil {
		return fail(err)
	}
	log.Debug("debug logging on", "args", args)
	for _, w := range warnings {
		log.Warn(w)
	}
	if o.scan {
		log.Warn("--scan (the Python gateway's reputation scanner) is not supported and is ignored; it needs services this gateway does not call")
	}
	cfg, err := loadConfig(o.configPath)
	if err != nil {
		return fail(err)
	}
	for _, name := range cfg.Ignored {
		log.Info("config: entry beside the mcp-gateway wrapper is not one of its servers; ignored", "entry", name)
	}
	plugins := o.plugins
	if cfg.Wrapper != nil {
		if wrapped := wrapperPlugins(cfg.Wrapper.Args); len(wrapped) > 0 {
			log.Info("plugins enabled by the wrapper entry's args", "plugins", wrapped)
			plugins = append(plugins, wrapped...)
		}
	}
	dataDir := o.dataDir
	if dataDir == "" {
		dataDir = defaultDataDir()
	}
	var sections map[string]json.RawMessage
	if sec, ok := cfg.Gateway.Sections["plugins"]; ok {
		if err := json.Unmarshal(sec.Raw, &sections); err != nil {
			return fail(fmt.Errorf("%s: gateway.plugins: expected an object with one key per plugin: %v", sec.Where, err))
		}
	}
	plugins, sections, err = configuredPlugins(cfg, plugins, sections)
	if err != nil {
		return fail(err)
	}
	obs, err := newObservability(cfg, dataDir, log)
	if err != nil {
		return fail(err)
	}
	var handlers []plugin.Handler
	handlers, err = plugin.Build(plugins, sections, plugin.Env{Log: log, DataDir: dataDir, Events: obs.events})
	if err != nil {
		obs.Close()
		return fail(err)
	}
	obs.cacheStats = cacheStatsOf(handlers)
	return &setup{o: o, log: log, cfg: cfg, plugins: handlers, enabled: plugin.Ordered(plugins), dataDir: dataDir, obs: obs}, 0
}

// configuredPlugins adds the plugins that the config turns on by itself:
// authorization when it has "policies", rate limits when it has
// "rateLimits" (with the "redis" section when there is one), and always
// the response cache (with "cache" and "redis").
// loadConfig loads the config file with the process's environment for
// ${VAR} and its home directory for "~" (at start-up, on reload and for
// the audit command alike).
func loadConfig(path string) (*config.Config, error) {
	home, _ := os.UserHomeDir()
	return config.Load(path, os.LookupEnv, home)
}

// joinSections returns the named gateway sections that the config has as
// one object, {"name": value, ...}: how plugins that read several sections
// (their own and "redis") are given them.
func joinSections(secs map[string]config.Section, names ...string) (json.RawMessage, error) {
	raw := make(map[string]json.RawMessage, len(names))
	for _, n := range names {
		if sec, ok := secs[n]; ok {
			raw[n] = sec.Raw
		}
	}
	return json.Marshal(raw)
}

func configuredPlugins(cfg *config.Config, plugins []string, sections map[string]json.RawMessage) ([]string, map[string]json.RawMessage, error) {
	if sections == nil {
		sections = map[string]json.RawMessage{}
	}
	secs := cfg.Gateway.Sections
	own := map[string]string{"authz": "policies", "ratelimit": "rateLimits", "cache": "cache", "authn": "auth"}
	for _, p := range []string{"authz", "ratelimit", "cache", "authn"} {
		if _, ok := sections[p]; ok {
			return nil, nil, fmt.Errorf("gateway.plugins.%s: configure it with gateway.%s instead", p, own[p])
		}
	}
	if slices.Contains(plugins, "authn") {
		return nil, nil, fmt.Errorf(`-p authn: authentication is not a -p plugin; add "gateway": {"auth": {...}} to the config (it applies to the HTTP front door; stdio trusts the local user)`)
	}
	// The response cache is always in the chain: by default it caches
	// only tools their server marks read-only and idempotent, and
	// "gateway": {"cache": {"enabled": false}} turns it off.
	cacheSec, err := joinSections(secs, "cache", "redis")
	if err != nil {
		return nil, nil, err
	}
	plugins = append(plugins, "cache")
	sections["cache"] = cacheSec
	if sec, ok := secs["policies"]; ok {
		plugins = append(plugins, "authz")
		sections["authz"] = sec.Raw
	}
	if _, ok := secs["rateLimits"]; ok {
		b, err := joinSections(secs, "rateLimits", "redis")
		if err != nil {
			return nil, nil, err
		}
		plugins = append(plugins, "ratelimit")
		sections["ratelimit"] = b
	}
	for _, p := range plugins {
		if p == "authz" && secs["policies"].Raw == nil {
			return nil, nil, fmt.Errorf("-p authz needs policies: add \"gateway\": {\"policies\": [...]} to the config")
		}
		if p == "ratelimit" && secs["rateLimits"].Raw == nil {
			return nil, nil, fmt.Errorf("-p ratelimit needs limits: add \"gateway\": {\"rateLimits\": [...]} to the config")
		}
	}
	return plugins, sections, nil
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 1 && args[0] == "tools" && (args[1] == "approve" || args[1] == "pending") {
		return pins(args[1], args[2:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "audit" {
		return auditCmd(args[1:], stdout, stderr)
	}
	if len(args) > 0 && (args[0] == "servers" || args[0] == "tools") {
		return inspect(args[0], args[1:], stdout, stderr)
	}
	st, code := prepare(args, stdout, stderr)
	if st == nil {
		return code
	}
	log, cfg := st.log, st.cfg
	defer st.obs.Close()
	if st.o.cpuProfile != "" {
		f, err := os.Create(st.o.cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "mcp-gateway: --cpuprofile: %v\n", err)
			return 2
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "mcp-gateway: --cpuprofile: %v\n", err)
			return 2
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	httpCfg, err := httpfront.LoadConfig(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "mcp-gateway: %v\n", err)
		return 2
	}
	listen := st.o.listen
	if listen == "" {
		listen = httpCfg.Listen
	}
	tracer, err := tracing.FromEnv(context.Background(), tracing.Options{ServiceVersion: buildVersion(), Log: log.With("component", "tracing")})
	if err != nil {
		fmt.Fprintf(stderr, "mcp-gateway: tracing: %v\n", err)
		return 2
	}
	if tracer != nil {
		log.Info("tracing on: spans go to the OTLP endpoint of the OTEL_* environment")
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := tracer.Shutdown(ctx); err != nil {
				log.Warn("tracing: spans not exported at shutdown", "error", err)
			}
		}()
	}
	g, err := gateway.New(gateway.Options{Config: cfg, Plugins: st.plugins, Log: log, Version: buildVersion(),
		MultiClient: listen != "", Events: st.obs.events, Observer: st.obs, AuditArguments: st.obs.audit.Arguments,
		BackendEvent: st.obs.BackendEvent, Tracer: tracer})
	if err != nil {
		fmt.Fprintf(stderr, "mcp-gateway: %v\n", err)
		return 2
	}
	transportName := "stdio"
	if listen != "" {
		transportName = "http"
	}
	st.obs.attach(g, cfg, transportName)
	if st.o.metrics != "" {
		stopAdmin, err := serveAdmin(st.o.metrics, g, st)
		if err != nil {
			fmt.Fprintf(stderr, "mcp-gateway: --metrics-listen %s: %v\n", st.o.metrics, err)
			return 2
		}
		defer stopAdmin()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if listen != "" {
		return serveHTTP(ctx, listen, httpCfg, g, st, stderr)
	}
	log.Info("mcp-gateway starting", "version", buildVersion(), "config", cfg.Path, "format", cfg.Format,
		"servers", len(cfg.Servers), "plugins", st.enabled, "data_dir", st.dataDir)
	g.Start(ctx)
	go watchConfig(ctx, st, g)
	conn := transport.NewStream(stdin, stdout, nil, int(cfg.Gateway.MaxMessageBytes))
	front := g.NewFront(conn, plugin.Identity{Principal: "local"})
	done := make(chan error, 1)
	go func() { done <- front.Serve(ctx) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		conn.Close()
	}
	log.Info("mcp-gateway stopping")
	g.Close()
	plugin.Close(st.plugins)
	st.obs.Close()
	if err != nil {
		log.Error("client connection failed", "err", err)
		return 1
	}
	return 0
}

// inspect starts every backend, waits for their first start attempt and
// prints the servers (with their state) or the merged tool catalog. It exits
// 1 when a server could not be started, so it doubles as a config check.
func inspect(what string, args []string, stdout, stderr io.Writer) int {
	st, code := prepare(args, stdout, stderr)
	if st == nil {
		return code
	}
	defer st.obs.Close()
	init := []byte(`{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"mcp-gateway-` + what + `","version":"` + buildVersion() + `"}}`)
	g, err := gateway.New(gateway.Options{Config: st.cfg, Plugins: st.plugins, Log: st.log, Version: buildVersion(), InitParams: init})
	if err != nil {
		fmt.Fprintf(stderr, "mcp-gateway: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	g.Start(ctx)
	g.WaitSettled(ctx)
	defer g.Close()
	failed := false
	w := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	switch what {
	case "servers":
		fmt.Fprintln(w, "SERVER\tTRANSPORT\tSTATE\tERA\tPROTOCOL\tTOOLS\tPROMPTS\tRESOURCES\tERROR")
		for _, s := range g.Servers() {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", s.Name, s.Transport, s.State, s.Era, s.Protocol, s.Tools, s.Prompts, s.Resources, s.Error)
			failed = failed || s.State == "down"
			if len(s.Replicas) < 2 {
				continue
			}
			for _, r := range s.Replicas {
				state := r.State
				if !r.EjectedUntil.IsZero() {
					state += ", out of rotation until " + r.EjectedUntil.Format(time.TimeOnly)
				}
				fmt.Fprintf(w, "  replica %d\t%s\t%s\t\t\t\t\t\t%s\n", r.Index, r.Target, state, r.Error)
			}
		}
	case "tools":
		fmt.Fprintln(w, "TOOL\tSERVER\tDESCRIPTION")
		for _, it := range g.Snapshot().Items(catalog.Tools) {
			server := it.Server
			if server == "" {
				server = "(gateway)"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\n", it.Exposed, server, firstLine(it.Raw))
		}
		for _, s := range g.Servers() {
			failed = failed || s.State == "down"
		}
	}
	w.Flush()
	if failed {
		return 1
	}
	return 0
}

// firstLine returns the first line of a definition's description, cut to
// 80 characters.
func firstLine(def []byte) string {
	v, err := jsonrpc.Get(def, "description")
	if err != nil || v == nil {
		return ""
	}
	d, _ := jsonrpc.String(v)
	d, _, _ = strings.Cut(d, "\n")
	if r := []rune(d); len(r) > 80 {
		d = string(r[:79]) + "…"
	}
	return d
}

// wrapperPlugins extracts -p/--plugin values from the nested format's
// wrapper args, so a config written for the Python gateway keeps its
// plugins.
func wrapperPlugins(args []string) []string {
	args, _ = rewriteDeprecated(args)
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		for _, f := range []string{"-p", "--plugin", "-plugin"} {
			if a == f && i+1 < len(args) {
				out = append(out, args[i+1])
				i++
			} else if v, ok := strings.CutPrefix(a, f+"="); ok {
				out = append(out, v)
			}
		}
	}
	return out
}
