package pii

import (
	"strings"
	"testing"
)

func TestPerson(t *testing.T) {
	d := only(t, "PERSON")
	for _, tc := range []struct{ text, name string }{
		{"I met John Smith yesterday.", "John Smith"},
		{"Signed, Maria Garcia", "Maria Garcia"},
		{"Dr. Smith will see you", "Smith"},
		{"Ms Jane Doe called", "Jane Doe"},
		{"Prof. Ada Lovelace wrote it", "Ada Lovelace"},
		{"John F. Kennedy spoke", "John F. Kennedy"},
		{"Mary Ann Evans wrote", "Mary Ann Evans"},
		{"from Sean O'Brien today", "Sean O'Brien"},
		{"cc Anna Smith-Jones", "Anna Smith-Jones"},
		{"Ronald McDonald's", "Ronald McDonald"},
		{"Jürgen Müller", ""}, // non-ASCII given names are not in the gazetteer
		{"Karl Müller arrived", "Karl Müller"},
		{"patient: Grace Hopper", "Grace Hopper"}, // ambiguous given name, with context
		{"Grace Hopper", ""},                      // ambiguous without context
		{"Mr. Mark Twain", "Mark Twain"},
	} {
		if tc.name == "" {
			expect(t, d, tc.text)
		} else {
			expect(t, d, tc.text, hit{"PERSON", tc.name})
		}
	}
	for _, text := range []string{
		"The Quick Brown Fox", "John said hello", "john smith", "JOHN SMITH", "JohnSmith",
		"Victoria Station", "Lincoln Center", "Paul Street", "Mark Complete", "Will Power",
		"Austin Texas", "Ruby Gems", "Julia Language", "Hugo Themes", "Jasmine Tests",
		"Claude Code", "clients (Claude Desktop, Cursor)", "John The", "Anna Monday", "class JohnSmith extends Base", "x.John Smith",
	} {
		expect(t, d, text)
	}
}

// TestPersonPrecision: capitalised prose without people yields nothing.
func TestPersonPrecision(t *testing.T) {
	d := only(t, "PERSON")
	prose := strings.Join([]string{
		"Getting Started With The Gateway. Install Go and run the Server.",
		"The New York Times reported that Apple Inc released a new Version.",
		"Use Visual Studio Code or JetBrains GoLand. Docker Compose starts Postgres and Redis.",
		"Welcome to Paris, France. Visit the Eiffel Tower and the Louvre Museum.",
		"Monday, January 5: Team Meeting at the Main Office. Bring the Quarterly Report.",
		"Amazon Web Services, Google Cloud Platform and Microsoft Azure are supported.",
		"Read the Terms of Service and the Privacy Policy before using the API.",
	}, "\n")
	expect(t, d, prose)
}
