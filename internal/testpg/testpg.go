// Package testpg starts real, private PostgreSQL servers for tests.
//
// Start runs a fresh server per call: its own data directory (in <dir>:
// $TESTPG_TMPDIR when set, else /dev/shm when it is a tmpfs with room to
// spare, else os.TempDir(); removed when the test ends; not t.TempDir(), see
// "Running as root"), its own free port on 127.0.0.1,
// unix sockets in its own directory, fsync off, and one database, "test",
// owned by the trusted superuser "postgres". It returns a DSN such as
//
//	postgres://postgres@127.0.0.1:PORT/test?sslmode=disable
//
// and stops the server (fast shutdown) in t.Cleanup.
//
// Starting is cheap: initdb runs once per test process, into a template data
// directory that already holds the database "test"; every Start copies the
// template and starts postgres on the copy (a few hundred milliseconds; see
// the package tests, which log the time).
//
// # Binaries
//
// The server binaries are those in $TESTPG_BINDIR when it is set, else those
// of the highest major version installed under /usr/lib/postgresql/<major>/bin
// (Debian and Ubuntu: apt-get install postgresql), else initdb and postgres
// found in PATH. When there are none, Start skips the test, saying how to
// install PostgreSQL, except when the environment variable CI is set: there
// it fails the test (CI must run the real thing).
//
// # Running as root
//
// PostgreSQL refuses to run as root. When the test process runs with
// effective uid 0, initdb and postgres run as the user "postgres" (created by
// the Debian package), or "nobody" when there is no such user, through
// exec.Cmd's SysProcAttr.Credential; the directories they use are created
// for that user in a 0755 directory in <dir> (t.TempDir()'s parents are
// root-only, 0700, and its long paths could exceed the 107 bytes of a unix
// socket's path).
//
// # Leftovers
//
// Everything a test process makes lives in one directory,
// <dir>/testpg-<pid>-<random>, and nothing outlives the process, however it
// ends (a panic, a test timeout, SIGKILL: cases where t.Cleanup does not
// run): servers are started with a parent-death signal (SIGQUIT, immediate
// shutdown), and a small watcher process (/bin/sh) removes the directory,
// template included, when the test process exits. Should the watcher fail
// too, the next process that uses testpg removes the directories of test
// processes that no longer run.
package testpg

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const (
	// Superuser is the database superuser that the DSN names (trust
	// authentication: no password).
	Superuser = "postgres"
	// Database is the database created in every server.
	Database = "test"

	installHint = "install PostgreSQL to run these tests (Debian/Ubuntu: apt-get install postgresql)"

	dirPrefix    = "testpg-" // baseParent()/testpg-<pid>-<random>
	readyTimeout = 60 * time.Second
	stopTimeout  = 30 * time.Second
)

