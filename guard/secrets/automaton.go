package secrets

import (
	"fmt"
	"strings"
)

// maxAutomatonKey is how many leading bytes of a trigger literal the
// automaton matches; the dispatcher confirms the rest. Keeping keys short
// keeps the transition table small enough to stay in cache.
const maxAutomatonKey = 8

// automaton is an Aho–Corasick DFA over the leading bytes of the trigger
// literals of the enabled rules. It folds ASCII case and treats all digits
// as one symbol, so a report is a candidate only: the dispatcher compares
// the whole literal (with its case) before calling the rule.
//
// States are premultiplied by the stride (1<<shift), so a step is a
// single load: next = trans[state|class[b]]. States that report keys are
// numbered last, so "does this state report" is one comparison. The table
// has a fixed 64 Ki entries so that its uint16 index needs no bounds
// check.
type automaton struct {
	class   [256]uint8
	shift   uint
	trans   *[1 << 16]uint16 // indexed by a uint16, so without bounds checks
	accept  uint16           // premultiplied states >= accept report keys
	outputs [][]int32        // outputs[(state-accept)>>shift]: keys ending here
	keyLen  []int            // keyLen[key]: bytes of the key (its literal's prefix)
}

// Byte classes of the automaton: 0 for bytes no key uses, one per ASCII
// letter (either case), one for all digits, one each for '_', '-' and
// ':', and one shared by the other punctuation keys use. 32 classes keep
// a state's row of transitions in one cache line.
const (
	classOther  = 0
	classLetter = 1 // + letter - 'a'
	classDigit  = classLetter + 26
	classUnder  = classDigit + 1
	classDash   = classUnder + 1
	classColon  = classDash + 1
	classPunct  = classColon + 1
	numClasses  = classPunct + 1
)

// The stride of the transition table is 32.
var _ [32 - numClasses]struct{}

// keyClass is the class of a byte that occurs in a key.
func keyClass(b byte) uint8 {
	switch {
	case b >= 'a' && b <= 'z':
		return classLetter + b - 'a'
	case b >= 'A' && b <= 'Z':
		return classLetter + b - 'A'
	case b >= '0' && b <= '9':
		return classDigit
	case b == '_':
		return classUnder
	case b == '-':
		return classDash
	case b == ':':
		return classColon
	}
	return classPunct
}

// keyOf returns the part of a literal the automaton matches: at most
// maxAutomatonKey bytes, and not past a space (spaces are too common to
// carry a class of their own).
func keyOf(l string) string {
	if len(l) > maxAutomatonKey {
		l = l[:maxAutomatonKey]
	}
	if i := strings.IndexByte(l, ' '); i >= 2 {
		l = l[:i]
	}
	return l
}

