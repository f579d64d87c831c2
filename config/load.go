package config

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// minimalExample is shown when the file defines no servers.
const minimalExample = `{"mcpServers": {"github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"]}}}`

// Load reads and validates the file at path. lookupEnv is used for ${VAR}
// expansion (os.LookupEnv in production; tests pass a map-backed func);
// nil means os.LookupEnv. home is the user's home directory for "~"
// expansion; when it is empty a "~" is an error.
//
// A problem in the file's content is returned as *[Errors]; a file that
// cannot be read is returned as the wrapped [os.ReadFile] error.
func Load(path string, lookupEnv func(string) (string, bool), home string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the configuration: %w; check the path", err)
	}
	return Parse(path, data, lookupEnv, home)
}

// Parse is Load on bytes already read; path is used in messages and to
// resolve relative cwd and envFile values. Parse reads the envFile of a
// server from disk. Every problem found, up to 20, is returned in one
// *[Errors], in document order; the Config is nil then.
func Parse(path string, data []byte, lookupEnv func(string) (string, bool), home string) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	file := path
	if file == "" {
		file = "<config>"
	}
	l := &loader{
		file:   file,
		dir:    filepath.Dir(path),
		data:   data,
		lookup: lookupEnv,
		home:   home,
		lines:  newLineIndex(data),
	}
	cfg := l.load()
	if len(l.errs) > 0 {
		return nil, l.errors()
	}
	cfg.Path = path
	return cfg, nil
}

// loader holds the state of one Parse.
type loader struct {
	file   string
	dir    string
	data   []byte
	lookup func(string) (string, bool)
	home   string
	lines  lineIndex
	errs   []located
}

// located is an Error with the offset it is sorted by.
type located struct {
	off int
	err Error
}

func (l *loader) add(off int, path, msg string) {
	line, col := l.lines.pos(off)
	l.errs = append(l.errs, located{off, Error{File: l.file, Line: line, Col: col, Path: path, Msg: msg}})
}

func (l *loader) where(off int) string {
	line, col := l.lines.pos(off)
	return fmt.Sprintf("%s:%d:%d", l.file, line, col)
}

func (l *loader) errors() *Errors {
	sort.SliceStable(l.errs, func(i, j int) bool { return l.errs[i].off < l.errs[j].off })
	e := &Errors{}
	for i, x := range l.errs {
		if i == maxErrors {
			e.Omitted = len(l.errs) - maxErrors
			break
		}
		e.List = append(e.List, x.err)
	}
	return e
}

// raw returns the text of a value in the file.
func (l *loader) raw(v *node) string { return string(l.data[v.off:v.end]) }

func (l *loader) typeErr(v *node, p, want, hint string) {
	if hint == "" {
		switch {
		case v.kind == kindNull && strings.HasSuffix(p, "]"):
			hint = "remove the element or give " + want
		case v.kind == kindNull:
			hint = "remove the key or give " + want
		case want == "a string" && (v.kind == kindNumber || v.kind == kindBool):
			hint = fmt.Sprintf("quote the value: \"%s\"", l.raw(v))
		case want == "a boolean" && v.kind == kindString && (v.str == "true" || v.str == "false"):
			hint = "remove the quotes: " + v.str
		case want == "a boolean":
			hint = "use true or false"
		default:
			hint = "use " + want
		}
	}
	l.add(v.off, p, fmt.Sprintf("expected %s, got %s; %s", want, v.kind, hint))
}

