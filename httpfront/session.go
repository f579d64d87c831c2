package httpfront

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpgw/mcp-gateway/gateway"
	"github.com/mcpgw/mcp-gateway/transport"
)

// session is one client session of the front door: a gateway front
// session and the streams its messages travel on. It is the front
// session's Peer: the gateway writes to it, and it routes each message to
// the stream the client expects it on.
type session struct {
	id        string
	principal string
	legacy    bool // the 2024-11-05 HTTP+SSE transport: one stream for everything
	front     *gateway.Front
	h         *Handler

	lastUsed atomic.Int64 // unix nanoseconds of the last request
	active   atomic.Int32 // connections being served
	budget   *budget      // bytes that may still be queued, all streams together

	mu         sync.Mutex
	byReq      map[string]*stream // raw request id → stream awaiting its response
	byID       map[int64]*stream  // live streams, for resumption
	nextStream int64
	own        *stream // the session's stream (GET, or the legacy SSE stream)
	closed     bool
	dropped    int // messages dropped from the backlog of the own stream
}

var (
	_ gateway.Peer           = (*session)(nil)
	_ transport.RoutedWriter = (*session)(nil)
)

// maxParkedStreams bounds, beyond the requests in flight, the streams a
// session keeps for resumption after their client went away.
const maxParkedStreams = 64

// errSessionClosed is returned by writes to a closed session.
var errSessionClosed = errors.New("session closed")

func newSessionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func newSession(h *Handler, principal string, legacy bool) *session {
	s := &session{
		id:        newSessionID(),
		principal: principal,
		legacy:    legacy,
		h:         h,
		byReq:     map[string]*stream{},
		byID:      map[int64]*stream{},
	}
	s.budget = newBudget(h.o.SessionBufferBytes)
	s.own = s.newStreamLocked(-1)
	s.touch()
	return s
}

func (s *session) touch() { s.lastUsed.Store(time.Now().UnixNano()) }

// newStreamLocked makes a stream expecting want responses (-1: the
// session's own stream). Called with s.mu held, or before s is shared.
func (s *session) newStreamLocked(want int) *stream {
	st := newStream(s.budget, s.nextStream, want)
	s.nextStream++
	s.byID[st.id] = st
	return st
}

// openRequestStream registers the stream that will carry the answer to the
// client request with raw id; it fails when a request with that id is
// already in flight on this session.
func (s *session) openRequestStream(id []byte) (*stream, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errSessionClosed
	}
	if _, dup := s.byReq[string(id)]; dup {
		return nil, errDuplicateID
	}
	if len(s.byReq) >= maxRequestsPerSession {
		return nil, errTooManyRequests
	}
	if len(s.byID) >= maxRequestsPerSession+maxParkedStreams {
		// Streams whose client went away before the answer are kept for
		// resumption; beyond a bound, the finished ones are let go.
		for id, st := range s.byID {
			if st != s.own && st.idle() {
				delete(s.byID, id)
				st.end()
			}
		}
	}
	st := s.newStreamLocked(1)
	s.byReq[string(id)] = st
	return st, nil
}

// finishStream forgets a stream that is complete or abandoned.
func (s *session) finishStream(st *stream) {
	s.mu.Lock()
	delete(s.byID, st.id)
	s.mu.Unlock()
	st.end()
}

// WriteResponse implements transport.RoutedWriter.
func (s *session) WriteResponse(id, msg []byte) error {
	if s.legacy {
		return s.Write(msg)
	}
	s.mu.Lock()
	st := s.byReq[string(id)]
	delete(s.byReq, string(id))
	s.mu.Unlock()
	if st == nil {
		// Nobody waits for it (the id was never seen on a POST): the
		// session's own stream is the only place left.
		return s.Write(msg)
	}
	if !st.push(msg, true) {
		return s.overflow()
	}
	return nil
}

// WriteFor implements transport.RoutedWriter.
func (s *session) WriteFor(related, msg []byte) error {
	if related == nil || s.legacy {
		return s.Write(msg)
	}
	s.mu.Lock()
	st := s.byReq[string(related)]
	s.mu.Unlock()
	if st == nil {
		return s.Write(msg)
	}
	if !st.push(msg, false) {
		return s.overflow()
	}
	return nil
}

// Write sends msg on the session's own stream. While no connection reads
// it, messages wait there; when the backlog would exceed the session's
// budget the oldest waiting ones are dropped (a client that never opens
// the GET stream does not want them) and the drop is logged.
func (s *session) Write(msg []byte) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errSessionClosed
	}
	own := s.own
	s.mu.Unlock()
	for !own.push(msg, false) {
		if !s.dropOldest(own) {
			return s.overflow()
		}
	}
	return nil
}

// dropOldest drops the oldest unsent event of the own stream when no
// connection is reading it; it reports whether it dropped one.
func (s *session) dropOldest(own *stream) bool {
	own.mu.Lock()
	if own.attached || own.next >= own.base+int64(len(own.events)) {
		own.mu.Unlock()
		return false
	}
	i := int(own.next - own.base)
	n := len(own.events[i])
	own.events = append(own.events[:i:i], own.events[i+1:]...)
	own.bytes -= n
	own.mu.Unlock()
	s.budget.release(n)
	s.mu.Lock()
	s.dropped++
	first := s.dropped == 1
	s.mu.Unlock()
	if first {
		s.h.log.Warn("dropping messages queued for a client that does not read its GET stream", "session", s.id)
	}
	return true
}

// overflow closes a session whose client reads too slowly for what it is
// sent, so that it cannot make the gateway hold unbounded memory.
func (s *session) overflow() error {
	s.h.log.Warn("closing a session whose client does not read its answers", "session", s.id,
		"limit_bytes", s.h.o.SessionBufferBytes)
	go s.h.closeSession(s)
	return errSlowClient
}

// close ends the session's streams; the caller closes the front session.
func (s *session) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	streams := make([]*stream, 0, len(s.byID))
	for _, st := range s.byID {
		streams = append(streams, st)
	}
	s.byReq, s.byID = map[string]*stream{}, map[int64]*stream{}
	s.mu.Unlock()
	for _, st := range streams {
		st.end()
	}
}

// spill sends a message that a POST's JSON answer cannot carry on the
// session's own stream.
func (s *session) spill(msg []byte) { _ = s.Write(msg) }

// streamByID returns a live stream for resumption.
func (s *session) streamByID(id int64) *stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID[id]
}
