// Package storetest is one behaviour suite for every [audit.Store]: Run
// checks the contract written in package audit's doc comments, so that all
// implementations (SQLite, PostgreSQL, the in-memory reference in this
// package's tests) are proven to behave the same.
//
// storetest imports audit, so it can only be used from audit's external
// test package (package audit_test, in audit/*_test.go), never from files
// in package audit itself (that would be an import cycle):
//
//	package audit_test
//
//	func TestSQLiteStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) audit.Store {
//			s, err := audit.OpenSQLite(filepath.Join(t.TempDir(), "audit.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
package storetest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/audit"
)

// Run runs the suite against the stores that open returns. open is called
// once per subtest, with the subtest's t, and must return a new, empty
// store; Run closes it at the end of the subtest (open must not).
//
// Where the contract leaves room, the suite reads it so:
//   - "as written" is exact for every field but Time: Duration to the
//     nanosecond, Args byte for byte (the raw arguments, whose hash is
//     ArgsDigest), strings as they are when they are valid UTF-8 without
//     NUL, else with U+FFFD for each NUL and invalid byte, in every store
//     alike (PostgreSQL text cannot hold NUL), filters included; Time is the
//     same instant at microsecond precision (in any location); nil and empty
//     Args or Findings are the same.
//   - IDs grow in insertion order for records and for events (whether the
//     two share a sequence is not checked), and a reader following new rows
//     with AfterID = the last ID it saw misses none, even while several
//     goroutines write.
//   - Filter fields compare exactly (no case folding, patterns or
//     normalization); Status and Method are not checked on events, nor Kind
//     on records.
//   - MaxBytes: after a prune to a bound well below what is stored, the rows
//     kept are the newest of each kind, hold at most the bound in string
//     bytes and at least an eighth of it, Prune's count is the rows gone,
//     and pruning again to the same or a larger bound deletes nothing. How
//     a store measures its size is its own affair.
func Run(t *testing.T, open func(t *testing.T) audit.Store) {
	for _, tc := range []struct {
		name string
		f    func(t *testing.T, s audit.Store)
		// closes: the test closes the store itself.
		closes bool
	}{
		{name: "RoundTripCalls", f: testRoundTripCalls},
		{name: "RoundTripEvents", f: testRoundTripEvents},
		{name: "WriteKeepsNoReferences", f: testWriteKeepsNoReferences},
		{name: "EmptyStoreAndEmptyWrites", f: testEmptyWrites},
		{name: "OrderAndAfterID", f: testOrder},
		{name: "DefaultLimit", f: testDefaultLimit},
		{name: "CallFilters", f: testCallFilters},
		{name: "EventFilters", f: testEventFilters},
		{name: "UnicodeAndLongStrings", f: testUnicode},
		{name: "NULAndControlCharacters", f: testControlChars},
		{name: "ArgsBytesVerbatim", f: testArgsVerbatim},
		{name: "LargeBatch", f: testLargeBatch},
		{name: "PruneMaxAge", f: testPruneMaxAge},
		{name: "PruneMaxBytes", f: testPruneMaxBytes},
		{name: "PruneZeroRetention", f: testPruneZero},
		{name: "ConcurrentWrites", f: testConcurrentWrites},
		{name: "ConcurrentWritesFollowedByAfterID", f: testConcurrentFollow},
		{name: "CloseThenUse", f: testCloseThenUse, closes: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			if s == nil {
				t.Fatal("open returned a nil store")
			}
			if !tc.closes {
				t.Cleanup(func() {
					if err := s.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				})
			}
			tc.f(t, s)
		})
	}
}

// ---- helpers ----

// base is a fixed moment (whole seconds) from which the tests lay out times.
var base = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// Zones the tests write and filter times in: a store must compare instants,
// not wall clocks.
var (
	zoneIndia = time.FixedZone("IST", 5*3600+1800)
	zonePST   = time.FixedZone("PST", -8*3600)
	zoneBRT   = time.FixedZone("BRT", -3*3600)
)

func write(t *testing.T, s audit.Store, recs []audit.Record, evs []audit.Event) {
	t.Helper()
	if err := s.Write(t.Context(), recs, evs); err != nil {
		t.Fatalf("Write(%d records, %d events): %v", len(recs), len(evs), err)
	}
}

func calls(t *testing.T, s audit.Store, f audit.Filter) []audit.Record {
	t.Helper()
	rs, err := s.Calls(t.Context(), f)
	if err != nil {
		t.Fatalf("Calls(%s): %v", fmtFilter(f), err)
	}
	return rs
}

func events(t *testing.T, s audit.Store, f audit.Filter) []audit.Event {
	t.Helper()
	es, err := s.Events(t.Context(), f)
	if err != nil {
		t.Fatalf("Events(%s): %v", fmtFilter(f), err)
	}
	return es
}

func prune(t *testing.T, s audit.Store, r audit.Retention) int64 {
	t.Helper()
	n, err := s.Prune(t.Context(), r)
	if err != nil {
		t.Fatalf("Prune(%+v): %v", r, err)
	}
	return n
}

// allCalls returns every record, oldest first; allEvents every event.
func allCalls(t *testing.T, s audit.Store) []audit.Record {
	t.Helper()
	rs := calls(t, s, audit.Filter{Limit: 1 << 20})
	slices.Reverse(rs)
	return rs
}

func allEvents(t *testing.T, s audit.Store) []audit.Event {
	t.Helper()
	es := events(t, s, audit.Filter{Limit: 1 << 20})
	slices.Reverse(es)
	return es
}

