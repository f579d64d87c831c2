package injection

import "bytes"

// Structural signals: chat-template tokens, fake role tags, speaker labels,
// exfiltration URLs, sensitive file paths and download-to-shell pipes.
// Word-anchored checks (checkDefs) run when the hot loop meets their anchor
// word; angle and bracket run on '<' and '['.

// checkDef is a hand-written check run at each occurrence of one of its
// anchor words. arg is passed through (an index into a table).
type checkDef struct {
	anchors []string
	kind    checkKind
	arg     int
}

type checkKind uint8

const (
	ckTurn checkKind = iota
	ckURL
	ckShell
	ckRm
	ckPath
	ckVocative
	ckOverride
	ckUpload
)

// runCheck dispatches with a switch rather than a function value, so that
// the scan state does not escape to the heap.
func (st *state) runCheck(c *checkDef, t token) {
	switch c.kind {
	case ckTurn:
		checkTurnMarker(st, t, c.arg)
	case ckURL:
		checkURL(st, t, c.arg)
	case ckShell:
		checkShellPipe(st, t, c.arg)
	case ckRm:
		checkRmRf(st, t, c.arg)
	case ckPath:
		checkSensitivePath(st, t, c.arg)
	case ckVocative:
		checkVocative(st, t, c.arg)
	case ckOverride:
		checkOverride(st, t, c.arg)
	case ckUpload:
		checkUpload(st, t, c.arg)
	}
}

func checkDefs() []checkDef {
	defs := []checkDef{
		{[]string{"human", "assistant", "system", "user", "ai", "bot", "instruction", "instructions", "response", "input"}, ckTurn, 0},
		{[]string{"http", "https"}, ckURL, 0},
		{[]string{"sh", "bash", "zsh", "dash", "ksh", "fish", "python", "python3", "perl", "ruby", "node", "iex", "pwsh", "powershell", "php", "source"}, ckShell, 0},
		{[]string{"rm"}, ckRm, 0},
		{[]string{"curl", "wget"}, ckUpload, 0},
		{[]string{"ai", "assistant", "assistants", "model", "models", "llm", "llms", "agent", "agents", "copilot", "claude",
			"chatgpt", "gpt", "gemini", "bot", "chatbot", "bots"}, ckVocative, 0},
	}
	var dismiss []string
	for w := range dismissWords.exact {
		dismiss = append(dismiss, w)
	}
	defs = append(defs, checkDef{dismiss, ckOverride, 0})
	for i, p := range sensitivePaths {
		lit := []byte(p.lit)
		t, ok := nextToken(lit, 0)
		if !ok {
			panic("sensitive path without a word: " + p.lit)
		}
		defs = append(defs, checkDef{[]string{string(foldToken(nil, lit, t))}, ckPath, i})
		sensitivePaths[i].off = t.start
	}
	return defs
}

// --- speaker labels ---------------------------------------------------------

const (
	roleHuman uint8 = 1 << iota
	roleAssistant
	roleSystem
	roleUser
	roleAI
)

// checkTurnMarker finds "Human:", "Assistant:", "System:", "User:" at the
// start of a line (after blanks, '>', '*', '#', '-'), and the Alpaca-style
// "### Instruction:" / "### Response:" headers.
func checkTurnMarker(st *state, t token, _ int) {
	text := st.text
	// The label must be followed by a colon (after '*', '_', ']' or spaces).
	if k := t.end; k >= len(text) || text[k] != ':' && text[k] != '*' && text[k] != '_' && text[k] != ']' && text[k] != ' ' && text[k] != 0xEF {
		return
	}
	hashes := 0
	j := t.start - 1
	for ; j >= 0; j-- {
		c := text[j]
		if c == '\n' {
			break
		}
		if c == '#' {
			hashes++
			continue
		}
		if c != ' ' && c != '\t' && c != '>' && c != '*' && c != '-' && c != '_' && c != '[' {
			return
		}
	}
	k := t.end
	for k < len(text) && (text[k] == '*' || text[k] == '_' || text[k] == ']' || text[k] == ' ') && k-t.end < 3 {
		k++
	}
	if k >= len(text) {
		return
	}
	if text[k] == ':' {
		k++
	} else if k+2 < len(text) && text[k] == 0xEF && text[k+1] == 0xBC && text[k+2] == 0x9A {
		k += 3
	} else {
		return
	}
	// Something must follow the label on the line or on the next one.
	if q := skipBlanks(text, k); q >= len(text) {
		return
	}
	var w [16]byte
	name := foldToken(w[:0], text, t)
	switch string(name) {
	case "human":
		st.addRole(roleHuman, t.start, k, 0.35)
	case "assistant":
		st.addRole(roleAssistant, t.start, k, 0.35)
	case "system":
		if hashes >= 2 {
			st.add(rTemplateToken, t.start-hashes, k, 0.5, "")
			st.roles |= roleSystem
			return
		}
		st.addRole(roleSystem, t.start, k, 0.35)
	case "user":
		st.addRole(roleUser, t.start, k, 0.2)
	case "ai", "bot":
		st.addRole(roleAI, t.start, k, 0.2)
	default: // instruction(s), response, input: only as ### headers
		if hashes >= 2 {
			st.add(rTemplateToken, t.start-hashes, k, 0.45, "")
		}
	}
}

func (st *state) addRole(role uint8, start, end int, w float64) {
	st.roles |= role
	st.add(rTurnMarker, start, end, w, "")
}

