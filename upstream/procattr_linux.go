package upstream

import "syscall"

// procAttr puts the child in its own process group (so it and its children
// can be signalled together) and has the kernel kill it if the gateway dies.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
