package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mcpgw/mcp-gateway/config"
)

// Section is the config section of the audit trail: "gateway": {"audit": {...}}.
const Section = "audit"

func init() { config.RegisterSection(Section) }

// Config is the audit section, checked. The zero value is the default: on,
// SQLite in the data dir, digests only, 30 days and 1 GiB at most.
type Config struct {
	// Disabled turns the audit trail off ("enabled": false).
	Disabled bool
	// SQLite is the database file; "" means <data dir>/audit.db.
	SQLite string
	// Postgres, when set, is the PostgreSQL URL used instead of SQLite.
	Postgres string
	// Arguments stores raw call arguments, not only their digest.
	Arguments bool
	// Retention bounds what is kept.
	Retention Retention
}

// DefaultRetention applies when the section gives none.
var DefaultRetention = Retention{MaxAge: 30 * 24 * time.Hour, MaxBytes: 1 << 30}

// ParseConfig checks the raw audit section (nil: defaults). where is the
// section's place in the file, for errors.
func ParseConfig(raw json.RawMessage, where string) (Config, error) {
	cfg := Config{Retention: DefaultRetention}
	if raw == nil {
		return cfg, nil
	}
	fail := func(format string, args ...any) (Config, error) {
		return Config{}, fmt.Errorf("%s: gateway.audit: %s", where, fmt.Sprintf(format, args...))
	}
	var s struct {
		Enabled   *bool  `json:"enabled"`
		SQLite    string `json:"sqlite"`
		Postgres  string `json:"postgres"`
		Arguments bool   `json:"arguments"`
		Retention *struct {
			MaxAge  string `json:"maxAge"`
			MaxSize string `json:"maxSize"`
		} `json:"retention"`
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&s); err != nil {
		return fail("%v (keys: enabled, sqlite, postgres, arguments, retention {maxAge, maxSize})", err)
	}
	if s.Enabled != nil && !*s.Enabled {
		cfg.Disabled = true
	}
	if s.SQLite != "" && s.Postgres != "" {
		return fail(`give "sqlite" or "postgres", not both`)
	}
	pg, err := config.ExpandVars(s.Postgres, os.LookupEnv)
	if err != nil {
		return fail("postgres: %v", err)
	}
	if pg != "" && !strings.HasPrefix(pg, "postgres://") && !strings.HasPrefix(pg, "postgresql://") {
		return fail(`postgres: expected a URL such as "postgres://user:${PGPASSWORD}@db:5432/mcp_gateway"`)
	}
	cfg.SQLite, cfg.Postgres, cfg.Arguments = s.SQLite, pg, s.Arguments
	if r := s.Retention; r != nil {
		cfg.Retention = Retention{}
		if r.MaxAge != "" {
			if cfg.Retention.MaxAge, err = ParseAge(r.MaxAge); err != nil {
				return fail("retention.maxAge: %v", err)
			}
		}
		if r.MaxSize != "" {
			if cfg.Retention.MaxBytes, err = config.ParseSize(r.MaxSize); err != nil {
				return fail("retention.maxSize: %v", err)
			}
		}
	}
	return cfg, nil
}

// ParseAge parses a duration such as "30d", "12h" or "90m" (Go durations
// plus whole days).
func ParseAge(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 {
			return 0, fmt.Errorf(`invalid age %q; write "30d", "12h" or "90m"`, s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf(`invalid age %q; write "30d", "12h" or "90m"`, s)
	}
	return d, nil
}
