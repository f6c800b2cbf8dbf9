package asset

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Limits of a CSV import.
const (
	MaxImportRows  = 10000
	MaxImportBytes = 5 << 20
)

// Common CSV columns, before the fields of the kinds.
var commonColumns = []string{"id", "kind", "name", "site", "criticality", "owner_email", "warranty_end", "parent", "notes"}

// Columns returns the CSV columns in order: the common ones, then every
// kind's field keys (each once, in the order of Kinds).
func Columns() []string {
	cols := append([]string(nil), commonColumns...)
	seen := map[string]bool{}
	for _, c := range cols {
		seen[c] = true
	}
	for _, k := range Kinds {
		for _, f := range KindFields[k] {
			if !seen[f.Key] {
				seen[f.Key] = true
				cols = append(cols, f.Key)
			}
		}
	}
	return cols
}

// FieldError is what is wrong with one cell of an import. Message is a
// message key (translated as error.<key>), Param fills it.
type FieldError struct {
	Column  string `json:"column"`
	Message string `json:"message"`
	Param   string `json:"param,omitempty"`
}

// ImportRow is one data row of an import: the asset it gives, whether it
// updates an existing one (an id column), and its errors.
type ImportRow struct {
	Line   int          `json:"line"` // line number in the file, the header being line 1
	Asset  Asset        `json:"asset"`
	Update bool         `json:"update"`
	Errors []FieldError `json:"errors,omitempty"`
}

// ImportResult is the outcome of an import or of its dry run. OK is true
// when every row is valid; then, unless it was a dry run, every row was
// written in one transaction.
type ImportResult struct {
	Rows    []ImportRow `json:"rows"`
	Created int         `json:"created"`
	Updated int         `json:"updated"`
	OK      bool        `json:"ok"`
}

// CSVRecord is one data row of a CSV file, by column.
type CSVRecord struct {
	Line  int
	Cells map[string]string
}

// ParseCSV reads an asset CSV file: UTF-8 with or without a byte-order
// mark, comma or semicolon separated (the header line decides), a header
// of known column names (kind and name required). It refuses a file over
// MaxImportBytes or MaxImportRows with a validation error on "file".
func ParseCSV(r io.Reader) ([]CSVRecord, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read csv: %w", err)
	}
	bad := func(code string, param ...any) error {
		v := &fault.Invalid{}
		v.Add("file", code, param...)
		return v
	}
	if len(raw) > MaxImportBytes {
		return nil, bad("csv_too_large", MaxImportBytes>>20)
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(raw) {
		return nil, bad("csv_not_utf8")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, bad("csv_empty")
	}
	first, _, _ := bytes.Cut(raw, []byte("\n"))
	sep := ','
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		sep = ';'
	}
	cr := csv.NewReader(bufio.NewReader(bytes.NewReader(raw)))
	cr.Comma = sep
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, bad("csv_malformed", 1)
	}
	known := map[string]bool{}
	for _, c := range Columns() {
		known[c] = true
	}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case h == "":
			return nil, bad("csv_empty_column", i+1)
		case !known[h]:
			return nil, bad("csv_unknown_column", h)
		case seen[h]:
			return nil, bad("csv_duplicate_column", h)
		}
		seen[h] = true
		cols[i] = h
	}
	for _, need := range []string{"kind", "name"} {
		if !seen[need] {
			return nil, bad("csv_missing_column", need)
		}
	}
	var out []CSVRecord
	for {
		line, _ := cr.FieldPos(0)
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, bad("csv_malformed", pe.Line)
			}
			return nil, bad("csv_malformed", line)
		}
		line, _ = cr.FieldPos(0)
		if len(rec) > len(cols) {
			extra := strings.Join(rec[len(cols):], "")
			if strings.TrimSpace(extra) != "" {
				return nil, bad("csv_too_many_cells", line)
			}
		}
		empty := true
		cells := make(map[string]string, len(cols))
		for i, c := range cols {
			if i < len(rec) {
				cells[c] = unescapeCell(strings.TrimSpace(rec[i]))
				empty = empty && cells[c] == ""
			}
		}
		if empty {
			continue // blank lines and rows of only separators, as spreadsheets write them
		}
		if len(out) == MaxImportRows {
			return nil, bad("csv_too_many_rows", MaxImportRows)
		}
		out = append(out, CSVRecord{Line: line, Cells: cells})
	}
	return out, nil
}

