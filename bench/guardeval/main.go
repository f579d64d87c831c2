// Command guardeval measures the guardrails' quality on a labelled
// corpus: JSON lines {"id", "kind": "secret"|"pii"|"injection"|"benign",
// "label", "text", "sensitive": [...]}. Each text is returned as the text
// of a tool result through the real plugin chain (basic, presidio,
// injection by default), and scored:
//
//   - secret and pii rows: found when none of the "sensitive" strings is
//     left in the result (masked or blocked);
//   - injection rows: found when the result is blocked;
//   - benign rows: a false positive when the result is changed or
//     blocked.
//
// It prints (or writes with -out) a Markdown report with recall per kind
// and label, the rules that fired on each kind, and precision per kind
// and per rule.
//
//	go run ./bench/guardeval -corpus corpus.jsonl -out docs/guardrails.md
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/mcpgw/mcp-gateway/plugin"
	_ "github.com/mcpgw/mcp-gateway/plugins/all"
)

type row struct {
	ID        string   `json:"id"`
	Kind      string   `json:"kind"`
	Label     string   `json:"label"`
	Text      string   `json:"text"`
	Sensitive []string `json:"sensitive"`
}

// events records the rules that fired per call.
type events struct {
	mu    sync.Mutex
	rules []string
}

func (e *events) Report(_ context.Context, ev plugin.Event) {
	if ev.Rule == "" {
		return
	}
	e.mu.Lock()
	for _, r := range strings.Split(ev.Rule, ",") {
		e.rules = append(e.rules, ev.Plugin+"/"+r)
	}
	e.mu.Unlock()
}

func (e *events) take() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.rules
	e.rules = nil
	return r
}

type outcome struct {
	row
	changed, blocked, found bool
	rules                   []string
}

func main() {
	corpus := flag.String("corpus", "", "labelled corpus (JSON lines)")
	out := flag.String("out", "", "write the Markdown report here (default: stdout)")
	plugins := flag.String("plugins", "basic,presidio,injection", "plugins to run, comma-separated")
	flag.Parse()
	if *corpus == "" {
		fmt.Fprintln(os.Stderr, "guardeval: -corpus FILE is required")
		os.Exit(2)
	}
	rows, err := readCorpus(*corpus)
	if err != nil {
		fmt.Fprintln(os.Stderr, "guardeval:", err)
		os.Exit(1)
	}
	ev := &events{}
	hs, err := plugin.Build(strings.Split(*plugins, ","), nil, plugin.Env{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DataDir: os.TempDir(), Events: ev})
	if err != nil {
		fmt.Fprintln(os.Stderr, "guardeval:", err)
		os.Exit(1)
	}
	var results []outcome
	for _, r := range rows {
		results = append(results, evaluate(hs, ev, r))
	}
	var w io.Writer = os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "guardeval:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	report(w, *corpus, *plugins, results)
}

func readCorpus(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []row
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for n := 1; sc.Scan(); n++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		rows = append(rows, r)
	}
	return rows, sc.Err()
}

// evaluate sends the row's text back as a tool result through the chain.
func evaluate(hs []plugin.Handler, ev *events, r row) outcome {
	result, _ := json.Marshal(map[string]any{"content": []map[string]string{{"type": "text", "text": r.Text}}})
	final := func(context.Context, *plugin.Call) (*plugin.Result, error) {
		return &plugin.Result{Raw: append([]byte(nil), result...)}, nil
	}
	c := &plugin.Call{Method: "tools/call", Params: []byte(`{"name":"corpus__echo","arguments":{}}`),
		Server: "corpus", Name: "corpus__echo", Session: &plugin.Session{ID: "eval", Identity: plugin.Identity{Principal: "eval"}}}
	res, err := plugin.Chain(hs, final)(context.Background(), c)
	o := outcome{row: r}
	o.rules = ev.take()
	switch {
	case err != nil:
		o.blocked = true
	case res.Blocked != "":
		o.blocked = true
	default:
		var got struct{ Content []struct{ Text string } }
		if json.Unmarshal(res.Raw, &got) != nil || len(got.Content) != 1 {
			o.blocked = true
			break
		}
		o.changed = got.Content[0].Text != r.Text
		if r.Kind == "secret" || r.Kind == "pii" {
			o.found = true
			for _, s := range r.Sensitive {
				if strings.Contains(got.Content[0].Text, s) {
					o.found = false
				}
			}
		}
	}
	if o.blocked && (r.Kind == "secret" || r.Kind == "pii") {
		o.found = true
	}
	if r.Kind == "injection" {
		o.found = o.blocked
	}
	return o
}

