package validate

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/mcpgw/mcp-gateway/audit"
	"github.com/mcpgw/mcp-gateway/auth"
	"github.com/mcpgw/mcp-gateway/config"
	"github.com/mcpgw/mcp-gateway/httpfront"
	_ "github.com/mcpgw/mcp-gateway/plugins/all" // registers the plugin sections (rateLimits, redis, policies)
	"github.com/mcpgw/mcp-gateway/ratelimit"
)

var k8sDir = filepath.Join(deployDir, "kubernetes")

const wantNamespace = "mcp-gateway"

// kustomization is the part of kustomize's Kustomization these manifests
// use; decoding is strict, so a field outside it is reported (add it here
// when the manifests start using it).
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
		Digest  string `json:"digest,omitempty"`
	} `json:"images"`
}

// object is one decoded manifest document.
type object struct {
	File string
	Kind string
	Name string
	Meta metav1.ObjectMeta
	Obj  any
}

func (o object) String() string { return fmt.Sprintf("%s %s (%s)", o.Kind, o.Name, o.File) }

// newObject returns the typed value for a manifest's apiVersion and kind.
func newObject(apiVersion, kind string) (any, bool) {
	switch apiVersion + "/" + kind {
	case "v1/Namespace":
		return &corev1.Namespace{}, true
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}, true
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, true
	case "v1/Secret":
		return &corev1.Secret{}, true
	case "v1/Service":
		return &corev1.Service{}, true
	case "v1/PersistentVolumeClaim":
		return &corev1.PersistentVolumeClaim{}, true
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, true
	case "apps/v1/StatefulSet":
		return &appsv1.StatefulSet{}, true
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	case "autoscaling/v2/HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, true
	case "networking.k8s.io/v1/NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, true
	}
	return nil, false
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// decodeStrict converts YAML to JSON (duplicate keys are errors) and
// decodes it the way the API server does: case-sensitive field names,
// unknown and duplicate fields reported.
func decodeStrict(doc []byte, into any) error {
	j, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strict, err := kjson.UnmarshalStrict(j, into, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	if len(strict) > 0 {
		var msgs []string
		for _, e := range strict {
			msgs = append(msgs, e.Error())
		}
		return fmt.Errorf("%s", strings.Join(msgs, "; "))
	}
	return nil
}

// decodeManifests decodes every document of the given files.
func decodeManifests(dir string, files []string) ([]object, []error) {
	var objs []object
	var errs []error
	for _, f := range files {
		raw, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for i, doc := range docSeparator.Split(string(raw), -1) {
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
				errs = append(errs, fmt.Errorf("%s document %d: %v", f, i+1, err))
				continue
			}
			if tm.APIVersion == "" && tm.Kind == "" {
				if strings.TrimSpace(stripComments(doc)) != "" {
					errs = append(errs, fmt.Errorf("%s document %d has no apiVersion and kind", f, i+1))
				}
				continue
			}
			obj, ok := newObject(tm.APIVersion, tm.Kind)
			if !ok {
				errs = append(errs, fmt.Errorf("%s document %d: %s %s is not a kind these checks know; add it to newObject", f, i+1, tm.APIVersion, tm.Kind))
				continue
			}
			if err := decodeStrict([]byte(doc), obj); err != nil {
				errs = append(errs, fmt.Errorf("%s document %d (%s): %v", f, i+1, tm.Kind, err))
				continue
			}
			meta := metaOf(obj)
			objs = append(objs, object{File: f, Kind: tm.Kind, Name: meta.Name, Meta: meta, Obj: obj})
		}
	}
	return objs, errs
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, l := range strings.Split(doc, "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func metaOf(obj any) metav1.ObjectMeta {
	if o, ok := obj.(metav1.Object); ok {
		return metav1.ObjectMeta{Name: o.GetName(), Namespace: o.GetNamespace(), Labels: o.GetLabels(), Annotations: o.GetAnnotations()}
	}
	return metav1.ObjectMeta{}
}

// workload is a pod template with its owner.
type workload struct {
	Obj      object
	Labels   map[string]string
	Spec     *corev1.PodSpec
	Annots   map[string]string
	Claims   []corev1.PersistentVolumeClaim // StatefulSet volumeClaimTemplates
	Replicas *int32
}

// manifests is the decoded set.
type manifests struct {
	kust      kustomization
	objs      []object
	workloads []workload
}

func (m *manifests) find(kind, name string) (object, bool) {
	for _, o := range m.objs {
		if o.Kind == kind && o.Name == name {
			return o, true
		}
	}
	return object{}, false
}

func (m *manifests) all(kind string) []object {
	var out []object
	for _, o := range m.objs {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

// selecting returns the workloads whose pods a label selector selects.
func (m *manifests) selecting(sel map[string]string) []workload {
	var out []workload
	if len(sel) == 0 {
		return nil
	}
	for _, w := range m.workloads {
		if subset(sel, w.Labels) {
			out = append(out, w)
		}
	}
	return out
}

func subset(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// labelSelector turns a metav1.LabelSelector of matchLabels into a map,
// reporting matchExpressions, which these checks do not evaluate.
func labelSelector(t *testing.T, where string, s *metav1.LabelSelector) map[string]string {
	t.Helper()
	if s == nil {
		t.Errorf("%s: no label selector", where)
		return nil
	}
	if len(s.MatchExpressions) > 0 {
		t.Errorf("%s: matchExpressions are not checked by these tests; use matchLabels", where)
	}
	return s.MatchLabels
}

func loadManifests(t *testing.T) *manifests {
	t.Helper()
	m := &manifests{}
	if err := decodeStrict(readFile(t, filepath.Join(k8sDir, "kustomization.yaml")), &m.kust); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	objs, errs := decodeManifests(k8sDir, m.kust.Resources)
	for _, err := range errs {
		t.Error(err)
	}
	m.objs = objs
	for _, o := range objs {
		switch v := o.Obj.(type) {
		case *appsv1.Deployment:
			sel := labelSelector(t, o.String(), v.Spec.Selector)
			if !subset(sel, v.Spec.Template.Labels) {
				t.Errorf("%s: selector %v does not select its own pod template labels %v", o, sel, v.Spec.Template.Labels)
			}
			m.workloads = append(m.workloads, workload{Obj: o, Labels: v.Spec.Template.Labels, Spec: &v.Spec.Template.Spec, Annots: v.Spec.Template.Annotations, Replicas: v.Spec.Replicas})
		case *appsv1.StatefulSet:
			sel := labelSelector(t, o.String(), v.Spec.Selector)
			if !subset(sel, v.Spec.Template.Labels) {
				t.Errorf("%s: selector %v does not select its own pod template labels %v", o, sel, v.Spec.Template.Labels)
			}
			m.workloads = append(m.workloads, workload{Obj: o, Labels: v.Spec.Template.Labels, Spec: &v.Spec.Template.Spec, Annots: v.Spec.Template.Annotations, Claims: v.Spec.VolumeClaimTemplates, Replicas: v.Spec.Replicas})
		}
	}
	return m
}

// gatewayContainer finds the workload and container that run the gateway
// image.
func (m *manifests) gatewayContainer(t *testing.T) (workload, *corev1.Container) {
	t.Helper()
	for _, w := range m.workloads {
		for i := range w.Spec.Containers {
			c := &w.Spec.Containers[i]
			repo, _, _ := strings.Cut(c.Image, ":")
			if path.Base(repo) == "mcp-gateway" {
				return w, c
			}
		}
	}
	t.Fatal("no workload runs the mcp-gateway image")
	return workload{}, nil
}

// argValue returns the value of --name in args (as "--name v" or "--name=v").
func argValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

func TestKustomization(t *testing.T) {
	m := loadManifests(t)
	if m.kust.APIVersion != "kustomize.config.k8s.io/v1beta1" || m.kust.Kind != "Kustomization" {
		t.Errorf("kustomization.yaml: apiVersion/kind %s/%s", m.kust.APIVersion, m.kust.Kind)
	}
	if m.kust.Namespace != wantNamespace {
		t.Errorf("kustomization.yaml: namespace %q, want %q", m.kust.Namespace, wantNamespace)
	}
	listed := map[string]bool{}
	for _, r := range m.kust.Resources {
		if listed[r] {
			t.Errorf("kustomization.yaml lists %s twice", r)
		}
		listed[r] = true
		if _, err := os.Stat(filepath.Join(k8sDir, r)); err != nil {
			t.Errorf("kustomization.yaml lists %s: %v", r, err)
		}
	}
	entries, err := os.ReadDir(k8sDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || e.Name() == "kustomization.yaml" || (ext != ".yaml" && ext != ".yml") {
			continue
		}
		if !listed[e.Name()] {
			t.Errorf("%s is not listed in kustomization.yaml's resources", e.Name())
		}
	}
	seen := map[string]string{}
	for _, o := range m.objs {
		key := o.Kind + "/" + o.Name
		if f, dup := seen[key]; dup {
			t.Errorf("%s is defined in %s and %s", key, f, o.File)
		}
		seen[key] = o.File
		if o.Name == "" {
			t.Errorf("%s has no metadata.name", o)
		}
		if ns := o.Meta.Namespace; ns != "" && ns != wantNamespace {
			t.Errorf("%s: namespace %q differs from the kustomization's %q", o, ns, wantNamespace)
		}
	}
	if ns, ok := m.find("Namespace", wantNamespace); !ok {
		t.Errorf("no Namespace %s among the manifests", wantNamespace)
	} else if ns.Meta.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("%s: label pod-security.kubernetes.io/enforce should be restricted", ns)
	}
	// Images named in images: must be images of a container.
	for _, img := range m.kust.Images {
		found := false
		for _, w := range m.workloads {
			for _, c := range w.Spec.Containers {
				repo, _, _ := strings.Cut(c.Image, ":")
				found = found || repo == img.Name
			}
		}
		if !found {
			t.Errorf("kustomization.yaml images: %s is the image of no container", img.Name)
		}
	}
}

// TestKustomizeBuild renders the kustomization with kubectl's built-in
// kustomize when kubectl is installed.
func TestKustomizeBuild(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed; kustomize rendering not checked")
	}
	out, err := exec.Command(kubectl, "kustomize", k8sDir).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", k8sDir, err, out)
	}
	m := loadManifests(t)
	docs := 0
	for _, d := range docSeparator.Split(string(out), -1) {
		if strings.TrimSpace(d) == "" {
			continue
		}
		docs++
		var o struct {
			Kind     string            `json:"kind"`
			Metadata metav1.ObjectMeta `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(d), &o); err != nil {
			t.Fatal(err)
		}
		if o.Kind != "Namespace" && o.Metadata.Namespace != wantNamespace {
			t.Errorf("rendered %s %s is in namespace %q, want %q", o.Kind, o.Metadata.Name, o.Metadata.Namespace, wantNamespace)
		}
	}
	if docs != len(m.objs) {
		t.Errorf("kubectl kustomize rendered %d objects, the manifests hold %d", docs, len(m.objs))
	}
}

// containerPort finds a port of the pod by name or number.
func containerPort(spec *corev1.PodSpec, p intstr.IntOrString, proto corev1.Protocol) (*corev1.ContainerPort, bool) {
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	for _, c := range spec.Containers {
		for i := range c.Ports {
			cp := &c.Ports[i]
			cpProto := cp.Protocol
			if cpProto == "" {
				cpProto = corev1.ProtocolTCP
			}
			if cpProto != proto {
				continue
			}
			if p.Type == intstr.String && cp.Name == p.StrVal || p.Type == intstr.Int && cp.ContainerPort == p.IntVal {
				return cp, true
			}
		}
	}
	return nil, false
}

func TestServices(t *testing.T) {
	m := loadManifests(t)
	services := m.all("Service")
	if len(services) == 0 {
		t.Fatal("no Service")
	}
	for _, o := range services {
		svc := o.Obj.(*corev1.Service)
		ws := m.selecting(svc.Spec.Selector)
		if len(ws) == 0 {
			t.Errorf("%s: selector %v matches the pods of no workload", o, svc.Spec.Selector)
			continue
		}
		for _, p := range svc.Spec.Ports {
			if p.Name == "" {
				t.Errorf("%s: port %d has no name", o, p.Port)
			}
			target := p.TargetPort
			if target.Type == intstr.Int && target.IntVal == 0 {
				target = intstr.FromInt32(p.Port)
			}
			for _, w := range ws {
				if _, ok := containerPort(w.Spec, target, p.Protocol); !ok {
					t.Errorf("%s: targetPort %s of port %s is not a container port of %s", o, target.String(), p.Name, w.Obj)
				}
			}
		}
	}
	// The gateway's Service: port 80 named http to the pods' http port,
	// with ClientIP affinity for session-based clients.
	gw, _ := m.gatewayContainer(t)
	var svc *corev1.Service
	for _, o := range services {
		s := o.Obj.(*corev1.Service)
		if len(s.Spec.Selector) > 0 && subset(s.Spec.Selector, gw.Labels) {
			svc = s
		}
	}
	if svc == nil {
		t.Fatal("no Service selects the gateway's pods")
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 80 || svc.Spec.Ports[0].Name != "http" || svc.Spec.Ports[0].TargetPort.String() != "http" {
		t.Errorf("Service %s: want one port 80 named http with targetPort http, got %+v", svc.Name, svc.Spec.Ports)
	}
	if svc.Spec.SessionAffinity != corev1.ServiceAffinityClientIP {
		t.Errorf("Service %s: sessionAffinity %q, want ClientIP (legacy sessions live in one replica)", svc.Name, svc.Spec.SessionAffinity)
	}
}

func TestPodSpecs(t *testing.T) {
	m := loadManifests(t)
	if len(m.workloads) == 0 {
		t.Fatal("no workloads")
	}
	doc := deploymentDoc(t)
	for _, w := range m.workloads {
		name := w.Obj.String()
		spec := w.Spec
		volumes := map[string]corev1.Volume{}
		for _, v := range spec.Volumes {
			volumes[v.Name] = v
		}
		claims := map[string]bool{}
		for _, c := range w.Claims {
			claims[c.Name] = true
			if _, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]; !ok {
				t.Errorf("%s: volumeClaimTemplate %s requests no storage", name, c.Name)
			}
		}
		// Volumes: the ConfigMaps, Secrets and claims they name exist.
		for _, v := range spec.Volumes {
			switch {
			case v.ConfigMap != nil:
				checkConfigMapRef(t, m, name, v.ConfigMap.Name, itemKeys(v.ConfigMap.Items))
			case v.Secret != nil:
				checkSecretRef(t, m, doc, name, v.Secret.SecretName, itemKeys(v.Secret.Items))
			case v.PersistentVolumeClaim != nil:
				if _, ok := m.find("PersistentVolumeClaim", v.PersistentVolumeClaim.ClaimName); !ok {
					t.Errorf("%s: volume %s claims PVC %s, which is not among the manifests", name, v.Name, v.PersistentVolumeClaim.ClaimName)
				}
			}
		}
		if sa := spec.ServiceAccountName; sa != "" {
			if _, ok := m.find("ServiceAccount", sa); !ok {
				t.Errorf("%s: serviceAccountName %s is not among the manifests", name, sa)
			}
		}
		if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
			t.Errorf("%s: automountServiceAccountToken should be false (nothing here talks to the API)", name)
		}
		psc := spec.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
			t.Errorf("%s: the pod securityContext needs runAsNonRoot: true and a non-zero runAsUser", name)
		}
		if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: the pod securityContext needs seccompProfile RuntimeDefault (restricted pod security)", name)
		}
		for _, tsc := range spec.TopologySpreadConstraints {
			sel := labelSelector(t, name+" topologySpreadConstraints", tsc.LabelSelector)
			if !subset(sel, w.Labels) {
				t.Errorf("%s: topologySpreadConstraint on %s selects %v, not this workload's pods %v", name, tsc.TopologyKey, sel, w.Labels)
			}
		}
		for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
			cname := fmt.Sprintf("%s container %s", name, c.Name)
			if c.Image == "" || !strings.Contains(c.Image, ":") || strings.HasSuffix(c.Image, ":latest") {
				t.Errorf("%s: image %q should be pinned to a tag", cname, c.Image)
			}
			for _, vm := range c.VolumeMounts {
				if _, ok := volumes[vm.Name]; !ok && !claims[vm.Name] {
					t.Errorf("%s: volumeMount %s names no volume or volumeClaimTemplate", cname, vm.Name)
				}
			}
			for _, e := range c.Env {
				if e.ValueFrom == nil {
					continue
				}
				if r := e.ValueFrom.SecretKeyRef; r != nil {
					checkSecretRef(t, m, doc, cname, r.Name, []string{r.Key})
				}
				if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
					checkConfigMapRef(t, m, cname, r.Name, []string{r.Key})
				}
				if r := e.ValueFrom.ResourceFieldRef; r != nil && r.ContainerName != "" && r.ContainerName != c.Name {
					t.Errorf("%s: env %s reads resources of container %s", cname, e.Name, r.ContainerName)
				}
			}
			for _, ef := range c.EnvFrom {
				if ef.SecretRef != nil {
					checkSecretRef(t, m, doc, cname, ef.SecretRef.Name, nil)
				}
				if ef.ConfigMapRef != nil {
					checkConfigMapRef(t, m, cname, ef.ConfigMapRef.Name, nil)
				}
			}
			for probeName, p := range map[string]*corev1.Probe{"readinessProbe": c.ReadinessProbe, "livenessProbe": c.LivenessProbe, "startupProbe": c.StartupProbe} {
				if p == nil {
					continue
				}
				var port *intstr.IntOrString
				switch {
				case p.HTTPGet != nil:
					port = &p.HTTPGet.Port
				case p.TCPSocket != nil:
					port = &p.TCPSocket.Port
				case p.GRPC != nil:
					gp := intstr.FromInt32(p.GRPC.Port)
					port = &gp
				}
				if port != nil {
					if _, ok := containerPort(&corev1.PodSpec{Containers: []corev1.Container{c}}, *port, corev1.ProtocolTCP); !ok {
						t.Errorf("%s: %s port %s is not a port of the container", cname, probeName, port.String())
					}
				}
			}
			if c.ReadinessProbe == nil || c.LivenessProbe == nil {
				t.Errorf("%s: needs a readinessProbe and a livenessProbe", cname)
			}
			sc := c.SecurityContext
			if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
				sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
				t.Errorf("%s: securityContext needs allowPrivilegeEscalation: false, readOnlyRootFilesystem: true and capabilities.drop [ALL]", cname)
			}
			if sc != nil && sc.RunAsUser != nil && *sc.RunAsUser == 0 {
				t.Errorf("%s: runs as root", cname)
			}
			req, lim := c.Resources.Requests, c.Resources.Limits
			if req.Cpu().IsZero() || req.Memory().IsZero() || lim.Memory().IsZero() {
				t.Errorf("%s: resources need cpu and memory requests and a memory limit", cname)
			} else if lim.Memory().Cmp(*req.Memory()) < 0 {
				t.Errorf("%s: memory limit below the request", cname)
			}
		}
	}
}

func itemKeys(items []corev1.KeyToPath) []string {
	var keys []string
	for _, it := range items {
		keys = append(keys, it.Key)
	}
	return keys
}

func checkConfigMapRef(t *testing.T, m *manifests, who, name string, keys []string) {
	t.Helper()
	o, ok := m.find("ConfigMap", name)
	if !ok {
		t.Errorf("%s: ConfigMap %s is not among the manifests", who, name)
		return
	}
	cm := o.Obj.(*corev1.ConfigMap)
	for _, k := range keys {
		if _, ok := cm.Data[k]; !ok {
			if _, ok := cm.BinaryData[k]; !ok {
				t.Errorf("%s: ConfigMap %s has no key %s", who, name, k)
			}
		}
	}
}

// checkSecretRef accepts a Secret of the manifests or one that the
// deployment guide tells the user to create, naming it and its keys.
func checkSecretRef(t *testing.T, m *manifests, doc, who, name string, keys []string) {
	t.Helper()
	if o, ok := m.find("Secret", name); ok {
		s := o.Obj.(*corev1.Secret)
		for _, k := range keys {
			_, inData := s.Data[k]
			_, inString := s.StringData[k]
			if !inData && !inString {
				t.Errorf("%s: Secret %s has no key %s", who, name, k)
			}
		}
		return
	}
	if !strings.Contains(doc, "create secret generic "+name) {
		t.Errorf("%s: Secret %s is neither among the manifests nor created by a `kubectl create secret generic %s` in docs/deployment.md", who, name, name)
		return
	}
	for _, k := range keys {
		if !strings.Contains(doc, "--from-literal="+k+"=") && !strings.Contains(doc, "--from-file="+k+"=") {
			t.Errorf("%s: docs/deployment.md creates Secret %s without the key %s (--from-literal=%s=...)", who, name, k, k)
		}
	}
}

func TestGatewayDeployment(t *testing.T) {
	m := loadManifests(t)
	w, c := m.gatewayContainer(t)
	name := fmt.Sprintf("%s container %s", w.Obj, c.Name)
	if w.Obj.Kind != "Deployment" || w.Replicas == nil || *w.Replicas != 3 {
		t.Errorf("%s: want a Deployment of 3 replicas", w.Obj)
	}
	if len(w.Spec.TopologySpreadConstraints) == 0 {
		t.Errorf("%s: no topologySpreadConstraints", w.Obj)
	}
	port, ok := containerPort(&corev1.PodSpec{Containers: []corev1.Container{*c}}, intstr.FromString("http"), corev1.ProtocolTCP)
	if !ok || port.ContainerPort != 8080 {
		t.Fatalf("%s: needs a TCP port named http on 8080", name)
	}
	for probe, want := range map[string]*corev1.Probe{"/readyz": c.ReadinessProbe, "/healthz": c.LivenessProbe} {
		if want == nil || want.HTTPGet == nil || want.HTTPGet.Path != probe {
			t.Errorf("%s: the %s probe must GET %s", name, map[string]string{"/readyz": "readiness", "/healthz": "liveness"}[probe], probe)
		}
	}
	// Arguments the gateway is started with.
	args := append(slices.Clone(c.Command), c.Args...)
	listen, ok := argValue(args, "--listen")
	if host, p, err := net.SplitHostPort(listen); !ok || err != nil || host != "0.0.0.0" || p != strconv.Itoa(int(port.ContainerPort)) {
		t.Errorf("%s: --listen %q must be 0.0.0.0:%d (all interfaces, the http port)", name, listen, port.ContainerPort)
	}
	mounts := map[string]corev1.VolumeMount{}
	for _, vm := range c.VolumeMounts {
		mounts[vm.MountPath] = vm
	}
	dataDir, ok := argValue(args, "--data-dir")
	if !ok {
		t.Errorf("%s: no --data-dir", name)
	} else if vm, ok := mountAt(c.VolumeMounts, dataDir); !ok || vm.ReadOnly {
		t.Errorf("%s: --data-dir %s is not on a writable volume (the root filesystem is read-only)", name, dataDir)
	}
	if vm, ok := mountAt(c.VolumeMounts, "/tmp"); !ok || vm.ReadOnly {
		t.Errorf("%s: /tmp is not a writable volume", name)
	}
	// Prometheus scrape annotations point at a port of the container.
	if w.Annots["prometheus.io/scrape"] != "true" || w.Annots["prometheus.io/path"] != "/metrics" {
		t.Errorf("%s: pod annotations prometheus.io/scrape \"true\" and prometheus.io/path /metrics are needed", w.Obj)
	}
	if p, err := strconv.Atoi(w.Annots["prometheus.io/port"]); err != nil || int32(p) != port.ContainerPort {
		t.Errorf("%s: annotation prometheus.io/port %q is not the http port %d", w.Obj, w.Annots["prometheus.io/port"], port.ContainerPort)
	}
	// The HPA scales this Deployment, and its CPU target needs requests.
	hpas := m.all("HorizontalPodAutoscaler")
	if len(hpas) != 1 {
		t.Fatalf("want one HorizontalPodAutoscaler, have %d", len(hpas))
	}
	hpa := hpas[0].Obj.(*autoscalingv2.HorizontalPodAutoscaler)
	ref := hpa.Spec.ScaleTargetRef
	if ref.APIVersion != "apps/v1" || ref.Kind != w.Obj.Kind || ref.Name != w.Obj.Name {
		t.Errorf("%s: scaleTargetRef %+v is not %s", hpas[0], ref, w.Obj)
	}
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas > hpa.Spec.MaxReplicas || (w.Replicas != nil && *hpa.Spec.MinReplicas > *w.Replicas) {
		t.Errorf("%s: minReplicas must be set, at most maxReplicas and at most the Deployment's replicas", hpas[0])
	}
	for _, mt := range hpa.Spec.Metrics {
		if mt.Resource != nil {
			if _, ok := c.Resources.Requests[mt.Resource.Name]; !ok {
				t.Errorf("%s: scales on %s utilization, but the container requests no %s", hpas[0], mt.Resource.Name, mt.Resource.Name)
			}
		}
	}
	// The PDB covers the gateway's pods.
	pdbs := m.all("PodDisruptionBudget")
	if len(pdbs) == 0 {
		t.Error("no PodDisruptionBudget")
	}
	for _, o := range pdbs {
		pdb := o.Obj.(*policyv1.PodDisruptionBudget)
		sel := labelSelector(t, o.String(), pdb.Spec.Selector)
		if ws := m.selecting(sel); len(ws) == 0 {
			t.Errorf("%s: selector %v selects no workload's pods", o, sel)
		}
		if pdb.Spec.MinAvailable == nil && pdb.Spec.MaxUnavailable == nil {
			t.Errorf("%s: neither minAvailable nor maxUnavailable", o)
		}
	}
}

// mountAt returns the mount that holds path.
func mountAt(mounts []corev1.VolumeMount, p string) (corev1.VolumeMount, bool) {
	var best corev1.VolumeMount
	found := false
	for _, vm := range mounts {
		if p == vm.MountPath || strings.HasPrefix(p, strings.TrimSuffix(vm.MountPath, "/")+"/") {
			if !found || len(vm.MountPath) > len(best.MountPath) {
				best, found = vm, true
			}
		}
	}
	return best, found
}

func TestNetworkPolicies(t *testing.T) {
	m := loadManifests(t)
	nps := m.all("NetworkPolicy")
	if len(nps) == 0 {
		t.Fatal("no NetworkPolicy")
	}
	covered := map[string]bool{}
	for _, o := range nps {
		np := o.Obj.(*networkingv1.NetworkPolicy)
		sel := labelSelector(t, o.String()+" podSelector", &np.Spec.PodSelector)
		targets := m.selecting(sel)
		if len(targets) == 0 {
			t.Errorf("%s: podSelector %v selects no workload's pods", o, sel)
		}
		for _, w := range targets {
			covered[w.Obj.Name] = true
		}
		for i, rule := range np.Spec.Ingress {
			for _, p := range rule.Ports {
				for _, w := range targets {
					checkPolicyPort(t, fmt.Sprintf("%s ingress[%d]", o, i), w, p)
				}
			}
			for _, peer := range rule.From {
				if peer.PodSelector != nil && peer.NamespaceSelector == nil {
					psel := labelSelector(t, o.String()+" from", peer.PodSelector)
					if len(m.selecting(psel)) == 0 {
						t.Errorf("%s ingress[%d]: from podSelector %v selects no workload's pods", o, i, psel)
					}
				}
			}
		}
		for i, rule := range np.Spec.Egress {
			for _, peer := range rule.To {
				if peer.PodSelector == nil || peer.NamespaceSelector != nil {
					continue
				}
				psel := labelSelector(t, o.String()+" to", peer.PodSelector)
				peers := m.selecting(psel)
				if len(peers) == 0 {
					t.Errorf("%s egress[%d]: to podSelector %v selects no workload's pods", o, i, psel)
				}
				for _, p := range rule.Ports {
					for _, w := range peers {
						checkPolicyPort(t, fmt.Sprintf("%s egress[%d]", o, i), w, p)
					}
				}
			}
		}
	}
	for _, w := range m.workloads {
		if !covered[w.Obj.Name] {
			t.Errorf("%s: no NetworkPolicy selects its pods", w.Obj)
		}
	}
}

func checkPolicyPort(t *testing.T, where string, w workload, p networkingv1.NetworkPolicyPort) {
	t.Helper()
	if p.Port == nil {
		return
	}
	proto := corev1.ProtocolTCP
	if p.Protocol != nil {
		proto = *p.Protocol
	}
	if _, ok := containerPort(w.Spec, *p.Port, proto); !ok {
		t.Errorf("%s: port %s/%s is not a container port of %s", where, p.Port.String(), proto, w.Obj)
	}
}

// envVarRef matches ${VAR}, ${VAR:-default} and ${env:VAR}, not ${file:...}.
var envVarRef = regexp.MustCompile(`\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)

// TestGatewayConfig loads the ConfigMap's mcp.json with the gateway's own
// config loader and section parsers, with the container's environment
// (secrets as dummy values), and checks that the stores it names are
// Services of the manifests.
func TestGatewayConfig(t *testing.T) {
	m := loadManifests(t)
	_, c := m.gatewayContainer(t)
	args := append(slices.Clone(c.Command), c.Args...)
	cfgPath, ok := argValue(args, "--mcp-json-path")
	if !ok {
		t.Fatal("the gateway container has no --mcp-json-path")
	}
	data, where := configFromMount(t, m, c, cfgPath)
	if !json.Valid(data) {
		_, err := config.Parse(cfgPath, data, nil, "")
		t.Fatalf("%s: mcp.json is not valid JSON: %v", where, err)
	}
	// Every ${VAR} is set in the container's environment.
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
		if e.ValueFrom != nil {
			env[e.Name] = "dummy-" + strings.ToLower(e.Name) + "-0123456789abcdef"
		}
	}
	for _, ref := range envVarRef.FindAllStringSubmatch(string(data), -1) {
		if _, ok := env[ref[1]]; !ok && ref[2] == "" {
			t.Errorf("%s: ${%s} is used, but the gateway container does not set %s", where, ref[1], ref[1])
		}
	}
	for k, v := range env {
		t.Setenv(k, v) // the section parsers expand from the process environment
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := config.Parse(cfgPath, data, lookup, "/nonexistent-home")
	if err != nil {
		t.Fatalf("%s: the gateway's config loader rejects mcp.json:\n%v", where, err)
	}
	if len(cfg.Servers) == 0 {
		t.Fatalf("%s: no servers", where)
	}
	// Each section by the package that owns it.
	if _, err := httpfront.LoadConfig(cfg); err != nil {
		t.Errorf("%s: gateway.http: %v", where, err)
	}
	hc, _ := httpfront.LoadConfig(cfg)
	if hc.PublicURL == "" {
		t.Errorf("%s: gateway.http.publicUrl is not set (the OAuth resource and token audience behind a load balancer)", where)
	}
	if time.Duration(hc.ShutdownTimeout) >= time.Duration(gracePeriod(m))*time.Second {
		t.Errorf("%s: gateway.http.shutdownTimeout %v is not below the pod's terminationGracePeriodSeconds %d", where, time.Duration(hc.ShutdownTimeout), gracePeriod(m))
	}
	sec := cfg.Gateway.Sections
	if s, ok := sec["auth"]; !ok {
		t.Errorf("%s: no gateway.auth: a gateway on 0.0.0.0 must authenticate its clients", where)
	} else if _, err := auth.ParseConfig(s.Raw); err != nil {
		t.Errorf("%s: %v", s.Where, err)
	}
	if s, ok := sec["rateLimits"]; ok {
		if _, err := ratelimit.ParseRules(s.Raw); err != nil {
			t.Errorf("%s: %v", s.Where, err)
		}
	}
	if s, ok := sec["redis"]; !ok {
		t.Errorf("%s: no gateway.redis: replicas would not share rate limits", where)
	} else if rc, err := ratelimit.ParseRedis(s.Raw); err != nil {
		t.Errorf("%s: %v", s.Where, err)
	} else {
		checkServiceURL(t, m, "gateway.redis.url", rc.URL, "6379")
	}
	if s, ok := sec["audit"]; !ok {
		t.Errorf("%s: no gateway.audit", where)
	} else if ac, err := parseAudit(s); err != nil {
		t.Errorf("%v", err)
	} else if ac.Postgres == "" {
		t.Errorf("%s: gateway.audit.postgres is not set: each replica would keep its own SQLite trail", where)
	} else {
		checkServiceURL(t, m, "gateway.audit.postgres", ac.Postgres, "5432")
		checkPostgresCredentials(t, m, ac.Postgres)
	}
}

// parseAudit runs the audit package's parser, turning a panic into an
// error so that the other checks still run.
func parseAudit(s config.Section) (cfg audit.Config, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: audit.ParseConfig panicked on gateway.audit: %v (the gateway would crash at start-up with this config)", s.Where, r)
		}
	}()
	return audit.ParseConfig(s.Raw, s.Where)
}

func gracePeriod(m *manifests) int64 {
	for _, w := range m.workloads {
		for _, c := range w.Spec.Containers {
			repo, _, _ := strings.Cut(c.Image, ":")
			if path.Base(repo) == "mcp-gateway" && w.Spec.TerminationGracePeriodSeconds != nil {
				return *w.Spec.TerminationGracePeriodSeconds
			}
		}
	}
	return 30 // the Kubernetes default
}

// configFromMount follows the config path to the ConfigMap key mounted
// there.
func configFromMount(t *testing.T, m *manifests, c *corev1.Container, p string) ([]byte, string) {
	t.Helper()
	vm, ok := mountAt(c.VolumeMounts, p)
	if !ok {
		t.Fatalf("--mcp-json-path %s is on no volume of the container", p)
	}
	var vol *corev1.Volume
	w, _ := m.gatewayContainer(t)
	for i := range w.Spec.Volumes {
		if w.Spec.Volumes[i].Name == vm.Name {
			vol = &w.Spec.Volumes[i]
		}
	}
	if vol == nil || vol.ConfigMap == nil {
		t.Fatalf("--mcp-json-path %s: volume %s is not a ConfigMap", p, vm.Name)
	}
	rel := strings.TrimPrefix(strings.TrimPrefix(p, vm.MountPath), "/")
	if vm.SubPath != "" {
		rel = vm.SubPath
	}
	key := rel
	if len(vol.ConfigMap.Items) > 0 {
		key = ""
		for _, it := range vol.ConfigMap.Items {
			if it.Path == rel {
				key = it.Key
			}
		}
	}
	o, ok := m.find("ConfigMap", vol.ConfigMap.Name)
	if !ok {
		t.Fatalf("ConfigMap %s is not among the manifests", vol.ConfigMap.Name)
	}
	data, ok := o.Obj.(*corev1.ConfigMap).Data[key]
	if key == "" || !ok {
		t.Fatalf("--mcp-json-path %s: ConfigMap %s mounted at %s has no file %s", p, o.Name, vm.MountPath, rel)
	}
	return []byte(data), fmt.Sprintf("%s key %s", o, key)
}

// checkServiceURL checks that a URL's host is a Service of the manifests
// (by its short name) with the URL's port.
func checkServiceURL(t *testing.T, m *manifests, what, raw, defPort string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = defPort
	}
	name, _, _ := strings.Cut(host, ".")
	o, ok := m.find("Service", name)
	if !ok {
		t.Errorf("%s: host %s is not a Service of the manifests", what, host)
		return
	}
	for _, p := range o.Obj.(*corev1.Service).Spec.Ports {
		if strconv.Itoa(int(p.Port)) == port {
			return
		}
	}
	t.Errorf("%s: Service %s has no port %s", what, name, port)
}