// A cell that a spreadsheet would take for a formula is written with a
// leading apostrophe (CSV injection) and read back without it.
func escapeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func unescapeCell(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}

// columnOf maps a validation field to its CSV column.
func columnOf(field string) string {
	switch field {
	case "site_id":
		return "site"
	case "owner_contact_id":
		return "owner_email"
	case "parent_id":
		return "parent"
	}
	return strings.TrimPrefix(field, "fields.")
}

// importer resolves the names of a CSV file within one client.
type importer struct {
	svc      *Service
	s        tenant.Scope
	clientID int64
	sites    map[string]int64 // folded name → id; 0 when two share it
	contacts map[string]int64 // e-mail → id
}

func (im *importer) row(ctx context.Context, rec CSVRecord, seenIDs map[int64]int) (ImportRow, error) {
	row := ImportRow{Line: rec.Line}
	c := rec.Cells
	fail := func(col, msg string, param ...any) {
		p := ""
		if len(param) > 0 {
			p = fmt.Sprint(param[0])
		}
		row.Errors = append(row.Errors, FieldError{Column: col, Message: msg, Param: p})
	}
	a := Asset{ClientID: im.clientID}
	if s := c["id"]; s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		switch {
		case err != nil || id <= 0:
			fail("id", "invalid_number")
		case seenIDs[id] != 0:
			fail("id", "csv_duplicate_id", seenIDs[id])
		default:
			seenIDs[id] = rec.Line
			old, err := im.svc.store.Asset(ctx, im.s, id)
			if err != nil && !errors.Is(err, fault.ErrNotFound) {
				return row, err
			}
			if err != nil || old.ClientID != im.clientID {
				fail("id", "unknown_asset")
			} else {
				a, row.Update = old, true
				a.Agent, a.Vitals = nil, nil
			}
		}
	}
	// set tells whether a column gives the value: always for a new
	// asset; for an update only when the file has the column, so that a
	// column left out keeps the asset's value.
	set := func(col string) bool {
		_, ok := c[col]
		return ok || !row.Update
	}
	a.Kind = Kind(strings.ToLower(c["kind"]))
	a.Name = c["name"]
	if set("criticality") {
		a.Criticality = Criticality(strings.ToLower(c["criticality"]))
	}
	if set("notes") {
		a.Notes = c["notes"]
	}
	if set("site") {
		a.SiteID = nil
	}
	if name := c["site"]; name != "" {
		id, ok := im.sites[foldName(name)]
		switch {
		case !ok:
			fail("site", "unknown_site")
		case id == 0:
			fail("site", "ambiguous_name")
		default:
			a.SiteID = &id
		}
	}
	if set("owner_email") {
		a.OwnerContactID = nil
	}
	if email := strings.ToLower(c["owner_email"]); email != "" {
		if id, ok := im.contacts[email]; ok {
			a.OwnerContactID = &id
		} else {
			fail("owner_email", "unknown_contact")
		}
	}
	if set("warranty_end") {
		a.WarrantyEnd = nil
	}
	if s := c["warranty_end"]; s != "" {
		d, ok := ParseDate(s)
		if !ok {
			// French spreadsheets turn dates into DD/MM/YYYY.
			t, err := time.Parse("02/01/2006", s)
			d, ok = t, err == nil
		}
		if ok {
			a.WarrantyEnd = &d
		} else {
			fail("warranty_end", codeInvalidDate)
		}
	}
	if set("parent") {
		a.ParentID = nil
	}
	if p := c["parent"]; p != "" {
		id, code, err := im.parent(ctx, p)
		if err != nil {
			return row, err
		}
		if code != "" {
			fail("parent", code)
		} else {
			a.ParentID = &id
		}
	}
	fields := map[string]string{}
	for _, col := range Columns()[len(commonColumns):] {
		v, ok := c[col]
		if !ok {
			if old, kept := a.Fields[col]; kept && row.Update {
				fields[col] = old // a column left out keeps its value
			}
			continue
		}
		if v == "" {
			continue
		}
		if _, ok := a.Kind.Field(col); !ok && a.Kind.Valid() {
			fail(col, "csv_field_of_other_kind", a.Kind)
			continue
		}
		fields[col] = v
	}
	a.Fields = fields
	if err := a.Normalize(); err != nil {
		v, ok := fault.AsInvalid(err)
		if !ok {
			return row, err
		}
		for _, f := range v.Fields {
			fail(columnOf(f.Field), f.Code, f.Param)
		}
	}
	if a.ParentID != nil && row.Update {
		code, err := im.svc.checkParent(ctx, im.s, a.ID, a.ClientID, *a.ParentID)
		if err != nil {
			return row, err
		}
		if code != "" {
			fail("parent", code)
		}
	}
	row.Asset = a
	return row, nil
}

