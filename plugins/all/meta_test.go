package all

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mcpgw/mcp-gateway/plugin"
)

// readmeSections are the headings every plugin README must have.
var readmeSections = []string{"## Name", "## Description", "## Configuration", "## Examples", "## Metrics"}

// TestEveryPluginDocumentedTestedAndOrdered keeps plugins honest: every
// registered plugin has a directory with a README (with the standard
// sections), tests and an entry in plugin.Order; every plugin directory is
// registered.
func TestEveryPluginDocumentedTestedAndOrdered(t *testing.T) {
	registered := plugin.Registered()
	for _, name := range registered {
		if plugin.Position(name) < 0 {
			t.Errorf("plugin %s has no entry in plugin/order.go", name)
		}
		dir := filepath.Join("..", name)
		readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
		if err != nil {
			t.Errorf("plugin %s: no README.md in plugins/%s", name, name)
			continue
		}
		for _, sec := range readmeSections {
			if !strings.Contains(string(readme), sec+"\n") {
				t.Errorf("plugin %s: README.md lacks a %q section", name, sec)
			}
		}
		tests, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
		if len(tests) == 0 {
			t.Errorf("plugin %s: no tests in plugins/%s", name, name)
		}
	}
	entries, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "all" || e.Name() == "internal" {
			continue
		}
		if !slices.Contains(registered, e.Name()) {
			t.Errorf("plugins/%s is not registered: import it in plugins/all/all.go and name it after its directory", e.Name())
		}
	}
}
