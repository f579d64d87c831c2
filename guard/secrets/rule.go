package secrets

import (
	"fmt"
	"regexp"
	"sort"
)

// tier orders rules by how much a match says on its own. When matches
// overlap the higher tier wins, then the longer match.
type tier uint8

const (
	// tierGeneric: a value assigned to a password, secret or token key,
	// gated on entropy.
	tierGeneric tier = 1
	// tierContext: a provider's value shape next to the provider's name
	// or an auth scheme (Bearer, Basic), or the password of a URL.
	tierContext tier = 2
	// tierStructured: a format with a fixed prefix or a checkable
	// structure.
	tierStructured tier = 3
)

// defaultScore is the score of a match of the tier unless its rule gives
// one.
func (t tier) defaultScore() float64 {
	switch t {
	case tierStructured:
		return 1.0
	case tierContext:
		return 0.85
	default:
		return 0.6
	}
}

// tierOfScore recovers the tier from a match's score: structured matches
// score at least 0.95, context matches at least 0.78, generic ones less.
func tierOfScore(s float64) tier {
	switch {
	case s >= 0.95:
		return tierStructured
	case s >= 0.78:
		return tierContext
	default:
		return tierGeneric
	}
}

// hit is where a trigger literal was found: text[start:end].
type hit struct{ start, end int }

// span is what a rule reports for a hit. end > start means a match of
// text[start:end]. next, when positive, is the earliest position at which
// the same rule can match again: hits before it are skipped, which keeps
// pathological inputs (long runs of token characters) linear.
type span struct {
	start, end int
	score      float64 // 0: the tier's default
	next       int
}

// ok reports whether s is a match.
func (s span) ok() bool { return s.end > s.start }

// matcher validates a hit of one of a rule's triggers and returns the
// secret it belongs to, if any. It must not retain text.
type matcher func(text []byte, h hit) span

// trigger is a literal whose presence makes a rule look at the text.
type trigger struct {
	text string
	fold bool // match ignoring ASCII case; text is lower case
}

// rule is one kind of secret.
type rule struct {
	id          string
	label       string
	description string
	tier        tier
	triggers    []trigger
	match       matcher
}

// RuleInfo describes a rule for documentation and configuration UIs.
type RuleInfo struct {
	// ID is the stable lower-kebab id used in Options and in Match.Rule.
	ID string
	// Label is the mask name, UPPER_SNAKE, without brackets.
	Label string
	// Description says what the rule matches and how it is validated.
	Description string
}

// maxRules bounds the number of rules (the scanner keeps per-rule state in
// a fixed array on the stack).
const maxRules = 192

var (
	ruleIDPattern    = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	ruleLabelPattern = regexp.MustCompile(`^[A-Z0-9]+(?:_[A-Z0-9]+)*$`)
)

// catalog is every rule, in a fixed order.
var catalog = mustCatalog(
	githubRules(), gitlabRules(), slackRules(), cloudRules(), aiRules(),
	paymentRules(), messagingRules(), devToolRules(), keyRules(),
	connectionRules(), genericRules(),
)

// catalogByID indexes catalog.
var catalogByID = func() map[string]*rule {
	m := make(map[string]*rule, len(catalog))
	for _, r := range catalog {
		m[r.id] = r
	}
	return m
}()

// mustCatalog joins rule groups and checks their invariants; a violation
// is a programming error.
func mustCatalog(groups ...[]*rule) []*rule {
	var all []*rule
	seen := map[string]bool{}
	for _, g := range groups {
		for _, r := range g {
			if err := r.validate(); err != nil {
				panic(err)
			}
			if seen[r.id] {
				panic(fmt.Sprintf("secrets: duplicate rule id %q", r.id))
			}
			seen[r.id] = true
			all = append(all, r)
		}
	}
	if len(all) > maxRules {
		panic(fmt.Sprintf("secrets: %d rules, more than maxRules (%d)", len(all), maxRules))
	}
	return all
}

// validate checks a rule's definition.
func (r *rule) validate() error {
	switch {
	case !ruleIDPattern.MatchString(r.id):
		return fmt.Errorf("secrets: rule id %q is not lower-kebab", r.id)
	case !ruleLabelPattern.MatchString(r.label):
		return fmt.Errorf("secrets: rule %s: label %q is not UPPER_SNAKE", r.id, r.label)
	case r.description == "":
		return fmt.Errorf("secrets: rule %s: no description", r.id)
	case len(r.triggers) == 0:
		return fmt.Errorf("secrets: rule %s: no triggers", r.id)
	case r.match == nil:
		return fmt.Errorf("secrets: rule %s: no matcher", r.id)
	case r.tier < tierGeneric || r.tier > tierStructured:
		return fmt.Errorf("secrets: rule %s: bad tier", r.id)
	}
	for _, t := range r.triggers {
		if len(t.text) < 2 {
			return fmt.Errorf("secrets: rule %s: trigger %q shorter than 2 bytes", r.id, t.text)
		}
		if t.fold {
			for i := 0; i < len(t.text); i++ {
				if c := t.text[i]; c >= 'A' && c <= 'Z' {
					return fmt.Errorf("secrets: rule %s: folded trigger %q not lower case", r.id, t.text)
				}
			}
		}
	}
	return nil
}

// RuleIDs returns the id of every rule, sorted.
func RuleIDs() []string {
	ids := make([]string, len(catalog))
	for i, r := range catalog {
		ids[i] = r.id
	}
	sort.Strings(ids)
	return ids
}

// Rules describes every rule, sorted by id.
func Rules() []RuleInfo {
	out := make([]RuleInfo, len(catalog))
	for i, r := range catalog {
		out[i] = RuleInfo{ID: r.id, Label: r.label, Description: r.description}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
