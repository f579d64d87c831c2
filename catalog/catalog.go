// Package catalog merges the tools, prompts, resources and resource
// templates of many backends into one namespaced catalog, and answers the
// routing questions of the hot path: which backend owns this exposed tool
// name, prompt name or resource URI.
//
// A [Snapshot] is immutable; the gateway swaps in a new one when a backend's
// lists change, so lookups take no lock. Item definitions are kept raw: the
// only bytes the catalog changes are the "name" of tools and prompts.
package catalog

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

// Kind is one of the four catalogued list kinds.
type Kind int

// The list kinds, with their list method and result key.
const (
	Tools Kind = iota
	Prompts
	Resources
	Templates
	numKinds
)

// ResultKey is the key of the list in the list result ("tools", ...).
func (k Kind) ResultKey() string {
	return [...]string{"tools", "prompts", "resources", "resourceTemplates"}[k]
}

// ListMethod is the JSON-RPC method that lists the kind.
func (k Kind) ListMethod() string {
	return [...]string{"tools/list", "prompts/list", "resources/list", "resources/templates/list"}[k]
}

// KindOfListMethod returns the kind listed by method.
func KindOfListMethod(method string) (Kind, bool) {
	for k := Kind(0); k < numKinds; k++ {
		if k.ListMethod() == method {
			return k, true
		}
	}
	return 0, false
}

// MaxNameLen is the longest exposed tool or prompt name.
const MaxNameLen = 64

// Item is one catalogued definition.
type Item struct {
	Server string // backend name
	// Name is the backend's own name (tools, prompts), URI (resources) or
	// URI template (templates).
	Name string
	// Exposed is what the client sees: the namespaced name, or the URI.
	Exposed string
	// Raw is the definition as sent to the client.
	Raw []byte
}

// ServerLists are one backend's raw list items, as fetched.
type ServerLists struct {
	Server string
	// Prefix is joined to tool and prompt names with the separator; ""
	// exposes names unprefixed.
	Prefix string
	// Items holds raw definitions per Kind.
	Items [numKinds][][]byte
	// ToolsAllow and ToolsDeny are globs over the backend's tool names.
	ToolsAllow, ToolsDeny []string
	// Hide, if set, is asked about every item that passed the filters,
	// with the definition as the backend sent it (raw); an item it hides
	// (reason != "") is left out and remembered, so that Hidden can say
	// why it is missing.
	Hide func(k Kind, it Item, raw []byte) (reason string)
}

// Snapshot is an immutable merged catalog.
type Snapshot struct {
	items  [numKinds][]Item
	byName [numKinds]map[string]int // exposed name/URI → index in items
	tmpl   []template
	full   [numKinds][]byte // precomputed result with every item, no cursor
	hidden [numKinds]map[string]Hiding
	// Problems lists what was left out and why (name clashes, malformed
	// definitions), for logs and get_metadata.
	Problems []string
}

// Hiding says why an item was hidden from the catalog.
type Hiding struct {
	Server string
	Reason string
}

type template struct {
	re     *regexp.Regexp
	server string
}