// fmtFilter shows the fields of f that are set.
func fmtFilter(f audit.Filter) string {
	var parts []string
	v := reflect.ValueOf(f)
	for i := range v.NumField() {
		fv := v.Field(i)
		if fv.IsZero() {
			continue
		}
		x := fv.Interface()
		if tm, ok := x.(time.Time); ok {
			x = tm.Format(time.RFC3339Nano)
		}
		parts = append(parts, fmt.Sprintf("%s: %v", v.Type().Field(i).Name, x))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// diffFields lists the fields in which got and want (structs of one type)
// differ.
func diffFields(got, want any) []string {
	var out []string
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range g.NumField() {
		gf, wf := g.Field(i).Interface(), w.Field(i).Interface()
		if !reflect.DeepEqual(gf, wf) {
			out = append(out, fmt.Sprintf("%s: got %s, want %s", g.Type().Field(i).Name, short(gf), short(wf)))
		}
	}
	return out
}

// short formats v for a message, eliding the middle of long values.
func short(v any) string {
	var s string
	switch x := v.(type) {
	case json.RawMessage:
		if x == nil {
			s = "nil"
		} else {
			s = fmt.Sprintf("%q", string(x))
		}
	case string:
		s = fmt.Sprintf("%q", x)
	case time.Duration:
		s = fmt.Sprintf("%v (%dns)", x, int64(x))
	default:
		s = fmt.Sprintf("%#v", v)
	}
	if len(s) > 300 {
		s = fmt.Sprintf("%s...(%d bytes)...%s", s[:150], len(s), s[len(s)-100:])
	}
	return s
}

// sameInstant reports whether got is want at microsecond precision.
func sameInstant(got, want time.Time) bool {
	d := got.Sub(want)
	return d > -time.Microsecond && d < time.Microsecond
}

// checkRecord compares a stored record with the one written: every field
// equal, Time the same instant at microsecond precision, ID set; nil and
// empty Args and Findings are the same.
func checkRecord(t *testing.T, what string, got, want audit.Record) {
	t.Helper()
	if got.ID <= 0 {
		t.Errorf("%s: ID %d, want > 0", what, got.ID)
	}
	if !sameInstant(got.Time, want.Time) {
		t.Errorf("%s: Time %s, want %s (= %s) at microsecond precision", what,
			got.Time.Format(time.RFC3339Nano), want.Time.UTC().Format(time.RFC3339Nano), want.Time.Format(time.RFC3339Nano))
	}
	want.ID, want.Time = got.ID, got.Time
	normRecord(&got)
	normRecord(&want)
	for _, d := range diffFields(got, want) {
		t.Errorf("%s: %s", what, d)
	}
}

func normRecord(r *audit.Record) {
	if len(r.Args) == 0 {
		r.Args = nil
	}
	if len(r.Findings) == 0 {
		r.Findings = nil
	}
}

func checkEvent(t *testing.T, what string, got, want audit.Event) {
	t.Helper()
	if got.ID <= 0 {
		t.Errorf("%s: ID %d, want > 0", what, got.ID)
	}
	if !sameInstant(got.Time, want.Time) {
		t.Errorf("%s: Time %s, want %s (= %s) at microsecond precision", what,
			got.Time.Format(time.RFC3339Nano), want.Time.UTC().Format(time.RFC3339Nano), want.Time.Format(time.RFC3339Nano))
	}
	want.ID, want.Time = got.ID, got.Time
	for _, d := range diffFields(got, want) {
		t.Errorf("%s: %s", what, d)
	}
}

// rec is a small record, told apart by its RequestID.
func rec(id string, at time.Time) audit.Record {
	return audit.Record{RequestID: id, Time: at, Method: "tools/call", Server: "srv", Name: "tool",
		Status: audit.StatusOK, Duration: 3 * time.Millisecond, BytesIn: 10, BytesOut: 20}
}

// ev is a small event, told apart by its Reason.
func ev(reason string, at time.Time) audit.Event {
	return audit.Event{Time: at, Kind: audit.KindSecurity, Plugin: "pii", Type: "masked", Reason: reason}
}

func requestIDs(rs []audit.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.RequestID
	}
	return out
}

func reasons(es []audit.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Reason
	}
	return out
}

func callIDs(rs []audit.Record) []int64 {
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func eventIDs(es []audit.Event) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// checkIncreasing fails unless ids strictly increase.
func checkIncreasing(t *testing.T, what string, ids []int64) {
	t.Helper()
	for i := 1; i < len(ids); i++ {
		if ids[i] <= ids[i-1] {
			t.Errorf("%s: IDs not strictly increasing in insertion order: [%d]=%d, [%d]=%d", what, i-1, ids[i-1], i, ids[i])
			return
		}
	}
}

func checkStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %d %s\n want %d %s", what, len(got), abbrev(got), len(want), abbrev(want))
	}
}

func abbrev(s []string) string {
	if len(s) <= 24 {
		return fmt.Sprint(s)
	}
	return fmt.Sprintf("%v ... %v", s[:12], s[len(s)-12:])
}

// randomText returns n bytes of incompressible hex text.
func randomText(r *rand.Rand, n int) string {
	b := make([]byte, (n+1)/2)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return hex.EncodeToString(b)[:n]
}

// fullRecord has every field set, Time in a zone other than UTC and with
// nanoseconds.
func fullRecord() audit.Record {
	return audit.Record{
		RequestID:  "01JQ8Z6ZV3M6T2C5X9B4N7K0PA",
		TraceID:    "4bf92f3577b34da6a3ce929d0e0e4736",
		Time:       time.Date(2026, 3, 14, 20, 39, 26, 123456789, zoneIndia),
		Duration:   1234567891 * time.Nanosecond,
		Principal:  "alice@example.com",
		Client:     "claude-code",
		Session:    "sess-7f3a",
		Method:     "tools/call",
		Server:     "github",
		Name:       "github__create_issue",
		ArgsDigest: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		// Not in canonical form (spaces, key order, number formats):
		// stored bytes must come back verbatim.
		Args:     json.RawMessage(`{"title":  "Bug",  "labels":["a","b"], "n": 1.50, "z":{"y":null, "x":true}, "e":1E3}`),
		Status:   audit.StatusToolError,
		Code:     -32602,
		Error:    "invalid params: missing field \"repo\"",
		BytesIn:  123,
		BytesOut: 45678,
		Cached:   true,
		Plugin:   "secrets",
		Findings: []audit.Finding{
			{Plugin: "secrets", Type: "masked", Rule: "aws-access-key", Direction: "request", Count: 2},
			{Plugin: "pii", Type: "logged", Rule: "EMAIL", Direction: "response", Count: 1},
			{Plugin: "injection", Type: "blocked"},
		},
	}
}

func fullEvent() audit.Event {
	return audit.Event{
		Time:      time.Date(2026, 3, 14, 7, 9, 26, 987654321, zonePST),
		Kind:      audit.KindSecurity,
		Plugin:    "secrets",
		Type:      "masked",
		Server:    "github",
		Name:      "github__create_issue",
		Rule:      "aws-access-key",
		Direction: "request",
		Count:     3,
		Reason:    "AWS access key in arguments",
		Principal: "alice@example.com",
		Session:   "sess-7f3a",
		RequestID: "01JQ8Z6ZV3M6T2C5X9B4N7K0PA",
	}
}

// ---- round trips ----

func testRoundTripCalls(t *testing.T, s audit.Store) {
	full := fullRecord()
	// The fewest fields a record has: everything else zero.
	minimal := audit.Record{RequestID: "min", Time: base, Method: "ping", Status: audit.StatusOK}
	// Every status and a cached, uncached, negative code mix.
	var more []audit.Record
	for i, st := range audit.Statuses {
		r := rec(fmt.Sprintf("st-%d", i), base.Add(time.Duration(i)*time.Second))
		r.Status, r.Code, r.Cached = st, -32000-i, i%2 == 0
		more = append(more, r)
	}
	recs := append([]audit.Record{full, minimal}, more...)
	before := slices.Clone(recs)
	write(t, s, recs, nil)
	if !reflect.DeepEqual(recs, before) {
		t.Errorf("Write changed its argument (it must set nothing, not even IDs)")
	}
	got := allCalls(t, s)
	if len(got) != len(recs) {
		t.Fatalf("Calls returned %d records, want %d", len(got), len(recs))
	}
	for i := range recs {
		checkRecord(t, fmt.Sprintf("record %d (%s)", i, recs[i].RequestID), got[i], recs[i])
	}
}

func testRoundTripEvents(t *testing.T, s audit.Store) {
	full := fullEvent()
	minimal := audit.Event{Time: base, Kind: audit.KindBackend, Type: "started"}
	backend := audit.Event{Time: base.Add(time.Second), Kind: audit.KindBackend, Type: "exited", Server: "github", Reason: "exit status 1", Count: 1}
	evs := []audit.Event{full, minimal, backend}
	before := slices.Clone(evs)
	write(t, s, nil, evs)
	if !reflect.DeepEqual(evs, before) {
		t.Errorf("Write changed its argument (it must set nothing, not even IDs)")
	}
	got := allEvents(t, s)
	if len(got) != len(evs) {
		t.Fatalf("Events returned %d events, want %d", len(got), len(evs))
	}
	for i := range evs {
		checkEvent(t, fmt.Sprintf("event %d (%s)", i, evs[i].Type), got[i], evs[i])
	}
	// Records and events are kept apart.
	if rs := calls(t, s, audit.Filter{}); len(rs) != 0 {
		t.Errorf("Calls returned %d records after writing only events", len(rs))
	}
}

