package secrets

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
)

// ruleCase is a text holding exactly one secret, found by rule.
type ruleCase struct {
	rule   string
	text   string
	secret string // the exact span that must be reported
}

// value is a case whose text is the secret itself; contexts wrap it.
func value(rule, secret string) ruleCase { return ruleCase{rule: rule, text: secret, secret: secret} }

// in is a case whose secret sits inside a surrounding text.
func inText(rule, before, secret, after string) ruleCase {
	return ruleCase{rule: rule, text: before + secret + after, secret: secret}
}

// uuid returns a random lower-case UUID.
func (g *gen) uuid() string {
	return g.s(8, genHex) + "-" + g.s(4, genHex) + "-4" + g.s(3, genHex) + "-a" + g.s(3, genHex) + "-" + g.s(12, genHex)
}

// positiveCases returns at least one generated case per rule, built from
// the rule's published format.
func positiveCases(g *gen) []ruleCase {
	b64 := func(n int) string { return g.s(n, genB64) }
	b64url := func(n int) string { return g.mixed(n, genB64URL) }
	hex := func(n int) string { return g.mixed(n, genHex) }
	alnum := func(n int) string { return g.mixed(n, genAlnum) }
	pkcs8 := g.pem("PRIVATE KEY", 6)
	escaped := strings.ReplaceAll(g.pem("PRIVATE KEY", 5), "\n", `\n`)
	truncated := g.pem("RSA PRIVATE KEY", 4)
	truncated = truncated[:strings.LastIndex(truncated, "\n")]
	putty := "PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: deploy\nPublic-Lines: 2\n" +
		b64(64) + "\n" + b64(40) + "\nPrivate-Lines: 2\n" + b64(64) + "\n" + b64(24) + "\nPrivate-MAC: " + g.s(40, genHex)
	sasSig := url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(g.s(32, genAlnum))))
	teamsOffice := "https://contoso.webhook.office.com/webhookb2/" + g.uuid() + "@" + g.uuid() + "/IncomingWebhook/" +
		g.s(32, genHex) + "/" + g.uuid()
	teamsLogic := "https://prod-12.westus.logic.azure.com:443/workflows/" + g.s(32, genHex) +
		"/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=" + b64url(43)
	basicPW := g.mixed(14, genAlnum+"!#%^&*")
	return []ruleCase{
		value("github-pat", "ghp_"+alnum(36)),
		value("github-oauth", "gho_"+alnum(36)),
		value("github-app-token", "ghu_"+alnum(36)),
		value("github-app-token", "ghs_"+alnum(36)),
		value("github-refresh-token", "ghr_"+alnum(36)),
		value("github-refresh-token", "ghr_"+alnum(76)),
		value("github-fine-grained-pat", "github_pat_"+alnum(22)+"_"+alnum(59)),

		value("gitlab-pat", "glpat-"+b64url(20)),
		value("gitlab-pat", "glpat-"+b64url(44)+"."+g.s(2, genLowAlnm)+g.s(7, genLowAlnm)),
		value("gitlab-runner-token", "glrt-"+b64url(20)),
		value("gitlab-runner-token", "glrt-t1_"+b64url(30)+"."+g.s(9, genLowAlnm)),
		value("gitlab-deploy-token", "gldt-"+b64url(20)),
		value("gitlab-pipeline-trigger-token", "glptt-"+hex(40)),
		value("gitlab-oauth-app-secret", "gloas-"+b64url(64)),
		value("gitlab-ci-job-token", "glcbt-"+alnum(3)+"_"+b64url(20)),
		value("gitlab-incoming-mail-token", "glimt-"+b64url(25)),
		value("gitlab-agent-token", "glagent-"+b64url(50)),
		value("gitlab-scim-token", "glsoat-"+b64url(20)),
		value("gitlab-feature-flag-token", "glffct-"+b64url(20)),
		value("gitlab-feed-token", "glft-"+b64url(20)),
		value("gitlab-runner-registration-token", "GR1348941"+b64url(20)),
		inText("gitlab-session-cookie", "Cookie: _gitlab_session=", g.mixed(32, genLowAlnm), "; path=/"),

		value("slack-bot-token", "xoxb-"+g.s(11, genDigits)+"-"+g.s(12, genDigits)+"-"+alnum(24)),
		value("slack-bot-token", "xoxb-"+g.s(12, genDigits)+"-"+alnum(24)),
		value("slack-user-token", "xoxp-"+g.s(11, genDigits)+"-"+g.s(11, genDigits)+"-"+g.s(12, genDigits)+"-"+hex(32)),
		value("slack-config-token", "xoxe.xoxp-1-"+g.mixed(163, genUpAlnum)),
		value("slack-config-token", "xoxe-1-"+g.mixed(146, genUpAlnum)),
		value("slack-legacy-token", "xoxa-2-"+alnum(30)),
		value("slack-legacy-token", "xoxs-"+g.s(10, genDigits)+"-"+g.s(10, genDigits)+"-"+g.s(10, genDigits)+"-"+hex(64)),
		value("slack-app-token", "xapp-1-A"+g.s(10, genUpAlnum)+"-"+g.s(13, genDigits)+"-"+hex(64)),
		value("slack-webhook-url", "https://hooks.slack.com/services/T"+g.s(8, genUpAlnum)+"/B"+g.s(8, genUpAlnum)+"/"+alnum(24)),

		value("aws-access-key-id", "AKIA"+g.s(16, genB32)),
		value("aws-access-key-id", "ASIA"+g.s(16, genB32)),
		value("aws-access-key-id", "A3TX"+g.s(16, genB32)),
		inText("aws-secret-access-key", "aws_secret_access_key = ", g.mixed(40, genB64), "\n"),
		inText("aws-secret-access-key", `{"SecretAccessKey": "`, g.mixed(40, genB64), `"}`),
		inText("aws-secret-access-key", "AWS secret key: ", g.mixed(40, genB64), " (do not share)"),
		value("aws-session-token", "IQoJb3JpZ2luX2VjE"+b64(300)+"=="),
		value("aws-session-token", "IQoJb3JpZ2luX2VjEIz//////////wEa"+b64(280)),
		inText("aws-session-token-assigned", "AWS_SESSION_TOKEN=", b64(200), "\n"),
		value("aws-bedrock-api-key", "ABSK"+b64(120)),

		value("gcp-api-key", "AIza"+b64url(35)),
		value("google-oauth-client-secret", "GOCSPX-"+b64url(28)),
		value("google-oauth-access-token", "ya29."+b64url(150)),
		value("google-oauth-refresh-token", "1//0"+b64url(90)),
		value("gcp-fcm-server-key", "AAAA"+g.s(7, genB64URL)+":APA91b"+b64url(134)),
		// A trailing '.' before a space or the end of the text is taken
		// for a full stop, so the generated secrets end in another byte.
		value("azure-ad-client-secret", g.s(3, genWord+"~.")+"8Q~"+g.mixed(33, genWord+"~.-")+g.s(1, genAlnum)),
		inText("azure-storage-account-key", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=", g.mixed(86, genB64)+"==",
			";EndpointSuffix=core.windows.net"),
		inText("azure-shared-access-key",
			"Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=",
			g.mixed(43, genB64)+"=", ""),
		inText("azure-sas-token", "https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2025-01-01T00:00:00Z&spr=https&sig=",
			sasSig, ""),
		value("azure-devops-pat", alnum(76)+"AZDO"+alnum(4)),
		value("digitalocean-pat", "dop_v1_"+hex(64)),
		value("digitalocean-access-token", "doo_v1_"+hex(64)),
		value("digitalocean-refresh-token", "dor_v1_"+hex(64)),
		inText("cloudflare-api-token", "CLOUDFLARE_API_TOKEN=", b64url(40), ""),
		inText("cloudflare-global-api-key", "cloudflare_global_key: ", hex(37), ""),
		value("cloudflare-origin-ca-key", "v1.0-"+hex(24)+"-"+hex(146)),
		value("alibaba-access-key-id", "LTAI"+alnum(20)),
		inText("alibaba-secret-key", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=", alnum(30), ""),
		inText("heroku-api-key", "HEROKU_API_KEY=", g.uuid(), ""),
		value("heroku-api-key-v2", "HRKU-AA"+b64url(58)),
		value("vault-service-token", "hvs."+b64url(95)),
		value("vault-batch-token", "hvb."+b64url(150)),
		value("terraform-cloud-token", alnum(14)+".atlasv1."+b64url(67)),
		value("doppler-token", "dp.pt."+alnum(43)),
		value("doppler-token", "dp.st.dev."+alnum(40)),
		value("databricks-token", "dapi"+hex(32)),
		value("databricks-token", "dapi"+hex(32)+"-2"),
		value("pulumi-token", "pul-"+hex(40)),
		value("flyio-token", "fo1_"+b64url(43)),
		value("supabase-access-token", "sbp_"+hex(40)),
		value("planetscale-token", "pscale_tkn_"+g.s(42, genB64URL+".=")+g.s(1, genAlnum)),
		inText("azure-ad-client-secret", `"client_secret": "`, "abc8Q~"+g.mixed(30, genWord+"~.-")+"x.", `"`),

		value("openai-api-key", "sk-"+alnum(20)+openAIMarker+alnum(20)),
		value("openai-api-key", "sk-proj-"+b64url(74)+openAIMarker+b64url(74)),
		value("openai-api-key", "sk-svcacct-"+b64url(58)+openAIMarker+b64url(58)),
		value("anthropic-api-key", "sk-ant-api03-"+b64url(93)+"AA"),
		value("anthropic-admin-api-key", "sk-ant-admin01-"+b64url(93)+"AA"),
		value("huggingface-token", "hf_"+g.s(34, genAlpha)),
		value("huggingface-org-token", "api_org_"+g.s(34, genAlpha)),
		value("groq-api-key", "gsk_"+alnum(52)),
		value("perplexity-api-key", "pplx-"+alnum(48)),
		value("replicate-api-token", "r8_"+alnum(37)),
		value("xai-api-key", "xai-"+alnum(80)),
		value("openrouter-api-key", "sk-or-v1-"+hex(64)),
		value("langsmith-api-key", "lsv2_pt_"+hex(32)+"_"+hex(10)),
		inText("cohere-api-key", "COHERE_API_KEY=", alnum(40), ""),
		inText("mistral-api-key", "MISTRAL_API_KEY=", alnum(32), ""),

		value("stripe-secret-key", "sk_live_"+alnum(99)),
		value("stripe-secret-key", "sk_test_"+alnum(24)),
		value("stripe-restricted-key", "rk_live_"+alnum(99)),
		value("stripe-webhook-secret", "whsec_"+alnum(32)),
		value("square-access-token", "EAAA"+b64url(60)),
		value("square-access-token", "sq0atp-"+b64url(22)),
		value("square-oauth-secret", "sq0csp-"+b64url(43)),
		value("shopify-token", "shpat_"+hex(32)),
		value("shopify-token", "shpss_"+hex(32)),
		value("braintree-access-token", "access_token$production$"+g.mixed(16, genLowAlnm)+"$"+hex(32)),
		value("facebook-access-token", "EAAB"+alnum(150)),

		value("twilio-api-key", "SK"+hex(32)),
		value("twilio-account-sid", "AC"+hex(32)),
		inText("twilio-auth-token", "TWILIO_AUTH_TOKEN=", hex(32), ""),
		value("sendgrid-api-key", "SG."+b64url(22)+"."+b64url(43)),
		value("brevo-api-key", "xkeysib-"+hex(64)+"-"+alnum(16)),
		inText("mailgun-api-key", "MAILGUN_API_KEY=", "key-"+hex(32), ""),
		inText("mailgun-api-key", "mailgun_private_key: ", hex(32)+"-"+hex(8)+"-"+hex(8), ""),
		value("mailchimp-api-key", hex(32)+"-us14"),
		value("telegram-bot-token", g.s(10, genDigits)+":A"+b64url(34)),
		value("discord-webhook-url", "https://discord.com/api/webhooks/"+g.s(18, genDigits)+"/"+b64url(68)),
		inText("discord-bot-token", "Authorization: Bot ", "M"+b64url(25)+"."+b64url(6)+"."+b64url(38), ""),
		inText("discord-client-secret", "DISCORD_CLIENT_SECRET=", b64url(32), ""),
		value("microsoft-teams-webhook", teamsOffice),
		value("microsoft-teams-webhook", teamsLogic),

		value("npm-token", "npm_"+alnum(36)),
		value("pypi-token", "pypi-AgEIcHlwaS5vcmc"+b64url(70)),
		value("rubygems-api-key", "rubygems_"+hex(48)),
		value("nuget-api-key", "oy2"+g.mixed(43, genLowAlnm)),
		value("docker-hub-token", "dckr_pat_"+b64url(27)),
		value("artifactory-token", "AKCp"+alnum(69)),
		value("artifactory-token", "cmVmd"+alnum(59)),
		value("sonarqube-token", "squ_"+hex(40)),
		value("circleci-token", "CCIPAT_"+alnum(22)+"_"+hex(40)),
		value("infracost-api-token", "ico-"+alnum(32)),
		value("hubspot-private-app-token", "pat-na1-"+g.uuid()),
		value("notion-token", "ntn_"+g.s(11, genDigits)+alnum(35)),
		value("notion-token", "secret_"+alnum(43)),
		value("linear-api-key", "lin_api_"+alnum(40)),
		value("postman-api-key", "PMAK-"+hex(24)+"-"+hex(34)),
		value("grafana-cloud-token", "glc_"+b64(120)+"=="),
		value("grafana-service-account-token", "glsa_"+alnum(32)+"_"+hex(8)),
		value("grafana-api-key", "eyJrIjoi"+alnum(90)),
		value("new-relic-api-key", "NRAK-"+g.mixed(27, genUpAlnum)),
		value("sentry-token", "sntrys_eyJpYXQiOjE3MDAwMDAwMDAu"+b64(80)+"_"+b64(43)),
		value("sentry-token", "sntryu_"+hex(64)),
		inText("sentry-access-token", "SENTRY_AUTH_TOKEN=", hex(64), ""),
		inText("datadog-api-key", "DD_API_KEY=", hex(32), ""),
		inText("okta-api-token", "OKTA_API_TOKEN=", "00"+b64url(40), ""),
		inText("snyk-api-token", "SNYK_TOKEN=", g.uuid(), ""),
		value("atlassian-api-token", "ATATT3"+b64url(186)),
		value("bitbucket-app-password", "ATBB"+alnum(32)),
		value("onepassword-service-account-token", "ops_eyJ"+b64(300)),
		value("onepassword-secret-key", "A3-"+g.s(6, genUpAlnum)+"-"+g.s(11, genUpAlnum)+"-"+g.s(5, genUpAlnum)+"-"+
			g.s(5, genUpAlnum)+"-"+g.s(5, genUpAlnum)),
		value("mapbox-secret-token", "sk.eyJ1IjoiZm9vIiwiYSI6I"+b64url(20)+"."+b64url(22)),
		value("dropbox-access-token", "sl."+b64url(140)),

		value("private-key", pkcs8),
		value("private-key", g.pem("RSA PRIVATE KEY", 8)),
		value("private-key", g.pem("EC PRIVATE KEY", 3)),
		value("private-key", g.pem("OPENSSH PRIVATE KEY", 6)),
		value("private-key", g.pem("ENCRYPTED PRIVATE KEY", 6)),
		value("private-key", g.pem("PGP PRIVATE KEY BLOCK", 6)),
		inText("private-key", `{"type": "service_account", "private_key": "`, escaped, `\n", "client_email": "a@b.iam.gserviceaccount.com"}`),
		inText("private-key", "key material follows\n", truncated, "\n"),
		value("putty-private-key", putty),
		value("age-secret-key", g.ageKey()),
		value("jwt", g.jwt()),

		inText("connection-string-password", "postgres://app:", alnum(16), "@db.internal:5432/app"),
		inText("connection-string-password", "mongodb+srv://admin:", alnum(12), "@cluster0.ab1cd.mongodb.net/test"),
		inText("connection-string-password", "redis://:", alnum(20), "@cache:6379/0"),
		inText("connection-string-password", "amqp://guest:", alnum(10), "@mq:5672/"),
		inText("connection-string-password", "user:", alnum(12), "@tcp(127.0.0.1:3306)/db"),
		inText("bearer-token", "Authorization: Bearer ", g.mixed(40, genB64URL+".~"), ""),
		inText("basic-auth-credentials", "Authorization: Basic ", base64.StdEncoding.EncodeToString([]byte("alice:"+basicPW)), ""),
		inText("basic-auth-credentials", `{"auths": {"registry.example.com": {"auth": "`,
			base64.StdEncoding.EncodeToString([]byte("bob:"+basicPW)), `"}}}`),
		inText("generic-password", `DB_PASSWORD="`, g.mixed(14, genAlnum+"!#%^&*"), `"`),
		inText("generic-password", "<password>", g.mixed(12, genAlnum), "</password>"),
		inText("generic-password", "mysql --password ", g.mixed(12, genAlnum), " -h db"),
		inText("generic-secret", "client_secret: ", g.mixed(32, genAlnum), "\n"),
		inText("generic-api-key", `"x-api-key": "`, g.mixed(32, genAlnum), `"`),
		inText("generic-api-key", "Your API key: ", g.mixed(32, genAlnum), "\n"),
		inText("generic-token", "auth_token = '", g.mixed(40, genAlnum), "'"),
	}
}

