package upstream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/mcpgw/mcp-gateway/transport"
)

// ProcessSpec describes a stdio backend process.
type ProcessSpec struct {
	Command string
	Args    []string
	Env     map[string]string // added to the gateway's own environment
	Dir     string
	// MaxMessageBytes bounds one message on stdout (0: default).
	MaxMessageBytes int
	// StopGrace is how long Close waits after SIGTERM before SIGKILL.
	// Zero value: 2s.
	StopGrace time.Duration
}

// Process is a running stdio backend. Its Conn speaks over the process's
// stdin and stdout; stderr is drained into the log line by line.
type Process struct {
	cmd    *exec.Cmd
	conn   *transport.Stream
	log    *slog.Logger
	grace  time.Duration
	exited chan struct{}
	// drained is closed once stderr reached EOF (every holder closed it).
	drained chan struct{}
	exitMu  sync.Mutex
	exit    error
	once    sync.Once
}

// maxStderrLine bounds one logged stderr line; the rest is cut off.
const maxStderrLine = 4096

// StartProcess starts the process in its own process group, with SIGKILL
// as its parent-death signal, so that neither it nor its children (as
// started by npx or a shell wrapper) outlive the gateway.
func StartProcess(spec ProcessSpec, log *slog.Logger) (*Process, error) {
	if spec.Command == "" {
		return nil, errors.New("no command to start")
	}
	cmd := exec.Command(spec.Command, spec.Args...)
	cmd.Dir = spec.Dir
	cmd.Env = os.Environ()
	for k, v := range spec.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = procAttr()
	// Our own pipes rather than cmd.StdoutPipe/StderrPipe: Wait closes
	// those as soon as the process exits, losing its last output, and
	// waits for descendants that still hold them. With os.Pipe, reaping
	// and draining are independent.
	stdinR, stdinW, err := pipe()
	if err != nil {
		return nil, err
	}
	stdoutR, childOut, err := pipe()
	if err != nil {
		closeAll(stdinR, stdinW)
		return nil, err
	}
	stderrR, childErr, err := pipe()
	if err != nil {
		closeAll(stdinR, stdinW, stdoutR, childOut)
		return nil, err
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdinR, childOut, childErr
	if err := cmd.Start(); err != nil {
		closeAll(stdinW, stdinR, stdoutR, childOut, stderrR, childErr)
		return nil, fmt.Errorf("start %q: %w", spec.Command, err)
	}
	closeAll(stdinR, childOut, childErr) // the child has its copies
	grace := spec.StopGrace
	if grace <= 0 {
		grace = 2 * time.Second
	}
	p := &Process{cmd: cmd, log: log, grace: grace, exited: make(chan struct{}), drained: make(chan struct{})}
	go func() {
		drainStderr(stderrR, log)
		stderrR.Close()
		close(p.drained)
	}()
	go func() {
		err := cmd.Wait()
		p.exitMu.Lock()
		p.exit = err
		p.exitMu.Unlock()
		close(p.exited)
	}()
	p.conn = transport.NewStream(stdoutR, stdinW, func() error {
		stdinW.Close()
		p.stop()
		stdoutR.Close()
		return nil
	}, spec.MaxMessageBytes)
	return p, nil
}

// pipe returns an os.Pipe as (read end, write end).
func pipe() (*os.File, *os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("pipe: %w", err)
	}
	return r, w, nil
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}

// Conn returns the process's message stream. Closing it stops the process.
func (p *Process) Conn() transport.Conn { return p.conn }

// Pid returns the process id (also its process group id).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed once the process has exited and been reaped.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// StderrDrained is closed once everything the process wrote to stderr
// has been logged.
func (p *Process) StderrDrained() <-chan struct{} { return p.drained }

// ExitErr returns how the process ended (after Exited is closed).
func (p *Process) ExitErr() error {
	p.exitMu.Lock()
	defer p.exitMu.Unlock()
	return p.exit
}

// stop ends the whole process group: SIGTERM, then SIGKILL after the grace
// period. It returns once the process has been reaped. Children that left
// the group are signalled by the kernel only through their own death
// signals; MCP servers also exit when their stdin closes.
func (p *Process) stop() {
	p.once.Do(func() {
		pgid := p.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(p.grace):
		}
		// Kill the group even after the leader exited: children it left
		// behind in the group go too.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.exited
	})
}

func drainStderr(r io.Reader, log *slog.Logger) {
	br := bufio.NewReaderSize(r, 16<<10)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			truncated := false
			if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxStderrLine {
				truncated = true
			}
			if len(line) > maxStderrLine {
				line = line[:maxStderrLine]
			}
			msg := string(trimNewline(line))
			if msg != "" {
				log.Info(msg, "stream", "stderr")
			}
			if truncated && errors.Is(err, bufio.ErrBufferFull) {
				// Skip the rest of an overlong line.
				for errors.Is(err, bufio.ErrBufferFull) {
					_, err = br.ReadSlice('\n')
				}
			}
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// Dialer opens a new connection to a backend.
type Dialer interface {
	// Dial connects; the returned Conn's Close releases everything
	// (for a process: stops it and reaps it).
	Dial(ctx context.Context) (transport.Conn, error)
}

// ProcessDialer starts a new process per Dial.
type ProcessDialer struct {
	Spec ProcessSpec
	Log  *slog.Logger
}

// Dial starts the process.
func (d *ProcessDialer) Dial(ctx context.Context) (transport.Conn, error) {
	p, err := StartProcess(d.Spec, d.Log)
	if err != nil {
		return nil, err
	}
	return &processConn{Stream: p.conn, p: p}, nil
}

// processConn reports the process's exit status when its stream ends.
type processConn struct {
	*transport.Stream
	p *Process
}

func (c *processConn) Read() ([]byte, error) {
	b, err := c.Stream.Read()
	var tl *transport.TooLargeError
	if err != nil && !errors.Is(err, transport.ErrClosed) && !errors.As(err, &tl) {
		select {
		case <-c.p.Exited():
			if e := c.p.ExitErr(); e != nil {
				return nil, fmt.Errorf("process exited: %v", e)
			}
			return nil, errors.New("process exited with status 0")
		case <-time.After(500 * time.Millisecond):
		}
		return nil, fmt.Errorf("stdout closed: %w", err)
	}
	return b, err
}
