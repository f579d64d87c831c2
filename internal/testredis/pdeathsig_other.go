//go:build !linux

package testredis

import "os/exec"

// setParentDeath does nothing where there is no parent-death signal: a
// server outlives a test process killed before its cleanups ran.
func setParentDeath(*exec.Cmd) {}
