package secrets

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Alphabets for generating test values.
const (
	genUpper   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	genLower   = "abcdefghijklmnopqrstuvwxyz"
	genDigits  = "0123456789"
	genAlpha   = genUpper + genLower
	genAlnum   = genAlpha + genDigits
	genB64URL  = genAlnum + "_-"
	genB64     = genAlnum + "+/"
	genHex     = "0123456789abcdef"
	genB32     = genUpper + "234567"
	genWord    = genAlnum + "_"
	genUpAlnum = genUpper + genDigits
	genLowAlnm = genLower + genDigits
)

// gen generates random test values from a fixed seed, so failures
// reproduce.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

// s returns n random characters of alphabet.
func (g *gen) s(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

// mixed returns n random characters of alphabet holding at least one
// letter and one digit (where the alphabet has both).
func (g *gen) mixed(n int, alphabet string) string {
	for {
		v := g.s(n, alphabet)
		if !strings.ContainsAny(alphabet, genDigits) || !strings.ContainsAny(alphabet, genAlpha) ||
			(strings.ContainsAny(v, genDigits) && strings.ContainsAny(v, genAlpha)) {
			return v
		}
	}
}

// bech32 returns "AGE-SECRET-KEY-1" + 58 characters with a valid checksum.
func (g *gen) ageKey() string {
	data := make([]byte, 52) // 32 bytes of key in 5-bit groups
	for i := range data {
		data[i] = byte(g.r.IntN(32))
	}
	hrp := "age-secret-key-"
	values := func() []uint32 {
		var v []uint32
		for i := 0; i < len(hrp); i++ {
			v = append(v, uint32(hrp[i])>>5)
		}
		v = append(v, 0)
		for i := 0; i < len(hrp); i++ {
			v = append(v, uint32(hrp[i])&31)
		}
		for _, d := range data {
			v = append(v, uint32(d))
		}
		return append(v, 0, 0, 0, 0, 0, 0)
	}()
	chk := uint32(1)
	for _, v := range values {
		chk = bech32Step(chk, v)
	}
	chk ^= 1
	var b strings.Builder
	b.WriteString("AGE-SECRET-KEY-1")
	for _, d := range data {
		b.WriteByte(strings.ToUpper(bech32Charset)[d])
	}
	for i := 0; i < 6; i++ {
		b.WriteByte(strings.ToUpper(bech32Charset)[(chk>>uint(5*(5-i)))&31])
	}
	return b.String()
}

// pem returns a PEM block with random base64 content.
func (g *gen) pem(label string, lines int) string {
	var b strings.Builder
	b.WriteString("-----BEGIN " + label + "-----\n")
	for i := 0; i < lines; i++ {
		raw := make([]byte, 48)
		for j := range raw {
			raw[j] = byte(g.r.IntN(256))
		}
		b.WriteString(base64.StdEncoding.EncodeToString(raw) + "\n")
	}
	b.WriteString("-----END " + label + "-----")
	return b.String()
}

// jwt returns a JWT with a real JSON header and payload.
func (g *gen) jwt() string {
	enc := base64.RawURLEncoding.EncodeToString
	h := enc([]byte(`{"alg":"HS256","typ":"JWT"}`))
	p := enc([]byte(fmt.Sprintf(`{"sub":"%s","iat":%d,"scope":"repo"}`, g.s(12, genAlnum), 1700000000+g.r.IntN(1e7))))
	sig := make([]byte, 32)
	for i := range sig {
		sig[i] = byte(g.r.IntN(256))
	}
	return h + "." + p + "." + enc(sig)
}

// proseText returns about n bytes of English prose without secrets.
func proseText(n int) string {
	const para = "The deployment finished without errors after the second retry, and the on-call engineer " +
		"confirmed that the dashboards were green again. We still need to pass the new configuration through " +
		"review before Friday; please ask the platform team whether the secret rotation policy applies to the " +
		"staging account as well. Tokens of appreciation go to everyone who stayed late to debug the cache " +
		"invalidation issue, which turned out to be a race between two workers writing the same key. " +
		"Next week we will document the recovery procedure, add a task to the backlog for the missing alerts, " +
		"and schedule a short session to walk through the incident timeline with the support desk. " +
		"In the meantime, keep an eye on the error budget and do not share passwords over chat. "
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(para)
	}
	return b.String()[:n]
}

