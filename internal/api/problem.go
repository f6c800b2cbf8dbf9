package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/vigie-hq/vigie/internal/fault"
)

// problem is an RFC 9457 problem detail.
type problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Detail string         `json:"detail"`
	Errors []problemField `json:"errors,omitempty"`
}

// problemField names one bad field (or query parameter) of a request.
type problemField struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// problemBase prefixes the type of Vigie's problems; the rest names the kind.
const problemBase = "urn:vigie:problem:"

// requestError is a request the API refuses before reaching a service:
// bad media type, malformed JSON, unknown field or parameter, too large.
type requestError struct {
	status int
	key    string // message of the detail, in api.json
	args   []any
	fields []fault.FieldError
}

func (e *requestError) Error() string { return e.key }

// errReadOnly refuses a write with a read-scope token.
var errReadOnly = &requestError{status: http.StatusForbidden, key: "api.problem.read_only"}

// classify is the one place that maps an error to an HTTP status and a
// problem type. Anything it does not know is a 500.
func classify(err error) (status int, kind string) {
	var re *requestError
	if errors.As(err, &re) {
		switch re.status {
		case http.StatusRequestEntityTooLarge:
			return re.status, "too-large"
		case http.StatusUnsupportedMediaType:
			return re.status, "unsupported-media-type"
		case http.StatusForbidden:
			return re.status, "read-only"
		}
		return re.status, "bad-request"
	}
	if _, ok := fault.AsInvalid(err); ok {
		return http.StatusUnprocessableEntity, "invalid"
	}
	switch {
	case errors.Is(err, fault.ErrNotFound):
		return http.StatusNotFound, "not-found"
	case errors.Is(err, fault.ErrForbidden):
		return http.StatusForbidden, "forbidden"
	case errors.Is(err, fault.ErrConflict):
		return http.StatusConflict, "conflict"
	case errors.Is(err, fault.ErrUnauthorized):
		return http.StatusUnauthorized, "unauthorized"
	case errors.Is(err, fault.ErrThrottled):
		return http.StatusTooManyRequests, "throttled"
	}
	return http.StatusInternalServerError, "internal"
}

// fail writes err as a problem in the caller's language.
func (a *API) fail(c *call, err error) {
	p := a.problemOf(c, err)
	status := p.Status
	if status == http.StatusUnauthorized {
		c.w.Header().Set("WWW-Authenticate", `Bearer realm="vigie"`)
	}
	lang := c.language()
	b, _ := json.Marshal(p)
	h := c.w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Language", lang)
	c.w.WriteHeader(status)
	_, _ = c.w.Write(append(b, '\n'))
}

// problemOf is the problem an error is, in the caller's language.
func (a *API) problemOf(c *call, err error) problem {
	status, kind := classify(err)
	lang := c.language()
	p := problem{Type: problemBase + kind, Title: http.StatusText(status), Status: status}
	var re *requestError
	switch {
	case errors.As(err, &re):
		p.Detail = a.msg.T(lang, re.key, re.args...)
		p.Errors = a.fields(lang, re.fields)
	case status == http.StatusUnprocessableEntity:
		v, _ := fault.AsInvalid(err)
		p.Detail = a.msg.T(lang, "api.problem.invalid")
		p.Errors = a.fields(lang, v.Fields)
	case status == http.StatusConflict:
		p.Detail = a.msg.T(lang, "api.problem.conflict")
		if f := fault.ConflictField(err); f != "" {
			p.Detail = a.msg.T(lang, "api.problem.conflict_field", a.msg.Field(lang, f))
			p.Errors = a.fields(lang, []fault.FieldError{{Field: f, Code: "taken"}})
		}
	case status == http.StatusInternalServerError:
		a.log.Error("API request failed", "method", c.r.Method, "path", c.r.URL.Path, "err", err)
		p.Detail = a.msg.T(lang, "api.problem.internal")
	default:
		p.Detail = a.msg.T(lang, "api.problem."+strings.ReplaceAll(kind, "-", "_"))
	}
	return p
}

// fields translates field errors; codes of the API's own checks
// (api.error.*) come first, then the shared validation messages.
func (a *API) fields(lang string, fs []fault.FieldError) []problemField {
	if len(fs) == 0 {
		return nil
	}
	out := make([]problemField, len(fs))
	for i, f := range fs {
		msg := ""
		if key := "api.error." + f.Code; a.msg.Has(key) {
			if strings.Contains(a.msg.T(lang, key), "%") {
				msg = a.msg.T(lang, key, f.Param)
			} else {
				msg = a.msg.T(lang, key)
			}
		} else {
			msg = a.msg.FieldError(lang, f.Code, f.Param)
		}
		out[i] = problemField{Field: f.Field, Code: f.Code, Message: msg}
	}
	return out
}
