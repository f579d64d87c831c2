package httpfront

import (
	"bufio"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// stream is one sequence of messages to the client: the answer to one POST
// (its response and whatever the request caused), or the session's own
// stream (the GET stream; messages that belong to no request).
//
// Messages are queued without blocking, so that a slow client never holds
// up a backend that serves others; the queue is bounded by the session's
// byte budget. Every message gets a sequence number, which is also its SSE
// event id ("<stream>_<seq>"), and the last ones sent stay in a short
// history, so that a client that lost the connection can resume with
// Last-Event-ID.
type stream struct {
	id     int64
	budget *budget // bytes that may still be queued, shared by a session's streams
	own    bool    // the session's own stream (never complete); immutable

	mu       sync.Mutex
	events   [][]byte // history and queue; events[0] has sequence base
	base     int64
	next     int64         // sequence of the next event to write to the client
	bytes    int           // bytes held in events
	want     int           // responses still expected (POST streams)
	respSeq  int64         // sequence of the response, once pushed (else -1)
	attached bool          // a connection is writing this stream
	kick     chan struct{} // closed to make the current writer let go
	released chan struct{} // closed when the current writer has let go
	ended    bool          // every expected response was written, or the session closed
	wake     chan struct{}
	// event, if not nil, is called (once, then cleared) when a message
	// other than a response is pushed: see onEvent.
	event func()
}

// historyLen is how many events already sent a stream keeps for
// resumption.
const historyLen = 64

func newStream(b *budget, id int64, want int) *stream {
	return &stream{id: id, budget: b, own: want < 0, want: want, respSeq: -1, wake: make(chan struct{}, 1)}
}

// budget is a byte allowance for queued messages.
type budget struct{ left atomic.Int64 }

func newBudget(n int) *budget {
	b := &budget{}
	b.left.Store(int64(n))
	return b
}

func (b *budget) reserve(n int) bool {
	if b.left.Add(-int64(n)) < 0 {
		b.left.Add(int64(n))
		return false
	}
	return true
}

func (b *budget) release(n int) { b.left.Add(int64(n)) }

// push queues msg; isResponse marks one of the responses the stream waits
// for. It reports false when the session's byte budget is exhausted.
func (st *stream) push(msg []byte, isResponse bool) bool {
	st.mu.Lock()
	if st.ended {
		st.mu.Unlock()
		return false
	}
	if !st.budget.reserve(len(msg)) {
		st.mu.Unlock()
		return false
	}
	st.events = append(st.events, msg)
	st.bytes += len(msg)
	if isResponse && st.want > 0 {
		st.want--
		st.respSeq = st.base + int64(len(st.events)) - 1
	}
	st.trimLocked()
	var event func()
	if !isResponse {
		event, st.event = st.event, nil
	}
	st.mu.Unlock()
	select {
	case st.wake <- struct{}{}:
	default:
	}
	if event != nil {
		event()
	}
	return true
}

// onEvent makes the first message pushed that is not a response call fn,
// from the goroutine that pushes it, after it has been queued.
func (st *stream) onEvent(fn func()) {
	st.mu.Lock()
	st.event = fn
	st.mu.Unlock()
}

// trimLocked drops sent events beyond the history length.
func (st *stream) trimLocked() {
	sent := int(st.next - st.base)
	if drop := sent - historyLen; drop > 0 {
		for _, e := range st.events[:drop] {
			st.bytes -= len(e)
			st.budget.release(len(e))
		}
		st.events = append(st.events[:0:0], st.events[drop:]...)
		st.base += int64(drop)
	}
}

// batch is what take hands to the writer.
type batch struct {
	first    int64    // sequence of msgs[0]
	msgs     [][]byte // events not yet written, in order
	respSeq  int64    // sequence of the stream's response, -1 if not pushed
	complete bool     // every expected response is among what was taken
	ended    bool     // the stream was ended (the session closed)
}

// take returns the events not yet written and marks them written.
func (st *stream) take() batch {
	st.mu.Lock()
	defer st.mu.Unlock()
	b := batch{first: st.next, respSeq: st.respSeq, ended: st.ended}
	i := int(st.next - st.base)
	b.msgs = st.events[i:len(st.events):len(st.events)]
	st.next = st.base + int64(len(st.events))
	st.trimLocked()
	b.complete = st.want == 0
	return b
}

// pending reports whether events are waiting to be written.
func (st *stream) pending() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.next < st.base+int64(len(st.events))
}

