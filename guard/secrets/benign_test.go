package secrets

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// benignToolOutputs returns texts shaped like what tools hand back to a
// model — listings, logs, lock files, hashes, encoded blobs — none of
// which holds a credential.
func benignToolOutputs(g *gen) map[string]string {
	var lock, sums, blob strings.Builder
	for i := 0; i < 40; i++ {
		h := sha512.Sum512([]byte(g.s(20, genAlnum)))
		fmt.Fprintf(&lock, "    \"node_modules/pkg-%d\": {\n      \"version\": \"1.%d.0\",\n      \"resolved\": \"https://registry.npmjs.org/pkg-%d/-/pkg-%d-1.%d.0.tgz\",\n      \"integrity\": \"sha512-%s\"\n    },\n",
			i, i, i, i, i, base64.StdEncoding.EncodeToString(h[:]))
		s := sha256.Sum256([]byte(g.s(20, genAlnum)))
		fmt.Fprintf(&sums, "github.com/acme/mod%d v0.%d.1 h1:%s\n", i, i, base64.StdEncoding.EncodeToString(s[:]))
	}
	raw := make([]byte, 6000)
	for i := range raw {
		raw[i] = byte(g.r.IntN(256))
	}
	blob.WriteString("![chart](data:image/png;base64," + base64.StdEncoding.EncodeToString(raw) + ")")
	sha := sha256.Sum256([]byte("x"))
	return map[string]string{
		"git log":      "commit 9fceb02d0ae598e95dc970b74767f19372d61af8\nAuthor: Dev Person <dev@example.org>\nDate:   Tue Mar 4 10:12:01 2025 +0100\n\n    Rotate the token cache every hour; pass the password policy tests\n\ncommit " + hex.EncodeToString(sha[:20]) + "\nMerge: 1a2b3c4 5d6e7f8\n",
		"ls -la":       "total 48\ndrwxr-xr-x  6 dev dev 4096 Mar  4 10:12 .\n-rw-r--r--  1 dev dev  220 Mar  4 10:12 .env.example\n-rw-------  1 dev dev 1675 Mar  4 10:12 id_rsa\n-rw-r--r--  1 dev dev  398 Mar  4 10:12 id_rsa.pub\n-rw-r--r--  1 dev dev 1024 Mar  4 10:12 secrets.yaml.tpl\n",
		"kubectl":      "NAME                          READY   STATUS    RESTARTS   AGE\napi-7d9f8b6c5d-x2k9p          1/1     Running   0          5d\nworker-5c6d7e8f9a-qw3er       1/1     Running   2          5d\nNAME                  TYPE                                  DATA   AGE\ndb-credentials        Opaque                                2      12d\ndefault-token-abcde   kubernetes.io/service-account-token   3      90d\n",
		"docker ps":    "CONTAINER ID   IMAGE                 COMMAND                  CREATED       STATUS       PORTS                    NAMES\n3f4e5d6c7b8a   postgres:16-alpine    \"docker-entrypoint.s…\"   2 hours ago   Up 2 hours   0.0.0.0:5432->5432/tcp   db\n",
		"traceback":    "Traceback (most recent call last):\n  File \"/app/auth.py\", line 42, in get_token\n    token = client.fetch_token(url=TOKEN_URL, client_secret=settings.CLIENT_SECRET)\nKeyError: 'CLIENT_SECRET'\n",
		"go test":      "=== RUN   TestLogin\n--- PASS: TestLogin (0.01s)\n=== RUN   TestTokenRefresh\n--- FAIL: TestTokenRefresh (0.02s)\n    auth_test.go:88: token expired: want refresh, got 401\nFAIL\nexit status 1\nFAIL\tgithub.com/acme/auth\t0.031s\n",
		"http headers": "HTTP/2 200\ncontent-type: application/json; charset=utf-8\netag: W/\"5e8f-1b2c3d4e5f6a7b8c9d0e\"\nx-ratelimit-remaining: 4999\nx-github-request-id: C0DE:1F2E:3D4C5B:6A7988:65F1A2B3\nset-cookie: _octo=GH1.1.123456789.1700000000; Path=/; Secure\nstrict-transport-security: max-age=31536000\n",
		"sql":          " id | email               | password_hash | created_at\n----+---------------------+---------------+---------------------\n  1 | ana@example.org     | (redacted)    | 2025-01-02 10:00:00\n  2 | bo@example.org      | (redacted)    | 2025-01-03 11:30:00\n(2 rows)\n",
		"csv":          "date,region,requests,errors,p99_ms\n2025-03-01,eu-west-1,1203344,12,184\n2025-03-02,us-east-1,2209811,31,201\n",
		"markdown":     "## Configuration\n\nSet `GITHUB_TOKEN` in your environment (see [tokens](https://docs.example.org/tokens)).\nThe `password` field is optional; leave it empty to use SSO. Secrets are read from Vault at startup.\n\n| key | meaning |\n|---|---|\n| api_key | your API key, from the dashboard |\n| token_ttl | token lifetime in seconds |\n",
		"terraform":    "  # aws_iam_access_key.ci will be created\n  + resource \"aws_iam_access_key\" \"ci\" {\n      + id                             = (known after apply)\n      + secret                         = (sensitive value)\n      + ses_smtp_password_v4           = (sensitive value)\n      + user                           = \"ci\"\n    }\n",
		"env example":  "DATABASE_URL=postgres://app:${DB_PASSWORD}@db:5432/app\nREDIS_URL=redis://cache:6379/0\nSECRET_KEY=\nAPI_KEY=<your-api-key>\nJWT_SECRET=change-me\nSTRIPE_KEY=sk_test_xxxxxxxxxxxxxxxxxxxxxxxx\n",
		"mcp":          `{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"Created issue #42"}],"_meta":{"progressToken":"c2f1e0d9-8b7a-4c6d-9e5f-1a2b3c4d5e6f"},"nextCursor":"eyJwYWdlIjoyfQ"}}`,
		"package-lock": lock.String(),
		"go.sum":       sums.String(),
		"data uri":     blob.String(),
		"uuids":        "request " + g.uuid() + " trace " + g.uuid() + " span " + g.s(16, genHex),
		"hashes":       "sha256:" + hex.EncodeToString(sha[:]) + "\nmd5 " + g.s(32, genHex) + "\netag \"" + g.s(40, genHex) + "\"",
	}
}

func TestBenignToolOutputs(t *testing.T) {
	s := newScanner(t, Options{})
	for seed := uint64(1); seed <= 3; seed++ {
		for name, text := range benignToolOutputs(newGen(seed)) {
			if ms := s.Find([]byte(text), nil); len(ms) != 0 {
				t.Errorf("%s: unexpected matches %v", name, describe(text, ms))
			}
		}
	}
}