// testWriteKeepsNoReferences: what Write stored does not change when the
// caller reuses its buffers, nor when the caller changes what a query
// returned.
func testWriteKeepsNoReferences(t *testing.T, s audit.Store) {
	r := fullRecord()
	r.Args = json.RawMessage(`{"k":"original"}`)
	recs := []audit.Record{r}
	write(t, s, recs, []audit.Event{fullEvent()})
	copy(recs[0].Args, `{"k":"CHANGED!"}`)
	recs[0].Findings[0].Rule = "changed"
	recs[0].RequestID = "changed"
	want := fullRecord()
	want.Args = json.RawMessage(`{"k":"original"}`)
	got := calls(t, s, audit.Filter{})
	if len(got) != 1 {
		t.Fatalf("%d records, want 1", len(got))
	}
	checkRecord(t, "record after the caller changed its buffers", got[0], want)
	copy(got[0].Args, `{"k":"CHANGED!"}`)
	got[0].Findings[0].Rule = "changed"
	again := calls(t, s, audit.Filter{})
	checkRecord(t, "record after the caller changed a query's result", again[0], want)
}

func testEmptyWrites(t *testing.T, s audit.Store) {
	if rs := calls(t, s, audit.Filter{}); len(rs) != 0 {
		t.Fatalf("new store: Calls returned %d records", len(rs))
	}
	if es := events(t, s, audit.Filter{}); len(es) != 0 {
		t.Fatalf("new store: Events returned %d events", len(es))
	}
	if rs := calls(t, s, audit.Filter{AfterID: 1}); len(rs) != 0 {
		t.Fatalf("new store: Calls(AfterID 1) returned %d records", len(rs))
	}
	if n := prune(t, s, audit.Retention{MaxAge: time.Hour, MaxBytes: 1}); n != 0 {
		t.Errorf("Prune on an empty store deleted %d rows", n)
	}
	write(t, s, nil, nil)
	write(t, s, []audit.Record{}, []audit.Event{})
	write(t, s, []audit.Record{rec("only-record", base)}, nil)
	write(t, s, nil, []audit.Event{ev("only-event", base)})
	write(t, s, []audit.Record{}, nil)
	checkStrings(t, "records", requestIDs(allCalls(t, s)), []string{"only-record"})
	checkStrings(t, "events", reasons(allEvents(t, s)), []string{"only-event"})
}

// ---- order, AfterID, Limit ----

func testOrder(t *testing.T, s audit.Store) {
	// Times run backwards and jump around: the order is by ID, not time.
	at := func(i int) time.Time { return base.Add(time.Duration((i*7)%5-i) * time.Minute) }
	var names []string
	next := 0
	batch := func(n int) ([]audit.Record, []audit.Event) {
		var rs []audit.Record
		var es []audit.Event
		for range n {
			name := fmt.Sprintf("r%02d", next)
			rs = append(rs, rec(name, at(next)))
			es = append(es, ev(name, at(next)))
			names = append(names, name)
			next++
		}
		return rs, es
	}
	for _, n := range []int{3, 1, 4} {
		rs, es := batch(n)
		write(t, s, rs, es)
	}
	newest := slices.Clone(names)
	slices.Reverse(newest)

	gotC := calls(t, s, audit.Filter{})
	gotE := events(t, s, audit.Filter{})
	checkStrings(t, "Calls without AfterID: newest first", requestIDs(gotC), newest)
	checkStrings(t, "Events without AfterID: newest first", reasons(gotE), newest)
	if t.Failed() {
		return
	}
	cids, eids := callIDs(gotC), eventIDs(gotE)
	slices.Reverse(cids)
	slices.Reverse(eids)
	checkIncreasing(t, "records", cids)
	checkIncreasing(t, "events", eids)

	for _, tc := range []struct {
		name  string
		after int // index of the row whose ID is AfterID
		limit int
		want  []string
	}{
		{"after first", 0, 0, names[1:]},
		{"after third (a batch's last)", 2, 0, names[3:]},
		{"after fourth (a batch's only)", 3, 0, names[4:]},
		{"after last", len(names) - 1, 0, nil},
		{"after second, limit 3", 1, 3, names[2:5]},
		{"after sixth, limit 5", 5, 5, names[6:]},
	} {
		f := audit.Filter{AfterID: cids[tc.after], Limit: tc.limit}
		checkStrings(t, "Calls "+tc.name+" "+fmtFilter(f), requestIDs(calls(t, s, f)), tc.want)
		f.AfterID = eids[tc.after]
		checkStrings(t, "Events "+tc.name+" "+fmtFilter(f), reasons(events(t, s, f)), tc.want)
	}
	for _, limit := range []int{1, 3, len(names), len(names) + 5} {
		f := audit.Filter{Limit: limit}
		checkStrings(t, "Calls "+fmtFilter(f), requestIDs(calls(t, s, f)), newest[:min(limit, len(newest))])
		checkStrings(t, "Events "+fmtFilter(f), reasons(events(t, s, f)), newest[:min(limit, len(newest))])
	}
	// An AfterID beyond the last ID: nothing (yet).
	f := audit.Filter{AfterID: cids[len(cids)-1] + 1000}
	if rs := calls(t, s, f); len(rs) != 0 {
		t.Errorf("Calls %s: %d records, want none", fmtFilter(f), len(rs))
	}

	// Following: rows written later have higher IDs and come after the
	// last ID seen.
	lastC, lastE := cids[len(cids)-1], eids[len(eids)-1]
	from := len(names)
	rs, es := batch(2)
	write(t, s, rs, es)
	gotC = calls(t, s, audit.Filter{AfterID: lastC})
	gotE = events(t, s, audit.Filter{AfterID: lastE})
	checkStrings(t, "Calls after the last ID seen", requestIDs(gotC), names[from:])
	checkStrings(t, "Events after the last ID seen", reasons(gotE), names[from:])
	if len(gotC) == 2 && !(gotC[0].ID > lastC && gotC[1].ID > gotC[0].ID) {
		t.Errorf("records written later: IDs %d, %d after %d", gotC[0].ID, gotC[1].ID, lastC)
	}
	if len(gotE) == 2 && !(gotE[0].ID > lastE && gotE[1].ID > gotE[0].ID) {
		t.Errorf("events written later: IDs %d, %d after %d", gotE[0].ID, gotE[1].ID, lastE)
	}
}

