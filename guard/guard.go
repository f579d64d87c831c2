// Package guard holds what the content guardrails share: the shape of a
// finding and of a detector. Detectors (guard/secrets, guard/pii,
// guard/injection) work on decoded text; the plugins under plugins/ walk
// the JSON of requests and results and hand them each string value.
package guard

// Match is one finding in a text: the bytes [Start, End) of the text that
// was scanned.
type Match struct {
	// Rule is the stable id of the rule that matched ("github-pat",
	// "US_SSN"); it names the finding in logs, metrics and audit events.
	Rule string
	// Label is what replaces the match when it is masked, without the
	// angle brackets: "GITHUB_PERSONAL_ACCESS_TOKEN", "EMAIL_ADDRESS".
	Label string
	// Start and End are byte offsets into the scanned text.
	Start, End int
	// Score is the confidence in [0, 1].
	Score float64
}

// Detector finds sensitive spans in decoded text. Find appends the
// matches in text to dst and returns it: sorted by Start, not
// overlapping. It must be safe for concurrent use and should not
// allocate when text holds nothing to find.
type Detector interface {
	Find(text []byte, dst []Match) []Match
}
