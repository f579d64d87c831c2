//go:build race

package respcache

// raceEnabled: sync.Pool drops items at random under -race, so allocation
// counts are not checked there.
const raceEnabled = true
