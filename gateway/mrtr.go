package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/upstream"
)

// Multi round-trip requests across eras. A modern client cannot be sent
// requests; when a legacy backend asks something (sampling, elicitation,
// roots) during a modern client's call, the gateway answers the call with
// an InputRequiredResult naming the question, keeps the backend call
// running ("parked"), and continues it when the client retries with
// inputResponses and the requestState the gateway gave it.
//
// The requestState is a random token known only to the gateway and bound
// to the front session's principal and the call (method and name); a
// tampered or expired one is refused. A parked call that is not resumed
// within parkTimeout is cancelled.

// mayNeedInput are the methods a server may answer with an
// InputRequiredResult.
var mayNeedInput = map[string]bool{"tools/call": true, "prompts/get": true, "resources/read": true}

// requestStatePrefix marks the gateway's own requestState tokens, so that
// a modern backend's state passes through untouched.
const requestStatePrefix = "mcpgw1."

// parkTimeout bounds how long a parked call waits for the client's retry.
const parkTimeout = 10 * time.Minute

// maxParked bounds the parked calls of one front session.
const maxParked = 256

// continuation is a modern call whose backend call outlives the client
// request that started it.
type continuation struct {
	token  string // the requestState of the current round (under mu once shared)
	key    string // its entry's key in the front's in-flight table
	method string
	name   string
	cancel context.CancelFunc

	mu      sync.Mutex
	attach  []byte               // raw id of the client request now waiting for it
	asked   map[string]*inputAsk // unanswered backend requests, by input key
	order   []string             // input keys in arrival order
	done    bool
	res     []byte
	err     error
	changed chan struct{} // signalled on every new ask and when done
	timer   *time.Timer
}

type inputAsk struct {
	s      *upstream.Session
	backID []byte
	method string
	params []byte
	sent   bool // put in an InputRequiredResult: the client's retry answers it
}

func (c *continuation) signal() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *continuation) attached() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.attach
}

// ask records a backend's request for the client.
func (c *continuation) ask(s *upstream.Session, m jsonrpc.Message, key string) {
	c.mu.Lock()
	c.asked[key] = &inputAsk{s: s, backID: append([]byte(nil), m.ID...), method: m.Method, params: m.Params}
	c.order = append(c.order, key)
	c.mu.Unlock()
	c.signal()
}

// finish records the call's outcome and returns the questions still
// unanswered: on a shared session they may be another call's.
func (c *continuation) finish(res []byte, err error) map[string]*inputAsk {
	c.mu.Lock()
	c.done, c.res, c.err = true, res, err
	// Questions the client has been shown stay: its retry answers them.
	var orphans map[string]*inputAsk
	for k, a := range c.asked {
		if !a.sent {
			if orphans == nil {
				orphans = map[string]*inputAsk{}
			}
			orphans[k] = a
			delete(c.asked, k)
		}
	}
	c.mu.Unlock()
	c.signal()
	return orphans
}

// rehome passes questions a finished call leaves unanswered to another
// modern call of this client on the same backend, or refuses them.
func (f *Front) rehome(from *continuation, server string, asked map[string]*inputAsk) {
	if len(asked) == 0 {
		return
	}
	f.mu.Lock()
	var to *continuation
	for _, x := range f.inflight {
		if x.cont != nil && x.cont != from && x.server == server && !x.cont.isDone() {
			to = x.cont
			break
		}
	}
	f.mu.Unlock()
	for key, a := range asked {
		if to != nil {
			to.mu.Lock()
			to.asked[key] = a
			to.order = append(to.order, key)
			to.mu.Unlock()
			continue
		}
		_ = a.s.Reply(a.backID, nil, jsonrpc.AppendError(nil, jsonrpc.CodeInternalError, "the call ended before the client answered", nil))
	}
	if to != nil {
		to.signal()
	}
}

func (c *continuation) isDone() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

// Gathering of questions asked together: after one, wait while more
// arrive within gatherQuiet, for at most gatherMax.
const (
	gatherQuiet = 20 * time.Millisecond
	gatherMax   = 100 * time.Millisecond
)

func (c *continuation) gather() {
	deadline := time.NewTimer(gatherMax)
	defer deadline.Stop()
	for {
		quiet := time.NewTimer(gatherQuiet)
		select {
		case <-c.changed:
			quiet.Stop()
			if c.isDone() {
				c.signal()
				return
			}
		case <-quiet.C:
			return
		case <-deadline.C:
			quiet.Stop()
			return
		}
	}
}

