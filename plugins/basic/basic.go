// Package basic is the secrets guardrail: it masks (or blocks, or
// reports) API keys, tokens, private keys and passwords in tool and
// prompt arguments on the way in and in tool results, resource contents
// and prompt messages on the way out, with the rules of guard/secrets.
package basic

import (
	"encoding/json"
	"fmt"

	"github.com/mcpgw/mcp-gateway/guard"
	"github.com/mcpgw/mcp-gateway/guard/secrets"
	"github.com/mcpgw/mcp-gateway/plugin"
	"github.com/mcpgw/mcp-gateway/plugins/internal/contentguard"
)

// Name is the plugin's name.
const Name = "basic"

func init() {
	plugin.Register(plugin.Spec{Name: Name, New: New})
}

// Config is gateway.plugins.basic and each per-server override.
type Config struct {
	contentguard.Settings
	// Rules enables only these rule ids (default: all); Disable turns
	// rules off; Allow lists values never reported.
	Rules   []string `json:"rules"`
	Disable []string `json:"disable"`
	Allow   []string `json:"allow"`
}

// New builds the plugin.
func New(raw json.RawMessage, env plugin.Env) (plugin.Handler, error) {
	return contentguard.New(Name, raw, env, secrets.RuleIDs(), func(server string, sec *contentguard.Section) (guard.Detector, contentguard.Settings, error) {
		var cfg Config
		if err := sec.Decode(server, &cfg); err != nil {
			return nil, cfg.Settings, err
		}
		s, err := secrets.New(secrets.Options{Rules: cfg.Rules, Disable: cfg.Disable, Allow: cfg.Allow})
		if err != nil {
			return nil, cfg.Settings, fmt.Errorf("%s: %w", sec.Where(server), err)
		}
		return s, cfg.Settings, nil
	})
}