// checkVocative finds the model addressed by name at the start of a line,
// sentence, comment or element, followed by ':' or ',': "AI model: ...",
// "Assistant, when you ...", "<!-- Copilot / AI agent: ...", "TODO(ai): ...".
func checkVocative(st *state, t token, _ int) {
	text := st.text
	// A ':' or ',' must follow the phrase soon ("Copilot / AI agent:").
	if k := bytes.IndexAny(text[t.end:min(len(text), t.end+40)], ":,"); k < 0 {
		return
	}
	// Walk back over the model words of the phrase ("the coding agent",
	// "Copilot / AI agent").
	first := t
	for {
		pw, ok := prevWord(text, first.start)
		if !ok || !isModelWord(text, pw) {
			break
		}
		if gap := text[pw.end:first.start]; len(bytes.Trim(gap, " \t/")) > 0 {
			break
		}
		first = pw
	}
	// Before the phrase: an address word ("for the", "dear", "hey", "note to
	// any"), or a line, sentence, comment or element start.
	addressed := false
	if pw, ok := prevWord(text, first.start); ok && len(bytes.TrimSpace(text[pw.end:first.start])) == 0 {
		var w [16]byte
		word := ""
		if pw.end-pw.start <= 12 {
			word = string(foldToken(w[:0], text, pw))
		}
		switch word {
		case "the", "any", "all", "every", "each", "our", "my", "your":
			if pp, ok := prevWord(text, pw.start); ok && pp.end-pp.start <= 12 {
				word = string(foldToken(w[:0], text, pp))
			}
		}
		switch word {
		case "for", "to", "dear", "hey", "hi", "hello", "attention", "psst", "note", "hint", "reminder", "message", "instructions", "ok", "okay":
			addressed = true
		default:
			return
		}
	}
	j := first.start
	for j > 0 && (text[j-1] == ' ' || text[j-1] == '\t') {
		j--
	}
	if !addressed {
		if c := text[first.start]; c >= 'a' && c <= 'z' && !(j > 0 && (text[j-1] == '(' || text[j-1] == '-' || text[j-1] == '>')) {
			return // "ai, bi := ...", "// model: the data model"; a vocative is capitalized
		}
		if j > 0 {
			switch text[j-1] {
			case '\n', '.', '!', '?', ':', '(', '[', '>', '-', '/', '*', '#', '"', '\'':
			default:
				if text[j-1] >= 0x80 {
					return
				}
			}
		}
	}
	// After: more model words, then ':' or ',' (or ')' then ':').
	end := t.end
	for {
		q := skipBlanks(text, end)
		if q < len(text) && text[q] == '/' {
			q = skipBlanks(text, q+1)
		}
		nt, ok := nextToken(text, q)
		if !ok || nt.start != q || !isModelWord(text, nt) {
			break
		}
		end = nt.end
	}
	q := skipBlanks(text, end)
	if q < len(text) && text[q] == ')' {
		q++
	}
	if q >= len(text) || text[q] != ':' && text[q] != ',' {
		return
	}
	if text[q] == ':' && (q+1 < len(text) && text[q+1] == '/' || q+1 >= len(text)) {
		return // a URL scheme or a bare label
	}
	// What follows must read as a sentence: three words separated by
	// single spaces ("Model: gpt-4o", `Model: "claude"` are fields).
	r := q + 1
	if r < len(text) && text[r] == ' ' {
		r++
	}
	words := 0
	for i := r; words < 3; {
		j := i
		for j < len(text) && (text[j] >= 'a' && text[j] <= 'z' || text[j] >= 'A' && text[j] <= 'Z' || text[j] == '\'' || text[j] >= 0x80) {
			j++
		}
		if j == i {
			break
		}
		words++
		if j >= len(text) || text[j] != ' ' && text[j] != ',' {
			break
		}
		i = j + 1
		if text[j] == ',' && i < len(text) && text[i] == ' ' {
			i++
		}
	}
	if words < 3 {
		return
	}
	st.add(rAddressModel, first.start, q+1, 0.5, "")
}

func isModelWord(text []byte, t token) bool {
	if t.end-t.start > 12 {
		return false
	}
	var w [16]byte
	switch string(foldToken(w[:0], text, t)) {
	case "ai", "assistant", "assistants", "model", "models", "llm", "llms", "agent", "agents", "copilot", "claude",
		"chatgpt", "gpt", "gemini", "bot", "chatbot", "bots", "language", "automated", "coding", "shopping", "hiring":
		return true
	}
	return false
}

// --- '<' ----------------------------------------------------------------------

// angle examines a '<' at i: chat-template tokens (<|im_start|>, <<SYS>>),
// HTML comments (a hidden region), fake role/tool-result tags, pseudo
// instruction tags and CSS-hidden elements.
func (st *state) angle(i int) {
	text := st.text
	n := len(text)
	if i+1 >= n {
		return
	}
	switch c := text[i+1]; {
	case c == '|':
		st.specialToken(i)
	case c == '!':
		if i+3 < n && text[i+2] == '-' && text[i+3] == '-' {
			// The next "-->" is searched once and reused by later comments.
			if st.commentEnd < i+4 && st.commentEnd != -1 {
				st.commentEnd = indexFrom(text, i+4, "-->", len(text))
			}
			end := st.commentEnd
			if end < 0 || end-i > 1<<16 {
				end = min(n, i+1<<16)
			} else {
				end += 3
			}
			st.addRegion(i, end)
		}
	case c == '<':
		if hasPrefixFold(text[i:], "<<sys>>") {
			st.add(rTemplateToken, i, i+7, 0.6, "")
		} else if hasPrefixFold(text[i:], "<</sys>>") {
			st.add(rTemplateToken, i, i+8, 0.6, "")
		}
	case c == '/' || c < 0x80 && asciiFlags[c]&aWord != 0 && c > '9':
		st.tag(i)
	}
}

