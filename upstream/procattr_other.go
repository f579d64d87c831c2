//go:build !linux

package upstream

import "syscall"

// procAttr puts the child in its own process group so it and its children
// can be signalled together.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