// walk calls fn for every member of the object n whose key is in valid
// and reports the others.
func (l *loader) walk(n *node, p string, valid []string, fn func(m member, p string)) {
	for _, m := range n.fields {
		if !contains(valid, m.key) {
			l.add(m.keyOff, p, unknownKeyMsg(m.key, valid))
			continue
		}
		fn(m, joinKey(p, m.key))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// object reports whether v is an object, and reports it if not.
func (l *loader) object(v *node, p, hint string) bool {
	if v.kind != kindObject {
		l.typeErr(v, p, "an object", hint)
		return false
	}
	return true
}

func (l *loader) str(v *node, p string) (string, bool) {
	if v.kind != kindString {
		l.typeErr(v, p, "a string", "")
		return "", false
	}
	return v.str, true
}

func (l *loader) boolean(v *node, p string) bool {
	if v.kind != kindBool {
		l.typeErr(v, p, "a boolean", "")
	}
	return v.b
}

// strs returns the strings of an array of strings.
func (l *loader) strs(v *node, p, hint string) ([]string, bool) {
	if v.kind != kindArray {
		l.typeErr(v, p, "an array of strings", hint)
		return nil, false
	}
	ok := true
	list := make([]string, 0, len(v.elems))
	for i, e := range v.elems {
		s, good := l.str(e, joinIndex(p, i))
		ok = ok && good
		list = append(list, s)
	}
	return list, ok
}

// expanded returns a string value with ${VAR} references expanded.
func (l *loader) expanded(v *node, p string) (string, bool) {
	s, ok := l.str(v, p)
	if !ok {
		return "", false
	}
	s, err := ExpandVars(s, l.lookup)
	if err != nil {
		l.add(v.off, p, err.Error())
		return "", false
	}
	return s, true
}

// pathValue is expanded followed by "~" expansion and, when resolve is
// set, by resolving a relative path against the file's directory.
func (l *loader) pathValue(v *node, p string, resolve bool) (string, bool) {
	s, ok := l.expanded(v, p)
	if !ok {
		return "", false
	}
	s, err := expandTilde(s, l.home)
	if err != nil {
		l.add(v.off, p, err.Error())
		return "", false
	}
	if resolve && s != "" && !filepath.IsAbs(s) {
		s = filepath.Join(l.dir, s)
	}
	return s, true
}

// enum checks that a string value is one of values.
func (l *loader) enum(v *node, p string, values []string) (string, bool) {
	s, ok := l.str(v, p)
	if !ok {
		return "", false
	}
	if contains(values, s) {
		return s, true
	}
	if sug := suggestion(s, values); sug != "" {
		l.add(v.off, p, fmt.Sprintf("invalid value %q; did you mean %q? (valid values: %s)", s, sug, oneOf(values)))
	} else {
		l.add(v.off, p, fmt.Sprintf("invalid value %q; use %s", s, oneOf(values)))
	}
	return "", false
}

var topKeys = []string{"$schema", "gateway", "inputs", "mcpServers", "servers"}

func (l *loader) load() *Config {
	cfg := &Config{}
	root, dups, serr := parseJSON(l.data)
	if serr != nil {
		l.add(serr.off, "", "invalid JSON: "+serr.msg)
		return nil
	}
	for _, d := range dups {
		line, col := l.lines.pos(d.first)
		l.add(d.off, d.path, fmt.Sprintf("duplicate key %q (first at line %d, column %d); remove one of them", d.key, line, col))
	}
	if root.kind != kindObject {
		l.add(root.off, "", fmt.Sprintf("expected an object at the top level, got %s; write the configuration as %s", root.kind, minimalExample))
		return nil
	}
	var mcp, vs *member
	for i, m := range root.fields {
		p := joinKey("", m.key)
		switch m.key {
		case "$schema":
			l.str(m.val, p)
		case "gateway":
			l.gateway(m.val, p, &cfg.Gateway)
		case "inputs":
			if m.val.kind != kindArray {
				l.typeErr(m.val, p, "an array", "")
			}
		case "mcpServers":
			mcp = &root.fields[i]
		case "servers":
			vs = &root.fields[i]
		case "mcp":
			l.add(m.keyOff, "", `unknown key "mcp"; the VS Code settings.json form is not read by the gateway: move the object under "mcp" to the top level of its own file`)
		default:
			l.add(m.keyOff, "", unknownKeyMsg(m.key, topKeys))
		}
	}
	switch {
	case mcp != nil && vs != nil:
		second := max(mcp.keyOff, vs.keyOff)
		l.add(second, "", `both "mcpServers" and "servers" are present; keep one: "mcpServers" (Claude Desktop form) or "servers" (VS Code form)`)
	case mcp != nil:
		l.mcpServers(mcp.val, "mcpServers", cfg)
	case vs != nil:
		cfg.Format = "vscode"
		l.servers(vs.val, "servers", cfg)
	default:
		l.add(root.off, "", `no servers: the file has neither "mcpServers" nor "servers"; add one, for example `+minimalExample)
	}
	if cfg.Gateway.Separator == "" {
		cfg.Gateway.Separator = DefaultSeparator
	}
	if cfg.Gateway.MaxMessageBytes == 0 {
		cfg.Gateway.MaxMessageBytes = DefaultMaxMessageBytes
	}
	return cfg
}

// gateway decodes the top-level "gateway" object.
func (l *loader) gateway(n *node, p string, g *Gateway) {
	if !l.object(n, p, `write e.g. "gateway": {"separator": "__"}`) {
		return
	}
	valid, registered := gatewayKeys()
	for _, m := range n.fields {
		kp := joinKey(p, m.key)
		v := m.val
		switch m.key {
		case "separator":
			s, ok := l.expanded(v, kp)
			switch {
			case !ok:
			case s == "":
				l.add(v.off, kp, `the separator is empty; use a short string such as "__"`)
			case !onlyChars(s, "_.-"):
				l.add(v.off, kp, fmt.Sprintf("invalid separator %q; use only letters, digits, _, . and -", s))
			default:
				g.Separator = s
			}
		case "maxMessageBytes":
			var size int64
			switch v.kind {
			case kindNumber:
				n, ok := intValue(v.str)
				if !ok {
					l.add(v.off, kp, fmt.Sprintf(`invalid size %s; write a whole number of bytes or a size string such as "64MiB"`, v.str))
					continue
				}
				size = n
			case kindString:
				s, ok := l.expanded(v, kp)
				if !ok {
					continue
				}
				n, err := ParseSize(s)
				if err != nil {
					l.add(v.off, kp, err.Error())
					continue
				}
				size = n
			default:
				l.typeErr(v, kp, "a number or a size string", `write a number of bytes or a size such as "64MiB"`)
				continue
			}
			if size < 1024 {
				l.add(v.off, kp, fmt.Sprintf(`%d bytes is too small; use at least 1024 ("1KiB"), or leave the key out for the default of 32MiB`, size))
				continue
			}
			g.MaxMessageBytes = size
		case "pageSize":
			if v.kind != kindNumber {
				l.typeErr(v, kp, "a number", "")
				continue
			}
			n, ok := intValue(v.str)
			if !ok || n < 0 || n > math.MaxInt32 {
				l.add(v.off, kp, fmt.Sprintf("invalid page size %s; use a whole number of items, 0 or more (0: every item in one page)", v.str))
				continue
			}
			g.PageSize = int(n)
		default:
			if !registered[m.key] {
				l.add(m.keyOff, p, unknownKeyMsg(m.key, valid))
				continue
			}
			if g.Sections == nil {
				g.Sections = make(map[string]Section)
			}
			g.Sections[m.key] = Section{
				Raw:   append(json.RawMessage(nil), l.data[v.off:v.end]...),
				Where: l.where(v.off),
			}
		}
	}
}

// onlyChars reports whether s has only ASCII letters, digits and bytes
// of extra.
func onlyChars(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c) || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}

// mcpServers decodes the Claude Desktop and the nested forms.
func (l *loader) mcpServers(n *node, p string, cfg *Config) {
	if !l.object(n, p, "write the servers as an object, e.g. "+minimalExample) {
		return
	}
	var wrap *member
	for i, m := range n.fields {
		if m.val.kind != kindObject {
			continue
		}
		if _, ok := m.val.get("servers"); !ok {
			continue
		}
		if wrap != nil {
			l.add(m.keyOff, joinKey(p, m.key), fmt.Sprintf(`a second gateway entry with "servers" (the first is %q); keep one`, wrap.key))
			continue
		}
		wrap = &n.fields[i]
	}
	if wrap == nil {
		cfg.Format = "claude"
		l.servers(n, p, cfg)
		return
	}
	cfg.Format = "nested"
	for _, m := range n.fields {
		if m.key != wrap.key {
			cfg.Ignored = append(cfg.Ignored, m.key)
		}
	}
	sort.Strings(cfg.Ignored)
	wp := joinKey(p, wrap.key)
	w := &Wrapper{Name: wrap.key}
	l.walk(wrap.val, wp, wrapperKeys, func(m member, kp string) {
		switch m.key {
		case "command":
			w.Command, _ = l.str(m.val, kp)
		case "args":
			w.Args, _ = l.strs(m.val, kp, "")
		}
	})
	cfg.Wrapper = w
	servers, _ := wrap.val.get("servers")
	l.servers(servers.val, joinKey(wp, "servers"), cfg)
}

var serverKeys = []string{
	"alwaysAllow", "args", "autoApprove", "blocked", "command", "cwd",
	"description", "disabled", "disabledTools", "env", "envFile", "era", "headers",
	"isolation", "listRefresh", "loadBalancing", "maxConcurrency", "maxQueue", "oauth", "prefix",
	"replicas", "timeout", "tools", "type", "url",
}

// replicaKeys are the keys of one entry of "replicas".
var replicaKeys = []string{"args", "command", "cwd", "env", "envFile", "headers", "type", "url"}

// maxReplicas bounds the entries of "replicas".
const maxReplicas = 64

// wrapperKeys are the keys of the nested form's gateway entry: a server's
// keys and "servers".
var wrapperKeys = func() []string {
	k := append([]string{"servers"}, serverKeys...)
	sort.Strings(k)
	return k
}()

var (
	stdioKeys  = []string{"command", "args", "env", "envFile", "cwd"}
	remoteKeys = []string{"url", "headers", "oauth"}
)

// transportNames maps the accepted "type" values to transports.
var transportNames = map[string]string{
	"stdio":           TransportStdio,
	"http":            TransportHTTP,
	"streamable-http": TransportHTTP,
	"streamableHttp":  TransportHTTP,
	"streamable_http": TransportHTTP,
	"sse":             TransportSSE,
}

// servers decodes the object of backends and appends them, sorted, to
// cfg.Servers.
func (l *loader) servers(n *node, p string, cfg *Config) {
	if !l.object(n, p, "write the servers as an object, e.g. "+minimalExample) {
		return
	}
	if len(n.fields) == 0 {
		l.add(n.off, p, "no servers are defined; add at least one, for example "+minimalExample)
		return
	}
	type owner struct {
		name string
		off  int
	}
	prefixes := make(map[string]owner)
	for _, m := range n.fields {
		sp := joinKey(p, m.key)
		s, prefixOff, prefixPath := l.server(m.key, m.keyOff, m.val, sp, false)
		cfg.Servers = append(cfg.Servers, s)
		if !s.Active() || s.Prefix == "" {
			continue
		}
		if o, clash := prefixes[s.Prefix]; clash {
			line, _ := l.lines.pos(o.off)
			l.add(prefixOff, prefixPath, fmt.Sprintf(`prefix %q is also the prefix of server %q (line %d); give one of them a different "prefix"`, s.Prefix, o.name, line))
			continue
		}
		prefixes[s.Prefix] = owner{m.key, prefixOff}
	}
	sort.Slice(cfg.Servers, func(i, j int) bool { return cfg.Servers[i].Name < cfg.Servers[j].Name })
}

// server decodes one backend. It returns where its prefix comes from: the
// "prefix" value, or the server object for the default prefix.
//
// A replica (one entry of a server's "replicas") is decoded as a server of
// replicaKeys alone.
func (l *loader) server(name string, keyOff int, n *node, p string, replica bool) (s Server, prefixOff int, prefixPath string) {
	s = Server{Name: name, Prefix: name, Where: l.where(n.off)}
	prefixOff, prefixPath = n.off, p
	keys := serverKeys
	if replica {
		keys = replicaKeys
	}
	switch {
	case replica:
		if !l.object(n, p, `describe the replica, e.g. {"url": "http://10.0.0.1/mcp"} or {"command": "my-server"}`) {
			return
		}
	case name == "":
		l.add(keyOff, p, `the server name is empty; name the server, e.g. "github"`)
	case len(name) > 64:
		l.add(keyOff, p, fmt.Sprintf("the server name is %d bytes long; use at most 64", len(name)))
	case !onlyChars(name, "_.-"):
		l.add(keyOff, p, fmt.Sprintf("invalid server name %q; use only letters, digits, _, . and -", name))
	}
	if !l.object(n, p, `describe the server, e.g. {"command": "npx", "args": ["-y", "some-server"]}`) {
		return
	}
	present := make(map[string]member)
	var typ, typeRaw string
	var envFile *node
	var disabledTools []string
	l.walk(n, p, keys, func(m member, kp string) {
		present[m.key] = m
		v := m.val
		switch m.key {
		case "type":
			typeRaw, _ = l.str(v, kp)
			typ = l.transport(v, kp)
		case "command":
			if c, ok := l.pathValue(v, kp, false); ok {
				if c == "" {
					l.add(v.off, kp, `"command" is empty; give the program to run, e.g. "npx"`)
				}
				s.Command = c
			}
		case "args":
			if v.kind != kindArray {
				l.typeErr(v, kp, "an array of strings", `write one string per argument, e.g. ["-y", "some-server"]`)
				return
			}
			s.Args = make([]string, 0, len(v.elems))
			for i, e := range v.elems {
				a, _ := l.pathValue(e, joinIndex(kp, i), false)
				s.Args = append(s.Args, a)
			}
		case "env":
			s.Env = l.stringMap(v, kp, validEnvName)
		case "envFile":
			if f, ok := l.pathValue(v, kp, true); ok {
				if f == "" {
					l.add(v.off, kp, `"envFile" is empty; give the path of a file of KEY=VALUE lines, or remove the key`)
					return
				}
				s.EnvFile, envFile = f, v
			}
		case "cwd":
			s.Cwd, _ = l.pathValue(v, kp, true)
		case "url":
			if u, ok := l.expanded(v, kp); ok {
				if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Hostname() == "" {
					l.add(v.off, kp, fmt.Sprintf(`invalid URL %q: it must start with http:// or https:// and name a host; write e.g. "https://example.com/mcp"`, v.str))
					return
				}
				s.URL = u
			}
		case "headers":
			s.Headers = l.stringMap(v, kp, validHeaderName)
		case "oauth":
			if !l.object(v, kp, `write e.g. {"tokenUrl": "https://auth.example.com/token", "clientId": "gateway", "clientSecret": "${GATEWAY_SECRET}"}`) {
				return
			}
			if raw, ok := l.expandedJSON(v, kp, nil); ok {
				s.OAuth = &Section{Raw: raw, Where: l.where(v.off), Path: kp}
			}
		case "prefix":
			pr, ok := l.str(v, kp)
			if !ok {
				return
			}
			switch {
			case len(pr) > 32:
				l.add(v.off, kp, fmt.Sprintf("prefix %q is %d bytes long; use at most 32", pr, len(pr)))
			case !onlyChars(pr, "_-"):
				l.add(v.off, kp, fmt.Sprintf(`invalid prefix %q; use only letters, digits, _ and -, or "" for no prefix`, pr))
			default:
				s.Prefix, prefixOff, prefixPath = pr, v.off, kp
			}
		case "disabled":
			s.Disabled = l.boolean(v, kp)
		case "blocked":
			s.Blocked, _ = l.enum(v, kp, []string{"blocked", "skipped", "passed"})
		case "timeout":
			s.Timeout = l.timeout(v, kp)
		case "listRefresh":
			s.ListRefresh = l.timeout(v, kp)
		case "tools":
			l.tools(v, kp, &s)
		case "isolation":
			s.Isolation, _ = l.enum(v, kp, []string{IsolationShared, IsolationPerClient})
		case "era":
			s.Era, _ = l.enum(v, kp, []string{EraAuto, EraLegacy, EraModern})
		case "replicas":
			l.replicas(name, v, kp, &s)
		case "loadBalancing":
			l.balancing(v, kp, &s.Balancing)
		case "maxConcurrency":
			s.MaxConcurrency = l.count(v, kp, "calls in flight at once", 1)
		case "maxQueue":
			s.MaxQueue = l.count(v, kp, "calls waiting for a free slot (0: none wait)", 0)
		case "description":
			l.str(v, kp)
		case "alwaysAllow", "autoApprove":
			l.strs(v, kp, "")
		case "disabledTools":
			names, _ := l.strs(v, kp, "")
			for _, t := range names {
				disabledTools = append(disabledTools, globQuote(t))
			}
		}
	})
	s.ToolsDeny = append(s.ToolsDeny, disabledTools...)
	if envFile != nil {
		l.envFile(envFile, joinKey(p, "envFile"), &s)
	}
	// A misspelt "command" or "url" is reported as an unknown key with a
	// suggestion; saying that it is missing too would be noise.
	misspelt := false
	for _, m := range n.fields {
		if !contains(keys, m.key) {
			sug := suggestion(m.key, keys)
			misspelt = misspelt || sug == "command" || sug == "url"
		}
	}
	if _, ok := present["replicas"]; ok {
		l.replicaRules(p, present, &s)
	} else {
		l.transportRules(n, p, present, typ, typeRaw, misspelt, &s)
	}
	if s.MaxQueue == 0 && s.MaxConcurrency > 0 {
		if _, set := present["maxQueue"]; !set {
			s.MaxQueue = s.MaxConcurrency
		}
	}
	if _, set := present["maxQueue"]; set && s.MaxConcurrency == 0 {
		l.add(present["maxQueue"].keyOff, joinKey(p, "maxQueue"), `"maxQueue" bounds the calls waiting for "maxConcurrency"; set "maxConcurrency" too, or remove "maxQueue"`)
	}
	b := &s.Balancing
	b.HealthInterval = cmp.Or(b.HealthInterval, DefaultHealthInterval)
	b.HealthTimeout = cmp.Or(b.HealthTimeout, DefaultHealthTimeout)
	b.MaxFailures = cmp.Or(b.MaxFailures, DefaultMaxFailures)
	b.EjectFor = cmp.Or(b.EjectFor, DefaultEjectFor)
	b.Policy = cmp.Or(b.Policy, BalanceRoundRobin)
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	return s, prefixOff, prefixPath
}

// replicas decodes a server's "replicas": each entry is decoded like a
// server of replicaKeys alone.
func (l *loader) replicas(name string, v *node, p string, s *Server) {
	const hint = `list the instances, e.g. [{"url": "http://10.0.0.1/mcp"}, {"url": "http://10.0.0.2/mcp"}]`
	if v.kind != kindArray {
		l.typeErr(v, p, "an array of objects", hint)
		return
	}
	switch {
	case len(v.elems) == 0:
		l.add(v.off, p, "no replicas are listed; "+hint+`, or remove "replicas" and give "command" or "url"`)
		return
	case len(v.elems) > maxReplicas:
		l.add(v.off, p, fmt.Sprintf("%d replicas are listed; use at most %d", len(v.elems), maxReplicas))
		return
	}
	for i, e := range v.elems {
		r, _, _ := l.server(name, e.off, e, joinIndex(p, i), true)
		rep := r.Replica
		rep.Where = r.Where
		s.Replicas = append(s.Replicas, rep)
	}
}

// replicaRules checks a server with "replicas": the keys of one instance
// belong in each replica; the server's "env" and "headers" are merged
// into its replicas, and its first replica gives its transport.
func (l *loader) replicaRules(p string, present map[string]member, s *Server) {
	for _, k := range []string{"command", "args", "cwd", "envFile", "url"} {
		if m, ok := present[k]; ok {
			l.add(m.keyOff, joinKey(p, k), fmt.Sprintf(`%q describes one instance, but this server lists "replicas"; move %q into each replica`, k, k))
		}
	}
	// A server-level "type" is the type of remote replicas that give none.
	if m, ok := present["type"]; ok && m.val.kind == kindString {
		typ := transportNames[m.val.str]
		for i := range s.Replicas {
			r := &s.Replicas[i]
			switch {
			case typ == "" || !r.AutoDetect:
			case typ == TransportStdio:
				l.add(m.keyOff, joinKey(p, "type"), fmt.Sprintf(`"type" is "stdio", but replica %d has a "url"; give that replica its own "type", or remove "type" here`, i))
			default:
				r.Transport, r.AutoDetect = typ, false
			}
		}
	}
	for i := range s.Replicas {
		r := &s.Replicas[i]
		r.Env = merged(s.Env, r.Env)
		r.Headers = merged(s.Headers, r.Headers)
	}
	if len(s.Replicas) == 0 {
		return
	}
	s.Replica = s.Replicas[0]
	s.Replica.Where = "" // the server's place is s.Where
}

// merged returns base with over's entries on top (nil when both are
// empty).
func merged(base, over map[string]string) map[string]string {
	if len(base) == 0 {
		return over
	}
	out := maps.Clone(base)
	maps.Copy(out, over)
	return out
}

var balancingKeys = []string{"ejectFor", "healthCheckInterval", "healthCheckTimeout", "maxFailures", "policy"}

// balancing decodes a server's "loadBalancing".
func (l *loader) balancing(v *node, p string, b *Balancing) {
	if !l.object(v, p, `write e.g. {"policy": "least-inflight", "healthCheckInterval": "10s"}`) {
		return
	}
	l.walk(v, p, balancingKeys, func(m member, kp string) {
		switch m.key {
		case "policy":
			b.Policy, _ = l.enum(m.val, kp, []string{BalanceRoundRobin, BalanceLeastInflight, BalanceSession})
		case "healthCheckInterval":
			b.HealthInterval = l.timeout(m.val, kp)
		case "healthCheckTimeout":
			b.HealthTimeout = l.timeout(m.val, kp)
		case "ejectFor":
			b.EjectFor = l.timeout(m.val, kp)
		case "maxFailures":
			b.MaxFailures = l.count(m.val, kp, "consecutive failed calls that take a replica out of rotation", 1)
		}
	})
}

// count decodes a whole number of at least least; what says what it
// counts, for the error message.
func (l *loader) count(v *node, p, what string, least int64) int {
	if v.kind != kindNumber {
		l.typeErr(v, p, "a number", "")
		return 0
	}
	n, ok := intValue(v.str)
	if !ok || n < least || n > math.MaxInt32 {
		l.add(v.off, p, fmt.Sprintf("invalid number %s; give a whole number of %s, %d or more", v.str, what, least))
		return 0
	}
	return int(n)
}

// transport returns the transport named by a "type" value, or "".
func (l *loader) transport(v *node, p string) string {
	if v.kind != kindString {
		return ""
	}
	if t, ok := transportNames[v.str]; ok {
		return t
	}
	valid := make([]string, 0, len(transportNames))
	for k := range transportNames {
		valid = append(valid, k)
	}
	sort.Strings(valid)
	if sug := suggestion(v.str, valid); sug != "" {
		l.add(v.off, p, fmt.Sprintf(`unknown type %q; did you mean %q? (valid types: "stdio", "http" or "sse")`, v.str, sug))
	} else {
		l.add(v.off, p, fmt.Sprintf(`unknown type %q; use "stdio" for a local command, "http" for streamable HTTP or "sse" for legacy HTTP+SSE`, v.str))
	}
	return ""
}

// transportRules sets the transport from "type", "command" and "url" and
// reports keys that do not fit it.
// A missing "command" or "url" is not reported when misspelt is set.
func (l *loader) transportRules(n *node, p string, present map[string]member, typ, typeRaw string, misspelt bool, s *Server) {
	_, hasCmd := present["command"]
	u, hasURL := present["url"]
	misplaced := func(keys []string, msg string) {
		for _, k := range keys {
			if m, ok := present[k]; ok {
				l.add(m.keyOff, joinKey(p, k), fmt.Sprintf(msg, k, k))
			}
		}
	}
	switch typ {
	case TransportStdio:
		s.Transport = TransportStdio
		misplaced(remoteKeys, `%q is for remote servers, but "type" is "`+typeRaw+`"; remove %q, or set "type" to "http" or "sse"`)
		if !hasCmd && !misspelt {
			l.add(n.off, p, `missing "command": a stdio server runs a program; add e.g. "command": "npx"`)
		}
	case TransportHTTP, TransportSSE:
		s.Transport = typ
		misplaced(stdioKeys, `%q is for stdio servers, but "type" is "`+typeRaw+`"; remove %q, or set "type" to "stdio"`)
		if !hasURL && !misspelt {
			l.add(n.off, p, `missing "url": a remote server is reached at a URL; add e.g. "url": "https://example.com/mcp"`)
		}
	default:
		switch {
		case hasCmd && hasURL:
			l.add(u.keyOff, joinKey(p, "url"), `both "command" and "url" are set; a server is either local ("command") or remote ("url"): remove one`)
		case hasCmd:
			s.Transport = TransportStdio
			misplaced(remoteKeys, `%q is for remote servers, but this server has "command"; remove %q, or replace "command" with "url"`)
		case hasURL:
			s.Transport, s.AutoDetect = TransportHTTP, true
			misplaced(stdioKeys, `%q is for stdio servers, but this server has "url"; remove %q, or replace "url" with "command"`)
		case typeRaw == "" && !misspelt:
			l.add(n.off, p, `missing "command" or "url"; add "command" to start a local server or "url" to reach a remote one`)
		}
	}
}

// expandedJSON returns the JSON text of v with ${VAR} references expanded
// in every string value (not in keys), for sections decoded by the package
// that owns them.
func (l *loader) expandedJSON(v *node, p string, out []byte) ([]byte, bool) {
	ok := true
	switch v.kind {
	case kindString:
		s, good := l.expanded(v, p)
		ok = good
		out = appendJSONString(out, s)
	case kindObject:
		out = append(out, '{')
		for i, m := range v.fields {
			if i > 0 {
				out = append(out, ',')
			}
			out = appendJSONString(out, m.key)
			out = append(out, ':')
			var good bool
			out, good = l.expandedJSON(m.val, joinKey(p, m.key), out)
			ok = ok && good
		}
		out = append(out, '}')
	case kindArray:
		out = append(out, '[')
		for i, e := range v.elems {
			if i > 0 {
				out = append(out, ',')
			}
			var good bool
			out, good = l.expandedJSON(e, joinIndex(p, i), out)
			ok = ok && good
		}
		out = append(out, ']')
	default:
		out = append(out, l.data[v.off:v.end]...)
	}
	return out, ok
}

func appendJSONString(out []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(out, b...)
}

// stringMap decodes an object of strings, expanding ${VAR} in values.
// badKey returns a message for an invalid key, or "".
func (l *loader) stringMap(v *node, p string, badKey func(string) string) map[string]string {
	if !l.object(v, p, `write e.g. {"NAME": "value"}`) {
		return nil
	}
	var out map[string]string
	for _, m := range v.fields {
		kp := joinKey(p, m.key)
		if msg := badKey(m.key); msg != "" {
			l.add(m.keyOff, kp, msg)
			continue
		}
		s, ok := l.expanded(m.val, kp)
		if !ok {
			continue
		}
		if out == nil {
			out = make(map[string]string)
		}
		out[m.key] = s
	}
	return out
}

func validEnvName(k string) string {
	if k == "" || strings.ContainsAny(k, "=\x00") {
		return fmt.Sprintf("invalid environment variable name %q; use a non-empty name without \"=\"", k)
	}
	return ""
}

func validHeaderName(k string) string {
	if k == "" || !onlyChars(k, "!#$%&'*+-.^_`|~") {
		return fmt.Sprintf("invalid header name %q; use letters, digits and - (e.g. \"Authorization\")", k)
	}
	return ""
}

// envFile reads the server's env file into s.Env; "env" entries win.
func (l *loader) envFile(v *node, p string, s *Server) {
	data, err := readEnvFile(s.EnvFile)
	if err != nil {
		l.add(v.off, p, fmt.Sprintf("cannot read the env file: %v; check the path (a relative path is resolved against the directory of %s)", err, l.file))
		return
	}
	vars, errs := parseDotenv(data)
	for _, e := range errs {
		l.errs = append(l.errs, located{v.off, Error{File: s.EnvFile, Line: e.line, Col: e.col, Path: p, Msg: e.msg}})
	}
	for k, val := range vars {
		if _, set := s.Env[k]; set {
			continue
		}
		if s.Env == nil {
			s.Env = make(map[string]string)
		}
		s.Env[k] = val
	}
}

// timeout decodes a duration string or a number of seconds.
func (l *loader) timeout(v *node, p string) time.Duration {
	const hint = `use a duration such as "30s" or "2m", or a number of seconds`
	var d time.Duration
	switch v.kind {
	case kindString:
		var err error
		d, err = time.ParseDuration(v.str)
		if err != nil {
			if _, nerr := strconv.ParseFloat(v.str, 64); nerr == nil {
				l.add(v.off, p, fmt.Sprintf(`invalid duration %q: it has no unit; write "%ss", or %s without quotes for seconds`, v.str, v.str, v.str))
			} else {
				l.add(v.off, p, fmt.Sprintf("invalid duration %q; %s", v.str, hint))
			}
			return 0
		}
	case kindNumber:
		f, err := strconv.ParseFloat(v.str, 64)
		if err != nil || f*float64(time.Second) >= math.MaxInt64 {
			l.add(v.off, p, fmt.Sprintf("timeout %s is too large; %s", v.str, hint))
			return 0
		}
		d = time.Duration(f * float64(time.Second))
	default:
		l.typeErr(v, p, "a duration string or a number of seconds", hint)
		return 0
	}
	if d <= 0 {
		key := p[strings.LastIndexByte(p, '.')+1:]
		def := "the default"
		if key == "timeout" {
			def = "the default of 60s"
		}
		l.add(v.off, p, fmt.Sprintf("%s %s must be greater than 0; %s, or leave the key out for %s", key, l.raw(v), hint, def))
		return 0
	}
	return d
}

// tools decodes {"allow": [...], "deny": [...]}.
func (l *loader) tools(v *node, p string, s *Server) {
	if !l.object(v, p, `write e.g. {"allow": ["read_*"], "deny": ["delete_*"]}`) {
		return
	}
	l.walk(v, p, []string{"allow", "deny"}, func(m member, kp string) {
		globs, _ := l.strs(m.val, kp, `write e.g. ["read_*", "list_*"]`)
		var good []string
		for i, g := range globs {
			if m.val.elems[i].kind != kindString {
				continue
			}
			if _, err := path.Match(g, ""); err != nil {
				l.add(m.val.elems[i].off, joinIndex(kp, i), fmt.Sprintf(`invalid glob %q: %v; fix the pattern (* matches any run of characters, ? one character, [a-z] a class, \ escapes the next character)`, g, err))
				continue
			}
			good = append(good, g)
		}
		if m.key == "allow" {
			s.ToolsAllow = good
		} else {
			s.ToolsDeny = append(s.ToolsDeny, good...)
		}
	})
}

// globQuote escapes the glob metacharacters of a tool name.
func globQuote(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if strings.IndexByte(`*?[\`, name[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(name[i])
	}
	return b.String()
}
