package gateway

import (
	"testing"

	"github.com/mcpgw/mcp-gateway/catalog"
)

func TestListCacheHints(t *testing.T) {
	page := func(h cacheHint, first bool, ttl, scope string) cacheHint {
		var tb, sb []byte
		if ttl != "" {
			tb = []byte(ttl)
		}
		if scope != "" {
			sb = []byte(scope)
		}
		return h.page(first, tb, sb)
	}
	modern := page(page(cacheHint{}, true, "60000", `"public"`), false, "30000", `"public"`)
	private := page(cacheHint{}, true, "90000", `"private"`)
	legacy := page(cacheHint{}, true, "", "")
	item := [][]byte{[]byte(`{"name":"x"}`)}
	cases := []struct {
		name    string
		hints   []cacheHint
		ttl     int64
		private bool
	}{
		{"one modern backend: its smallest page TTL", []cacheHint{modern}, 30000, false},
		{"two modern: the smallest, private wins", []cacheHint{modern, private}, 30000, true},
		{"a legacy backend says nothing: 0", []cacheHint{modern, legacy}, 0, false},
		{"no backend: 0", nil, 0, false},
	}
	for _, c := range cases {
		g := &Gateway{}
		set := &serverSet{}
		for _, h := range c.hints {
			b := &backend{g: g}
			b.lists[catalog.Tools] = item
			b.hints[catalog.Tools] = h
			set.backends = append(set.backends, b)
		}
		g.servers.Store(set)
		got := g.listHint(catalog.Tools)
		if got.ttlMs() != c.ttl || got.private != c.private {
			t.Errorf("%s: ttl %d private %v, want %d %v", c.name, got.ttlMs(), got.private, c.ttl, c.private)
		}
	}
}
