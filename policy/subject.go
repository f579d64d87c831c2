package policy

import "math/bits"

// selectorIndex finds the policies that one kind of selector (principals,
// roles or scopes) admits for a subject, as a bit set with one bit per
// policy.
type selectorIndex struct {
	// none holds the policies without this selector: they admit every
	// subject.
	none []uint64
	// keys are the values the policies name and sets[i] the policies that
	// name keys[i]. While there are few keys they are scanned; beyond
	// that, pos maps a value to its index.
	keys []string
	sets [][]uint64
	pos  map[string]int
}

// scanMax is the number of selector values up to which a scan beats a
// map lookup.
const scanMax = 8

func newSelectorIndex(ps []Policy, nwords int, values func(*Policy) []string) selectorIndex {
	x := selectorIndex{none: make([]uint64, nwords)}
	at := map[string]int{}
	for i := range ps {
		vals := values(&ps[i])
		if len(vals) == 0 {
			x.none[i>>6] |= 1 << (i & 63)
			continue
		}
		for _, v := range vals {
			j, ok := at[v]
			if !ok {
				j = len(x.keys)
				at[v] = j
				x.keys = append(x.keys, v)
				x.sets = append(x.sets, make([]uint64, nwords))
			}
			x.sets[j][i>>6] |= 1 << (i & 63)
		}
	}
	if len(x.keys) > scanMax {
		x.pos = at
	}
	return x
}

// lookup returns the policies that name v, or nil.
func (x *selectorIndex) lookup(v string) []uint64 {
	if x.pos != nil {
		if j, ok := x.pos[v]; ok {
			return x.sets[j]
		}
		return nil
	}
	for j, k := range x.keys {
		if k == v {
			return x.sets[j]
		}
	}
	return nil
}

// intersect intersects set with the policies this selector admits for a
// subject holding vals (any of them), using tmp as scratch.
func (x *selectorIndex) intersect(set, tmp []uint64, vals ...string) {
	if len(x.keys) == 0 {
		return // no policy has this selector
	}
	copy(tmp, x.none)
	for _, v := range vals {
		if bs := x.lookup(v); bs != nil {
			for w := range tmp {
				tmp[w] |= bs[w]
			}
		}
	}
	for w := range set {
		set[w] &= tmp[w]
	}
}

// stackWords is how many words of policy bits (64 policies a word) a
// decision keeps on the stack; configurations of more than 256 policies
// allocate two bit sets for each decision.
const stackWords = 4

// applicable returns the policies that apply to s, as a bit set in buf
// when it fits: those whose every selector matches (any of its values).
func (e *Engine) applicable(s *Subject, buf *[stackWords]uint64) []uint64 {
	var set, tmp []uint64
	if e.nwords <= stackWords {
		var tmpBuf [stackWords]uint64
		set, tmp = buf[:e.nwords], tmpBuf[:e.nwords]
	} else {
		set, tmp = make([]uint64, e.nwords), make([]uint64, e.nwords)
	}
	for w := range set {
		set[w] = ^uint64(0)
	}
	if n := len(e.policies) & 63; n != 0 {
		set[len(set)-1] = 1<<n - 1
	}
	e.principals.intersect(set, tmp, s.Principal)
	e.roles.intersect(set, tmp, s.Roles...)
	e.scopes.intersect(set, tmp, s.Scopes...)
	return set
}

// conditional returns, in order, the policies of set that have a
// condition. It is used only on the paths that evaluate conditions.
func (e *Engine) conditional(set []uint64) []int {
	var out []int
	for w, word := range set {
		for ; word != 0; word &= word - 1 {
			if i := w<<6 | bits.TrailingZeros64(word); e.policies[i].cond != nil {
				out = append(out, i)
			}
		}
	}
	return out
}
