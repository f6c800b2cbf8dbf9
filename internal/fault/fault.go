// Package fault holds the kinds of error every layer shares, so that the HTTP
// layers can map them to a status in one place.
package fault

import (
	"errors"
	"fmt"
	"strings"
)

// Error kinds. Wrap them with %w; test them with errors.Is.
var (
	ErrNotFound     = errors.New("not found")
	ErrConflict     = errors.New("conflict")
	ErrForbidden    = errors.New("forbidden")
	ErrUnauthorized = errors.New("unauthorized")
	ErrThrottled    = errors.New("too many attempts")
)

// FieldError says what is wrong with one field. Code is a message key
// ("required", "too_long", "invalid_email"…) that the UI translates; Param
// fills the message (a maximum length, say).
type FieldError struct {
	Field string
	Code  string
	Param string
}

// Invalid is a validation failure naming each bad field.
type Invalid struct {
	Fields []FieldError
}

func (v *Invalid) Error() string {
	parts := make([]string, len(v.Fields))
	for i, f := range v.Fields {
		parts[i] = f.Field + ": " + f.Code
		if f.Param != "" {
			parts[i] += " (" + f.Param + ")"
		}
	}
	return "invalid input: " + strings.Join(parts, ", ")
}

// Add records a problem with a field.
func (v *Invalid) Add(field, code string, param ...any) {
	p := ""
	if len(param) > 0 {
		p = fmt.Sprint(param[0])
	}
	v.Fields = append(v.Fields, FieldError{Field: field, Code: code, Param: p})
}

// Has reports whether a field already has a problem.
func (v *Invalid) Has(field string) bool {
	for _, f := range v.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Err returns v as an error, or nil when no field is wrong.
func (v *Invalid) Err() error {
	if v == nil || len(v.Fields) == 0 {
		return nil
	}
	return v
}

// AsInvalid returns the validation failure inside err, if any.
func AsInvalid(err error) (*Invalid, bool) {
	var v *Invalid
	ok := errors.As(err, &v)
	return v, ok
}

// Conflict returns an ErrConflict naming the field whose value is taken.
func Conflict(field string) error {
	return &conflict{field: field}
}

type conflict struct{ field string }

func (c *conflict) Error() string { return c.field + " already exists" }
func (c *conflict) Unwrap() error { return ErrConflict }

// ConflictField returns the field named by a Conflict error, if any.
func ConflictField(err error) string {
	var c *conflict
	if errors.As(err, &c) {
		return c.field
	}
	return ""
}