func testDefaultLimit(t *testing.T, s audit.Store) {
	const n = audit.DefaultLimit + 50
	var rs []audit.Record
	var es []audit.Event
	var names []string
	for i := range n {
		name := fmt.Sprintf("r%03d", i)
		rs = append(rs, rec(name, base.Add(time.Duration(i)*time.Second)))
		es = append(es, ev(name, base.Add(time.Duration(i)*time.Second)))
		names = append(names, name)
	}
	write(t, s, rs, es)
	newest := slices.Clone(names)
	slices.Reverse(newest)

	checkStrings(t, "Calls with Limit 0: the DefaultLimit newest", requestIDs(calls(t, s, audit.Filter{})), newest[:audit.DefaultLimit])
	checkStrings(t, "Events with Limit 0: the DefaultLimit newest", reasons(events(t, s, audit.Filter{})), newest[:audit.DefaultLimit])
	checkStrings(t, "Calls with Limit 120", requestIDs(calls(t, s, audit.Filter{Limit: 120})), newest[:120])
	checkStrings(t, "Events with Limit 120", reasons(events(t, s, audit.Filter{Limit: 120})), newest[:120])
	checkStrings(t, "Calls with Limit 1000", requestIDs(calls(t, s, audit.Filter{Limit: 1000})), newest)
	checkStrings(t, "Events with Limit 1000", reasons(events(t, s, audit.Filter{Limit: 1000})), newest)

	all := allCalls(t, s)
	allE := allEvents(t, s)
	if len(all) != n || len(allE) != n {
		t.Fatalf("%d records, %d events, want %d", len(all), len(allE), n)
	}
	checkStrings(t, "Calls with AfterID and Limit 0: the DefaultLimit oldest after it",
		requestIDs(calls(t, s, audit.Filter{AfterID: all[9].ID})), names[10:10+audit.DefaultLimit])
	checkStrings(t, "Events with AfterID and Limit 0: the DefaultLimit oldest after it",
		reasons(events(t, s, audit.Filter{AfterID: allE[9].ID})), names[10:10+audit.DefaultLimit])
	checkStrings(t, "Calls with Filter.Server and Limit 0",
		requestIDs(calls(t, s, audit.Filter{Server: "srv"})), newest[:audit.DefaultLimit])
}

// ---- filters ----

var (
	servers    = []string{"alpha", "beta", ""}
	toolNames  = []string{"alpha__search", "beta__fetch", "file:///etc/hosts", ""}
	principals = []string{"alice", "bob", "local"}
	methods    = []string{"tools/call", "resources/read", "prompts/get", "tools/list"}
	kinds      = []string{audit.KindSecurity, audit.KindBackend}
	zones      = []*time.Location{time.UTC, zoneIndia, zonePST}
)

// filterData is the records or events the filter tests write: n rows whose
// fields cycle through the values above at different rates, one minute
// apart, written in a shuffled order (so that time order is not ID order),
// in several batches and time zones.
const filterRows = 84

// batchSizes: the filter tests flush a batch when it has
// batchSizes[k % len] rows after adding the k-th.
var batchSizes = []int{1, 7, 17, 2, 30, 4, 9}

// filterOrder is the shuffled insertion order: order[k] is the row written
// k-th.
func filterOrder() []int {
	r := rand.New(rand.NewPCG(1, 2))
	return r.Perm(filterRows)
}

func filterTime(i int) time.Time {
	return base.Add(time.Duration(i) * time.Minute).In(zones[i%len(zones)])
}

func filterRecord(i int) audit.Record {
	r := rec(fmt.Sprintf("row-%02d", i), filterTime(i))
	r.Server = servers[i%len(servers)]
	r.Name = toolNames[i%len(toolNames)]
	r.Principal = principals[(i/2)%len(principals)]
	r.Status = audit.Statuses[i%len(audit.Statuses)]
	r.Method = methods[(i/3)%len(methods)]
	return r
}

func filterEvent(i int) audit.Event {
	e := ev(fmt.Sprintf("row-%02d", i), filterTime(i))
	e.Kind = kinds[i%len(kinds)]
	e.Server = servers[(i/2)%len(servers)]
	e.Name = toolNames[i%len(toolNames)]
	e.Principal = principals[(i/3)%len(principals)]
	e.Type = []string{"masked", "blocked", "started", "exited"}[i%4]
	return e
}

func matchTime(f audit.Filter, at time.Time) bool {
	return (f.Since.IsZero() || !at.Before(f.Since)) && (f.Until.IsZero() || at.Before(f.Until))
}

func matchRecord(f audit.Filter, r audit.Record) bool {
	return matchTime(f, r.Time) &&
		(f.Server == "" || r.Server == f.Server) &&
		(f.Name == "" || r.Name == f.Name) &&
		(f.Principal == "" || r.Principal == f.Principal) &&
		(f.Status == "" || r.Status == f.Status) &&
		(f.Method == "" || r.Method == f.Method)
}

func matchEvent(f audit.Filter, e audit.Event) bool {
	return matchTime(f, e.Time) &&
		(f.Server == "" || e.Server == f.Server) &&
		(f.Name == "" || e.Name == f.Name) &&
		(f.Principal == "" || e.Principal == f.Principal) &&
		(f.Kind == "" || e.Kind == f.Kind)
}

