package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mcpgw/mcp-gateway/audit"
)

// MaxLimit is the largest limit the calls and events routes accept.
const MaxLimit = 1000

// maxQueryLen bounds the catalog search text.
const maxQueryLen = 256

// apiError is the body of every API error answer.
type apiError struct {
	Error string `json:"error"`
	// Param and Expected name the bad query parameter and its accepted
	// form (400 answers only).
	Param    string `json:"param,omitempty"`
	Expected string `json:"expected,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only plain data is encoded here
		status, b = http.StatusInternalServerError, []byte(`{"error":"could not encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}

// paramError is a bad query parameter.
type paramError struct {
	param, expected, msg string
}

func (e *paramError) Error() string { return e.msg }

func badParam(w http.ResponseWriter, err error) {
	var pe *paramError
	if errors.As(err, &pe) {
		writeJSON(w, http.StatusBadRequest, apiError{Error: pe.msg, Param: pe.param, Expected: pe.expected})
		return
	}
	writeError(w, http.StatusBadRequest, err.Error())
}

// query reads the query parameters of r: each at most once, none but
// allowed.
func query(r *http.Request, allowed ...string) (map[string]string, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &paramError{msg: "bad query string: " + err.Error(), expected: "URL-encoded name=value pairs"}
	}
	out := make(map[string]string, len(v))
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			exp := "none"
			if len(allowed) > 0 {
				exp = "one of " + strings.Join(allowed, ", ")
			}
			return nil, &paramError{param: k, expected: exp, msg: fmt.Sprintf("unknown parameter %q", k)}
		}
		if len(v[k]) > 1 {
			return nil, &paramError{param: k, expected: "a single value",
				msg: fmt.Sprintf("parameter %s is given %d times", k, len(v[k]))}
		}
		out[k] = v[k][0]
	}
	return out, nil
}

var statusNames = func() string {
	s := make([]string, len(audit.Statuses))
	for i, st := range audit.Statuses {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}()

// filter builds an audit.Filter from the parameters of q; calls selects
// the calls route's parameters.
func filter(q map[string]string, calls bool, now time.Time) (audit.Filter, error) {
	f := audit.Filter{Server: q["server"], Name: q["name"], Principal: q["principal"]}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		s, ok := q[t.name]
		if !ok {
			continue
		}
		v, err := parseTime(s, now)
		if err != nil {
			return f, &paramError{param: t.name, expected: `an RFC 3339 time ("2025-06-01T12:00:00Z") or a duration ago ("15m", "24h")`,
				msg: fmt.Sprintf("bad %s %q: %v", t.name, s, err)}
		}
		*t.dst = v
	}
	if s, ok := q["limit"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return f, &paramError{param: "limit", expected: fmt.Sprintf("an integer from 1 to %d", MaxLimit),
				msg: fmt.Sprintf("bad limit %q", s)}
		}
		f.Limit = n
	}
	if s, ok := q["after"]; ok {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return f, &paramError{param: "after", expected: "a store id (an integer >= 0)", msg: fmt.Sprintf("bad after %q", s)}
		}
		f.AfterID = n
	}
	if calls {
		f.Method = q["method"]
		if s, ok := q["status"]; ok {
			if !slices.Contains(audit.Statuses, audit.Status(s)) {
				return f, &paramError{param: "status", expected: "one of " + statusNames, msg: fmt.Sprintf("bad status %q", s)}
			}
			f.Status = audit.Status(s)
		}
	} else if s, ok := q["kind"]; ok {
		if s != audit.KindSecurity && s != audit.KindBackend {
			return f, &paramError{param: "kind", expected: audit.KindSecurity + " or " + audit.KindBackend, msg: fmt.Sprintf("bad kind %q", s)}
		}
		f.Kind = s
	}
	return f, nil
}

// parseTime reads an RFC 3339 time or a positive duration before now.
func parseTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, errors.New("neither an RFC 3339 time nor a positive duration")
	}
	return now.Add(-d), nil
}