// specialToken handles <|name|>.
func (st *state) specialToken(i int) {
	text := st.text
	j := i + 2
	for j < len(text) && j-i < 40 && (asciiFlags[text[j]&0x7f]&aWord != 0 && text[j] < 0x80 || text[j] == '_' || text[j] == '-' || text[j] == '.') {
		j++
	}
	if j == i+2 || j+1 >= len(text) || text[j] != '|' || text[j+1] != '>' {
		return
	}
	var w [40]byte
	name := appendLower(w[:0], text[i+2:j])
	end := j + 2
	score := 0.4
	switch string(name) {
	case "system":
		score = 0.8
	case "im_start", "start_header_id", "start":
		score = 0.6
		if rest := text[skipBlanks(text, end):]; hasPrefixFold(rest, "system") || hasPrefixFold(rest, "developer") {
			score, end = 0.8, skipBlanks(text, end)+6
		}
	case "im_end", "im_sep", "user", "assistant", "endoftext", "eot_id", "end_header_id", "begin_of_text",
		"end_of_text", "eom_id", "end", "tool", "ipython", "message", "channel", "return", "call", "endofprompt",
		"prompter", "human", "bot", "model", "developer":
		score = 0.6
	}
	st.add(rTemplateToken, i, end, score, "")
}

// tag handles <name ...> and </name>.
func (st *state) tag(i int) {
	text := st.text
	n := len(text)
	j := i + 1
	closing := false
	if text[j] == '/' {
		closing = true
		j++
	}
	ns := j
	for j < n && j-ns < 40 {
		c := text[j]
		if c < 0x80 && (asciiFlags[c]&aWord != 0 || c == '_' || c == '-' || c == ':') {
			j++
			continue
		}
		break
	}
	if j == ns || j >= n || !(text[ns] >= 'a' && text[ns] <= 'z' || text[ns] >= 'A' && text[ns] <= 'Z') {
		return
	}
	if c := text[j]; c != '>' && c != ' ' && c != '\t' && c != '\n' && c != '\r' && !(c == '/' && j+1 < n && text[j+1] == '>') {
		return // <sys/types.h>, <a.b>
	}
	gt := -1
	for k := j; k < n && k-j < 1024; k++ {
		if text[k] == '>' {
			gt = k
			break
		}
		if text[k] == '<' {
			break
		}
	}
	if gt < 0 {
		return
	}
	var w [40]byte
	name := appendLower(w[:0], text[ns:j])
	end := gt + 1
	// A fake role tag is bare (<system>, </user>) or has key=value
	// attributes; "<human readable output>" is a placeholder in prose.
	bare := gt == j || text[j] == '/' || bytes.IndexByte(text[j:gt], '=') >= 0
	if !bare {
		if closing || gt-j < 6 {
			return
		}
		if cssHidden(text[j:gt]) {
			st.hiddenElement(name, end)
		}
		return
	}
	switch string(name) {
	case "tool_result", "tool_results", "function_results", "function_result", "tool_output", "tool_outputs",
		"tool_response", "function_response", "function_calls", "function_call", "tool_call", "tool_use",
		"tool_code", "search_results", "document_content", "antml:function_calls", "observation":
		if closing {
			st.add(rRoleTag, i, end, 0.7, "")
		} else {
			st.add(rRoleTag, i, end, 0.5, "")
		}
		return
	case "system", "system_prompt", "system-prompt", "systemprompt", "system_message", "system-message",
		"sysmsg", "admin", "developer", "developer_message", "system_instructions", "system-instructions":
		st.add(rRoleTag, i, end, 0.6, "")
		return
	case "user", "human", "assistant", "ai", "bot", "user_message", "assistant_message", "human_turn",
		"user_query", "user_input", "assistant_response":
		if closing {
			st.add(rRoleTag, i, end, 0.55, "")
		} else if k := indexFrom(text, end, "</", 4096); k >= 0 && hasPrefixFold(text[k+2:], string(name)) {
			// an opening tag counts only with its closing tag: "<user>" alone is a placeholder
			st.add(rRoleTag, i, end, 0.45, "")
		}
		return
	case "document", "documents", "untrusted", "external", "webpage", "web_page", "search_result", "email", "user_data",
		"untrusted_input", "external_content", "retrieved", "context_document":
		if closing {
			st.add(rRoleTag, i, end, 0.45, "")
		}
		return
	case "start_of_turn", "end_of_turn", "bos", "eos":
		st.add(rTemplateToken, i, end, 0.6, "")
		return
	case "important", "instructions", "instruction", "critical", "urgent", "secret", "hidden", "note_to_ai",
		"ai_instructions", "assistant_instructions", "directive", "directives", "override", "admin_note",
		"system_note", "mandatory", "priority", "hidden_instructions", "ai_note", "llm_instructions", "agent_instructions":
		st.add(rInstructionBlock, i, end, 0.45, "")
		return
	case "prompt", "context", "rules", "command", "commands", "task", "secret_instructions":
		st.add(rInstructionBlock, i, end, 0.25, "")
		return
	}
	if closing || gt-j < 6 {
		return
	}
	if cssHidden(text[j:gt]) {
		st.hiddenElement(name, end)
	}
}

// hiddenElement records the content of a CSS-hidden element, from end to
// its closing tag, as a hidden region.
func (st *state) hiddenElement(name []byte, end int) {
	text := st.text
	n := len(text)
	const limit = 4096
	regEnd := min(n, end+limit)
	close := indexFrom(text, end, "</", limit)
	for close >= 0 && close < regEnd {
		if hasPrefixFold(text[close+2:], string(name)) {
			regEnd = close
			break
		}
		close = indexFrom(text, close+2, "</", regEnd-close-2)
	}
	st.addRegion(end, regEnd)
}

