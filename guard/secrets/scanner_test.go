package secrets

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mcpgw/mcp-gateway/guard"
)

func newScanner(t testing.TB, o Options) *Scanner {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatalf("New(%+v): %v", o, err)
	}
	return s
}

// checkInvariants fails t unless ms is sorted by Start, non-overlapping
// and within text, with known rules and their labels.
func checkInvariants(t testing.TB, text []byte, ms []guard.Match) {
	t.Helper()
	for i, m := range ms {
		if m.Start < 0 || m.End > len(text) || m.Start >= m.End {
			t.Fatalf("match %d %+v out of bounds (len %d)", i, m, len(text))
		}
		if i > 0 && ms[i-1].End > m.Start {
			t.Fatalf("matches %d %+v and %d %+v overlap or are unsorted", i-1, ms[i-1], i, m)
		}
		r, ok := catalogByID[m.Rule]
		if !ok || r.label != m.Label {
			t.Fatalf("match %d %+v: unknown rule or wrong label", i, m)
		}
		if m.Score <= 0 || m.Score > 1 {
			t.Fatalf("match %d %+v: score out of (0, 1]", i, m)
		}
	}
}

// expectOne checks that text yields exactly one match, of rule, spanning
// exactly the first occurrence of secret.
func expectOne(t *testing.T, s *Scanner, rule, text, secret string) {
	t.Helper()
	ms := s.Find([]byte(text), nil)
	checkInvariants(t, []byte(text), ms)
	start := strings.Index(text, secret)
	if start < 0 {
		t.Fatalf("bad case: %q not in %q", secret, text)
	}
	want := guard.Match{Rule: rule, Label: catalogByID[rule].label, Start: start, End: start + len(secret)}
	if len(ms) != 1 || ms[0].Rule != want.Rule || ms[0].Start != want.Start || ms[0].End != want.End {
		t.Errorf("%s:\n text %q\n got  %v\n want %s %q [%d,%d)", rule, text, describe(text, ms), rule, secret, want.Start, want.End)
	}
}

func TestRulePositives(t *testing.T) {
	s := newScanner(t, Options{})
	for seed := uint64(1); seed <= 5; seed++ {
		for _, c := range positiveCases(newGen(seed)) {
			t.Run(c.rule, func(t *testing.T) {
				if c.text != c.secret {
					expectOne(t, s, c.rule, c.text, c.secret)
					return
				}
				for _, ctx := range contexts {
					expectOne(t, s, c.rule, ctx.before+c.secret+ctx.after, c.secret)
				}
			})
		}
	}
}

func TestEveryRuleHasPositiveCase(t *testing.T) {
	have := map[string]bool{}
	for _, c := range positiveCases(newGen(1)) {
		if _, ok := catalogByID[c.rule]; !ok {
			t.Errorf("case for unknown rule %q", c.rule)
		}
		have[c.rule] = true
	}
	for _, id := range RuleIDs() {
		if !have[id] {
			t.Errorf("rule %s has no positive case", id)
		}
	}
}

func TestNegatives(t *testing.T) {
	s := newScanner(t, Options{})
	for seed := uint64(1); seed <= 3; seed++ {
		for _, text := range negativeCases(newGen(seed)) {
			for _, ctx := range []struct{ before, after string }{{"", ""}, {`"`, `"`}, {"x = ", "\n"}} {
				in := ctx.before + text + ctx.after
				if ms := s.Find([]byte(in), nil); len(ms) != 0 {
					t.Errorf("%q: unexpected matches %v", in, describe(in, ms))
				}
			}
		}
	}
}

func TestBenchmarkTextsHoldNoSecrets(t *testing.T) {
	s := newScanner(t, Options{})
	for name, text := range map[string]string{
		"prose": proseText(64 << 10), "json": jsonText(64 << 10), "logs": logText(64 << 10),
		"source": sourceText(256 << 10),
	} {
		if ms := s.Find([]byte(text), nil); len(ms) != 0 {
			t.Errorf("%s: unexpected matches %v", name, describe(text, ms[:min(len(ms), 10)]))
		}
	}
}

