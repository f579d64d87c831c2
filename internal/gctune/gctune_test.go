package gctune

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestPercentFor(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live, headroom uint64
		want           int
	}{
		{0, 16 * mib, maxPercent},
		{1 * mib, 16 * mib, maxPercent},   // 1600% capped
		{2 * mib, 16 * mib, 800},          // exactly the cap
		{3 * mib, 16 * mib, 525},          // 533 rounded down to a multiple of 25
		{8 * mib, 16 * mib, 200},          // a heap that doubles
		{16 * mib, 16 * mib, minPercent},  // the default from here on
		{100 * mib, 16 * mib, minPercent}, // never below it
	} {
		if got := percentFor(tc.live, tc.headroom); got != tc.want {
			t.Errorf("percentFor(%d MiB, %d MiB) = %d, want %d", tc.live/mib, tc.headroom/mib, got, tc.want)
		}
	}
}

func TestGOGCInTheEnvironmentWins(t *testing.T) {
	t.Setenv("GOGC", "100")
	if tu := Start(16 << 20); tu != nil {
		tu.Stop()
		t.Fatal("Start returned a tuner although GOGC is set")
	}
}

func currentPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestTunesAfterCollections: after collections, the runtime's percentage
// is the one for the measured live heap, and Stop restores the default.
func TestTunesAfterCollections(t *testing.T) {
	tu := Start(1 << 30) // far above this test's live heap: the cap
	defer tu.Stop()
	for i := 0; i < 1000 && (tu.Percent() != maxPercent || currentPercent() != maxPercent); i++ {
		runtime.GC() // the cleanup runs after a collection, on its own goroutine
	}
	if tu.Percent() != maxPercent || currentPercent() != maxPercent {
		t.Fatalf("after collections: tuner %d, runtime %d; want %d", tu.Percent(), currentPercent(), maxPercent)
	}
	tu.Stop()
	if p := currentPercent(); p != minPercent {
		t.Errorf("after Stop the percentage is %d, want %d", p, minPercent)
	}
}
