package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// CSV import. The upload is checked as a dry run and shown as a preview
// with each row's errors; nothing is written until the user confirms. The
// confirmation re-posts the same file content, held in a hidden field of
// the preview's form (multipart, so it is not inflated by URL encoding),
// and the service checks every row again before writing them all in one
// transaction: a tampered or stale content can only be refused, never
// half-imported.

type importPage struct {
	Client  client.Client
	Columns []string
	// Result is the dry run's outcome, nil before an upload.
	Result *asset.ImportResult
	// Content is the file, for the confirmation.
	Content  string
	FileName string
	Invalid  int
	// Creates and Updates count the rows that would create or update an asset.
	Creates, Updates int
	Tab              string
	// SiteNames names the rows' sites.
	SiteNames map[int64]string
}

func (h *Handler) fleetImportForm(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.AssetWrite, c.ID) {
		h.forbidden(w, r)
		return
	}
	h.render(w, h.view(w, r, "fleet"), http.StatusOK, "fleet_import", importPage{Client: c, Columns: asset.Columns(), Tab: "import"})
}

func (h *Handler) fleetImport(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.AssetWrite, c.ID) {
		h.forbidden(w, r)
		return
	}
	if !parseUploadForm(w, r) {
		return
	}
	v := h.view(w, r, "fleet")
	d := importPage{Client: c, Columns: asset.Columns(), SiteNames: map[int64]string{}, Tab: "import"}
	if sites, err := h.d.Clients.Sites(r.Context(), s, c.ID); err == nil {
		for _, st := range sites {
			d.SiteNames[st.ID] = st.Name
		}
	}
	confirm := r.PostFormValue("confirm") != ""
	if confirm {
		d.Content, d.FileName = r.PostFormValue("content"), r.PostFormValue("file_name")
	} else {
		var fileErr error
		d.Content, d.FileName, fileErr = uploadedCSV(r)
		if fileErr != nil {
			v.Form.add("csv", "required", "")
			h.render(w, v, http.StatusUnprocessableEntity, "fleet_import", d)
			return
		}
	}
	res, err := h.d.Assets.ImportCSV(r.Context(), s, c.ID, strings.NewReader(d.Content), !confirm)
	if err != nil {
		if inv, ok := fault.AsInvalid(err); ok {
			for _, f := range inv.Fields {
				v.Form.add("csv", f.Code, f.Param)
			}
			d.Content = ""
			h.render(w, v, http.StatusUnprocessableEntity, "fleet_import", d)
			return
		}
		h.fail(w, r, err)
		return
	}
	if confirm && res.OK {
		h.redirect(w, r, fleetPath(c.ID), "flash.assets_imported", strconv.Itoa(res.Created), strconv.Itoa(res.Updated))
		return
	}
	d.Result = &res
	for _, row := range res.Rows {
		if len(row.Errors) > 0 {
			d.Invalid++
		}
		if row.Update {
			d.Updates++
		} else {
			d.Creates++
		}
	}
	status := http.StatusOK
	if !res.OK {
		status = http.StatusUnprocessableEntity
	}
	h.render(w, v, status, "fleet_import", d)
}

// uploadedCSV reads the file of the import form.
func uploadedCSV(r *http.Request) (string, string, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["csv"]) == 0 {
		return "", "", errors.New("no file")
	}
	fh := r.MultipartForm.File["csv"][0]
	if fh.Size == 0 {
		return "", "", errors.New("empty file")
	}
	f, err := fh.Open()
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(f, asset.MaxImportBytes+1)); err != nil {
		return "", "", err
	}
	return buf.String(), fh.Filename, nil
}

// RowErrors writes one row's errors: "column: message".
func (v *view) RowErrors(row asset.ImportRow) []string {
	out := make([]string, 0, len(row.Errors))
	for _, e := range row.Errors {
		m := v.h.msg.FieldError(v.Lang, e.Message, e.Param)
		if e.Column != "" {
			m = e.Column + v.T("form.colon") + m
		}
		out = append(out, m)
	}
	return out
}

// RowSite names the site of an imported row.
func (d importPage) RowSite(row asset.ImportRow) string {
	if row.Asset.SiteID == nil {
		return ""
	}
	return d.SiteNames[*row.Asset.SiteID]
}

// Enrollment tokens and agent settings of a client.

type installCommand struct {
	ID, Label, Shell, Text string
}

type enrollPage struct {
	Client client.Client
	Tokens []asset.EnrollToken
	Sites  []option
	// SiteNames names each token's site.
	SiteNames map[int64]string
	Expiries  []option
	// Secret is the token just created, shown once with its commands.
	Secret   string
	Created  *asset.EnrollToken
	Commands []installCommand
	Tab      string
}

// SiteName names a token's site, "" for none.
func (d enrollPage) SiteName(id *int64) string {
	if id == nil {
		return ""
	}
	return d.SiteNames[*id]
}

// tokenExpiries are the lifetimes offered for a new token.
var tokenExpiries = []struct {
	key string
	d   time.Duration
}{{"1d", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}, {"90d", 90 * 24 * time.Hour}, {"never", 0}}