func (h *handler) servers(w http.ResponseWriter, r *http.Request) {
	if _, err := query(r); err != nil {
		badParam(w, err)
		return
	}
	s := h.src.Servers()
	if s == nil {
		s = []Server{}
	}
	writeJSON(w, http.StatusOK, struct {
		Version string   `json:"version"`
		Servers []Server `json:"servers"`
	}{h.o.Version, s})
}

var catalogKinds = []string{KindTool, KindPrompt, KindResource, KindTemplate}

func (h *handler) catalog(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "q", "kind")
	if err != nil {
		badParam(w, err)
		return
	}
	text := q["q"]
	if len(text) > maxQueryLen {
		badParam(w, &paramError{param: "q", expected: fmt.Sprintf("at most %d bytes", maxQueryLen), msg: fmt.Sprintf("parameter q is too long (%d bytes)", len(text))})
		return
	}
	kind, ok := q["kind"]
	if ok && !slices.Contains(catalogKinds, kind) {
		badParam(w, &paramError{param: "kind", expected: "one of " + strings.Join(catalogKinds, ", "), msg: fmt.Sprintf("bad kind %q", kind)})
		return
	}
	all := h.src.Catalog()
	items := []CatalogItem{}
	words := strings.Fields(strings.ToLower(text))
	for _, it := range all {
		if (kind == "" || it.Kind == kind) && matches(it, words) {
			items = append(items, it)
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Q     string        `json:"q"`
		Total int           `json:"total"`
		Items []CatalogItem `json:"items"`
	}{text, len(all), items})
}

// matches reports whether every word occurs in the item's name, title,
// description or server (words are lower case).
func matches(it CatalogItem, words []string) bool {
	if len(words) == 0 {
		return true
	}
	hay := strings.ToLower(it.Name + "\x00" + it.Title + "\x00" + it.Description + "\x00" + it.Server)
	for _, w := range words {
		if !strings.Contains(hay, w) {
			return false
		}
	}
	return true
}

func (h *handler) calls(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "server", "name", "principal", "method", "status", "since", "until", "after", "limit")
	if err != nil {
		badParam(w, err)
		return
	}
	f, err := filter(q, true, time.Now())
	if err != nil {
		badParam(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.o.QueryTimeout)
	defer cancel()
	recs, err := h.src.Calls(ctx, f)
	if err != nil {
		h.sourceError(w, r, "calls", err)
		return
	}
	out := make([]audit.Record, len(recs))
	for i := range recs {
		out[i] = recs[i]
		out[i].Args = nil // never sent to the page
	}
	writeJSON(w, http.StatusOK, struct {
		Calls []audit.Record `json:"calls"`
	}{out})
}

func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	q, err := query(r, "kind", "server", "name", "principal", "since", "until", "after", "limit")
	if err != nil {
		badParam(w, err)
		return
	}
	f, err := filter(q, false, time.Now())
	if err != nil {
		badParam(w, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.o.QueryTimeout)
	defer cancel()
	evs, err := h.src.Events(ctx, f)
	if err != nil {
		h.sourceError(w, r, "events", err)
		return
	}
	if evs == nil {
		evs = []audit.Event{}
	}
	writeJSON(w, http.StatusOK, struct {
		Events []audit.Event `json:"events"`
	}{evs})
}

// sourceError answers a failed audit query: 503 when there is no audit
// trail, else 500 without the details (they go to the log).
func (h *handler) sourceError(w http.ResponseWriter, r *http.Request, what string, err error) {
	switch {
	case errors.Is(err, ErrUnavailable):
		writeError(w, http.StatusServiceUnavailable, ErrUnavailable.Error())
	case r.Context().Err() != nil:
		// the client went: nobody reads the answer
	default:
		h.o.Log.Warn("dashboard: audit query failed", "what", what, "error", err)
		writeError(w, http.StatusInternalServerError, "the audit trail could not be read (see the gateway log)")
	}
}