// inputRequiredResult lists the unanswered questions.
func (c *continuation) inputRequiredResult() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := []byte(`{"resultType":"input_required","inputRequests":{`)
	n := 0
	for _, k := range c.order {
		a := c.asked[k]
		if a == nil {
			continue
		}
		a.sent = true
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = jsonrpc.AppendString(b, k)
		b = append(b, `:{"method":`...)
		b = jsonrpc.AppendString(b, a.method)
		b = append(b, `,"params":`...)
		if a.params != nil {
			b = append(b, a.params...)
		} else {
			b = append(b, "{}"...)
		}
		b = append(b, '}')
	}
	b = append(b, `},"requestState":`...)
	b = jsonrpc.AppendString(b, c.token)
	return append(b, '}')
}

// startContinuation runs a modern call whose backend may ask the client
// for input, and waits for its outcome or its first question.
func (f *Front) startContinuation(ctx context.Context, r *inflightReq, c *plugin.Call) ([]byte, error) {
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	cctx, cancel := context.WithCancel(f.ctx)
	k := &continuation{
		token:   requestStatePrefix + hex.EncodeToString(rnd[:]),
		key:     "\x00" + hex.EncodeToString(rnd[:]),
		method:  c.Method,
		name:    c.Name,
		cancel:  cancel,
		attach:  r.id,
		asked:   map[string]*inputAsk{},
		changed: make(chan struct{}, 1),
	}
	// The continuation takes the request's place as the call routed to
	// the backend, so that the backend's requests and progress find it
	// after the request that started it has been answered.
	entry := &inflightReq{id: r.id, server: c.Server, name: c.Name, modern: true, logLevel: r.logLevel, cont: k, cancel: cancel}
	f.mu.Lock()
	if len(f.conts) >= maxParked {
		f.mu.Unlock()
		cancel()
		return nil, &callError{code: jsonrpc.CodeInternalError, msg: "too many calls waiting for input on this session; answer or abandon some first"}
	}
	f.conts[k.token] = k
	f.inflight[k.key] = entry
	r.server = "" // counted once, through the entry
	f.mu.Unlock()
	f.g.parked.Store(k.token, f)
	go func() {
		res, err := f.chain(context.WithValue(cctx, requestKey{}, entry), c)
		var raw []byte
		if res != nil {
			raw = res.Raw
			f.noteResult(r, res) // the request whose record the common, unparked case ends
		}
		f.rehome(k, c.Server, k.finish(raw, err))
		// The outcome waits for the request attached now, or for the
		// client's retry of a parked call (until the park times out).
		k.mu.Lock()
		waiting, parked := k.attach != nil, k.timer != nil
		k.mu.Unlock()
		if !waiting && !parked {
			f.endContinuation(k) // nobody was told to come back
		}
	}()
	return f.awaitContinuation(ctx, k)
}

// rotateToken gives a continuation a new requestState for its next
// round, so that a stale retry of an earlier round cannot be replayed.
func (f *Front) rotateToken(k *continuation) {
	var rnd [16]byte
	_, _ = rand.Read(rnd[:])
	tok := requestStatePrefix + hex.EncodeToString(rnd[:])
	f.mu.Lock()
	k.mu.Lock()
	old := k.token
	k.token = tok
	k.mu.Unlock()
	if f.conts[old] == k {
		delete(f.conts, old)
		f.conts[tok] = k
	}
	f.mu.Unlock()
	f.g.parked.Delete(old)
	f.g.parked.Store(tok, f)
}

// endContinuation forgets a continuation that finished or was abandoned.
func (f *Front) endContinuation(k *continuation) {
	k.cancel()
	k.mu.Lock()
	tok := k.token
	k.mu.Unlock()
	f.g.parked.Delete(tok)
	f.mu.Lock()
	if f.conts[tok] == k {
		delete(f.conts, tok)
	}
	delete(f.inflight, k.key)
	f.mu.Unlock()
	k.mu.Lock()
	if k.timer != nil {
		k.timer.Stop()
	}
	k.mu.Unlock()
	f.maybeCloseIdle()
}

// awaitContinuation waits for the call's outcome, or for questions to pass
// to the client as an InputRequiredResult (the call is then parked).
func (f *Front) awaitContinuation(ctx context.Context, k *continuation) ([]byte, error) {
	for {
		k.mu.Lock()
		if k.done {
			res, err := k.res, k.err
			k.mu.Unlock()
			f.endContinuation(k)
			return res, err
		}
		pending := len(k.asked) > 0
		k.mu.Unlock()
		if pending {
			// A backend that needs several answers may ask them at once:
			// gather what comes together into one round.
			k.gather()
			f.rotateToken(k)
			k.mu.Lock()
			k.attach = nil
			if k.timer == nil {
				k.timer = time.AfterFunc(parkTimeout, func() {
					f.log.Info("a call waiting for the client's input was abandoned", "method", k.method, "name", k.name, "after", parkTimeout)
					f.endContinuation(k)
				})
			} else {
				k.timer.Reset(parkTimeout)
			}
			k.mu.Unlock()
			return k.inputRequiredResult(), nil
		}
		select {
		case <-k.changed:
		case <-ctx.Done():
			// The client gave up on the call (for a modern client over
			// HTTP, closing the stream is the cancellation).
			f.endContinuation(k)
			return nil, ctx.Err()
		}
	}
}

