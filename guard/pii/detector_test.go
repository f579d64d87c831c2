package pii

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// hit is one expected finding: the entity and the exact matched text.
type hit struct{ entity, value string }

func (h hit) String() string { return h.entity + " " + fmt.Sprintf("%q", h.value) }

func mustNew(t testing.TB, o Options) *Detector {
	t.Helper()
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var (
	defaultDet = func() *Detector { d, _ := New(Options{}); return d }()
	allDet     = func() *Detector { d, _ := New(Options{Entities: Entities()}); return d }()
)

func hits(d *Detector, text string) []hit {
	var out []hit
	for _, m := range d.Find([]byte(text), nil) {
		out = append(out, hit{m.Label, text[m.Start:m.End]})
	}
	return out
}

// expect checks that Find on text yields exactly the hits given, in order.
func expect(t *testing.T, d *Detector, text string, want ...hit) {
	t.Helper()
	got := hits(d, text)
	if !slices.Equal(got, want) {
		t.Errorf("Find(%q)\n got %v\nwant %v", text, got, want)
	}
}

// expectHas checks that Find on text reports value as entity (among
// possibly other findings).
func expectHas(t *testing.T, d *Detector, text, entity, value string) {
	t.Helper()
	for _, h := range hits(d, text) {
		if h.entity == entity && h.value == value {
			return
		}
	}
	t.Errorf("Find(%q) = %v, want %s %q among them", text, hits(d, text), entity, value)
}

// expectNo checks that Find on text reports nothing as entity.
func expectNo(t *testing.T, d *Detector, text, entity string) {
	t.Helper()
	for _, h := range hits(d, text) {
		if h.entity == entity {
			t.Errorf("Find(%q) reported %v, want no %s", text, h, entity)
		}
	}
}

func only(t testing.TB, entities ...string) *Detector {
	return mustNew(t, Options{Entities: entities})
}

func randDigits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

// bumpDigit changes the digit at index i (of the digits only) by +1 mod 10.
func bumpDigit(s string, i int) string {
	b := []byte(s)
	k := -1
	for j, c := range b {
		if isDigit(c) {
			k++
			if k == i {
				b[j] = '0' + (c-'0'+1)%10
				break
			}
		}
	}
	return string(b)
}

func TestOptions(t *testing.T) {
	if _, err := New(Options{Entities: []string{"EMAIL_ADDRESS", "NOPE"}}); err == nil ||
		!strings.Contains(err.Error(), `"NOPE"`) || !strings.Contains(err.Error(), "US_SSN") {
		t.Errorf("unknown entity: err = %v, want one naming NOPE and listing valid entities", err)
	}
	if _, err := New(Options{Entities: []string{}}); err == nil {
		t.Error("empty entity list accepted")
	}
	for _, th := range []float64{-0.1, 1.5} {
		if _, err := New(Options{Threshold: th}); err == nil {
			t.Errorf("threshold %v accepted", th)
		}
	}
	if _, err := New(Options{Context: map[string][]string{"BOGUS": {"x"}}}); err == nil || !strings.Contains(err.Error(), "BOGUS") {
		t.Errorf("unknown context entity: err = %v", err)
	}
	if _, err := New(Options{Context: map[string][]string{"US_SSN": {"--"}}}); err == nil {
		t.Error("context word without letters accepted")
	}
	d := mustNew(t, Options{})
	if d.threshold != DefaultThreshold {
		t.Errorf("default threshold %v", d.threshold)
	}
	def := DefaultEntities()
	for _, e := range []string{"PERSON", "US_BANK_NUMBER", "US_DRIVER_LICENSE", "UK_POSTCODE"} {
		if slices.Contains(def, e) {
			t.Errorf("%s in the default set", e)
		}
	}
	for _, e := range def {
		if !slices.Contains(Entities(), e) {
			t.Errorf("default %s not in Entities()", e)
		}
	}
	// Entities restricts what is reported.
	text := "mail a.b@example.org or call +1 201-555-0123"
	expect(t, only(t, "PHONE_NUMBER"), text, hit{"PHONE_NUMBER", "+1 201-555-0123"})
	expect(t, only(t, "EMAIL_ADDRESS"), text, hit{"EMAIL_ADDRESS", "a.b@example.org"})
	// Allow drops exact values only.
	d = mustNew(t, Options{Allow: []string{"a.b@example.org"}})
	expect(t, d, text+" or c.d@example.org", hit{"PHONE_NUMBER", "+1 201-555-0123"}, hit{"EMAIL_ADDRESS", "c.d@example.org"})
	// A higher threshold drops weaker findings.
	d = mustNew(t, Options{Threshold: 0.65})
	expect(t, d, "call 201 555 0123 or +44 20 7946 0958", hit{"PHONE_NUMBER", "201 555 0123"}, hit{"PHONE_NUMBER", "+44 20 7946 0958"})
	expect(t, d, "at 201 555 0123 or +44 20 7946 0958", hit{"PHONE_NUMBER", "+44 20 7946 0958"})
}

func TestContext(t *testing.T) {
	// A bare nine-digit number is a weak SSN candidate: reported only
	// with a context word before it (or right after it).
	expect(t, defaultDet, "ref 536221234 attached")
	expect(t, defaultDet, "SSN 536221234 attached", hit{"US_SSN", "536221234"})
	expect(t, defaultDet, "my social security number is 536221234", hit{"US_SSN", "536221234"})
	expect(t, defaultDet, `{"customerSsn": "536221234"}`, hit{"US_SSN", "536221234"})
	expect(t, defaultDet, "536221234 (ssn)", hit{"US_SSN", "536221234"})
	// Too far back: outside the window.
	expect(t, defaultDet, "ssn: see the attached form, the value on page two of the file is 536221234")
	// Passport: same digits, another context.
	expect(t, defaultDet, "passport no. 536221234", hit{"US_PASSPORT", "536221234"})
	// Extra context words from Options.
	d := mustNew(t, Options{Context: map[string][]string{"US_SSN": {"tax ref"}}})
	expect(t, d, "tax ref 536221234", hit{"US_SSN", "536221234"})
	expect(t, defaultDet, "tax ref 536221234")
	// Plurals and case.
	expect(t, defaultDet, "SSNs: 536221234", hit{"US_SSN", "536221234"})
	// Context never rescues an invalid value.
	expect(t, defaultDet, "ssn 666221234")
	// Scores: boosted by ContextBoost, capped at 1.
	ms := defaultDet.Find([]byte("ssn 536-22-1234"), nil)
	if len(ms) != 1 || ms[0].Score != ssnDashed+ContextBoost {
		t.Errorf("boosted score: %+v", ms)
	}
	ms = defaultDet.Find([]byte("card 4111111111111111"), nil)
	if len(ms) != 1 || ms[0].Score != 1 {
		t.Errorf("capped score: %+v", ms)
	}
}

func TestOverlap(t *testing.T) {
	m := []Match{
		{Rule: "B", Start: 5, End: 9, Score: 0.5},
		{Rule: "A", Start: 0, End: 6, Score: 0.4},
		{Rule: "C", Start: 8, End: 12, Score: 0.9},
		{Rule: "D", Start: 20, End: 22, Score: 0.5},
		{Rule: "E", Start: 20, End: 25, Score: 0.5},
	}
	n := resolve(m)
	var got []string
	for _, x := range m[:n] {
		got = append(got, fmt.Sprintf("%s%d-%d", x.Rule, x.Start, x.End))
	}
	// A (0-6) loses to B (higher score), B to C; of D and E (same score)
	// the longer E wins.
	if want := []string{"C8-12", "E20-25"}; !slices.Equal(got, want) {
		t.Errorf("resolve: %v, want %v", got, want)
	}
	// An email address holding digits is one match, not an email and a
	// phone number.
	expect(t, defaultDet, "write to 2015550123@example.org", hit{"EMAIL_ADDRESS", "2015550123@example.org"})
	// Findings appended to a non-empty dst keep what was there.
	dst := []Match{{Rule: "X", Start: 100, End: 200}}
	dst = defaultDet.Find([]byte("a@b.org"), dst)
	if len(dst) != 2 || dst[0].Rule != "X" || dst[1].Rule != "EMAIL_ADDRESS" {
		t.Errorf("append to dst: %+v", dst)
	}
}

func TestSpansExcludePunctuation(t *testing.T) {
	for _, tc := range []struct{ text, entity, value string }{
		{`"jane.doe@example.com".`, "EMAIL_ADDRESS", "jane.doe@example.com"},
		{"(jane.doe@example.com),", "EMAIL_ADDRESS", "jane.doe@example.com"},
		{"mailto:jane.doe@example.com?subject=hi", "EMAIL_ADDRESS", "jane.doe@example.com"},
		{"host 192.0.2.17.", "IP_ADDRESS", "192.0.2.17"},
		{"[2001:db8::1]:443", "IP_ADDRESS", "2001:db8::1"},
		{"card: 4111 1111 1111 1111, exp 12/27", "CREDIT_CARD", "4111 1111 1111 1111"},
		{"'078-05-1121';", "US_SSN", "078-05-1121"},
		{"phone (201) 555-0123.", "PHONE_NUMBER", "(201) 555-0123"},
	} {
		expectHas(t, defaultDet, tc.text, tc.entity, tc.value)
	}
}

// TestAllocs: Find does not allocate on text without findings, nor when
// dst has room for them.
func TestAllocs(t *testing.T) {
	text := []byte(strings.Repeat("The quick brown fox jumps over the lazy dog 42 times, at 10:30 on 2024-05-01. ", 13))
	for _, d := range []*Detector{defaultDet, allDet} {
		if n := testing.AllocsPerRun(100, func() { d.Find(text, nil) }); n != 0 {
			t.Errorf("%v allocations on text without PII", n)
		}
	}
	pii := []byte("mail a@example.org, card 4111111111111111, ssn 078-05-1121, ip 10.1.2.3")
	dst := make([]Match, 0, 16)
	if n := testing.AllocsPerRun(100, func() { dst = defaultDet.Find(pii, dst[:0]) }); n != 0 {
		t.Errorf("%v allocations with room in dst", n)
	}
	if len(dst) != 4 {
		t.Errorf("found %d, want 4", len(dst))
	}
}

func TestConcurrent(t *testing.T) {
	texts := []string{
		"card 4111 1111 1111 1111 and ssn 078-05-1121",
		"mail jane.doe@example.com from 2001:db8::42",
		"Dr. Jane Smith, IBAN GB82 WEST 1234 5698 7654 32",
	}
	want := make([][]hit, len(texts))
	for i, s := range texts {
		want[i] = hits(allDet, s)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 200; k++ {
				i := (g + k) % len(texts)
				if got := hits(allDet, texts[i]); !slices.Equal(got, want[i]) {
					t.Errorf("concurrent Find(%q) = %v, want %v", texts[i], got, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestBenign: ordinary prose, code, logs and JSON yield nothing.
func TestBenign(t *testing.T) {
	for _, text := range benignTexts {
		if got := hits(defaultDet, text); len(got) > 0 {
			t.Errorf("benign %q: %v", text, got)
		}
	}
}

var benignTexts = []string{
	"Build 4.2.0 passed 1,284 tests in 3m12s.",
	"Release v1.2.3.4 is out; upgrade from version 10.0.19041.1 first.",
	"See section 7 of the instructions for the wiring diagram.",
	"UUID 123e4567-e89b-12d3-a456-426614174000 reserved.",
	"git checkout 9fceb02d0ae598e95dc970b74767f19372d61af8",
	"Card ending in 4242 expires 12/27.",
	"Invoice 2026-0042 total 1.299,00 EUR.",
	"pods: 3/3 ready, restarts 0, age 5d",
	"sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709",
	"sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"2024-05-01T10:30:00Z INFO request id=8d2f0c1e latency=12ms status=200 bytes=5123",
	"at 10:30:45 on 01.02.2024 the job ran 1234567 times",
	"std::vector<int> v; auto x = a::b::c(1, 2); y = arr[::2] + arr[1::3]",
	"MAC 00:1a:2b:3c:4d:5e, time 12:34:56.789",
	`{"id": 1718030405, "ts": 1718030405123, "count": 12, "price": 19.99, "items": [1, 2, 3]}`,
	"OID 1.3.6.1.4.1.311 and 1.2.840.113549",
	"Copyright 2010-2024 The Authors. Licensed under Apache-2.0.",
	"Call me when the deploy finishes.",
	"Room 101, floor 3. Tel. extension 42.",
	"npm install lodash@4.17.21 react@18.2.0 @types/node",
	"uses: actions/checkout@v4 and icon@2x.png",
	"ISBN 978-3-16-148410-0, pages 120-135",
	"The temperature rose from -12.5 to +21.3 degrees.",
	"Order 12345678 shipped in 3 boxes of 24.",
	"dimensions 1920x1080 at 60Hz, 4K 3840x2160",
	"ratio 16:9, score 3:1, John 3:16",
	"Use AKIA-style keys only in the sandbox account (see docs).",
	"base64: TWFueSBoYW5kcyBtYWtlIGxpZ2h0IHdvcmsu+1234567890/abcd==",
	"xoxb-not-a-token-12345678901-123456789012",
}

func FuzzFind(f *testing.F) {
	seeds := append([]string{}, benignTexts...)
	seeds = append(seeds,
		"card 4111 1111 1111 1111 ssn 078-05-1121 +44 (0)20 7946 0958",
		"::ffff:192.0.2.1 fe80::1%eth0 2001:db8:85a3::8a2e:370:7334",
		"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed AB1234563 AB 12 34 56 C",
		"Mr. John F. Smith-Jones, Dr Ada O'Brien's, SW1A 1AA, GB82 WEST 1234 5698 7654 32",
		"a@b.c@d.e@@..@x.y", "+++++1", "(((((1))))", "1-1-1-1-1-1-1-1-1-1-1-1", "::::::", "",
	)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text := []byte(s)
		ms := allDet.Find(text, nil)
		for i, m := range ms {
			if m.Start < 0 || m.End > len(text) || m.Start >= m.End {
				t.Fatalf("match %+v out of bounds (len %d)", m, len(text))
			}
			if i > 0 && ms[i-1].End > m.Start {
				t.Fatalf("matches overlap or are unsorted: %+v then %+v", ms[i-1], m)
			}
			if m.Score < DefaultThreshold-1e-9 || m.Score > 1 {
				t.Fatalf("score %v", m.Score)
			}
			if m.Rule != m.Label || !slices.Contains(Entities(), m.Rule) {
				t.Fatalf("rule %q label %q", m.Rule, m.Label)
			}
		}
		// The default set finds a subset of what all entities find at the
		// same places, or values that won an overlap there.
		_ = defaultDet.Find(text, nil)
	})
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }
