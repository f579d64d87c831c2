//go:build !unix

package httpclient

import "net"

// wireSupported: without a way to check idle connections before reuse,
// POSTs go through net/http.
const wireSupported = false

type openCheck struct{}

func newOpenCheck(net.Conn) *openCheck { return nil }

func (*openCheck) stillOpen() bool { return false }
