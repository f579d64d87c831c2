package secrets

// openAIMarker is "OpenAI" in base64, embedded in the middle of every
// OpenAI API key.
const openAIMarker = "T3BlbkFJ"

// aiRules: model providers' API keys.
func aiRules() []*rule {
	endsAA := func(tok []byte) bool { return len(tok) > 2 && tok[len(tok)-2] == 'A' && tok[len(tok)-1] == 'A' }
	return []*rule{
		{
			id: "openai-api-key", label: "OPENAI_API_KEY", tier: tierStructured,
			description: "OpenAI API key: legacy sk- + 20 alphanumerics + T3BlbkFJ + 20 alphanumerics, or sk-proj-, " +
				"sk-svcacct-, sk-admin- + a base64url body holding T3BlbkFJ (or at least 100 characters).",
			triggers: []trigger{{text: "sk-"}},
			match:    openAIKey,
		},
		prefixed("anthropic-api-key", "ANTHROPIC_API_KEY",
			"Anthropic API key: sk-ant-api<2 digits>- + 80–120 base64url characters ending in AA (93 + AA today).",
			token(lit("sk-ant-api"), exactly(cDigit, 2), lit("-"), run(b64url, 80, 120)).withCheck(endsAA)),
		prefixed("anthropic-admin-api-key", "ANTHROPIC_ADMIN_API_KEY",
			"Anthropic Admin API key: sk-ant-admin<2 digits>- + 80–120 base64url characters ending in AA.",
			token(lit("sk-ant-admin"), exactly(cDigit, 2), lit("-"), run(b64url, 80, 120)).withCheck(endsAA)),
		prefixed("huggingface-token", "HUGGINGFACE_ACCESS_TOKEN",
			"Hugging Face user access token: hf_ + 34 ASCII letters.",
			token(lit("hf_"), exactly(alpha, 34)).withEdge(word)),
		prefixed("huggingface-org-token", "HUGGINGFACE_ORGANIZATION_TOKEN",
			"Hugging Face organization API token: api_org_ + 34 ASCII letters.",
			token(lit("api_org_"), exactly(alpha, 34)).withEdge(word)),
		prefixed("groq-api-key", "GROQ_API_KEY",
			"Groq API key: gsk_ + 52 alphanumerics.",
			token(lit("gsk_"), exactly(alnum, 52))),
		prefixed("perplexity-api-key", "PERPLEXITY_API_KEY",
			"Perplexity API key: pplx- + 48 alphanumerics.",
			token(lit("pplx-"), exactly(alnum, 48))),
		prefixed("replicate-api-token", "REPLICATE_API_TOKEN",
			"Replicate API token: r8_ + 37 alphanumerics.",
			token(lit("r8_"), exactly(alnum, 37))),
		prefixed("xai-api-key", "XAI_API_KEY",
			"xAI API key: xai- + 80 alphanumerics.",
			token(lit("xai-"), exactly(alnum, 80))),
		prefixed("openrouter-api-key", "OPENROUTER_API_KEY",
			"OpenRouter API key: sk-or-v1- + 64 hex digits.",
			token(lit("sk-or-v1-"), exactly(hexLower, 64))),
		prefixed("langsmith-api-key", "LANGSMITH_API_KEY",
			"LangSmith API key: lsv2_pt_ or lsv2_sk_ + 32 hex digits + '_' + 10 hex digits.",
			token(lit("lsv2_pt_", "lsv2_sk_"), exactly(hexLower, 32), lit("_"), exactly(hexLower, 10))),
		assigned("cohere-api-key", "COHERE_API_KEY",
			"Cohere API key: 40 alphanumerics assigned to a key naming Cohere (COHERE_API_KEY, CO_API_KEY).",
			[]string{"cohere", "co_api_key"}, nil,
			token(exactly(alnum, 40)).withCheck(hasLetterAndDigit)),
		assigned("mistral-api-key", "MISTRAL_API_KEY",
			"Mistral AI API key: 32 alphanumerics assigned to a key naming Mistral.",
			[]string{"mistral"}, nil,
			token(exactly(alnum, 32)).withCheck(hasLetterAndDigit)),
	}
}

// openAIKey matches the key families that start with sk-.
func openAIKey(t []byte, h hit) span {
	if !startsToken(t, h.start, b64url) {
		return span{}
	}
	e := runEnd(t, h.end, b64url, 512)
	if !endsToken(t, e, b64url) {
		return span{next: e}
	}
	body := t[h.end:e]
	for _, kind := range []string{"proj-", "svcacct-", "admin-"} {
		if !hasPrefixAt(body, 0, kind) {
			continue
		}
		rest := body[len(kind):]
		marked := len(rest) >= 40 && indexOf(rest, openAIMarker) >= 0
		if (marked || len(rest) >= 100) && hasLetterAndDigit(rest) && !isPlaceholderToken(rest) {
			return span{start: h.start, end: e}
		}
		return span{next: e}
	}
	if len(body) == 48 && hasPrefixAt(body, 20, openAIMarker) && allIn(body, alnum) && !isPlaceholderToken(body) {
		return span{start: h.start, end: e}
	}
	return span{next: e}
}

// indexOf returns the index of the first s in b, or -1.
func indexOf(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if b[i] == s[0] && hasPrefixAt(b, i, s) {
			return i
		}
	}
	return -1
}
