package web

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// form is the state of the form on a page: the values to show (the user's
// input after a failed submission) and the error messages of each field.
type form struct {
	v      *view
	values url.Values
	errs   map[string][]string
	order  []string // fields in error, in the order the service reported them
	// General holds messages that belong to no field (a wrong password…).
	General []string
}

func newForm(values url.Values) *form {
	if values == nil {
		values = url.Values{}
	}
	return &form{values: values, errs: map[string][]string{}}
}

// setValues replaces the values the form shows.
func (f *form) setValues(values url.Values) { f.values = values }

// add records an error on a field, translated into the page's language.
func (f *form) add(field, code, param string) {
	if _, seen := f.errs[field]; !seen {
		f.order = append(f.order, field)
	}
	f.errs[field] = append(f.errs[field], f.v.h.msg.FieldError(f.v.Lang, code, param))
}

// general records an error that belongs to the whole form.
func (f *form) general(key string) { f.General = append(f.General, f.v.T(key)) }

// HasErrors reports whether anything is wrong with the form.
func (f *form) HasErrors() bool { return len(f.order) > 0 || len(f.General) > 0 }

type summaryItem struct {
	ID, Label, Message string
}

// Summary lists every field error with the field's name, linked to the
// field, for the box at the top of the form.
func (f *form) Summary() []summaryItem {
	var out []summaryItem
	for _, name := range f.order {
		for _, m := range f.errs[name] {
			out = append(out, summaryItem{ID: "f-" + name, Label: f.v.FieldLabel(name), Message: m})
		}
	}
	return out
}

// Get is the value of a field, with invalid UTF-8 replaced so that what the
// user typed can be shown back safely.
func (f *form) Get(name string) string {
	return strings.ToValidUTF8(f.values.Get(name), "\uFFFD")
}

// Has reports whether a multi-valued field (checkboxes) holds value.
func (f *form) Has(name, value string) bool { return slices.Contains(f.values[name], value) }

// Errors returns the messages of one field.
func (f *form) Errors(name string) []string { return f.errs[name] }

// option is one choice of a select, radio group or checkbox list.
type option struct {
	Value, Label string
}

// field is everything the "field" template needs to draw one labelled input.
type field struct {
	ID, Name, Label, Type, Value, Help, Autocomplete, List string
	Errors                                                 []string
	Required, Checked, Disabled                            bool
	Max, Rows                                              int
	Options                                                []option
	Selected                                               []string
}

// Field describes a form field for the "field" template. Options are
// strings ("required", "max=200", "rows=4", "auto=email", "help=key",
// "disabled", "label=key", "list=datalist-id") or a []option for selects, radios and checkbox lists.
func (v *view) Field(name, typ string, opts ...any) field {
	f := field{ID: "f-" + name, Name: name, Type: typ, Label: v.FieldLabel(name), Value: v.Form.Get(name), Errors: v.Form.Errors(name)}
	for _, o := range opts {
		switch o := o.(type) {
		case []option:
			f.Options = o
		case string:
			key, val, _ := strings.Cut(o, "=")
			switch key {
			case "required":
				f.Required = true
			case "disabled":
				f.Disabled = true
			case "max":
				f.Max, _ = strconv.Atoi(val)
			case "rows":
				f.Rows, _ = strconv.Atoi(val)
			case "auto":
				f.Autocomplete = val
			case "list":
				f.List = val
			case "help":
				f.Help = v.T(val)
			case "label":
				f.Label = v.T(val)
			}
		}
	}
	switch typ {
	case "checkbox":
		f.Checked = f.Value != "" && f.Value != "0" && f.Value != "false"
	case "checkboxes":
		f.Selected = v.Form.values[name]
	}
	if f.Rows == 0 {
		f.Rows = 4
	}
	return f
}

// IsSelected reports whether value is the chosen one (or one of the chosen).
func (f field) IsSelected(value string) bool {
	if f.Type == "checkboxes" {
		return slices.Contains(f.Selected, value)
	}
	return f.Value == value
}

// formBool reads a checkbox.
func formBool(values url.Values, name string) bool {
	v := values.Get(name)
	return v != "" && v != "0" && v != "false"
}

// formID reads an optional id from a select; 0 or junk means none.
func formID(values url.Values, name string) *int64 {
	id, err := strconv.ParseInt(values.Get(name), 10, 64)
	if err != nil || id <= 0 {
		return nil
	}
	return &id
}

// formIDs reads a list of ids from checkboxes, ignoring junk.
func formIDs(values url.Values, name string) []int64 {
	var out []int64
	for _, s := range values[name] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
