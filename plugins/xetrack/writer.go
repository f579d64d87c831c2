package xetrack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpgw/mcp-gateway/jsonrpc"
)

// errClosed is returned for calls that end after Close.
var errClosed = errors.New("xetrack: closed")

// timestampLayout is xetrack's timestamp format (local time).
const timestampLayout = "02-01-2006 15:04:05.000000"

// writerOptions configures a writer; zero fields take the defaults.
type writerOptions struct {
	queueSize  int           // calls waiting to be written (default 4096); a full queue makes calls wait
	queueBytes int64         // bytes of arguments and results waiting (default 64 MiB); calls wait beyond
	batchSize  int           // calls per transaction (default 512)
	retryEvery time.Duration // pause between attempts when the database fails (default 1s)
	gather     time.Duration // how long a burst of calls gathers into one batch (default 5ms)
	maxColumns int           // cap on the table's columns (default MaxColumns)
	log        *slog.Logger
}

// row is one row to write.
type row struct {
	at     time.Time
	fields []field // fields[0] is the timestamp, fields[1] the track_id
}

// sink receives the rows once they are stored.
type sink interface {
	write(rows []row) error
	close() error
}

// writer queues entries and writes them from one goroutine, in batches:
// to the database, then to the sinks. Nothing is dropped: add waits while
// the queue is full and close writes what is queued.
type writer struct {
	st      *store // nil: no database
	sinks   []sink
	prepare func(*entry) // reads an entry's result and arguments, in the loop
	trackID string
	o       writerOptions
	queue   chan *entry
	kick    chan struct{} // wakes the loop; one pending wake is enough

	closed atomic.Bool
	adding atomic.Int64 // adds between their closed check and their send
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
	err    error // set by the loop before done is closed

	memMu   sync.Mutex
	memCond *sync.Cond
	queued  int64 // bytes held by queued entries
	peak    int64 // the most queued bytes seen

	// Used by the loop only.
	known   map[string]bool // the table's columns
	last    time.Time       // the last timestamp given: they are unique per track_id
	sinkErr time.Time       // when a sink failure was last logged

	rows, failures, lost atomic.Int64
}