// expect returns the names of the rows (ids[k], names[k]: the k-th
// written) that f selects, in the order the store must return them.
func expect(f audit.Filter, ids []int64, names []string, match func(k int) bool) []string {
	var out []string
	for k := range ids {
		if match(k) && (f.AfterID == 0 || ids[k] > f.AfterID) {
			out = append(out, names[k])
		}
	}
	if f.AfterID == 0 {
		slices.Reverse(out)
	}
	limit := f.Limit
	if limit == 0 {
		limit = audit.DefaultLimit
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

// timeFilters are the Since/Until filters both filter tests use: bounds
// exactly on rows' times (Since inclusive, Until exclusive), between rows,
// in zones other than the rows'.
func timeFilters() []audit.Filter {
	at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }
	return []audit.Filter{
		{Since: at(10)},
		{Since: at(10).In(zoneBRT)},
		{Since: at(10).Add(time.Second)},
		{Until: at(20)},
		{Until: at(20).In(zoneIndia)},
		{Until: at(20).Add(time.Microsecond)},
		{Since: at(30), Until: at(40)},
		{Since: at(30).In(zonePST), Until: at(40).In(zoneBRT)},
		{Since: at(30), Until: at(31)},
		{Since: at(30), Until: at(30)},
		{Since: at(50), Until: at(40)},
		{Since: at(filterRows)},
		{Until: at(0)},
		{Since: at(-1000), Until: at(1000)},
	}
}

func testCallFilters(t *testing.T, s audit.Store) {
	order := filterOrder()
	var batch []audit.Record
	names := make([]string, 0, filterRows)
	for k, i := range order {
		batch = append(batch, filterRecord(i))
		names = append(names, fmt.Sprintf("row-%02d", i))
		if len(batch) == batchSizes[k%len(batchSizes)] {
			write(t, s, batch, nil)
			batch = nil
		}
	}
	write(t, s, batch, nil)
	stored := allCalls(t, s)
	checkStrings(t, "all records in insertion order", requestIDs(stored), names)
	if t.Failed() {
		return
	}
	ids := callIDs(stored)
	written := make([]audit.Record, filterRows)
	for k, i := range order {
		written[k] = filterRecord(i)
	}

	var filters []audit.Filter
	for _, v := range servers[:2] {
		filters = append(filters, audit.Filter{Server: v})
	}
	for _, v := range toolNames[:3] {
		filters = append(filters, audit.Filter{Name: v})
	}
	for _, v := range principals {
		filters = append(filters, audit.Filter{Principal: v})
	}
	for _, v := range audit.Statuses {
		filters = append(filters, audit.Filter{Status: v})
	}
	for _, v := range methods {
		filters = append(filters, audit.Filter{Method: v})
	}
	filters = append(filters, timeFilters()...)
	mid := ids[filterRows/2]
	filters = append(filters,
		// combined
		audit.Filter{Server: "alpha", Principal: "bob"},
		audit.Filter{Server: "beta", Name: "beta__fetch"},
		audit.Filter{Server: "alpha", Status: audit.StatusOK},
		audit.Filter{Principal: "alice", Method: "tools/call", Since: base.Add(12 * time.Minute)},
		audit.Filter{Status: audit.StatusError, Since: base.Add(5 * time.Minute), Until: base.Add(70 * time.Minute)},
		audit.Filter{Server: "alpha", Name: "alpha__search", Principal: "alice", Status: audit.StatusOK, Method: "tools/call"},
		audit.Filter{Server: "alpha", Name: "beta__fetch"}, // no row has both
		// none match
		audit.Filter{Server: "gamma"},
		audit.Filter{Name: "alpha"},
		audit.Filter{Principal: "mallory"},
		audit.Filter{Status: "nope"},
		audit.Filter{Method: "tools/cal"},
		// with AfterID and Limit
		audit.Filter{Server: "alpha", AfterID: mid},
		audit.Filter{Server: "alpha", AfterID: mid, Limit: 3},
		audit.Filter{Principal: "bob", Limit: 4},
		audit.Filter{Since: base.Add(10 * time.Minute), Until: base.Add(60 * time.Minute), AfterID: mid, Limit: 5},
		audit.Filter{Since: base.Add(10 * time.Minute), Until: base.Add(60 * time.Minute), Limit: 5},
		audit.Filter{Status: audit.StatusDenied, AfterID: ids[0]},
	)
	for _, f := range filters {
		want := expect(f, ids, names, func(k int) bool { return matchRecord(f, written[k]) })
		checkStrings(t, "Calls "+fmtFilter(f), requestIDs(calls(t, s, f)), want)
	}
	// Filter fields of events only are not applied to records.
	f := audit.Filter{Server: "alpha", Kind: audit.KindBackend}
	want := expect(f, ids, names, func(k int) bool { return matchRecord(f, written[k]) })
	if got := requestIDs(calls(t, s, f)); !slices.Equal(got, want) {
		t.Logf("note: Calls %s applies Kind (an events-only field): %d records, %d without Kind", fmtFilter(f), len(got), len(want))
	}
}

func testEventFilters(t *testing.T, s audit.Store) {
	order := filterOrder()
	var batch []audit.Event
	names := make([]string, 0, filterRows)
	for k, i := range order {
		batch = append(batch, filterEvent(i))
		names = append(names, fmt.Sprintf("row-%02d", i))
		if len(batch) == batchSizes[(k+3)%len(batchSizes)] {
			write(t, s, nil, batch)
			batch = nil
		}
	}
	write(t, s, nil, batch)
	stored := allEvents(t, s)
	checkStrings(t, "all events in insertion order", reasons(stored), names)
	if t.Failed() {
		return
	}
	ids := eventIDs(stored)
	written := make([]audit.Event, filterRows)
	for k, i := range order {
		written[k] = filterEvent(i)
	}

	var filters []audit.Filter
	for _, v := range kinds {
		filters = append(filters, audit.Filter{Kind: v})
	}
	for _, v := range servers[:2] {
		filters = append(filters, audit.Filter{Server: v})
	}
	for _, v := range toolNames[:3] {
		filters = append(filters, audit.Filter{Name: v})
	}
	for _, v := range principals {
		filters = append(filters, audit.Filter{Principal: v})
	}
	filters = append(filters, timeFilters()...)
	mid := ids[filterRows/2]
	filters = append(filters,
		audit.Filter{Kind: audit.KindSecurity, Server: "alpha"},
		audit.Filter{Kind: audit.KindBackend, Name: "beta__fetch"},
		audit.Filter{Kind: audit.KindSecurity, Principal: "bob", Since: base.Add(20 * time.Minute)},
		audit.Filter{Server: "beta", Name: "alpha__search", Principal: "alice", Until: base.Add(70 * time.Minute)},
		audit.Filter{Kind: audit.KindSecurity, Name: "beta__fetch"}, // no row has both
		audit.Filter{Kind: "other"},
		audit.Filter{Server: "gamma"},
		audit.Filter{Principal: "mallory"},
		audit.Filter{Kind: audit.KindBackend, AfterID: mid},
		audit.Filter{Kind: audit.KindBackend, AfterID: mid, Limit: 4},
		audit.Filter{Principal: "alice", Limit: 3},
		audit.Filter{Since: base.Add(10 * time.Minute), Until: base.Add(60 * time.Minute), AfterID: mid, Limit: 5},
	)
	for _, f := range filters {
		want := expect(f, ids, names, func(k int) bool { return matchEvent(f, written[k]) })
		checkStrings(t, "Events "+fmtFilter(f), reasons(events(t, s, f)), want)
	}
}

// ---- contents ----

// unicodeText mixes scripts, emoji (outside the BMP), combining marks,
// right-to-left text and a few escapes-to-be.
const unicodeText = "héllo wörld — ✓ 日本語テキスト 🎉👩🏽‍💻 e\u0301 \u202eRTL\u202c Ελληνικά русский عربى 'quote' \"dq\" \\ % _ ; --"

// longText returns a string of exactly n bytes mixing ASCII and multibyte
// characters.
func longText(n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString("ünïcödé ✓ 日本 🎉 0123456789 ")
	}
	s := b.String()
	for len(s) > n { // cut at a rune boundary, pad with ASCII
		s = s[:len(s)-1]
	}
	s = strings.ToValidUTF8(s, "")
	return s + strings.Repeat("x", n-len(s))
}

func testUnicode(t *testing.T, s audit.Store) {
	u := unicodeText
	r := audit.Record{RequestID: "req-" + u, TraceID: u, Time: base, Duration: time.Second, Principal: "ålice-" + u,
		Client: u, Session: u, Method: "tools/call", Server: "sërver-" + u, Name: "naïve-" + u, ArgsDigest: u,
		Args:   json.RawMessage(`{"q":"` + u + `","esc":"\u00e9\ud83c\udf89"}`),
		Status: audit.StatusError, Code: 1, Error: u, Plugin: u,
		Findings: []audit.Finding{{Plugin: u, Type: u, Rule: u, Direction: u, Count: 1}}}
	long := rec("long", base.Add(time.Second))
	long.Error = longText(64 << 10)
	long.Args = json.RawMessage(`{"blob":"` + longText(64<<10) + `"}`)
	// Name is a resource URI for resources/read, which a client chooses:
	// it can be long (and is what Filter.Name selects).
	long.Name = "file:///" + randomText(rand.New(rand.NewPCG(5, 6)), 8<<10)
	e := audit.Event{Time: base, Kind: audit.KindSecurity, Plugin: u, Type: u, Server: "sërver-" + u, Name: "naïve-" + u,
		Rule: u, Direction: u, Count: 1, Reason: u, Principal: "ålice-" + u, Session: u, RequestID: u}
	longE := ev(longText(64<<10), base.Add(time.Second))
	write(t, s, []audit.Record{r, long}, []audit.Event{e, longE})

	got := allCalls(t, s)
	if len(got) != 2 {
		t.Fatalf("%d records, want 2", len(got))
	}
	checkRecord(t, "unicode record", got[0], r)
	checkRecord(t, "record with a 64 KiB error and args, 8 KiB name", got[1], long)
	gotE := allEvents(t, s)
	if len(gotE) != 2 {
		t.Fatalf("%d events, want 2", len(gotE))
	}
	checkEvent(t, "unicode event", gotE[0], e)
	checkEvent(t, "event with a 64 KiB reason", gotE[1], longE)

	// Filters compare the exact strings.
	checkStrings(t, "Calls by unicode server, name, principal",
		requestIDs(calls(t, s, audit.Filter{Server: r.Server, Name: r.Name, Principal: r.Principal})), []string{r.RequestID})
	checkStrings(t, "Calls by the 8 KiB name", requestIDs(calls(t, s, audit.Filter{Name: long.Name})), []string{"long"})
	checkStrings(t, "Calls by a name differing only in its accent (NFC vs NFD)",
		requestIDs(calls(t, s, audit.Filter{Name: strings.Replace(r.Name, "naïve", "nai\u0308ve", 1)})), nil)
	checkStrings(t, "Calls by a name differing only in case",
		requestIDs(calls(t, s, audit.Filter{Name: strings.ToUpper(r.Name)})), nil)
	checkStrings(t, "Calls by a LIKE pattern as name", requestIDs(calls(t, s, audit.Filter{Name: "%"})), nil)
	checkStrings(t, "Events by unicode server, name, principal",
		reasons(events(t, s, audit.Filter{Server: e.Server, Name: e.Name, Principal: e.Principal})), []string{u})
}

