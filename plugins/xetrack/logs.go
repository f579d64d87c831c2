package xetrack

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

// fileSink appends each row as one JSON line to
// <dir>/xetrack-<YYYY-MM-DD>.jsonl (the row's local date).
type fileSink struct {
	dir  string
	date string
	f    *os.File
	bw   *bufio.Writer
	line []byte
}

func newFileSink(dir string) (*fileSink, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &fileSink{dir: dir}, nil
}

func (s *fileSink) write(rows []row) error {
	for _, r := range rows {
		date := r.at.Local().Format("2006-01-02")
		if date != s.date || s.f == nil {
			if err := s.open(date); err != nil {
				return err
			}
		}
		s.line = appendJSON(s.line[:0], r.fields)
		s.line = append(s.line, '\n')
		if _, err := s.bw.Write(s.line); err != nil {
			return err
		}
	}
	if s.bw != nil {
		return s.bw.Flush()
	}
	return nil
}

func (s *fileSink) open(date string) error {
	if err := s.close(); err != nil {
		return err
	}
	path := filepath.Join(s.dir, "xetrack-"+date+".jsonl")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	s.f, s.bw, s.date = f, bufio.NewWriterSize(f, 64<<10), date
	return nil
}

func (s *fileSink) close() error {
	if s.f == nil {
		return nil
	}
	err := s.bw.Flush()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f, s.bw = nil, nil
	return err
}

// appendJSON appends the row as a JSON object, columns in row order.
func appendJSON(dst []byte, fields []field) []byte {
	dst = append(dst, '{')
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonrpc.AppendString(dst, f.name)
		dst = append(dst, ':')
		switch f.kind {
		case kInt:
			dst = strconv.AppendInt(dst, f.n, 10)
		case kReal:
			dst = strconv.AppendFloat(dst, f.real(), 'f', -1, 64)
		default:
			dst = jsonrpc.AppendString(dst, f.s)
		}
	}
	return append(dst, '}')
}

// logSink logs each row to the gateway log at info level
// (XETRACK_LOGS_STDOUT: the gateway's stdout is the MCP channel, so the
// rows go to its log, on stderr).
type logSink struct{ log *slog.Logger }

func (s logSink) write(rows []row) error {
	ctx := context.Background()
	for _, r := range rows {
		attrs := make([]slog.Attr, 0, len(r.fields))
		for _, f := range r.fields {
			switch f.kind {
			case kInt:
				attrs = append(attrs, slog.Int64(f.name, f.n))
			case kReal:
				attrs = append(attrs, slog.Float64(f.name, f.real()))
			default:
				attrs = append(attrs, slog.String(f.name, f.s))
			}
		}
		s.log.LogAttrs(ctx, slog.LevelInfo, "xetrack event", attrs...)
	}
	return nil
}

func (logSink) close() error { return nil }
