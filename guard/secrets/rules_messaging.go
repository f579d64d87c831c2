package secrets

// messagingRules: e-mail, SMS and chat providers, and chat webhooks.
func messagingRules() []*rule {
	return []*rule{
		prefixed("twilio-api-key", "TWILIO_API_KEY",
			"Twilio API key SID: SK + 32 lower-case hex digits holding both digits and letters.",
			token(lit("SK"), exactly(hexLower, 32)).withEdge(alnum).withCheck(hasLetterAndDigit)),
		prefixed("twilio-account-sid", "TWILIO_ACCOUNT_SID",
			"Twilio account SID: AC + 32 lower-case hex digits holding both digits and letters.",
			token(lit("AC"), exactly(hexLower, 32)).withEdge(alnum).withCheck(hasLetterAndDigit)),
		assigned("twilio-auth-token", "TWILIO_AUTH_TOKEN",
			"Twilio auth token: 32 hex digits assigned to a key naming Twilio and auth/token/secret.",
			[]string{"twilio"}, identContains("auth", "token", "secret"),
			token(exactly(hexLower, 32)).withCheck(hasLetterAndDigit)),
		prefixed("sendgrid-api-key", "SENDGRID_API_KEY",
			"SendGrid API key: SG. + 22 base64url characters + '.' + 43 base64url characters.",
			token(lit("SG."), exactly(b64url, 22), lit("."), exactly(b64url, 43))),
		prefixed("brevo-api-key", "BREVO_API_KEY",
			"Brevo (Sendinblue) API key: xkeysib- + 64 hex digits + '-' + 16 alphanumerics.",
			token(lit("xkeysib-"), exactly(hexLower, 64), lit("-"), exactly(alnum, 16))),
		{
			id: "mailgun-api-key", label: "MAILGUN_API_KEY", tier: tierContext,
			description: "Mailgun private API key: key- + 32 hex digits within 256 bytes after a mention of Mailgun, " +
				"or 32 hex + '-' + 8 hex + '-' + 8 hex assigned to a key naming Mailgun.",
			triggers: []trigger{{text: "key-"}, {text: "mailgun", fold: true}},
			match:    mailgunKey,
		},
		{
			id: "mailchimp-api-key", label: "MAILCHIMP_API_KEY", tier: tierStructured,
			description: "Mailchimp API key: 32 lower-case hex digits + '-us' + the 1–2 digit data-centre number.",
			triggers:    []trigger{{text: "-us"}},
			match:       mailchimpKey,
		},
		{
			id: "telegram-bot-token", label: "TELEGRAM_BOT_TOKEN", tier: tierStructured,
			description: "Telegram Bot API token: 5–16 digit bot id + ':A' + 34 base64url characters.",
			triggers:    []trigger{{text: ":A"}},
			match:       telegramBotToken,
		},
		{
			id: "discord-webhook-url", label: "DISCORD_WEBHOOK_URL", tier: tierStructured,
			description: "Discord webhook URL: discord(app).com/api/webhooks/ + 17–20 digit id + '/' + 60–68 base64url characters; the whole URL is reported.",
			triggers:    []trigger{{text: "discord.com/api/webhooks/"}, {text: "discordapp.com/api/webhooks/"}},
			match:       discordWebhook,
		},
		{
			id: "discord-bot-token", label: "DISCORD_BOT_TOKEN", tier: tierContext,
			description: "Discord bot token (base64 user id starting M/N/O + '.' + 6–7 + '.' + 27–40 base64url characters) " +
				"after 'Bot ' in an Authorization header or assigned to a key naming Discord.",
			triggers: []trigger{{text: "Bot "}, {text: "discord", fold: true}},
			match:    discordBotToken,
		},
		assigned("discord-client-secret", "DISCORD_CLIENT_SECRET",
			"Discord OAuth client secret: 32 base64url characters assigned to a key naming Discord and secret.",
			[]string{"discord"}, identContains("secret"),
			token(exactly(b64url, 32)).withCheck(hasLetterAndDigit)),
		{
			id: "microsoft-teams-webhook", label: "MICROSOFT_TEAMS_WEBHOOK", tier: tierStructured,
			description: "Microsoft Teams incoming webhook URL (*.webhook.office.com/webhookb2/… or outlook.office.com/webhook/… " +
				"with …@…/IncomingWebhook/…) or Workflows URL (*.logic.azure.com or *.api.powerplatform.com …/workflows/… with sig=); " +
				"the whole URL is reported.",
			triggers: []trigger{
				{text: ".webhook.office.com/webhookb2/"}, {text: "outlook.office.com/webhook/"},
				{text: ".logic.azure.com"}, {text: ".api.powerplatform.com"},
			},
			match: teamsWebhook,
		},
	}
}