func newWriter(st *store, sinks []sink, prepare func(*entry), trackID string, o writerOptions) *writer {
	if o.queueSize <= 0 {
		o.queueSize = 4096
	}
	if o.queueBytes <= 0 {
		o.queueBytes = 64 << 20
	}
	if o.batchSize <= 0 {
		o.batchSize = 512
	}
	if o.retryEvery <= 0 {
		o.retryEvery = time.Second
	}
	if o.gather <= 0 {
		o.gather = 5 * time.Millisecond
	}
	if o.maxColumns <= 0 {
		o.maxColumns = MaxColumns
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	w := &writer{st: st, sinks: sinks, prepare: prepare, trackID: trackID, o: o, queue: make(chan *entry, o.queueSize),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	w.memCond = sync.NewCond(&w.memMu)
	if st != nil {
		w.known = st.cols
	} else {
		w.known = make(map[string]bool, len(fixedColumns))
		for _, c := range fixedColumns {
			w.known[c.name] = true
		}
	}
	go w.loop()
	return w
}

// add queues e, waiting while the queue is full (in entries or bytes).
func (w *writer) add(e *entry) error {
	w.adding.Add(1)
	defer w.adding.Add(-1)
	if w.closed.Load() {
		return errClosed
	}
	if e.size > 0 {
		w.memMu.Lock()
		for w.queued > 0 && w.queued+e.size > w.o.queueBytes {
			w.memCond.Wait()
		}
		w.queued += e.size
		w.peak = max(w.peak, w.queued)
		w.memMu.Unlock()
	}
	w.queue <- e
	select {
	case w.kick <- struct{}{}:
	default: // a wake is pending: the loop will see e
	}
	return nil
}

// release gives back the bytes of written (or lost) entries.
func (w *writer) release(batch []*entry) {
	var n int64
	for _, e := range batch {
		n += e.size
	}
	if n == 0 {
		return
	}
	w.memMu.Lock()
	w.queued -= n
	w.memMu.Unlock()
	w.memCond.Broadcast()
}

// flush returns once everything queued before it is written (or lost).
func (w *writer) flush() error {
	done := make(chan struct{})
	if err := w.add(&entry{flushed: done}); err != nil {
		return err
	}
	<-done
	return nil
}

// close stops accepting entries, writes what is queued and closes the
// outputs. Its error says how many rows were lost, if any.
func (w *writer) close() error {
	w.once.Do(func() {
		w.closed.Store(true)
		close(w.stop)
		<-w.done
		var errs []error
		if w.err != nil {
			errs = append(errs, w.err)
		}
		if w.st != nil {
			if err := w.st.close(); err != nil {
				errs = append(errs, fmt.Errorf("xetrack: close %s: %w", w.st.path, err))
			}
		}
		for _, s := range w.sinks {
			if err := s.close(); err != nil {
				errs = append(errs, fmt.Errorf("xetrack: close the logs: %w", err))
			}
		}
		w.err = errors.Join(errs...)
	})
	return w.err
}

func (w *writer) loop() {
	defer close(w.done)
	batch := make([]*entry, 0, w.o.batchSize)
	gather := time.NewTimer(w.o.gather)
	gather.Stop()
	for {
		select {
		case <-w.kick:
		case <-w.stop:
			w.drain(batch[:0])
			return
		}
		// Let a burst gather: one transaction for many calls, and the
		// calls that come meanwhile do not have to wake the loop. Not
		// when a batch is already waiting.
		if len(w.queue) < w.o.batchSize {
			gather.Reset(w.o.gather)
			select {
			case <-gather.C:
			case <-w.stop:
				gather.Stop()
			}
		}
		for {
			batch = w.fill(batch[:0])
			if len(batch) == 0 {
				break
			}
			w.write(batch, w.closed.Load())
		}
	}
}

// fill adds what is queued to batch, up to the batch size, without
// waiting.
func (w *writer) fill(batch []*entry) []*entry {
	for len(batch) < w.o.batchSize {
		select {
		case e := <-w.queue:
			batch = append(batch, e)
		default:
			return batch
		}
	}
	return batch
}

// drain writes what is queued and what adders still send after close.
func (w *writer) drain(batch []*entry) {
	for {
		batch = w.fill(batch[:0])
		if len(batch) > 0 {
			w.write(batch, true)
			continue
		}
		if w.adding.Load() == 0 && len(w.queue) == 0 {
			return
		}
		time.Sleep(time.Millisecond) // an adder is between its check and its send
	}
}

// write stores a batch, retrying while the database fails; once the
// writer is closing it tries a few times and counts what it lost.
func (w *writer) write(batch []*entry, closing bool) {
	defer func() {
		w.release(batch)
		for _, e := range batch {
			if e.flushed != nil {
				close(e.flushed)
			}
		}
	}()
	ctx := context.Background()
	for attempt := 1; ; attempt++ {
		rows, newCols := w.expand(batch)
		if len(rows) == 0 {
			return
		}
		var err error
		if w.st != nil {
			err = w.st.write(ctx, newCols, rows, w.stamp)
		}
		if err == nil {
			for _, c := range newCols {
				w.known[c] = true
			}
			w.rows.Add(int64(len(rows)))
			w.toSinks(rows)
			return
		}
		if w.st != nil {
			w.known = w.st.cols
		}
		w.failures.Add(1)
		if closing && attempt >= 3 {
			w.lost.Add(int64(len(rows)))
			w.o.log.Error("xetrack: rows lost: the database keeps failing while the gateway stops",
				"db", w.st.path, "rows", len(rows), "error", err)
			w.err = errors.Join(w.err, fmt.Errorf("xetrack: %d rows not stored in %s: %w", len(rows), w.st.path, err))
			return
		}
		w.o.log.Warn("xetrack: database write failed; retrying (calls wait when the queue is full)",
			"db", w.st.path, "rows", len(rows), "queued", len(w.queue), "attempt", attempt, "error", err)
		wait := w.o.retryEvery
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

// expand turns entries into rows: it gives each row a unique timestamp,
// decides the column of each argument (a new one while the table has
// room, else extra_arguments) and returns the columns to add.
func (w *writer) expand(batch []*entry) (rows []row, newCols []string) {
	var pending map[string]bool
	for _, e := range batch {
		if e.flushed != nil {
			continue // a flush marker
		}
		if w.prepare != nil {
			w.prepare(e)
		}
		base := make([]field, 0, 3+len(e.fields)+len(e.args))
		base = append(base, text("timestamp", ""), text("track_id", w.trackID))
		base = append(base, e.fields...)
		var extra []byte
		var used map[string]bool
		for _, a := range e.args {
			col := a.col
			taken := used[col]
			if !taken && !w.known[col] && !pending[col] {
				if len(w.known)+len(pending) >= w.o.maxColumns {
					taken = true
				} else {
					if pending == nil {
						pending = map[string]bool{}
					}
					pending[col] = true
					newCols = append(newCols, col)
				}
			}
			if taken {
				if extra == nil {
					extra = append(extra, '{')
				} else {
					extra = append(extra, ',')
				}
				extra = jsonrpc.AppendString(extra, a.key)
				extra = append(extra, ':')
				extra = a.json(extra)
				continue
			}
			if used == nil {
				used = make(map[string]bool, len(e.args))
			}
			used[col] = true
			base = append(base, text(col, a.val))
		}
		if extra != nil {
			base = append(base, text("extra_arguments", string(append(extra, '}'))))
		}
		for _, it := range e.items {
			r := row{at: e.at, fields: make([]field, 0, len(base)+len(it))}
			r.fields = append(append(r.fields, base...), it...)
			r.fields[0].s = w.stampAt(e.at)
			rows = append(rows, r)
		}
	}
	return rows, newCols
}

// stampAt returns the timestamp of a row of a call that ended at t: t in
// xetrack's format, made later by microseconds when needed so that every
// row of this track_id has its own.
func (w *writer) stampAt(t time.Time) string {
	t = t.Truncate(time.Microsecond)
	if !t.After(w.last) {
		t = w.last.Add(time.Microsecond)
	}
	w.last = t
	return t.Local().Format(timestampLayout)
}

// stamp returns a new timestamp after every one given.
func (w *writer) stamp() string { return w.stampAt(w.last) }

func (w *writer) toSinks(rows []row) {
	for _, s := range w.sinks {
		if err := s.write(rows); err != nil {
			if time.Since(w.sinkErr) > time.Minute {
				w.sinkErr = time.Now()
				w.o.log.Warn("xetrack: writing the rows to the logs failed", "error", err)
			}
		}
	}
}