// parent resolves a parent cell: "#<id>" or the name of an asset of the client.
func (im *importer) parent(ctx context.Context, cell string) (int64, string, error) {
	if rest, ok := strings.CutPrefix(cell, "#"); ok {
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || id <= 0 {
			return 0, "invalid_number", nil
		}
		pa, err := im.svc.store.Asset(ctx, im.s, id)
		if errors.Is(err, fault.ErrNotFound) || (err == nil && pa.ClientID != im.clientID) {
			return 0, "unknown_asset", nil
		}
		return id, "", err
	}
	as, err := im.svc.store.AssetsNamed(ctx, im.s, im.clientID, cell)
	if err != nil {
		return 0, "", err
	}
	switch len(as) {
	case 0:
		return 0, "unknown_asset", nil
	case 1:
		return as[0].ID, "", nil
	}
	return 0, "ambiguous_name", nil
}

func foldName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ImportCSV reads assets of one client from a CSV file (see ParseCSV) and
// checks every row. Unless dryRun, and only when every row is valid, it
// creates (rows without id) and updates (rows with the id of one of the
// client's assets) them all in one transaction.
func (svc *Service) ImportCSV(ctx context.Context, s tenant.Scope, clientID int64, r io.Reader, dryRun bool) (ImportResult, error) {
	if !s.CanSee(clientID) {
		return ImportResult{}, fault.ErrNotFound
	}
	if !s.CanOn(tenant.AssetWrite, clientID) {
		return ImportResult{}, fault.ErrForbidden
	}
	recs, err := ParseCSV(r)
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	errDone := errors.New("dry run or invalid rows: nothing to write")
	err = svc.store.InTx(ctx, func(ctx context.Context) error {
		if _, err := svc.store.Client(ctx, s, clientID); err != nil {
			return err
		}
		im := &importer{svc: svc, s: s, clientID: clientID, sites: map[string]int64{}, contacts: map[string]int64{}}
		sites, err := svc.store.Sites(ctx, s, clientID)
		if err != nil {
			return err
		}
		for _, st := range sites {
			k := foldName(st.Name)
			if _, dup := im.sites[k]; dup {
				im.sites[k] = 0
			} else {
				im.sites[k] = st.ID
			}
		}
		for after := int64(0); ; {
			cs, err := svc.store.Contacts(ctx, s, client.ContactFilter{ClientID: clientID, After: after, Limit: 500})
			if err != nil {
				return err
			}
			for _, c := range cs {
				if c.Email != "" {
					im.contacts[strings.ToLower(c.Email)] = c.ID
				}
			}
			if len(cs) < 500 {
				break
			}
			after = cs[len(cs)-1].ID
		}
		res.OK = true
		seen := map[int64]int{}
		for _, rec := range recs {
			row, err := im.row(ctx, rec, seen)
			if err != nil {
				return err
			}
			res.OK = res.OK && len(row.Errors) == 0
			res.Rows = append(res.Rows, row)
		}
		if !res.OK || dryRun {
			return errDone
		}
		for i := range res.Rows {
			row := &res.Rows[i]
			if row.Update {
				old, err := svc.store.Asset(ctx, s, row.Asset.ID)
				if err != nil {
					return err
				}
				if err := svc.store.UpdateAsset(ctx, s, &row.Asset); err != nil {
					return fmt.Errorf("update asset %d (line %d): %w", row.Asset.ID, row.Line, err)
				}
				res.Updated++
				if err := svc.record(ctx, audit.Entry{ClientID: &clientID, Action: "asset.update", Object: audit.Object("asset", row.Asset.ID), Summary: "CSV import: " + auditDiff(old, row.Asset)}); err != nil {
					return err
				}
				continue
			}
			if err := svc.store.CreateAsset(ctx, s, &row.Asset); err != nil {
				return fmt.Errorf("create asset (line %d): %w", row.Line, err)
			}
			res.Created++
			if err := svc.record(ctx, audit.Entry{ClientID: &clientID, Action: "asset.create", Object: audit.Object("asset", row.Asset.ID), Summary: "CSV import: " + string(row.Asset.Kind) + " " + row.Asset.Name}); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errDone) {
		err = nil
	}
	if err != nil {
		return ImportResult{}, err
	}
	if res.Rows == nil {
		res.Rows = []ImportRow{}
	}
	return res, nil
}

// ExportCSV writes the assets of a filter as CSV, in the columns ImportCSV
// reads (UTF-8 with a byte-order mark for spreadsheets, comma separated),
// so that an export edited and imported back updates the same assets.
func (svc *Service) ExportCSV(ctx context.Context, s tenant.Scope, f Filter, w io.Writer) error {
	if _, err := w.Write([]byte("\xef\xbb\xbf")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cols := Columns()
	if err := cw.Write(cols); err != nil {
		return err
	}
	siteNames := map[int64]string{}
	emails := map[int64]string{}
	parents := map[int64]string{}
	f.After = 0
	f.Limit = 500
	for {
		page, err := svc.List(ctx, s, f)
		if err != nil {
			return err
		}
		for _, a := range page {
			rec, err := svc.exportRow(ctx, s, a, cols, siteNames, emails, parents)
			if err != nil {
				return err
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		if len(page) < f.Limit {
			break
		}
		f.After = page[len(page)-1].ID
	}
	cw.Flush()
	return cw.Error()
}

func (svc *Service) exportRow(ctx context.Context, s tenant.Scope, a Asset, cols []string, siteNames, emails, parents map[int64]string) ([]string, error) {
	cell := map[string]string{
		"id": strconv.FormatInt(a.ID, 10), "kind": string(a.Kind), "name": a.Name, "criticality": string(a.Criticality), "notes": a.Notes,
	}
	if a.SiteID != nil {
		name, ok := siteNames[*a.SiteID]
		if !ok {
			st, err := svc.store.Site(ctx, s, *a.SiteID)
			if err != nil && !errors.Is(err, fault.ErrNotFound) {
				return nil, err
			}
			name = st.Name
			siteNames[*a.SiteID] = name
		}
		cell["site"] = name
	}
	if a.OwnerContactID != nil {
		email, ok := emails[*a.OwnerContactID]
		if !ok {
			c, err := svc.store.Contact(ctx, s, *a.OwnerContactID)
			if err != nil && !errors.Is(err, fault.ErrNotFound) {
				return nil, err
			}
			email = c.Email
			emails[*a.OwnerContactID] = email
		}
		cell["owner_email"] = email
	}
	if a.WarrantyEnd != nil {
		cell["warranty_end"] = a.WarrantyEnd.UTC().Format(time.DateOnly)
	}
	if a.ParentID != nil {
		ref, ok := parents[*a.ParentID]
		if !ok {
			ref = "#" + strconv.FormatInt(*a.ParentID, 10)
			if pa, err := svc.store.Asset(ctx, s, *a.ParentID); err == nil && pa.Name != "" && !strings.HasPrefix(pa.Name, "#") {
				same, err := svc.store.AssetsNamed(ctx, s, pa.ClientID, pa.Name)
				if err != nil {
					return nil, err
				}
				if len(same) == 1 {
					ref = pa.Name
				}
			}
			parents[*a.ParentID] = ref
		}
		cell["parent"] = ref
	}
	for k, v := range a.Fields {
		cell[k] = v
	}
	rec := make([]string, len(cols))
	for i, c := range cols {
		rec[i] = escapeCell(cell[c])
	}
	return rec, nil
}
