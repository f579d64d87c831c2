package httpclient

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// readOutcome is what a caller sees of an answer read from raw bytes: its
// head, its body, and what is left for the next answer.
type readOutcome struct {
	Err           bool
	Status        string
	Code          int
	ContentLength int64
	Close         bool
	Chunked       bool
	Header        []string
	Body          string
	BodyErr       bool
	Rest          string
}

func readWith(raw string, read func(*bufio.Reader) (*http.Response, error)) readOutcome {
	br := bufio.NewReaderSize(strings.NewReader(raw), 4<<10)
	resp, err := read(br)
	if err != nil {
		return readOutcome{Err: true}
	}
	o := readOutcome{Status: resp.Status, Code: resp.StatusCode, ContentLength: resp.ContentLength, Close: resp.Close,
		Chunked: len(resp.TransferEncoding) == 1 && resp.TransferEncoding[0] == "chunked"}
	for k, vs := range resp.Header {
		if k == "Connection" {
			continue // net/http drops "close" from it; nobody reads it
		}
		o.Header = append(o.Header, k+"="+strings.Join(vs, "|"))
	}
	sort.Strings(o.Header)
	b, err := io.ReadAll(resp.Body)
	o.Body, o.BodyErr = string(b), err != nil
	if !o.BodyErr {
		rest, _ := io.ReadAll(br)
		o.Rest = string(rest)
	}
	return o
}

func netHTTPRead(br *bufio.Reader) (*http.Response, error) { return http.ReadResponse(br, nil) }

// TestReadResponseAsNetHTTP: for each answer, this package's parser gives
// what net/http's does, including where the next answer starts; simple
// says whether it must have parsed it itself.
func TestReadResponseAsNetHTTP(t *testing.T) {
	next := "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext"
	cases := []struct {
		name   string
		raw    string
		simple bool
	}{
		{"JSON with length", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nMcp-Session-Id: s1\r\nContent-Length: 2\r\n\r\n{}" + next, true},
		{"lower-case names", "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nmcp-session-id: s\r\n\r\n{}" + next, true},
		{"chunked", "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n" + next, true},
		{"chunked with extension and trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n" + next, true},
		{"chunked, upper case", "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n" + next, true},
		{"202 empty", "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n" + next, true},
		{"204", "HTTP/1.1 204 No Content\r\n\r\n" + next, true},
		{"no reason", "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx" + next, true},
		{"odd reason", "HTTP/1.1 404 Not  Found here\r\nContent-Length: 1\r\n\r\nx" + next, true},
		{"Connection: close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", true},
		{"repeated field", "HTTP/1.1 401 Unauthorized\r\nWww-Authenticate: Bearer\r\nWWW-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n", true},
		{"103 then 200", "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + next, true},
		{"cut short body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true},
		{"cut short chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhe", true},

		{"read until close", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it", false},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", false},
		{"304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n" + next, false},
		{"101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n", false},
		{"length and chunked", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n", false},
		{"gzip, chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", false},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", false},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nx", false},
		{"trailer announced", "HTTP/1.1 200 OK\r\nTrailer: X\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n\r\n", false},
		{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 1\n\nx", false},
		{"folded", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 1\r\n\r\nx", false},
		{"control byte", "HTTP/1.1 200 OK\r\nX-A: a\x01\r\nContent-Length: 1\r\n\r\nx", false},
		{"bad code", "HTTP/1.1 2x0 OK\r\nContent-Length: 1\r\n\r\nx", false},
		{"short code", "HTTP/1.1 20 OK\r\nContent-Length: 1\r\n\r\nx", false},
		{"head cut short", "HTTP/1.1 200 OK\r\nContent-Len", false},
		{"nothing", "", false},
		{"head over the buffer", "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("b", 5000) + "\r\nContent-Length: 1\r\n\r\nx", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := readWith(tc.raw, netHTTPRead)
			got := readWith(tc.raw, readResponse)
			if w, g := mustJSON(want), mustJSON(got); w != g {
				t.Errorf("differs from net/http:\nnet/http: %s\nours:     %s", w, g)
			}
			simple := readSimpleResponse(bufio.NewReaderSize(strings.NewReader(tc.raw), 4<<10)) != nil
			if simple != tc.simple {
				t.Errorf("parsed by our own parser: %v, want %v", simple, tc.simple)
			}
		})
	}
}

func FuzzReadResponseAsNetHTTP(f *testing.F) {
	f.Add("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\n\r\n")
	f.Add("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\nrest")
	f.Add("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
	f.Fuzz(func(t *testing.T, raw string) {
		want := readWith(raw, netHTTPRead)
		got := readWith(raw, readResponse)
		if w, g := mustJSON(want), mustJSON(got); w != g {
			t.Errorf("for %q:\nnet/http: %s\nours:     %s", raw, w, g)
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
