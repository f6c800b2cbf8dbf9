package api_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-hq/vigie/internal/app/apptest"
)

// TestOpenAPIMatchesRouter compares the document served by a real server
// with the routes its router registered under /api/v1: a route missing from
// the document, or a documented operation that no route serves, fails.
func TestOpenAPIMatchesRouter(t *testing.T) {
	s := apptest.New(t, "sqlite")
	e := &env{s: s, http: newEnvHTTP()}
	r := e.do(t, "GET", "/api/v1/openapi.json", "", nil).want(t, 200)
	var doc struct {
		OpenAPI string `json:"openapi"`
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			SecuritySchemes map[string]json.RawMessage `json:"securitySchemes"`
		} `json:"components"`
	}
	r.decode(t, &doc)
	if doc.OpenAPI != "3.1.0" || len(doc.Servers) != 1 {
		t.Fatalf("openapi %q, servers %+v", doc.OpenAPI, doc.Servers)
	}
	if _, ok := doc.Components.SecuritySchemes["bearer"]; !ok {
		t.Fatal("no bearer security scheme")
	}
	base := doc.Servers[0].URL

	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			documented[strings.ToUpper(method)+" "+base+path] = true
		}
	}
	registered := map[string]bool{}
	for _, rt := range s.App.Router.Routes() {
		if !strings.HasPrefix(rt.Path, "/api/v1/") {
			continue
		}
		if rt.Method == "" {
			t.Errorf("route %q has no method: the document cannot describe it", rt.Pattern)
			continue
		}
		registered[rt.Method+" "+rt.Path] = true
	}
	if len(registered) == 0 {
		t.Fatal("no route registered under /api/v1")
	}
	for r := range registered {
		if !documented[r] {
			t.Errorf("route %s is registered but missing from the OpenAPI document", r)
		}
	}
	for d := range documented {
		if !registered[d] {
			t.Errorf("the OpenAPI document lists %s, which no route serves", d)
		}
	}
}

// TestOpenAPIDocument checks the document's own consistency: every
// reference resolves, every path parameter is declared, operation ids are
// unique, every operation answers something and names its security.
func TestOpenAPIDocument(t *testing.T) {
	s := apptest.New(t, "sqlite")
	e := &env{s: s, http: newEnvHTTP()}
	raw := e.do(t, "GET", "/api/v1/openapi.json", "", nil).want(t, 200).body
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	// Every $ref points into the document.
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "$ref" {
					refs = append(refs, x.(string))
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	if len(refs) == 0 {
		t.Fatal("no $ref at all")
	}
	for _, ref := range refs {
		if resolve(doc, ref) == nil {
			t.Errorf("$ref %s does not resolve", ref)
		}
	}
	paramRe := regexp.MustCompile(`\{([^}]+)\}`)
	ops := map[string]bool{}
	for path, item := range doc["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			op := o.(map[string]any)
			id, _ := op["operationId"].(string)
			if id == "" || ops[id] {
				t.Errorf("%s %s: operationId %q missing or repeated", method, path, id)
			}
			ops[id] = true
			var declared []string
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				p := p.(map[string]any)
				if p["in"] == "path" {
					declared = append(declared, p["name"].(string))
				}
			}
			for _, m := range paramRe.FindAllStringSubmatch(path, -1) {
				if !slices.Contains(declared, m[1]) {
					t.Errorf("%s %s: path parameter %s not declared", method, path, m[1])
				}
			}
			resp, _ := op["responses"].(map[string]any)
			if len(resp) == 0 {
				t.Errorf("%s %s: no responses", method, path)
			}
			if _, ok := resp["500"]; !ok {
				t.Errorf("%s %s: no problem response", method, path)
			}
			if (method == "post" || method == "patch") && op["requestBody"] == nil && !strings.HasSuffix(path, "/archive") && !strings.HasSuffix(path, "/restore") && !strings.HasSuffix(path, "/discard") && !strings.HasSuffix(path, "/revoke") {
				t.Errorf("%s %s: no request body", method, path)
			}
		}
	}
	// Every type the API returns or accepts has a schema.
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for _, name := range []string{"Client", "Site", "Contact", "User", "AuditEntry", "Token", "Me", "Problem", "ClientPage",
		"ClientCreate", "ClientPatch", "SiteInput", "SitePatch", "ContactInput", "ContactPatch", "UserCreate", "UserPatch"} {
		if _, ok := schemas[name]; !ok {
			t.Errorf("no schema %s", name)
		}
	}
	// Secrets never appear in a schema.
	for _, secret := range []string{"password_hash", `"hash"`, "totp_secret"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the document mentions %s", secret)
		}
	}
}

// resolve follows a local JSON pointer ("#/components/schemas/Client").
func resolve(doc map[string]any, ref string) any {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	var cur any = doc
	for part := range strings.SplitSeq(rest, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]
	}
	return cur
}