// cssHidden reports whether a tag's attributes hide it: display:none,
// visibility:hidden, font-size:0, opacity:0, zero size, or the hidden
// attribute.
func cssHidden(attrs []byte) bool {
	if !bytes.Contains(attrs, []byte("tyle")) && !bytes.Contains(attrs, []byte("TYLE")) &&
		!bytes.Contains(attrs, []byte("idden")) && !bytes.Contains(attrs, []byte("IDDEN")) {
		return false
	}
	var buf [512]byte
	b := buf[:0]
	for _, c := range attrs {
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\'' {
			if len(b) > 0 && b[len(b)-1] != ' ' {
				b = append(b, ' ')
			}
			continue
		}
		if len(b) == cap(b) {
			break
		}
		b = append(b, lowerASCII[c])
	}
	// Spaces were collapsed to one; drop those around ':' so
	// "display: none" and "display:none" compare equal.
	out := b[:0]
	for k := 0; k < len(b); k++ {
		if b[k] == ' ' && (k+1 < len(b) && b[k+1] == ':' || k > 0 && b[k-1] == ':') {
			continue
		}
		out = append(out, b[k])
	}
	if k := bytes.Index(out, []byte("font-size:")); k >= 0 {
		v := out[k+10:]
		n := 0.0
		d := 0
		for d < len(v) && (v[d] >= '0' && v[d] <= '9' || v[d] == '.') {
			d++
		}
		if d > 0 {
			for _, c := range v[:d] {
				if c == '.' {
					break
				}
				n = n*10 + float64(c-'0')
			}
			unit := v[d:]
			if bytes.HasPrefix(unit, []byte("px")) && n <= 2 || bytes.HasPrefix(unit, []byte("pt")) && n <= 1 ||
				(bytes.HasPrefix(unit, []byte("em")) || bytes.HasPrefix(unit, []byte("rem"))) && n == 0 && d > 1 && bytes.Contains(v[:d], []byte(".0")) {
				return true
			}
		}
	}
	if !bytes.Contains(out, []byte("background")) {
		for _, p := range [...]string{"color:#fff;", "color:#fff ", "color:#ffffff", "color:white", "color:#fefefe", "color:rgb(255,255,255)"} {
			if k := bytes.Index(out, []byte(p)); k >= 0 && (k == 0 || out[k-1] == ';' || out[k-1] == ' ' || out[k-1] == '=') {
				return true
			}
		}
		if bytes.HasSuffix(out, []byte("color:#fff")) {
			return true
		}
	}
	for _, p := range [...]string{"display:none", "visibility:hidden", "font-size:0", "font-size:0px", "opacity:0;", "opacity:0 ", "height:0", "width:0", "color:transparent", "clip:rect(0"} {
		if k := bytes.Index(out, []byte(p)); k >= 0 {
			rest := out[k+len(p):]
			if p == "font-size:0" || p == "height:0" || p == "width:0" {
				if len(rest) > 0 && (rest[0] >= '0' && rest[0] <= '9' || rest[0] == '.') {
					continue // font-size:0.9em
				}
			}
			return true
		}
	}
	if bytes.HasSuffix(out, []byte("opacity:0")) {
		return true
	}
	for k := 0; k+6 <= len(out); k++ {
		if string(out[k:k+6]) == "hidden" && (k == 0 || out[k-1] == ' ') && (k+6 == len(out) || out[k+6] == ' ' || out[k+6] == '/' || out[k+6] == '=') {
			return true
		}
	}
	return false
}

// --- '[' ----------------------------------------------------------------------

// bracket examines a '[' at i: [INST], [/INST], [system](#...), markdown
// comments ([//]: # (...)), [IMPORTANT]-style blocks.
func (st *state) bracket(i int) {
	text := st.text
	rest := text[i:]
	switch {
	case hasPrefixFold(rest, "[inst]"):
		st.add(rTemplateToken, i, i+6, 0.6, "")
	case hasPrefixFold(rest, "[/inst]"):
		st.add(rTemplateToken, i, i+7, 0.6, "")
	case hasPrefixFold(rest, "[system](#"), hasPrefixFold(rest, "[user](#"), hasPrefixFold(rest, "[assistant](#"):
		st.add(rRoleTag, i, i+bytes.IndexByte(rest, '(')+2, 0.65, "")
	case bytes.HasPrefix(rest, []byte("[SYSTEM]")), bytes.HasPrefix(rest, []byte("[SYSTEM MESSAGE]")), bytes.HasPrefix(rest, []byte("[ADMIN]")), bytes.HasPrefix(rest, []byte("[SYSTEM NOTE]")):
		st.add(rRoleTag, i, i+bytes.IndexByte(rest, ']')+1, 0.5, "")
	case bytes.HasPrefix(rest, []byte("[IMPORTANT]")), bytes.HasPrefix(rest, []byte("[INSTRUCTIONS]")), bytes.HasPrefix(rest, []byte("[HIDDEN]")), bytes.HasPrefix(rest, []byte("[SECRET]")), bytes.HasPrefix(rest, []byte("[NOTE TO AI]")):
		st.add(rInstructionBlock, i, i+bytes.IndexByte(rest, ']')+1, 0.3, "")
	case bytes.HasPrefix(rest, []byte("[//]:")), hasPrefixFold(rest, "[comment]:"), bytes.HasPrefix(rest, []byte("[//]: ")):
		end := bytes.IndexByte(rest, '\n')
		if end < 0 {
			end = len(rest)
		}
		st.addRegion(i, i+end)
	}
}

// --- URLs -----------------------------------------------------------------------