func TestOverlapsResolveToOneMatch(t *testing.T) {
	g := newGen(11)
	s := newScanner(t, Options{})
	pat := "ghp_" + g.mixed(36, genAlnum)
	jwt := g.jwt()
	key := g.pem("PRIVATE KEY", 4)
	keyWithAPIKey := strings.Replace(key, "\n", "\nAIza"+g.s(35, genB64URL)+"\n", 1)
	cases := []struct{ name, rule, text, secret string }{
		{"generic token holding a GitHub PAT", "github-pat", "token: " + pat, pat},
		{"generic password holding a GitHub PAT", "github-pat", `password="` + pat + `"`, pat},
		{"bearer JWT", "jwt", "Authorization: Bearer " + jwt, jwt},
		{"bearer GitHub PAT", "github-pat", "Authorization: Bearer " + pat, pat},
		{"URL password that is a PAT", "github-pat", "https://x-access-token:" + pat + "@github.com/acme/repo.git", pat},
		{"key block with a token inside", "private-key", keyWithAPIKey, keyWithAPIKey},
		{"provider keyword beats generic", "heroku-api-key", "HEROKU_API_KEY=" + "3f2b6c1e-9a7d-4e5f-8b2c-1d0e9f8a7b6c", "3f2b6c1e-9a7d-4e5f-8b2c-1d0e9f8a7b6c"},
		{"JWT assigned to an id_token key", "jwt", `"id_token": "` + jwt + `"`, jwt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { expectOne(t, s, c.rule, c.text, c.secret) })
	}
}

func TestResolveOverlapsPrefersTierThenLength(t *testing.T) {
	m := func(rule string, start, end int, score float64) guard.Match {
		return guard.Match{Rule: rule, Start: start, End: end, Score: score}
	}
	got := resolveOverlaps([]guard.Match{
		m("generic", 0, 30, 0.6),      // loses to the structured match inside it
		m("structured", 5, 20, 1.0),   //
		m("short", 40, 45, 1.0),       // loses to the longer structured match
		m("long", 42, 60, 1.0),        //
		m("context", 70, 80, 0.85),    // beats the generic one after it
		m("generic2", 75, 90, 0.7),    //
		m("alone", 100, 110, 0.6),     //
		m("duplicate", 100, 110, 0.6), // identical span: the first is kept
	}, 0)
	var names []string
	for _, x := range got {
		names = append(names, x.Rule)
	}
	if want := []string{"structured", "long", "context", "alone"}; !slices.Equal(names, want) {
		t.Fatalf("got %v, want %v", names, want)
	}
}

func TestFindAppendsToDst(t *testing.T) {
	g := newGen(3)
	s := newScanner(t, Options{})
	prior := []guard.Match{{Rule: "x", Label: "X", Start: 500, End: 501, Score: 1}}
	pat := "ghp_" + g.mixed(36, genAlnum)
	got := s.Find([]byte("a "+pat+" b "+pat), prior)
	if len(got) != 3 || got[0] != prior[0] || got[1].Start != 2 || got[2].Start != 5+len(pat) {
		t.Fatalf("got %+v", got)
	}
}

func TestOptions(t *testing.T) {
	g := newGen(5)
	pat := "ghp_" + g.mixed(36, genAlnum)
	key := "AKIA" + g.s(16, genB32)
	text := []byte(pat + " " + key)

	t.Run("unknown ids", func(t *testing.T) {
		_, err := New(Options{Rules: []string{"github-pat", "no-such-rule"}, Disable: []string{"nope"}})
		if err == nil {
			t.Fatal("no error for unknown rule ids")
		}
		for _, want := range []string{`"no-such-rule"`, `"nope"`, "github-pat", "aws-access-key-id", "valid:"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %s", err, want)
			}
		}
	})
	t.Run("enable subset", func(t *testing.T) {
		ms := newScanner(t, Options{Rules: []string{"aws-access-key-id"}}).Find(text, nil)
		if len(ms) != 1 || ms[0].Rule != "aws-access-key-id" {
			t.Fatalf("got %+v", ms)
		}
	})
	t.Run("disable", func(t *testing.T) {
		ms := newScanner(t, Options{Disable: []string{"aws-access-key-id"}}).Find(text, nil)
		if len(ms) != 1 || ms[0].Rule != "github-pat" {
			t.Fatalf("got %+v", ms)
		}
	})
	t.Run("disable everything", func(t *testing.T) {
		ms := newScanner(t, Options{Disable: RuleIDs()}).Find(text, nil)
		if len(ms) != 0 {
			t.Fatalf("got %+v", ms)
		}
	})
	t.Run("allow", func(t *testing.T) {
		ms := newScanner(t, Options{Allow: []string{pat}}).Find(text, nil)
		if len(ms) != 1 || ms[0].Rule != "aws-access-key-id" {
			t.Fatalf("got %+v", ms)
		}
	})
}

