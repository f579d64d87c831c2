// Command tcprelay forwards every TCP connection it accepts to one backend
// address, byte for byte, with io.Copy in both directions (splice(2) on
// Linux): no parsing, no buffering of its own. The bench harness puts it
// where the gateway would be to measure the floor of any proxy on the
// machine, the cost of relaying the bytes of a call through one more
// process over loopback TCP.
//
//	tcprelay -listen 127.0.0.1:0 -to 127.0.0.1:8080
//
// prints "listening on ADDR" once it accepts connections.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	to := flag.String("to", "", "backend host:port")
	plain := flag.Bool("plain", false, "copy with read and write into a buffer instead of io.Copy (which splices on Linux)")
	flag.Parse()
	if *plain {
		copyFn = plainCopy
	}
	if *to == "" {
		log.Fatal("tcprelay: -to is required")
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go relay(c, *to)
	}
}

func relay(c net.Conn, to string) {
	defer c.Close()
	b, err := net.Dial("tcp", to)
	if err != nil {
		log.Print(err)
		return
	}
	defer b.Close()
	done := make(chan struct{})
	go func() {
		copyFn(c, b)
		c.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	copyFn(b, c)
	b.(*net.TCPConn).CloseWrite()
	<-done
}

// copyFn relays one direction of a connection.
var copyFn = func(dst, src net.Conn) { io.Copy(dst, src) }

// plainCopy relays with read and write system calls only.
func plainCopy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
