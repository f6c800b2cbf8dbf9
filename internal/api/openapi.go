package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/ticket"
)

// The OpenAPI document is built from the endpoint table and from the Go
// types themselves (json tags, plus a doc tag on the API's own request
// types), so a field added to a type appears in the document without anyone
// remembering to write it.

type object = map[string]any

// schemaNames renames types whose Go name would be unclear in the document.
var schemaNames = map[reflect.Type]string{
	reflect.TypeFor[audit.Entry]():     "AuditEntry",
	reflect.TypeFor[ticket.SLA]():      "TicketSLA",
	reflect.TypeFor[ticket.Event]():    "TicketEvent",
	reflect.TypeFor[ticket.Settings](): "HelpdeskSettings",
	reflect.TypeFor[settingsInput]():   "HelpdeskSettingsInput",
	reflect.TypeFor[calendarDoc]():     "Calendar",
}

var pathParam = regexp.MustCompile(`\{([a-zA-Z_]+)\}`)

// buildDocument returns the OpenAPI 3.1 document of the endpoints.
func buildDocument(eps []endpoint) object {
	g := &schemaGen{schemas: object{}, inputs: map[reflect.Type]bool{}}
	for _, e := range eps {
		if e.body != nil {
			g.inputs[reflect.TypeOf(e.body)] = true
		}
	}
	// sla.Parse refuses unknown fields, and the text form leaves empty parts out.
	g.inputs[reflect.TypeFor[calendarDoc]()] = true
	g.schemas["Problem"] = object{
		"type":        "object",
		"description": "An RFC 9457 problem. detail and errors[].message are in the caller's language.",
		"required":    []string{"type", "title", "status", "detail"},
		"properties": object{
			"type":   object{"type": "string", "description": "urn:vigie:problem:<kind>: not-found, forbidden, read-only, conflict, invalid, bad-request, unsupported-media-type, too-large, unauthorized, throttled, internal."},
			"title":  object{"type": "string"},
			"status": object{"type": "integer"},
			"detail": object{"type": "string"},
			"errors": object{"type": "array", "items": object{"$ref": "#/components/schemas/ProblemField"}},
		},
	}
	g.schemas["ProblemField"] = object{
		"type":     "object",
		"required": []string{"field", "code", "message"},
		"properties": object{
			"field":   object{"type": "string", "description": "The JSON field or query parameter."},
			"code":    object{"type": "string", "description": "A stable code: required, too_long, invalid_email, taken, unknown_field…"},
			"message": object{"type": "string", "description": "The code explained in the caller's language."},
		},
	}
	responses := object{}
	for _, st := range []int{400, 401, 403, 404, 409, 413, 415, 422, 429, 500} {
		responses[problemResponse(st)] = object{
			"description": http.StatusText(st),
			"content":     object{"application/problem+json": object{"schema": object{"$ref": "#/components/schemas/Problem"}}},
		}
	}

	paths := object{}
	for _, e := range eps {
		item, _ := paths[e.path].(object)
		if item == nil {
			item = object{}
			paths[e.path] = item
		}
		item[strings.ToLower(e.method)] = g.operation(e)
	}
	return object{
		"openapi": "3.1.0",
		"info": object{
			"title":   "Vigie API",
			"version": "1",
			"description": "The JSON API of Vigie. Authenticate with a personal API token (Authorization: Bearer vgt_…); " +
				"a read-scope token may only read. Listings are paged by cursor: pass next_cursor as after until it is null. " +
				"PATCH bodies are JSON merge patches: absent fields are kept, null clears a field. Errors are RFC 9457 problems.",
		},
		"servers": []object{{"url": Prefix}},
		"security": []object{
			{"bearer": []string{}},
			{"session": []string{}},
		},
		"tags": []object{
			{"name": "meta"}, {"name": "clients"}, {"name": "sites"}, {"name": "contacts"}, {"name": "users"}, {"name": "audit"},
			{"name": "tickets"}, {"name": "helpdesk", "description": "Helpdesk settings, categories and the service levels of clients."},
		},
		"paths": paths,
		"components": object{
			"schemas":   g.schemas,
			"responses": responses,
			"securitySchemes": object{
				"bearer":  object{"type": "http", "scheme": "bearer", "description": "A personal API token (vgt_…), created on the account page."},
				"session": object{"type": "apiKey", "in": "cookie", "name": "vigie_session", "description": "The session of a signed-in browser."},
			},
		},
	}
}

func problemResponse(status int) string {
	return strings.ReplaceAll(http.StatusText(status), " ", "") + "Problem"
}

