package transport

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
)

func TestStreamReadFraming(t *testing.T) {
	in := "{\"a\":1}\n\n  \r\n{\"b\":2}\r\n{\"c\":3}"
	s := NewStream(strings.NewReader(in), io.Discard, nil, 0)
	for _, want := range []string{`{"a":1}`, `{"b":2}`, `{"c":3}`} {
		got, err := s.Read()
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if string(got) != want {
			t.Fatalf("Read = %q, want %q", got, want)
		}
	}
	if _, err := s.Read(); !errors.Is(err, io.EOF) {
		t.Fatalf("Read at end = %v, want EOF", err)
	}
}

func TestStreamTooLargeKeepsStreamUsable(t *testing.T) {
	big := strings.Repeat("x", 200<<10) // several bufio buffers long
	in := `{"small":1}` + "\n" + big + "\n" + `{"after":2}` + "\n"
	s := NewStream(strings.NewReader(in), io.Discard, nil, 100<<10)
	if got, err := s.Read(); err != nil || string(got) != `{"small":1}` {
		t.Fatalf("first Read = %q, %v", got, err)
	}
	_, err := s.Read()
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 100<<10 {
		t.Fatalf("oversized Read error = %v, want TooLargeError", err)
	}
	if !strings.HasPrefix(string(tl.Head), "xxxx") || len(tl.Head) != 4<<10 {
		t.Errorf("Head = %d bytes starting %q, want the first 4 KiB", len(tl.Head), tl.Head[:min(len(tl.Head), 8)])
	}
	if len(tl.Tail) != 256 || strings.Trim(string(tl.Tail), "x") != "" {
		t.Errorf("Tail = %q, want the last 256 bytes", tl.Tail)
	}
	if !strings.Contains(err.Error(), "maxMessageBytes") {
		t.Errorf("error %q does not say how to raise the limit", err)
	}
	if got, err := s.Read(); err != nil || string(got) != `{"after":2}` {
		t.Fatalf("Read after oversized = %q, %v", got, err)
	}
}

func TestStreamLongLineWithinLimit(t *testing.T) {
	long := `{"t":"` + strings.Repeat("y", 300<<10) + `"}`
	s := NewStream(strings.NewReader(long+"\n"), io.Discard, nil, 1<<20)
	got, err := s.Read()
	if err != nil || string(got) != long {
		t.Fatalf("Read of a %d-byte line: len %d, %v", len(long), len(got), err)
	}
}

func TestStreamConcurrentWritesDoNotInterleave(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return buf.Write(p) })
	s := NewStream(strings.NewReader(""), w, nil, 0)
	var wg sync.WaitGroup
	msg := `{"x":"` + strings.Repeat("z", 100<<10) + `"}`
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if err := s.Write([]byte(msg)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 80 {
		t.Fatalf("got %d lines, want 80", len(lines))
	}
	for i, l := range lines {
		if l != msg {
			t.Fatalf("line %d was interleaved (len %d)", i, len(l))
		}
	}
}

func TestStreamClose(t *testing.T) {
	r, w := io.Pipe()
	closed := 0
	s := NewStream(r, io.Discard, func() error { closed++; return w.Close() }, 0)
	done := make(chan error)
	go func() { _, err := s.Read(); done <- err }()
	s.Close()
	s.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("Read after Close = %v, want ErrClosed", err)
	}
	if closed != 1 {
		t.Fatalf("close func called %d times", closed)
	}
	if err := s.Write([]byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close = %v", err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// FuzzStream feeds arbitrary bytes through the framing: it must never
// panic, never return a message with a newline in it, and never return
// more than the limit.
func FuzzStream(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n{\"b\":2}\n"), 16)
	f.Add([]byte("\n\r\n\r\r\n"), 4)
	f.Add([]byte(strings.Repeat("x", 100)+"\nshort\n"), 10)
	f.Fuzz(func(t *testing.T, in []byte, limit int) {
		if limit <= 0 || limit > 1<<16 {
			limit = 64
		}
		s := NewStream(bytes.NewReader(in), io.Discard, nil, limit)
		for range 10000 {
			msg, err := s.Read()
			var tl *TooLargeError
			if errors.As(err, &tl) {
				continue
			}
			if err != nil {
				return
			}
			if bytes.IndexByte(msg, '\n') >= 0 || len(msg) > limit {
				t.Fatalf("bad message %q (limit %d)", msg, limit)
			}
		}
	})
}