// Build merges the servers' lists, in the order given. Reserved exposed
// names (the gateway's own tools) are never given to a backend.
func Build(sep string, servers []ServerLists, reserved map[Kind][]Item) *Snapshot {
	s := &Snapshot{}
	for k := range s.byName {
		s.byName[k] = make(map[string]int)
	}
	add := func(k Kind, it Item, ownerOf func(int) string) {
		if prev, dup := s.byName[k][it.Exposed]; dup {
			s.Problems = append(s.Problems, fmt.Sprintf(
				"%s %q of server %s clashes with the one of %s and is hidden; give one of the servers a distinct \"prefix\"",
				kindNoun(k), it.Exposed, it.Server, ownerOf(prev)))
			return
		}
		s.byName[k][it.Exposed] = len(s.items[k])
		s.items[k] = append(s.items[k], it)
	}
	for k, its := range reserved {
		for _, it := range its {
			add(k, it, nil)
		}
	}
	for _, sl := range servers {
		for k := Kind(0); k < numKinds; k++ {
			for _, raw := range sl.Items[k] {
				it, err := makeItem(k, sep, sl, raw)
				if err != nil {
					s.Problems = append(s.Problems, fmt.Sprintf("server %s: a %s was left out: %v", sl.Server, kindNoun(k), err))
					continue
				}
				if it == nil {
					continue // filtered out by allow/deny
				}
				if sl.Hide != nil {
					if why := sl.Hide(k, *it, raw); why != "" {
						if s.hidden[k] == nil {
							s.hidden[k] = map[string]Hiding{}
						}
						s.hidden[k][it.Exposed] = Hiding{Server: sl.Server, Reason: why}
						continue
					}
				}
				kk := k
				add(k, *it, func(i int) string {
					if o := s.items[kk][i].Server; o != "" {
						return "server " + o
					}
					return "the gateway"
				})
				if k == Templates {
					s.tmpl = append(s.tmpl, template{re: templateRegexp(it.Name), server: sl.Server})
				}
			}
		}
	}
	for k := Kind(0); k < numKinds; k++ {
		s.full[k] = s.page(k, 0, len(s.items[k]), "")
	}
	return s
}

// Noun names the kind in the singular: "tool", "prompt", "resource",
// "template".
func (k Kind) Noun() string {
	return [...]string{"tool", "prompt", "resource", "template"}[k]
}

func kindNoun(k Kind) string {
	return [...]string{"tool", "prompt", "resource", "resource template"}[k]
}

func makeItem(k Kind, sep string, sl ServerLists, raw []byte) (*Item, error) {
	key := "name"
	switch k {
	case Resources:
		key = "uri"
	case Templates:
		key = "uriTemplate"
	}
	v, err := jsonrpc.Get(raw, key)
	if err != nil {
		return nil, err
	}
	name, err := jsonrpc.String(v)
	if err != nil || name == "" {
		return nil, fmt.Errorf("no %q string", key)
	}
	it := &Item{Server: sl.Server, Name: name, Exposed: name, Raw: raw}
	if k == Tools && !allowed(name, sl.ToolsAllow, sl.ToolsDeny) {
		return nil, nil
	}
	if k == Tools || k == Prompts {
		it.Exposed = ExposedName(sl.Server, sl.Prefix, sep, name)
		if it.Exposed != name {
			if it.Raw, err = jsonrpc.SetField(raw, "name", jsonrpc.AppendString(nil, it.Exposed)); err != nil {
				return nil, err
			}
		}
	}
	return it, nil
}

func allowed(name string, allow, deny []string) bool {
	for _, g := range deny {
		if ok, _ := path.Match(g, name); ok {
			return false
		}
	}
	if len(allow) == 0 {
		return true
	}
	for _, g := range allow {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// ExposedName returns the name the client sees for a backend's tool or
// prompt: prefix + sep + name, within MaxNameLen characters of
// [A-Za-z0-9_-]. A name that needs changing beyond the prefix (other
// characters, or too long) keeps a readable head and gets a stable hash of
// server and name as suffix, so distinct names never collide.
func ExposedName(server, prefix, sep, name string) string {
	full := name
	if prefix != "" {
		full = prefix + sep + name
	}
	if validName(full) {
		return full
	}
	h := sha256.Sum256([]byte(server + "\x00" + name))
	suffix := "_" + hex.EncodeToString(h[:4])
	b := []byte(full)
	for i, c := range b {
		if !nameChar(c) {
			b[i] = '_'
		}
	}
	if len(b) > MaxNameLen-len(suffix) {
		b = b[:MaxNameLen-len(suffix)]
	}
	return string(b) + suffix
}

func nameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func validName(s string) bool {
	if s == "" || len(s) > MaxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !nameChar(s[i]) {
			return false
		}
	}
	return true
}

// templateRegexp compiles an RFC 6570 URI template into a matcher: simple
// expressions match one path segment, reserved and fragment expansions
// ({+x}, {#x}) and the others match anything.
func templateRegexp(t string) *regexp.Regexp {
	var sb strings.Builder
	sb.WriteString("^")
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			sb.WriteString(regexp.QuoteMeta(t))
			break
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			sb.WriteString(regexp.QuoteMeta(t))
			break
		}
		sb.WriteString(regexp.QuoteMeta(t[:i]))
		expr := t[i+1 : i+j]
		if expr != "" && (expr[0] >= 'a' && expr[0] <= 'z' || expr[0] >= 'A' && expr[0] <= 'Z' || expr[0] == '_' || expr[0] >= '0' && expr[0] <= '9') {
			sb.WriteString(`[^/?#]*`)
		} else {
			sb.WriteString(`.*`)
		}
		t = t[i+j+1:]
	}
	sb.WriteString("$")
	return regexp.MustCompile(sb.String())
}

