package secrets

// gitlabRules: GitLab's prefixed tokens (gl…-) and the session cookie.
func gitlabRules() []*rule {
	fixed := func(id, label, what, prefix string, body seg) *rule {
		return prefixed(id, label, what, token(lit(prefix), body))
	}
	b64x20 := exactly(b64url, 20)
	return []*rule{
		{
			id: "gitlab-pat", label: "GITLAB_PERSONAL_ACCESS_TOKEN", tier: tierStructured,
			description: "GitLab personal, project or group access token: glpat- + 20 base64url characters, " +
				"or the routable form glpat- + 27–300 base64url characters + '.' + 9 lower-case base36 characters.",
			triggers: []trigger{{text: "glpat-"}},
			match:    gitlabRoutable(20),
		},
		{
			id: "gitlab-runner-token", label: "GITLAB_RUNNER_TOKEN", tier: tierStructured,
			description: "GitLab runner authentication token: glrt- + 20 base64url characters, or the routable form " +
				"glrt-t<digit>_ + payload + '.' + 9 base36 characters.",
			triggers: []trigger{{text: "glrt-"}},
			match:    gitlabRoutable(20),
		},
		fixed("gitlab-deploy-token", "GITLAB_DEPLOY_TOKEN",
			"GitLab deploy token: gldt- + 20 base64url characters.", "gldt-", b64x20),
		fixed("gitlab-pipeline-trigger-token", "GITLAB_PIPELINE_TRIGGER_TOKEN",
			"GitLab pipeline trigger token: glptt- + 40 lower-case hex digits.", "glptt-", exactly(hexLower, 40)),
		fixed("gitlab-oauth-app-secret", "GITLAB_OAUTH_APP_SECRET",
			"GitLab OAuth application secret: gloas- + 64 base64url characters.", "gloas-", exactly(b64url, 64)),
		prefixed("gitlab-ci-job-token", "GITLAB_CI_JOB_TOKEN",
			"GitLab CI/CD job token: glcbt- + 1–5 alphanumerics + '_' + 20 base64url characters.",
			token(lit("glcbt-"), run(alnum, 1, 5), lit("_"), b64x20)),
		fixed("gitlab-incoming-mail-token", "GITLAB_INCOMING_MAIL_TOKEN",
			"GitLab incoming e-mail token: glimt- + 25 base64url characters.", "glimt-", exactly(b64url, 25)),
		fixed("gitlab-agent-token", "GITLAB_AGENT_TOKEN",
			"GitLab agent for Kubernetes token: glagent- + 50 base64url characters.", "glagent-", exactly(b64url, 50)),
		fixed("gitlab-scim-token", "GITLAB_SCIM_TOKEN",
			"GitLab SCIM OAuth token: glsoat- + 20 base64url characters.", "glsoat-", b64x20),
		fixed("gitlab-feature-flag-token", "GITLAB_FEATURE_FLAG_CLIENT_TOKEN",
			"GitLab feature-flag client token: glffct- + 20 base64url characters.", "glffct-", b64x20),
		fixed("gitlab-feed-token", "GITLAB_FEED_TOKEN",
			"GitLab feed token: glft- + 20 base64url characters.", "glft-", b64x20),
		fixed("gitlab-runner-registration-token", "GITLAB_RUNNER_REGISTRATION_TOKEN",
			"GitLab runner registration token: GR1348941 + 20 base64url characters.", "GR1348941", b64x20),
		prefixed("gitlab-session-cookie", "GITLAB_SESSION_COOKIE",
			"GitLab session cookie: the 32 alphanumerics after _gitlab_session= (only the value is reported).",
			token(lit("_gitlab_session="), exactly(alnum, 32)).withEdge(alnum).spanFrom(1)),
	}
}

// gitlabRoutable matches a GitLab token whose prefix is the hit: either
// classic (classicLen base64url characters) or routable (27–300 base64url
// characters, '.', 9 lower-case base36 characters).
func gitlabRoutable(classicLen int) matcher {
	return func(t []byte, h hit) span {
		if !startsToken(t, h.start, b64url) {
			return span{}
		}
		j := runEnd(t, h.end, b64url, 301)
		n := j - h.end
		if n == classicLen && endsToken(t, j, b64url) {
			if isPlaceholderToken(t[h.end:j]) {
				return span{next: j}
			}
			return span{start: h.start, end: j}
		}
		if n >= 27 && n <= 300 && j < len(t) && t[j] == '.' {
			k := runEnd(t, j+1, lowerAlnum, 10)
			if k-(j+1) == 9 && endsToken(t, k, b64url) && !isPlaceholderToken(t[h.end:j]) {
				return span{start: h.start, end: k}
			}
		}
		return span{next: j}
	}
}
