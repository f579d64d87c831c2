package contentguard

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/mcpgw/mcp-gateway/guard"
	"github.com/mcpgw/mcp-gateway/plugin"
)

// wordDetector finds fixed words, each its own rule; "PANIC" makes it panic.
type wordDetector struct{ re *regexp.Regexp }

func (d wordDetector) Find(text []byte, dst []guard.Match) []guard.Match {
	if strings.Contains(string(text), "PANIC") {
		panic("detector bug")
	}
	for _, ix := range d.re.FindAllIndex(text, -1) {
		w := string(text[ix[0]:ix[1]])
		dst = append(dst, guard.Match{Rule: w, Label: strings.ToUpper(w), Start: ix[0], End: ix[1], Score: 1})
	}
	return dst
}

type events struct {
	mu  sync.Mutex
	got []plugin.Event
}

func (e *events) Report(_ context.Context, ev plugin.Event) {
	e.mu.Lock()
	e.got = append(e.got, ev)
	e.mu.Unlock()
}

func newGuard(t *testing.T, raw string) (*Guard, *events) {
	t.Helper()
	ev := &events{}
	g, err := New("test", json.RawMessage(raw), plugin.Env{Events: ev}, []string{"secret", "token"},
		func(server string, sec *Section) (guard.Detector, Settings, error) {
			var st Settings
			err := sec.Decode(server, &st)
			return wordDetector{regexp.MustCompile(`secret|token`)}, st, err
		})
	if err != nil {
		t.Fatal(err)
	}
	return g, ev
}

// backend answers every call with result and records the params it got.
func backend(result string, got *[]byte) plugin.Next {
	return func(_ context.Context, c *plugin.Call) (*plugin.Result, error) {
		*got = append([]byte(nil), c.Params...)
		return &plugin.Result{Raw: []byte(result)}, nil
	}
}

func TestGuard(t *testing.T) {
	const result = `{"content":[{"type":"text","text":"the \"secret\" is here"},{"type":"image","data":"secrettoken","mimeType":"image/png"}],"structuredContent":{"k":["a token"]}}`
	tests := []struct {
		name, config, method, params string
		wantParams, wantResult       string // "" = unchanged
		wantBlocked                  bool
		wantEvents                   string
	}{
		{name: "mask both ways", config: `{}`, method: "tools/call", params: `{"name":"x","arguments":{"q":"my secret"}}`,
			wantParams: `{"name":"x","arguments":{"q":"my <SECRET>"}}`,
			wantResult: `{"content":[{"type":"text","text":"the \"<SECRET>\" is here"},{"type":"image","data":"secrettoken","mimeType":"image/png"}],"structuredContent":{"k":["a <TOKEN>"]}}`,
			wantEvents: "masked request secret 1; masked response secret 1; masked response token 1"},
		{name: "block a rule in the request", config: `{"actions":{"secret":"block"}}`, method: "tools/call", params: `{"name":"x","arguments":{"q":"my secret"}}`,
			wantBlocked: true, wantEvents: "blocked request secret 1"},
		{name: "log only", config: `{"action":"log"}`, method: "prompts/get", params: `{"name":"p","arguments":{"a":"token"}}`,
			wantEvents: "logged request token 1; logged response secret 1; logged response token 1"},
		{name: "responses off", config: `{"responses":false}`, method: "tools/call", params: `{"name":"x","arguments":{}}`,
			wantEvents: ""},
		{name: "per-server off", config: `{"servers":{"srv":{"enabled":false}}}`, method: "tools/call", params: `{"name":"x","arguments":{"q":"secret"}}`},
		{name: "resources/read: response only", config: `{"servers":{"srv":{"actions":{"token":"block"}}}}`, method: "resources/read", params: `{"uri":"secret://x"}`,
			wantBlocked: true, wantEvents: "masked response secret 1; blocked response token 1"},
		{name: "other methods pass", config: `{}`, method: "completion/complete", params: `{"argument":{"value":"secret"}}`},
		{name: "a failing detector blocks", config: `{}`, method: "tools/call", params: `{"name":"x","arguments":{"q":"PANIC"}}`,
			wantBlocked: true, wantEvents: "blocked request  0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, ev := newGuard(t, tt.config)
			var got []byte
			c := &plugin.Call{Method: tt.method, Params: []byte(tt.params), Server: "srv", Name: "x"}
			res, err := g.Handle(context.Background(), c, backend(result, &got))
			if tt.wantBlocked {
				var pe *plugin.Error
				blocked := (err == nil && res.Blocked == "test") || (errors.As(err, &pe) && pe.Code == plugin.CodeBlocked)
				if !blocked {
					t.Fatalf("not blocked: %v %v", res, err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				want := tt.wantResult
				if want == "" {
					want = result
				}
				if string(res.Raw) != want {
					t.Errorf("result\n got %s\nwant %s", res.Raw, want)
				}
				wantP := tt.wantParams
				if wantP == "" {
					wantP = tt.params
				}
				if string(got) != wantP {
					t.Errorf("backend got %s, want %s", got, wantP)
				}
			}
			var evs []string
			for _, e := range ev.got {
				evs = append(evs, strings.Join([]string{e.Type, e.Direction, e.Rule, itoa(e.Count)}, " "))
				if e.Server != "srv" || e.Plugin != "test" {
					t.Errorf("event %+v: wrong server or plugin", e)
				}
			}
			if strings.Join(evs, "; ") != tt.wantEvents {
				t.Errorf("events %q, want %q", strings.Join(evs, "; "), tt.wantEvents)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestGuardConfigErrors(t *testing.T) {
	for raw, want := range map[string]string{
		`{"action":"drop"}`:                         `gateway.plugins.test.action: unknown action "drop"`,
		`{"actions":{"nope":"mask"}}`:               `gateway.plugins.test.actions: unknown rule "nope" (known: secret, token)`,
		`{"servers":{"s":{"actions":{"x":"log"}}}}`: `gateway.plugins.test.servers.s.actions: unknown rule "x"`,
		`{"bogus":1}`:                               `gateway.plugins.test: unknown key "bogus"`,
		`{"servers":[]}`:                            `gateway.plugins.test.servers: expected an object`,
	} {
		_, err := New("test", json.RawMessage(raw), plugin.Env{}, []string{"secret", "token"},
			func(server string, sec *Section) (guard.Detector, Settings, error) {
				var st Settings
				return nil, st, sec.Decode(server, &st)
			})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New(%s) = %v, want an error containing %q", raw, err, want)
		}
	}
}
