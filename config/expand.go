package config

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ExpandVars replaces ${VAR} and ${VAR:-default} in s with values from
// lookup; "$${" is a literal "${". ${env:VAR} is read as ${VAR}.
// ${file:PATH} is the content of the file at PATH (an absolute path, or
// "~/..."), without one trailing newline: for secrets mounted as files
// (Docker and Kubernetes secrets). The
// default is taken literally up to the first "}" and is used when VAR is
// unset or empty. A "$" not followed by "{" is kept as is. The returned
// error's text is a message: what is wrong; what to do.
func ExpandVars(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "$${") {
			b.WriteString("${")
			i += 3
			continue
		}
		if !strings.HasPrefix(s[i:], "${") {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := strings.IndexByte(s[i+2:], '}')
		if j < 0 {
			return "", errors.New(`unterminated "${"; close it with "}", or write "$${" for a literal "${"`)
		}
		ref := s[i+2 : i+2+j]
		i += 2 + j + 1
		if path, ok := strings.CutPrefix(ref, "file:"); ok {
			v, err := readSecretFile(path)
			if err != nil {
				return "", err
			}
			b.WriteString(v)
			continue
		}
		if name, ok := strings.CutPrefix(ref, "input:"); ok {
			return "", fmt.Errorf(`VS Code input variables such as "${input:%s}" are not supported by the gateway; use an environment variable instead, written "${NAME}" (or "${env:NAME}"), and set it before starting the gateway`, name)
		}
		ref = strings.TrimPrefix(ref, "env:")
		name, def, hasDef := strings.Cut(ref, ":-")
		if !validVarName(name) {
			return "", fmt.Errorf(`invalid variable name %q in "${%s}"; use letters, digits and _ (not starting with a digit), or write "$${" for a literal "${"`, name, ref)
		}
		v, set := lookup(name)
		switch {
		case set && (v != "" || !hasDef):
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		default:
			return "", fmt.Errorf(`environment variable %s is not set; set it, or give a default with "${%s:-default}"`, name, name)
		}
	}
	return b.String(), nil
}

// maxSecretFile bounds what ${file:PATH} reads.
const maxSecretFile = 64 << 10