// testControlChars: strings come from JSON (a client's clientInfo.name, a
// tool name, a backend's error message), where "\u0000" is valid; a store
// that refused them would fail every write of the batch that holds one,
// and the writer retries a failed batch forever. Every store keeps them the
// same way: NUL and invalid UTF-8 become U+FFFD, other control characters
// stay.
func testControlChars(t *testing.T, s audit.Store) {
	clean := func(s string) string {
		return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	}
	c := "nul\x00byte\x01\x02\x1f tab\t nl\n cr\r del\x7f \u2028 \ufeff end"
	r := audit.Record{RequestID: "ctl", Time: base, Method: "tools/call", Status: audit.StatusError,
		Client: c, Name: "tool\x00name", Principal: c, Error: c, Server: "s\x00", Session: c, TraceID: c, Plugin: c,
		Args:     json.RawMessage(`{"s":"a\u0000b"}`),
		Findings: []audit.Finding{{Plugin: "p", Type: "masked", Rule: c}}}
	e := audit.Event{Time: base, Kind: audit.KindSecurity, Type: "hidden", Name: "tool\x00name", Reason: c, Rule: c, Principal: c, RequestID: c}
	if err := s.Write(t.Context(), []audit.Record{r}, []audit.Event{e}); err != nil {
		t.Fatalf("Write of strings with NUL and control characters: %v", err)
	}
	got := calls(t, s, audit.Filter{})
	if len(got) != 1 {
		t.Fatalf("%d records, want 1", len(got))
	}
	wantR := r
	wantR.Client, wantR.Name, wantR.Principal, wantR.Error = clean(c), clean(r.Name), clean(c), clean(c)
	wantR.Server, wantR.Session, wantR.TraceID, wantR.Plugin = clean(r.Server), clean(c), clean(c), clean(c)
	// Findings are stored as JSON, where NUL is an escape: they keep it.
	checkRecord(t, "record with control characters", got[0], wantR)
	gotE := events(t, s, audit.Filter{})
	if len(gotE) != 1 {
		t.Fatalf("%d events, want 1", len(gotE))
	}
	wantE := e
	wantE.Name, wantE.Reason, wantE.Rule, wantE.Principal, wantE.RequestID = clean(e.Name), clean(c), clean(c), clean(c), clean(c)
	checkEvent(t, "event with control characters", gotE[0], wantE)
	if strings.Contains(got[0].Error, "\x00") || !strings.Contains(got[0].Error, "\t nl\n cr\r del\x7f") {
		t.Errorf("Error came back as %q", got[0].Error)
	}
	checkStrings(t, "Calls by a name with NUL", requestIDs(calls(t, s, audit.Filter{Name: "tool\x00name"})), []string{"ctl"})
	checkStrings(t, "Calls by the name's prefix before NUL", requestIDs(calls(t, s, audit.Filter{Name: "tool"})), nil)
}

// testArgsVerbatim: Args are the raw bytes of the request's arguments (the
// ArgsDigest is their hash): they come back byte for byte, whitespace, key
// order, escapes, duplicate keys and invalid UTF-8 (which a JSON decoder
// lets through in a raw message) included.
func testArgsVerbatim(t *testing.T, s audit.Store) {
	argsList := []string{
		"{}",
		"[]",
		"null",
		`"just a string"`,
		"  {\n\t\"b\" : 2 ,\"a\":1 }  \n",
		`{"a":1,"a":2}`,
		`{"big":12345678901234567890123456789,"f":1.0e-7,"neg":-0}`,
		`{"esc":"\u00e9\n\"\\\/","raw":"é"}`,
		"{\"bad\":\"\xff\xfe\xc3\"}",
	}
	var recs []audit.Record
	for i, a := range argsList {
		r := rec(fmt.Sprintf("args-%d", i), base.Add(time.Duration(i)*time.Second))
		r.Args = json.RawMessage(a)
		recs = append(recs, r)
	}
	if err := s.Write(t.Context(), recs, nil); err != nil {
		// Try them one by one to say which fails.
		for _, r := range recs {
			if err := s.Write(t.Context(), []audit.Record{r}, nil); err != nil {
				t.Errorf("Write of a record with Args %q: %v", r.Args, err)
			}
		}
		t.FailNow()
	}
	got := allCalls(t, s)
	if len(got) != len(recs) {
		t.Fatalf("%d records, want %d", len(got), len(recs))
	}
	for i := range recs {
		if string(got[i].Args) != string(recs[i].Args) {
			t.Errorf("Args %q came back as %q (Args must round-trip byte for byte: store them as text or bytes, not as parsed JSON)", recs[i].Args, got[i].Args)
		}
	}
}

func testLargeBatch(t *testing.T, s audit.Store) {
	const n = 10000
	rs := make([]audit.Record, n)
	es := make([]audit.Event, n)
	names := make([]string, n)
	for i := range n {
		names[i] = fmt.Sprintf("big-%05d", i)
		rs[i] = rec(names[i], base.Add(time.Duration(i)*time.Millisecond))
		rs[i].Args = json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))
		rs[i].Findings = []audit.Finding{{Plugin: "pii", Type: "masked", Count: i}}
		es[i] = ev(names[i], base.Add(time.Duration(i)*time.Millisecond))
		es[i].Count = i
	}
	start := time.Now()
	write(t, s, rs, es)
	t.Logf("Write of %d records and %d events in one batch: %v", n, n, time.Since(start))
	got := allCalls(t, s)
	gotE := allEvents(t, s)
	checkStrings(t, "records", requestIDs(got), names)
	checkStrings(t, "events", reasons(gotE), names)
	checkIncreasing(t, "records", callIDs(got))
	checkIncreasing(t, "events", eventIDs(gotE))
	if len(got) == n && len(gotE) == n {
		for _, i := range []int{0, 1, n / 2, n - 1} {
			checkRecord(t, fmt.Sprintf("record %d", i), got[i], rs[i])
			checkEvent(t, fmt.Sprintf("event %d", i), gotE[i], es[i])
		}
	}
}

// ---- retention ----

