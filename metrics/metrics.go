// Package metrics exposes the gateway's Prometheus metrics: calls by
// server, tool and outcome with latency histograms, backend health,
// sessions, guardrail findings, policy denials, rate-limit refusals and the
// audit writer's queue. Labels are bounded: a tool label holds only names
// in the gateway's catalog (anything else is "_other"), a server label
// only configured servers.
package metrics

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mcpgw/mcp-gateway/audit"
)

// Other is the label value for names outside the catalog.
const Other = "_other"

// Server is a backend's state at scrape time.
type Server struct {
	Name     string
	Up       bool
	Restarts int64
	Inflight int64
}

// CacheStats are the response cache's counters at scrape time. Misses
// include Coalesced (misses that waited for another call's answer).
type CacheStats struct {
	Hits, Misses, Coalesced, Evictions, Errors uint64
	Entries, Bytes                             int64
}

// Source is what the metrics read from the running gateway at scrape time.
// Every field is optional.
type Source struct {
	// Catalogued reports whether name is in the catalog as what method
	// works on, on server; names that are not become "_other".
	Catalogued func(method, server, name string) bool
	// Servers returns every configured backend.
	Servers func() []Server
	// Configured reports whether server is in the running configuration
	// (which a reload may extend); the servers given to New are known
	// without it.
	Configured func(server string) bool
	// Sessions returns the number of client sessions open.
	Sessions func() int
	// CatalogItems returns the number of catalogued items per kind.
	CatalogItems func() map[string]int
	// Cache returns the response cache's counters.
	Cache func() CacheStats
	// Audit is the audit writer, for its queue and counters.
	Audit interface {
		Queued() int
		Written() int64
		Failures() int64
	}
}

// Metrics holds the gateway's collectors. Its methods are safe for
// concurrent use.
type Metrics struct {
	reg       *prometheus.Registry
	src       Source
	transport string

	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	bytes    *prometheus.CounterVec
	findings *prometheus.CounterVec
	denials  *prometheus.CounterVec
	limited  *prometheus.CounterVec

	known       map[string]bool // configured servers
	children    sync.Map        // callKey → *callChildren
	byteServers sync.Map        // server label → [2]prometheus.Counter (in, out)

	findingSeries sync.Map // [3]string{plugin, rule, action} seen
	findingCount  atomic.Int64
}

type callKey struct {
	server, tool, method string
	status               audit.Status
}

type callChildren struct {
	calls    prometheus.Counter
	duration prometheus.Observer
}