func TestRuleCatalog(t *testing.T) {
	ids := RuleIDs()
	if !slices.IsSorted(ids) {
		t.Error("RuleIDs not sorted")
	}
	infos := Rules()
	if len(infos) != len(ids) {
		t.Fatalf("Rules() has %d entries, RuleIDs() %d", len(infos), len(ids))
	}
	for i, info := range infos {
		if info.ID != ids[i] || info.Label == "" || info.Description == "" {
			t.Errorf("bad rule info %+v", info)
		}
	}
	required := map[string]string{
		"azure-ad-client-secret":  "AZURE_CLIENT_SECRET",
		"github-app-token":        "GITHUB_APP_TOKEN",
		"github-fine-grained-pat": "GITHUB_FINE_GRAINED_PERSONAL_ACCESS_TOKEN",
		"github-oauth":            "GITHUB_OAUTH_TOKEN",
		"github-pat":              "GITHUB_PERSONAL_ACCESS_TOKEN",
		"gcp-api-key":             "GCP_API_KEY",
		"aws-access-key-id":       "AWS_ACCESS_KEY_ID",
		"jwt":                     "JWT",
		"gitlab-session-cookie":   "GITLAB_SESSION_COOKIE",
		"huggingface-token":       "HUGGINGFACE_ACCESS_TOKEN",
		"microsoft-teams-webhook": "MICROSOFT_TEAMS_WEBHOOK",
		"slack-app-token":         "SLACK_APP_TOKEN",
	}
	for id, label := range required {
		if r, ok := catalogByID[id]; !ok || r.label != label {
			t.Errorf("rule %s: want label %s", id, label)
		}
	}
}