func report(w io.Writer, corpus, plugins string, rs []outcome) {
	fmt.Fprintf(w, "Corpus `%s`: %d texts; plugins %s; %s/%s.\n\n", baseName(corpus), len(rs), plugins, runtime.GOOS, runtime.GOARCH)
	kinds := []string{"secret", "pii", "injection"}
	fmt.Fprintln(w, "| kind | texts | found | recall | flagged benign texts | precision |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	benign := 0
	benignHit := 0
	for _, o := range rs {
		if o.Kind == "benign" {
			benign++
			if o.changed || o.blocked {
				benignHit++
			}
		}
	}
	for _, k := range kinds {
		n, found := 0, 0
		for _, o := range rs {
			if o.Kind == k {
				n++
				if o.found {
					found++
				}
			}
		}
		// Precision of a kind: of the texts its rules changed or blocked,
		// the share that are not benign. (A secret text that also holds an
		// e-mail address is rightly masked by the PII rules too.)
		fp := countBenign(rs, k)
		tp := 0
		for _, o := range rs {
			if o.Kind != "benign" && firedKind(o.rules, k) {
				tp++
			}
		}
		fmt.Fprintf(w, "| %s | %d | %d | %s | %d | %s |\n", k, n, found, ratio(found, n), fp, ratio(tp, tp+fp))
	}
	fmt.Fprintf(w, "| benign | %d | | | %d changed or blocked (%s) | |\n\n", benign, benignHit, ratio(benignHit, benign))

	fmt.Fprintln(w, "Recall per label:")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| kind | label | texts | found | recall | rules that fired |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	type key struct{ kind, label string }
	by := map[key][]outcome{}
	for _, o := range rs {
		if o.Kind != "benign" {
			by[key{o.Kind, o.Label}] = append(by[key{o.Kind, o.Label}], o)
		}
	}
	keys := make([]key, 0, len(by))
	for k := range by {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].kind != keys[j].kind {
			return keys[i].kind < keys[j].kind
		}
		return keys[i].label < keys[j].label
	})
	for _, k := range keys {
		group := by[k]
		found := 0
		rules := map[string]bool{}
		for _, o := range group {
			if o.found {
				found++
			}
			for _, r := range o.rules {
				rules[r] = true
			}
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %s | %s |\n", k.kind, k.label, len(group), found, ratio(found, len(group)), strings.Join(sortedSet(rules), ", "))
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "Precision per rule: the texts it fired on, how many of them are of its own kind, how many are")
	fmt.Fprintln(w, "benign (false positives), and precision = not benign / fired.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| rule | fired on | of its kind | on benign texts | precision |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	type stat struct{ fired, right, benign int }
	stats := map[string]*stat{}
	for _, o := range rs {
		seen := map[string]bool{}
		for _, r := range o.rules {
			if seen[r] {
				continue
			}
			seen[r] = true
			s := stats[r]
			if s == nil {
				s = &stat{}
				stats[r] = s
			}
			s.fired++
			if kindOfRule(r) == o.Kind {
				s.right++
			}
			if o.Kind == "benign" {
				s.benign++
			}
		}
	}
	names := make([]string, 0, len(stats))
	for r := range stats {
		names = append(names, r)
	}
	sort.Strings(names)
	for _, r := range names {
		s := stats[r]
		fmt.Fprintf(w, "| %s | %d | %d | %d | %s |\n", r, s.fired, s.right, s.benign, ratio(s.fired-s.benign, s.fired))
	}
	var misses []string
	for _, o := range rs {
		if (o.Kind != "benign" && !o.found) || (o.Kind == "benign" && (o.changed || o.blocked)) {
			misses = append(misses, fmt.Sprintf("%s (%s/%s)", o.ID, o.Kind, o.Label))
		}
	}
	fmt.Fprintln(w)
	if len(misses) == 0 {
		fmt.Fprintln(w, "No text was missed and no benign text was changed.")
	} else {
		fmt.Fprintf(w, "Missed or wrongly flagged (%d): %s.\n", len(misses), strings.Join(misses, ", "))
	}
}

func kindOfRule(r string) string {
	switch {
	case strings.HasPrefix(r, "basic/"):
		return "secret"
	case strings.HasPrefix(r, "presidio/"):
		return "pii"
	case strings.HasPrefix(r, "injection/"):
		return "injection"
	}
	return ""
}

func firedKind(rules []string, kind string) bool {
	for _, r := range rules {
		if kindOfRule(r) == kind {
			return true
		}
	}
	return false
}

func countBenign(rs []outcome, kind string) int {
	n := 0
	for _, o := range rs {
		if o.Kind == "benign" && firedKind(o.rules, kind) {
			n++
		}
	}
	return n
}

func ratio(a, b int) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.3f", float64(a)/float64(b))
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}
