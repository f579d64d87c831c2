package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Dump returns a stable text form of the configuration for golden tests:
// one "key: value" line per setting, strings quoted with %q, maps sorted
// by key, and a block per server in Servers order. A server's transport,
// prefix and timeout are always printed; its other fields only when set
// (a nil slice or map is left out, an empty one is printed). Env and
// header values are printed as they are, secrets included.
func (c *Config) Dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "path: %q\n", c.Path)
	fmt.Fprintf(&b, "format: %q\n", c.Format)
	if c.Wrapper == nil {
		b.WriteString("wrapper: none\n")
	} else {
		fmt.Fprintf(&b, "wrapper: name=%q command=%q args=%s\n", c.Wrapper.Name, c.Wrapper.Command, dumpList(c.Wrapper.Args))
	}
	fmt.Fprintf(&b, "ignored: %s\n", dumpList(c.Ignored))
	g := c.Gateway
	fmt.Fprintf(&b, "gateway.separator: %q\n", g.Separator)
	fmt.Fprintf(&b, "gateway.maxMessageBytes: %d\n", g.MaxMessageBytes)
	fmt.Fprintf(&b, "gateway.pageSize: %d\n", g.PageSize)
	names := make([]string, 0, len(g.Sections))
	for n := range g.Sections {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := g.Sections[n]
		var compact bytes.Buffer
		if err := json.Compact(&compact, s.Raw); err != nil {
			compact.Reset()
			compact.WriteString("invalid: " + err.Error())
		}
		fmt.Fprintf(&b, "gateway.sections[%q]: %s at %s\n", n, compact.String(), s.Where)
	}
	for _, s := range c.Servers {
		fmt.Fprintf(&b, "server %q at %s\n", s.Name, s.Where)
		fmt.Fprintf(&b, "  transport: %q autoDetect: %t active: %t\n", s.Transport, s.AutoDetect, s.Active())
		fmt.Fprintf(&b, "  prefix: %q timeout: %s\n", s.Prefix, s.Timeout)
		field := func(name string, value any, zero bool) {
			if !zero {
				fmt.Fprintf(&b, "  %s: %v\n", name, value)
			}
		}
		field("command", fmt.Sprintf("%q", s.Command), s.Command == "")
		field("args", dumpList(s.Args), s.Args == nil)
		field("env", dumpMap(s.Env), s.Env == nil)
		field("envFile", fmt.Sprintf("%q", s.EnvFile), s.EnvFile == "")
		field("cwd", fmt.Sprintf("%q", s.Cwd), s.Cwd == "")
		field("url", fmt.Sprintf("%q", s.URL), s.URL == "")
		field("headers", dumpMap(s.Headers), s.Headers == nil)
		field("disabled", s.Disabled, !s.Disabled)
		field("blocked", fmt.Sprintf("%q", s.Blocked), s.Blocked == "")
		field("toolsAllow", dumpList(s.ToolsAllow), s.ToolsAllow == nil)
		field("toolsDeny", dumpList(s.ToolsDeny), s.ToolsDeny == nil)
		field("isolation", fmt.Sprintf("%q", s.Isolation), s.Isolation == "")
		field("era", fmt.Sprintf("%q", s.Era), s.Era == "")
	}
	return b.String()
}

func dumpList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func dumpMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = fmt.Sprintf("%q: %q", k, m[k])
	}
	return "{" + strings.Join(q, ", ") + "}"
}