// checkURL looks at an http(s) URL: a markdown image, markdown link, HTML
// src/href or bare URL whose query carries placeholders ({...}, $VAR,
// <...>) or long encoded data is built to carry data out when the model or
// the client renders it.
func checkURL(st *state, t token, _ int) {
	text := st.text
	if t.end+3 > len(text) || text[t.end] != ':' || text[t.end+1] != '/' || text[t.end+2] != '/' {
		return
	}
	start := t.start
	end := urlExtent(text, start)
	if end-start < 12 {
		return
	}
	u := text[start:end]
	host := t.end + 3
	pathStart := host
	for pathStart < end && text[pathStart] != '/' && text[pathStart] != '?' && text[pathStart] != '#' {
		pathStart++
	}
	q := bytes.IndexByte(u, '?')
	query := []byte(nil)
	if q >= 0 {
		query = u[q+1:]
	}
	pathPart := text[pathStart:end]
	if q >= 0 {
		pathPart = text[pathStart : start+q]
	}
	kind := urlContext(text, start)
	if kind != urlImage && len(query) == 0 {
		return // links and bare URLs only count with a query
	}
	phQuery := len(query) > 0 && hasPlaceholder(query)
	phPath := kind == urlImage && hasPlaceholder(pathPart)
	sensName := len(query) > 0 && (hasSensitiveParam(query) || phQuery && sensitivePlaceholder(query))
	longData := kind != urlBare && (hasLongData(query) || kind == urlImage && hasLongData(pathPart))
	score := 0.0
	switch kind {
	case urlImage:
		switch {
		case phQuery:
			score = 0.75
		case longData:
			score = 0.55
		case phPath:
			score = 0.5
		case sensName:
			score = 0.45
		}
	case urlLink:
		switch {
		case phQuery && sensName:
			score = 0.7
		case phQuery:
			score = 0.2
		case longData && sensName:
			score = 0.45
		}
	default:
		switch {
		case phQuery && sensName:
			score = 0.5
		case phQuery:
			score = 0.25
		}
	}
	if score > 0 {
		st.add(rExfilURL, start, end, score, "")
	}
}

const (
	urlBare = iota
	urlLink
	urlImage
)

// urlContext tells whether the URL at start is a markdown image, a link
// (markdown or HTML href) or bare.
func urlContext(text []byte, start int) int {
	j := start - 1
	for j >= 0 && (text[j] == ' ' || text[j] == '<') && start-j < 4 {
		j--
	}
	if j < 0 {
		return urlBare
	}
	if text[j] == '(' && j > 0 && text[j-1] == ']' {
		// Find the '[' that opens the alt text, on the same line.
		depth := 0
		for k := j - 1; k >= 0 && j-k < 2048; k-- {
			switch text[k] {
			case ']':
				depth++
			case '[':
				depth--
				if depth == 0 {
					if k > 0 && text[k-1] == '!' {
						return urlImage
					}
					return urlLink
				}
			case '\n':
				return urlLink
			}
		}
		return urlLink
	}
	if text[j] == ':' && j > 0 && text[j-1] == ']' {
		return urlLink // [ref]: http://...
	}
	// HTML attribute: src= / href= / srcset= / background=
	k := j
	if text[k] == '"' || text[k] == '\'' {
		k--
	}
	if k >= 0 && text[k] == '=' {
		a := k - 1
		for a >= 0 && text[a] >= 'a' && text[a] <= 'z' || a >= 0 && text[a] >= 'A' && text[a] <= 'Z' {
			a--
		}
		var w [16]byte
		attr := appendLower(w[:0], text[a+1:k])
		switch string(attr) {
		case "src", "srcset", "background", "poster", "data-src":
			return urlImage
		case "href", "action":
			return urlLink
		}
	}
	return urlBare
}

// urlExtent is the end of a URL for analysis: like urlEnd, but it keeps
// placeholder punctuation ({ } < > [ ] $) that would end a URL in prose.
func urlExtent(text []byte, i int) int {
	j := i
	paren := 0
	end := min(len(text), i+4096)
	lt := false // a '<' in text[i:j]
	for j < end {
		c := text[j]
		if urlStop[c] == 0 {
			lt = lt || c == '<'
			j++
			continue
		}
		if c <= ' ' || c == '"' || c == '\'' || c == '`' || c == 0x7f {
			break
		}
		if c == '(' {
			paren++
		} else if c == ')' {
			if paren == 0 {
				break
			}
			paren--
		} else if c == '>' {
			// keep <placeholder>, stop at the end of an <https://...> autolink
			if !lt {
				break
			}
		}
		j++
	}
	for j > i && (text[j-1] == '.' || text[j-1] == ',' || text[j-1] == ';' || text[j-1] == ':' || text[j-1] == '!' || text[j-1] == '?') {
		j--
	}
	return j
}

// urlStop marks the bytes urlExtent must look at.
var urlStop = func() (t [256]uint8) {
	for c := 0; c <= ' '; c++ {
		t[c] = 1
	}
	for _, c := range "\"'`()>\x7f" {
		t[c] = 1
	}
	return
}()

// hasPlaceholder reports template syntax in a URL part: {x}, {{x}}, $x,
// ${x}, <x>, [x], %7Bx%7D, or a value that is a fill-in instruction
// (SCREAMING_SNAKE_CASE words, "..._HERE", "INSERT...", "PASTE...").
// Encoded JSON (%7B%22...) is not a placeholder.
func hasPlaceholder(b []byte) bool {
	return placeholders(b, nil)
}

// sensitivePlaceholder reports a placeholder naming data that must not
// leave: {user_email}, $SESSION_TOKEN, <conversation summary>.
func sensitivePlaceholder(b []byte) bool {
	found := false
	placeholders(b, func(name []byte) {
		for _, w := range [...]string{"email", "passw", "token", "secret", "key", "conversation", "history", "chat",
			"session", "cookie", "credential", "ssn", "card", "address", "phone", "summary", "context", "message",
			"prompt", "memory", "name", "data", "content", "user"} {
			if containsFold(name, w) {
				found = true
			}
		}
	})
	return found
}

