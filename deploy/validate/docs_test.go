package validate

import (
	"regexp"
	"strings"
	"sync"
	"testing"
)

var (
	docsOnce sync.Once
	docsText string
	docsErr  error
)

func deploymentDoc(t *testing.T) string {
	t.Helper()
	docsOnce.Do(func() {
		var b []byte
		b, docsErr = readFileErr(docsPath)
		docsText = string(b)
	})
	if docsErr != nil {
		t.Fatalf("docs/deployment.md: %v", docsErr)
	}
	return docsText
}

var headingLine = regexp.MustCompile(`(?m)^#{1,6}\s+(.+?)\s*#*\s*$`)

// docAnchors returns the anchors GitHub gives the headings of
// docs/deployment.md: lower case, punctuation dropped, spaces as "-".
func docAnchors(t *testing.T) map[string]bool {
	t.Helper()
	anchors := map[string]bool{}
	for _, m := range headingLine.FindAllStringSubmatch(deploymentDoc(t), -1) {
		anchors[githubAnchor(m[1])] = true
	}
	return anchors
}

func githubAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestDocsCommands checks that the deployment guide gives the commands
// these files are used with.
func TestDocsCommands(t *testing.T) {
	doc := deploymentDoc(t)
	for _, cmd := range []string{
		"docker build -f deploy/Dockerfile",
		"--target distroless",
		"kubectl apply -k deploy/kubernetes",
		"cd deploy/validate && go test ./...",
		"deploy/grafana/mcp-gateway.json",
		"deploy/prometheus/alerts.yml",
		"deploy/systemd/mcp-gateway.service",
		"systemctl enable --now mcp-gateway",
		"sessionAffinity",
	} {
		if !strings.Contains(doc, cmd) {
			t.Errorf("docs/deployment.md does not mention %q", cmd)
		}
	}
}

func TestGithubAnchor(t *testing.T) {
	for in, want := range map[string]string{
		"MCPGatewayBackendDown":         "mcpgatewaybackenddown",
		"Run with Docker":               "run-with-docker",
		"Kubernetes: secrets, affinity": "kubernetes-secrets-affinity",
	} {
		if got := githubAnchor(in); got != want {
			t.Errorf("githubAnchor(%q) = %q, want %q", in, got, want)
		}
	}
}
