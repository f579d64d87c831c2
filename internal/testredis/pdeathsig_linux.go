package testredis

import (
	"os/exec"
	"syscall"
)

// setParentDeath has the kernel kill the server when the test process
// dies without running its cleanups (a panic, a test timeout, SIGKILL).
func setParentDeath(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
