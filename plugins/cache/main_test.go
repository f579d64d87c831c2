package cache

import (
	"testing"

	"github.com/mcpgw/mcp-gateway/internal/testredis"
)

func TestMain(m *testing.M) { testredis.Main(m) }