// Lookup returns the item with the exposed name (or URI, for resources and
// templates) of kind k.
func (s *Snapshot) Lookup(k Kind, exposed string) (*Item, bool) {
	i, ok := s.byName[k][exposed]
	if !ok {
		return nil, false
	}
	return &s.items[k][i], true
}

// Hidden reports whether the item clients would know as exposed was
// hidden by ServerLists.Hide, and why.
func (s *Snapshot) Hidden(k Kind, exposed string) (Hiding, bool) {
	h, ok := s.hidden[k][exposed]
	return h, ok
}

// HiddenItems returns the exposed names of the hidden items of kind k,
// sorted, with why each was hidden.
func (s *Snapshot) HiddenItems(k Kind) ([]string, []Hiding) {
	names := make([]string, 0, len(s.hidden[k]))
	for n := range s.hidden[k] {
		names = append(names, n)
	}
	sort.Strings(names)
	hs := make([]Hiding, len(names))
	for i, n := range names {
		hs[i] = s.hidden[k][n]
	}
	return names, hs
}

// Items returns the items of kind k, in catalog order. Do not modify.
func (s *Snapshot) Items(k Kind) []Item { return s.items[k] }

// ResourceOwner returns the backend that owns uri: the one listing it
// exactly, else the first whose template matches it.
func (s *Snapshot) ResourceOwner(uri string) (string, bool) {
	if it, ok := s.Lookup(Resources, uri); ok {
		return it.Server, true
	}
	for _, t := range s.tmpl {
		if t.re.MatchString(uri) {
			return t.server, true
		}
	}
	return "", false
}

// List returns the raw list result for kind k starting at cursor ("" for
// the first page), with at most pageSize items (0: all).
func (s *Snapshot) List(k Kind, cursor string, pageSize int) ([]byte, error) {
	start := 0
	if cursor != "" {
		var err error
		if start, err = decodeCursor(cursor); err != nil || start > len(s.items[k]) {
			return nil, fmt.Errorf("invalid cursor %q: not one this gateway issued, or the list changed; list again from the start", cursor)
		}
	}
	n := len(s.items[k]) - start
	if start == 0 && (pageSize <= 0 || pageSize >= n) {
		return s.full[k], nil
	}
	next := ""
	if pageSize > 0 && pageSize < n {
		n = pageSize
		next = encodeCursor(start + n)
	}
	return s.page(k, start, start+n, next), nil
}

func (s *Snapshot) page(k Kind, from, to int, next string) []byte {
	size := 32
	for _, it := range s.items[k][from:to] {
		size += len(it.Raw) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, `{"`...)
	b = append(b, k.ResultKey()...)
	b = append(b, `":[`...)
	for i, it := range s.items[k][from:to] {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it.Raw...)
	}
	b = append(b, ']')
	if next != "" {
		b = append(b, `,"nextCursor":`...)
		b = jsonrpc.AppendString(b, next)
	}
	return append(b, '}')
}

const cursorPrefix = "mcpgw1:"

func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.Itoa(offset)))
}

func decodeCursor(c string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), cursorPrefix) {
		return 0, fmt.Errorf("malformed cursor")
	}
	n, err := strconv.Atoi(string(b[len(cursorPrefix):]))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("malformed cursor")
	}
	return n, nil
}
