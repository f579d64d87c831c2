package pii

import (
	"bufio"
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
)

// TestCorpus scores the detector against a labelled corpus in JSON lines
// ({"kind", "label", "text", "sensitive"}), named by PII_CORPUS; it is
// skipped without one. Recall: the share of "sensitive" substrings of
// kind=pii rows covered by a match of the row's entity. Precision: the
// share of matches that cover a sensitive substring with the right
// entity. Benign rows must come out without matches.
func TestCorpus(t *testing.T) {
	path := os.Getenv("PII_CORPUS")
	if path == "" {
		t.Skip("PII_CORPUS not set")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entities := Entities()
	if os.Getenv("PII_ENTITIES") == "default" {
		entities = nil
	}
	d, err := New(Options{Entities: entities})
	if err != nil {
		t.Fatal(err)
	}
	type stat struct{ want, found, reported, correct int }
	stats := map[string]*stat{}
	get := func(k string) *stat {
		if stats[k] == nil {
			stats[k] = &stat{}
		}
		return stats[k]
	}
	benign, benignHit, secretHit := 0, 0, 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var row struct {
			ID, Kind, Label, Text string
			Sensitive             []string
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		ms := d.Find([]byte(row.Text), nil)
		covered := func(s string, label string) bool {
			i := strings.Index(row.Text, s)
			for _, m := range ms {
				if m.Start <= i && m.End >= i+len(s) && (label == "" || m.Label == label) {
					return true
				}
			}
			return false
		}
		for _, m := range ms {
			st := get(m.Label)
			st.reported++
			ok := false
			if row.Kind == "pii" && m.Label == row.Label {
				for _, s := range row.Sensitive {
					i := strings.Index(row.Text, s)
					if m.Start < i+len(s) && m.End > i {
						ok = true
					}
				}
			}
			if ok {
				st.correct++
			} else {
				t.Logf("%s %s: reported %s %q (%.2f)", row.ID, row.Kind, m.Label, row.Text[m.Start:m.End], m.Score)
			}
		}
		switch row.Kind {
		case "pii":
			for _, s := range row.Sensitive {
				st := get(row.Label)
				st.want++
				if covered(s, row.Label) {
					st.found++
				} else {
					t.Logf("%s: missed %s %q in %q", row.ID, row.Label, s, row.Text)
				}
			}
		case "benign":
			benign++
			if len(ms) > 0 {
				benignHit++
			}
		case "secret":
			for _, s := range row.Sensitive {
				i := strings.Index(row.Text, s)
				for _, m := range ms {
					if m.Start < i+len(s) && m.End > i {
						secretHit++
						break
					}
				}
			}
		}
	}
	var names []string
	for k := range stats {
		names = append(names, k)
	}
	sort.Strings(names)
	var want, found int
	for _, k := range names {
		s := stats[k]
		want += s.want
		found += s.found
		t.Logf("%-18s recall %d/%d precision %d/%d", k, s.found, s.want, s.correct, s.reported)
	}
	t.Logf("PII recall %d/%d; benign rows changed %d/%d; secret tokens touched %d", found, want, benignHit, benign, secretHit)
}
