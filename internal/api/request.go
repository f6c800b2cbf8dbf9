package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// Page sizes: fetching one row more than the page tells whether another
// page follows, and maxLimit+1 stays within every service's own clamp (500).
const (
	defaultLimit = 50
	maxLimit     = 200
)

// call is one request being served.
type call struct {
	api      *API
	w        http.ResponseWriter
	r        *http.Request
	p        auth.Principal
	scope    tenant.Scope
	signedIn bool
	lang     string
}

// language is the caller's: the user's saved choice, else Accept-Language, else French.
func (c *call) language() string {
	if c.lang == "" {
		c.lang = c.api.msg.Pick(c.p.User.Language, c.r.Header.Get("Accept-Language"))
	}
	return c.lang
}

func (c *call) writeJSON(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.api.fail(c, fmt.Errorf("encode response: %w", err)) // a 500, logged
		return
	}
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(status)
	_, _ = c.w.Write(append(b, '\n'))
}

// id returns the path parameter name as a positive integer. Anything else
// ("abc", "0", "-1", "+1", "01") names no object: 404, like a missing one.
func (c *call) id(name string) (int64, error) {
	s := c.r.PathValue(name)
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != s {
		return 0, fault.ErrNotFound
	}
	return id, nil
}

// checkQuery refuses query parameters the endpoint does not know, and
// repeated ones unless the parameter is a list: a typo must not silently
// widen a listing.
func (c *call) checkQuery(known map[string]param) error {
	q, err := url.ParseQuery(c.r.URL.RawQuery)
	if err != nil {
		return &requestError{status: http.StatusBadRequest, key: "api.problem.bad_query"}
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p, ok := known[k]
		if !ok {
			return &requestError{status: http.StatusBadRequest, key: "api.problem.unknown_param", args: []any{k},
				fields: []fault.FieldError{{Field: k, Code: "unknown_param"}}}
		}
		if len(q[k]) > 1 && !p.list {
			return &requestError{status: http.StatusBadRequest, key: "api.problem.repeated_param", args: []any{k},
				fields: []fault.FieldError{{Field: k, Code: "repeated_param"}}}
		}
	}
	return nil
}

// query reads the query parameters of a listing, collecting what is wrong
// with them as a validation failure.
type query struct {
	c   *call
	v   url.Values
	bad fault.Invalid
}

func (c *call) query() *query { return &query{c: c, v: c.r.URL.Query()} }

func (q *query) str(name string) string {
	v := q.v.Get(name)
	return q.bad.Text(name, v, 200, false, false)
}

// id reads a positive integer; 0 when absent.
func (q *query) id(name string) int64 {
	s := q.v.Get(name)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		q.bad.Add(name, "invalid_number")
		return 0
	}
	return n
}

// boolean reads true or false; nil when absent.
func (q *query) boolean(name string) *bool {
	switch q.v.Get(name) {
	case "":
		return nil
	case "true":
		t := true
		return &t
	case "false":
		f := false
		return &f
	}
	q.bad.Add(name, "invalid_choice")
	return nil
}

// time reads an RFC 3339 instant; zero when absent.
func (q *query) time(name string) time.Time {
	s := q.v.Get(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		q.bad.Add(name, "invalid_time")
		return time.Time{}
	}
	return t.UTC()
}

// limit reads the page size.
func (q *query) limit() int {
	s := q.v.Get("limit")
	if s == "" {
		return defaultLimit
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxLimit {
		q.bad.Add("limit", "out_of_range", maxLimit)
		return defaultLimit
	}
	return n
}

// after reads the cursor; 0 when absent (the first page).
func (q *query) after() int64 {
	s := q.v.Get("after")
	if s == "" {
		return 0
	}
	id, ok := decodeCursor(s)
	if !ok {
		q.bad.Add("after", "invalid_cursor")
	}
	return id
}

func (q *query) err() error { return q.bad.Err() }

// A cursor is the id of the last row of a page, wrapped so that callers
// treat it as opaque and the encoding can change.
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("v1:" + strconv.FormatInt(id, 10)))
}

func decodeCursor(s string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), "v1:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id <= 0 {
		return 0, false
	}
	return id, true
}

// page is the body of every listing.
type page[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// pageOf cuts rows fetched with limit+1 to a page; the extra row, when
// present, proves that another page follows.
func pageOf[T any](rows []T, limit int, id func(T) int64) page[T] {
	p := page[T]{Data: rows}
	if p.Data == nil {
		p.Data = []T{}
	}
	if len(rows) > limit {
		p.Data = rows[:limit]
		cur := encodeCursor(id(rows[limit-1]))
		p.NextCursor = &cur
	}
	return p
}

// Opt is a field of a JSON merge patch (RFC 7396): absent leaves the value
// as it is, null clears it, a value replaces it. A plain pointer cannot tell
// absent from null, and null must clear a nullable link such as site_id.
type Opt[T any] struct {
	Set   bool // present in the body
	Null  bool // present as null
	Value T
}

// UnmarshalJSON records that the field was present.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		var zero T
		o.Value = zero
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// apply writes the patched value into dst; null gives the zero value.
func (o Opt[T]) apply(dst *T) {
	if o.Set {
		*dst = o.Value
	}
}

// applyPtr writes the patched value into a nullable field.
func (o Opt[T]) applyPtr(dst **T) {
	switch {
	case !o.Set:
	case o.Null:
		*dst = nil
	default:
		v := o.Value
		*dst = &v
	}
}

// ptr returns the new value of a field that cannot be null, nil when
// absent: the form of a service's change (ticket.Change). Check Null first.
func (o Opt[T]) ptr() *T {
	if !o.Set {
		return nil
	}
	v := o.Value
	return &v
}

// link returns the new value of a nullable link, nil when absent and a nil
// *T when null: the form of a service's change (ticket.Change.SiteID).
func (o Opt[T]) link() **T {
	if !o.Set {
		return nil
	}
	var p *T
	if !o.Null {
		v := o.Value
		p = &v
	}
	return &p
}

func (o Opt[T]) elem() any { var zero T; return zero }

// mediaJSON reports whether a Content-Type names JSON in UTF-8; a PATCH may
// also say application/merge-patch+json.
func mediaJSON(ct string, patch bool) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return false
	}
	return mt == "application/json" || (patch && mt == "application/merge-patch+json")
}

