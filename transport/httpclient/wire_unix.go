//go:build unix

package httpclient

import (
	"net"
	"syscall"
)

// wireSupported: idle connections can be checked before reuse.
const wireSupported = true

// openCheck tells whether an idle connection is still open and has
// nothing unread: a peek that does not wait sees the server's close (EOF)
// or an unsolicited answer (a 408, say) without consuming anything. It is
// made once per connection, so that a check allocates nothing.
type openCheck struct {
	rc   syscall.RawConn
	open bool
	b    [1]byte
	peek func(fd uintptr) bool
}

func newOpenCheck(nc net.Conn) *openCheck {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	oc := &openCheck{rc: rc}
	oc.peek = func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), oc.b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		oc.open = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
		return true
	}
	return oc
}

// stillOpen reports whether the connection is still open with nothing
// unread; false for a nil check.
func (oc *openCheck) stillOpen() bool {
	if oc == nil {
		return false
	}
	oc.open = false
	return oc.rc.Read(oc.peek) == nil && oc.open
}
