package audit

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// WriterOptions configures a Writer. Zero fields take the defaults.
type WriterOptions struct {
	// QueueSize bounds the records and events waiting to be written
	// (default 16384). A full queue makes callers wait: nothing is dropped.
	QueueSize int
	// BatchSize bounds one write to the store (default 1024).
	BatchSize int
	// FlushEvery is how long the first entry of a batch may wait for
	// others before the batch is written (default 250ms): one transaction
	// per entry would cost more than the call itself. Close writes at once.
	FlushEvery time.Duration
	// Retention is applied every PruneEvery (default 1 minute) and once at
	// start.
	Retention  Retention
	PruneEvery time.Duration
	// RetryEvery is the pause between attempts when the store fails
	// (default 1 second); the batch is kept and retried until it is
	// written or the writer is closed.
	RetryEvery time.Duration
	Log        *slog.Logger
}

// Entry is one queued item: a call record or an event (exactly one set).
type Entry struct {
	Call  *Record
	Event *Event
}

// Writer queues records and events and writes them to a Store in batches
// from one goroutine. Add* are cheap and safe for concurrent use; Close
// writes everything queued before it returns.
type Writer struct {
	store Store
	o     WriterOptions
	queue chan Entry

	closed atomic.Bool
	adding atomic.Int64 // Add* calls between their closed check and their send
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	err    error // set by the loop before done is closed

	written, failures atomic.Int64

	subMu sync.Mutex
	subs  map[*Subscription]struct{}
}

