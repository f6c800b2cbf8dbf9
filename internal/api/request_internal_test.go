package api

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestDuplicateKey(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // "" for none
	}{
		{`{"a":1,"b":2}`, ""},
		{`{"a":1,"a":2}`, "a"},
		{`{"a":{"x":1},"b":{"x":2}}`, ""},
		{`{"a":{"x":1,"x":2}}`, "x"},
		{`{"a":[{"k":1},{"k":2}],"b":3}`, ""},
		{`{"a":[{"k":1,"k":2}]}`, "k"},
		{`{"a":"a","b":"a"}`, ""},
		{`{"a":["a","a"],"b":"b"}`, ""},
		{`{"a":{},"b":[],"a":null}`, "a"},
		{`{"a":null,"b":true,"c":1.5,"b":false}`, "b"},
	} {
		got, ok := duplicateKey([]byte(c.in))
		if ok != (c.want != "") || got != c.want {
			t.Errorf("duplicateKey(%s) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
}

func TestOptTellsAbsentFromNull(t *testing.T) {
	var p contactPatch
	if err := decodeJSON([]byte(`{"site_id":null,"job_title":"DAF"}`), &p); err != nil {
		t.Fatal(err)
	}
	if !p.SiteID.Set || !p.SiteID.Null || !p.JobTitle.Set || p.JobTitle.Value != "DAF" || p.Email.Set {
		t.Fatalf("%+v", p)
	}
	id := int64(4)
	ptr := &id
	p.SiteID.applyPtr(&ptr)
	if ptr != nil {
		t.Fatal("null did not clear site_id")
	}
}

// FuzzDecodeJSON feeds request bodies to the strict decoder: it must never
// panic, and what it accepts must be a JSON object that encoding/json reads.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"name":"x"}`, `{"site_id":null}`, `{"name":"a","name":"b"}`, `[]`, `{`, "{\"name\":\"\xff\"}", `{"vip":true} x`, `{"clients":[1,2]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p userPatch
		err := decodeJSON(b, &p)
		if err == nil {
			var m map[string]json.RawMessage
			if json.Unmarshal(b, &m) != nil {
				t.Fatalf("accepted %q, which is not a JSON object", b)
			}
			return
		}
		var re *requestError
		if !errors.As(err, &re) || re.status != 400 {
			t.Fatalf("decode %q: %v is not a 400", b, err)
		}
	})
}
