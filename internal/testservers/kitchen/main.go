// Command kitchen is an MCP test server built on the official Go SDK that
// exercises the whole protocol: tools with structured output, progress and
// cancellation, sampling, form and URL elicitation, roots, logging,
// list_changed, resource subscriptions, completion, pagination, and faults
// (crash, hang, huge results, stderr floods). Its -name appears in results
// and resource URIs so that tests can tell instances apart.
//
// It serves MCP over stdio, or over HTTP with -http (streamable HTTP at
// /mcp) or -sse (the legacy SSE transport at /sse). Over HTTP the first line
// on stdout is "listening <URL>", e.g. "listening http://127.0.0.1:41234/mcp".
// Diagnostics go to stderr only.
//
// Flags:
//
//	-name NAME       server name, in results and URIs (default "kitchen")
//	-tools N         also register N generated tools gen_000 ... gen_<N-1>
//	-page-size N     items per page of list results (default: the SDK's)
//	-http ADDR       serve streamable HTTP at http://ADDR/mcp (ADDR may be 127.0.0.1:0)
//	-sse ADDR        serve the legacy SSE transport at http://ADDR/sse
//
// Tools:
//
//	echo {message}             "<name>: <message>", structuredContent {server, message}
//	add {a, b}                 the sum
//	slow {steps, delayMs}      notifications/progress per step; stops when cancelled; "done <steps>"
//	sample {prompt}            sampling/createMessage; "<name> sampled: <text>"
//	elicit {question}          form elicitation of {answer}; "<name> elicited: <action> <answer>"
//	elicit_url {url}           URL elicitation, then notifications/elicitation/complete
//	                           when accepted; "<name> elicited url: <action> <elicitationId>"
//	roots                      roots/list; the root URIs, one per line
//	log {level, message}       notifications/message at that level (subject to logging/setLevel); "logged"
//	add_tool {name}            adds a tool at run time (tools/list_changed)
//	remove_tool {name}         removes a tool at run time (tools/list_changed)
//	touch {uri}                notifications/resources/updated to the URI's subscribers
//	crash                      writes a line to stderr and exits with status 3 before answering
//	hang                       never answers, even when cancelled
//	big {bytes}                one text content of exactly that many ASCII bytes
//	stderr_flood {lines}       writes that many 200-byte lines to stderr; "flooded"
//	whoami                     client name and version, protocol version, $KITCHEN_ENV, working directory
//	gen_NNN {message}          with -tools: "<name>: gen_NNN <message>"
//
// Prompts: greet {name} ("Hello <name> from <server>"; completion of name
// from alice, bob, carol). Resources: test://<name>/static/1 ... /5, the
// template test://<name>/item/{id} ("item <id> from <name>"; completion of id
// from 1 ... 20), all subscribable.
//
// Sampling, elicitation and roots are written as multi round-trip input
// requests: for sessions before protocol 2026-07-28 the SDK sends them to the
// client as ordinary server-to-client requests, for later ones it returns
// them as an input-required result.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

func main() {
	name := flag.String("name", "kitchen", "server name, used in results and resource URIs")
	nTools := flag.Int("tools", 0, "also register this many generated tools gen_000, gen_001, ...")
	pageSize := flag.Int("page-size", 0, "paginate list results by this many items (0: the SDK default)")
	httpAddr := flag.String("http", "", "serve streamable HTTP at http://ADDR/mcp instead of stdio")
	sseAddr := flag.String("sse", "", "serve the legacy SSE transport at http://ADDR/sse instead of stdio")
	flag.Parse()
	log.SetOutput(os.Stderr)
	log.SetPrefix("kitchen " + *name + ": ")
	log.SetFlags(0)
	if *nTools < 0 || *pageSize < 0 {
		log.Fatal("-tools and -page-size must not be negative")
	}
	if *httpAddr != "" && *sseAddr != "" {
		log.Fatal("-http and -sse are exclusive")
	}
	if flag.NArg() > 0 {
		log.Fatalf("unexpected arguments %q", flag.Args())
	}

	s := newServer(config{name: *name, tools: *nTools, pageSize: *pageSize})
	var err error
	switch {
	case *httpAddr != "":
		h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
		err = serveHTTP(*httpAddr, "/mcp", h)
	case *sseAddr != "":
		h := mcp.NewSSEHandler(func(*http.Request) *mcp.Server { return s }, nil)
		err = serveHTTP(*sseAddr, "/sse", h)
	default:
		err = s.Run(context.Background(), &mcp.StdioTransport{})
	}
	if err != nil {
		log.Fatal(err)
	}
}

// serveHTTP serves h at path on addr until SIGINT or SIGTERM, after printing
// "listening <URL>" on stdout.
func serveHTTP(addr, path string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1" // listening everywhere: name an address a client can use
	}
	mux := http.NewServeMux()
	mux.Handle(path, h)
	srv := &http.Server{Handler: mux}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Printf("listening http://%s%s\n", net.JoinHostPort(host, port), path)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		log.Print("shutting down")
		if err := srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
