package secrets

import (
	"strings"
	"testing"

	"github.com/mcpgw/mcp-gateway/guard"
)

// denseSecretsText returns about n bytes of log-like lines, each holding a
// secret of a different kind.
func denseSecretsText(n int) string {
	g := newGen(99)
	var b strings.Builder
	for b.Len() < n {
		for _, c := range positiveCases(g) {
			b.WriteString("line: ")
			b.WriteString(c.text)
			b.WriteByte('\n')
		}
	}
	return b.String()[:n]
}

func benchmarkFind(b *testing.B, text string) {
	s, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	data := []byte(text)
	dst := make([]guard.Match, 0, 1024)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst = s.Find(data, dst[:0])
	}
}

func BenchmarkFindProse1KiB(b *testing.B)   { benchmarkFind(b, proseText(1<<10)) }
func BenchmarkFindJSON1KiB(b *testing.B)    { benchmarkFind(b, jsonText(1<<10)) }
func BenchmarkFindLogs64KiB(b *testing.B)   { benchmarkFind(b, logText(64<<10)) }
func BenchmarkFindSource64KiB(b *testing.B) { benchmarkFind(b, sourceText(64<<10)) }
func BenchmarkFindMixed1MiB(b *testing.B)   { benchmarkFind(b, mixedText(1<<20)) }
func BenchmarkFindDense64KiB(b *testing.B)  { benchmarkFind(b, denseSecretsText(64<<10)) }
