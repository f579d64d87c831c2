package config

import (
	"fmt"
	"sort"
	"strings"
)

// maxErrors is how many problems one [Errors] lists.
const maxErrors = 20

// Error is one problem in a configuration file.
type Error struct {
	// File is the file the problem is in: the configuration file, or the
	// envFile a server names.
	File string
	// Line and Col are 1-based; Col counts bytes.
	Line, Col int
	// Path is the key path of the value, such as "mcpServers.github.args[2]";
	// empty for problems of the document as a whole.
	Path string
	// Msg says what is wrong and, after "; ", what to do.
	Msg string
}

// Error formats the problem as "file:line:col: path: message".
func (e Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", e.File, e.Line, e.Col, e.Path, e.Msg)
}

// Errors is every problem found in one file, in document order. Parse and
// Load return it, as *Errors, for any problem in the file's content.
type Errors struct {
	// List holds at most 20 problems.
	List []Error
	// Omitted counts the problems found after the first 20.
	Omitted int
}

// Error returns one problem a line.
func (e *Errors) Error() string {
	var b strings.Builder
	for i, x := range e.List {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(x.Error())
	}
	if e.Omitted > 0 {
		fmt.Fprintf(&b, "\n(%d more problems not shown; fix the ones above and load again)", e.Omitted)
	}
	return b.String()
}

// Unwrap returns the listed problems, so that errors.As finds an [Error].
func (e *Errors) Unwrap() []error {
	errs := make([]error, len(e.List))
	for i, x := range e.List {
		errs[i] = x
	}
	return errs
}

// lineIndex converts byte offsets to 1-based line and column numbers.
type lineIndex []int

func newLineIndex(data []byte) lineIndex {
	idx := lineIndex{0}
	for i, c := range data {
		if c == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (idx lineIndex) pos(off int) (line, col int) {
	i := sort.Search(len(idx), func(i int) bool { return idx[i] > off }) - 1
	return i + 1, off - idx[i] + 1
}

// suggestion returns the valid key closest to key, or "".
func suggestion(key string, valid []string) string {
	has := func(k string) bool {
		for _, v := range valid {
			if v == k {
				return true
			}
		}
		return false
	}
	for _, v := range valid {
		if strings.EqualFold(v, key) {
			return v
		}
	}
	if len(key) > 64 {
		return ""
	}
	lk := strings.ToLower(key)
	if a, ok := keyAliases[lk]; ok && has(a) {
		return a
	}
	best, bestD := "", 0
	consider := func(candidate, target string) {
		d := editDistance(lk, strings.ToLower(candidate))
		if d <= max(1, len(candidate)/3) && d < len(candidate) && (best == "" || d < bestD) {
			best, bestD = target, d
		}
	}
	for _, v := range valid {
		consider(v, v)
	}
	aliases := make([]string, 0, len(keyAliases))
	for a := range keyAliases {
		aliases = append(aliases, a)
	}
	sort.Strings(aliases)
	for _, a := range aliases {
		if has(keyAliases[a]) {
			consider(a, keyAliases[a])
		}
	}
	return best
}

// keyAliases maps keys that other tools use, lower-cased, to ours.
var keyAliases = map[string]string{
	"serverurl":         "url",
	"endpoint":          "url",
	"uri":               "url",
	"transport":         "type",
	"transporttype":     "type",
	"environment":       "env",
	"arguments":         "args",
	"workingdirectory":  "cwd",
	"working_directory": "cwd",
	"workdir":           "cwd",
	"dir":               "cwd",
	"env_file":          "envFile",
	"mcp_servers":       "mcpServers",
	"mcp-servers":       "mcpServers",
	"allowed":           "allow",
	"denied":            "deny",
	"block":             "deny",
}

// editDistance is the optimal string alignment distance between a and b,
// in bytes: insertions, deletions, substitutions and swaps of adjacent
// bytes each cost 1.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// unknownKeyMsg is the message for a key that is not in valid.
func unknownKeyMsg(key string, valid []string) string {
	list := strings.Join(valid, ", ")
	if s := suggestion(key, valid); s != "" {
		return fmt.Sprintf("unknown key %q; did you mean %q? (valid keys: %s)", key, s, list)
	}
	return fmt.Sprintf("unknown key %q; remove it or use a valid key (valid keys: %s)", key, list)
}

// oneOf suggests one of the allowed values in a message: `"a", "b" or "c"`.
func oneOf(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