// NewWriter starts a writer on store. The writer owns the store: Close
// closes it.
func NewWriter(store Store, o WriterOptions) *Writer {
	if o.QueueSize <= 0 {
		o.QueueSize = 16384
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1024
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 250 * time.Millisecond
	}
	if o.PruneEvery <= 0 {
		o.PruneEvery = time.Minute
	}
	if o.RetryEvery <= 0 {
		o.RetryEvery = time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	w := &Writer{store: store, o: o, queue: make(chan Entry, o.QueueSize),
		stop: make(chan struct{}), done: make(chan struct{}), subs: map[*Subscription]struct{}{}}
	go w.loop()
	return w
}

// Store returns the store the writer writes to, for queries.
func (w *Writer) Store() Store { return w.store }

// AddCall queues a call record. It waits while the queue is full. The
// writer keeps r: the caller must not change it afterwards.
func (w *Writer) AddCall(r *Record) error { return w.add(Entry{Call: r}) }

// AddEvent queues an event, like AddCall.
func (w *Writer) AddEvent(e *Event) error { return w.add(Entry{Event: e}) }

func (w *Writer) add(e Entry) error {
	w.adding.Add(1)
	defer w.adding.Add(-1)
	if w.closed.Load() {
		return ErrClosed
	}
	w.queue <- e
	return nil
}

// Queued returns the number of entries waiting to be written.
func (w *Writer) Queued() int { return len(w.queue) }

// Written returns the number of entries stored so far.
func (w *Writer) Written() int64 { return w.written.Load() }

// Failures returns the number of failed store writes so far (each retried).
func (w *Writer) Failures() int64 { return w.failures.Load() }

// Close stops accepting entries, writes everything queued, closes the
// store and returns the first error that lost entries (nil when every
// entry was stored).
func (w *Writer) Close() error {
	w.once.Do(func() {
		w.closed.Store(true)
		close(w.stop)
		<-w.done
		if err := w.store.Close(); err != nil && w.err == nil {
			w.err = fmt.Errorf("close audit store: %w", err)
		}
		w.subMu.Lock()
		for s := range w.subs {
			close(s.c)
			delete(w.subs, s)
		}
		w.subMu.Unlock()
	})
	return w.err
}

func (w *Writer) loop() {
	defer close(w.done)
	ctx := context.Background()
	batch := make([]Entry, 0, w.o.BatchSize)
	prune := time.NewTicker(w.o.PruneEvery)
	defer prune.Stop()
	w.prune(ctx)
	flush := time.NewTimer(w.o.FlushEvery)
	flush.Stop()
	for {
		select {
		case e := <-w.queue:
			// A batch: what is queued now and what comes until the
			// flush timer or the batch is full.
			batch = w.fill(append(batch[:0], e))
			flush.Reset(w.o.FlushEvery)
		gather:
			for len(batch) < w.o.BatchSize {
				select {
				case e := <-w.queue:
					batch = w.fill(append(batch, e))
				case <-flush.C:
					break gather
				case <-w.stop:
					flush.Stop()
					w.write(ctx, batch, true)
					w.drain(ctx, batch[:0])
					return
				}
			}
			flush.Stop()
			w.write(ctx, batch, false)
		case <-prune.C:
			w.prune(ctx)
		case <-w.stop:
			w.drain(ctx, batch[:0])
			return
		}
	}
}

// fill adds what is queued to batch, up to the batch size, without
// waiting.
func (w *Writer) fill(batch []Entry) []Entry {
	for len(batch) < w.o.BatchSize {
		select {
		case e := <-w.queue:
			batch = append(batch, e)
		default:
			return batch
		}
	}
	return batch
}

// drain writes what is queued and what adders still send after Close.
func (w *Writer) drain(ctx context.Context, batch []Entry) {
	for {
		batch = w.fill(batch[:0])
		if len(batch) > 0 {
			w.write(ctx, batch, true)
			continue
		}
		if w.adding.Load() == 0 && len(w.queue) == 0 {
			return
		}
		time.Sleep(time.Millisecond) // an adder is between its check and its send
	}
}

// write stores batch, retrying while the store fails; once the writer is
// closing, it tries a last time and counts what it could not store.
func (w *Writer) write(ctx context.Context, batch []Entry, closing bool) {
	var recs []Record
	var evs []Event
	for _, e := range batch {
		if e.Call != nil {
			recs = append(recs, *e.Call)
		} else if e.Event != nil {
			evs = append(evs, *e.Event)
		}
	}
	for attempt := 1; ; attempt++ {
		err := w.store.Write(ctx, recs, evs)
		if err == nil {
			w.written.Add(int64(len(batch)))
			w.publish(batch)
			return
		}
		w.failures.Add(1)
		if closing && attempt >= 3 {
			w.o.Log.Error("audit entries lost: the store keeps failing while the gateway stops",
				"entries", len(batch), "error", err)
			if w.err == nil {
				w.err = fmt.Errorf("audit: %d entries not stored: %w", len(batch), err)
			}
			return
		}
		w.o.Log.Warn("audit write failed; retrying (calls wait when the queue is full)",
			"entries", len(batch), "queued", len(w.queue), "attempt", attempt, "error", err)
		wait := w.o.RetryEvery
		if closing {
			wait = 100 * time.Millisecond
		}
		select {
		case <-time.After(wait):
		case <-w.stop:
			closing = true
		}
	}
}

func (w *Writer) prune(ctx context.Context) {
	if w.o.Retention == (Retention{}) {
		return
	}
	n, err := w.store.Prune(ctx, w.o.Retention)
	switch {
	case err != nil:
		w.o.Log.Warn("audit retention failed", "error", err)
	case n > 0:
		w.o.Log.Debug("audit retention deleted old rows", "rows", n)
	}
}

// Subscription receives entries as they are stored, for live views. A
// subscriber that falls behind misses entries (they stay in the store);
// Missed counts them.
type Subscription struct {
	c      chan Entry
	w      *Writer
	missed atomic.Int64
}

// Subscribe returns a subscription buffering up to buf entries.
func (w *Writer) Subscribe(buf int) *Subscription {
	s := &Subscription{c: make(chan Entry, buf), w: w}
	w.subMu.Lock()
	defer w.subMu.Unlock()
	if w.closed.Load() {
		close(s.c)
		return s
	}
	w.subs[s] = struct{}{}
	return s
}

// C delivers stored entries; it is closed when the subscription ends.
func (s *Subscription) C() <-chan Entry { return s.c }

// Missed returns how many entries this subscriber missed by being slow.
func (s *Subscription) Missed() int64 { return s.missed.Load() }

// Close ends the subscription.
func (s *Subscription) Close() {
	s.w.subMu.Lock()
	defer s.w.subMu.Unlock()
	if _, ok := s.w.subs[s]; ok {
		delete(s.w.subs, s)
		close(s.c)
	}
}

func (w *Writer) publish(batch []Entry) {
	w.subMu.Lock()
	defer w.subMu.Unlock()
	for s := range w.subs {
		for _, e := range batch {
			select {
			case s.c <- e:
			default:
				s.missed.Add(1)
			}
		}
	}
}
