package auth

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// wellKnownPath is RFC 9728's well-known URI suffix.
const wellKnownPath = "/.well-known/oauth-protected-resource"

// metadataCacheControl is sent with the metadata document.
const metadataCacheControl = "public, max-age=3600"

// protectedResourceMetadata is the RFC 9728 §2 document.
type protectedResourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers,omitempty"`
	ScopesSupported        []string `json:"scopes_supported,omitempty"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceDocumentation  string   `json:"resource_documentation,omitempty"`
}

// buildMetadata prepares the metadata document, its paths and its URL. c
// is nil with API keys only: the document then names no authorization
// server.
func (a *Authenticator) buildMetadata(c *OAuthConfig) error {
	u, err := url.Parse(a.resourceURL)
	if err != nil {
		return fmt.Errorf("auth: resource URL: %w", err)
	}
	suffix := strings.TrimSuffix(u.EscapedPath(), "/")
	a.metadataURL = u.Scheme + "://" + u.Host + wellKnownPath + suffix
	a.metadataPaths = []string{wellKnownPath}
	if suffix != "" {
		a.metadataPaths = append(a.metadataPaths, wellKnownPath+suffix)
	}
	doc := protectedResourceMetadata{Resource: a.resourceURL, BearerMethodsSupported: []string{"header"}}
	if c != nil {
		doc.AuthorizationServers = c.AuthorizationServers
		if len(doc.AuthorizationServers) == 0 {
			doc.AuthorizationServers = []string{c.Issuer}
		}
		doc.ScopesSupported = c.ScopesSupported
		doc.ResourceDocumentation = c.ResourceDocumentation
	}
	if a.metadataDoc, err = json.MarshalIndent(doc, "", "  "); err != nil {
		return fmt.Errorf("auth: metadata: %w", err)
	}
	a.metadataDoc = append(a.metadataDoc, '\n')
	return nil
}

// MetadataURL is the URL of the protected-resource metadata named in
// challenges (the path-suffixed form), or "" without a resource URL.
func (a *Authenticator) MetadataURL() string { return a.metadataURL }

// MetadataPaths are the paths the metadata document is served at:
// "/.well-known/oauth-protected-resource" and, when the resource URL has a
// path, the path-suffixed form RFC 9728 §3.1 defines
// ("/.well-known/oauth-protected-resource/mcp"). Nil without a resource
// URL.
func (a *Authenticator) MetadataPaths() []string {
	return append([]string(nil), a.metadataPaths...)
}

// ServeMetadata serves the RFC 9728 protected-resource metadata: resource,
// authorization_servers, scopes_supported, bearer_methods_supported
// ["header"] and resource_documentation, as application/json with
// Cache-Control "public, max-age=3600" and
// Access-Control-Allow-Origin "*" (it is public, and browser-based
// clients read it cross-origin). GET and HEAD are served, OPTIONS answers
// a CORS preflight with 204, anything else gets 405. Without a resource
// URL it answers 404.
func (a *Authenticator) ServeMetadata(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if a.metadataDoc == nil {
		http.NotFound(w, r)
		return
	}
	h.Set("Access-Control-Allow-Origin", "*")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		h.Set("Allow", "GET, HEAD, OPTIONS")
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "*")
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		h.Set("Allow", "GET, HEAD, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", metadataCacheControl)
	h.Set("Content-Length", strconv.Itoa(len(a.metadataDoc)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(a.metadataDoc)
	}
}
