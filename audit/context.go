package audit

import (
	"context"
	"sync"
)

type recordKey struct{}

// callState is the record of the call in progress, with a lock for the
// plugins that add findings to it.
type callState struct {
	mu  sync.Mutex
	rec *Record
}

// WithRecord returns ctx carrying rec, the record of the call it runs, so
// that whatever runs in the call can name it (RequestID) and add findings
// to it (AddFinding).
func WithRecord(ctx context.Context, rec *Record) context.Context {
	return context.WithValue(ctx, recordKey{}, &callState{rec: rec})
}

// RequestID returns the request id of the call ctx runs ("" outside a
// recorded call).
func RequestID(ctx context.Context) string {
	if st, ok := ctx.Value(recordKey{}).(*callState); ok {
		return st.rec.RequestID
	}
	return ""
}

// SetTraceID sets the trace id on the record of the call ctx runs.
func SetTraceID(ctx context.Context, id string) {
	if st, ok := ctx.Value(recordKey{}).(*callState); ok {
		st.mu.Lock()
		st.rec.TraceID = id
		st.mu.Unlock()
	}
}

// AddFinding adds f to the record of the call ctx runs, merging it with an
// equal finding (same plugin, type, rule and direction) by adding counts.
// It reports whether ctx runs a recorded call.
func AddFinding(ctx context.Context, f Finding) bool {
	st, ok := ctx.Value(recordKey{}).(*callState)
	if !ok {
		return false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for i := range st.rec.Findings {
		g := &st.rec.Findings[i]
		if g.Plugin == f.Plugin && g.Type == f.Type && g.Rule == f.Rule && g.Direction == f.Direction {
			g.Count += f.Count
			return true
		}
	}
	st.rec.Findings = append(st.rec.Findings, f)
	return true
}
