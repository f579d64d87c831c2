//go:build unix

package httpclient

import (
	"net"
	"syscall"
)

// wireSupported: idle connections can be checked before reuse.
const wireSupported = true

// stillOpen reports whether an idle connection is still open and has
// nothing unread: a peek that does not wait sees the server's close (EOF)
// or an unsolicited answer (a 408, say) without consuming anything.
func stillOpen(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := false
	var b [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
		return true
	})
	return err == nil && open
}
