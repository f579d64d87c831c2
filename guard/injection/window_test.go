package injection

import (
	"math/rand/v2"
	"testing"
)

// recountWindowScore is windowScore recounting every window, the
// reference for slidingWindowScore.
func recountWindowScore(fs []finding) float64 {
	best := 0.0
	for i := range fs {
		var max, second [numRules]float64
		for j := i; j < len(fs) && fs[j].start < fs[i].start+scoreWindow; j++ {
			r, w := fs[j].rule, fs[j].score
			switch {
			case w > max[r]:
				second[r], max[r] = max[r], w
			case w > second[r]:
				second[r] = w
			}
		}
		if s := combine(&max, &second); s > best {
			best = s
		}
	}
	return best
}

func TestSlidingWindowScore(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	weights := []float64{0.05, 0.1, 0.2, 0.2 * mentionDamp, 0.3, 0.45, 0.45 * weakDamp, 0.5, 0.6, 0.75, 0.8, 0.9}
	for k := 0; k < 2000; k++ {
		n := r.IntN(400)
		rulesUsed := 1 + r.IntN(int(numRules))
		gap := 1 + r.IntN(200)
		fs := make([]finding, n)
		pos := 0
		for i := range fs {
			pos += r.IntN(gap)
			fs[i] = finding{rule: ruleID(r.IntN(rulesUsed)), start: pos, end: pos + 5, score: weights[r.IntN(len(weights))]}
		}
		if got, want := slidingWindowScore(fs), recountWindowScore(fs); got != want {
			t.Fatalf("case %d (%d findings): sliding %v, recount %v", k, n, got, want)
		}
		if got, want := windowScore(fs), recountWindowScore(fs); got != want {
			t.Fatalf("case %d (%d findings): windowScore %v, recount %v", k, n, got, want)
		}
	}
}
