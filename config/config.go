// Package config loads the gateway's mcp.json in the formats users already
// have (Claude Desktop "mcpServers", the nested "mcp-gateway" → "servers"
// form, VS Code "servers") into one validated [Config].
//
// Loading is strict: an unknown key, a value of the wrong type or a missing
// field is an error that names the file, the line and column, the key path
// and what was expected. Nothing is started by this package.
package config

import (
	"encoding/json"
	"time"
)

// Transport kinds of a backend server.
const (
	TransportStdio = "stdio" // a subprocess speaking newline-delimited JSON-RPC
	TransportHTTP  = "http"  // streamable HTTP
	TransportSSE   = "sse"   // legacy HTTP+SSE (2024-11-05)
)

// Defaults that Load fills in when the file leaves a setting out.
const (
	DefaultSeparator       = "__"
	DefaultMaxMessageBytes = 32 << 20
	DefaultTimeout         = 60 * time.Second
)

// Isolation modes of backend sessions.
const (
	IsolationDefault   = ""           // chosen per transport by the gateway
	IsolationShared    = "shared"     // one back session serves every client
	IsolationPerClient = "per-client" // one back session per front session
)

// Protocol eras a backend may be pinned to.
const (
	EraAuto   = "auto"   // probe server/discover, fall back to initialize (the zero value too)
	EraLegacy = "legacy" // initialize only (revisions up to 2025-11-25)
	EraModern = "modern" // 2026-07-28: stateless, no initialize
)

// Config is a loaded and validated configuration file.
type Config struct {
	// Path is the file the configuration was read from.
	Path string
	// Format names the layout that was recognised: "claude" (top-level
	// mcpServers), "nested" (mcpServers → mcp-gateway → servers) or
	// "vscode" (top-level servers).
	Format string
	// Gateway holds gateway-wide settings (the top-level "gateway" key).
	Gateway Gateway
	// Servers are the backends, sorted by Name. Disabled and blocked
	// servers are included, with Disabled or Blocked set.
	Servers []Server
	// Wrapper is the "mcp-gateway" entry of the nested format (its command
	// and args), nil for the other formats.
	Wrapper *Wrapper
	// Ignored lists, sorted, the names of the entries beside the wrapper
	// under "mcpServers" in the nested format: they are other clients'
	// servers, not backends of the gateway, and are not validated.
	Ignored []string
}

// Wrapper is the entry that launched the gateway itself in the nested format.
type Wrapper struct {
	Name    string
	Command string
	Args    []string
}

// Gateway is the top-level "gateway" object.
type Gateway struct {
	// Separator joins a server's prefix and a tool or prompt name.
	// Zero value: "__". Load sets it to DefaultSeparator when the file
	// does not.
	Separator string
	// MaxMessageBytes bounds one JSON-RPC message in either direction.
	// Zero value: 32 MiB. Accepts a number or a size string ("64MiB").
	// Load sets it to DefaultMaxMessageBytes when the file does not.
	MaxMessageBytes int64
	// PageSize is how many items a list response holds before a cursor is
	// returned. Zero value: every item in one page.
	PageSize int
	// Sections holds every other key of the "gateway" object (plugin and
	// feature sections such as "auth" or "audit"), raw, to be decoded
	// strictly by the package that owns it. Only names registered with
	// [RegisterSection] are accepted.
	Sections map[string]Section
}

// Section is a raw gateway sub-object with the place it came from, so that
// its owner can report errors against the file.
type Section struct {
	Raw json.RawMessage
	// Where is "file:line:col" of the section's value.
	Where string
	// Path is the key path of a section inside a server entry (e.g.
	// "mcpServers.github.oauth"); empty for gateway sections, whose path
	// is "gateway.<name>".
	Path string
}

