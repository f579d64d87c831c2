package secrets

// slackChars are the characters of a Slack token after its xox?- prefix.
const slackChars = alnum | cDash

// slackRules: Slack's xox?- tokens, app-level tokens and webhook URLs.
func slackRules() []*rule {
	return []*rule{
		{
			id: "slack-bot-token", label: "SLACK_BOT_TOKEN", tier: tierStructured,
			description: "Slack bot token: xoxb- + workspace number + '-' + bot number + '-' + 20–48 alphanumerics " +
				"(or the legacy xoxb- + number + '-' + 18–26 alphanumerics).",
			triggers: []trigger{{text: "xoxb-"}},
			match:    slackBotToken,
		},
		{
			id: "slack-user-token", label: "SLACK_USER_TOKEN", tier: tierStructured,
			description: "Slack user token: xoxp- (or xoxe-) + two or three numbers + an alphanumeric secret of 24–64 characters.",
			triggers:    []trigger{{text: "xoxp-"}, {text: "xoxe-"}},
			match:       slackUserToken,
		},
		prefixedAny("slack-config-token", "SLACK_CONFIG_TOKEN",
			"Slack app configuration access (xoxe.xoxp-1-…, xoxe.xoxb-1-…) or refresh (xoxe-1-…) token.",
			token(lit("xoxe.xoxp-", "xoxe.xoxb-"), exactly(cDigit, 1), lit("-"), run(alnum, 150, 180)),
			token(lit("xoxe-"), exactly(cDigit, 1), lit("-"), run(alnum, 130, 160)),
		),
		{
			id: "slack-legacy-token", label: "SLACK_LEGACY_TOKEN", tier: tierStructured,
			description: "Slack legacy workspace (xoxa-, xoxr-) or legacy user/session (xoxs-, xoxo-) token.",
			triggers:    []trigger{{text: "xoxa-"}, {text: "xoxr-"}, {text: "xoxs-"}, {text: "xoxo-"}},
			match:       slackLegacyToken,
		},
		prefixed("slack-app-token", "SLACK_APP_TOKEN",
			"Slack app-level token: xapp- + digit + '-' + app id + '-' + number + '-' + alphanumeric secret.",
			token(lit("xapp-"), run(cDigit, 1, 2), lit("-"), run(alnum, 5, 32), lit("-"),
				run(cDigit, 5, 20), lit("-"), run(alnum, 20, 128)).withEdge(slackChars|cUnderscore)),
		{
			id: "slack-webhook-url", label: "SLACK_WEBHOOK_URL", tier: tierStructured,
			description: "Slack incoming webhook or workflow URL: hooks.slack.com/services|workflows|triggers/ + " +
				"workspace id path and secret; the whole URL is reported.",
			triggers: []trigger{{text: "hooks.slack.com/"}},
			match:    slackWebhook,
		},
	}
}

// dashFields splits b at '-' into at most len(out) fields and returns how
// many there are (more than len(out) returns len(out)+1).
func dashFields(b []byte, out *[8][]byte) int {
	n, s := 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '-' {
			if n == len(out) {
				return n + 1
			}
			out[n] = b[s:i]
			n++
			s = i + 1
		}
	}
	return n
}

// isDigits reports whether b is min to max ASCII digits.
func isDigits(b []byte, min, max int) bool {
	return len(b) >= min && len(b) <= max && allIn(b, cDigit)
}

// isSecretPart reports whether b is min to max alphanumerics with a letter
// and enough entropy to be generated.
func isSecretPart(b []byte, min, max int) bool {
	return len(b) >= min && len(b) <= max && allIn(b, alnum) && countIn(b, alpha) > 0 && !isPlaceholderToken(b)
}

// slackTokenRun returns the end of the token whose xox?- prefix is the
// hit, or -1 if the token touches other token characters.
func slackTokenRun(t []byte, h hit) int {
	if !startsToken(t, h.start, slackChars|cUnderscore) {
		return -1
	}
	end := runEnd(t, h.end, slackChars, 256)
	if !endsToken(t, end, slackChars|cUnderscore) {
		return -1
	}
	return end
}

