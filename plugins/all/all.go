// Package all links every built plugin into the binary. Each plugin lives
// in its own directory under plugins/ and registers itself with
// plugin.Register in an init function; adding a plugin is one new
// directory, one entry in plugin/order.go and one import line here.
package all

import (
	_ "github.com/mcpgw/mcp-gateway/plugins/authz"
	_ "github.com/mcpgw/mcp-gateway/plugins/basic"
	_ "github.com/mcpgw/mcp-gateway/plugins/cache"
	_ "github.com/mcpgw/mcp-gateway/plugins/injection"
	_ "github.com/mcpgw/mcp-gateway/plugins/lasso"
	_ "github.com/mcpgw/mcp-gateway/plugins/pinning"
	_ "github.com/mcpgw/mcp-gateway/plugins/presidio"
	_ "github.com/mcpgw/mcp-gateway/plugins/ratelimit"
	_ "github.com/mcpgw/mcp-gateway/plugins/xetrack"
)
