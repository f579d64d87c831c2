package secrets

// cloudRules: AWS, Google Cloud, Azure, and other infrastructure providers.
func cloudRules() []*rule {
	return []*rule{
		prefixedAny("aws-access-key-id", "AWS_ACCESS_KEY_ID",
			"AWS access key id: AKIA, ASIA, ABIA, ACCA or A3T + one upper-case alphanumeric, then 16 upper-case base32 characters.",
			token(lit("AKIA", "ASIA", "ABIA", "ACCA"), exactly(base32Upper, 16)).withEdge(alnum),
			token(lit("A3T"), exactly(upperAlnum, 1), exactly(base32Upper, 16)).withEdge(alnum)),
		assigned("aws-secret-access-key", "AWS_SECRET_ACCESS_KEY",
			"AWS secret access key: 40 base64 characters with both letter cases and entropy >= 4.2, assigned to a "+
				"key such as aws_secret_access_key or SecretAccessKey.",
			[]string{"secret_access_key", "secretaccesskey", "secret-access-key", "secret access key", "aws_secret", "aws-secret",
				"aws.secret", "awssecret", "aws secret"},
			nil,
			token(exactly(b64std, 40)).withEdge(b64pad).withCheck(func(tok []byte) bool {
				return countIn(tok, cUpper) > 0 && countIn(tok, cLower) > 0 && shannonEntropy(tok) >= 4.2
			})),
		prefixed("aws-session-token", "AWS_SESSION_TOKEN",
			"AWS STS session token: a base64 token starting with the STS serialisation header "+
				"(IQoJb3JpZ2lu…, FwoGZXIvYXdz…, FQoGZXIvYXdz…, AQoDYXdz…), at least 100 characters.",
			token(lit("IQoJb3JpZ2lu", "FwoGZXIvYXdz", "FQoGZXIvYXdz", "AQoDYXdz"), run(b64std, 88, 4096), run(cEquals, 0, 2)).
				withEdge(b64pad)),
		assigned("aws-session-token-assigned", "AWS_SESSION_TOKEN",
			"AWS session token assigned to aws_session_token, SessionToken or X-Amz-Security-Token: 100+ base64 characters.",
			[]string{"session_token", "sessiontoken", "session-token", "security_token", "security-token"},
			identContains("aws", "amz"),
			token(run(b64std, 100, 4096), run(cEquals, 0, 2)).withEdge(b64pad)),
		prefixed("aws-bedrock-api-key", "AWS_BEDROCK_API_KEY",
			"Amazon Bedrock long-term API key: ABSK + 109–269 base64 characters.",
			token(lit("ABSK"), run(b64std, 109, 269), run(cEquals, 0, 2)).withEdge(b64pad)),

		prefixed("gcp-api-key", "GCP_API_KEY",
			"Google Cloud / Firebase API key: AIza + 35 base64url characters.",
			token(lit("AIza"), exactly(b64url, 35))),
		prefixed("google-oauth-client-secret", "GOOGLE_OAUTH_CLIENT_SECRET",
			"Google OAuth client secret: GOCSPX- + 28 base64url characters.",
			token(lit("GOCSPX-"), exactly(b64url, 28))),
		prefixed("google-oauth-access-token", "GOOGLE_OAUTH_ACCESS_TOKEN",
			"Google OAuth access token: ya29. + 20–2048 base64url characters.",
			token(lit("ya29."), run(b64url, 20, 2048))),
		prefixed("google-oauth-refresh-token", "GOOGLE_OAUTH_REFRESH_TOKEN",
			"Google OAuth refresh token: 1//0 + 40–512 base64url characters.",
			token(lit("1//0"), run(b64url, 40, 512)).withCheck(hasLetterAndDigit)),
		{
			id: "gcp-fcm-server-key", label: "FIREBASE_CLOUD_MESSAGING_SERVER_KEY", tier: tierStructured,
			description: "Firebase Cloud Messaging legacy server key: AAAA + 7 base64url characters + ':APA91b' + 134+ base64url characters.",
			triggers:    []trigger{{text: ":APA91b"}},
			match: func(t []byte, h hit) span {
				s := h.start - 11
				if s < 0 || !hasPrefixAt(t, s, "AAAA") || !allIn(t[s+4:h.start], b64url) || !startsToken(t, s, b64url) {
					return span{}
				}
				e := runEnd(t, h.end, b64url, 512)
				if e-h.end < 120 || !endsToken(t, e, b64url) || isPlaceholderToken(t[h.end:e]) {
					return span{next: e}
				}
				return span{start: s, end: e}
			},
		},

		{
			id: "azure-ad-client-secret", label: "AZURE_CLIENT_SECRET", tier: tierStructured,
			description: "Microsoft Entra ID (Azure AD) client secret: 3 characters of [A-Za-z0-9_~.], a digit, 'Q~', " +
				"31–34 characters of [A-Za-z0-9_~.-], entropy >= 3.",
			triggers: []trigger{{text: "Q~"}},
			match:    azureClientSecret,
		},
		assigned("azure-storage-account-key", "AZURE_STORAGE_ACCOUNT_KEY",
			"Azure storage (or Cosmos DB) account key: 86 base64 characters + '==', as AccountKey= in a connection "+
				"string or assigned to a key naming Azure storage.",
			[]string{"accountkey", "account_key", "account-key", "storagekey", "storage_key", "storage-key", "azure_storage", "azurestorage"},
			nil,
			token(exactly(b64std, 86), lit("==")).withEdge(b64pad).withCheck(func(tok []byte) bool {
				return shannonEntropy(tok) >= 4.5
			})),
		assigned("azure-shared-access-key", "AZURE_SHARED_ACCESS_KEY",
			"Azure Service Bus / Event Hubs / IoT Hub shared access key: SharedAccessKey= + 43 base64 characters + '='.",
			[]string{"sharedaccesskey"},
			nil,
			token(exactly(b64std, 43), lit("=")).withEdge(b64pad).withCheck(func(tok []byte) bool {
				return shannonEntropy(tok) >= 4.0
			})),
		{
			id: "azure-sas-token", label: "AZURE_SAS_SIGNATURE", tier: tierStructured,
			description: "Azure shared access signature: the sig= value of a URL query that also has sv=<year>-…; only the signature is reported.",
			triggers:    []trigger{{text: "sig="}},
			match:       azureSASSignature,
		},
		{
			id: "azure-devops-pat", label: "AZURE_DEVOPS_PERSONAL_ACCESS_TOKEN", tier: tierStructured,
			description: "Azure DevOps personal access token (84-character format): 76 alphanumerics, 'AZDO', 4 alphanumerics.",
			triggers:    []trigger{{text: "AZDO"}},
			match: func(t []byte, h hit) span {
				s := h.start - 76
				if s < 0 || !allIn(t[s:h.start], alnum) || !startsToken(t, s, alnum) {
					return span{}
				}
				e := h.end + 4
				if e > len(t) || !allIn(t[h.end:e], alnum) || !endsToken(t, e, alnum) || isPlaceholderToken(t[s:h.start]) {
					return span{}
				}
				return span{start: s, end: e}
			},
		},

		prefixed("digitalocean-pat", "DIGITALOCEAN_PERSONAL_ACCESS_TOKEN",
			"DigitalOcean personal access token: dop_v1_ + 64 hex digits.",
			token(lit("dop_v1_"), exactly(hexLower, 64))),
		prefixed("digitalocean-access-token", "DIGITALOCEAN_OAUTH_TOKEN",
			"DigitalOcean OAuth access token: doo_v1_ + 64 hex digits.",
			token(lit("doo_v1_"), exactly(hexLower, 64))),
		prefixed("digitalocean-refresh-token", "DIGITALOCEAN_REFRESH_TOKEN",
			"DigitalOcean OAuth refresh token: dor_v1_ + 64 hex digits.",
			token(lit("dor_v1_"), exactly(hexLower, 64))),

		assigned("cloudflare-api-token", "CLOUDFLARE_API_TOKEN",
			"Cloudflare API token: 40 base64url characters assigned to a key naming Cloudflare (cloudflare_api_token, CF_API_TOKEN).",
			[]string{"cloudflare", "cf_api", "cf-api", "cf_token", "cf_account_api"}, nil,
			token(exactly(b64url, 40)).withCheck(hasLetterAndDigit)),
		assigned("cloudflare-global-api-key", "CLOUDFLARE_GLOBAL_API_KEY",
			"Cloudflare global API key: 37 lower-case hex digits assigned to a key naming Cloudflare.",
			[]string{"cloudflare", "cf_api", "cf-api", "cf_auth", "cf_key"}, nil,
			token(exactly(hexLower, 37))),
		prefixed("cloudflare-origin-ca-key", "CLOUDFLARE_ORIGIN_CA_KEY",
			"Cloudflare Origin CA key: v1.0- + 24 hex + '-' + 146 hex digits.",
			token(lit("v1.0-"), exactly(hexLower, 24), lit("-"), exactly(hexLower, 146))),

		prefixed("alibaba-access-key-id", "ALIBABA_ACCESS_KEY_ID",
			"Alibaba Cloud AccessKey id: LTAI + 12–20 alphanumerics.",
			token(lit("LTAI"), run(alnum, 12, 20)).withCheck(func(tok []byte) bool {
				n := len(tok) - 4
				return (n == 12 || n == 16 || n == 20) && hasLetterAndDigit(tok[4:])
			})),
		assigned("alibaba-secret-key", "ALIBABA_ACCESS_KEY_SECRET",
			"Alibaba Cloud AccessKey secret: 30 alphanumerics assigned to a key naming Alibaba/Aliyun or AccessKeySecret.",
			[]string{"alibaba", "aliyun", "accesskeysecret", "access_key_secret"}, nil,
			token(exactly(alnum, 30)).withCheck(hasLetterAndDigit)),

		assigned("heroku-api-key", "HEROKU_API_KEY",
			"Heroku API key: a UUID assigned to a key naming Heroku.",
			[]string{"heroku"}, nil, uuidShape),
		prefixed("heroku-api-key-v2", "HEROKU_API_KEY",
			"Heroku API key (current format): HRKU-AA + 58 base64url characters.",
			token(lit("HRKU-AA"), exactly(b64url, 58))),

		prefixed("vault-service-token", "VAULT_SERVICE_TOKEN",
			"HashiCorp Vault service token: hvs. + 90–120 base64url characters.",
			token(lit("hvs."), run(b64url, 90, 120))),
		prefixed("vault-batch-token", "VAULT_BATCH_TOKEN",
			"HashiCorp Vault batch token: hvb. + 138–300 base64url characters.",
			token(lit("hvb."), run(b64url, 138, 300))),
		{
			id: "terraform-cloud-token", label: "TERRAFORM_CLOUD_API_TOKEN", tier: tierStructured,
			description: "Terraform Cloud / Enterprise API token: 14 alphanumerics + '.atlasv1.' + 60–70 base64url or '=' characters.",
			triggers:    []trigger{{text: ".atlasv1."}},
			match: func(t []byte, h hit) span {
				s := h.start - 14
				if s < 0 || !allIn(t[s:h.start], alnum) || !startsToken(t, s, alnum) {
					return span{}
				}
				e := runEnd(t, h.end, b64url|cEquals, 71)
				if n := e - h.end; n < 60 || n > 70 || !endsToken(t, e, b64url|cEquals) || isPlaceholderToken(t[h.end:e]) {
					return span{next: e}
				}
				return span{start: s, end: e}
			},
		},
		prefixedAny("doppler-token", "DOPPLER_TOKEN",
			"Doppler token: dp.pt. (personal), dp.st.[config.] (service), dp.ct. (CLI), dp.sa. (service account), "+
				"dp.scim. or dp.audit. + 40–44 alphanumerics.",
			token(lit("dp.pt.", "dp.ct.", "dp.sa.", "dp.scim.", "dp.audit."), run(alnum, 40, 44)),
			token(lit("dp.st."), run(alnum, 40, 44)),
			token(lit("dp.st."), run(lowerAlnum|cDash|cUnderscore, 1, 35), lit("."), run(alnum, 40, 44)),
		),
		prefixedAny("databricks-token", "DATABRICKS_TOKEN",
			"Databricks personal access token: dapi + 32 hex digits, optionally followed by -<digit>.",
			token(lit("dapi"), exactly(hexLower, 32), lit("-"), exactly(cDigit, 1)).withEdge(alnum),
			token(lit("dapi"), exactly(hexLower, 32)).withEdge(alnum|cUnderscore)),
		prefixed("pulumi-token", "PULUMI_ACCESS_TOKEN",
			"Pulumi access token: pul- + 40 hex digits.",
			token(lit("pul-"), exactly(hexLower, 40))),
		prefixedAny("flyio-token", "FLYIO_ACCESS_TOKEN",
			"Fly.io access token: fo1_ + 43 base64url characters, or fm1a_/fm1r_/fm2_ + 100+ base64 characters.",
			token(lit("fo1_"), exactly(b64url, 43)),
			token(lit("fm1a_", "fm1r_", "fm2_"), run(b64std, 100, 4096), run(cEquals, 0, 3)).withEdge(b64pad)),
		prefixed("supabase-access-token", "SUPABASE_ACCESS_TOKEN",
			"Supabase personal access token: sbp_ + 40 hex digits.",
			token(lit("sbp_"), exactly(hexLower, 40))),
		prefixed("planetscale-token", "PLANETSCALE_TOKEN",
			"PlanetScale service token, password or OAuth token: pscale_tkn_/pscale_pw_/pscale_oauth_ + 32–64 characters of [\\w.=-].",
			token(lit("pscale_tkn_", "pscale_pw_", "pscale_oauth_"), run(b64url|cDot|cEquals, 32, 64))),
	}
}

