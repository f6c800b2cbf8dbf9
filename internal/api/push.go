package api

import (
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/supervision"
)

// maxPushBody is how much of a text/plain body a push keeps as its message.
const maxPushBody = 4 << 10

// registerPush adds the push URLs of backup jobs: public (the secret token
// in the path is the credential), outside /api/v1 so that a backup script
// needs nothing but curl, and answering in plain text.
//
//	GET|POST /push/{token}            the backup succeeded
//	GET|POST /push/{token}/fail       it failed
//	GET|POST /push/{token}/{exit}     0 succeeded, any other exit code failed
//
// with optional parameters (query or form) duration (seconds, or a Go
// duration such as 12m), size (bytes, or with a unit: 4.2GB, 512MiB) and
// msg; a text/plain body is the message when msg is absent.
func (a *API) registerPush(rt *router.Router) {
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		rt.Public(m+" "+supervision.PushPath("{token}"), a.push)
		rt.Public(m+" "+supervision.PushPath("{token}")+"/{status}", a.push)
	}
}

// pushError is a push refused with a plain-text message.
type pushError struct {
	status int
	msg    string
}

func (e *pushError) Error() string { return e.msg }

func badPush(format string, args ...any) error {
	return &pushError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

func (a *API) push(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if r.Method == http.MethodHead {
		// A safe method: a link checker's HEAD reports no backup.
		return
	}
	in, err := readPush(r)
	if err == nil {
		err = a.d.Supervision.Push(r.Context(), r.PathValue("token"), in)
	}
	var pe *pushError
	switch {
	case err == nil:
		_, _ = io.WriteString(w, "OK\n")
		return
	case errors.As(err, &pe):
	case errors.Is(err, fault.ErrNotFound):
		pe = &pushError{status: http.StatusNotFound, msg: "unknown push URL: check the token"}
	default:
		if v, ok := fault.AsInvalid(err); ok {
			parts := make([]string, len(v.Fields))
			for i, f := range v.Fields {
				parts[i] = f.Field + ": " + strings.ReplaceAll(f.Code, "_", " ")
			}
			pe = &pushError{status: http.StatusBadRequest, msg: strings.Join(parts, "; ")}
			break
		}
		a.log.Error("backup push failed", "err", err)
		pe = &pushError{status: http.StatusInternalServerError, msg: "internal error: the push was not recorded, try again"}
	}
	w.WriteHeader(pe.status)
	_, _ = io.WriteString(w, pe.msg+"\n")
}

// readPush reads the outcome and the parameters of a push.
func readPush(r *http.Request) (supervision.PushInput, error) {
	in := supervision.PushInput{OK: true}
	exit := ""
	switch st := r.PathValue("status"); st {
	case "":
	case "fail":
		in.OK = false
	default:
		n, err := strconv.Atoi(st)
		if err != nil || n < 0 || n > 255 || strconv.Itoa(n) != st {
			return in, badPush("status %q: expected fail or an exit code from 0 to 255", st)
		}
		if n != 0 {
			in.OK, exit = false, st
		}
	}
	var body string
	if r.Method == http.MethodPost && r.Body != nil {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt == "text/plain" {
			b, err := io.ReadAll(io.LimitReader(r.Body, maxPushBody))
			if err != nil {
				return in, badPush("body: unreadable")
			}
			body = string(b)
		}
	}
	if err := r.ParseForm(); err != nil {
		return in, badPush("parameters: %v", err)
	}
	if s := strings.TrimSpace(r.Form.Get("duration")); s != "" {
		d, err := parsePushDuration(s)
		if err != nil {
			return in, badPush("duration %q: expected seconds (754) or a duration (12m, 1h30m)", s)
		}
		in.Seconds = d
	}
	if s := strings.TrimSpace(r.Form.Get("size")); s != "" {
		n, err := parsePushSize(s)
		if err != nil {
			return in, badPush("size %q: expected bytes (4200000000) or a size with its unit (4.2GB, 512MiB)", s)
		}
		in.Bytes = n
	}
	in.Message = r.Form.Get("msg")
	if in.Message == "" {
		in.Message = body
	}
	if exit != "" {
		in.Message = strings.TrimSuffix("exit code "+exit+": "+in.Message, ": ")
	}
	return in, nil
}

// parsePushDuration reads seconds ("754", "12.5") or a Go duration ("12m").
func parsePushDuration(s string) (float64, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, errors.New("negative")
		}
		return f, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("not a duration")
	}
	return d.Seconds(), nil
}

// sizeUnits are the units of a pushed size: decimal (kB, MB…) and binary
// (KiB, MiB…), case-insensitive.
var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12, "p": 1e15, "pb": 1e15,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50,
}

// parsePushSize reads a size in bytes, with an optional unit: "4.2GB".
func parsePushSize(s string) (int64, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	}
	mult, ok := sizeUnits[unit]
	if !ok || num == "" {
		return 0, errors.New("unknown unit")
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, err
	}
	v := f * mult
	if v < 0 || v >= math.MaxInt64 || math.IsNaN(v) {
		return 0, errors.New("out of range")
	}
	return int64(math.Round(v)), nil
}
