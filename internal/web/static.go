package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"time"
)

//go:embed static
var staticFS embed.FS

// contentTypes are set by extension from this table, not from the host's
// mime.types, so that a file is served the same way everywhere (a wrong type
// with nosniff would break the page).
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
}

type staticFile struct {
	data []byte
	hash string // first 12 hex digits of the SHA-256
	typ  string
}

// staticFiles are the embedded files, read once at start with their hashes.
type staticFiles struct {
	files map[string]staticFile
}

func loadStatic() (*staticFiles, error) {
	st := &staticFiles{files: map[string]staticFile{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		typ, ok := contentTypes[path.Ext(p)]
		if !ok {
			return fmt.Errorf("static file %s: no content type for its extension", p)
		}
		sum := sha256.Sum256(data)
		st.files[p[len("static/"):]] = staticFile{data: data, hash: hex.EncodeToString(sum[:6]), typ: typ}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load static files: %w", err)
	}
	return st, nil
}

// url is the address of a static file with its hash as a version, so that
// a new release is fetched at once while an unchanged file stays cached.
func (st *staticFiles) url(name string) (string, error) {
	f, ok := st.files[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return "/static/" + name + "?v=" + f.hash, nil
}

// serveStatic serves an embedded file. A request naming the current
// version may be cached for a year; any other is revalidated by ETag.
func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := h.static.files[r.PathValue("path")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", f.typ)
	hd.Set("ETag", `"`+f.hash+`"`)
	if r.URL.Query().Get("v") == f.hash {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "public, no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.data))
}

// providerLogo serves the provider's logo, public because the sign-in page
// shows it. Only PNG and JPEG are served: an SVG could carry script.
func (h *Handler) providerLogo(w http.ResponseWriter, r *http.Request) {
	p, err := h.d.Provider.Get(r.Context())
	if err != nil || len(p.Logo) == 0 || (p.LogoType != "image/png" && p.LogoType != "image/jpeg") {
		http.NotFound(w, r)
		return
	}
	sum := sha256.Sum256(p.Logo)
	hd := w.Header()
	hd.Set("Content-Type", p.LogoType)
	hd.Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	hd.Set("Cache-Control", "public, no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(p.Logo))
}