func testPruneMaxAge(t *testing.T, s audit.Store) {
	now := time.Now()
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	// Written out of time order, so that a store cannot go by ID.
	recs := []audit.Record{
		rec("old-3h", ago(3*time.Hour)),
		rec("new-1m", ago(time.Minute)),
		rec("old-61m", ago(61*time.Minute).In(zonePST)),
		rec("new-59m", ago(59*time.Minute)),
		rec("old-2h", ago(2*time.Hour).In(zoneIndia)),
		rec("new-future", now.Add(time.Minute)),
	}
	evs := []audit.Event{
		ev("old-90m", ago(90*time.Minute)),
		ev("new-30m", ago(30*time.Minute).In(zoneBRT)),
		ev("old-1y", ago(365*24*time.Hour)),
		ev("new-now", now),
	}
	write(t, s, recs, evs)
	if n := prune(t, s, audit.Retention{MaxAge: 48 * time.Hour}); n != 1 {
		t.Errorf("Prune(MaxAge 48h) deleted %d rows, want 1 (the year-old event)", n)
	}
	if n := prune(t, s, audit.Retention{MaxAge: time.Hour}); n != 4 {
		t.Errorf("Prune(MaxAge 1h) deleted %d rows, want 4 (3 records, 1 event; the year-old event is gone already)", n)
	}
	checkStrings(t, "records kept", requestIDs(allCalls(t, s)), []string{"new-1m", "new-59m", "new-future"})
	checkStrings(t, "events kept", reasons(allEvents(t, s)), []string{"new-30m", "new-now"})
	if n := prune(t, s, audit.Retention{MaxAge: time.Hour}); n != 0 {
		t.Errorf("Prune(MaxAge 1h) again deleted %d rows, want 0", n)
	}
	if n := prune(t, s, audit.Retention{MaxAge: 100 * 365 * 24 * time.Hour}); n != 0 {
		t.Errorf("Prune(MaxAge 100 years) deleted %d rows, want 0", n)
	}
}

// recordPayload and eventPayload are lower bounds of the space a record or
// event takes: the bytes of its strings and raw fields. Any honest measure of the space rows
// take is at least this (the strings are random hex: no compression).
func recordPayload(r audit.Record) int64 {
	n := len(r.RequestID) + len(r.TraceID) + len(r.Principal) + len(r.Client) + len(r.Session) + len(r.Method) +
		len(r.Server) + len(r.Name) + len(r.ArgsDigest) + len(r.Args) + len(r.Status) + len(r.Error) + len(r.Plugin)
	for _, f := range r.Findings {
		n += len(f.Plugin) + len(f.Type) + len(f.Rule) + len(f.Direction)
	}
	return int64(n)
}

func eventPayload(e audit.Event) int64 {
	return int64(len(e.Kind) + len(e.Plugin) + len(e.Type) + len(e.Server) + len(e.Name) + len(e.Rule) +
		len(e.Direction) + len(e.Reason) + len(e.Principal) + len(e.Session) + len(e.RequestID))
}

func testPruneMaxBytes(t *testing.T, s audit.Store) {
	const (
		bound      = 256 << 10 // MaxBytes
		recordSize = 1 << 10   // about; an event is about 300 bytes
	)
	rnd := rand.New(rand.NewPCG(3, 4))
	var recs []audit.Record
	var evs []audit.Event
	// Rows are laid out in time order, records and events interleaved (an
	// event after every 8 records), so that the oldest by time are the
	// oldest by ID.
	clock := time.Now().Add(-2 * time.Hour)
	// more writes n records and n/8 events, in batches of 512 records.
	more := func(n int) {
		t.Helper()
		for done := 0; done < n; {
			var rs []audit.Record
			var es []audit.Event
			for ; done < n && len(rs) < 512; done++ {
				clock = clock.Add(100 * time.Millisecond)
				r := rec(fmt.Sprintf("r%05d", len(recs)+len(rs)), clock)
				r.Error = randomText(rnd, recordSize-100)
				rs = append(rs, r)
				if len(rs)%8 == 0 {
					clock = clock.Add(100 * time.Millisecond)
					es = append(es, ev(fmt.Sprintf("e%05d-%s", len(evs)+len(es), randomText(rnd, 280)), clock))
				}
			}
			write(t, s, rs, es)
			recs, evs = append(recs, rs...), append(evs, es...)
		}
	}
	more(4 * bound / recordSize)
	var written int64
	for _, r := range recs {
		written += recordPayload(r)
	}
	for _, e := range evs {
		written += eventPayload(e)
	}
	if written < 3*bound {
		t.Fatalf("suite bug: wrote %d bytes of payload, want > %d", written, 3*bound)
	}

	n := prune(t, s, audit.Retention{MaxBytes: bound})
	checkPruned(t, s, "Prune(MaxBytes 256 KiB) of about 1 MiB", n, len(recs), len(evs), recs, evs, bound)

	// Under the bound now: pruning again, with the same or a larger bound,
	// deletes nothing.
	for _, b := range []int64{bound, 4 * bound, 1 << 40} {
		if n := prune(t, s, audit.Retention{MaxBytes: b}); n != 0 {
			t.Errorf("Prune(MaxBytes %d) right after pruning to %d deleted %d rows, want 0", b, bound, n)
		}
	}
	if t.Failed() {
		return
	}

	// Keep writing and pruning (the space of deleted rows is reused).
	for round := range 2 {
		const n = bound / recordSize
		before := len(allCalls(t, s)) + n
		beforeE := len(allEvents(t, s)) + n/8
		more(n)
		deleted := prune(t, s, audit.Retention{MaxBytes: bound})
		checkPruned(t, s, fmt.Sprintf("round %d: Prune(MaxBytes 256 KiB) after writing 256 KiB more", round+1), deleted, before, beforeE, recs, evs, bound)
	}
}

// checkPruned checks the store after a prune that deleted n rows of the
// before records and beforeE events it held, to get under bound: what is
// left of recs and evs (all written, oldest first) is their newest part,
// not empty, not more than bound and not much less, and n is what went.
func checkPruned(t *testing.T, s audit.Store, what string, n int64, before, beforeE int, recs []audit.Record, evs []audit.Event, bound int64) {
	t.Helper()
	keptC, keptE := allCalls(t, s), allEvents(t, s)
	t.Logf("%s: deleted %d rows, kept %d of %d records and %d of %d events", what, n, len(keptC), before, len(keptE), beforeE)
	if len(keptC) == 0 || len(keptE) == 0 {
		t.Fatalf("%s: kept %d records and %d events: the newest rows must stay", what, len(keptC), len(keptE))
	}
	if len(keptC) > len(recs) || len(keptE) > len(evs) {
		t.Fatalf("%s: %d records and %d events, more than written", what, len(keptC), len(keptE))
	}
	checkStrings(t, what+": records kept are the newest", requestIDs(keptC), requestIDs(recs[len(recs)-len(keptC):]))
	checkStrings(t, what+": events kept are the newest", reasons(keptE), reasons(evs[len(evs)-len(keptE):]))
	if gone := int64(before-len(keptC)) + int64(beforeE-len(keptE)); n != gone {
		t.Errorf("%s: Prune returned %d, but %d rows are gone", what, n, gone)
	}
	var kept int64
	for _, r := range keptC {
		kept += recordPayload(r)
	}
	for _, e := range keptE {
		kept += eventPayload(e)
	}
	if kept > bound {
		t.Errorf("%s: the rows kept hold %d bytes of strings alone, more than MaxBytes %d", what, kept, bound)
	}
	if kept < bound/8 {
		t.Errorf("%s: the rows kept hold %d bytes of strings, less than an eighth of MaxBytes %d: far too much was deleted", what, kept, bound)
	}
}

