package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/app/apptest"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/tenant"
	"github.com/vigie-hq/vigie/internal/user"
)

// env is a running server with two clients and a user of every role.
type env struct {
	s          *apptest.Server
	http       *http.Client
	a, b       client.Client
	admin      user.User
	manager    user.User
	tech       user.User
	clientA    user.User // client-admin of A
	userA      user.User // client-user of A
	adminTok   string
	managerTok string
	techTok    string
	clientTok  string // client-admin of A
	userTok    string // client-user of A
	readTok    string // admin, read scope
}

func newEnv(t testing.TB, dialect string) *env {
	t.Helper()
	s := apptest.New(t, dialect)
	e := &env{s: s, http: newEnvHTTP()}
	e.a, e.b = s.Client("ALPHA"), s.Client("BRAVO")
	e.admin = s.User("admin@msp.example", tenant.RoleAdmin)
	e.manager = s.User("manager@msp.example", tenant.RoleManager)
	e.tech = s.User("tech@msp.example", tenant.RoleTechnician)
	e.clientA = s.User("boss@alpha.example", tenant.RoleClientAdmin, e.a.ID)
	e.userA = s.User("staff@alpha.example", tenant.RoleClientUser, e.a.ID)
	e.adminTok = s.Token(e.admin, true)
	e.managerTok = s.Token(e.manager, true)
	e.techTok = s.Token(e.tech, true)
	e.clientTok = s.Token(e.clientA, true)
	e.userTok = s.Token(e.userA, true)
	e.readTok = s.Token(e.admin, false)
	return e
}

// res is a response, read whole.
type res struct {
	status int
	header http.Header
	body   []byte
}

// opt adjusts a request.
type opt func(*http.Request)

func header(k, v string) opt { return func(r *http.Request) { r.Header.Set(k, v) } }

// do sends a request. body is nil, a string or []byte sent as is, or a
// value sent as JSON; a body gets Content-Type application/json unless an
// opt says otherwise.
func (e *env) do(t testing.TB, method, path, token string, body any, opts ...opt) res {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res{status: resp.StatusCode, header: resp.Header, body: raw}
}

// want fails the test unless the status is as expected, showing the body.
func (r res) want(t testing.TB, status int) res {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, r.body)
	}
	return r
}

func (r res) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// problem is an RFC 9457 body as the API writes it.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

// problem checks that the response is a problem of the status and returns it.
func (r res) problem(t testing.TB, status int) problem {
	t.Helper()
	r.want(t, status)
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json; body: %s", ct, r.body)
	}
	var p problem
	r.decode(t, &p)
	if p.Status != status || p.Type == "" || p.Title == "" || p.Detail == "" {
		t.Fatalf("incomplete problem: %s", r.body)
	}
	return p
}

// field returns the error of a field in a problem, failing when absent.
func (p problem) field(t testing.TB, name string) (code, message string) {
	t.Helper()
	for _, f := range p.Errors {
		if f.Field == name {
			return f.Code, f.Message
		}
	}
	t.Fatalf("problem names no field %q: %+v", name, p)
	return "", ""
}

type pageOf[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

// collect walks every page of a listing and returns the rows in order.
func collect[T any](t testing.TB, e *env, path, token string, limit int) (rows []T, pages int) {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	next := ""
	for {
		url := path + sep + "limit=" + itoa(int64(limit))
		if next != "" {
			url += "&after=" + next
		}
		var p pageOf[T]
		e.do(t, "GET", url, token, nil).want(t, 200).decode(t, &p)
		if len(p.Data) > limit {
			t.Fatalf("page of %d rows for limit %d", len(p.Data), limit)
		}
		rows = append(rows, p.Data...)
		pages++
		if p.NextCursor == nil {
			return rows, pages
		}
		if len(p.Data) != limit {
			t.Fatalf("short page (%d rows) with a next cursor", len(p.Data))
		}
		next = *p.NextCursor
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func newEnvHTTP() *http.Client { return &http.Client{Timeout: 30 * time.Second} }
