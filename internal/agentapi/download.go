package agentapi

import (
	"errors"
	"html"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
)

// Platforms that vigie-agent is built for (make agents).
var (
	downloadOS   = []string{"linux", "windows", "darwin"}
	downloadArch = []string{"amd64", "arm64"}
)

// AgentFile returns the name of the agent binary of a platform.
func AgentFile(goos, arch string) string {
	name := "vigie-agent-" + goos + "-" + arch
	if goos == "windows" {
		name += ".exe"
	}
	return name
}

// download serves <data-dir>/agents/vigie-agent-<os>-<arch>[.exe] as a file.
func (a *API) download(w http.ResponseWriter, r *http.Request) {
	goos, arch := r.PathValue("os"), r.PathValue("arch")
	if !slices.Contains(downloadOS, goos) || !slices.Contains(downloadArch, arch) {
		notInstalled(w, "", "unknown platform "+goos+"/"+arch+": linux, windows or darwin; amd64 or arm64.")
		return
	}
	name := AgentFile(goos, arch)
	dir := filepath.Join(a.d.DataDir, "agents")
	f, err := os.Open(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		notInstalled(w, dir, "")
		return
	}
	if err != nil {
		a.log.Error("open agent binary", "file", name, "err", err)
		http.Error(w, "cannot read the agent binary", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		notInstalled(w, dir, "")
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, name, st.ModTime(), f)
}

// notInstalled answers 404 with what the operator must do, in both languages.
func notInstalled(w http.ResponseWriter, dir, reason string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	body := `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>vigie-agent not available</title></head><body>`
	if reason != "" {
		body += `<h1>Not found</h1><p>` + html.EscapeString(reason) + `</p>`
	} else {
		d := html.EscapeString(dir)
		body += `<h1>vigie-agent is not installed on this server</h1>` +
			`<p>The administrator must build the agents with <code>make agents</code> and copy the files of <code>dist/</code> into <code>` + d + `</code>.</p>` +
			`<h1 lang="fr">vigie-agent n’est pas installé sur ce serveur</h1>` +
			`<p lang="fr">L’administrateur doit construire les agents avec <code>make agents</code> et copier les fichiers de <code>dist/</code> dans <code>` + d + `</code>.</p>`
	}
	_, _ = w.Write([]byte(body + `</body></html>`))
}