// contexts are surroundings a bare secret must survive unchanged.
var contexts = []struct{ before, after string }{
	{"", ""},
	{`"`, `"`},
	{"'", "'"},
	{"token: ", "\n"},
	{`{"config": {"token": "`, `"}}`},
	{"curl -H \"X-Key: ", "\" https://api.example.org"},
	{"found in logs: value=", " (rotated?)"},
	{"(", ")"},
	{"`", "`"},
	{`{\"t\":\"`, `\"}`},
	{`line1\n`, `\nline3`},
	{"the key ", ". Please rotate it."},
}

// negativeCases are texts in which no secret may be found.
func negativeCases(g *gen) []string {
	return []string{
		// Too short, too long, wrong alphabet.
		"ghp_" + g.s(35, genAlnum),
		"ghp_" + g.s(37, genAlnum),
		"ghp_" + g.s(20, genAlnum) + "-" + g.s(15, genAlnum),
		"AKIA" + g.s(15, genB32),
		"AKIA" + g.s(16, genLower),
		"AKIA" + g.s(12, genB32) + "1890",
		"glpat-" + g.s(19, genB64URL),
		"xoxb-" + g.s(11, genDigits),
		"AIza" + g.s(34, genB64URL),
		"hf_" + g.s(33, genAlpha),
		"hf_" + g.s(30, genAlpha) + "1234",
		"SK" + g.s(32, genUpper),
		"npm_" + g.s(35, genAlnum),
		"dapi" + g.s(31, genHex),
		"sk_live_short",
		"sk-" + g.s(48, genAlnum), // no T3BlbkFJ marker
		"sk-ant-api03-" + g.s(93, genB64URL) + "BB",
		g.s(3, genAlnum) + "8Q~" + g.s(20, genAlnum),
		// Embedded in a longer word.
		"xghp_" + g.s(36, genAlnum),
		"ghp_" + g.s(36, genAlnum) + "x",
		"base64" + "AKIA" + g.s(16, genB32),
		"AKIA" + g.s(16, genB32) + "Z",
		"mySK" + g.s(32, genHex),
		// Placeholders and documented examples.
		"ghp_" + strings.Repeat("x", 36),
		"ghp_" + strings.Repeat("X", 36),
		"AKIA" + "IOSFODNN7EXAMPLE",
		"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY",
		"AKIAXXXXXXXXXXXXXXXX",
		"sk_test_" + "4eC39HqLyjWDarjtT1zdp7dc",
		"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ." +
			"SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
		"password=${DB_PASSWORD}",
		"password: <your-password>",
		"api_key = \"xxxxxxxxxxxxxxxx\"",
		"secret: changeme",
		"password=changeme123",
		"token: {{ .Values.token }}",
		"password = \"example-password-1\"",
		"api_key=%API_KEY%",
		"PASSWORD=$PASSWORD",
		"password: aaaaaaaaaaaaaa",
		"postgres://user:password@localhost/db",
		"postgres://user:${PGPASSWORD}@localhost/db",
		"mysql://root:@localhost/db",
		"const u = new URL('https://abc:xyz@example.com/path');",
		"amqp://guest:guest@localhost:5672/",
		"https://a:b@host.internal/",
		"cvs -d :pserver:anoncvs@sources.example.org:/cvs",
		"ghp_PersonalAccessToken" + "0124567890000000",
		"token: 'ghu_InstallationUserToServer" + "000000000000'",
		"const pass = value?.passphrase || passphrase;",
		"--pass-arg=asyncify-imports@env.await_promise_sync",
		`lastSignificantToken = "?InterpolationInTemplate";`,
		`progressToken: "progress-test-1"`,
		"PrivateKey: testRSA2048PrivateKey,",
		"secrets = byteorder.BEAppendUint16(secrets, 0)",
		"password = base64.StdEncoding.EncodeToString(pwd[:])",
		"case tokenAfterVariable.typ == itemSpace:",
		"groupname:password:GID:user_list",
		"--- PASS: TestVerboseSkip (0.00s)\nPASS\nok",
		"Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
		"-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
		"-----BEGIN RSA PRIVATE KEY-----\n<your key here>\n-----END RSA PRIVATE KEY-----",
		"Authorization: Bearer <token>",
		"Authorization: Bearer $GITHUB_TOKEN",
		"Authorization: Basic realm=\"api\"",
		// Words, identifiers, metadata keys.
		"Please do not share your password with anyone.",
		"The API key header is called X-Api-Key.",
		"Use AKIA-style keys only in the sandbox account (see docs).",
		"password_reset_url: https://example.org/reset?id=42",
		`"nextPageToken": "CiAKGjBpNDd2Nmp4NDAwNzAxMTY4NjcwNjQzOTExEgIIAQ"`,
		`"max_tokens": 4096, "tokenizer": "cl100k_base"`,
		`"token_type": "Bearer", "expires_in": 3599`,
		`"secretName": "prod-db-credentials-v2"`,
		`password = request.form["password"]`,
		`token = os.getenv("GITHUB_TOKEN")`,
		`const token = await getToken(ctx);`,
		`api_key = settings.API_KEY`,
		"func (c *Client) Token() (string, error) {",
		`secret_key_ref: {name: db, key: password}`,
		`"csrf_token": "a8f5f167f44f4964e6c998dee827110c"`,
		`"password_hint": "first pet + year 2019"`,
		"git checkout 9fceb02d0ae598e95dc970b74767f19372d61af8",
		"sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709",
		"UUID 123e4567-e89b-12d3-a456-426614174000 reserved.",
		"https://example.org/path?q=search&page=2#top",
		"ssh://git@github.com/acme/repo.git",
		"http://[::1]:8080/healthz",
		"en-us, de-de, fr-fr",
		"std::Array<int> a; foo::Abar;",
		"10:30:45 12345:ABCD",
		"the basic idea is simple",
		"Bearer authentication is described in RFC 6750",
	}
}

// describeCase names a case in failure messages.
func describeCase(c ruleCase) string { return fmt.Sprintf("%s in %q", c.rule, c.text) }
