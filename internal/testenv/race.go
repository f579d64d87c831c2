//go:build race

package testenv

// raceEnabled reports whether this test binary was built with -race;
// BuildBinary then builds its binaries with -race too.
const raceEnabled = true