// placeholders finds the placeholders of b, calling fn (if not nil) with
// each name; it reports whether there was any.
func placeholders(b []byte, fn func([]byte)) bool {
	found := false
	hit := func(name []byte) {
		found = true
		if fn != nil {
			fn(name)
		}
	}
	isName := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == ' '
	}
	// closed returns the end of a name starting at i and closed by close
	// within 48 bytes, or -1.
	closed := func(i int, close string) int {
		j := i
		for j < len(b) && j-i <= 48 && isName(b[j]) {
			j++
		}
		if j > i && j+len(close) <= len(b) && string(b[j:j+len(close)]) == close {
			return j
		}
		return -1
	}
	for k := 0; k < len(b); k++ {
		switch b[k] {
		case '{':
			s := k + 1
			if s < len(b) && b[s] == '{' {
				s++
			}
			if j := closed(s, "}"); j >= 0 {
				hit(b[s:j])
				k = j
			}
		case '<':
			if j := closed(k+1, ">"); j >= 0 {
				hit(b[k+1 : j])
				k = j
			}
		case '[':
			if j := closed(k+1, "]"); j >= 0 {
				hit(b[k+1 : j])
				k = j
			}
		case '$':
			s := k + 1
			if s < len(b) && (b[s] == '{' || b[s] == '(') {
				s++
			}
			j := s
			for j < len(b) && (b[j] >= 'A' && b[j] <= 'Z' || b[j] >= 'a' && b[j] <= 'z' || b[j] == '_' || b[j] >= '0' && b[j] <= '9') {
				j++
			}
			if j-s >= 2 && (b[s] < '0' || b[s] > '9') {
				hit(b[s:j])
				k = j - 1
			}
		case '%':
			if k+2 < len(b) && b[k+1] == '7' && (b[k+2] == 'B' || b[k+2] == 'b') {
				if j := closed(k+3, "%7D"); j >= 0 {
					hit(b[k+3 : j])
					k = j
				} else if j := closed(k+3, "%7d"); j >= 0 {
					hit(b[k+3 : j])
					k = j
				}
			}
		}
	}
	// Fill-in values: SCREAMING_SNAKE_CASE or instruction words.
	for q := b; len(q) > 0; {
		eq := bytes.IndexByte(q, '=')
		if eq < 0 {
			break
		}
		q = q[eq+1:]
		v := q
		if amp := bytes.IndexByte(q, '&'); amp >= 0 {
			v, q = q[:amp], q[amp+1:]
		} else {
			q = nil
		}
		if fillInValue(v) {
			hit(v)
		}
	}
	return found
}

// fillInValue reports a query value written as an instruction to fill it
// in: SCREAMING_SNAKE_CASE of two or more words, or a word such as HERE,
// INSERT, PASTE, REPLACE, PLACEHOLDER, YOUR_...
func fillInValue(v []byte) bool {
	upper, unders, other := 0, 0, 0
	for _, c := range v {
		switch {
		case c >= 'A' && c <= 'Z':
			upper++
		case c == '_':
			unders++
		default:
			other++
		}
	}
	if upper >= 6 && unders >= 1 && other == 0 {
		return true
	}
	for len(v) > 0 {
		i := 0
		for i < len(v) && !(v[i] >= 'a' && v[i] <= 'z' || v[i] >= 'A' && v[i] <= 'Z') {
			i++
		}
		j := i
		for j < len(v) && (v[j] >= 'a' && v[j] <= 'z' || v[j] >= 'A' && v[j] <= 'Z') {
			j++
		}
		var w [16]byte
		if j-i > 2 && j-i <= len(w) {
			switch string(appendLower(w[:0], v[i:j])) {
			case "here", "insert", "paste", "replace", "placeholder", "fillin":
				return true
			}
		}
		v = v[j:]
	}
	return false
}

// hasSensitiveParam reports a query parameter whose name says it carries
// conversation data or secrets.
func hasSensitiveParam(q []byte) bool {
	for len(q) > 0 {
		amp := bytes.IndexByte(q, '&')
		kv := q
		if amp >= 0 {
			kv, q = q[:amp], q[amp+1:]
		} else {
			q = nil
		}
		eq := bytes.IndexByte(kv, '=')
		if eq <= 0 {
			continue
		}
		var w [24]byte
		if eq > len(w) {
			continue
		}
		switch string(appendLower(w[:0], kv[:eq])) {
		case "data", "d", "secret", "secrets", "key", "apikey", "api_key", "token", "password", "pass", "pwd",
			"credentials", "creds", "cred", "conversation", "convo", "chat", "history", "message", "msg", "messages",
			"content", "context", "summary", "prompt", "memory", "payload", "exfil", "leak", "ssh", "env",
			"cookie", "cookies", "session", "sessionid", "session_id", "sid", "auth", "ssn", "userdata", "b64", "base64":
			return true
		}
	}
	return false
}

// hasLongData reports a run of 40+ URL-safe base64/hex characters, the
// shape of encoded data rather than an id.
func hasLongData(b []byte) bool {
	run, digits, upper, lower := 0, 0, 0, 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'A' && c <= 'Z':
			upper++
		case c >= 'a' && c <= 'z':
			lower++
		case c == '-' || c == '_':
		default:
			run, digits, upper, lower = 0, 0, 0, 0
			continue
		}
		run++
		if run >= 40 && digits > 2 && upper > 2 && lower > 2 {
			return true
		}
	}
	return false
}

// --- sensitive paths --------------------------------------------------------------

type sensitivePath struct {
	lit string
	w   float64
	off int // offset of the anchor word in lit
}

