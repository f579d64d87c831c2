package validate

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var (
	dockerfilePath   = filepath.Join(deployDir, "Dockerfile")
	dockerignorePath = filepath.Join(deployDir, "Dockerfile.dockerignore")
)

// instruction is one Dockerfile instruction with its continuation lines
// joined.
type instruction struct {
	Line int
	Cmd  string // upper case
	Args string
}

// stage is one FROM ... section.
type stage struct {
	Index        int
	Name         string
	Image        string
	Instructions []instruction
}

func parseDockerfile(t *testing.T, path string) []*stage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ins []instruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur.Len() > 0 && strings.HasPrefix(trimmed, "#") {
			continue // a comment inside a continued instruction
		}
		if cur.Len() == 0 {
			start = n
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		ins = append(ins, instruction{Line: start, Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur.Len() > 0 {
		t.Fatalf("%s: the last instruction ends with a line continuation", path)
	}
	var stages []*stage
	for _, in := range ins {
		if in.Cmd == "FROM" {
			fields := strings.Fields(in.Args)
			var img, name string
			for i := 0; i < len(fields); i++ {
				switch {
				case strings.HasPrefix(fields[i], "--"):
				case strings.EqualFold(fields[i], "AS") && i+1 < len(fields):
					name = fields[i+1]
					i++
				default:
					img = fields[i]
				}
			}
			stages = append(stages, &stage{Index: len(stages), Name: name, Image: img})
			continue
		}
		if len(stages) == 0 {
			if in.Cmd != "ARG" {
				t.Errorf("%s:%d: %s before the first FROM", path, in.Line, in.Cmd)
			}
			continue
		}
		s := stages[len(stages)-1]
		s.Instructions = append(s.Instructions, in)
	}
	return stages
}

func (s *stage) all(cmd string) []instruction {
	var out []instruction
	for _, in := range s.Instructions {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

func (s *stage) last(cmd string) (instruction, bool) {
	all := s.all(cmd)
	if len(all) == 0 {
		return instruction{}, false
	}
	return all[len(all)-1], true
}

// execForm decodes a JSON-array ENTRYPOINT or CMD.
func execForm(t *testing.T, in instruction) []string {
	t.Helper()
	var args []string
	if err := json.Unmarshal([]byte(in.Args), &args); err != nil {
		t.Errorf("line %d: %s is not in exec (JSON array) form, so signals would go to a shell: %s", in.Line, in.Cmd, in.Args)
		return nil
	}
	return args
}

// imageRef is image:tag or image@digest, pinned to something other than
// latest.
var pinnedImage = regexp.MustCompile(`^[a-z0-9./_-]+(:[A-Za-z0-9._-]+)?(@sha256:[0-9a-f]{64})?$`)

type dockerImage struct {
	Stage      *stage
	Entrypoint []string
	Cmd        []string
	Binary     string // the ENTRYPOINT element that runs the gateway
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, dockerfilePath)
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build, have %d stage(s)", len(stages))
	}
	names := map[string]*stage{}
	for _, s := range stages {
		if s.Name != "" {
			names[s.Name] = s
		}
		if _, isStage := names[s.Image]; isStage && names[s.Image] != s {
			continue
		}
		if !pinnedImage.MatchString(s.Image) || (!strings.Contains(s.Image, ":") && !strings.Contains(s.Image, "@")) || strings.HasSuffix(s.Image, ":latest") {
			t.Errorf("FROM %s: pin the image to a tag other than latest (or a digest)", s.Image)
		}
	}
	// The builder: golang of the go.mod's Go version, building the
	// gateway statically.
	goVersion := goModVersion(t)
	var builder *stage
	var output string
	buildCmd := regexp.MustCompile(`(?:^|&&|;)\s*(CGO_ENABLED=0\s+go build\s[^&;]*)`)
	for _, s := range stages {
		for _, run := range s.all("RUN") {
			m := buildCmd.FindStringSubmatch(run.Args)
			if m == nil {
				continue
			}
			builder = s
			cmd := m[1]
			for _, want := range []string{"-trimpath", "./cmd/mcp-gateway"} {
				if !strings.Contains(cmd, want) {
					t.Errorf("line %d: the go build lacks %s: %s", run.Line, want, cmd)
				}
			}
			ld := regexp.MustCompile(`-ldflags\s+"([^"]*)"`).FindStringSubmatch(cmd)
			if ld == nil || !strings.Contains(ld[1], "-s") || !strings.Contains(ld[1], "-w") {
				t.Errorf("line %d: the go build needs -ldflags \"-s -w ...\": %s", run.Line, cmd)
			}
			if o := regexp.MustCompile(`\s-o\s+(\S+)`).FindStringSubmatch(cmd); o != nil {
				output = o[1]
			} else {
				t.Errorf("line %d: the go build names no -o output", run.Line)
			}
		}
	}
	if builder == nil {
		t.Fatal("no RUN CGO_ENABLED=0 go build ... ./cmd/mcp-gateway")
	}
	if !strings.HasPrefix(builder.Image, "golang:"+goVersion+"-") && builder.Image != "golang:"+goVersion {
		t.Errorf("builder FROM %s: want golang:%s-... (go.mod says go %s)", builder.Image, goVersion, goVersion)
	}
	for _, cp := range builder.all("COPY") {
		for _, f := range strings.Fields(cp.Args) {
			if f == "go.mod" || f == "go.sum" {
				if _, err := os.Stat(filepath.Join(repoRoot, f)); err != nil {
					t.Errorf("line %d: COPY %s: %v", cp.Line, f, err)
				}
			}
		}
	}
	// The runtime images: each copies the built binary, runs it as a
	// non-root user with the HTTP listener on the exposed port.
	images := runtimeImages(t, stages, builder, output)
	if len(images) == 0 {
		t.Fatal("no stage copies the built binary and runs it")
	}
	final := stages[len(stages)-1]
	if images[len(images)-1].Stage != final {
		t.Errorf("the last stage (the default image) does not run the gateway")
	}
	if !strings.HasPrefix(final.Image, "debian:bookworm-slim") {
		t.Errorf("the default image is FROM %s, want debian:bookworm-slim", final.Image)
	}
	installs := ""
	for _, run := range final.all("RUN") {
		installs += run.Args + " "
	}
	for _, pkg := range []string{"nodejs", "npm"} {
		if !regexp.MustCompile(`apt-get install [^&]*\b` + pkg + `\b`).MatchString(installs) {
			t.Errorf("the default image does not apt-get install %s (stdio servers started with npx need it)", pkg)
		}
	}
	if _, ok := names["distroless"]; !ok {
		t.Error("no stage named distroless")
	} else if !strings.HasPrefix(names["distroless"].Image, "gcr.io/distroless/static-debian12:nonroot") {
		t.Errorf("the distroless stage is FROM %s", names["distroless"].Image)
	}
}

// runtimeImages checks every stage that copies the gateway from the
// builder and returns them in order.
func runtimeImages(t *testing.T, stages []*stage, builder *stage, output string) []dockerImage {
	t.Helper()
	var out []dockerImage
	for _, s := range stages {
		if s == builder {
			continue
		}
		var dest string
		for _, cp := range s.all("COPY") {
			f := strings.Fields(cp.Args)
			from := ""
			var rest []string
			for _, a := range f {
				if v, ok := strings.CutPrefix(a, "--from="); ok {
					from = v
				} else if !strings.HasPrefix(a, "--") {
					rest = append(rest, a)
				}
			}
			if (from == builder.Name || from == strconv.Itoa(builder.Index)) && len(rest) == 2 && rest[0] == output {
				dest = rest[1]
			}
		}
		if dest == "" {
			continue
		}
		where := fmt.Sprintf("stage %d (%s, FROM %s)", s.Index, s.Name, s.Image)
		img := dockerImage{Stage: s}
		user, ok := s.last("USER")
		if !ok {
			t.Errorf("%s: no USER; the image would run as root", where)
		} else if u, _, _ := strings.Cut(user.Args, ":"); u == "root" || u == "0" {
			t.Errorf("%s: USER %s is root", where, user.Args)
		} else if _, err := strconv.Atoi(u); err != nil {
			t.Errorf("%s: USER %s is not numeric; Kubernetes runAsNonRoot cannot verify a user name", where, user.Args)
		}
		ep, ok := s.last("ENTRYPOINT")
		if !ok {
			t.Errorf("%s: no ENTRYPOINT", where)
			continue
		}
		img.Entrypoint = execForm(t, ep)
		for _, a := range img.Entrypoint {
			if a == dest {
				img.Binary = a
			}
		}
		if img.Binary == "" || filepath.Base(img.Binary) != "mcp-gateway" {
			t.Errorf("%s: ENTRYPOINT %v does not run the copied binary %s", where, img.Entrypoint, dest)
		}
		if cmd, ok := s.last("CMD"); ok {
			img.Cmd = execForm(t, cmd)
		}
		args := append(argsAfter(img.Entrypoint, img.Binary), img.Cmd...)
		listen, ok := argValue(args, "--listen")
		host, port, err := net.SplitHostPort(listen)
		if !ok || err != nil || host != "0.0.0.0" {
			t.Errorf("%s: the default arguments %v should --listen on 0.0.0.0", where, args)
		}
		exposed := false
		for _, e := range s.all("EXPOSE") {
			for _, p := range strings.Fields(e.Args) {
				exposed = exposed || strings.TrimSuffix(p, "/tcp") == port
			}
		}
		if !exposed || port != "8080" {
			t.Errorf("%s: EXPOSE 8080 and --listen 0.0.0.0:8080 are needed (listen port %q)", where, port)
		}
		if v, ok := argValue(args, "--data-dir"); !ok || v != "/var/lib/mcp-gateway" {
			t.Errorf("%s: --data-dir should be /var/lib/mcp-gateway, got %q", where, v)
		}
		out = append(out, img)
	}
	return out
}

// argsAfter returns the elements of list after x.
func argsAfter(list []string, x string) []string {
	for i, v := range list {
		if v == x {
			return append([]string(nil), list[i+1:]...)
		}
	}
	return nil
}

func goModVersion(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(readFile(t, filepath.Join(repoRoot, "go.mod")))
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}

// TestDockerignore checks that the ignore file keeps out the large build
// outputs and keeps in what the build copies.
func TestDockerignore(t *testing.T) {
	patterns := dockerignorePatterns(t)
	for _, keep := range []string{"go.mod", "go.sum", "cmd/mcp-gateway/main.go", "config/config.go"} {
		if ignored(patterns, keep) {
			t.Errorf("Dockerfile.dockerignore excludes %s, which the build needs", keep)
		}
	}
	for _, drop := range []string{".git/config", "mcp-gateway", "all.test", "plugins/all/all.test", "testdeps/node_modules/x/package.json"} {
		if !ignored(patterns, drop) {
			t.Errorf("Dockerfile.dockerignore lets %s into the build context", drop)
		}
	}
}

type ignorePattern struct {
	re     *regexp.Regexp
	negate bool
}

func dockerignorePatterns(t *testing.T) []ignorePattern {
	t.Helper()
	var out []ignorePattern
	for _, line := range strings.Split(string(readFile(t, dockerignorePath)), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, compileIgnore(line))
	}
	return out
}

// compileIgnore turns one .dockerignore line into a matcher.
func compileIgnore(line string) ignorePattern {
	p := ignorePattern{}
	if s, ok := strings.CutPrefix(line, "!"); ok {
		p.negate, line = true, s
	}
	line = strings.Trim(filepath.ToSlash(filepath.Clean(line)), "/")
	var re strings.Builder
	re.WriteString("^")
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case strings.HasPrefix(line[i:], "**/"):
			re.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(line[i:], "**"):
			re.WriteString(".*")
			i++
		case c == '*':
			re.WriteString("[^/]*")
		case c == '?':
			re.WriteString("[^/]")
		default:
			re.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	re.WriteString("(/.*)?$") // a directory excludes what is in it
	p.re = regexp.MustCompile(re.String())
	return p
}

// ignored applies the patterns in order, the last match deciding.
func ignored(patterns []ignorePattern, path string) bool {
	out := false
	for _, p := range patterns {
		if p.re.MatchString(path) {
			out = !p.negate
		}
	}
	return out
}
