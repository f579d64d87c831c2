package metrics

// Metric names, all prefixed mcp_gateway_. The comment after each is its
// type and labels, which deploy/validate reads; the cache's lookups are by
// result (hit, miss, coalesced), its entries and bytes those of the memory
// store, its errors store failures (Redis away). Labels are bounded: server and
// tool labels hold only configured servers and catalogued names (anything
// else is "_other").
const (
	CallsTotal           = "mcp_gateway_calls_total"                 // counter{server,tool,method,outcome}
	CallDuration         = "mcp_gateway_call_duration_seconds"       // histogram{server,tool,method}
	MessageBytesTotal    = "mcp_gateway_message_bytes_total"         // counter{server,direction}
	BackendUp            = "mcp_gateway_backend_up"                  // gauge{server}
	BackendRestartsTotal = "mcp_gateway_backend_restarts_total"      // counter{server}
	BackendInflight      = "mcp_gateway_backend_inflight_calls"      // gauge{server}
	Sessions             = "mcp_gateway_sessions"                    // gauge{transport}
	GuardrailFindings    = "mcp_gateway_guardrail_findings_total"    // counter{plugin,rule,action}
	PolicyDenialsTotal   = "mcp_gateway_policy_denials_total"        // counter{server}
	RateLimitedTotal     = "mcp_gateway_rate_limited_total"          // counter{server}
	CatalogItems         = "mcp_gateway_catalog_items"               // gauge{kind}
	AuditQueued          = "mcp_gateway_audit_queued_entries"        // gauge
	AuditWrittenTotal    = "mcp_gateway_audit_written_entries_total" // counter
	AuditFailuresTotal   = "mcp_gateway_audit_write_failures_total"  // counter
	BuildInfo            = "mcp_gateway_build_info"                  // gauge{version}
	CacheLookupsTotal    = "mcp_gateway_cache_lookups_total"         // counter{result}
	CacheEvictionsTotal  = "mcp_gateway_cache_evictions_total"       // counter
	CacheErrorsTotal     = "mcp_gateway_cache_errors_total"          // counter
	CacheEntries         = "mcp_gateway_cache_entries"               // gauge
	CacheBytes           = "mcp_gateway_cache_bytes"                 // gauge
)

// Names returns every metric name the gateway exposes (histograms by their
// base name; Prometheus adds _bucket, _sum and _count).
func Names() []string {
	return []string{CallsTotal, CallDuration, MessageBytesTotal, BackendUp, BackendRestartsTotal,
		BackendInflight, Sessions, GuardrailFindings, PolicyDenialsTotal, RateLimitedTotal,
		CatalogItems, AuditQueued, AuditWrittenTotal, AuditFailuresTotal, BuildInfo,
		CacheLookupsTotal, CacheEvictionsTotal, CacheErrorsTotal, CacheEntries, CacheBytes}
}