func (g *schemaGen) operation(e endpoint) object {
	op := object{"operationId": e.op, "summary": e.summary, "tags": []string{e.tag}}
	var params []object
	for _, m := range pathParam.FindAllStringSubmatch(e.path, -1) {
		params = append(params, object{
			"name": m[1], "in": "path", "required": true,
			"description": "A positive integer id; any other value is not found.",
			"schema":      object{"type": "integer", "format": "int64", "minimum": 1},
		})
	}
	for _, p := range e.query {
		s := object{"type": p.typ}
		if p.format != "" {
			s["format"] = p.format
		}
		if p.enum != nil {
			s["enum"] = p.enum
		}
		switch p.name {
		case "limit":
			s["minimum"], s["maximum"], s["default"] = 1, maxLimit, defaultLimit
		case "client_id", "actor_id":
			s["minimum"] = 1
		case "assignee_id":
			s["minimum"] = 0
		}
		qp := object{"name": p.name, "in": "query", "required": false, "description": p.desc, "schema": s}
		if p.list {
			qp["schema"] = object{"type": "array", "items": s}
			qp["style"], qp["explode"] = "form", true
		}
		params = append(params, qp)
	}
	if params != nil {
		op["parameters"] = params
	}
	if e.rawBody != "" {
		op["requestBody"] = object{"required": true, "content": object{e.rawBody: object{"schema": object{"type": "string"}}}}
	} else if e.body != nil {
		ref := g.ref(reflect.TypeOf(e.body))
		content := object{"application/json": object{"schema": ref}}
		if e.multipart {
			content = object{"multipart/form-data": object{"schema": ref}}
		}
		if e.method == http.MethodPatch {
			content["application/merge-patch+json"] = object{"schema": ref}
		}
		op["requestBody"] = object{"required": true, "content": content}
	}
	resp := object{}
	switch {
	case e.status == http.StatusNoContent:
		resp["204"] = object{"description": "Done."}
	case e.download:
		resp[strconv.Itoa(e.status)] = object{"description": "The file, as a download: Content-Disposition attachment, application/octet-stream unless an image, PDF or plain text.",
			"content": object{"application/octet-stream": object{"schema": object{"type": "string", "format": "binary"}}}}
	case reflect.TypeOf(e.result) == reflect.TypeFor[json.RawMessage]():
		resp[strconv.Itoa(e.status)] = object{"description": "The document.", "content": object{"application/json": object{"schema": object{"type": "object"}}}}
	default:
		schema := g.ref(reflect.TypeOf(e.result))
		if e.page {
			schema = g.page(reflect.TypeOf(e.result))
		}
		r := object{"description": http.StatusText(e.status), "content": object{"application/json": object{"schema": schema}}}
		if e.status == http.StatusCreated && !e.noLocation {
			r["headers"] = object{"Location": object{"description": "The URL of the new object.", "schema": object{"type": "string"}}}
		}
		resp[strconv.Itoa(e.status)] = r
	}
	errs := slices.Clone(e.errors)
	if e.public {
		op["security"] = []object{}
	} else {
		errs = append(errs, http.StatusUnauthorized)
		if e.method != http.MethodGet {
			errs = append(errs, http.StatusForbidden) // read-scope token
		}
	}
	errs = append(errs, http.StatusInternalServerError)
	slices.Sort(errs)
	for _, st := range slices.Compact(errs) {
		resp[strconv.Itoa(st)] = object{"$ref": "#/components/responses/" + problemResponse(st)}
	}
	op["responses"] = resp
	return op
}

// schemaGen turns Go types into JSON Schemas under components.schemas.
type schemaGen struct {
	schemas object
	// inputs are the request bodies: they refuse unknown properties, and
	// only fields tagged doc:"required" are required.
	inputs map[reflect.Type]bool
}

func (g *schemaGen) name(t reflect.Type) string {
	if n, ok := schemaNames[t]; ok {
		return n
	}
	n := t.Name()
	return strings.ToUpper(n[:1]) + n[1:]
}

// ref returns a reference to the schema of a struct type, defining it once.
func (g *schemaGen) ref(t reflect.Type) object {
	name := g.name(t)
	if _, ok := g.schemas[name]; !ok {
		// Reserve the name first: a type that refers to itself gets a $ref here
		// instead of recursing forever; the real schema replaces it below.
		g.schemas[name] = object{}
		g.schemas[name] = g.object(t)
	}
	return object{"$ref": "#/components/schemas/" + name}
}

// page returns the schema of a page of t, defining it once.
func (g *schemaGen) page(t reflect.Type) object {
	name := g.name(t) + "Page"
	if _, ok := g.schemas[name]; !ok {
		g.schemas[name] = object{
			"type":     "object",
			"required": []string{"data", "next_cursor"},
			"properties": object{
				"data":        object{"type": "array", "items": g.ref(t)},
				"next_cursor": object{"type": []string{"string", "null"}, "description": "Pass it as after for the next page; null on the last page."},
			},
		}
	}
	return object{"$ref": "#/components/schemas/" + name}
}