// finished reports whether a POST stream has had its response written.
func (st *stream) finished() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.want == 0 && st.next >= st.base+int64(len(st.events))
}

// idle reports whether a stream is finished and nobody is writing it.
func (st *stream) idle() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return !st.attached && st.want == 0
}

func (st *stream) standalone() bool { return st.own }

// attach makes the caller the stream's writer. A connection resuming the
// stream (resume: after the event with sequence after, which the client
// last saw) takes it over from a writer whose connection may not have been
// noticed as gone yet; a fresh one fails while another writes. It returns
// the channel that tells the writer to let go, or false when the stream is
// taken or the events to resume from are no longer held.
func (st *stream) attach(resume bool, after int64) (<-chan struct{}, bool) {
	st.mu.Lock()
	if st.attached {
		if !resume {
			st.mu.Unlock()
			return nil, false
		}
		kick, released := st.kick, st.released
		st.mu.Unlock()
		close(kick)
		t := time.NewTimer(5 * time.Second)
		defer t.Stop()
		select {
		case <-released:
		case <-t.C:
			return nil, false
		}
		st.mu.Lock()
		if st.attached {
			st.mu.Unlock()
			return nil, false
		}
	}
	defer st.mu.Unlock()
	if resume {
		if after+1 < st.base || after+1 > st.base+int64(len(st.events)) {
			return nil, false
		}
		st.next = after + 1
	}
	st.attached = true
	st.kick, st.released = make(chan struct{}), make(chan struct{})
	return st.kick, true
}

// detach ends the caller's turn as writer.
func (st *stream) detach() {
	st.mu.Lock()
	if st.attached {
		st.attached = false
		close(st.released)
	}
	st.mu.Unlock()
}

// end marks the stream complete and releases its memory.
func (st *stream) end() {
	st.mu.Lock()
	st.ended = true
	st.budget.release(st.bytes)
	st.events, st.bytes, st.base = nil, 0, st.next
	st.mu.Unlock()
	select {
	case st.wake <- struct{}{}:
	default:
	}
}

// eventID is the SSE id of the event with sequence seq.
func (st *stream) eventID(dst []byte, seq int64) []byte {
	dst = strconv.AppendInt(dst, st.id, 10)
	dst = append(dst, '_')
	return strconv.AppendInt(dst, seq, 10)
}

// parseEventID splits an id made by eventID.
func parseEventID(s string) (streamID, seq int64, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '_' {
			a, err1 := strconv.ParseInt(s[:i], 10, 64)
			b, err2 := strconv.ParseInt(s[i+1:], 10, 64)
			return a, b, err1 == nil && err2 == nil && a >= 0 && b >= 0
		}
	}
	return 0, 0, false
}

// writeEvent writes one SSE message event. msg is one line of JSON (our
// encoder and the backends' never put raw newlines in it; if one did, each
// line becomes its own data field, which SSE joins back with newlines).
func writeEvent(w *bufio.Writer, id, msg []byte) {
	if id != nil {
		w.WriteString("id: ")
		w.Write(id)
		w.WriteByte('\n')
	}
	w.WriteString("event: message\n")
	for {
		i := indexNewline(msg)
		w.WriteString("data: ")
		if i < 0 {
			w.Write(msg)
			w.WriteString("\n\n")
			return
		}
		w.Write(msg[:i])
		w.WriteByte('\n')
		msg = msg[i+1:]
	}
}

func indexNewline(b []byte) int {
	for i, c := range b {
		if c == '\n' || c == '\r' {
			return i
		}
	}
	return -1
}