// readSecretFile reads a ${file:PATH} reference. The error names the path,
// never the content.
func readSecretFile(path string) (string, error) {
	if strings.HasPrefix(path, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", errNoHome
		}
		path = filepath.Join(home, path[2:])
	}
	if !filepath.IsAbs(path) {
		return "", fmt.Errorf(`"${file:%s}": the path must be absolute (or start with "~/")`, path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf(`"${file:%s}": %v; create the file or fix the path`, path, errors.Unwrap(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf(`"${file:%s}": %v`, path, err)
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf(`"${file:%s}": the file is larger than %d KiB; it should hold one secret`, path, maxSecretFile>>10)
	}
	s := strings.TrimSuffix(string(b), "\n")
	return strings.TrimSuffix(s, "\r"), nil
}

func validVarName(s string) bool {
	if s == "" || isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// errNoHome is returned by expandTilde when home is unknown.
var errNoHome = errors.New(`cannot expand "~": the home directory is unknown; use an absolute path`)

// expandTilde replaces a leading "~" or "~/" with home.
func expandTilde(s, home string) (string, error) {
	if s != "~" && !strings.HasPrefix(s, "~/") {
		return s, nil
	}
	if home == "" {
		return "", errNoHome
	}
	if s == "~" {
		return home, nil
	}
	return filepath.Join(home, s[2:]), nil
}

// maxEnvFileBytes bounds the size of an envFile.
const maxEnvFileBytes = 1 << 20

// readEnvFile reads a regular file of at most maxEnvFileBytes.
func readEnvFile(name string) ([]byte, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEnvFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxEnvFileBytes {
		return nil, fmt.Errorf("%s is larger than 1 MiB", name)
	}
	return data, nil
}

// dotenvError is a problem on one line of an env file.
type dotenvError struct {
	line, col int
	msg       string
}

// parseDotenv parses KEY=VALUE lines. Blank lines and lines starting with
// "#" are skipped; a leading "export " is allowed. A value may be in
// single quotes (taken literally) or double quotes (with the escapes \n,
// \r, \t, \" and \\); an unquoted value ends at " #" and is trimmed. A
// later line for the same key wins.
func parseDotenv(data []byte) (map[string]string, []dotenvError) {
	vars := make(map[string]string)
	var errs []dotenvError
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		trimmed := strings.TrimLeft(line, " \t")
		col := len(line) - len(trimmed) + 1
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		if rest, ok := strings.CutPrefix(trimmed, "export "); ok {
			col += len(trimmed) - len(rest)
			trimmed = strings.TrimLeft(rest, " \t")
		}
		key, val, ok := strings.Cut(trimmed, "=")
		if !ok {
			errs = append(errs, dotenvError{n + 1, col, "expected KEY=VALUE; add \"=\" or turn the line into a comment with \"#\""})
			continue
		}
		key = strings.TrimRight(key, " \t")
		if !validVarName(key) {
			errs = append(errs, dotenvError{n + 1, col, fmt.Sprintf("invalid variable name %q; use letters, digits and _, not starting with a digit", key)})
			continue
		}
		v, msg := dotenvValue(strings.TrimLeft(val, " \t"))
		if msg != "" {
			errs = append(errs, dotenvError{n + 1, col, msg})
			continue
		}
		vars[key] = v
	}
	return vars, errs
}

// dotenvValue decodes the part of a line after "=".
func dotenvValue(s string) (string, string) {
	if s == "" {
		return "", ""
	}
	var v, rest string
	switch s[0] {
	case '\'':
		end := strings.IndexByte(s[1:], '\'')
		if end < 0 {
			return "", "unterminated single-quoted value; add the closing ' (values cannot span lines)"
		}
		v, rest = s[1:1+end], s[2+end:]
	case '"':
		var b strings.Builder
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] != '\\' || i+1 == len(s) {
				b.WriteByte(s[i])
				continue
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '"', '\\':
				b.WriteByte(s[i])
			default:
				b.WriteByte('\\')
				b.WriteByte(s[i])
			}
		}
		if i >= len(s) {
			return "", "unterminated double-quoted value; add the closing \" (values cannot span lines)"
		}
		v, rest = b.String(), s[i+1:]
	default:
		if i := strings.Index(s, " #"); i >= 0 {
			s = s[:i]
		}
		if i := strings.Index(s, "\t#"); i >= 0 {
			s = s[:i]
		}
		return strings.TrimRight(s, " \t"), ""
	}
	rest = strings.TrimLeft(rest, " \t")
	if rest != "" && rest[0] != '#' {
		return "", fmt.Sprintf("unexpected text %q after the closing quote; remove it or start a comment with \" #\"", rest)
	}
	return v, ""
}

// sizeUnits maps lower-cased size suffixes to multipliers.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1000, "mb": 1000 * 1000, "gb": 1000 * 1000 * 1000,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
}

// ParseSize parses a byte count such as "64MiB", "512 KiB", "10MB",
// "1.5GiB" or "1048576". Units are case-insensitive: B, KB, MB, GB
// (powers of 1000) and KiB, MiB, GiB (powers of 1024).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (isDigit(t[i]) || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := sizeUnits[unit]
	if num == "" || !ok {
		return 0, fmt.Errorf(`invalid size %q; write a number of bytes or a size such as "64MiB", "512KiB" or "10MB" (units: B, KB, MB, GB, KiB, MiB, GiB)`, s)
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n > math.MaxInt64/mult {
			return 0, fmt.Errorf("size %q is too large; use a smaller size", s)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf(`invalid size %q; write a number of bytes or a size such as "64MiB"`, s)
	}
	f *= float64(mult)
	if f >= math.MaxInt64 {
		return 0, fmt.Errorf("size %q is too large; use a smaller size", s)
	}
	return int64(f), nil
}

// intValue returns the integer value of a JSON number's text.
func intValue(raw string) (int64, bool) {
	if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || f != math.Trunc(f) || f >= math.MaxInt64 || f < math.MinInt64 {
		return 0, false
	}
	return int64(f), true
}
