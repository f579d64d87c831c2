package audit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/audit"
)

func TestParseConfig(t *testing.T) {
	t.Setenv("PGPASS", "s3cret")
	for _, tc := range []struct {
		raw     string
		want    audit.Config
		wantErr string
	}{
		{raw: ``, want: audit.Config{Retention: audit.DefaultRetention}},
		{raw: `{}`, want: audit.Config{Retention: audit.DefaultRetention}},
		{raw: `{"enabled": false}`, want: audit.Config{Disabled: true, Retention: audit.DefaultRetention}},
		{raw: `{"postgres": "postgres://mcp:${PGPASS}@db/audit", "arguments": true}`,
			want: audit.Config{Postgres: "postgres://mcp:s3cret@db/audit", Arguments: true, Retention: audit.DefaultRetention}},
		{raw: `{"sqlite": "/var/lib/a.db", "retention": {"maxAge": "7d", "maxSize": "64MiB"}}`,
			want: audit.Config{SQLite: "/var/lib/a.db", Retention: audit.Retention{MaxAge: 7 * 24 * time.Hour, MaxBytes: 64 << 20}}},
		{raw: `{"retention": {"maxAge": "90m"}}`, want: audit.Config{Retention: audit.Retention{MaxAge: 90 * time.Minute}}},
		{raw: `{"retention": {}}`, want: audit.Config{}},
		{raw: `{"postgress": "x"}`, wantErr: `unknown field "postgress"`},
		{raw: `{"sqlite": "a", "postgres": "postgres://x"}`, wantErr: "not both"},
		{raw: `{"postgres": "mysql://x"}`, wantErr: "expected a URL such as"},
		{raw: `{"postgres": "postgres://${NO_SUCH_VAR_AUDIT}@x"}`, wantErr: "NO_SUCH_VAR_AUDIT"},
		{raw: `{"retention": {"maxAge": "soon"}}`, wantErr: `retention.maxAge: invalid age "soon"`},
		{raw: `{"retention": {"maxSize": "big"}}`, wantErr: `retention.maxSize: invalid size "big"`},
		{raw: `[]`, wantErr: "gateway.audit"},
	} {
		var raw []byte
		if tc.raw != "" {
			raw = []byte(tc.raw)
		}
		got, err := audit.ParseConfig(raw, "mcp.json:3:5")
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "mcp.json:3:5: gateway.audit") {
				t.Errorf("%s: error %v, want one with %q", tc.raw, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.raw, got, err, tc.want)
		}
	}
}
