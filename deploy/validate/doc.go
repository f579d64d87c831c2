// Package validate checks the deployment files under deploy/ against the
// gateway itself: Kubernetes manifests decoded strictly into the API types,
// the config they carry loaded by the gateway's config loader, Prometheus
// rules and Grafana panels parsed as PromQL and checked against the
// metrics the gateway exposes, the systemd unit and the Dockerfile, and
// every command-line flag they use against the built binary.
//
// Run it with: cd deploy/validate && go test ./...
package validate
