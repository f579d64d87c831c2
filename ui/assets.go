package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// files holds the page and its static assets (see assets/).
//
//go:embed assets
var files embed.FS

// asset is one embedded file, ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".ico":  "image/x-icon",
}

// loadAssets reads the embedded files once: URL path → asset. The page
// is at "/" and "/index.html", every other file at "/assets/NAME".
var loadAssets = sync.OnceValue(func() map[string]*asset {
	m := map[string]*asset{}
	err := fs.WalkDir(files, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(p)]
		if !ok {
			ct = "application/octet-stream"
		}
		sum := sha256.Sum256(b)
		a := &asset{body: b, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		if p == "assets/index.html" {
			m["/"], m["/index.html"] = a, a
			return nil
		}
		m["/"+p] = a
		return nil
	})
	if err != nil {
		panic("ui: embedded assets: " + err.Error()) // the build embeds them: cannot happen
	}
	return m
})

func (h *handler) serveAsset(w http.ResponseWriter, r *http.Request, p string) {
	a, ok := h.assets[p]
	if !ok || strings.Contains(p, "..") {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.contentType)
	hd.Set("ETag", a.etag)
	// Revalidate every time: an upgraded gateway serves new files at the
	// same names.
	hd.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
