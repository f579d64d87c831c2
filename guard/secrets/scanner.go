// Package secrets finds credentials in decoded text: provider tokens with
// fixed prefixes (GitHub, GitLab, Slack, AWS, Stripe, OpenAI, …), values
// next to a provider's name, private keys, JWTs, passwords in URLs, and
// generic password/secret/token assignments.
//
// A Scanner makes one pass over the text with an Aho–Corasick automaton
// over the rules' trigger literals (prefixes and keywords), then runs the
// rule of each hit on a bounded window around it. Text without triggers
// costs one table lookup per byte and no allocation.
package secrets

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mcpgw/mcp-gateway/guard"
)

// Options selects the rules of a Scanner.
type Options struct {
	// Rules lists the rule ids to enable; nil or empty enables all.
	Rules []string
	// Disable lists rule ids to turn off (applied after Rules).
	Disable []string
	// Allow lists exact values that are never reported, in addition to
	// the documented example credentials that never are.
	Allow []string
}

// Scanner finds secrets. It is immutable after New and safe for
// concurrent use.
type Scanner struct {
	rules    []*rule
	patterns []pattern
	ac       *automaton
	allow    map[string]struct{}
}

var _ guard.Detector = (*Scanner)(nil)

// pattern is one trigger of one enabled rule.
type pattern struct {
	text string
	fold bool
	rule int // index into Scanner.rules
}

// New builds a Scanner for the rules selected by o. Unknown rule ids, in
// Rules or Disable, are an error that names them and lists the valid ids.
func New(o Options) (*Scanner, error) {
	var unknown []string
	for _, id := range append(append([]string(nil), o.Rules...), o.Disable...) {
		if _, ok := catalogByID[id]; !ok && !slices.Contains(unknown, id) {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("secrets: unknown rule ids %s (valid: %s)",
			quoteAll(unknown), strings.Join(RuleIDs(), ", "))
	}
	enabled := map[string]bool{}
	for _, r := range catalog {
		enabled[r.id] = len(o.Rules) == 0
	}
	for _, id := range o.Rules {
		enabled[id] = true
	}
	for _, id := range o.Disable {
		enabled[id] = false
	}

	s := &Scanner{allow: make(map[string]struct{}, len(documentedExamples)+len(o.Allow))}
	for v := range documentedExamples {
		s.allow[v] = struct{}{}
	}
	for _, v := range o.Allow {
		if v != "" {
			s.allow[v] = struct{}{}
		}
	}
	var literals []string
	for _, r := range catalog {
		if !enabled[r.id] {
			continue
		}
		s.rules = append(s.rules, r)
		for _, t := range r.triggers {
			s.patterns = append(s.patterns, pattern{text: t.text, fold: t.fold, rule: len(s.rules) - 1})
			literals = append(literals, t.text)
		}
	}
	if len(literals) == 0 {
		return s, nil // every rule disabled: Find reports nothing
	}
	ac, err := buildAutomaton(literals)
	if err != nil {
		return nil, fmt.Errorf("secrets: building trigger automaton: %w", err)
	}
	s.ac = ac
	return s, nil
}

// quoteAll formats ids as a comma-separated list of quoted strings.
func quoteAll(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = fmt.Sprintf("%q", id)
	}
	return strings.Join(q, ", ")
}

// Find appends the secrets in text to dst and returns it. The matches it
// appends are sorted by Start and do not overlap (of overlapping
// candidates the higher tier wins, then the longer); each covers only the
// secret itself. Find does not allocate when text holds no secret (and
// appends within dst's capacity otherwise). It is safe for concurrent use.
func (s *Scanner) Find(text []byte, dst []guard.Match) []guard.Match {
	if s.ac == nil || len(text) == 0 {
		return dst
	}
	base := len(dst)
	if len(text) < minLaneText {
		var resume resumePositions
		dst = s.scanLane(text, 0, 0, len(text), &resume, dst)
	} else {
		dst = s.scanLanes(text, dst)
	}
	if len(dst)-base > 1 {
		dst = resolveOverlaps(dst, base)
	}
	return dst
}

// resumePositions holds, per enabled rule, the earliest position at which
// the rule may match again (see span.next).
type resumePositions [maxRules]int32

// minLaneText is the shortest text scanned in four lanes.
const minLaneText = 512

// scanLane runs the automaton from state st over text[from:to], calling
// the rules of every report.
func (s *Scanner) scanLane(text []byte, st uint16, from, to int, resume *resumePositions, dst []guard.Match) []guard.Match {
	for i := from; ; i++ {
		i, st = s.ac.run(text[:to], i, st)
		if i >= to {
			return dst
		}
		dst = s.dispatch(text, i, st, dst, resume)
	}
}

