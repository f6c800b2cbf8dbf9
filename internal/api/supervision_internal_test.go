package api

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/supervision"
)

// TestSupervisionDocument builds the OpenAPI document with the supervision
// routes: every type they expose has a schema, and the schemas are theirs.
func TestSupervisionDocument(t *testing.T) {
	a := New(Deps{Supervision: supervision.NewService(nil, nil, nil, nil)})
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(a.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/checks", "/checks/{id}", "/checks/{id}/events", "/checks/{id}/acknowledge", "/checks/{id}/run",
		"/checks/{id}/availability", "/checks/{id}/backup-runs", "/check-templates", "/check-templates/{id}", "/supervision/board",
		"/maintenance-windows", "/maintenance-windows/{id}", "/assets/{id}/restore-tests", "/restore-tests/{id}", "/backups", "/assets/{id}/tags"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("path %s missing from the document", p)
		}
	}
	for _, s := range []string{"CheckView", "CheckStatusView", "CheckParams", "CheckInput", "CheckPatch", "TemplateView", "WindowView", "BoardView", "RestoreTest", "BackupSummary"} {
		if _, ok := doc.Components.Schemas[s]; !ok {
			t.Errorf("schema %s missing", s)
		}
	}
	var in struct {
		Additional *bool `json:"additionalProperties"`
	}
	if err := json.Unmarshal(doc.Components.Schemas["CheckInput"], &in); err != nil || in.Additional == nil || *in.Additional {
		t.Errorf("CheckInput accepts unknown properties: %s", doc.Components.Schemas["CheckInput"])
	}
}

func TestParsePush(t *testing.T) {
	tests := []struct {
		target string
		ok     bool
		secs   float64
		bytes  int64
		msg    string
		bad    string // part of the 400 message; "" when accepted
	}{
		{"/push/t?duration=754&size=4.2GB&msg=done", true, 754, 4_200_000_000, "done", ""},
		{"/push/t?duration=12m&size=512MiB", true, 720, 512 << 20, "", ""},
		{"/push/t?duration=1h30m&size=1000", true, 5400, 1000, "", ""},
		{"/push/t/fail?msg=disk+full", false, 0, 0, "disk full", ""},
		{"/push/t/0", true, 0, 0, "", ""},
		{"/push/t/2?msg=rsync", false, 0, 0, "exit code 2: rsync", ""},
		{"/push/t/137", false, 0, 0, "exit code 137", ""},
		{"/push/t?duration=soon", true, 0, 0, "", "duration"},
		{"/push/t?duration=-5", true, 0, 0, "", "duration"},
		{"/push/t?size=4.2XB", true, 0, 0, "", "size"},
		{"/push/t?size=-1", true, 0, 0, "", "size"},
		{"/push/t/maybe", true, 0, 0, "", "status"},
		{"/push/t/256", true, 0, 0, "", "status"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.target, nil)
			parts := strings.Split(strings.SplitN(tt.target, "?", 2)[0], "/")
			r.SetPathValue("token", parts[2])
			if len(parts) > 3 {
				r.SetPathValue("status", parts[3])
			}
			in, err := readPush(r)
			if tt.bad != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.bad) {
					t.Fatalf("err = %v, want one about %s", err, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if in.OK != tt.ok || in.Seconds != tt.secs || in.Bytes != tt.bytes || in.Message != tt.msg {
				t.Errorf("got %+v", in)
			}
		})
	}
	r := httptest.NewRequest("POST", "/push/t/fail", strings.NewReader(strings.Repeat("x", 5000)))
	r.Header.Set("Content-Type", "text/plain; charset=utf-8")
	r.SetPathValue("token", "t")
	r.SetPathValue("status", "fail")
	in, err := readPush(r)
	if err != nil || in.OK || len(in.Message) != maxPushBody {
		t.Errorf("text body: %d bytes, ok %v, err %v", len(in.Message), in.OK, err)
	}
}

// FuzzPushParams feeds the push parameters arbitrary text: the parsers never
// panic, and what they accept is a finite, non-negative amount.
func FuzzPushParams(f *testing.F) {
	for _, s := range []string{"754", "12.5", "12m", "1h30m", "4.2GB", "512MiB", "1e30", "-1", "NaN", "Inf", " 3 kb", "..", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := parsePushDuration(s); err == nil && (d < 0 || d != d) {
			t.Errorf("duration %q = %v", s, d)
		}
		if n, err := parsePushSize(s); err == nil && n < 0 {
			t.Errorf("size %q = %d", s, n)
		}
		r := httptest.NewRequest("GET", "/push/t?duration=x", nil)
		r.Form = map[string][]string{"duration": {s}, "size": {s}, "msg": {s}}
		r.SetPathValue("token", "t")
		r.SetPathValue("status", s)
		_, _ = readPush(r)
	})
}
