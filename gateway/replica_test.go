package gateway

import (
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/catalog"
	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/upstream"
)

// testReplicas returns a backend of n replicas whose supervisors never
// run (so none is ready), with the given balancing.
func testReplicas(n int, bal config.Balancing) *backend {
	g := &Gateway{}
	b := &backend{g: g, cfg: config.Server{Name: "s", Balancing: bal}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i := range n {
		r := &replica{b: b, index: i, log: log}
		r.sv = upstream.NewSupervisor(upstream.SupervisorOptions{Name: "s", Log: log})
		b.replicas = append(b.replicas, r)
	}
	return b
}

var errDown = errors.New("connection refused")

func TestReplicaBreaker(t *testing.T) {
	b := testReplicas(2, config.Balancing{MaxFailures: 3, EjectFor: time.Second})
	r := b.replicas[0]
	for i := range 2 {
		r.done(ticket{r: r}, errDown)
		if !r.ejectedUntil().IsZero() {
			t.Fatalf("ejected after %d failures, want 3", i+1)
		}
	}
	r.done(ticket{r: r}, nil) // a success resets the count
	for range 2 {
		r.done(ticket{r: r}, errDown)
	}
	if !r.ejectedUntil().IsZero() {
		t.Fatal("failures before a success counted toward ejection")
	}
	r.done(ticket{r: r}, errDown)
	until := r.ejectedUntil()
	if until.IsZero() {
		t.Fatal("not ejected after 3 failures in a row")
	}
	if ok, _ := r.admit(until.Add(-time.Millisecond)); ok {
		t.Error("admitted while ejected")
	}
	// Time is up: exactly one trial.
	ok, trial := r.admit(until)
	if !ok || !trial {
		t.Fatalf("admit after the ejection = %v, %v; want a trial", ok, trial)
	}
	if ok, _ := r.admit(until); ok {
		t.Error("a second call admitted while the trial is out")
	}
	// A failed trial ejects again for twice as long.
	before := time.Now()
	r.done(ticket{r: r, trial: true}, errDown)
	if d := r.ejectedUntil().Sub(before); d < 2*time.Second || d > 3*time.Second {
		t.Errorf("second ejection lasts %v, want about 2s", d)
	}
	// A passing trial puts it back in rotation and resets the doubling.
	ok, trial = r.admit(r.ejectedUntil())
	if !ok || !trial {
		t.Fatal("no trial after the second ejection")
	}
	r.done(ticket{r: r, trial: true}, nil)
	if !r.ejectedUntil().IsZero() || r.ejections != 0 {
		t.Errorf("after a passing trial: until %v, ejections %d", r.ejectedUntil(), r.ejections)
	}
	if ok, trial := r.admit(time.Now()); !ok || trial {
		t.Errorf("admit in rotation = %v, %v", ok, trial)
	}
}

func TestReplicaHealthCheck(t *testing.T) {
	b := testReplicas(2, config.Balancing{MaxFailures: 3, EjectFor: time.Minute})
	r := b.replicas[1]
	r.checked(errDown)
	if r.ejectedUntil().IsZero() {
		t.Fatal("a failed health check did not eject")
	}
	r.checked(nil)
	if !r.ejectedUntil().IsZero() {
		t.Error("a passing health check did not end an ejection a failed one began")
	}
	// An ejection from calls is not ended by a ping: the trial call decides.
	for range 3 {
		r.done(ticket{r: r}, errDown)
	}
	r.checked(nil)
	if r.ejectedUntil().IsZero() {
		t.Error("a passing health check ended an ejection that failed calls began")
	}
}

func TestOneReplicaIsNeverEjected(t *testing.T) {
	b := testReplicas(1, config.Balancing{MaxFailures: 1, EjectFor: time.Minute})
	r := b.replicas[0]
	for range 5 {
		r.done(ticket{r: r}, errDown)
	}
	r.checked(errDown)
	if !r.ejectedUntil().IsZero() {
		t.Error("the only replica was taken out of rotation")
	}
}

func TestPick(t *testing.T) {
	tests := []struct {
		name    string
		policy  string
		n       int
		eject   []int // replicas out of rotation
		tried   []int
		key     string
		calls   int
		want    map[int]int // picks per replica over calls
		wantNil bool
	}{
		{name: "round robin spreads", policy: config.BalanceRoundRobin, n: 3, calls: 300, want: map[int]int{0: 100, 1: 100, 2: 100}},
		{name: "round robin skips the ejected", policy: config.BalanceRoundRobin, n: 3, eject: []int{1}, calls: 300, want: map[int]int{0: 100, 1: 0, 2: 200}},
		{name: "session sticks", policy: config.BalanceSession, n: 4, key: "client-a", calls: 50},
		{name: "never a tried replica", policy: config.BalanceRoundRobin, n: 2, tried: []int{0}, calls: 10, want: map[int]int{1: 10}},
		{name: "all ejected: the soonest back", policy: config.BalanceRoundRobin, n: 2, eject: []int{0, 1}, calls: 4, want: map[int]int{0: 4}},
		{name: "all tried", policy: config.BalanceRoundRobin, n: 2, tried: []int{0, 1}, calls: 1, wantNil: true},
		{name: "least in flight", policy: config.BalanceLeastInflight, n: 3, calls: 10, want: map[int]int{2: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := testReplicas(tt.n, config.Balancing{Policy: tt.policy, MaxFailures: 1, EjectFor: time.Minute})
			for i, e := range tt.eject {
				r := b.replicas[e]
				r.until = time.Now().Add(time.Minute + time.Duration(i)*time.Second)
			}
			if tt.policy == config.BalanceLeastInflight {
				b.replicas[0].inflight.Store(5)
				b.replicas[1].inflight.Store(2)
			}
			var tried []*replica
			for _, i := range tt.tried {
				tried = append(tried, b.replicas[i])
			}
			got := map[int]int{}
			for range tt.calls {
				r, tk := b.pick(tt.key, tried, false)
				if r == nil {
					got[-1]++
					continue
				}
				got[r.index]++
				r.done(tk, nil)
				if len(tt.eject) > 0 { // keep them out: done(nil) of a panic pick readmits
					for i, e := range tt.eject {
						b.replicas[e].until = time.Now().Add(time.Minute + time.Duration(i)*time.Second)
					}
				}
			}
			switch {
			case tt.wantNil:
				if got[-1] != tt.calls {
					t.Errorf("picks %v, want none", got)
				}
			case tt.want == nil: // sticky: one replica only
				if len(got) != 1 {
					t.Errorf("picks %v, want one replica for one key", got)
				}
			default:
				for i, n := range tt.want {
					if got[i] != n {
						t.Errorf("picks %v, want %v", got, tt.want)
						break
					}
				}
			}
		})
	}
}

// BenchmarkPick is what balancing adds to a call: choosing a replica and
// recording the outcome.
func BenchmarkPick(b *testing.B) {
	for _, n := range []int{1, 3} {
		for _, policy := range []string{config.BalanceRoundRobin, config.BalanceLeastInflight, config.BalanceSession} {
			be := testReplicas(n, config.Balancing{Policy: policy, MaxFailures: 3, EjectFor: time.Second})
			b.Run(policy+"/"+string(rune('0'+n)), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					r, t := be.pick("session-key", nil, false)
					r.done(t, nil)
				}
			})
		}
	}
}