// checkPostgresCredentials checks the DSN's user and database against the
// PostgreSQL container's POSTGRES_USER and POSTGRES_DB, and that both read
// the password from the same Secret key.
func checkPostgresCredentials(t *testing.T, m *manifests, dsn string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		return
	}
	for _, w := range m.workloads {
		for _, c := range w.Spec.Containers {
			if !strings.HasPrefix(c.Image, "postgres:") {
				continue
			}
			env := map[string]corev1.EnvVar{}
			for _, e := range c.Env {
				env[e.Name] = e
			}
			if got := env["POSTGRES_USER"].Value; got != u.User.Username() {
				t.Errorf("gateway.audit.postgres user %q, PostgreSQL's POSTGRES_USER %q", u.User.Username(), got)
			}
			if got := env["POSTGRES_DB"].Value; got != strings.TrimPrefix(u.Path, "/") {
				t.Errorf("gateway.audit.postgres database %q, PostgreSQL's POSTGRES_DB %q", strings.TrimPrefix(u.Path, "/"), got)
			}
			pw := env["POSTGRES_PASSWORD"]
			if pw.ValueFrom == nil || pw.ValueFrom.SecretKeyRef == nil {
				t.Errorf("%s: POSTGRES_PASSWORD does not come from a Secret", w.Obj)
				continue
			}
			_, gc := m.gatewayContainer(t)
			for _, e := range gc.Env {
				if e.Name == "POSTGRES_PASSWORD" && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil ||
					e.ValueFrom.SecretKeyRef.Name != pw.ValueFrom.SecretKeyRef.Name || e.ValueFrom.SecretKeyRef.Key != pw.ValueFrom.SecretKeyRef.Key) {
					t.Errorf("the gateway and PostgreSQL read POSTGRES_PASSWORD from different Secret keys")
				}
			}
			return
		}
	}
	t.Error("no postgres container among the manifests for gateway.audit.postgres")
}

// TestStrictDecodingRejects makes sure the decoding above does reject
// what the API server would: an unknown field, a field in the wrong case
// and a duplicate key.
func TestStrictDecodingRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field": "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  sessionAfinity: ClientIP\n",
		"field case":    "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  SessionAffinity: ClientIP\n",
		"duplicate key": "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  type: ClusterIP\n  type: NodePort\n",
		"bad quantity":  "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    resources: {requests: {cpu: lots}}\n",
	} {
		var into any = &corev1.Service{}
		if strings.Contains(doc, "Pod") {
			into = &corev1.Pod{}
		}
		if err := decodeStrict([]byte(doc), into); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	var q resource.Quantity
	if err := decodeStrict([]byte(`"128Mi"`), &q); err != nil || q.String() != "128Mi" {
		t.Errorf("a valid quantity: %v %v", q, err)
	}
}
