package pii

import "testing"

func TestEmail(t *testing.T) {
	d := only(t, "EMAIL_ADDRESS")
	for _, e := range []string{
		"jane.doe@example.com", "j@example.org", "first.last+tag@sub.example.co.uk",
		"user_name-1%x@example-host.io", "UPPER@EXAMPLE.COM", "x@xn--80ak6aa92e.com",
		"a1b2@mail.test", "o.reilly@corp.example",
	} {
		for _, f := range []string{"%s", `{"owner": "%s"}`, "mailto:%s", "<%s>", "(%s).", "contact: %s, thanks", "to=%s&x=1"} {
			text := sprintf(f, e)
			expect(t, d, text, hit{"EMAIL_ADDRESS", e})
		}
	}
	expect(t, d, "...jane@example.com", hit{"EMAIL_ADDRESS", "jane@example.com"})
	for _, text := range []string{
		"@example.com", "jane@", "jane@localhost", "jane@example", "jane.@example.com", "ja..ne@example.com",
		"jane@-example.com", "jane@example-.com", "jane@example.c", "jane@example.123", "jane@10.0.0.1",
		"icon@2x.png", "lodash@4.17.21", "actions/checkout@v4", "@types/node", "a@b", "jane@exa_mple.com",
		"user@example.com_x",
	} {
		expect(t, d, text)
	}
}