func TestListStale(t *testing.T) {
	now := time.Now()
	modern := func(ttlMs int64) cacheHint { return cacheHint{known: true, ttl: ttlMs} }
	tests := []struct {
		name    string
		caps    string
		refresh time.Duration
		hint    cacheHint
		age     time.Duration
		want    bool
	}{
		{"legacy, no listRefresh: list_changed only", `{"tools":{}}`, 0, cacheHint{}, time.Hour, false},
		{"legacy, listRefresh due", `{"tools":{}}`, time.Minute, cacheHint{}, 2 * time.Minute, true},
		{"legacy, listRefresh not due", `{"tools":{}}`, time.Minute, cacheHint{}, 30 * time.Second, false},
		{"modern ttl due", `{"tools":{}}`, 0, modern(10_000), 11 * time.Second, true},
		{"modern ttl not due", `{"tools":{}}`, 0, modern(10_000), 9 * time.Second, false},
		{"modern ttl 0 counts as the floor", `{"tools":{}}`, 0, modern(0), 4 * time.Second, false},
		{"modern ttl 0 after the floor", `{"tools":{}}`, 0, modern(0), 6 * time.Second, true},
		{"the shorter of ttl and listRefresh", `{"tools":{}}`, 20 * time.Second, modern(60_000), 25 * time.Second, true},
		{"not offered", `{"prompts":{}}`, time.Second, cacheHint{}, time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &backend{cfg: config.Server{ListRefresh: tt.refresh}, caps: []byte(tt.caps)}
			b.hints[catalog.Tools] = tt.hint
			b.fetched[catalog.Tools] = now.Add(-tt.age)
			if got := b.listStale(catalog.Tools, now); got != tt.want {
				t.Errorf("listStale = %v, want %v", got, tt.want)
			}
		})
	}
}

// A mistake in a server's "oauth" is reported once, at its own place in
// the file, not prefixed with the server's place again.
func TestOAuthConfigErrorsNameTheirPlace(t *testing.T) {
	tests := []struct{ entry, want string }{
		{`{"url": "https://gh.example/mcp", "oauth": {"grant": "password", "tokenUrl": "https://as.example/token", "clientId": "x"}}`,
			`t.json:1:66: mcpServers.gh.oauth.grant: unknown grant "password" (use "client_credentials" or "token_exchange")`},
		{`{"url": "https://gh.example/mcp", "isolation": "shared", "oauth": {"grant": "token_exchange", "tokenUrl": "https://as.example/token", "clientId": "x"}}`,
			`t.json:1:89: mcpServers.gh.oauth.grant: token exchange acts for each user, so the server needs its own session per client; remove "isolation": "shared" or use the client_credentials grant`},
		{`{"url": "https://gh.example/mcp", "headers": {"Authorization": "Bearer x"}, "oauth": {"tokenUrl": "https://as.example/token", "clientId": "x", "clientSecret": "s"}}`,
			`t.json:1:108: mcpServers.gh.oauth: both "headers.Authorization" and "oauth" set this server's Authorization; remove one of them`},
	}
	for _, tt := range tests {
		cfg, err := config.Parse("t.json", []byte(`{"mcpServers": {"gh": `+tt.entry+`}}`), func(string) (string, bool) { return "", false }, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		_, err = New(Options{Config: cfg, Log: quiet, Version: "test", MultiClient: true})
		if err == nil || err.Error() != tt.want {
			t.Errorf("New error\n got %v\nwant %s", err, tt.want)
		}
	}
}
