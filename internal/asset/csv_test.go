package asset_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/fault"
)

func TestParseCSV(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		rows  int
		field string // error code on "file", "" when valid
	}{
		{"comma", "kind,name\nprinter,P1\n", 1, ""},
		{"semicolon with BOM and CRLF", "\xef\xbb\xbfkind;name;ip\r\nprinter;P1;10.0.0.1\r\n;;\r\n", 1, ""},
		{"quoted separator", "kind,name,notes\nother,\"A, B\",\"multi\nline\"\n", 1, ""},
		{"header case and spaces", " Kind , NAME \nother,x\n", 1, ""},
		{"unknown column", "kind,name,colour\nother,x,red\n", 0, "csv_unknown_column"},
		{"missing name", "kind\nother\n", 0, "csv_missing_column"},
		{"duplicate column", "kind,name,name\n", 0, "csv_duplicate_column"},
		{"empty", "", 0, "csv_empty"},
		{"not utf-8", "kind,name\nother,\xff\n", 0, "csv_not_utf8"},
		{"bad quote", "kind,name\nother,\"x\n", 0, "csv_malformed"},
		{"extra cells", "kind,name\nother,x,y\n", 0, "csv_too_many_cells"},
		{"too many rows", "kind,name\n" + strings.Repeat("other,x\n", asset.MaxImportRows+1), 0, "csv_too_many_rows"},
		{"too large", "kind,name\nother," + strings.Repeat("x", asset.MaxImportBytes) + "\n", 0, "csv_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := asset.ParseCSV(strings.NewReader(tt.in))
			if tt.field != "" {
				wantInvalid(t, tt.name, err, "file", tt.field)
				return
			}
			if err != nil || len(recs) != tt.rows {
				t.Fatalf("ParseCSV = %d rows, %v; want %d", len(recs), err, tt.rows)
			}
		})
	}
	recs, err := asset.ParseCSV(strings.NewReader("kind;name;notes\nprinter;P1;'=SUM(A1)\n"))
	if err != nil || recs[0].Cells["notes"] != "=SUM(A1)" || recs[0].Line != 2 {
		t.Errorf("escaped formula: %+v, %v", recs, err)
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("kind,name\nprinter,P1\n"))
	f.Add([]byte("\xef\xbb\xbfid;kind;name;site;criticality;owner_email;warranty_end;parent;notes;ip\n1;server;s;HQ;high;a@b.c;2027-01-01;#2;\"x;y\";10.0.0.1\n"))
	f.Add([]byte("kind,name\n\"unterminated\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := asset.ParseCSV(bytes.NewReader(b))
		if err != nil {
			if _, ok := fault.AsInvalid(err); !ok {
				t.Fatalf("ParseCSV error is not a validation error: %v", err)
			}
			return
		}
		if len(recs) > asset.MaxImportRows {
			t.Fatalf("%d rows", len(recs))
		}
		for _, r := range recs {
			if r.Line < 2 {
				t.Fatalf("data row on line %d", r.Line)
			}
			if _, ok := r.Cells["kind"]; !ok && len(r.Cells) > 0 {
				t.Fatal("row without the kind column")
			}
		}
	})
}

