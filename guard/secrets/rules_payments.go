package secrets

// paymentRules: payment and commerce platforms.
func paymentRules() []*rule {
	return []*rule{
		prefixed("stripe-secret-key", "STRIPE_SECRET_KEY",
			"Stripe secret key: sk_live_, sk_test_ or sk_prod_ + 16–247 alphanumerics.",
			token(lit("sk_live_", "sk_test_", "sk_prod_"), run(alnum, 16, 247)).withCheck(func(tok []byte) bool {
				return hasLetterAndDigit(tok[8:])
			})),
		prefixed("stripe-restricted-key", "STRIPE_RESTRICTED_KEY",
			"Stripe restricted key: rk_live_, rk_test_ or rk_prod_ + 16–247 alphanumerics.",
			token(lit("rk_live_", "rk_test_", "rk_prod_"), run(alnum, 16, 247)).withCheck(func(tok []byte) bool {
				return hasLetterAndDigit(tok[8:])
			})),
		prefixed("stripe-webhook-secret", "STRIPE_WEBHOOK_SECRET",
			"Stripe webhook signing secret: whsec_ + 32–64 alphanumerics.",
			token(lit("whsec_"), run(alnum, 32, 64)).withCheck(func(tok []byte) bool {
				return hasLetterAndDigit(tok[6:])
			})),
		prefixedAny("square-access-token", "SQUARE_ACCESS_TOKEN",
			"Square access token: EAAA + 60 base64url characters, or the legacy sq0atp- + 22 base64url characters.",
			token(lit("EAAA"), exactly(b64url, 60)),
			token(lit("sq0atp-"), exactly(b64url, 22))),
		prefixed("square-oauth-secret", "SQUARE_OAUTH_SECRET",
			"Square OAuth application secret: sq0csp- + 43 base64url characters.",
			token(lit("sq0csp-"), exactly(b64url, 43))),
		prefixed("shopify-token", "SHOPIFY_TOKEN",
			"Shopify access token (shpat_), custom-app token (shpca_), private-app password (shppa_) or shared secret (shpss_): prefix + 32 hex digits.",
			token(lit("shpat_", "shpca_", "shppa_", "shpss_"), exactly(hexAny, 32))),
		prefixed("braintree-access-token", "BRAINTREE_ACCESS_TOKEN",
			"Braintree / PayPal access token: access_token$production$ or access_token$sandbox$ + 16 base36 + '$' + 32 hex digits.",
			token(lit("access_token$production$", "access_token$sandbox$"), exactly(lowerAlnum, 16), lit("$"), exactly(hexLower, 32))),
		prefixed("facebook-access-token", "FACEBOOK_ACCESS_TOKEN",
			"Facebook / Meta Graph API access token: EAA + an upper-case letter or digit + 90–400 alphanumerics.",
			token(lit("EAA"), exactly(upperAlnum, 1), run(alnum, 90, 400)).withEdge(word|b64std).withCheck(func(tok []byte) bool {
				return indexOf(tok[3:], "AAAAAA") < 0 // zero bytes in a base64 blob, not a token
			})),
	}
}