// gatewayRequestState returns the gateway's requestState token in a
// retried request's params, or "".
func gatewayRequestState(params []byte) string {
	v, err := jsonrpc.Get(params, "requestState")
	if err != nil || v == nil {
		return ""
	}
	s, _ := jsonrpc.String(v)
	if strings.HasPrefix(s, requestStatePrefix) {
		return s
	}
	return ""
}

// resumeContinuation continues a parked call with the client's answers.
func (f *Front) resumeContinuation(ctx context.Context, r *inflightReq, c *plugin.Call, token string) ([]byte, error) {
	f.mu.Lock()
	k := f.conts[token]
	f.mu.Unlock()
	if k == nil || k.method != c.Method || k.name != c.Name {
		return nil, invalidParams("invalid or expired requestState: send the request again without inputResponses and requestState")
	}
	var answers map[string][]byte
	if v, err := jsonrpc.Get(c.Params, "inputResponses"); err != nil {
		return nil, invalidParams("params.inputResponses: %v", err)
	} else if v != nil && string(v) != "null" {
		fields, err := jsonrpc.Fields(v)
		if err != nil {
			return nil, invalidParams("params.inputResponses must be an object of input responses by key")
		}
		answers = make(map[string][]byte, len(fields))
		for _, fl := range fields {
			if len(fl.Value) == 0 || fl.Value[0] != '{' {
				return nil, invalidParams("params.inputResponses[%q] must be the client's result object for that input request", fl.Key)
			}
			answers[fl.Key] = fl.Value
		}
	}
	k.mu.Lock()
	if k.attach != nil {
		k.mu.Unlock()
		return nil, invalidParams("this requestState is already being resumed by another request")
	}
	k.attach = r.id
	var replies []*inputAsk
	var results [][]byte
	for key, res := range answers {
		if a := k.asked[key]; a != nil {
			replies, results = append(replies, a), append(results, res)
			delete(k.asked, key)
		}
	}
	k.mu.Unlock()
	for i, a := range replies {
		if err := a.s.Reply(a.backID, results[i], nil); err != nil {
			f.log.Warn("could not pass the client's input to the backend", "server", a.s.Server(), "err", err)
		}
	}
	return f.awaitContinuation(ctx, k)
}

// bridgeRequest hands a backend's request to the modern call it belongs
// to; it reports false when no such call is in flight.
//
// Several modern calls of this client may be in flight to a shared
// session of a session-based backend, which does not say which call asks;
// the question then rides on one of them, preferring one whose client is
// waiting. That is safe: they are all this client's, the answer still goes
// to the backend request that asked, and each call's own result stays its
// own.
func (f *Front) bridgeRequest(s *upstream.Session, m jsonrpc.Message) bool {
	f.mu.Lock()
	var r *inflightReq
	for _, x := range f.inflight {
		if x.server != s.Server() || !x.modern {
			continue
		}
		if r == nil || (x.cont != nil && (r.cont == nil || (r.cont.attached() == nil && x.cont.attached() != nil))) {
			r = x
		}
	}
	if r == nil {
		f.mu.Unlock()
		return false
	}
	k := r.cont
	f.nextOut++
	key := "input-" + strconv.FormatInt(f.nextOut, 10)
	f.mu.Unlock()
	if k == nil {
		_ = s.Reply(m.ID, nil, jsonrpc.AppendError(nil, jsonrpc.CodeInternalError,
			"the gateway cannot forward "+m.Method+": the client uses protocol revision 2026-07-28, which has no server-to-client requests, and this method cannot ask for input", nil))
		return true
	}
	k.ask(s, m, key)
	return true
}

// ParkedFront returns the front session holding the parked call that a
// retried request's requestState names, if it belongs to principal; nil
// otherwise. The HTTP front door passes such a retry to that session.
func (g *Gateway) ParkedFront(params []byte, principal string) *Front {
	token := gatewayRequestState(params)
	if token == "" {
		return nil
	}
	v, ok := g.parked.Load(token)
	if !ok {
		return nil
	}
	f := v.(*Front)
	if f.sess.Principal != principal {
		return nil
	}
	return f
}