// Server is one backend MCP server.
type Server struct {
	// Name is the server's key in the file.
	Name string
	// Replica is how the server is started or reached: for a server with
	// "replicas", its first replica. (Its Where is unset: the server's own
	// place is Server.Where.)
	Replica
	// OAuth is the remote server's "oauth" object (the gateway's own OAuth
	// client credentials or token exchange for this backend), with ${VAR}
	// references expanded in its strings, decoded by package backendauth;
	// nil when absent.
	OAuth *Section

	// Prefix is put before the server's tool and prompt names, joined by
	// the gateway separator. Zero value when absent from the file: Name.
	// An explicit "" exposes names unprefixed.
	Prefix string
	// Disabled servers are not started.
	Disabled bool
	// Blocked is the Python gateway's flag: "blocked" keeps the server
	// from starting; "skipped", "passed" and "" start it.
	Blocked string
	// Timeout bounds one call to this server. Zero value: 60s. Load sets
	// it to DefaultTimeout when the file does not.
	Timeout time.Duration
	// ToolsAllow and ToolsDeny are glob lists over the server's own tool
	// names ("tools": {"allow": [...], "deny": [...]}). Empty allow means
	// all; deny wins.
	ToolsAllow []string
	ToolsDeny  []string
	// ListRefresh, when set, is how often the gateway re-reads the
	// server's lists, for servers that change them without sending
	// list_changed; zero: on list_changed only (and a 2026-07-28 server's
	// lists when their ttlMs runs out).
	ListRefresh time.Duration
	// Isolation is one of the Isolation constants.
	Isolation string
	// Era pins the backend's protocol era (EraLegacy, EraModern) instead
	// of probing it; zero value and EraAuto: probe.
	Era string

	// Replicas are the instances of a server with "replicas": each is
	// started or reached on its own and calls are balanced over them;
	// nil for a server of one instance (described by the fields above).
	// For a server with replicas, Transport, AutoDetect, Command, Args,
	// Env, Cwd, URL and Headers are those of the first replica.
	Replicas []Replica
	// Balancing says how calls are spread over Replicas and when a
	// replica is taken out of rotation ("loadBalancing").
	Balancing Balancing
	// MaxConcurrency bounds the calls in flight to the server (all its
	// replicas together); 0: no bound. MaxQueue bounds the calls waiting
	// for one of those slots; a call beyond it is refused at once as
	// overloaded. Zero value with MaxConcurrency set: as many as
	// MaxConcurrency.
	MaxConcurrency int
	MaxQueue       int

	// Where is "file:line:col" of the server's entry, for later errors.
	Where string
}

// Replica is one instance of a server: a command to start or a URL to
// reach. The server's own "env" and "headers" are merged in (the
// replica's entries win) and its "oauth" applies to remote replicas.
type Replica struct {
	// Transport is one of TransportStdio, TransportHTTP, TransportSSE.
	Transport string
	// AutoDetect is true for a remote server whose type was not given: the
	// gateway tries streamable HTTP and falls back to legacy SSE.
	AutoDetect bool

	// Command, Args, Env and Cwd describe a stdio server. Env holds only
	// the variables the file sets (and those of EnvFile); the gateway adds
	// its own environment when it starts the process.
	Command string
	Args    []string
	Env     map[string]string
	Cwd     string
	// EnvFile is the resolved path of the server's "envFile", whose
	// variables are already in Env; empty when the file sets none.
	EnvFile string

	// URL and Headers describe a remote server.
	URL     string
	Headers map[string]string

	// Where is "file:line:col" of the replica's entry (for the instance
	// of a server without replicas, the server's).
	Where string
}

// Instances returns the server's replicas, or its one instance as a
// replica when it has no "replicas".
func (s *Server) Instances() []Replica {
	if len(s.Replicas) > 0 {
		return s.Replicas
	}
	r := s.Replica
	r.Where = s.Where
	return []Replica{r}
}

// Load-balancing policies of Balancing.Policy.
const (
	BalanceRoundRobin    = "round-robin"    // each call to the next healthy replica
	BalanceLeastInflight = "least-inflight" // to the healthy replica with the fewest calls in flight
	BalanceSession       = "session"        // by a hash of the client session: a client stays on one replica
)

// Defaults of Balancing that Load fills in.
const (
	DefaultHealthInterval = 10 * time.Second
	DefaultHealthTimeout  = 5 * time.Second
	DefaultMaxFailures    = 3
	DefaultEjectFor       = 5 * time.Second
)

// Balancing is a server's "loadBalancing" object.
type Balancing struct {
	// Policy is one of the Balance constants. Zero value: round-robin
	// (per-client back sessions stay on the replica they were opened on
	// whatever the policy).
	Policy string
	// HealthInterval is how often each replica is pinged; HealthTimeout
	// bounds one ping. A replica that fails a ping is taken out of
	// rotation like one that fails calls.
	HealthInterval, HealthTimeout time.Duration
	// MaxFailures consecutive failed calls eject a replica for EjectFor,
	// doubled on each ejection in a row (at most 5 minutes); then one
	// trial call decides whether it is back (a circuit breaker per
	// replica).
	MaxFailures int
	EjectFor    time.Duration
}

// Active reports whether the server should be started.
func (s *Server) Active() bool { return !s.Disabled && s.Blocked != "blocked" }