// mailgunKey: key- + 32 hex near "mailgun", or the newer
// hex32-hex8-hex8 key assigned to a Mailgun key.
func mailgunKey(t []byte, h hit) span {
	if t[h.start] == 'k' {
		s := mailgunLegacyShape.match(t, h.start)
		if s.ok() && mentions(t, h.start, 256, "mailgun") {
			return s
		}
		return span{}
	}
	a, ok := findAssignment(t, h)
	if !ok {
		return span{}
	}
	for i := range mailgunShapes {
		if s := mailgunShapes[i].match(t, a.valStart); s.ok() {
			return s
		}
	}
	return span{next: a.identEnd}
}

var (
	mailgunLegacyShape = token(lit("key-"), exactly(hexLower, 32))
	mailgunShapes      = []shape{
		mailgunLegacyShape,
		token(exactly(hexLower, 32), lit("-"), exactly(hexLower, 8), lit("-"), exactly(hexLower, 8)).withEdge(alnum | cDash),
	}
	discordWebhookPath = token(run(cDigit, 17, 20), lit("/"), run(b64url, 60, 68)).withEdge(b64url)
)

// mailchimpKey matches around the "-us" of a Mailchimp key.
func mailchimpKey(t []byte, h hit) span {
	s := h.start - 32
	if s < 0 || !allIn(t[s:h.start], hexLower) || !startsToken(t, s, alnum) {
		return span{}
	}
	e := runEnd(t, h.end, cDigit, 3)
	if n := e - h.end; n < 1 || n > 2 || !endsToken(t, e, alnum) {
		return span{}
	}
	if !hasLetterAndDigit(t[s:h.start]) || isPlaceholderToken(t[s:h.start]) {
		return span{}
	}
	return span{start: s, end: e}
}

// telegramBotToken matches around the ":A" of <bot id>:A<34 characters>.
func telegramBotToken(t []byte, h hit) span {
	s := runStart(t, h.start, cDigit, 17)
	if n := h.start - s; n < 5 || n > 16 || !startsToken(t, s, alnum) {
		return span{}
	}
	e := runEnd(t, h.end, b64url, 35)
	if e-h.end != 34 || !endsToken(t, e, b64url) || isPlaceholderToken(t[h.end:e]) {
		return span{}
	}
	return span{start: s, end: e}
}

// discordWebhook matches discord(app).com/api/webhooks/<id>/<token>.
func discordWebhook(t []byte, h hit) span {
	start := urlStart(t, h.start)
	_, body, end := discordWebhookPath.matchAt(t, h.end)
	if end < 0 || isPlaceholderToken(t[body:end]) {
		return span{}
	}
	return span{start: start, end: end}
}

// discordBotTokenShape is a Discord bot token: the bot's user id in
// base64, a timestamp and an HMAC.
var discordBotTokenShape = token(
	lit("M", "N", "O"), run(b64url, 23, 27), lit("."), run(b64url, 6, 7), lit("."), run(b64url, 27, 40),
).withEdge(b64url | cDot)

// discordBotToken matches a bot token after "Bot " (Authorization header)
// or assigned to a key naming Discord.
func discordBotToken(t []byte, h hit) span {
	at := h.end
	if t[h.start] == 'B' {
		if !startsToken(t, h.start, alnum) {
			return span{}
		}
	} else {
		a, ok := findAssignment(t, h)
		if !ok {
			return span{}
		}
		at = a.valStart
	}
	_, _, end := discordBotTokenShape.matchAt(t, at)
	if end < 0 || isPlaceholderToken(t[at:end]) {
		return span{}
	}
	return span{start: at, end: end}
}

// teamsWebhook matches the Teams incoming-webhook and Workflows URLs
// around their host.
func teamsWebhook(t []byte, h hit) span {
	start := urlStart(t, h.start)
	if start == h.start && t[h.start] == '.' {
		return span{} // no host before the domain
	}
	end := urlEnd(t, h.end, 2048)
	u := t[start:end]
	switch t[h.end-1] {
	case '/': // webhook.office.com/webhookb2/, outlook.office.com/webhook/
		rest := t[h.end:end]
		at := indexOf(rest, "@")
		iw := indexOf(rest, "/IncomingWebhook/")
		if at < 8 || iw < at || len(rest)-iw < len("/IncomingWebhook/")+20 {
			return span{next: end}
		}
	default: // logic.azure.com, api.powerplatform.com
		sig := indexOf(u, "sig=")
		if indexOf(u, "/workflows/") < 0 || sig < 0 || end-(start+sig+4) < 20 {
			return span{next: end}
		}
	}
	return span{start: start, end: end}
}
