package plugin

// Order is the one fixed order of the plugin chain, outermost first. A
// call enters at the top and its result leaves at the top; a plugin sees
// the request after every plugin above it and the result before them.
// Users enable plugins; they cannot reorder them. Every known plugin name
// has exactly one entry here, with the reason for its place.
var Order = []Entry{
	// Audit and tracking sit outermost so that they record every outcome,
	// including calls refused by authentication, limits or policy, and
	// see the result exactly as the client receives it.
	{Name: "xetrack", Why: "records every call and its final outcome"},
	// Who is calling must be known before anything is decided about it.
	{Name: "authn", Why: "establishes the principal for everything below"},
	// Limits before policy, so a flood of denied calls still costs tokens.
	{Name: "ratelimit", Why: "refuses calls over a principal's budget early"},
	{Name: "authz", Why: "denies calls and filters lists by policy"},
	// Definition checks run before content guardrails: a poisoned or
	// changed tool is refused without spending time on its arguments.
	{Name: "pinning", Why: "refuses calls to tools whose definition changed"},
	{Name: "injection", Why: "hides poisoned definitions; blocks injected results"},
	// Content guardrails: they mask arguments on the way in and results on
	// the way out, so they sit outside the cache: a cache hit is masked
	// like a fresh result, and a call whose arguments they masked is not
	// cached (masked arguments no longer say what the client asked).
	{Name: "basic", Why: "masks secrets in arguments and results"},
	{Name: "presidio", Why: "masks personal data in arguments and results"},
	{Name: "lasso", Why: "scores content with the remote Lasso service"},
	// The cache is innermost: a hit answers without reaching the backend.
	{Name: "cache", Why: "answers repeated reads without the backend"},
}

// Entry is one place in Order.
type Entry struct {
	Name string
	Why  string
}

// Position returns the index of name in Order, or -1.
func Position(name string) int {
	for i, e := range Order {
		if e.Name == name {
			return i
		}
	}
	return -1
}