// Bounds of the rounds the gateway runs for a session-based client with a
// modern backend.
const (
	maxInputRounds = 10
	maxEmptyRounds = 3 // "retry later" answers (no inputRequests)
)

// answerInputRequests serves a modern backend's InputRequiredResult for a
// session-based client, which knows nothing of it: each input request is
// sent to the client as the server-to-client request it stands for, and
// the call is retried with the answers (and the backend's requestState)
// until the backend completes it.
func (f *Front) answerInputRequests(ctx context.Context, b *backend, s *upstream.Session, method string, params, res []byte, opts upstream.CallOptions) ([]byte, error) {
	empty := 0
	for round := 0; ; round++ {
		v, err := jsonrpc.Lookup(res, "resultType", "inputRequests", "requestState")
		if err != nil || string(v[0]) != `"input_required"` {
			return res, nil
		}
		if round == maxInputRounds {
			return nil, &callError{code: jsonrpc.CodeInternalError, msg: fmt.Sprintf("server %s asked for input more than %d times for one call; giving up", b.cfg.Name, maxInputRounds)}
		}
		answers := []byte{'{'}
		var fields []jsonrpc.ObjectField
		if v[1] != nil && string(v[1]) != "null" {
			if fields, err = jsonrpc.Fields(v[1]); err != nil {
				return nil, &callError{code: jsonrpc.CodeInternalError, msg: fmt.Sprintf("server %s sent malformed inputRequests: %v", b.cfg.Name, err)}
			}
		}
		if len(fields) == 0 {
			if empty++; empty > maxEmptyRounds {
				return nil, &callError{code: jsonrpc.CodeInternalError, msg: fmt.Sprintf("server %s keeps asking to retry later; giving up", b.cfg.Name)}
			}
			t := time.NewTimer(time.Duration(empty) * 100 * time.Millisecond)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			}
		}
		for i, fl := range fields {
			rv, err := jsonrpc.Lookup(fl.Value, "method", "params")
			m, _ := jsonrpc.String(rv[0])
			if err != nil || m == "" {
				return nil, &callError{code: jsonrpc.CodeInternalError, msg: fmt.Sprintf("server %s sent an input request %q without a method", b.cfg.Name, fl.Key)}
			}
			ans, err := f.askClient(ctx, m, rv[1])
			if err != nil {
				return nil, err
			}
			if i > 0 {
				answers = append(answers, ',')
			}
			answers = jsonrpc.AppendString(answers, fl.Key)
			answers = append(answers, ':')
			answers = append(answers, ans...)
		}
		answers = append(answers, '}')
		retry, err := jsonrpc.SetField(params, "inputResponses", answers)
		if err == nil && v[2] != nil {
			retry, err = jsonrpc.SetField(retry, "requestState", v[2])
		} else if err == nil {
			retry, err = withoutFields(retry, func(k string) bool { return k == "requestState" })
		}
		if err != nil {
			return nil, invalidParams("params: %v", err)
		}
		if res, err = s.CallTimeout(ctx, b.cfg.Timeout, method, retry, opts); err != nil {
			return nil, err
		}
	}
}

// askClient sends the client a request of the gateway's own and waits for
// its result; an error answer fails the call with the client's error.
func (f *Front) askClient(ctx context.Context, method string, params []byte) ([]byte, error) {
	select {
	case <-f.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	reply := make(chan jsonrpc.Message, 1)
	f.mu.Lock()
	if f.closed || len(f.out) >= maxOutstanding {
		f.mu.Unlock()
		return nil, &callError{code: jsonrpc.CodeInternalError, msg: "the client cannot take more requests now"}
	}
	f.nextOut++
	id := f.nextOut
	f.out[id] = &outReq{reply: reply}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.out, id)
		f.mu.Unlock()
	}()
	raw := strconv.AppendInt(nil, id, 10)
	f.sendFor(requestID(ctx), jsonrpc.AppendRequest(nil, raw, method, params))
	select {
	case m, ok := <-reply:
		if !ok {
			return nil, &callError{code: jsonrpc.CodeInternalError, msg: "the client disconnected"}
		}
		if m.Error != nil {
			msg, _ := jsonrpc.Get(m.Error, "message")
			s, _ := jsonrpc.String(msg)
			return nil, &callError{code: jsonrpc.ErrorCode(m.Error), msg: method + " failed at the client: " + s}
		}
		if m.Result == nil || m.Result[0] != '{' {
			return nil, &callError{code: jsonrpc.CodeInternalError, msg: method + ": the client's answer is not an object"}
		}
		return m.Result, nil
	case <-ctx.Done():
		f.send(jsonrpc.AppendNotification(nil, "notifications/cancelled", append(append([]byte(`{"requestId":`), raw...), '}')))
		return nil, ctx.Err()
	}
}
