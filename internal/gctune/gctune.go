// Package gctune sets the garbage collector's pace for a process whose live
// heap is small and whose allocation is steady, as a proxy's is.
//
// With the default GOGC of 100 the heap may grow by its live size before
// the next collection: a gateway with 2 MiB live collects every 2 MiB
// allocated, which at thousands of calls a second is a collection every
// few hundred calls, each taking a core's share for its mark phase. The
// tuner lets the heap grow by at least a fixed headroom instead: after
// every collection it sets the GC percentage to headroom / live (never
// below 100, never above a cap), so that a small heap is collected a few
// times less often and a large one exactly as by default. A GOGC in the
// environment is the operator's choice and turns the tuner off; a
// GOMEMLIMIT still bounds the heap whatever the percentage.
package gctune

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Bounds of the percentage the tuner sets.
const (
	minPercent = 100
	maxPercent = 800
)

// Tuner adjusts the GC percentage after each collection.
type Tuner struct {
	headroom uint64
	percent  atomic.Int64
	stopped  atomic.Bool
	sample   []metrics.Sample
}

// Start starts a tuner that lets the heap grow by headroom bytes at least
// between collections, unless GOGC is set in the environment (then it
// returns nil). Stop undoes it.
func Start(headroom uint64) *Tuner {
	if _, set := os.LookupEnv("GOGC"); set {
		return nil
	}
	t := &Tuner{headroom: headroom, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.percent.Store(minPercent)
	t.tune()
	t.arm()
	return t
}

// Percent returns the GC percentage the tuner set last.
func (t *Tuner) Percent() int {
	if t == nil {
		return 0
	}
	return int(t.percent.Load())
}

// Stop stops the tuner and restores the default percentage.
func (t *Tuner) Stop() {
	if t == nil || t.stopped.Swap(true) {
		return
	}
	debug.SetGCPercent(minPercent)
}

// arm has tune called after the next collection: a cleanup runs once the
// collector has found its sentinel unreachable, and arms the next one.
func (t *Tuner) arm() {
	sentinel := new([16]byte)
	runtime.AddCleanup(sentinel, func(t *Tuner) {
		if t.stopped.Load() {
			return
		}
		t.tune()
		t.arm()
	}, t)
}

// tune sets the percentage for the live heap measured by the last
// collection.
func (t *Tuner) tune() {
	metrics.Read(t.sample)
	live := uint64(0)
	if t.sample[0].Value.Kind() == metrics.KindUint64 {
		live = t.sample[0].Value.Uint64()
	}
	p := percentFor(live, t.headroom)
	if old := t.percent.Load(); old != int64(p) && !t.stopped.Load() {
		t.percent.Store(int64(p))
		debug.SetGCPercent(p)
	}
}

// percentFor is the percentage that lets a heap of live bytes grow by
// headroom, within [minPercent, maxPercent], rounded down to a multiple of
// 25 so that small changes of the live heap do not reset it every time.
func percentFor(live, headroom uint64) int {
	if live == 0 {
		return maxPercent
	}
	p := headroom * 100 / live
	p -= p % 25
	return int(min(max(p, minPercent), maxPercent))
}
