package secrets

import "math"

// xLog2x[k] is k·log2(k).
var xLog2x = func() (t [256]float64) {
	for k := 1; k < len(t); k++ {
		t[k] = float64(k) * math.Log2(float64(k))
	}
	return t
}()

// maxEntropySample is how many leading bytes shannonEntropy looks at.
const maxEntropySample = 255

// shannonEntropy returns the Shannon entropy, in bits per byte, of the
// first maxEntropySample bytes of b: 0 for a run of one byte, log2(n) at
// most. It uses H = log2(n) - Σ c·log2(c) / n over the byte counts c.
func shannonEntropy(b []byte) float64 {
	if len(b) > maxEntropySample {
		b = b[:maxEntropySample]
	}
	if len(b) == 0 {
		return 0
	}
	var counts [256]uint8
	for _, c := range b {
		counts[c]++
	}
	sum := 0.0
	for _, c := range b {
		if k := counts[c]; k != 0 {
			sum += xLog2x[k]
			counts[c] = 0 // summed
		}
	}
	n := float64(len(b))
	return math.Log2(n) - sum/n
}

// minTokenEntropy is the entropy below which the random part of a
// structured token (n bytes long) is taken for a stand-in such as
// "xxxx…" or "0000…" rather than a generated value. Generated values of
// any alphabet used by the providers sit far above it.
func minTokenEntropy(n int) float64 {
	if n <= 1 {
		return 0
	}
	return math.Min(3.0, 0.7*math.Log2(float64(n)))
}

// minGenericEntropy is the entropy a value assigned to a password, secret
// or token key must reach (n bytes long) before it is reported: high
// enough to pass over words, names and repeated characters, low enough
// for a human-chosen password of eight characters.
func minGenericEntropy(n int) float64 {
	if n <= 1 {
		return 0
	}
	return math.Min(3.0, math.Log2(float64(n))-0.6)
}
