// Package policy decides which principals, roles and scopes may use which
// tools, prompts and resources of the gateway, optionally depending on the
// arguments of the call (a CEL condition).
//
// The configuration is the "policies" list of the gateway section. [Parse]
// decodes and checks it, [New] compiles it into an [Engine], and the
// gateway asks the engine [Engine.Decide] for every call and
// [Engine.Visible] for every item of a list. With no policies the engine
// is disabled and allows everything; once any policy exists, whatever no
// applicable policy allows is denied. See README.md for the semantics.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Policy is one entry of gateway.policies.
//
// Principals, Roles and Scopes select the subjects the policy applies to:
// each non-empty selector must match (any of its values), and a policy
// with no selector applies to everyone. Allow and Deny are patterns over
// exposed names (see README.md); When is an optional CEL condition that
// restricts both lists to the calls for which it is true.
type Policy struct {
	Principals []string `json:"principals,omitempty"`
	Roles      []string `json:"roles,omitempty"`
	Scopes     []string `json:"scopes,omitempty"`
	Allow      []string `json:"allow,omitempty"`
	Deny       []string `json:"deny,omitempty"`
	When       string   `json:"when,omitempty"`
}

// configPath is the key path of the policies list in the configuration.
const configPath = "gateway.policies"

// policyKeys are the keys of one policy, in documentation order.
var policyKeys = []string{"principals", "roles", "scopes", "allow", "deny", "when"}

// keyAliases maps keys that people are likely to write, lower-cased, to
// the keys they mean.
var keyAliases = map[string]string{
	"principal":  "principals",
	"user":       "principals",
	"users":      "principals",
	"subject":    "principals",
	"subjects":   "principals",
	"role":       "roles",
	"group":      "roles",
	"groups":     "roles",
	"scope":      "scopes",
	"allowed":    "allow",
	"permit":     "allow",
	"denied":     "deny",
	"block":      "deny",
	"forbid":     "deny",
	"if":         "when",
	"condition":  "when",
	"cel":        "when",
	"expression": "when",
}

// Parse decodes the policies list of the gateway section strictly. An
// empty or null raw means no policies (authorization off) and returns nil.
//
// Every problem is reported, joined into one error, one line each, and
// each line starts with the key path of the value, such as
// "gateway.policies[2].allow[0]": a value that is not a list of objects,
// an unknown or duplicate key, a value of the wrong type, an empty string
// or an empty selector list, a policy with neither allow nor deny
// patterns, and a pattern that does not compile. Parse does not compile
// the When conditions; [New] does, and reports their errors with the same
// paths.
func Parse(raw json.RawMessage) ([]Policy, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var items []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		if !json.Valid(raw) {
			return nil, fmt.Errorf("%s: not valid JSON", configPath)
		}
		return nil, fmt.Errorf("%s: expected a list of policies, got %s", configPath, jsonKind(raw))
	}
	var errs []error
	ps := make([]Policy, 0, len(items))
	for i, item := range items {
		p, perrs := decodePolicy(i, item)
		errs = append(errs, perrs...)
		if len(perrs) == 0 {
			errs = append(errs, checkPolicy(i, p)...)
		} else {
			errs = append(errs, checkPatterns(i, p)...)
		}
		ps = append(ps, p)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ps, nil
}

// decodePolicy decodes the object item, reporting unknown and duplicate
// keys and values of the wrong type.
func decodePolicy(i int, item json.RawMessage) (Policy, []error) {
	var p Policy
	path := fmt.Sprintf("%s[%d]", configPath, i)
	item = bytes.TrimSpace(item)
	if len(item) == 0 || item[0] != '{' {
		return p, []error{fmt.Errorf("%s: expected an object (a policy), got %s", path, jsonKind(item))}
	}
	dec := json.NewDecoder(bytes.NewReader(item))
	if _, err := dec.Token(); err != nil { // '{'
		return p, []error{fmt.Errorf("%s: %v", path, err)}
	}
	var errs []error
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return p, append(errs, fmt.Errorf("%s: %v", path, err))
		}
		key, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return p, append(errs, fmt.Errorf("%s.%s: %v", path, key, err))
		}
		if seen[key] {
			errs = append(errs, fmt.Errorf("%s.%s: duplicate key; give each key once", path, key))
			continue
		}
		seen[key] = true
		kpath := path + "." + key
		switch key {
		case "principals":
			p.Principals, errs = decodeStrings(kpath, val, errs)
		case "roles":
			p.Roles, errs = decodeStrings(kpath, val, errs)
		case "scopes":
			p.Scopes, errs = decodeStrings(kpath, val, errs)
		case "allow":
			p.Allow, errs = decodeStrings(kpath, val, errs)
		case "deny":
			p.Deny, errs = decodeStrings(kpath, val, errs)
		case "when":
			if isNull(val) {
				break
			}
			if err := json.Unmarshal(val, &p.When); err != nil {
				errs = append(errs, fmt.Errorf("%s: expected a string (a CEL expression), got %s", kpath, jsonKind(val)))
			}
		default:
			errs = append(errs, fmt.Errorf("%s: %s", kpath, unknownKeyMsg(key)))
		}
	}
	return p, errs
}