// scanLanes scans text in four lanes, one per quarter, in step, so that
// the automaton's dependent loads overlap. Each lane after the first
// starts maxAutomatonKey-1 bytes early, without reporting, to reach the
// state a single pass would have at its start, and keeps its own resume
// positions; a match found by two lanes is merged by resolveOverlaps.
func (s *Scanner) scanLanes(text []byte, dst []guard.Match) []guard.Match {
	a := s.ac
	lane := len(text) / 4
	warm := func(k int) uint16 { return a.advance(text[k*lane-(maxAutomatonKey-1):k*lane], 0) }
	s0, s1, s2, s3 := uint16(0), warm(1), warm(2), warm(3)
	var r0, r1, r2, r3 resumePositions
	for off := 0; ; off++ {
		off, s0, s1, s2, s3 = a.run4(text, lane, off, s0, s1, s2, s3)
		if off >= lane {
			break
		}
		if s0 >= a.accept {
			dst = s.dispatch(text, off, s0, dst, &r0)
		}
		if s1 >= a.accept {
			dst = s.dispatch(text, lane+off, s1, dst, &r1)
		}
		if s2 >= a.accept {
			dst = s.dispatch(text, 2*lane+off, s2, dst, &r2)
		}
		if s3 >= a.accept {
			dst = s.dispatch(text, 3*lane+off, s3, dst, &r3)
		}
	}
	// The last lane also takes the bytes the division left over.
	return s.scanLane(text, s3, 4*lane, len(text), &r3, dst)
}

// dispatch runs the rules whose triggers the automaton reports ending at
// text[last].
func (s *Scanner) dispatch(text []byte, last int, st uint16, dst []guard.Match, resume *resumePositions) []guard.Match {
	for _, key := range s.ac.reports(st) {
		p := &s.patterns[key]
		start := last + 1 - s.ac.keyLen[key]
		if start < int(resume[p.rule]) {
			continue
		}
		end := start + len(p.text)
		if end > len(text) {
			continue
		}
		if p.fold {
			if !hasPrefixFold(text, start, p.text) {
				continue
			}
		} else if !hasPrefixAt(text, start, p.text) {
			continue
		}
		r := s.rules[p.rule]
		sp := r.match(text, hit{start: start, end: end})
		resume.raise(p.rule, sp.next)
		if !sp.ok() || sp.start < 0 || sp.end > len(text) {
			continue
		}
		resume.raise(p.rule, sp.end)
		if _, allowed := s.allow[string(text[sp.start:sp.end])]; allowed {
			continue
		}
		score := sp.score
		if score == 0 {
			score = r.tier.defaultScore()
		}
		dst = append(dst, guard.Match{Rule: r.id, Label: r.label, Start: sp.start, End: sp.end, Score: score})
	}
	return dst
}

// raise moves rule r's resume position up to pos (kept within int32; past
// 2 GiB the skipping just stops).
func (rp *resumePositions) raise(r, pos int) {
	if pos > math.MaxInt32 {
		pos = math.MaxInt32
	}
	if int32(pos) > rp[r] {
		rp[r] = int32(pos)
	}
}

// resolveOverlaps sorts dst[base:] by Start and drops overlapping matches:
// a match survives only if it beats every match it overlaps.
func resolveOverlaps(dst []guard.Match, base int) []guard.Match {
	found := dst[base:]
	slices.SortFunc(found, func(a, b guard.Match) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	out := base
	for i := base; i < len(dst); i++ {
		c := dst[i]
		// The kept matches that overlap c are a suffix of dst[base:out]:
		// they are sorted by Start and disjoint, so their Ends increase.
		k := out
		for k > base && dst[k-1].End > c.Start {
			k--
		}
		wins := true
		for j := k; j < out; j++ {
			if !better(c, dst[j]) {
				wins = false
				break
			}
		}
		if wins {
			dst[k] = c
			out = k + 1
		}
	}
	return dst[:out]
}

// better reports whether match a should be kept over an overlapping b:
// higher tier, then longer, then higher score, then earlier.
func better(a, b guard.Match) bool {
	if ta, tb := tierOfScore(a.Score), tierOfScore(b.Score); ta != tb {
		return ta > tb
	}
	if la, lb := a.End-a.Start, b.End-b.Start; la != lb {
		return la > lb
	}
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.Start < b.Start
}
