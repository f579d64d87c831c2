package httpfront

import "net/http"

// The legacy HTTP+SSE transport (protocol 2024-11-05): GET /sse opens the
// session and its one event stream, whose first event names the endpoint
// to POST messages to (/message?sessionId=...); every message to the
// client, answers included, travels on that stream. The session ends with
// the stream.

func (h *Handler) serveLegacyStream(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		httpError(w, http.StatusMethodNotAllowed, "the legacy SSE endpoint takes GET; post messages to the endpoint its first event names")
		return
	}
	if !accepts(r, "text/event-stream") {
		httpError(w, http.StatusNotAcceptable, "GET /sse opens an event stream: Accept must allow text/event-stream")
		return
	}
	id, ok := h.principal(w, r)
	if !ok {
		return
	}
	s, ok := h.newSession(w, nil, id, true)
	if !ok {
		return
	}
	defer h.closeSession(s)
	s.active.Add(1)
	defer s.active.Add(-1)
	kick, ok := s.own.attach(false, 0)
	if !ok {
		return
	}
	// The legacy transport's first event tells where to post.
	h.writeStream(w, r, s.own, streamOut{sse: true, json: accepts(r, "application/json"), kick: kick, preface: "event: endpoint\ndata: message?sessionId=" + s.id + "\n\n"})
}

func (h *Handler) serveLegacyMessage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		httpError(w, http.StatusMethodNotAllowed, "post JSON-RPC messages here")
		return
	}
	id, ok := h.principal(w, r)
	if !ok {
		return
	}
	sid := r.URL.Query().Get("sessionId")
	v, found := h.sessions.Load(sid)
	if sid == "" || !found || !v.(*session).legacy || v.(*session).principal != id.Principal {
		httpError(w, http.StatusNotFound, "unknown or closed session; open GET /sse again")
		return
	}
	s := v.(*session)
	m, ok := h.readMessage(w, r)
	if !ok {
		return
	}
	s.touch()
	s.front.Authenticated(id)
	s.front.ReceiveParsed(m)
	w.WriteHeader(http.StatusAccepted)
}