func (h *Handler) enrollData(w http.ResponseWriter, r *http.Request, v *view, s tenant.Scope, c client.Client) (enrollPage, bool) {
	d := enrollPage{Client: c, SiteNames: map[int64]string{}, Tab: "enroll"}
	ctx := r.Context()
	var err error
	if d.Tokens, err = h.d.Assets.EnrollTokens(ctx, s, c.ID); err != nil {
		h.fail(w, r, err)
		return d, false
	}
	sites, err := h.d.Clients.Sites(ctx, s, c.ID)
	if err != nil {
		h.fail(w, r, err)
		return d, false
	}
	d.Sites = []option{{Value: "", Label: v.T("fleet.enroll.any_site")}}
	for _, st := range sites {
		d.Sites = append(d.Sites, option{Value: itoa(st.ID), Label: st.Name})
		d.SiteNames[st.ID] = st.Name
	}
	for _, e := range tokenExpiries {
		d.Expiries = append(d.Expiries, option{Value: e.key, Label: v.T("fleet.enroll.expires." + e.key)})
	}
	return d, true
}

func (h *Handler) enrollPage(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.AgentAdmin, c.ID) {
		h.forbidden(w, r)
		return
	}
	v := h.view(w, r, "fleet")
	d, ok := h.enrollData(w, r, v, s, c)
	if !ok {
		return
	}
	v.Form.setValues(url.Values{"expires_in": {"7d"}})
	h.render(w, v, http.StatusOK, "fleet_enroll", d)
}

// enrollCreate makes a token and answers the page with its secret and
// install commands: the only time they are shown (no redirect, nothing kept).
func (h *Handler) enrollCreate(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	if !s.CanOn(tenant.AgentAdmin, c.ID) {
		h.forbidden(w, r)
		return
	}
	vals := r.PostForm
	t := asset.EnrollToken{ClientID: c.ID, Name: vals.Get("name"), SiteID: formID(vals, "site_id")}
	var inv fault.Invalid
	// The service checks the name too, but only once the form's own fields
	// pass: checked here so that every error shows at once.
	if strings.TrimSpace(t.Name) == "" {
		inv.Add("name", "required")
	}
	if m := strings.TrimSpace(vals.Get("max_uses")); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil {
			inv.Add("max_uses", "invalid_number")
		}
		t.MaxUses = n
	}
	known := false
	for _, e := range tokenExpiries {
		if e.key == vals.Get("expires_in") {
			known = true
			if e.d > 0 {
				exp := h.now().Add(e.d)
				t.Expires = &exp
			}
		}
	}
	if !known {
		inv.Add("expires_in", "invalid_choice")
	}
	err := inv.Err()
	var secret string
	if err == nil {
		secret, err = h.d.Assets.CreateEnrollToken(r.Context(), s, &t)
	}
	v := h.view(w, r, "fleet")
	v.Form.setValues(vals)
	d, ok := h.enrollData(w, r, v, s, c)
	if !ok {
		return
	}
	if err != nil {
		if fi, isInv := fault.AsInvalid(err); isInv {
			for _, f := range fi.Fields {
				name := f.Field
				if name == "expires_at" {
					name = "expires_in"
				}
				v.Form.add(name, f.Code, f.Param)
			}
			h.render(w, v, http.StatusUnprocessableEntity, "fleet_enroll", d)
			return
		}
		h.fail(w, r, err)
		return
	}
	d.Secret, d.Created = secret, &t
	d.Commands = installCommands(h.baseURL(r), secret)
	v.Form.setValues(url.Values{"expires_in": {"7d"}})
	h.render(w, v, http.StatusOK, "fleet_enroll", d)
}

// baseURL is the server's public address for the install commands.
func (h *Handler) baseURL(r *http.Request) string {
	if h.d.BaseURL != "" {
		return strings.TrimRight(h.d.BaseURL, "/")
	}
	return "https://vigie.example"
}

// installCommands are the ready-to-copy commands that download the agent
// and enroll it, for each platform the agent is built for.
func installCommands(base, token string) []installCommand {
	sh := shellQuote
	unix := func(goos, arch string) string {
		return fmt.Sprintf("curl -fsSLo vigie-agent %s && chmod +x vigie-agent\nsudo ./vigie-agent install --server %s --token %s",
			sh(base+"/agent/download/"+goos+"/"+arch), sh(base), sh(token))
	}
	ps := psQuote
	win := fmt.Sprintf("Invoke-WebRequest -Uri %s -OutFile vigie-agent.exe\n.\\vigie-agent.exe install --server %s --token %s",
		ps(base+"/agent/download/windows/amd64"), ps(base), ps(token))
	return []installCommand{
		{"cmd-linux-amd64", "Linux amd64", "sh", unix("linux", "amd64")},
		{"cmd-linux-arm64", "Linux arm64", "sh", unix("linux", "arm64")},
		{"cmd-windows-amd64", "Windows amd64", "powershell", win},
		{"cmd-darwin-arm64", "macOS arm64", "sh", unix("darwin", "arm64")},
	}
}