func TestImportCSV(t *testing.T) {
	forDialects(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		router := asset.Asset{ClientID: e.A.ID, Kind: asset.KindNetwork, Name: "Router"}
		must(t, e.svc.Create(ctx, sys, &router))
		bad := "kind;name;site;criticality;owner_email;warranty_end;parent;ip;seats\n" +
			"printer;P1;HQ alpha;high;owner@alpha.example;31/12/2027;Router;10.0.0.12;\n" +
			"printer;P2;Nowhere;;;2027-13-01;;10.0.0.300;\n" +
			"licence;;;;nobody@alpha.example;;Ghost;;ten\n" +
			"toaster;T;;;;;;;\n" +
			"printer;P3;;;owner@bravo.example;;;;5\n"
		res, err := e.svc.ImportCSV(ctx, e.techA, e.A.ID, strings.NewReader(bad), false)
		must(t, err)
		if res.OK || res.Created != 0 || len(res.Rows) != 5 {
			t.Fatalf("import with bad rows = %+v", res)
		}
		errs := map[string]bool{}
		for _, r := range res.Rows {
			for _, fe := range r.Errors {
				errs[fmt.Sprintf("%d:%s:%s", r.Line, fe.Column, fe.Message)] = true
			}
		}
		for _, want := range []string{"3:site:unknown_site", "3:warranty_end:invalid_date", "3:ip:invalid_ip", "4:name:required",
			"4:owner_email:unknown_contact", "4:parent:unknown_asset", "4:seats:invalid_number", "5:kind:invalid_choice",
			"6:owner_email:unknown_contact", "6:seats:csv_field_of_other_kind"} {
			if !errs[want] {
				t.Errorf("missing error %s (got %v)", want, errs)
			}
		}
		if len(res.Rows[0].Errors) != 0 || res.Rows[0].Asset.SiteID == nil || *res.Rows[0].Asset.ParentID != router.ID || res.Rows[0].Asset.WarrantyEnd.Format("2006-01-02") != "2027-12-31" {
			t.Errorf("valid row = %+v", res.Rows[0])
		}
		if n, _ := e.svc.Count(ctx, sys, asset.Filter{ClientID: e.A.ID}); n != 1 {
			t.Errorf("an invalid import wrote %d assets", n-1)
		}

		good := "kind,name,site,ip,notes\nprinter,P1,hq ALPHA,10.0.0.12,\"=cmd\"\nlicence,Office,,,\n"
		res, err = e.svc.ImportCSV(ctx, e.techA, e.A.ID, strings.NewReader(good), true)
		must(t, err)
		if !res.OK || res.Created != 0 {
			t.Errorf("dry run = %+v", res)
		}
		if n, _ := e.svc.Count(ctx, sys, asset.Filter{ClientID: e.A.ID}); n != 1 {
			t.Errorf("a dry run wrote %d assets", n-1)
		}
		_, err = e.svc.ImportCSV(ctx, e.adminA, e.A.ID, strings.NewReader(good), false)
		wantKind(t, "client admin imports", err, fault.ErrForbidden)
		_, err = e.svc.ImportCSV(ctx, e.techA, e.B.ID, strings.NewReader(good), false)
		wantKind(t, "tech A imports into B", err, fault.ErrNotFound)
		res, err = e.svc.ImportCSV(ctx, e.techA, e.A.ID, strings.NewReader(good), false)
		must(t, err)
		if !res.OK || res.Created != 2 {
			t.Fatalf("import = %+v", res)
		}

		// Export, change a cell, import back: the same assets are updated.
		var out bytes.Buffer
		must(t, e.svc.ExportCSV(ctx, e.techA, asset.Filter{ClientID: e.A.ID}, &out))
		if !bytes.HasPrefix(out.Bytes(), []byte("\xef\xbb\xbfid,kind,name,")) || !strings.Contains(out.String(), "'=cmd") {
			t.Errorf("export:\n%s", out.String())
		}
		edited := strings.Replace(out.String(), "Office", "Office 365", 1)
		res, err = e.svc.ImportCSV(ctx, e.techA, e.A.ID, strings.NewReader(edited), false)
		must(t, err)
		if !res.OK || res.Created != 0 || res.Updated != 3 {
			t.Fatalf("re-import = %+v", res)
		}
		list, err := e.svc.List(ctx, sys, asset.Filter{ClientID: e.A.ID, Query: "office"})
		must(t, err)
		if len(list) != 1 || list[0].Name != "Office 365" {
			t.Errorf("after re-import: %+v", list)
		}
		p1, _ := e.svc.List(ctx, sys, asset.Filter{ClientID: e.A.ID, Query: "P1"})
		if len(p1) != 1 || p1[0].Notes != "=cmd" || p1[0].Fields["ip"] != "10.0.0.12" || p1[0].SiteID == nil {
			t.Errorf("P1 after round trip: %+v", p1)
		}
		var again bytes.Buffer
		must(t, e.svc.ExportCSV(ctx, e.techA, asset.Filter{ClientID: e.A.ID}, &again))
		if again.String() != edited {
			t.Errorf("export after re-import differs:\n%s\nwant\n%s", again.String(), edited)
		}
		// A column left out keeps its value; a column present but empty clears it.
		res, err = e.svc.ImportCSV(ctx, e.techA, e.A.ID, strings.NewReader(fmt.Sprintf("id,kind,name\n%d,printer,P1 bis\n", p1[0].ID)), false)
		must(t, err)
		if got, _ := e.svc.Get(ctx, sys, p1[0].ID); !res.OK || got.Name != "P1 bis" || got.SiteID == nil || got.Notes != "=cmd" || got.Fields["ip"] != "10.0.0.12" {
			t.Errorf("partial update: %+v %+v", res, got)
		}
		res, err = e.svc.ImportCSV(ctx, e.techA, e.A.ID, strings.NewReader(fmt.Sprintf("id,kind,name,site,ip\n%d,printer,P1 bis,,\n", p1[0].ID)), false)
		must(t, err)
		if got, _ := e.svc.Get(ctx, sys, p1[0].ID); !res.OK || got.SiteID != nil || got.Fields["ip"] != "" || got.Notes != "=cmd" {
			t.Errorf("clearing update: %+v %+v", res, got)
		}
		// An id of another client's asset is unknown here.
		bsrv := asset.Asset{ClientID: e.B.ID, Kind: asset.KindServer, Name: "srv-b"}
		must(t, e.svc.Create(ctx, sys, &bsrv))
		res, err = e.svc.ImportCSV(ctx, e.techA, e.A.ID, strings.NewReader(fmt.Sprintf("id,kind,name\n%d,server,stolen\n", bsrv.ID)), false)
		must(t, err)
		if res.OK || len(res.Rows[0].Errors) == 0 || res.Rows[0].Errors[0].Message != "unknown_asset" {
			t.Errorf("foreign id: %+v", res)
		}
		if got, _ := e.svc.Get(ctx, sys, bsrv.ID); got.Name != "srv-b" {
			t.Error("import renamed B's asset")
		}
		_, err = e.svc.ImportCSV(ctx, e.techA, e.A.ID, strings.NewReader("kind,name,colour\n"), false)
		if v, ok := fault.AsInvalid(err); !ok || v.Fields[0].Code != "csv_unknown_column" {
			t.Errorf("unknown column: %v", err)
		}
		_ = errors.New
	})
}