// readBody reads the whole body, refusing one over the server's limit.
func (c *call) readBody() ([]byte, error) {
	if c.r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(c.r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, &requestError{status: http.StatusRequestEntityTooLarge, key: "api.problem.too_large", args: []any{tooLarge.Limit}}
	}
	if err != nil {
		return nil, &requestError{status: http.StatusBadRequest, key: "api.problem.unreadable"}
	}
	return b, nil
}

// decode reads a JSON object into dst, strictly: JSON media type, valid
// UTF-8, an object, no unknown field, nothing after it.
func (c *call) decode(dst any) error {
	if !mediaJSON(c.r.Header.Get("Content-Type"), c.r.Method == http.MethodPatch) {
		return &requestError{status: http.StatusUnsupportedMediaType, key: "api.problem.media_type"}
	}
	b, err := c.readBody()
	if err != nil {
		return err
	}
	return decodeJSON(b, dst)
}

// noBody accepts an empty body or an empty JSON object, for actions that take no input.
func (c *call) noBody() error {
	b, err := c.readBody()
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if !mediaJSON(c.r.Header.Get("Content-Type"), false) {
		return &requestError{status: http.StatusUnsupportedMediaType, key: "api.problem.media_type"}
	}
	return decodeJSON(b, &struct{}{})
}

func decodeJSON(b []byte, dst any) error {
	if !utf8.Valid(b) {
		// encoding/json would quietly turn bad bytes into U+FFFD.
		return &requestError{status: http.StatusBadRequest, key: "api.problem.invalid_utf8"}
	}
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if len(trimmed) == 0 {
		return &requestError{status: http.StatusBadRequest, key: "api.problem.empty_body"}
	}
	if trimmed[0] != '{' {
		return &requestError{status: http.StatusBadRequest, key: "api.problem.not_object"}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if key, ok := duplicateKey(b); ok {
		// encoding/json keeps the last of repeated keys; two readers of
		// the same body could disagree on its meaning, so refuse it.
		return &requestError{status: http.StatusBadRequest, key: "api.problem.duplicate_field", args: []any{key},
			fields: []fault.FieldError{{Field: key, Code: "duplicate_field"}}}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &requestError{status: http.StatusBadRequest, key: "api.problem.trailing_data"}
	}
	return nil
}

// decodeError turns an encoding/json error into a problem naming the field.
func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &requestError{status: http.StatusBadRequest, key: "api.problem.malformed_at", args: []any{syn.Offset}}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return &requestError{status: http.StatusBadRequest, key: "api.problem.wrong_type", args: []any{field},
			fields: []fault.FieldError{{Field: field, Code: "invalid_type", Param: jsonType(typ.Type)}}}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &requestError{status: http.StatusBadRequest, key: "api.problem.malformed"}
	}
	// DisallowUnknownFields reports `json: unknown field "name"`.
	if rest, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field, uerr := strconv.Unquote(rest)
		if uerr != nil {
			field = strings.Trim(rest, `"`)
		}
		return &requestError{status: http.StatusBadRequest, key: "api.problem.unknown_field", args: []any{field},
			fields: []fault.FieldError{{Field: field, Code: "unknown_field"}}}
	}
	return &requestError{status: http.StatusBadRequest, key: "api.problem.malformed"}
}

// jsonType names the JSON type that decodes into t.
func jsonType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}

// duplicateKey finds a key given twice in one object of the first JSON
// value of b. b is known to decode.
func duplicateKey(b []byte) (string, bool) {
	type frame struct {
		keys      map[string]bool // nil for an array
		expectKey bool
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{keys: map[string]bool{}, expectKey: true})
			case '[':
				stack = append(stack, &frame{})
			default: // '}' or ']': a value of the parent is complete
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return "", false
				}
				if parent := stack[len(stack)-1]; parent.keys != nil {
					parent.expectKey = true
				}
			}
		case string:
			if top != nil && top.keys != nil && top.expectKey {
				if top.keys[v] {
					return v, true
				}
				top.keys[v] = true
				top.expectKey = false
				continue
			}
			if top != nil && top.keys != nil {
				top.expectKey = true
			}
		default:
			if top != nil && top.keys != nil {
				top.expectKey = true
			}
		}
	}
}