// optional is implemented by Opt: a field of a merge patch.
type optional interface{ elem() any }

func (g *schemaGen) object(t reflect.Type) object {
	props := object{}
	var required []string
	isInput := g.inputs[t]
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.schema(f.Type)
		doc := parseDoc(f.Tag.Get("doc"))
		if doc.enum != nil {
			enum := make([]any, 0, len(doc.enum)+1)
			for _, v := range doc.enum {
				enum = append(enum, v)
			}
			if typ, ok := s["type"].([]string); ok && slices.Contains(typ, "null") {
				enum = append(enum, nil) // null clears the field
			}
			s["enum"] = enum
		}
		if doc.format != "" {
			s["format"] = doc.format
		}
		if doc.desc != "" {
			s["description"] = doc.desc
		}
		props[name] = s
		if !isInput || doc.required {
			required = append(required, name)
		}
	}
	o := object{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	if isInput {
		o["additionalProperties"] = false
	}
	return o
}

type docTag struct {
	required bool
	enum     []string
	format   string
	desc     string
}

// parseDoc reads a doc tag: "required;enum=a|b;format=password;free text".
func parseDoc(tag string) docTag {
	var d docTag
	for part := range strings.SplitSeq(tag, ";") {
		switch {
		case part == "":
		case part == "required":
			d.required = true
		case strings.HasPrefix(part, "enum="):
			d.enum = strings.Split(strings.TrimPrefix(part, "enum="), "|")
		case strings.HasPrefix(part, "format="):
			d.format = strings.TrimPrefix(part, "format=")
		default:
			d.desc = part
		}
	}
	return d
}

func (g *schemaGen) schema(t reflect.Type) object {
	if o, ok := reflect.New(t).Elem().Interface().(optional); ok {
		return nullable(g.schema(reflect.TypeOf(o.elem())))
	}
	switch {
	case t == reflect.TypeFor[time.Time]():
		return object{"type": "string", "format": "date-time"}
	case t == reflect.TypeFor[tenant.Role]():
		roles := make([]any, len(tenant.Roles))
		for i, r := range tenant.Roles {
			roles[i] = string(r)
		}
		return object{"type": "string", "enum": roles}
	case t == reflect.TypeFor[ticket.Type]():
		types := make([]any, len(ticket.Types))
		for i, x := range ticket.Types {
			types[i] = string(x)
		}
		return object{"type": "string", "enum": types}
	case t == reflect.TypeFor[ticket.Status]():
		statuses := make([]any, len(ticket.Statuses))
		for i, x := range ticket.Statuses {
			statuses[i] = string(x)
		}
		return object{"type": "string", "enum": statuses}
	case t == reflect.TypeFor[ticket.Priority]():
		return object{"type": "integer", "enum": []any{1, 2, 3, 4}, "description": "1 (P1, most urgent) to 4 (P4)."}
	case t == reflect.TypeFor[calendarJSON]():
		return g.ref(reflect.TypeFor[calendarDoc]())
	case t == reflect.TypeFor[time.Duration]():
		// Nanoseconds mean nothing to a caller: expose minutes (see tickets.go).
		panic("openapi: a time.Duration reaches the API; expose minutes instead")
	}
	switch t.Kind() {
	case reflect.Pointer:
		return nullable(g.schema(t.Elem()))
	case reflect.String:
		return object{"type": "string"}
	case reflect.Bool:
		return object{"type": "boolean"}
	case reflect.Int, reflect.Int32:
		return object{"type": "integer"}
	case reflect.Int64:
		return object{"type": "integer", "format": "int64"}
	case reflect.Uint64:
		return object{"type": "integer", "minimum": 0}
	case reflect.Float64:
		return object{"type": "number"}
	case reflect.Slice:
		return object{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Array:
		return object{"type": "array", "items": g.schema(t.Elem()), "minItems": t.Len(), "maxItems": t.Len()}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			panic("openapi: no schema for " + t.String())
		}
		return object{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		return g.ref(t)
	}
	panic("openapi: no schema for " + t.String())
}

// nullable lets a schema also be null.
func nullable(s object) object {
	if _, ok := s["$ref"]; ok {
		return object{"anyOf": []object{s, {"type": "null"}}}
	}
	if typ, ok := s["type"].(string); ok {
		s["type"] = []string{typ, "null"}
	}
	if enum, ok := s["enum"].([]any); ok {
		s["enum"] = append(enum, nil)
	}
	return s
}
