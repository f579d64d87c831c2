package contentguard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/mcpgw/mcp-gateway/config"
)

// Action is what a guardrail does with a finding.
type Action string

// The actions: mask replaces the finding with <LABEL>; block refuses the
// call (a request) or withholds the result (a response); log only reports
// the finding.
const (
	Mask  Action = "mask"
	Block Action = "block"
	Log   Action = "log"
)

// Settings are the keys every content guardrail understands, at the top
// of its section and in each per-server override.
type Settings struct {
	// Action is the default action for findings ("mask").
	Action Action `json:"action"`
	// Actions overrides the action per rule id or entity name.
	Actions map[string]Action `json:"actions"`
	// Requests and Responses turn the scan of each direction on or off
	// (both on by default).
	Requests  *bool `json:"requests"`
	Responses *bool `json:"responses"`
	// Enabled turns the guardrail off for a server when false.
	Enabled *bool `json:"enabled"`
}

func (s Settings) check(where string, rules map[string]bool) error {
	if err := s.Action.check(where + ".action"); err != nil {
		return err
	}
	for id, a := range s.Actions {
		if !rules[id] {
			return fmt.Errorf("%s.actions: unknown rule %q (known: %s)", where, id, strings.Join(sortedKeys(rules), ", "))
		}
		if err := a.check(where + ".actions." + id); err != nil {
			return err
		}
	}
	return nil
}

func (a Action) check(where string) error {
	switch a {
	case "", Mask, Block, Log:
		return nil
	}
	return fmt.Errorf("%s: unknown action %q (use mask, block or log)", where, a)
}

// Section splits a guardrail's raw config section into the top-level keys
// and the per-server overrides ("servers": {"<name>": {...}}), and gives,
// for one server, the raw section with that server's keys laid over the
// top-level ones, ready for the plugin's own strict decoding.
type Section struct {
	name    string
	top     map[string]json.RawMessage
	servers map[string]map[string]json.RawMessage
}

// ParseSection reads the raw section of plugin name (nil: empty).
func ParseSection(name string, raw json.RawMessage) (*Section, error) {
	s := &Section{name: name, top: map[string]json.RawMessage{}, servers: map[string]map[string]json.RawMessage{}}
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return s, nil
	}
	if err := json.Unmarshal(raw, &s.top); err != nil {
		return nil, fmt.Errorf("gateway.plugins.%s: expected an object: %v", name, err)
	}
	if sv, ok := s.top["servers"]; ok {
		delete(s.top, "servers")
		var per map[string]json.RawMessage
		if err := json.Unmarshal(sv, &per); err != nil {
			return nil, fmt.Errorf("gateway.plugins.%s.servers: expected an object with one key per server: %v", name, err)
		}
		for srv, o := range per {
			m := map[string]json.RawMessage{}
			if err := json.Unmarshal(o, &m); err != nil {
				return nil, fmt.Errorf("gateway.plugins.%s.servers.%s: expected an object: %v", name, srv, err)
			}
			s.servers[srv] = m
		}
	}
	return s, nil
}

// Where returns the key path of the section ("" server) or of one
// server's override, for error messages.
func (s *Section) Where(server string) string {
	if server == "" {
		return "gateway.plugins." + s.name
	}
	return "gateway.plugins." + s.name + ".servers." + server
}

// PerServer is a value built for the section's top level and for each
// server override: what applies to one server.
type PerServer[T any] struct {
	def T
	per map[string]T
}

// BuildPerServer builds mk("") and mk(server) for every server override.
func BuildPerServer[T any](sec *Section, mk func(server string) (T, error)) (PerServer[T], error) {
	ps := PerServer[T]{per: map[string]T{}}
	var err error
	if ps.def, err = mk(""); err != nil {
		return ps, err
	}
	for _, s := range sec.Servers() {
		if ps.per[s], err = mk(s); err != nil {
			return ps, err
		}
	}
	return ps, nil
}

// For returns what applies to server: its override, or the default.
func (ps PerServer[T]) For(server string) T {
	if v, ok := ps.per[server]; ok {
		return v
	}
	return ps.def
}

// Servers returns the names of the servers with overrides, sorted.
func (s *Section) Servers() []string {
	out := make([]string, 0, len(s.servers))
	for n := range s.servers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Decode decodes strictly into v the top-level keys ("" server) or those
// of server laid over them. Errors name the key path.
func (s *Section) Decode(server string, v any) error {
	m := map[string]json.RawMessage{}
	for k, r := range s.top {
		m[k] = r
	}
	path := s.name
	if server != "" {
		path += ".servers." + server
		for k, r := range s.servers[server] {
			m[k] = r
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	sec := config.Section{Raw: raw, Where: "config"}
	if err := sec.Decode("plugins."+path, v); err != nil {
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "config: "))
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
