package storetest_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpgw/mcp-gateway/audit"
	"github.com/mcpgw/mcp-gateway/audit/storetest"
)

// TestMemStore runs the suite against memStore, a reference implementation
// written straight from the contract: that it passes shows the suite asks
// for nothing the contract does not say.
func TestMemStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) audit.Store { return &memStore{} })
}

// memStore is an in-memory audit.Store.
type memStore struct {
	mu     sync.Mutex
	closed bool
	lastID int64 // one sequence for records and events
	calls  []audit.Record
	events []audit.Event
}

var errMemClosed = errors.New("memstore: closed")

// rowOverhead is what memStore counts for a row besides its strings.
const rowOverhead = 64

func recordSize(r audit.Record) int64 {
	n := rowOverhead + len(r.RequestID) + len(r.TraceID) + len(r.Principal) + len(r.Client) + len(r.Session) +
		len(r.Method) + len(r.Server) + len(r.Name) + len(r.ArgsDigest) + len(r.Args) + len(r.Status) +
		len(r.Error) + len(r.Plugin)
	for _, f := range r.Findings {
		n += 16 + len(f.Plugin) + len(f.Type) + len(f.Rule) + len(f.Direction)
	}
	return int64(n)
}

func eventSize(e audit.Event) int64 {
	return int64(rowOverhead + len(e.Kind) + len(e.Plugin) + len(e.Type) + len(e.Server) + len(e.Name) +
		len(e.Rule) + len(e.Direction) + len(e.Reason) + len(e.Principal) + len(e.Session) + len(e.RequestID))
}

func copyRecord(r audit.Record) audit.Record {
	r.Args = slices.Clone(r.Args)
	r.Findings = slices.Clone(r.Findings)
	return r
}

func (m *memStore) Write(ctx context.Context, recs []audit.Record, evs []audit.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errMemClosed
	}
	for _, r := range recs {
		m.lastID++
		r = cleanRecord(copyRecord(r))
		r.ID = m.lastID
		m.calls = append(m.calls, r)
	}
	for _, e := range evs {
		m.lastID++
		e = cleanEvent(e)
		e.ID = m.lastID
		m.events = append(m.events, e)
	}
	return nil
}

func matchTime(f audit.Filter, at time.Time) bool {
	return (f.Since.IsZero() || !at.Before(f.Since)) && (f.Until.IsZero() || at.Before(f.Until))
}

// query returns the rows (stored in ID order) that match, ordered and
// limited as f says.
func query[T any](rows []T, f audit.Filter, id func(T) int64, match func(T) bool, clone func(T) T) []T {
	limit := f.Limit
	if limit <= 0 {
		limit = audit.DefaultLimit
	}
	var out []T
	if f.AfterID > 0 {
		for _, r := range rows {
			if len(out) == limit {
				break
			}
			if id(r) > f.AfterID && match(r) {
				out = append(out, clone(r))
			}
		}
		return out
	}
	for i := len(rows) - 1; i >= 0 && len(out) < limit; i-- {
		if match(rows[i]) {
			out = append(out, clone(rows[i]))
		}
	}
	return out
}

func (m *memStore) Calls(ctx context.Context, f audit.Filter) ([]audit.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errMemClosed
	}
	f = cleanFilter(f)
	return query(m.calls, f, func(r audit.Record) int64 { return r.ID }, func(r audit.Record) bool {
		return matchTime(f, r.Time) &&
			(f.Server == "" || r.Server == f.Server) &&
			(f.Name == "" || r.Name == f.Name) &&
			(f.Principal == "" || r.Principal == f.Principal) &&
			(f.Status == "" || r.Status == f.Status) &&
			(f.Method == "" || r.Method == f.Method)
	}, copyRecord), nil
}

func (m *memStore) Events(ctx context.Context, f audit.Filter) ([]audit.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errMemClosed
	}
	f = cleanFilter(f)
	return query(m.events, f, func(e audit.Event) int64 { return e.ID }, func(e audit.Event) bool {
		return matchTime(f, e.Time) &&
			(f.Server == "" || e.Server == f.Server) &&
			(f.Name == "" || e.Name == f.Name) &&
			(f.Principal == "" || e.Principal == f.Principal) &&
			(f.Kind == "" || e.Kind == f.Kind)
	}, func(e audit.Event) audit.Event { return e }), nil
}

func (m *memStore) Prune(ctx context.Context, r audit.Retention) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, errMemClosed
	}
	var deleted int64
	if r.MaxAge > 0 {
		cut := time.Now().Add(-r.MaxAge)
		n := len(m.calls) + len(m.events)
		m.calls = slices.DeleteFunc(m.calls, func(c audit.Record) bool { return c.Time.Before(cut) })
		m.events = slices.DeleteFunc(m.events, func(e audit.Event) bool { return e.Time.Before(cut) })
		deleted += int64(n - len(m.calls) - len(m.events))
	}
	if r.MaxBytes > 0 {
		var size int64
		for _, c := range m.calls {
			size += recordSize(c)
		}
		for _, e := range m.events {
			size += eventSize(e)
		}
		// Delete the oldest rows, records and events merged by time (then
		// ID), until the rest fits.
		var dc, de int // records and events deleted from the front
		for size > r.MaxBytes && (dc < len(m.calls) || de < len(m.events)) {
			takeCall := de == len(m.events) || (dc < len(m.calls) &&
				(m.calls[dc].Time.Before(m.events[de].Time) ||
					m.calls[dc].Time.Equal(m.events[de].Time) && m.calls[dc].ID < m.events[de].ID))
			if takeCall {
				size -= recordSize(m.calls[dc])
				dc++
			} else {
				size -= eventSize(m.events[de])
				de++
			}
		}
		m.calls = slices.Delete(m.calls, 0, dc)
		m.events = slices.Delete(m.events, 0, de)
		deleted += int64(dc + de)
	}
	return deleted, nil
}

func (m *memStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errMemClosed
	}
	m.closed = true
	m.calls, m.events = nil, nil
	return nil
}

// clean is the contract's text rule: NUL and invalid UTF-8 become U+FFFD.
func clean(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func cleanRecord(r audit.Record) audit.Record {
	for _, p := range []*string{&r.RequestID, &r.TraceID, &r.Principal, &r.Client, &r.Session, &r.Method,
		&r.Server, &r.Name, &r.ArgsDigest, &r.Error, &r.Plugin} {
		*p = clean(*p)
	}
	r.Status = audit.Status(clean(string(r.Status)))
	return r
}

func cleanEvent(e audit.Event) audit.Event {
	for _, p := range []*string{&e.Kind, &e.Plugin, &e.Type, &e.Server, &e.Name, &e.Rule, &e.Direction,
		&e.Reason, &e.Principal, &e.Session, &e.RequestID} {
		*p = clean(*p)
	}
	return e
}

func cleanFilter(f audit.Filter) audit.Filter {
	f.Server, f.Name, f.Principal, f.Kind, f.Method = clean(f.Server), clean(f.Name), clean(f.Principal), clean(f.Kind), clean(f.Method)
	f.Status = audit.Status(clean(string(f.Status)))
	return f
}
