package validate

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var unitPath = filepath.Join(deployDir, "systemd", "mcp-gateway.service")

// unitFile is a parsed systemd unit: section → key → values in order.
type unitFile map[string]map[string][]string

func parseUnit(t *testing.T, path string) unitFile {
	t.Helper()
	u := unitFile{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, path)))
	var cont strings.Builder
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cont.WriteString(s + " ")
			continue
		}
		if cont.Len() > 0 {
			line = cont.String() + line
			cont.Reset()
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section == "" {
			t.Errorf("%s:%d: not key=value inside a section: %s", path, n, line)
			continue
		}
		u[section][strings.TrimSpace(k)] = append(u[section][strings.TrimSpace(k)], strings.TrimSpace(v))
	}
	return u
}

func (u unitFile) get(section, key string) string {
	v := u[section][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

func TestSystemdUnit(t *testing.T) {
	u := parseUnit(t, unitPath)
	for _, s := range []string{"Unit", "Service", "Install"} {
		if u[s] == nil {
			t.Errorf("no [%s] section", s)
		}
	}
	want := map[string]string{
		"StateDirectory":        "mcp-gateway",
		"EnvironmentFile":       "-/etc/mcp-gateway/env",
		"ProtectSystem":         "strict",
		"NoNewPrivileges":       "yes",
		"PrivateTmp":            "yes",
		"KillSignal":            "SIGTERM",
		"TimeoutStopSec":        "30",
		"Restart":               "on-failure",
		"CapabilityBoundingSet": "",
	}
	for k, v := range want {
		if _, ok := u["Service"][k]; !ok {
			t.Errorf("[Service] %s= is missing (want %q)", k, v)
		} else if got := u.get("Service", k); got != v {
			t.Errorf("[Service] %s=%s, want %s", k, got, v)
		}
	}
	if u.get("Service", "DynamicUser") != "yes" {
		if user := u.get("Service", "User"); user == "" || user == "root" || user == "0" {
			t.Errorf("[Service] needs DynamicUser=yes or a User= other than root")
		}
	}
	fams := strings.Fields(u.get("Service", "RestrictAddressFamilies"))
	if len(fams) == 0 || !slices.Contains(fams, "AF_INET") || !slices.Contains(fams, "AF_INET6") {
		t.Errorf("[Service] RestrictAddressFamilies=%v should allow AF_INET and AF_INET6 (and no more than needed)", fams)
	}
	for _, f := range fams {
		if !slices.Contains([]string{"AF_UNIX", "AF_INET", "AF_INET6"}, f) {
			t.Errorf("[Service] RestrictAddressFamilies allows %s, which the gateway does not use", f)
		}
	}
	if d, err := time.ParseDuration(u.get("Service", "TimeoutStopSec") + "s"); err != nil || d <= 10*time.Second {
		t.Errorf("[Service] TimeoutStopSec must exceed the gateway's default shutdown timeout of 10s")
	}
	if u.get("Install", "WantedBy") != "multi-user.target" {
		t.Errorf("[Install] WantedBy=%s, want multi-user.target", u.get("Install", "WantedBy"))
	}
	args := execStart(t, u)
	if len(args) == 0 || !filepath.IsAbs(args[0]) || filepath.Base(args[0]) != "mcp-gateway" {
		t.Fatalf("[Service] ExecStart=%v does not run an absolute path to mcp-gateway", args)
	}
	if v, _ := argValue(args, "--data-dir"); v != "/var/lib/"+u.get("Service", "StateDirectory") {
		t.Errorf("ExecStart --data-dir %q is not the StateDirectory /var/lib/%s", v, u.get("Service", "StateDirectory"))
	}
	if _, ok := argValue(args, "--listen"); !ok {
		t.Error("ExecStart has no --listen")
	}
	// ${VAR} in ExecStart must have a default in Environment=.
	env := map[string]bool{}
	for _, e := range u["Service"]["Environment"] {
		k, _, _ := strings.Cut(strings.Trim(e, `"`), "=")
		env[k] = true
	}
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`).FindAllStringSubmatch(u.get("Service", "ExecStart"), -1) {
		if !env[m[1]] {
			t.Errorf("ExecStart uses ${%s}, which no Environment= sets", m[1])
		}
	}
}

// execStart splits ExecStart into words (no quoting is used in the unit;
// a quote is reported).
func execStart(t *testing.T, u unitFile) []string {
	t.Helper()
	v := strings.TrimLeft(u.get("Service", "ExecStart"), "-@:+!")
	if strings.ContainsAny(v, `"'`) {
		t.Errorf("ExecStart uses quotes, which these checks do not parse")
	}
	return strings.Fields(v)
}

// TestSystemdAnalyze runs systemd-analyze verify (and an offline
// security review) on a copy of the unit whose ExecStart is the binary
// built for this test.
func TestSystemdAnalyze(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed; the unit was checked by TestSystemdUnit only")
	}
	u := parseUnit(t, unitPath)
	args := execStart(t, u)
	unit := strings.ReplaceAll(string(readFile(t, unitPath)), "ExecStart="+args[0], "ExecStart="+gatewayBin)
	dir := t.TempDir()
	copyPath := filepath.Join(dir, "mcp-gateway.service")
	if err := os.WriteFile(copyPath, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", "--man=no", copyPath).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	// Exposure 0 (locked down) .. 10 (unsafe); "OK" is below 3.
	out, err = exec.Command(sa, "security", "--offline=yes", "--threshold=25", "--no-pager", copyPath).CombinedOutput()
	if err != nil {
		t.Errorf("systemd-analyze security: exposure above 2.5 or failure: %v\n%s", err, lastLines(out, 3))
	} else {
		t.Logf("systemd-analyze security: %s", lastLines(out, 1))
	}
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
