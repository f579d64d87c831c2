package secrets

// githubRules: GitHub's token formats, each a three-letter prefix and an
// underscore (ghp_, gho_, ghu_, ghs_, ghr_) and 36 base62 characters, or
// github_pat_ and 82 word characters.
func githubRules() []*rule {
	base62x36 := exactly(alnum, 36)
	return []*rule{
		prefixed("github-pat", "GITHUB_PERSONAL_ACCESS_TOKEN",
			"GitHub classic personal access token: ghp_ + 36 base62 characters, standing alone.",
			token(lit("ghp_"), base62x36)),
		prefixed("github-oauth", "GITHUB_OAUTH_TOKEN",
			"GitHub OAuth access token: gho_ + 36 base62 characters.",
			token(lit("gho_"), base62x36)),
		prefixed("github-app-token", "GITHUB_APP_TOKEN",
			"GitHub App user-to-server (ghu_) or installation (ghs_) token: prefix + 36 base62 characters.",
			token(lit("ghu_", "ghs_"), base62x36)),
		prefixed("github-refresh-token", "GITHUB_REFRESH_TOKEN",
			"GitHub App refresh token: ghr_ + 36 (current) or 76 (older) base62 characters.",
			token(lit("ghr_"), run(alnum, 36, 76)).withCheck(func(tok []byte) bool {
				n := len(tok) - len("ghr_")
				return n == 36 || n == 76
			})),
		prefixed("github-fine-grained-pat", "GITHUB_FINE_GRAINED_PERSONAL_ACCESS_TOKEN",
			"GitHub fine-grained personal access token: github_pat_ + 82 word characters.",
			token(lit("github_pat_"), exactly(word, 82))),
	}
}