// Start starts a fresh PostgreSQL server for the test and returns its DSN.
// The server is stopped and its files are removed in t.Cleanup.
func Start(t testing.TB) string {
	t.Helper()
	begin := time.Now()
	bin, err := findBinaries()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("testpg: %v; %s (CI is set, so this is a failure, not a skip)", err, installHint)
		}
		t.Skipf("testpg: %v; %s", err, installHint)
	}
	p, err := getProcess(bin)
	if err != nil {
		t.Fatalf("testpg: %v", err)
	}
	srv, err := p.startServer()
	if srv != nil {
		t.Cleanup(func() {
			if err := srv.stop(); err != nil {
				t.Errorf("testpg: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatalf("testpg: %v", err)
	}
	t.Logf("testpg: PostgreSQL %s on 127.0.0.1:%d ready in %v (template copy %v; initdb, once per process, %v), running as %s in %s",
		bin.version, srv.port, time.Since(begin).Round(time.Millisecond), srv.copyTime.Round(time.Millisecond), p.initTime.Round(time.Millisecond), p.who, srv.dir)
	return srv.dsn()
}

// binaries are the PostgreSQL programs Start runs.
type binaries struct {
	dir     string // holding initdb and postgres
	version string // "15", or "" when unknown
}

var (
	binOnce sync.Once
	binRes  binaries
	binErr  error
)

func findBinaries() (binaries, error) {
	binOnce.Do(func() { binRes, binErr = lookBinaries() })
	return binRes, binErr
}

// bindirEnv names the environment variable that, when set, names the
// directory holding initdb and postgres (instead of searching for them).
const bindirEnv = "TESTPG_BINDIR"

func lookBinaries() (binaries, error) {
	if dir := os.Getenv(bindirEnv); dir != "" {
		if !isExecutable(filepath.Join(dir, "initdb")) || !isExecutable(filepath.Join(dir, "postgres")) {
			return binaries{}, fmt.Errorf("PostgreSQL not found: %s=%s holds no initdb and postgres", bindirEnv, dir)
		}
		return binaries{dir: dir}, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	type cand struct {
		dir   string
		major float64
		name  string
	}
	var cands []cand
	for _, m := range matches {
		dir := filepath.Dir(m)
		if !isExecutable(filepath.Join(dir, "initdb")) || !isExecutable(m) {
			continue
		}
		name := filepath.Base(filepath.Dir(dir))
		major, err := strconv.ParseFloat(name, 64) // "15", "9.6"
		if err != nil {
			continue
		}
		cands = append(cands, cand{dir, major, name})
	}
	if len(cands) > 0 {
		sort.Slice(cands, func(i, j int) bool { return cands[i].major > cands[j].major })
		return binaries{dir: cands[0].dir, version: cands[0].name}, nil
	}
	if initdb, err := exec.LookPath("initdb"); err == nil {
		dir := filepath.Dir(initdb)
		if isExecutable(filepath.Join(dir, "postgres")) {
			return binaries{dir: dir}, nil
		}
	}
	return binaries{}, errors.New("PostgreSQL is not installed (no /usr/lib/postgresql/<major>/bin/{initdb,postgres}, no initdb and postgres in PATH)")
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// process is what the test process shares among its servers: the
// unprivileged user (when root), the base directory and the template.
type process struct {
	bin  binaries
	cred *syscall.Credential // nil: run as ourselves
	who  string              // the user the server runs as, for messages
	base string              // os.TempDir()/testpg-<pid>-<random>, 0755
	tmpl string              // base/template: initdb'd data dir with database "test"
	n    atomic.Int64        // servers started, for directory names

	initTime time.Duration // how long initTemplate took
}

var (
	procOnce sync.Once
	procRes  *process
	procErr  error
)

func getProcess(bin binaries) (*process, error) {
	procOnce.Do(func() { procRes, procErr = newProcess(bin) })
	return procRes, procErr
}

func newProcess(bin binaries) (*process, error) {
	sweepStale()
	p := &process{bin: bin}
	if os.Geteuid() == 0 {
		u, err := unprivilegedUser()
		if err != nil {
			return nil, err
		}
		p.cred, p.who = u.cred, u.name
	} else {
		p.who = "the current user"
		if u, err := user.Current(); err == nil {
			p.who = u.Username
		}
	}
	tmp := baseParent()
	if p.cred != nil {
		if err := checkTraversable(tmp, p.cred.Uid); err != nil {
			return nil, fmt.Errorf("%s cannot be used by %s: %v (set %s, or TMPDIR, to a directory every user can reach, such as /tmp)", tmp, p.who, err, tmpdirEnv)
		}
	}
	base, err := os.MkdirTemp(tmp, fmt.Sprintf("%s%d-", dirPrefix, os.Getpid()))
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(base, 0o755); err != nil {
		os.RemoveAll(base)
		return nil, err
	}
	p.base = base
	if err := removeAtExit(base); err != nil {
		os.RemoveAll(base)
		return nil, fmt.Errorf("starting the clean-up watcher for %s: %v", base, err)
	}
	start := time.Now()
	if err := p.initTemplate(); err != nil {
		os.RemoveAll(base)
		return nil, err
	}
	p.initTime = time.Since(start)
	return p, nil
}

type runUser struct {
	name string
	cred *syscall.Credential
}

// unprivilegedUser is the user initdb and postgres run as when we are root:
// postgres, else nobody.
func unprivilegedUser() (runUser, error) {
	var errs []string
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			errs = append(errs, fmt.Sprintf("user %s has uid %s gid %s", name, u.Uid, u.Gid))
			continue
		}
		return runUser{name: name, cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}, nil
	}
	return runUser{}, fmt.Errorf("running as root, and PostgreSQL refuses to run as root, but there is no unprivileged user to run it as (%s)", strings.Join(errs, "; "))
}

// checkTraversable reports whether every directory from / to dir lets uid
// search it (by the "other" bits: the user owns none of them).
func checkTraversable(dir string, uid uint32) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !(ok && st.Uid == uid) && fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("%s has mode %v", d, fi.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// tmpdirEnv names the environment variable that, when set, chooses the
// directory for the servers' files.
const tmpdirEnv = "TESTPG_TMPDIR"

// baseParent is the directory holding the process's directory: $TESTPG_TMPDIR
// when set, else /dev/shm when it is a tmpfs with room to spare (copying the
// template's 1300 files to a disk file system such as ext4 takes up to a
// second, to a tmpfs under 100ms), else os.TempDir().
func baseParent() string {
	if d := os.Getenv(tmpdirEnv); d != "" {
		return d
	}
	const tmpfsMagic = 0x01021994
	var st syscall.Statfs_t
	if syscall.Statfs("/dev/shm", &st) == nil && st.Type == tmpfsMagic &&
		st.Bavail*uint64(st.Bsize) >= 2<<30 && syscall.Access("/dev/shm", 0o2|0o1) == nil {
		return "/dev/shm"
	}
	return os.TempDir()
}

// The write end of the pipe on which the clean-up watcher waits; kept
// reachable (an unreachable *os.File is closed by its finalizer) and never
// closed: the kernel closes it when the process exits.
var watchPipe *os.File

// removeAtExit starts a shell that removes dir when this process exits, for
// however it exits: it waits for end of file on a pipe whose write end only
// this process holds. (The servers get SIGQUIT at the same moment, from
// their parent-death signal; hence the retries.)
func removeAtExit(dir string) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := exec.Command("/bin/sh", "-c",
		`read -r _; for i in 1 2 3 4 5 6 7 8 9 10; do rm -rf "$1" 2>/dev/null; [ -e "$1" ] || exit 0; sleep 1; done`,
		"testpg-cleanup", dir)
	// Stdout and Stderr stay /dev/null, so that go test does not wait for
	// the watcher; its own process group, so that it is not killed with
	// ours.
	cmd.Stdin = r
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return err
	}
	go cmd.Wait() // reaps it should it end early
	watchPipe = w
	return nil
}

// sweepStale removes the directories of test processes that have exited but
// whose clean-up watcher did not remove them (templates, and the servers of
// killed processes: a server whose data directory is gone shuts itself down
// within a minute).
func sweepStale() {
	var dirs []string
	seen := map[string]bool{}
	for _, parent := range []string{os.Getenv(tmpdirEnv), "/dev/shm", os.TempDir()} {
		if parent == "" || seen[parent] {
			continue
		}
		seen[parent] = true
		m, _ := filepath.Glob(filepath.Join(parent, dirPrefix+"*-*"))
		dirs = append(dirs, m...)
	}
	for _, d := range dirs {
		rest := strings.TrimPrefix(filepath.Base(d), dirPrefix)
		pid, err := strconv.Atoi(rest[:max(strings.IndexByte(rest, '-'), 0)])
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}

// command returns a command running a PostgreSQL program as the server's
// user, in base, with a clean PG* environment.
func (p *process) command(prog string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(p.bin.dir, prog), args...)
	cmd.Dir = p.base
	env := []string{"LC_ALL=C", "TZ=UTC"}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PG") || strings.HasPrefix(k, "LC_") || k == "LANG" || k == "TZ" || k == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+p.base)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	return cmd
}

// mkdir creates dir (mode 0700) owned by the server's user.
func (p *process) mkdir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	return p.chown(dir)
}

func (p *process) chown(path string) error {
	if p.cred == nil {
		return nil
	}
	return os.Lchown(path, int(p.cred.Uid), int(p.cred.Gid))
}

// initTemplate runs initdb into base/template and creates the database
// "test" in it (single-user mode, so that no server and port are needed).
func (p *process) initTemplate() error {
	p.tmpl = filepath.Join(p.base, "template")
	if err := p.mkdir(p.tmpl); err != nil {
		return err
	}
	cmd := p.command("initdb", "--pgdata="+p.tmpl, "--username="+Superuser, "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync", "--wal-segsize=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb (as %s) failed: %v\n%s", p.who, err, out)
	}
	cmd = p.command("postgres", "--single", "-D", p.tmpl, "-c", "fsync=off", "-c", "full_page_writes=off", "postgres")
	cmd.Stdin = strings.NewReader("CREATE DATABASE " + Database + ";\n")
	out, err := cmd.CombinedOutput()
	if err == nil && bytes.Contains(out, []byte("ERROR:")) {
		err = errors.New("the statement failed")
	}
	if err != nil {
		return fmt.Errorf("creating database %q in the template (postgres --single, as %s) failed: %v\n%s", Database, p.who, err, out)
	}
	return nil
}

