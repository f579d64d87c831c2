package catalog

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func TestExposedName(t *testing.T) {
	valid := regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	long := strings.Repeat("very_long_tool_name_", 5)
	tests := []struct {
		server, prefix, name string
		want                 string // "" = only check validity and stability
	}{
		{"everything", "everything", "get-sum", "everything__get-sum"},
		{"a", "", "echo", "echo"},
		{"gh", "gh", "create_issue", "gh__create_issue"},
		{"x", "x", "dotted.name", ""},
		{"x", "x", long, ""},
		{"x", "", "with space/slash", ""},
	}
	for _, tt := range tests {
		got := ExposedName(tt.server, tt.prefix, "__", tt.name)
		if tt.want != "" && got != tt.want {
			t.Errorf("ExposedName(%q, %q) = %q, want %q", tt.prefix, tt.name, got, tt.want)
		}
		if !valid.MatchString(got) {
			t.Errorf("ExposedName(%q, %q) = %q: not 1-64 chars of [A-Za-z0-9_-]", tt.prefix, tt.name, got)
		}
		if again := ExposedName(tt.server, tt.prefix, "__", tt.name); again != got {
			t.Errorf("ExposedName is not stable: %q then %q", got, again)
		}
	}
	// Names that differ only in characters that get replaced must not collide.
	a := ExposedName("x", "x", "__", "a.b")
	b := ExposedName("x", "x", "__", "a/b")
	if a == b {
		t.Errorf("a.b and a/b both became %q", a)
	}
	// Long names that share a head must not collide either.
	if ExposedName("x", "x", "__", long+"1") == ExposedName("x", "x", "__", long+"2") {
		t.Error("long names sharing a head collided")
	}
}

func tools(names ...string) [][]byte {
	var out [][]byte
	for _, n := range names {
		out = append(out, []byte(fmt.Sprintf(`{"name":%q,"description":"d","inputSchema":{"type":"object","x-keep":[1.50]}}`, n)))
	}
	return out
}

func TestBuildNamespacesAndRoutes(t *testing.T) {
	var a, b ServerLists
	a = ServerLists{Server: "alpha", Prefix: "alpha"}
	a.Items[Tools] = tools("echo", "add")
	a.Items[Resources] = [][]byte{[]byte(`{"uri":"file:///a.txt","name":"a"}`)}
	a.Items[Templates] = [][]byte{[]byte(`{"uriTemplate":"test://alpha/item/{id}","name":"item"}`)}
	b = ServerLists{Server: "beta", Prefix: "", ToolsDeny: []string{"secret_*"}}
	b.Items[Tools] = tools("echo", "secret_dump")
	b.Items[Prompts] = [][]byte{[]byte(`{"name":"greet","arguments":[]}`)}
	s := Build("__", []ServerLists{a, b}, nil)

	for exposed, want := range map[string][2]string{
		"alpha__echo": {"alpha", "echo"},
		"alpha__add":  {"alpha", "add"},
		"echo":        {"beta", "echo"},
	} {
		it, ok := s.Lookup(Tools, exposed)
		if !ok || it.Server != want[0] || it.Name != want[1] {
			t.Errorf("Lookup(%q) = %+v, %v; want %v", exposed, it, ok, want)
		}
	}
	if _, ok := s.Lookup(Tools, "secret_dump"); ok {
		t.Error("denied tool secret_dump is in the catalog")
	}
	it, _ := s.Lookup(Tools, "alpha__echo")
	if want := `{"name":"alpha__echo","description":"d","inputSchema":{"type":"object","x-keep":[1.50]}}`; string(it.Raw) != want {
		t.Errorf("raw definition = %s, want only the name changed: %s", it.Raw, want)
	}
	if p, ok := s.Lookup(Prompts, "greet"); !ok || p.Server != "beta" {
		t.Errorf("prompt greet = %+v, %v", p, ok)
	}
	for uri, want := range map[string]string{
		"file:///a.txt":         "alpha",
		"test://alpha/item/42":  "alpha",
		"test://alpha/item/4/2": "",
		"test://other/item/1":   "",
	} {
		got, _ := s.ResourceOwner(uri)
		if got != want {
			t.Errorf("ResourceOwner(%q) = %q, want %q", uri, got, want)
		}
	}
}