// jsonText returns about n bytes of API-response JSON without secrets.
func jsonText(n int) string {
	g := newGen(42)
	type user struct {
		Login     string `json:"login"`
		ID        int    `json:"id"`
		NodeID    string `json:"node_id"`
		AvatarURL string `json:"avatar_url"`
		HTMLURL   string `json:"html_url"`
		Type      string `json:"type"`
	}
	type issue struct {
		URL       string   `json:"url"`
		ID        int      `json:"id"`
		Number    int      `json:"number"`
		Title     string   `json:"title"`
		State     string   `json:"state"`
		User      user     `json:"user"`
		Labels    []string `json:"labels"`
		Comments  int      `json:"comments"`
		CreatedAt string   `json:"created_at"`
		UpdatedAt string   `json:"updated_at"`
		SHA       string   `json:"merge_commit_sha"`
		Body      string   `json:"body"`
	}
	var items []issue
	var size int
	for size < n {
		login := g.s(8, genLower)
		it := issue{
			URL: fmt.Sprintf("https://api.github.com/repos/acme/widgets/issues/%d", 1000+len(items)),
			ID:  2000000000 + g.r.IntN(1e8), Number: 1000 + len(items),
			Title: "Fix flaky test in the cache layer when two workers race", State: "open",
			User: user{Login: login, ID: g.r.IntN(1e7), NodeID: "MDQ6VXNlcj" + g.s(6, genAlnum),
				AvatarURL: "https://avatars.githubusercontent.com/u/" + g.s(7, genDigits) + "?v=4",
				HTMLURL:   "https://github.com/" + login, Type: "User"},
			Labels: []string{"bug", "flaky-test"}, Comments: g.r.IntN(20),
			CreatedAt: "2025-03-14T09:26:53Z", UpdatedAt: "2025-03-15T11:02:07Z",
			SHA:  g.s(40, genHex),
			Body: "Steps to reproduce: run the suite twice in parallel; the second run fails with a timeout.",
		}
		items = append(items, it)
		b, _ := json.Marshal(it)
		size += len(b) + 1
	}
	b, _ := json.Marshal(items)
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// logText returns about n bytes of service log lines without secrets.
func logText(n int) string {
	g := newGen(7)
	var b strings.Builder
	paths := []string{"/api/v1/orders", "/healthz", "/api/v1/users/42/settings", "/static/app.js", "/api/v2/search?q=widgets&page=3"}
	for b.Len() < n {
		fmt.Fprintf(&b, "2025-03-14T09:%02d:%02d.%03dZ level=info msg=\"request completed\" method=GET path=%s status=%d duration_ms=%d remote=10.%d.%d.%d request_id=%s\n",
			g.r.IntN(60), g.r.IntN(60), g.r.IntN(1000), paths[g.r.IntN(len(paths))], []int{200, 200, 200, 304, 404}[g.r.IntN(5)],
			g.r.IntN(900), g.r.IntN(256), g.r.IntN(256), g.r.IntN(256), g.s(16, genHex))
	}
	return b.String()[:n]
}

// sourceText returns about n bytes of Go source code from the standard
// library (or this package, where the Go tree is not at hand).
func sourceText(n int) string {
	var b strings.Builder
	for _, p := range []string{
		filepath.Join(runtime.GOROOT(), "src", "net", "http", "server.go"),
		filepath.Join(runtime.GOROOT(), "src", "net", "http", "transport.go"),
		"scanner.go", "assign.go",
	} {
		if data, err := os.ReadFile(p); err == nil {
			b.Write(data)
		}
		if b.Len() >= n {
			break
		}
	}
	s := b.String()
	for len(s) < n {
		s += s
	}
	return s[:n]
}

// mixedText returns about n bytes alternating prose, JSON, logs and code.
func mixedText(n int) string {
	var b strings.Builder
	parts := []string{proseText(16 << 10), jsonText(16 << 10), logText(16 << 10), sourceText(16 << 10)}
	for i := 0; b.Len() < n; i++ {
		b.WriteString(parts[i%len(parts)])
		b.WriteByte('\n')
	}
	return b.String()[:n]
}
