//go:build !unix

package httpclient

import "net"

// wireSupported: without a way to check idle connections before reuse,
// POSTs go through net/http.
const wireSupported = false

func stillOpen(net.Conn) bool { return false }