// buildAutomaton compiles the given literals; key i of the automaton is
// the key of literal i.
func buildAutomaton(literals []string) (*automaton, error) {
	a := &automaton{keyLen: make([]int, len(literals))}
	keys := make([]string, len(literals))
	var usedByte [256]bool
	var usedClass [numClasses]bool
	for i, l := range literals {
		if len(l) < 2 {
			return nil, fmt.Errorf("trigger literal %q: shorter than 2 bytes", l)
		}
		keys[i] = keyOf(l)
		a.keyLen[i] = len(keys[i])
		for j := 0; j < len(keys[i]); j++ {
			c := keys[i][j]
			if c == ' ' {
				return nil, fmt.Errorf("trigger literal %q: space in its first two bytes", l)
			}
			usedByte[c] = true
			usedClass[keyClass(c)] = true
		}
	}
	// A letter, digit, '_', '-' or ':' gets its class when a key uses the
	// class (a letter in either case, any digit); other punctuation gets
	// the shared class when a key uses that very byte. The rest keep class
	// 0, which sends the automaton back to its root.
	for b := 0; b < 256; b++ {
		c := byte(b)
		if k := keyClass(c); k != classPunct && usedClass[k] || k == classPunct && usedByte[c] {
			a.class[b] = k
		}
	}
	a.shift = 5 // 1<<5 == numClasses
	stride := 1 << a.shift

	// Trie of keys.
	type node struct {
		next []int32
		fail int32
		out  []int32
	}
	newNode := func() node {
		n := node{next: make([]int32, stride)}
		for i := range n.next {
			n.next[i] = -1
		}
		return n
	}
	nodes := []node{newNode()}
	for id, k := range keys {
		cur := int32(0)
		for j := 0; j < len(k); j++ {
			c := keyClass(k[j])
			if nodes[cur].next[c] < 0 {
				nodes = append(nodes, newNode())
				nodes[cur].next[c] = int32(len(nodes) - 1)
			}
			cur = nodes[cur].next[c]
		}
		nodes[cur].out = append(nodes[cur].out, int32(id))
	}

	// Failure links and full transitions, breadth first.
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < stride; c++ {
		if child := nodes[0].next[c]; child < 0 {
			nodes[0].next[c] = 0
		} else {
			nodes[child].fail = 0
			queue = append(queue, child)
		}
	}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for c := 0; c < stride; c++ {
			v := nodes[u].next[c]
			if v < 0 {
				nodes[u].next[c] = nodes[nodes[u].fail].next[c]
				continue
			}
			f := nodes[nodes[u].fail].next[c]
			nodes[v].fail = f
			nodes[v].out = append(nodes[v].out, nodes[f].out...)
			queue = append(queue, v)
		}
	}

	// Number reporting states last.
	if (len(nodes) << a.shift) > 1<<16 {
		return nil, fmt.Errorf("automaton too large: %d states of %d classes", len(nodes), stride)
	}
	order := make([]int32, len(nodes))
	var rank int32
	for i := range nodes {
		if len(nodes[i].out) == 0 {
			order[i] = rank
			rank++
		}
	}
	firstAccept := rank
	for i := range nodes {
		if len(nodes[i].out) != 0 {
			order[i] = rank
			rank++
		}
	}
	a.accept = uint16(firstAccept << a.shift)
	a.trans = new([1 << 16]uint16)
	a.outputs = make([][]int32, len(nodes)-int(firstAccept))
	for i := range nodes {
		base := int(order[i]) << a.shift
		for c := 0; c < stride; c++ {
			a.trans[base+c] = uint16(order[nodes[i].next[c]] << a.shift)
		}
		if len(nodes[i].out) != 0 {
			a.outputs[order[i]-firstAccept] = nodes[i].out
		}
	}
	return a, nil
}

// reports returns the keys that end in premultiplied state st.
func (a *automaton) reports(st uint16) []int32 {
	return a.outputs[(st-a.accept)>>a.shift]
}

// run advances the automaton from state st over text[i:] and returns the
// index of the first byte after which it is in a reporting state, with
// that state, or len(text) and the final state. It stays a leaf function
// so that the loop keeps its state in a register.
func (a *automaton) run(text []byte, i int, st uint16) (int, uint16) {
	trans, class, accept := a.trans, &a.class, a.accept
	for ; i < len(text); i++ {
		st = trans[st|uint16(class[text[i]])]
		if st >= accept {
			return i, st
		}
	}
	return len(text), st
}

// run4 advances four lanes in step — lane k over text[k*lane:(k+1)*lane]
// — from offset off, until one of them is in a reporting state. It
// returns the offset (lane when all are done) and the four states.
func (a *automaton) run4(text []byte, lane, off int, s0, s1, s2, s3 uint16) (int, uint16, uint16, uint16, uint16) {
	trans, class, accept := a.trans, &a.class, a.accept
	t0, t1, t2, t3 := text[:lane], text[lane:2*lane], text[2*lane:3*lane], text[3*lane:4*lane]
	for ; off < len(t0) && off < len(t1) && off < len(t2) && off < len(t3); off++ {
		s0 = trans[s0|uint16(class[t0[off]])]
		s1 = trans[s1|uint16(class[t1[off]])]
		s2 = trans[s2|uint16(class[t2[off]])]
		s3 = trans[s3|uint16(class[t3[off]])]
		if s0 >= accept || s1 >= accept || s2 >= accept || s3 >= accept {
			return off, s0, s1, s2, s3
		}
	}
	return lane, s0, s1, s2, s3
}

// advance runs the automaton from state st over text, without reporting,
// and returns the final state.
func (a *automaton) advance(text []byte, st uint16) uint16 {
	for _, c := range text {
		st = a.trans[st|uint16(a.class[c])]
	}
	return st
}
