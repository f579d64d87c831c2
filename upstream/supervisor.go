package upstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpgw/mcp-gateway/transport"
)

// State of a supervised backend.
type State string

// Backend states.
const (
	StateStarting State = "starting" // first start in progress
	StateReady    State = "ready"    // a session is up
	StateDown     State = "down"     // waiting to restart after a failure
	StateStopped  State = "stopped"  // supervisor ended
)

// SupervisorOptions configures a Supervisor.
type SupervisorOptions struct {
	Name    string
	Dialer  Dialer
	Handler Handler
	// InitParams returns the raw initialize params; it may block until
	// they are known (the stdio front waits for its client's initialize).
	InitParams func(ctx context.Context) ([]byte, error)
	// InitTimeout bounds the handshake (including a server's own start-up,
	// such as npx fetching a package). Zero value: 60s.
	InitTimeout time.Duration
	// OnReady is called after each successful handshake, before the
	// session is offered to callers of Session; it may make calls on it
	// (to fetch lists). An error fails the start like a handshake error.
	OnReady func(ctx context.Context, s *Session) error
	// Handshake opens a new session with the initialize params; nil:
	// Session.Initialize (the session-based handshake).
	Handshake func(ctx context.Context, s *Session, params []byte) error
	// OnDown is called when a session ends or a start fails.
	OnDown func(err error)
	Log    *slog.Logger
	// MinBackoff and MaxBackoff bound the restart delay, which doubles
	// after each failure and resets after a session that lived longer
	// than MaxBackoff. Zero values: 250ms and 30s.
	MinBackoff, MaxBackoff time.Duration
}

// Supervisor keeps one back session to a backend up, restarting it with
// exponential backoff when it dies.
type Supervisor struct {
	o        SupervisorOptions
	session  atomic.Pointer[Session]
	restarts atomic.Int64

	mu      sync.Mutex
	state   State
	lastErr error
	settled chan struct{} // closed after the first start attempt ends
	once    sync.Once
}

// NewSupervisor returns a supervisor; call Run to start it.
func NewSupervisor(o SupervisorOptions) *Supervisor {
	if o.InitTimeout <= 0 {
		o.InitTimeout = 60 * time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 250 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	return &Supervisor{o: o, state: StateStarting, settled: make(chan struct{})}
}

// Session returns the live session, or an error that says why there is
// none.
func (sv *Supervisor) Session() (*Session, error) {
	if s := sv.session.Load(); s != nil {
		return s, nil
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	switch sv.state {
	case StateStarting:
		return nil, &UnavailableError{Server: sv.o.Name, Reason: "it is still starting"}
	case StateStopped:
		return nil, &UnavailableError{Server: sv.o.Name, Reason: "the gateway is shutting down"}
	}
	reason := "it is restarting"
	if sv.lastErr != nil {
		reason = "it is restarting after: " + sv.lastErr.Error()
	}
	return nil, &UnavailableError{Server: sv.o.Name, Reason: reason}
}

// Ready reports whether a session is up (Session would return it).
func (sv *Supervisor) Ready() bool { return sv.session.Load() != nil }

// Status returns the state, the last error and the number of restarts.
func (sv *Supervisor) Status() (State, error, int64) {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	return sv.state, sv.lastErr, sv.restarts.Load()
}

// Settled is closed once the first start attempt has succeeded or failed.
func (sv *Supervisor) Settled() <-chan struct{} { return sv.settled }

func (sv *Supervisor) setState(st State, err error) {
	sv.mu.Lock()
	sv.state, sv.lastErr = st, err
	sv.mu.Unlock()
}

// Run supervises until ctx ends, then closes the session and returns.
func (sv *Supervisor) Run(ctx context.Context) {
	backoff := sv.o.MinBackoff
	defer sv.setState(StateStopped, nil)
	defer sv.once.Do(func() { close(sv.settled) })
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			sv.restarts.Add(1)
		}
		started := time.Now()
		s, err := sv.start(ctx)
		if err == nil {
			sv.setState(StateReady, nil)
		} else {
			sv.setState(StateDown, err)
		}
		// Settled after the state: whoever waits for it sees the outcome.
		sv.once.Do(func() { close(sv.settled) })
		if err == nil {
			sv.o.Log.Info("backend ready", "protocol", s.Init.ProtocolVersion, "restarts", sv.restarts.Load())
			select {
			case <-s.Done():
				err = s.Err()
			case <-ctx.Done():
			}
			sv.session.Store(nil)
			if ctx.Err() != nil {
				s.Close()
				return
			}
			s.Close()
		}
		if ctx.Err() != nil {
			return
		}
		if time.Since(started) > sv.o.MaxBackoff {
			backoff = sv.o.MinBackoff
		}
		sv.setState(StateDown, err)
		sv.o.Log.Error("backend down; restarting", "err", err, "in", backoff)
		if sv.o.OnDown != nil {
			sv.o.OnDown(err)
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(backoff*2, sv.o.MaxBackoff)
	}
}

func (sv *Supervisor) start(ctx context.Context) (*Session, error) {
	conn, err := sv.o.Dialer.Dial(ctx)
	if err != nil {
		return nil, err
	}
	s := NewSession(sv.o.Name, conn, sv.o.Handler, sv.o.Log)
	params, err := sv.o.InitParams(ctx)
	if err != nil {
		s.Close()
		return nil, err
	}
	ictx, cancel := context.WithTimeout(ctx, sv.o.InitTimeout)
	defer cancel()
	handshake := sv.o.Handshake
	if handshake == nil {
		handshake = func(ctx context.Context, s *Session, params []byte) error { return s.Initialize(ctx, params) }
	}
	if err := handshake(ictx, s, params); err != nil {
		// A server that dies at start-up makes the handshake fail with a
		// broken pipe or a lost connection; what the user needs is how it
		// ended (its exit status), which the session learns a moment later.
		select {
		case <-s.Done():
		case <-time.After(time.Second):
		}
		s.Close()
		var lost *ConnectionLostError
		if errors.As(s.Err(), &lost) && !errors.Is(lost.Cause, transport.ErrClosed) {
			return nil, fmt.Errorf("it ended during start-up (%v); its stderr is in the log under server=%s", lost.Cause, sv.o.Name)
		}
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return nil, fmt.Errorf("no answer to initialize within %s (is it an MCP server speaking stdio?)", sv.o.InitTimeout)
		}
		return nil, err
	}
	if sv.o.OnReady != nil {
		if err := sv.o.OnReady(ictx, s); err != nil {
			s.Close()
			return nil, err
		}
	}
	sv.session.Store(s)
	return s, nil
}

// UnavailableError says that a backend cannot take calls now, and why.
// Its message is safe to show to clients.
type UnavailableError struct {
	Server string
	Reason string
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("server %s is not available: %s", e.Server, e.Reason)
}
