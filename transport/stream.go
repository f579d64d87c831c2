package transport

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
)

// DefaultMaxMessageBytes bounds one message when no limit is configured.
const DefaultMaxMessageBytes = 32 << 20

// Stream is a [Conn] over newline-delimited JSON (the MCP stdio transport):
// each message is one line. Blank lines and a trailing '\r' are ignored.
type Stream struct {
	r     *bufio.Reader
	limit int

	wmu sync.Mutex
	w   *bufio.Writer

	closeOnce sync.Once
	closer    func() error
	closed    chan struct{}
}

// NewStream returns a Stream reading from r and writing to w. close, if not
// nil, is called once by Close (typically closing the underlying pipes).
// limit bounds a message in bytes (0: DefaultMaxMessageBytes).
func NewStream(r io.Reader, w io.Writer, close func() error, limit int) *Stream {
	if limit <= 0 {
		limit = DefaultMaxMessageBytes
	}
	return &Stream{
		r:      bufio.NewReaderSize(r, 64<<10),
		w:      bufio.NewWriterSize(w, 64<<10),
		limit:  limit,
		closer: close,
		closed: make(chan struct{}),
	}
}

// Read returns the next line that is not blank. A line over the limit is
// consumed and reported as a *TooLargeError; the stream stays usable.
func (s *Stream) Read() ([]byte, error) {
	for {
		line, err := s.readLine()
		if err != nil {
			select {
			case <-s.closed:
				return nil, fmt.Errorf("read: %w", ErrClosed)
			default:
			}
			return nil, err
		}
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		return line, nil
	}
}

func (s *Stream) readLine() ([]byte, error) {
	var buf, head, tail []byte
	tooLarge := false
	for {
		frag, err := s.r.ReadSlice('\n')
		if tooLarge {
			tail = append(tail, frag...)
			if len(tail) > 2*tooLargeTail {
				tail = append(tail[:0], tail[len(tail)-tooLargeTail-2:]...) // +2: room for "\r\n"
			}
		} else {
			if len(buf)+len(frag) > s.limit+1 { // +1: the newline itself
				tooLarge = true
				head = append(buf[:0:0], buf[:min(len(buf), tooLargeHead)]...)
				if len(head) < tooLargeHead {
					head = append(head, frag[:min(len(frag), tooLargeHead-len(head))]...)
				}
				tail = append(tail, frag...)
				buf = nil
			} else if err == nil && buf == nil {
				// Whole line in one fragment: one copy, exact size.
				return append([]byte(nil), frag[:len(frag)-1]...), nil
			} else {
				buf = append(buf, frag...)
			}
		}
		switch {
		case err == nil:
			if tooLarge {
				tail = bytes.TrimRight(tail, "\r\n")
				return nil, &TooLargeError{Limit: s.limit, Head: head, Tail: tail[max(0, len(tail)-tooLargeTail):]}
			}
			return buf[:len(buf)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(buf) > 0 && !tooLarge:
			// A last message without a trailing newline.
			if len(buf) > s.limit {
				return nil, &TooLargeError{Limit: s.limit}
			}
			return buf, nil
		default:
			return nil, err
		}
	}
}

// Write sends msg followed by a newline, as one write call.
func (s *Stream) Write(msg []byte) error {
	if len(msg) > s.limit {
		return &TooLargeError{Limit: s.limit}
	}
	select {
	case <-s.closed:
		return fmt.Errorf("write: %w", ErrClosed)
	default:
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	// The message and its newline go out under the lock, so messages of
	// concurrent writers never interleave; small ones in one syscall.
	s.w.Write(msg)
	s.w.WriteByte('\n')
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// Close marks the stream closed and calls the close function given to
// NewStream, once.
func (s *Stream) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		if s.closer != nil {
			err = s.closer()
		}
	})
	return err
}
