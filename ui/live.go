package ui

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"
)

// liveBuffer is the number of entries a live reader may fall behind by
// before it misses some (it is told with an "event: missed").
const liveBuffer = 1024

// live streams the entries stored from now on as Server-Sent Events:
//
//	event: hello   data: {"version", "time"}      once, first
//	event: call    data: an audit.Record
//	event: event   data: an audit.Event
//	event: missed  data: {"missed": n}            n entries skipped in total
//	: keep-alive                                   every KeepAlive
//
// It ends when the client goes or the subscription is closed (the audit
// writer stopped).
func (h *handler) live(w http.ResponseWriter, r *http.Request) {
	if _, err := query(r); err != nil {
		badParam(w, err)
		return
	}
	rc := http.NewResponseController(w)
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		return
	}
	sub := h.src.Subscribe(liveBuffer)
	if sub == nil {
		writeError(w, http.StatusServiceUnavailable, "live view unavailable: the gateway keeps no audit trail")
		return
	}
	defer sub.Close()
	// The stream lives as long as the client wants it: no server write
	// timeout applies (an error means the server has none to lift).
	_ = rc.SetWriteDeadline(time.Time{})

	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	var buf bytes.Buffer
	send := func(event string, v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			h.o.Log.Warn("dashboard: live entry not encodable", "error", err)
			return true
		}
		buf.Reset()
		buf.WriteString("event: ")
		buf.WriteString(event)
		buf.WriteString("\ndata: ")
		buf.Write(b) // JSON has no raw newlines: one data line
		buf.WriteString("\n\n")
		return flush(w, rc, buf.Bytes())
	}
	if !send("hello", struct {
		Version string    `json:"version"`
		Time    time.Time `json:"time"`
	}{h.o.Version, time.Now().UTC()}) {
		return
	}
	h.o.Log.Debug("dashboard: live reader connected", "remote", r.RemoteAddr)
	defer h.o.Log.Debug("dashboard: live reader gone", "remote", r.RemoteAddr)

	tick := time.NewTicker(h.o.KeepAlive)
	defer tick.Stop()
	var missed int64
	checkMissed := func() bool {
		if m := sub.Missed(); m > missed {
			missed = m
			return send("missed", struct {
				Missed int64 `json:"missed"`
			}{m})
		}
		return true
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case e, ok := <-sub.C():
			if !ok {
				return
			}
			if !checkMissed() {
				return
			}
			switch {
			case e.Call != nil:
				c := *e.Call // the writer's: read only
				c.Args = nil // never sent to the page
				if !send("call", &c) {
					return
				}
			case e.Event != nil:
				if !send("event", e.Event) {
					return
				}
			}
		case <-tick.C:
			if !checkMissed() || !flush(w, rc, []byte(": keep-alive\n\n")) {
				return
			}
		}
	}
}

// flush writes b and flushes it to the client; false when the client is
// gone.
func flush(w http.ResponseWriter, rc *http.ResponseController, b []byte) bool {
	if _, err := w.Write(b); err != nil {
		return false
	}
	return rc.Flush() == nil
}