// server is one running postgres.
type server struct {
	p    *process
	dir  string // base/srv-N (sockets, log), removed by stop
	data string // dir/data
	log  string // dir/postgres.log
	port int
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has been waited for
	err  error         // cmd.Wait's, once done is closed

	copyTime time.Duration // copying the template
}

func (s *server) dsn() string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", Superuser, s.port, Database)
}

// startServer copies the template and starts postgres on it. On error it may
// return a server as well, which the caller must stop (to remove its files).
func (p *process) startServer() (*server, error) {
	s := &server{p: p, dir: filepath.Join(p.base, fmt.Sprintf("srv-%d", p.n.Add(1)))}
	s.data = filepath.Join(s.dir, "data")
	s.log = filepath.Join(s.dir, "postgres.log")
	if err := p.mkdir(s.dir); err != nil {
		return nil, err
	}
	begin := time.Now()
	if err := p.copyTree(p.tmpl, s.data); err != nil {
		return s, fmt.Errorf("copying the template data directory: %v", err)
	}
	s.copyTime = time.Since(begin)
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var retry bool
		if retry, err = s.start(); err == nil || !retry {
			break
		}
	}
	return s, err
}

// start starts postgres on a free port and waits until it accepts
// connections. retry is set when the port was taken meanwhile.
func (s *server) start() (retry bool, err error) {
	port, err := freePort()
	if err != nil {
		return false, err
	}
	s.port = port
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return false, err
	}
	defer logf.Close()
	cmd := s.p.command("postgres", "-D", s.data,
		"-c", "port="+strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories="+s.dir,
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "huge_pages=off",
		"-c", "max_connections=100",
		"-c", "shared_buffers=32MB",
		"-c", "logging_collector=off",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Immediate shutdown if the test process dies without stopping us.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := startLocked(cmd); err != nil {
		return false, fmt.Errorf("starting postgres (as %s): %v", s.p.who, err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { s.err = cmd.Wait(); close(s.done) }()

	deadline := time.Now().Add(readyTimeout)
	for {
		select {
		case <-s.done:
			out := s.tail()
			if strings.Contains(out, "could not bind") || strings.Contains(out, "could not create any TCP/IP sockets") {
				s.cmd = nil
				return true, fmt.Errorf("postgres could not listen on port %d: %v\n%s", port, s.err, out)
			}
			s.cmd = nil
			return false, fmt.Errorf("postgres (as %s) exited before accepting connections: %v\n%s", s.p.who, s.err, out)
		case <-time.After(10 * time.Millisecond):
		}
		if s.ready() {
			return false, nil
		}
		if time.Now().After(deadline) {
			return false, fmt.Errorf("postgres on port %d did not accept connections within %v\n%s", port, readyTimeout, s.tail())
		}
	}
}

// ready reports whether postmaster.pid says "ready" and the port accepts
// TCP connections.
func (s *server) ready() bool {
	b, err := os.ReadFile(filepath.Join(s.data, "postmaster.pid"))
	if err != nil {
		return false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 8 || strings.TrimSpace(lines[7]) != "ready" {
		return false
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// stop shuts postgres down (fast shutdown: SIGINT), waits for it and
// removes its files.
func (s *server) stop() error {
	var err error
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
			if s.err != nil {
				err = fmt.Errorf("postgres on port %d: fast shutdown ended with %v\n%s", s.port, s.err, s.tail())
			}
		case <-time.After(stopTimeout):
			_ = s.cmd.Process.Signal(syscall.SIGQUIT)
			select {
			case <-s.done:
			case <-time.After(5 * time.Second):
				_ = s.cmd.Process.Kill()
				<-s.done
			}
			err = fmt.Errorf("postgres on port %d did not shut down within %v; killed it\n%s", s.port, stopTimeout, s.tail())
		}
	}
	if rerr := os.RemoveAll(s.dir); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// tail returns the last lines of the server's log.
func (s *server) tail() string {
	f, err := os.Open(s.log)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 40 {
			lines = lines[1:]
		}
	}
	return "postgres log (" + s.log + "):\n" + strings.Join(lines, "\n")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// copyTree copies the directory src to dst (which must not exist), keeping
// modes, with everything owned by the server's user.
func (p *process) copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := os.Mkdir(target, info.Mode().Perm()); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := copyFile(path, target, info.Mode().Perm()); err != nil {
				return err
			}
		case info.Mode()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			if err := os.Symlink(link, target); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: unexpected file type %v", path, info.Mode().Type())
		}
		return p.chown(target)
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Processes started with Pdeathsig get the signal when the OS thread that
// started them exits, not the process; Go may end threads (a goroutine that
// exits while locked to its thread). So servers are started from one
// goroutine locked to its thread for the life of the process.
var (
	spawnOnce sync.Once
	spawnCh   chan func()
)

func startLocked(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnCh = make(chan func())
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for f := range spawnCh {
				f()
			}
		}()
	})
	errc := make(chan error, 1)
	spawnCh <- func() { errc <- cmd.Start() }
	return <-errc
}
