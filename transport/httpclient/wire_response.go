package httpclient

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strings"

	"github.com/mcpgw/mcp-gateway/internal/http1"
)

// readResponse reads the head of an answer: by this package's own parser
// when the head is simple (readSimpleResponse), else by net/http from the
// same bytes, which are still in br.
func readResponse(br *bufio.Reader) (*http.Response, error) {
	if resp := readSimpleResponse(br); resp != nil {
		return resp, nil
	}
	return http.ReadResponse(br, nil)
}

// readSimpleResponse parses an answer whose head fits br's buffer, starts
// "HTTP/1.1 NNN", and frames its body by one Content-Length or by chunked
// encoding alone (or has no body: 1xx, 204). It returns nil, having
// consumed nothing, for anything else, and for a head that fails to come:
// net/http then reads it and says what is wrong.
func readSimpleResponse(br *bufio.Reader) *http.Response {
	if _, err := br.Peek(1); err != nil {
		return nil
	}
	var head []byte
	for {
		buf, _ := br.Peek(br.Buffered())
		if n := http1.HeadEnd(buf); n > 0 {
			head = buf[:n]
			break
		}
		if len(buf) >= br.Size() {
			return nil
		}
		if _, err := br.Peek(len(buf) + 1); err != nil {
			return nil
		}
	}
	blk := string(head)
	eol := strings.IndexByte(blk, '\n')
	if eol < 1 || blk[eol-1] != '\r' {
		return nil
	}
	line := blk[:eol-1]
	// "HTTP/1.1 200 OK": the code, then nothing or a space and a reason.
	if len(line) < 12 || line[:9] != "HTTP/1.1 " || (len(line) > 12 && line[12] != ' ') {
		return nil
	}
	code := 0
	for _, c := range []byte(line[9:12]) {
		if c < '0' || c > '9' {
			return nil
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 || code == http.StatusNotModified || code == http.StatusSwitchingProtocols {
		return nil
	}
	resp := &http.Response{Status: line[9:], StatusCode: code, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, ContentLength: -1}
	haveLength, chunked := false, false
	h, ok := http1.ParseFields(blk, eol+1, func(key, value string) (bool, bool) {
		switch key {
		case "Content-Length":
			n, ok := http1.ParseLength(value)
			if haveLength || !ok {
				return false, false
			}
			resp.ContentLength, haveLength = n, true
		case "Transfer-Encoding":
			if chunked || !strings.EqualFold(value, "chunked") {
				return false, false
			}
			chunked = true
			return true, false // net/http moves it to TransferEncoding
		case "Trailer":
			return false, false
		case "Connection":
			close, ok := http1.ConnectionClose(value)
			if !ok {
				return false, false
			}
			resp.Close = resp.Close || close
		}
		return true, true
	})
	if !ok || (haveLength && chunked) {
		return nil
	}
	resp.Header = h
	switch {
	case code < 200 || code == http.StatusNoContent:
		if haveLength || chunked {
			return nil // framing on an answer without a body: net/http's
		}
		resp.Body, resp.ContentLength = http.NoBody, 0
	case chunked:
		resp.TransferEncoding = []string{"chunked"}
		resp.Body = &chunkedBody{br: br, r: httputil.NewChunkedReader(br)}
	case haveLength && resp.ContentLength == 0:
		resp.Body = http.NoBody
	case haveLength:
		resp.Body = &lengthBody{br: br, left: resp.ContentLength}
	default:
		return nil // read until the server closes: net/http's
	}
	br.Discard(len(head))
	return resp
}

// lengthBody is a body of known length.
type lengthBody struct {
	br   *bufio.Reader
	left int64
}

func (b *lengthBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.br.Read(p)
	b.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err == nil && b.left == 0 {
		err = io.EOF
	}
	return n, err
}

func (b *lengthBody) Close() error { return nil }

// chunkedBody is a chunked body; at its last chunk the trailer section
// that ends it is read too (and dropped), so that the connection is at the
// next answer.
type chunkedBody struct {
	br   *bufio.Reader
	r    io.Reader
	done bool
	err  error
}

var errTrailer = errors.New("httpclient: malformed or oversized trailer after a chunked body")

func (b *chunkedBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	if err == io.EOF {
		b.done, b.err = true, readTrailer(b.br)
		err = b.err
	}
	return n, err
}

// readTrailer reads the trailer section after a chunked body's last chunk
// and drops it, by net/http's rules: the usual empty line, or fields
// ending with an empty line within the read buffer. It returns io.EOF when
// the body ended well.
func readTrailer(br *bufio.Reader) error {
	buf, _ := br.Peek(2)
	if string(buf) == "\r\n" {
		br.Discard(2)
		return io.EOF
	}
	if len(buf) < 2 {
		return io.ErrUnexpectedEOF
	}
	for size := 4; ; size++ {
		buf, err := br.Peek(size)
		if bytes.HasSuffix(buf, []byte("\r\n\r\n")) {
			break
		}
		if err != nil {
			return errTrailer
		}
	}
	if _, err := textproto.NewReader(br).ReadMIMEHeader(); err != nil {
		return errTrailer
	}
	return io.EOF
}

func (b *chunkedBody) Close() error { return nil }