func TestNoAllocationWithoutSecrets(t *testing.T) {
	s := newScanner(t, Options{})
	for name, text := range map[string][]byte{
		"prose": []byte(proseText(1 << 10)), "json": []byte(jsonText(1 << 10)),
		"logs": []byte(logText(4 << 10)), "source": []byte(sourceText(16 << 10)),
	} {
		if n := testing.AllocsPerRun(50, func() { s.Find(text, nil) }); n != 0 {
			t.Errorf("%s: %.1f allocations per Find", name, n)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	s := newScanner(t, Options{})
	text := []byte(denseSecretsText(32<<10) + mixedText(32<<10))
	want := s.Find(text, nil)
	if len(want) == 0 {
		t.Fatal("no matches in dense text")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var dst []guard.Match
			for i := 0; i < 20; i++ {
				dst = s.Find(text, dst[:0])
				if !slices.Equal(dst, want) {
					errs <- fmt.Errorf("concurrent Find differs: %d vs %d matches", len(dst), len(want))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPathologicalInputsStayBounded(t *testing.T) {
	s := newScanner(t, Options{})
	for name, text := range map[string]string{
		"one letter":   strings.Repeat("A", 1<<20),
		"slack runs":   strings.Repeat("xoxb-", 1<<17),
		"pem headers":  strings.Repeat("-----BEGIN PRIVATE KEY-----", 1<<14),
		"keywords":     strings.Repeat("password=", 1<<16),
		"url schemes":  strings.Repeat("a://", 1<<17),
		"jwt heads":    strings.Repeat("eyJ", 1<<18),
		"base64 blob":  newGen(1).s(1<<20, genB64),
		"token digits": strings.Repeat("1234567890:A", 1<<16),
	} {
		ms := s.Find([]byte(text), nil)
		checkInvariants(t, []byte(text), ms)
		_ = name
	}
}

func FuzzFind(f *testing.F) {
	g := newGen(21)
	for _, c := range positiveCases(g) {
		f.Add(c.text)
	}
	for _, n := range negativeCases(g) {
		f.Add(n)
	}
	f.Add(`{"password": "a\"b", "token":"` + "\x00\xff" + `"}`)
	s := newScanner(f, Options{})
	f.Fuzz(func(t *testing.T, text string) {
		ms := s.Find([]byte(text), nil)
		checkInvariants(t, []byte(text), ms)
		again := s.Find([]byte(text), make([]guard.Match, 1, 4))
		if len(again) != len(ms)+1 || !slices.Equal(again[1:], ms) {
			t.Fatalf("Find with a non-empty dst differs")
		}
	})
}

// TestLanesAgreeWithOneScan checks that scanning in four lanes finds what
// one pass finds, with lane boundaries falling inside secrets.
func TestLanesAgreeWithOneScan(t *testing.T) {
	s := newScanner(t, Options{})
	dense := denseSecretsText(16 << 10)
	for n := minLaneText; n < len(dense); n += 97 {
		text := []byte(dense[:n])
		var resume resumePositions
		want := s.scanLane(text, 0, 0, len(text), &resume, nil)
		if len(want) > 1 {
			want = resolveOverlaps(want, 0)
		}
		if got := s.Find(text, nil); !slices.Equal(got, want) {
			t.Fatalf("length %d: four lanes found %d matches, one pass %d\nlanes: %v\none:   %v",
				n, len(got), len(want), describe(string(text), got), describe(string(text), want))
		}
	}
}

func TestREADMEListsEveryRule(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatalf("reading README: %v", err)
	}
	for _, info := range Rules() {
		if !strings.Contains(string(data), "| `"+info.ID+"` | `"+info.Label+"` |") {
			t.Errorf("README.md has no table row for %s (%s)", info.ID, info.Label)
		}
	}
}

// TestTokensInsideLongerWordsAreNotReported glues every bare structured
// token to a letter or digit on both sides: it then belongs to a longer
// word and must not be reported.
func TestTokensInsideLongerWordsAreNotReported(t *testing.T) {
	s := newScanner(t, Options{})
	isAlnum := func(b byte) bool { return in(b, alnum) }
	for seed := uint64(1); seed <= 3; seed++ {
		for _, c := range positiveCases(newGen(seed)) {
			r := catalogByID[c.rule]
			if c.text != c.secret || r.tier != tierStructured || !isAlnum(c.secret[0]) || !isAlnum(c.secret[len(c.secret)-1]) ||
				strings.HasPrefix(c.secret, "http") || strings.Contains(c.secret, "\n") {
				continue // URLs and key files are delimited by their syntax, not by word boundaries
			}
			for _, glue := range []string{"Z", "7"} {
				text := glue + c.secret + glue
				if ms := s.Find([]byte(text), nil); len(ms) != 0 {
					t.Errorf("%s glued with %q: matched %v", c.rule, glue, describe(text, ms))
				}
			}
		}
	}
}

// The personal-data guardrail may mask a connection string's host before
// this detector sees it; the password is still found.
func TestConnectionStringWithMaskedHost(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	pw := "Xk3u9" + "QpLm2ZtRw7a"
	for _, text := range []string{"mysql://root:" + pw + "@<IP_ADDRESS>:3306/app", "postgres://app:" + pw + "@<EMAIL_ADDRESS>/db"} {
		ms := s.Find([]byte(text), nil)
		if len(ms) != 1 || text[ms[0].Start:ms[0].End] != pw {
			t.Errorf("Find(%q) = %+v, want the password", text, ms)
		}
	}
	if ms := s.Find([]byte("mysql://root:"+pw+"@<ip>:3306"), nil); len(ms) != 0 {
		t.Errorf("a lower-case <ip> host counts as a mask: %+v", ms)
	}
}
