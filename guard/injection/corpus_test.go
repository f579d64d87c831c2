package injection

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

// TestCorpus measures recall and false positives on a labelled JSON-lines
// corpus ({"kind": "injection"|"benign"|..., "label": ..., "text": ...})
// named by INJECTION_CORPUS. It is skipped when the variable is unset.
func TestCorpus(t *testing.T) {
	path := os.Getenv("INJECTION_CORPUS")
	if path == "" {
		t.Skip("INJECTION_CORPUS not set")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, _ := New(Options{})
	total := map[string]int{}
	blocked := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var row struct{ ID, Kind, Label, Text string }
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		v := s.ScanText([]byte(row.Text))
		total[row.Kind]++
		if v.Blocked {
			blocked[row.Kind]++
		}
		miss := row.Kind == "injection" && !v.Blocked || row.Kind != "injection" && v.Blocked
		if miss || os.Getenv("INJECTION_CORPUS_VERBOSE") != "" {
			t.Logf("%s %s/%s blocked=%v score=%.2f %q", row.ID, row.Kind, row.Label, v.Blocked, v.Score, trunc(row.Text, 160))
			for _, m := range v.Findings {
				t.Logf("    %s %.2f %q", m.Rule, m.Score, trunc(row.Text[m.Start:m.End], 80))
			}
		}
	}
	for k, n := range total {
		t.Logf("%-10s %3d rows, %3d blocked (%.1f%%)", k, n, blocked[k], 100*float64(blocked[k])/float64(n))
	}
}

func trunc(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
