package gateway

import (
	"context"
	"fmt"
	"sync/atomic"
)

// CodeOverloaded is the JSON-RPC error code of a call refused because its
// server already has as many calls in flight and waiting as its
// "maxConcurrency" and "maxQueue" allow.
const CodeOverloaded = -32053

// limiter bounds the calls in flight to one backend ("maxConcurrency")
// and those waiting for a slot ("maxQueue"). A call beyond both is refused
// at once, so a slow backend sheds load instead of piling up calls, and
// the gateway stays responsive for the others. A nil limiter admits every
// call.
type limiter struct {
	server   string
	slots    chan struct{}
	waiting  atomic.Int64
	maxQueue int64
}

func newLimiter(server string, maxConcurrency, maxQueue int) *limiter {
	if maxConcurrency <= 0 {
		return nil
	}
	return &limiter{server: server, slots: make(chan struct{}, maxConcurrency), maxQueue: int64(maxQueue)}
}

// acquire takes a slot, waiting in the queue if there is room there; it
// returns an *callError with CodeOverloaded when there is not, or ctx's
// error when the caller gives up while waiting. Call release after the
// call when it returns nil.
func (l *limiter) acquire(ctx context.Context) error {
	if l == nil {
		return nil
	}
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
	}
	if l.waiting.Add(1) > l.maxQueue {
		l.waiting.Add(-1)
		return &callError{code: CodeOverloaded, msg: fmt.Sprintf(
			"server %s is overloaded: %d calls are in flight and %d waiting, its \"maxConcurrency\" and \"maxQueue\"; try again shortly",
			l.server, cap(l.slots), l.maxQueue)}
	}
	defer l.waiting.Add(-1)
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *limiter) release() {
	if l != nil {
		<-l.slots
	}
}
