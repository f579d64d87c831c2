package backendauth

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"
)

// Every mcp.json example in the README decodes, and both grants are shown.
func TestReadmeExamples(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```json\n(.*?)```").FindAllSubmatch(b, -1)
	grants := make(map[string]bool)
	for i, m := range blocks {
		var file struct {
			MCPServers map[string]struct {
				OAuth json.RawMessage `json:"oauth"`
			} `json:"mcpServers"`
		}
		if err := json.Unmarshal(m[1], &file); err != nil {
			t.Fatalf("example %d: %v", i, err)
		}
		for name, srv := range file.MCPServers {
			cfg, err := Decode(srv.OAuth, "README.md", "mcpServers."+name+".oauth")
			if err != nil {
				t.Errorf("example %d: %v", i, err)
				continue
			}
			cfg.Name = name
			s, err := New(cfg, nil, nil)
			if err != nil {
				t.Errorf("example %d: %v", i, err)
				continue
			}
			grants[s.Grant()] = true
		}
	}
	if !grants[GrantClientCredentials] || !grants[GrantTokenExchange] {
		t.Errorf("README examples show grants %v, want both", grants)
	}
}
