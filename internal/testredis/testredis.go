// Package testredis starts real, private redis-server processes for
// tests.
//
// Start runs a fresh server per call: its own free port on 127.0.0.1, its
// own directory (t.TempDir(), holding redis.log), no persistence (no RDB
// snapshots, no AOF). The server is killed in t.Cleanup and, on Linux,
// when the test process dies (parent-death signal), so none outlives its
// test. Tests use the methods to simulate outages: Kill (abrupt crash),
// Restart (back on the same port, empty), Pause and Resume (a server
// that accepts connections but never answers).
//
// The binary is redis-server from PATH, else /usr/bin/redis-server
// (Debian and Ubuntu: apt-get install redis-server). When there is none,
// Start skips the test, saying how to install it.
//
//	r := testredis.Start(t)
//	client := redis.NewClient(&redis.Options{Addr: r.Addr()})
package testredis

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// startTimeout bounds how long Start and Restart wait for PING to answer.
const startTimeout = 10 * time.Second

// Server is a redis-server process owned by one test. Its methods are
// safe for concurrent use.
type Server struct {
	tb   testing.TB
	bin  string
	dir  string
	port int

	mu   sync.Mutex // guards cmd and exit
	cmd  *exec.Cmd
	exit chan struct{}
}

// Start starts a private redis-server on a free port and waits until it
// answers PING, or skips the test when no redis-server binary is
// installed. It fails the test when the server does not start.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if _, serr := os.Stat("/usr/bin/redis-server"); serr != nil {
			tb.Skip("redis-server not found in PATH or /usr/bin: install it (e.g. apt-get install redis-server) to run the Redis tests")
		}
		bin = "/usr/bin/redis-server"
	}
	s := &Server{tb: tb, bin: bin, dir: tb.TempDir()}
	tb.Cleanup(s.Kill)
	var last error
	for range 5 { // another process may take the free port first
		s.port = FreePort(tb)
		if last = s.start(); last == nil {
			return s
		}
	}
	tb.Fatalf("testredis: starting redis-server: %v", last)
	return nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago:
// where nothing listens, for tests of an unreachable server.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// URL returns the server's database 0 as a redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Client returns a plain client of the server for inspecting it, closed
// when the test ends.
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	s.tb.Cleanup(func() { c.Close() })
	return c
}

// start runs redis-server on s.port and waits until it answers PING.
func (s *Server) start() error {
	log, err := os.OpenFile(filepath.Join(s.dir, "redis.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("redis.log: %w", err)
	}
	defer log.Close()
	cmd := exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--daemonize", "no")
	cmd.Stdout, cmd.Stderr = log, log
	setParentDeath(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", s.bin, err)
	}
	exit := make(chan struct{})
	go func() { cmd.Wait(); close(exit) }()
	s.mu.Lock()
	s.cmd, s.exit = cmd, exit
	s.mu.Unlock()
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exit:
			out, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			return fmt.Errorf("redis-server on port %d exited: %s", s.port, lastLines(string(out), 5))
		default:
		}
		if ping(s.Addr()) == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.Kill()
	return fmt.Errorf("redis-server on port %d did not answer PING within %s", s.port, startTimeout)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ping sends PING over a raw connection, so that starting a server does
// not depend on the client library under test.
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING: %q", line)
	}
	return nil
}

// Kill stops the server abruptly (SIGKILL), as a crash would, and waits
// for it to exit. Its data is lost. Killing a stopped server is a no-op.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, exit := s.cmd, s.exit
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-exit
}

// Restart starts the server again on the same port (after Kill), empty,
// and waits until it answers. It fails the test when it cannot.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Kill()
	var err error
	for range 20 { // the port may take a moment to be free again
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.tb.Fatalf("testredis: restarting redis-server on port %d: %v", s.port, err)
}

// Pause freezes the server (SIGSTOP): connections are accepted by the
// kernel but nothing is answered, as with a hung server. Resume undoes
// it; the cleanup kills a paused server all the same.
func (s *Server) Pause() error { return s.signal(syscall.SIGSTOP) }

// Resume lets a paused server run again (SIGCONT).
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig os.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return fmt.Errorf("testredis: signal %v: the server is not running", sig)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("testredis: signal %v: %w", sig, err)
	}
	return nil
}

// FlushAll empties the server, for tests that share one server between
// subtests.
func (s *Server) FlushAll(ctx context.Context) error {
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer c.Close()
	if err := c.FlushAll(ctx).Err(); err != nil {
		return fmt.Errorf("testredis: FLUSHALL: %w", err)
	}
	return nil
}

// quietRedis drops go-redis's own log lines (failed dials while a test has
// killed its server).
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// Main is TestMain for packages whose tests use Redis: go-redis's own log
// lines are dropped unless the tests run with -v.
func Main(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		redis.SetLogger(quietRedis{})
	}
	os.Exit(m.Run())
}
