package pii

// EMAIL_ADDRESS: local@domain. The local part is an RFC 5322 dot-atom of
// the characters that appear in practice (letters, digits and ". _ % + -";
// no leading, trailing or doubled dot, at most 64 bytes); the domain has
// at least two labels of letters, digits and inner hyphens (each at most
// 63 bytes) and ends in a top-level domain of 2 to 63 letters or an
// "xn--" label, not a file extension ("icon@2x.png"). Characters such as
// '=', '/', ':' or quotes end the local part, so "mailto:a@b.org" and
// "?to=a@b.org" yield just the address.

const emailScore = 1.0

// fileExts are extensions that follow '@' in file names ("logo@2x.png")
// and are not top-level domains.
var fileExts = []string{"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff",
	"css", "js", "mjs", "cjs", "ts", "tsx", "jsx", "json", "yaml", "yml", "toml", "xml", "txt",
	"html", "htm", "php", "exe", "dll", "tar", "gz", "tgz", "bz2", "lock", "map", "wasm", "pdf"}

// email handles the '@' at text[a]; it returns the end of the address
// found, or a.
func (d *Detector) email(text []byte, a int, dst []Match) ([]Match, int) {
	// Local part, backwards.
	s := a
	for s > 0 && a-s <= 64 && (isAlnum(text[s-1]) || ctype[text[s-1]]&kMail != 0) {
		s--
	}
	if a-s > 64 {
		return dst, a
	}
	for s < a && (text[s] == '.' || text[s] == '-' || text[s] == '+') {
		s++ // sentence punctuation or a list marker before the address
	}
	if s == a || text[a-1] == '.' {
		return dst, a
	}
	for k := s + 1; k < a; k++ {
		if text[k] == '.' && text[k-1] == '.' {
			return dst, a
		}
	}
	// Domain, forwards.
	pos := a + 1
	labels := 0
	lastStart := pos
	for {
		ls := pos
		for pos < len(text) && (isAlnum(text[pos]) || text[pos] == '-') && pos-ls <= 63 {
			pos++
		}
		l := pos - ls
		if l == 0 || l > 63 || text[ls] == '-' || text[pos-1] == '-' {
			return dst, a
		}
		labels++
		lastStart = ls
		if at(text, pos) == '.' && isAlnum(at(text, pos+1)) {
			pos++
			continue
		}
		break
	}
	end := pos
	if labels < 2 || end-(a+1) > 253 || isWord(at(text, end)) || at(text, end) == '@' {
		return dst, a
	}
	if !tldOK(text[lastStart:end]) {
		return dst, a
	}
	return d.emit(dst, text, entEmail, s, end, emailScore), end
}

// tldOK reports whether b has the shape of a top-level domain.
func tldOK(b []byte) bool {
	if len(b) >= 5 && eqFold(b[:4], "xn--") {
		return true
	}
	if len(b) < 2 || len(b) > 63 {
		return false
	}
	for _, c := range b {
		if !isLetter(c) {
			return false
		}
	}
	for _, x := range fileExts {
		if eqFold(b, x) {
			return false
		}
	}
	return true
}