// shellQuote quotes a word for a POSIX shell unless it is plainly safe.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// psQuote quotes a word for PowerShell unless it is plainly safe.
func psQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func (h *Handler) enrollRevoke(w http.ResponseWriter, r *http.Request) {
	p, err := principal(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, ok := pathID(r, "id")
	if !ok || !parseForm(w, r) {
		if !ok {
			h.notFound(w, r)
		}
		return
	}
	if err := h.d.Assets.RevokeEnrollToken(r.Context(), p.Scope(), id); err != nil {
		h.fail(w, r, err)
		return
	}
	to := "/fleet"
	if cid := formID(r.PostForm, "client_id"); cid != nil {
		to = fleetPath(*cid) + "/enroll"
	}
	h.redirect(w, r, to, "flash.enroll_token_revoked")
}

// TokenState says whether a token can still enroll agents.
func (v *view) TokenState(t asset.EnrollToken) agentBadge {
	switch {
	case t.Revoked != nil:
		return agentBadge{"badge-danger", v.T("fleet.enroll.revoked")}
	case t.Expires != nil && !t.Expires.After(v.h.now()):
		return agentBadge{"badge-archived", v.T("fleet.enroll.expired")}
	case t.MaxUses > 0 && t.Uses >= t.MaxUses:
		return agentBadge{"badge-archived", v.T("fleet.enroll.used_up")}
	}
	return agentBadge{"badge-active", v.T("fleet.enroll.active")}
}

type fleetSettingsPage struct {
	Client     client.Client
	Version    int64
	Collectors []option
	Tab        string
}

func fleetSettingsValues(st agentproto.Settings) url.Values {
	vals := url.Values{
		"metric_interval":    {strconv.Itoa(st.MetricInterval)},
		"report_interval":    {strconv.Itoa(st.ReportInterval)},
		"inventory_interval": {strconv.Itoa(st.InventoryInterval)},
		"spool_mib":          {strconv.FormatInt(st.SpoolBytes>>20, 10)},
	}
	for _, c := range asset.Collectors {
		if on, set := st.Collectors[c]; !set || on {
			vals.Add("collectors", c)
		}
	}
	return vals
}

func (h *Handler) fleetSettingsData(v *view, c client.Client, version int64) fleetSettingsPage {
	d := fleetSettingsPage{Client: c, Version: version, Tab: "settings"}
	for _, col := range asset.Collectors {
		d.Collectors = append(d.Collectors, option{Value: col, Label: v.T("fleet.collector." + col)})
	}
	return d
}

func (h *Handler) fleetSettingsForm(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok {
		return
	}
	if !s.CanOn(tenant.AgentAdmin, c.ID) {
		h.forbidden(w, r)
		return
	}
	st, err := h.d.Assets.Settings(r.Context(), s, c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := h.view(w, r, "fleet")
	v.Form.setValues(fleetSettingsValues(st))
	h.render(w, v, http.StatusOK, "fleet_settings", h.fleetSettingsData(v, c, st.Version))
}

func (h *Handler) fleetSettingsSave(w http.ResponseWriter, r *http.Request) {
	c, s, ok := h.loadClient(w, r)
	if !ok || !parseForm(w, r) {
		return
	}
	if !s.CanOn(tenant.AgentAdmin, c.ID) {
		h.forbidden(w, r)
		return
	}
	vals := r.PostForm
	var inv fault.Invalid
	num := func(name string) int64 {
		raw := strings.TrimSpace(vals.Get(name))
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 0 || n > 1<<40 {
			inv.Add(name, "invalid_number")
			return 0
		}
		return n
	}
	st := agentproto.Settings{
		MetricInterval: int(num("metric_interval")), ReportInterval: int(num("report_interval")),
		InventoryInterval: int(num("inventory_interval")), SpoolBytes: num("spool_mib") << 20,
		Collectors: map[string]bool{},
	}
	for _, col := range asset.Collectors {
		if !slices.Contains(vals["collectors"], col) {
			st.Collectors[col] = false
		}
	}
	err := inv.Err()
	if err == nil {
		err = h.d.Assets.UpdateSettings(r.Context(), s, c.ID, st)
	}
	if err != nil {
		v := h.view(w, r, "fleet")
		v.Form.setValues(vals)
		cur, _ := h.d.Assets.Settings(r.Context(), s, c.ID)
		if fi, isInv := fault.AsInvalid(err); isInv {
			for _, f := range fi.Fields {
				name, param := f.Field, f.Param
				if name == "spool_bytes" {
					name, param = "spool_mib", fmt.Sprintf("%d–%d", asset.MinSpoolBytes>>20, asset.MaxSpoolBytes>>20)
				}
				v.Form.add(name, f.Code, param)
			}
			h.render(w, v, http.StatusUnprocessableEntity, "fleet_settings", h.fleetSettingsData(v, c, cur.Version))
			return
		}
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, fleetPath(c.ID), "flash.fleet_settings_saved")
}