func slackBotToken(t []byte, h hit) span {
	end := slackTokenRun(t, h)
	if end < 0 {
		return span{}
	}
	var f [8][]byte
	switch dashFields(t[h.end:end], &f) {
	case 3:
		if isDigits(f[0], 8, 14) && isDigits(f[1], 8, 14) && isSecretPart(f[2], 20, 48) {
			return span{start: h.start, end: end}
		}
	case 2:
		if isDigits(f[0], 8, 14) && isSecretPart(f[1], 18, 26) {
			return span{start: h.start, end: end}
		}
	}
	return span{next: end}
}

func slackUserToken(t []byte, h hit) span {
	end := slackTokenRun(t, h)
	if end < 0 {
		return span{}
	}
	var f [8][]byte
	n := dashFields(t[h.end:end], &f)
	if n < 3 || n > 4 {
		return span{next: end}
	}
	for _, p := range f[:n-1] {
		if !isDigits(p, 8, 14) {
			return span{next: end}
		}
	}
	if !isSecretPart(f[n-1], 24, 64) {
		return span{next: end}
	}
	return span{start: h.start, end: end}
}

func slackLegacyToken(t []byte, h hit) span {
	end := slackTokenRun(t, h)
	if end < 0 {
		return span{}
	}
	var f [8][]byte
	n := dashFields(t[h.end:end], &f)
	switch t[h.start+3] {
	case 'a', 'r': // xox[ar]-(\d-)?[0-9a-zA-Z]{8,48}
		if (n == 1 && isSecretPart(f[0], 8, 48)) || (n == 2 && isDigits(f[0], 1, 1) && isSecretPart(f[1], 8, 48)) {
			return span{start: h.start, end: end}
		}
	default: // xox[so]-\d+-\d+-\d+-[0-9a-f]+
		if n == 4 && isDigits(f[0], 1, 16) && isDigits(f[1], 1, 16) && isDigits(f[2], 1, 16) &&
			len(f[3]) >= 8 && allIn(f[3], hexAny) && !isPlaceholderToken(f[3]) {
			return span{start: h.start, end: end}
		}
	}
	return span{next: end}
}

// slackWebhook matches hooks.slack.com/{services,workflows,triggers}/ + an
// id path of at least two segments whose first starts with a workspace id
// (T…, or E… for Enterprise Grid), and the secret.
func slackWebhook(t []byte, h hit) span {
	start := urlStart(t, h.start)
	i := h.end
	var kind string
	for _, k := range []string{"services/", "workflows/", "triggers/"} {
		if hasPrefixAt(t, i, k) {
			kind = k
			break
		}
	}
	if kind == "" {
		return span{}
	}
	i += len(kind)
	end := runEnd(t, i, alnum|cSlash, 160)
	for end > i && t[end-1] == '/' {
		end--
	}
	path := t[i:end]
	if len(path) < 30 || !in(path[0], cUpper) || (path[0] != 'T' && path[0] != 'E') || countIn(path, cSlash) < 2 {
		return span{next: end}
	}
	last := path[lastIndexByte(path, '/')+1:]
	if !isSecretPart(last, 8, 64) {
		return span{next: end}
	}
	if !endsToken(t, end, alnum|cUnderscore|cDash) {
		return span{next: end}
	}
	return span{start: start, end: end}
}

// lastIndexByte returns the index of the last c in b, or -1.
func lastIndexByte(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// urlStart returns where the URL whose host contains position i begins:
// at an http:// or https:// scheme right before the host, or at the host.
func urlStart(t []byte, i int) int {
	s := runStart(t, i, alnum|cDash|cDot, 255)
	for _, scheme := range []string{"https://", "http://"} {
		if s >= len(scheme) && hasPrefixFold(t, s-len(scheme), scheme) {
			return s - len(scheme)
		}
	}
	return s
}

// urlEnd returns where the URL continuing at i ends: the end of the run of
// URL characters, less trailing sentence punctuation.
func urlEnd(t []byte, i, limit int) int {
	e := runEnd(t, i, urlChars, limit)
	for e > i {
		switch t[e-1] {
		case '.', ',', ';', ':', '!', '?':
			e--
			continue
		}
		break
	}
	return e
}