var sensitivePaths = []sensitivePath{
	{lit: ".ssh/id_rsa", w: 0.4}, {lit: "id_rsa", w: 0.35}, {lit: "id_dsa", w: 0.35}, {lit: "id_ecdsa", w: 0.35},
	{lit: "id_ed25519", w: 0.35}, {lit: ".ssh/", w: 0.3}, {lit: "authorized_keys", w: 0.3},
	{lit: ".aws/credentials", w: 0.45}, {lit: ".aws/config", w: 0.35}, {lit: "/etc/passwd", w: 0.35},
	{lit: "/etc/shadow", w: 0.45}, {lit: "/etc/sudoers", w: 0.35}, {lit: ".env", w: 0.3},
	{lit: "mcp.json", w: 0.25}, {lit: ".cursor/mcp.json", w: 0.4}, {lit: "claude_desktop_config.json", w: 0.25}, {lit: ".claude.json", w: 0.3},
	{lit: ".cursor/", w: 0.35}, {lit: "mcp_config.json", w: 0.35}, {lit: ".npmrc", w: 0.35},
	{lit: ".netrc", w: 0.4}, {lit: ".pgpass", w: 0.4}, {lit: ".git-credentials", w: 0.45},
	{lit: ".docker/config.json", w: 0.4}, {lit: ".kube/config", w: 0.4}, {lit: ".gnupg", w: 0.4},
	{lit: ".bash_history", w: 0.35}, {lit: ".zsh_history", w: 0.35}, {lit: "wallet.dat", w: 0.45},
	{lit: ".config/gcloud", w: 0.4}, {lit: "credentials.json", w: 0.3}, {lit: ".pypirc", w: 0.35},
	{lit: "private_key.pem", w: 0.4}, {lit: "id_rsa.pem", w: 0.4}, {lit: ".vault-token", w: 0.4},
}

func checkSensitivePath(st *state, t token, arg int) {
	p := &sensitivePaths[arg]
	text := st.text
	s := t.start - p.off
	if s < 0 || s+len(p.lit) > len(text) || !hasPrefixFold(text[s:], p.lit) {
		return
	}
	e := s + len(p.lit)
	if s > 0 {
		if c := text[s-1]; c < 0x80 && (asciiFlags[c]&aWord != 0 || p.lit[0] == '.' && (c == '.' || c == '_')) {
			return // process.env, my.env, xid_rsa
		}
	}
	if p.lit[len(p.lit)-1] != '/' && e < len(text) {
		c := text[e]
		if c < 0x80 && asciiFlags[c]&aWord != 0 || c == '_' || c == '-' {
			return // .envrc, id_rsa_backup is still fine? no: keep exact names
		}
		if c == '.' && e+1 < len(text) && asciiFlags[text[e+1]&0x7f]&aWord != 0 {
			rest := text[e:]
			switch {
			case p.lit == ".env" && (hasPrefixFold(rest, ".local") || hasPrefixFold(rest, ".production") || hasPrefixFold(rest, ".prod") || hasPrefixFold(rest, ".development")):
			default:
				return // .env.example, id_rsa.pub, mcp.json.bak is fine to skip
			}
		}
	}
	if st.noPaths {
		return
	}
	if p.lit == ".ssh/" {
		// the directory of a public key or client config is not a secret
		k := e
		for k < len(text) && k-e < 64 && (asciiFlags[text[k]&0x7f]&aWord != 0 && text[k] < 0x80 || text[k] == '_' || text[k] == '-' || text[k] == '.') {
			k++
		}
		name := text[e:k]
		if bytes.HasSuffix(name, []byte(".pub")) || string(name) == "config" || string(name) == "known_hosts" || bytes.HasPrefix(name, []byte("id_")) {
			return // id_* is reported by its own entry
		}
	}
	w := p.w
	if st.readVerbBefore(s) {
		w += 0.2
	}
	if st.def {
		w += 0.1
	}
	if w > rules[rSensitiveFile].weight {
		w = rules[rSensitiveFile].weight
	}
	st.add(rSensitiveFile, s, e, w, "")
}

// readVerbBefore reports a verb asking to read or move data within the
// sentence before pos.
func (st *state) readVerbBefore(pos int) bool {
	var ring [8]token
	n := prevTokens(st.text, pos, 120, ring[:])
	for k := 0; k < n; k++ {
		t := ring[k]
		var w [16]byte
		if t.end-t.start > 12 {
			continue
		}
		switch string(foldToken(w[:0], st.text, t)) {
		case "read", "cat", "open", "load", "include", "send", "upload", "pass", "print", "output", "attach",
			"copy", "exfiltrate", "fetch", "contents", "content", "provide", "share", "forward", "post",
			"grab", "dump", "leak", "show", "display", "paste", "retrieve", "collect", "reveal", "email",
			"lies", "lese", "lire", "lis", "lisez", "leer", "lee", "leggi", "leia", "lees":
			return true
		}
	}
	return false
}

// --- shell pipes --------------------------------------------------------------------

// checkShellPipe finds a download or decode piped into an interpreter:
// curl ... | sh, wget -O- ... | bash, base64 -d | sh, iwr ... | iex.
func checkShellPipe(st *state, t token, _ int) {
	text := st.text
	j := t.start - 1
	for j >= 0 && t.start-j < 24 && text[j] != '|' && text[j] != '\n' {
		c := text[j]
		if !(c == ' ' || c == '\t' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return
		}
		j--
	}
	if j < 0 || text[j] != '|' || j > 0 && text[j-1] == '|' {
		return
	}
	if between := text[j+1 : t.start]; len(bytes.TrimSpace(between)) > 0 && !bytes.Contains(between, []byte("sudo")) {
		return
	}
	// The line before the pipe, at most 600 bytes of it (searched only
	// that far back, so that a line of pipes stays linear).
	lo := max(0, j-601)
	ls := j - 600
	if k := bytes.LastIndexByte(text[lo:j], '\n'); k >= 0 {
		ls = lo + k + 1
	} else if lo == 0 {
		ls = 0
	}
	line := text[ls:j]
	w := 0.2
	switch {
	case st.within(ls, j, shellDecode[:]):
		w = 0.45
	case st.within(ls, j, shellDownload[:]):
		w = 0.35
	}
	st.add(rCommand, ls+len(line)-len(bytes.TrimLeft(line, " \t")), t.end, w, "")
}