// azureClientSecret matches an Entra ID client secret around its "Q~"
// marker: xxxdQ~ and 31–34 more characters.
func azureClientSecret(t []byte, h hit) span {
	const head = word | cTilde | cDot
	const tail = head | cDash
	s := h.start - 4
	if s < 0 || !in(t[h.start-1], cDigit) || !allIn(t[s:h.start-1], head) || !startsToken(t, s, tail) {
		return span{}
	}
	e := runEnd(t, h.end, tail, 35)
	if !endsToken(t, e, tail) {
		return span{next: e}
	}
	e = trimFullStops(t, h.end, e, 34)
	if n := e - h.end; n < 31 || n > 34 {
		return span{next: e}
	}
	if shannonEntropy(t[s:e]) < 3 || isPlaceholderToken(t[h.end:e]) {
		return span{next: e}
	}
	return span{start: s, end: e}
}

// azureSASSignature matches the sig= parameter of an Azure SAS URL or
// token: it must follow ? or &, and an sv=<year>-… parameter must come
// before it in the same query.
func azureSASSignature(t []byte, h hit) span {
	if h.start == 0 || (t[h.start-1] != '&' && t[h.start-1] != '?') {
		return span{}
	}
	q := runStart(t, h.start, urlChars, 1024)
	query := t[q:h.start]
	if !(containsFold(query, "?sv=20") || containsFold(query, "&sv=20") || hasPrefixFold(query, 0, "sv=20")) {
		return span{}
	}
	e := runEnd(t, h.end, alnum|cPercent|cPlus|cSlash|cEquals, 200)
	sig := t[h.end:e]
	if len(sig) < 40 || !endsToken(t, e, alnum|cPercent|cPlus|cSlash|cEquals) || isPlaceholderToken(sig) {
		return span{next: e}
	}
	return span{start: h.end, end: e}
}
