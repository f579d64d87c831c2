package secrets

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/mcpgw/mcp-gateway/guard"
)

// TestCorpus scores the scanner against a labelled JSON-lines corpus
// (kind, label, text, sensitive) named by $SECRETS_CORPUS, for example
// the labelled development corpus. No
// sensitive substring of a secret row may survive masking the matches;
// no other row may be matched.
func TestCorpus(t *testing.T) {
	path := os.Getenv("SECRETS_CORPUS")
	if path == "" {
		t.Skip("SECRETS_CORPUS not set")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("opening corpus: %v", err)
	}
	defer f.Close()
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	var secrets, covered, others, othersMatched, matches, trueMatches int
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var row struct {
			ID, Kind, Label, Text string
			Sensitive             []string
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("corpus line: %v", err)
		}
		ms := s.Find([]byte(row.Text), nil)
		matches += len(ms)
		for _, m := range ms {
			if overlapsSensitive(row.Text, m, row.Sensitive) {
				trueMatches++
			}
		}
		if row.Kind != "secret" {
			others++
			if len(ms) > 0 {
				othersMatched++
				t.Errorf("%s (%s/%s): matched %v in %q", row.ID, row.Kind, row.Label, describe(row.Text, ms), row.Text)
			}
			continue
		}
		for _, v := range row.Sensitive {
			secrets++
			if !strings.Contains(mask(row.Text, ms), v) {
				covered++
			} else {
				t.Errorf("%s (%s): %q not covered; matches %v in %q", row.ID, row.Label, v, describe(row.Text, ms), row.Text)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("secrets: %d/%d covered (recall %.3f); matches on a sensitive string: %d/%d (precision %.3f); other rows matched: %d/%d",
		covered, secrets, float64(covered)/float64(max(secrets, 1)), trueMatches, matches,
		float64(trueMatches)/float64(max(matches, 1)), othersMatched, others)
}

// overlapsSensitive reports whether match m overlaps an occurrence of one
// of the sensitive strings.
func overlapsSensitive(text string, m guard.Match, sensitive []string) bool {
	for _, v := range sensitive {
		for off := 0; ; {
			i := strings.Index(text[off:], v)
			if i < 0 {
				break
			}
			s, e := off+i, off+i+len(v)
			if s < m.End && m.Start < e {
				return true
			}
			off = e
		}
	}
	return false
}

// mask replaces each match with <LABEL>, as the gateway does.
func mask(text string, ms []guard.Match) string {
	var b strings.Builder
	last := 0
	for _, m := range ms {
		b.WriteString(text[last:m.Start])
		b.WriteString("<" + m.Label + ">")
		last = m.End
	}
	b.WriteString(text[last:])
	return b.String()
}

// describe renders matches for failure messages.
func describe(text string, ms []guard.Match) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Rule + "=" + text[m.Start:m.End]
	}
	return out
}