func TestBuildReportsClashes(t *testing.T) {
	a := ServerLists{Server: "one", Prefix: ""}
	a.Items[Tools] = tools("echo")
	b := ServerLists{Server: "two", Prefix: ""}
	b.Items[Tools] = tools("echo", "other")
	reserved := map[Kind][]Item{Tools: {{Name: "get_metadata", Exposed: "get_metadata", Raw: []byte(`{"name":"get_metadata"}`)}}}
	c := ServerLists{Server: "three", Prefix: ""}
	c.Items[Tools] = tools("get_metadata")
	s := Build("__", []ServerLists{a, b, c}, reserved)
	if it, _ := s.Lookup(Tools, "echo"); it.Server != "one" {
		t.Errorf("echo owned by %q, want the first server, one", it.Server)
	}
	if it, _ := s.Lookup(Tools, "get_metadata"); it.Server != "" {
		t.Errorf("get_metadata owned by %q, want the gateway", it.Server)
	}
	joined := strings.Join(s.Problems, "\n")
	for _, want := range []string{`tool "echo" of server two clashes with the one of server one`, `tool "get_metadata" of server three clashes with the one of the gateway`, `"prefix"`} {
		if !strings.Contains(joined, want) {
			t.Errorf("problems %q do not mention %q", joined, want)
		}
	}
}

func TestListPagination(t *testing.T) {
	var names []string
	for i := range 7 {
		names = append(names, fmt.Sprintf("t%d", i))
	}
	a := ServerLists{Server: "a", Prefix: "a"}
	a.Items[Tools] = tools(names[:4]...)
	b := ServerLists{Server: "b", Prefix: "b"}
	b.Items[Tools] = tools(names[4:]...)
	s := Build("__", []ServerLists{a, b}, nil)

	var got []string
	cursor := ""
	pages := 0
	for {
		raw, err := s.List(Tools, cursor, 3)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Tools []struct {
				Name string `json:"name"`
			} `json:"tools"`
			NextCursor string `json:"nextCursor"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			t.Fatalf("page is not valid JSON: %v: %s", err, raw)
		}
		for _, tl := range page.Tools {
			got = append(got, tl.Name)
		}
		pages++
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	want := "a__t0 a__t1 a__t2 a__t3 b__t4 b__t5 b__t6"
	if strings.Join(got, " ") != want || pages != 3 {
		t.Errorf("paged %d pages: %v, want 3 pages: %s", pages, got, want)
	}
	if _, err := s.List(Tools, "bm90LWEtY3Vyc29y", 3); err == nil || !strings.Contains(err.Error(), "invalid cursor") {
		t.Errorf("foreign cursor error = %v", err)
	}
	full, _ := s.List(Tools, "", 0)
	if strings.Contains(string(full), "nextCursor") || strings.Count(string(full), `"name"`) != 7 {
		t.Errorf("unpaged list = %s", full)
	}
}

func BenchmarkListCached1000(b *testing.B) {
	var lists []ServerLists
	for s := range 50 {
		sl := ServerLists{Server: fmt.Sprintf("s%02d", s), Prefix: fmt.Sprintf("s%02d", s)}
		var names []string
		for i := range 20 {
			names = append(names, fmt.Sprintf("tool_%02d", i))
		}
		sl.Items[Tools] = tools(names...)
		lists = append(lists, sl)
	}
	snap := Build("__", lists, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := snap.List(Tools, "", 0); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBuildHides(t *testing.T) {
	var asked []string
	sl := ServerLists{Server: "s", Prefix: "s", Items: [numKinds][][]byte{
		Tools:   {[]byte(`{"name":"ok"}`), []byte(`{"name":"bad","description":"evil"}`)},
		Prompts: {[]byte(`{"name":"bad"}`)},
	}, Hide: func(k Kind, it Item, raw []byte) string {
		asked = append(asked, k.Noun()+":"+it.Exposed+":"+string(raw))
		if k == Tools && strings.Contains(string(raw), "evil") {
			return "poisoned"
		}
		return ""
	}}
	s := Build("__", []ServerLists{sl}, nil)
	if _, ok := s.Lookup(Tools, "s__bad"); ok {
		t.Error("the hidden tool is still offered")
	}
	if h, ok := s.Hidden(Tools, "s__bad"); !ok || h.Reason != "poisoned" || h.Server != "s" {
		t.Errorf("Hidden = %+v, %v; want server s, reason poisoned", h, ok)
	}
	if _, ok := s.Lookup(Tools, "s__ok"); !ok {
		t.Error("the clean tool is missing")
	}
	if _, ok := s.Lookup(Prompts, "s__bad"); !ok {
		t.Error("a prompt of the same name was hidden too")
	}
	if strings.Contains(string(s.full[Tools]), "evil") {
		t.Errorf("tools/list still carries the hidden tool: %s", s.full[Tools])
	}
	// The judge sees the backend's own definition, not the renamed one.
	want := []string{`tool:s__ok:{"name":"ok"}`, `tool:s__bad:{"name":"bad","description":"evil"}`, `prompt:s__bad:{"name":"bad"}`}
	if strings.Join(asked, " ") != strings.Join(want, " ") {
		t.Errorf("Hide was asked %q, want %q", asked, want)
	}
}