func testPruneZero(t *testing.T, s audit.Store) {
	var recs []audit.Record
	var evs []audit.Event
	for i := range 50 {
		at := time.Date(2000+i%20, 1, 1, 0, 0, 0, 0, time.UTC) // long ago
		recs = append(recs, rec(fmt.Sprintf("r%02d", i), at))
		evs = append(evs, ev(fmt.Sprintf("e%02d", i), at))
	}
	write(t, s, recs, evs)
	if n := prune(t, s, audit.Retention{}); n != 0 {
		t.Errorf("Prune(zero Retention) deleted %d rows, want 0", n)
	}
	if c, e := len(allCalls(t, s)), len(allEvents(t, s)); c != 50 || e != 50 {
		t.Errorf("after Prune(zero Retention): %d records, %d events, want 50 and 50", c, e)
	}
}

// ---- concurrency ----

const (
	writers          = 8
	batchesPerWriter = 25
	recsPerBatch     = 10
	eventsPerBatch   = 5
)

// concurrentBatch is the b-th batch of writer w.
func concurrentBatch(w, b int) ([]audit.Record, []audit.Event) {
	var rs []audit.Record
	var es []audit.Event
	at := time.Now()
	for i := range recsPerBatch {
		rs = append(rs, rec(fmt.Sprintf("w%d-b%02d-r%02d", w, b, i), at))
	}
	for i := range eventsPerBatch {
		es = append(es, ev(fmt.Sprintf("w%d-b%02d-e%02d", w, b, i), at))
	}
	return rs, es
}

// runWriters runs the writers and returns when all are done.
func runWriters(t *testing.T, s audit.Store) {
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for b := range batchesPerWriter {
				rs, es := concurrentBatch(w, b)
				if err := s.Write(context.Background(), rs, es); err != nil {
					errs <- fmt.Errorf("writer %d, batch %d: %w", w, b, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// checkAllWritten checks that names (records' or events', in ID order)
// holds each written row once, each writer's in its order.
func checkAllWritten(t *testing.T, what string, names []string, perBatch int, kind byte) {
	t.Helper()
	want := writers * batchesPerWriter * perBatch
	count := map[string]int{}
	last := map[int]string{}
	for _, name := range names {
		count[name]++
		var w int
		fmt.Sscanf(name, "w%d-", &w)
		if prev, ok := last[w]; ok && name <= prev {
			t.Errorf("%s: writer %d's %s stored before its %s", what, w, prev, name)
		}
		last[w] = name
	}
	var missing []string
	for w := range writers {
		for b := range batchesPerWriter {
			for i := range perBatch {
				name := fmt.Sprintf("w%d-b%02d-%c%02d", w, b, kind, i)
				if count[name] == 0 {
					missing = append(missing, name)
				}
			}
		}
	}
	var dup []string
	for name, c := range count {
		if c > 1 {
			dup = append(dup, name)
		}
	}
	if len(names) != want || len(missing) > 0 || len(dup) > 0 {
		slices.Sort(dup)
		t.Errorf("%s: %d rows, want %d; missing %d %s; duplicated %d %s", what, len(names), want, len(missing), abbrev(missing), len(dup), abbrev(dup))
	}
}

func testConcurrentWrites(t *testing.T, s audit.Store) {
	runWriters(t, s)
	got, gotE := allCalls(t, s), allEvents(t, s)
	checkIncreasing(t, "records", callIDs(got))
	checkIncreasing(t, "events", eventIDs(gotE))
	checkAllWritten(t, "records", requestIDs(got), recsPerBatch, 'r')
	checkAllWritten(t, "events", reasons(gotE), eventsPerBatch, 'e')
}

// testConcurrentFollow: a reader following new rows with AfterID (the last
// ID it saw) while writers write sees every row. A store whose IDs are
// assigned before its writes commit, in parallel, can make a lower ID
// visible after a higher one, which the follower then skips for good.
func testConcurrentFollow(t *testing.T, s audit.Store) {
	type followed struct {
		names []string
		err   error
	}
	done := make(chan struct{})
	// The followers start after a first row each (AfterID 0 would mean
	// newest first).
	write(t, s, []audit.Record{rec("seed", time.Now())}, []audit.Event{ev("seed", time.Now())})
	seedC, seedE := calls(t, s, audit.Filter{}), events(t, s, audit.Filter{})
	if len(seedC) != 1 || len(seedE) != 1 {
		t.Fatalf("%d records, %d events, want 1 and 1", len(seedC), len(seedE))
	}
	follow := func(after int64, query func(after int64) ([]string, []int64, error)) <-chan followed {
		out := make(chan followed, 1)
		go func() {
			var res followed
			finished := false
			for {
				select {
				case <-done:
					finished = true
				default:
				}
				names, ids, err := query(after)
				if err != nil {
					res.err = err
					break
				}
				if len(ids) == 0 && !finished {
					time.Sleep(100 * time.Microsecond)
				}
				for i, id := range ids {
					if id <= after {
						res.err = fmt.Errorf("AfterID returned IDs out of order (%d after %d): %v", id, after, ids)
						break
					}
					after = id
					res.names = append(res.names, names[i])
				}
				if res.err != nil || (finished && len(ids) == 0) {
					break
				}
			}
			out <- res
		}()
		return out
	}
	ctx := context.Background()
	fc := follow(seedC[0].ID, func(after int64) ([]string, []int64, error) {
		rs, err := s.Calls(ctx, audit.Filter{AfterID: after, Limit: 50})
		return requestIDs(rs), callIDs(rs), err
	})
	fe := follow(seedE[0].ID, func(after int64) ([]string, []int64, error) {
		es, err := s.Events(ctx, audit.Filter{AfterID: after, Limit: 50})
		return reasons(es), eventIDs(es), err
	})
	runWriters(t, s)
	close(done)
	rc, re := <-fc, <-fe
	if rc.err != nil {
		t.Fatalf("following records: %v", rc.err)
	}
	if re.err != nil {
		t.Fatalf("following events: %v", re.err)
	}
	const hint = " (rows missing here became visible only after rows with higher IDs: IDs must grow in commit order, e.g. by serializing writes)"
	checkAllWritten(t, "records seen by a follower (Calls with AfterID = last ID seen)"+hint, rc.names, recsPerBatch, 'r')
	checkAllWritten(t, "events seen by a follower (Events with AfterID = last ID seen)"+hint, re.names, eventsPerBatch, 'e')
}

// ---- Close ----

// noPanic runs f, turning a panic into an error.
func noPanic(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return f()
}

func testCloseThenUse(t *testing.T, s audit.Store) {
	ctx := context.Background()
	write(t, s, []audit.Record{rec("before-close", base)}, []audit.Event{ev("before-close", base)})
	if err := noPanic(s.Close); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, op := range []struct {
		name string
		f    func() error
	}{
		{"Write", func() error { return s.Write(ctx, []audit.Record{rec("after-close", base)}, nil) }},
		{"Write of events", func() error { return s.Write(ctx, nil, []audit.Event{ev("after-close", base)}) }},
		{"Calls", func() error { _, err := s.Calls(ctx, audit.Filter{}); return err }},
		{"Events", func() error { _, err := s.Events(ctx, audit.Filter{}); return err }},
		{"Prune", func() error {
			_, err := s.Prune(ctx, audit.Retention{MaxAge: time.Hour, MaxBytes: 1 << 20})
			return err
		}},
	} {
		err := noPanic(op.f)
		switch {
		case err == nil:
			t.Errorf("%s after Close: no error", op.name)
		case strings.HasPrefix(err.Error(), "panic: "):
			t.Errorf("%s after Close: %v", op.name, err)
		}
	}
	// A second Close may return an error, but must not panic.
	if err := noPanic(s.Close); err != nil && strings.HasPrefix(err.Error(), "panic: ") {
		t.Errorf("second Close: %v", err)
	}
}