// New registers the gateway's metrics. transport is "stdio" or "http"
// (the sessions gauge's label); servers are the configured server names.
func New(version, transport string, servers []string, src Source) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), src: src, transport: transport, known: map[string]bool{}}
	for _, s := range servers {
		m.known[s] = true
	}
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: CallsTotal,
		Help: "Client requests handled, by backend server, tool (prompt or resource), method and outcome."},
		[]string{"server", "tool", "method", "outcome"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: CallDuration,
		Help:    "Time from a client request's arrival to its answer, by backend server, tool and method.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}},
		[]string{"server", "tool", "method"})
	m.bytes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: MessageBytesTotal,
		Help: "Bytes of client requests (direction in) and of their answers (out), by backend server."},
		[]string{"server", "direction"})
	m.findings = prometheus.NewCounterVec(prometheus.CounterOpts{Name: GuardrailFindings,
		Help: "Guardrail findings, by plugin, rule and action taken (masked, blocked, logged, hidden, refused)."},
		[]string{"plugin", "rule", "action"})
	m.denials = prometheus.NewCounterVec(prometheus.CounterOpts{Name: PolicyDenialsTotal,
		Help: "Calls denied by authorization policy, by backend server."}, []string{"server"})
	m.limited = prometheus.NewCounterVec(prometheus.CounterOpts{Name: RateLimitedTotal,
		Help: "Calls refused by a rate limit, by backend server."}, []string{"server"})
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: BuildInfo,
		Help: "Always 1; the version label is the gateway's version."}, []string{"version"})
	build.WithLabelValues(version).Set(1)
	m.reg.MustRegister(m.calls, m.duration, m.bytes, m.findings, m.denials, m.limited, build,
		&stateCollector{m: m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format (or
// OpenMetrics when asked for).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

func (m *Metrics) serverLabel(s string) string {
	if s == "" || m.known[s] || (m.src.Configured != nil && m.src.Configured(s)) {
		return s
	}
	return Other
}

// CallDone counts a finished call (gateway.CallObserver).
func (m *Metrics) CallDone(_ context.Context, r *audit.Record) {
	server := m.serverLabel(r.Server)
	tool := r.Name
	if tool != "" && (m.src.Catalogued == nil || !m.src.Catalogued(r.Method, r.Server, tool)) {
		tool = Other
	}
	method := r.Method
	if !knownMethods[method] {
		method = Other
	}
	k := callKey{server: server, tool: tool, method: method, status: r.Status}
	v, ok := m.children.Load(k)
	if !ok {
		v, _ = m.children.LoadOrStore(k, &callChildren{
			calls:    m.calls.WithLabelValues(server, tool, method, string(r.Status)),
			duration: m.duration.WithLabelValues(server, tool, method),
		})
	}
	c := v.(*callChildren)
	c.calls.Inc()
	c.duration.Observe(r.Duration.Seconds())
	bv, ok := m.byteServers.Load(server)
	if !ok {
		bv, _ = m.byteServers.LoadOrStore(server, [2]prometheus.Counter{
			m.bytes.WithLabelValues(server, "in"), m.bytes.WithLabelValues(server, "out")})
	}
	b := bv.([2]prometheus.Counter)
	b[0].Add(float64(r.BytesIn))
	b[1].Add(float64(r.BytesOut))
	switch r.Status {
	case audit.StatusDenied:
		m.denials.WithLabelValues(server).Inc()
	case audit.StatusRateLimited:
		m.limited.WithLabelValues(server).Inc()
	}
}

// maxFindingSeries bounds the findings counter's series: rule names come
// from the plugins' rule sets, but a remote scorer (lasso) could name
// anything.
const maxFindingSeries = 512

// Finding counts a guardrail finding; count is how many times it fired in
// one message (at least 1 is counted). Past maxFindingSeries distinct
// series, new ones are counted under rule "_other".
func (m *Metrics) Finding(plugin, rule, action string, count int) {
	k := [3]string{plugin, rule, action}
	if _, ok := m.findingSeries.Load(k); !ok {
		if m.findingCount.Add(1) > maxFindingSeries {
			m.findingCount.Add(-1)
			k[1] = Other
		} else if _, loaded := m.findingSeries.LoadOrStore(k, struct{}{}); loaded {
			m.findingCount.Add(-1)
		}
	}
	m.findings.WithLabelValues(k[0], k[1], k[2]).Add(float64(max(count, 1)))
}

// knownMethods are the method label values; anything else is "_other".
var knownMethods = map[string]bool{
	"initialize": true, "tools/list": true, "tools/call": true, "prompts/list": true, "prompts/get": true,
	"resources/list": true, "resources/templates/list": true, "resources/read": true,
	"resources/subscribe": true, "resources/unsubscribe": true, "completion/complete": true,
	"logging/setLevel": true, "tasks/get": true, "tasks/result": true, "tasks/cancel": true, "tasks/list": true,
	"server/discover": true, "subscriptions/listen": true,
}

// stateCollector reads gauges from the running gateway at scrape time.
type stateCollector struct{ m *Metrics }

var (
	upDesc       = prometheus.NewDesc(BackendUp, "1 when the backend server is ready, 0 otherwise.", []string{"server"}, nil)
	restartsDesc = prometheus.NewDesc(BackendRestartsTotal, "Times the backend server was restarted or reconnected.", []string{"server"}, nil)
	inflightDesc = prometheus.NewDesc(BackendInflight, "Calls waiting for the backend server's answer.", []string{"server"}, nil)
	sessionsDesc = prometheus.NewDesc(Sessions, "Client sessions open.", []string{"transport"}, nil)
	itemsDesc    = prometheus.NewDesc(CatalogItems, "Items in the gateway's catalog, by kind.", []string{"kind"}, nil)
	queuedDesc   = prometheus.NewDesc(AuditQueued, "Audit entries waiting to be written.", nil, nil)
	writtenDesc  = prometheus.NewDesc(AuditWrittenTotal, "Audit entries written to the store.", nil, nil)
	failedDesc   = prometheus.NewDesc(AuditFailuresTotal, "Failed audit store writes (each retried).", nil, nil)
	lookupsDesc  = prometheus.NewDesc(CacheLookupsTotal, "Response cache lookups of cacheable calls, by result: hit, miss (answered by the backend) or coalesced (a miss that waited for an identical call in flight).", []string{"result"}, nil)
	evictDesc    = prometheus.NewDesc(CacheEvictionsTotal, "Entries the response cache dropped to stay within maxBytes.", nil, nil)
	cacheErrDesc = prometheus.NewDesc(CacheErrorsTotal, "Response cache store failures (the calls went to the backend).", nil, nil)
	entriesDesc  = prometheus.NewDesc(CacheEntries, "Entries in the in-memory response cache.", nil, nil)
	bytesDesc    = prometheus.NewDesc(CacheBytes, "Bytes held by the in-memory response cache.", nil, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{upDesc, restartsDesc, inflightDesc, sessionsDesc, itemsDesc, queuedDesc, writtenDesc, failedDesc,
		lookupsDesc, evictDesc, cacheErrDesc, entriesDesc, bytesDesc} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	src := c.m.src
	if src.Servers != nil {
		for _, s := range src.Servers() {
			up := 0.0
			if s.Up {
				up = 1
			}
			ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, up, s.Name)
			ch <- prometheus.MustNewConstMetric(restartsDesc, prometheus.CounterValue, float64(s.Restarts), s.Name)
			ch <- prometheus.MustNewConstMetric(inflightDesc, prometheus.GaugeValue, float64(s.Inflight), s.Name)
		}
	}
	if src.Sessions != nil {
		ch <- prometheus.MustNewConstMetric(sessionsDesc, prometheus.GaugeValue, float64(src.Sessions()), c.m.transport)
	}
	if src.CatalogItems != nil {
		for kind, n := range src.CatalogItems() {
			ch <- prometheus.MustNewConstMetric(itemsDesc, prometheus.GaugeValue, float64(n), kind)
		}
	}
	if src.Cache != nil {
		cs := src.Cache()
		ch <- prometheus.MustNewConstMetric(lookupsDesc, prometheus.CounterValue, float64(cs.Hits), "hit")
		ch <- prometheus.MustNewConstMetric(lookupsDesc, prometheus.CounterValue, float64(cs.Misses-min(cs.Coalesced, cs.Misses)), "miss")
		ch <- prometheus.MustNewConstMetric(lookupsDesc, prometheus.CounterValue, float64(cs.Coalesced), "coalesced")
		ch <- prometheus.MustNewConstMetric(evictDesc, prometheus.CounterValue, float64(cs.Evictions))
		ch <- prometheus.MustNewConstMetric(cacheErrDesc, prometheus.CounterValue, float64(cs.Errors))
		ch <- prometheus.MustNewConstMetric(entriesDesc, prometheus.GaugeValue, float64(cs.Entries))
		ch <- prometheus.MustNewConstMetric(bytesDesc, prometheus.GaugeValue, float64(cs.Bytes))
	}
	if src.Audit != nil {
		ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(src.Audit.Queued()))
		ch <- prometheus.MustNewConstMetric(writtenDesc, prometheus.CounterValue, float64(src.Audit.Written()))
		ch <- prometheus.MustNewConstMetric(failedDesc, prometheus.CounterValue, float64(src.Audit.Failures()))
	}
}
