package api_test

import (
	"testing"

	"github.com/vigie-hq/vigie/internal/testdb"
)

func TestReplyTemplatesAPI(t *testing.T) {
	type tmpl struct {
		ID       int64  `json:"id"`
		Name     string `json:"name"`
		Language string `json:"language"`
		Body     string `json:"body"`
	}
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := newEnv(t, dialect)
			const path = "/api/v1/helpdesk/templates"
			var created tmpl
			e.do(t, "POST", path, e.managerTok, `{"name":"Greeting","language":"en","body":"Hello {{requester}}"}`).want(t, 201).decode(t, &created)
			if created.ID == 0 || created.Body != "Hello {{requester}}" {
				t.Fatalf("created %+v", created)
			}
			e.do(t, "POST", path, e.managerTok, `{"name":"Greeting","language":"en","body":"x"}`).problem(t, 409)
			if code, _ := e.do(t, "POST", path, e.managerTok, `{"name":"G","language":"de","body":"x"}`).problem(t, 422).field(t, "language"); code != "invalid_choice" {
				t.Errorf("bad language: code %q", code)
			}
			e.do(t, "POST", path, e.techTok, `{"name":"T","language":"en","body":"x"}`).problem(t, 403)

			var list struct{ Data []tmpl }
			e.do(t, "GET", path, e.techTok, nil).want(t, 200).decode(t, &list)
			if len(list.Data) != 1 || list.Data[0] != created {
				t.Errorf("list = %+v", list.Data)
			}
			e.do(t, "GET", path, e.clientTok, nil).problem(t, 403)

			item := path + "/" + itoa(created.ID)
			var updated tmpl
			e.do(t, "PUT", item, e.adminTok, `{"name":"Bonjour","language":"fr","body":"Bonjour {{requester}}"}`).want(t, 200).decode(t, &updated)
			if updated.ID != created.ID || updated.Language != "fr" || updated.Name != "Bonjour" {
				t.Errorf("updated %+v", updated)
			}
			e.do(t, "PUT", item, e.techTok, `{"name":"x","language":"fr","body":"x"}`).problem(t, 403)
			e.do(t, "DELETE", item, e.techTok, nil).problem(t, 403)
			e.do(t, "DELETE", item, e.adminTok, nil).want(t, 204)
			e.do(t, "DELETE", item, e.adminTok, nil).problem(t, 404)
			e.do(t, "PUT", item, e.adminTok, `{"name":"x","language":"fr","body":"x"}`).problem(t, 404)
		})
	}
}
