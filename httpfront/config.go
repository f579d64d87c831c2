package httpfront

import (
	"time"

	"github.com/mcpgw/mcp-gateway/config"
)

func init() { config.RegisterSection("http") }

// Config is the "gateway": {"http": {...}} section of the config file.
// Every field is optional; zero values take the defaults of Options.
type Config struct {
	// Listen is the address served when --listen is not given, e.g.
	// "127.0.0.1:8080". A bare port (":8080") binds 127.0.0.1; say
	// "0.0.0.0:8080" to serve every interface.
	Listen string `json:"listen,omitempty"`
	// AllowedOrigins are browser origins allowed besides loopback and
	// same-origin ones ("*" allows any).
	AllowedOrigins []string `json:"allowedOrigins,omitempty"`
	// AllowedHosts are Host header values served besides loopback names.
	AllowedHosts []string `json:"allowedHosts,omitempty"`
	// SessionIdleTimeout closes sessions idle this long (default 30m).
	SessionIdleTimeout config.Duration `json:"sessionIdleTimeout,omitempty"`
	// MaxSessions caps open sessions (default 10000).
	MaxSessions int `json:"maxSessions,omitempty"`
	// KeepAlive is the SSE keep-alive interval (default 15s).
	KeepAlive config.Duration `json:"keepAlive,omitempty"`
	// ShutdownTimeout bounds how long a graceful shutdown waits for calls
	// in flight (default 10s).
	ShutdownTimeout config.Duration `json:"shutdownTimeout,omitempty"`
	// PublicURL is the URL clients reach the MCP endpoint at, e.g.
	// "https://gw.example.com/mcp" behind a proxy: the OAuth resource
	// identifier and token audience. Default: http://<listen address>/mcp.
	PublicURL string `json:"publicUrl,omitempty"`
}

// DefaultShutdownTimeout is Config.ShutdownTimeout's zero value.
const DefaultShutdownTimeout = 10 * time.Second

// LoadConfig decodes the "http" section of cfg (zero Config when absent).
func LoadConfig(cfg *config.Config) (Config, error) {
	var c Config
	sec, ok := cfg.Gateway.Sections["http"]
	if !ok {
		return c, nil
	}
	err := sec.Decode("http", &c)
	return c, err
}

// Apply copies the section's settings into o.
func (c Config) Apply(o *Options) {
	o.AllowedOrigins = c.AllowedOrigins
	o.AllowedHosts = c.AllowedHosts
	o.SessionIdleTimeout = time.Duration(c.SessionIdleTimeout)
	o.MaxSessions = c.MaxSessions
	o.KeepAlive = time.Duration(c.KeepAlive)
}