// The words before a shell pipe that make it a decoded or downloaded
// script, and the options of curl and wget that upload a local file, as
// indexes into needles.
var (
	shellDecode   = [...]uint8{0, 1, 2}
	shellDownload = [...]uint8{3, 4, 5, 6, 7, 8, 9}
	uploadOpts    = [...]uint8{10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
)

// needles are the strings looked for on the lines of pipes and downloads
// (ASCII case ignored).
var needles = [...]string{
	"base64 -d", "base64 --decode", "frombase64",
	"curl ", "wget ", "iwr ", "irm ", "invoke-webrequest", "invoke-restmethod", "downloadstring",
	" -d @", " --data @", " --data-binary @", " --data-raw @", " --data-urlencode @", "=@", " -t ", " --upload-file ", " --post-file=", " --post-file ", " --body-file=",
}

// needleAt caches, per needle, its first occurrence at or after from (-1:
// none up to the end of the text).
type needleAt struct {
	known    bool
	from, at int
}

// within reports whether one of the needles ids occurs inside
// text[lo:hi] (ASCII case ignored). Each needle's next occurrence is
// cached, so that lines looked at in text order are searched once
// however many pipes or downloads they hold.
func (st *state) within(lo, hi int, ids []uint8) bool {
	for _, id := range ids {
		s := needles[id]
		c := &st.needle[id]
		if !c.known || lo < c.from || c.at >= 0 && lo > c.at {
			c.known, c.from, c.at = true, lo, indexFold(st.text, lo, s)
		}
		if c.at >= 0 && c.at+len(s) <= hi {
			return true
		}
	}
	return false
}

// indexFold returns the first index at or after from where s (lowercase)
// occurs in text with ASCII case ignored, or -1.
func indexFold(text []byte, from int, s string) int {
	for k := from; k+len(s) <= len(text); k++ {
		if lowerASCII[text[k]] == s[0] && hasPrefixFold(text[k:], s) {
			return k
		}
	}
	return -1
}

// checkUpload finds curl/wget uploading a local file: -d @file, --data
// @file, -F x=@file, -T file, --upload-file, --post-file.
func checkUpload(st *state, t token, _ int) {
	text := st.text
	end := t.end
	for end < len(text) && end-t.end < 400 && text[end] != '\n' && text[end] != '`' {
		end++
	}
	if st.within(t.end, end, uploadOpts[:]) {
		st.add(rExfilSend, t.start, end, 0.6, "uploads a local file")
	}
}

// checkRmRf finds destructive deletions of a home or root directory.
func checkRmRf(st *state, t token, _ int) {
	text := st.text
	rest := text[t.start:]
	for _, p := range [...]string{"rm -rf /", "rm -rf ~", "rm -rf $home", "rm -rf *", "rm -fr /", "rm -fr ~", "rm -rf --no-preserve-root"} {
		if hasPrefixFold(rest, p) {
			e := t.start + len(p)
			if p[len(p)-1] == '/' && e < len(text) && text[e] > ' ' && text[e] != '*' {
				continue // rm -rf /tmp/build
			}
			st.add(rCommand, t.start, e, 0.45, "")
			return
		}
	}
}

// --- helpers -------------------------------------------------------------------------

func appendLower(dst, b []byte) []byte {
	for _, c := range b {
		if len(dst) == cap(dst) {
			break
		}
		dst = append(dst, lowerASCII[c])
	}
	return dst
}

// indexFrom returns the index of s in text at or after i, looking at most
// limit bytes, or -1.
func indexFrom(text []byte, i int, s string, limit int) int {
	if i > len(text) {
		return -1
	}
	end := min(len(text), i+limit+len(s))
	k := bytes.Index(text[i:end], []byte(s))
	if k < 0 {
		return -1
	}
	return i + k
}

func containsFold(b []byte, s string) bool {
	for k := 0; k+len(s) <= len(b); k++ {
		if lowerASCII[b[k]] == s[0] && hasPrefixFold(b[k:], s) {
			return true
		}
	}
	return false
}

// prevTokens fills ring with up to len(ring) tokens that end at or before
// pos, within back bytes and after the last sentence break, nearest first.
// It returns how many it found.
func prevTokens(text []byte, pos, back int, ring []token) int {
	w := pos - back
	if w < 0 {
		w = 0
	}
	for w > 0 && w < len(text) && text[w]&0xC0 == 0x80 {
		w--
	}
	var buf [16]token
	n := 0
	for i := w; ; {
		t, ok := nextToken(text, i)
		if !ok || t.end > pos {
			if ok && t.brk && t.start <= pos {
				n = 0
			}
			break
		}
		if t.brk {
			n = 0
		}
		if n == len(buf) {
			copy(buf[:], buf[1:])
			n--
		}
		buf[n] = t
		n++
		i = t.end
	}
	// A sentence break between the last token and pos ends the sentence.
	last := w
	if n > 0 {
		last = buf[n-1].end
	}
	nl := 0
	for q := last; q < pos && q < len(text); q++ {
		switch c := text[q]; {
		case (c == '.' || c == '!' || c == '?') && isBreakAt(text, q):
			n = 0
		case c == '\n':
			if nl++; nl == 2 {
				n = 0
			}
		case c == 0xE3 && q+2 < len(text) && text[q+1] == 0x80 && text[q+2] == 0x82: // 。
			n = 0
		}
	}
	k := 0
	for j := n - 1; j >= 0 && k < len(ring); j-- {
		ring[k] = buf[j]
		k++
	}
	return k
}