// decodeStrings decodes a list of strings; null is the same as no list.
func decodeStrings(path string, val json.RawMessage, errs []error) ([]string, []error) {
	if isNull(val) {
		return nil, errs
	}
	var items []json.RawMessage
	if bytes.TrimSpace(val)[0] != '[' || json.Unmarshal(val, &items) != nil {
		return nil, append(errs, fmt.Errorf("%s: expected a list of strings, got %s", path, jsonKind(val)))
	}
	out := make([]string, 0, len(items))
	for j, item := range items {
		var s string
		if err := json.Unmarshal(item, &s); err != nil {
			errs = append(errs, fmt.Errorf("%s[%d]: expected a string, got %s", path, j, jsonKind(item)))
			continue
		}
		out = append(out, s)
	}
	return out, errs
}

// checkPolicy reports what is wrong with p apart from its condition:
// empty selector lists and values, no patterns, and patterns that do not
// compile. i is the index of p in the list.
func checkPolicy(i int, p Policy) []error {
	var errs []error
	path := fmt.Sprintf("%s[%d]", configPath, i)
	sel := func(key string, vals []string) {
		if vals != nil && len(vals) == 0 {
			errs = append(errs, fmt.Errorf("%s.%s: an empty list selects nobody; list at least one value, or remove the key to apply the policy to everyone", path, key))
		}
		for j, v := range vals {
			if v == "" {
				errs = append(errs, fmt.Errorf("%s.%s[%d]: empty string; name a %s", path, key, j, strings.TrimSuffix(key, "s")))
			}
		}
	}
	sel("principals", p.Principals)
	sel("roles", p.Roles)
	sel("scopes", p.Scopes)
	if len(p.Allow) == 0 && len(p.Deny) == 0 {
		errs = append(errs, fmt.Errorf("%s: the policy neither allows nor denies anything; add allow or deny patterns, or remove it", path))
	}
	errs = append(errs, checkPatterns(i, p)...)
	if p.When != "" && strings.TrimSpace(p.When) == "" {
		errs = append(errs, fmt.Errorf("%s.when: blank expression; write a CEL expression or remove the key", path))
	}
	return errs
}

// checkPatterns reports the patterns of p that do not compile.
func checkPatterns(i int, p Policy) []error {
	var errs []error
	path := fmt.Sprintf("%s[%d]", configPath, i)
	for j, pat := range p.Allow {
		if _, err := parsePattern(pat); err != nil {
			errs = append(errs, fmt.Errorf("%s.allow[%d]: %v", path, j, err))
		}
	}
	for j, pat := range p.Deny {
		if _, err := parsePattern(pat); err != nil {
			errs = append(errs, fmt.Errorf("%s.deny[%d]: %v", path, j, err))
		}
	}
	return errs
}

func isNull(val json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(val), []byte("null")) }

// jsonKind names the kind of JSON value v is, for messages: "a JSON string".
func jsonKind(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "a JSON object"
	case '[':
		return "a JSON list"
	case '"':
		return "a JSON string"
	case 't', 'f':
		return "true or false"
	case 'n':
		return "null"
	}
	return "a JSON number"
}

// unknownKeyMsg says that key is not a policy key and which key was
// probably meant.
func unknownKeyMsg(key string) string {
	list := strings.Join(policyKeys, ", ")
	if s := suggestKey(key); s != "" {
		return fmt.Sprintf("unknown key %q; did you mean %q? (valid keys: %s)", key, s, list)
	}
	return fmt.Sprintf("unknown key %q; remove it or use a valid key (valid keys: %s)", key, list)
}

// suggestKey returns the policy key closest to key, or "".
func suggestKey(key string) string {
	lk := strings.ToLower(key)
	for _, k := range policyKeys {
		if k == lk {
			return k
		}
	}
	if a, ok := keyAliases[lk]; ok {
		return a
	}
	best, bestD := "", 0
	for _, k := range policyKeys {
		if d := editDistance(lk, k); d <= max(1, len(k)/3) && (best == "" || d < bestD) {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 {
		return len(a)
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
