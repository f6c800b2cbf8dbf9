package tenant

import (
	"strings"
	"testing"
)

func TestScopeVisibility(t *testing.T) {
	tests := []struct {
		name      string
		s         Scope
		see, hide []int64
		all       bool
	}{
		{"admin sees all", Scope{UserID: 1, Role: RoleAdmin}, []int64{1, 2, 99}, nil, true},
		{"unlimited technician sees all", Scope{UserID: 1, Role: RoleTechnician}, []int64{1, 2}, nil, true},
		{"limited technician", Scope{UserID: 1, Role: RoleTechnician, Clients: []int64{2, 3}}, []int64{2, 3}, []int64{1, 4}, false},
		{"client user bound to its client", Scope{UserID: 1, Role: RoleClientUser, ClientID: 7}, []int64{7}, []int64{1, 8}, false},
		{"client admin ignores a staff list", Scope{UserID: 1, Role: RoleClientAdmin, ClientID: 7, Clients: []int64{8}}, []int64{7}, []int64{8}, false},
		{"system", System(), []int64{1, 5}, nil, true},
		{"zero scope sees nothing", Scope{}, nil, []int64{1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.s.AllClients() != tt.all {
				t.Errorf("AllClients = %v, want %v", tt.s.AllClients(), tt.all)
			}
			for _, id := range tt.see {
				if !tt.s.CanSee(id) {
					t.Errorf("cannot see client %d", id)
				}
			}
			for _, id := range tt.hide {
				if tt.s.CanSee(id) {
					t.Errorf("can see client %d", id)
				}
			}
		})
	}
}

func TestPermissionMatrix(t *testing.T) {
	type row struct {
		role    Role
		allowed []Action
	}
	all := []Action{ClientRead, ClientWrite, SiteWrite, ContactWrite, ClientUserWrite, StaffRead, StaffWrite, AuditRead, MailRead, ProviderWrite, TicketRead, TicketCreate, TicketWork, TicketAll, HelpdeskAdmin, AssetRead, AssetWrite, AgentAdmin}
	rows := []row{
		{RoleAdmin, all},
		{RoleManager, []Action{ClientRead, ClientWrite, SiteWrite, ContactWrite, ClientUserWrite, StaffRead, AuditRead, TicketRead, TicketCreate, TicketWork, TicketAll, HelpdeskAdmin, AssetRead, AssetWrite, AgentAdmin}},
		{RoleTechnician, []Action{ClientRead, SiteWrite, ContactWrite, StaffRead, TicketRead, TicketCreate, TicketWork, TicketAll, AssetRead, AssetWrite, AgentAdmin}},
		{RoleClientAdmin, []Action{ClientRead, SiteWrite, ContactWrite, ClientUserWrite, AuditRead, TicketRead, TicketCreate, TicketAll, AssetRead}},
		{RoleClientUser, []Action{ClientRead, TicketRead, TicketCreate}},
	}
	for _, r := range rows {
		allowed := map[Action]bool{}
		for _, a := range r.allowed {
			allowed[a] = true
		}
		for _, a := range all {
			s := Scope{UserID: 1, Role: r.role, ClientID: 1}
			if got := s.Can(a); got != allowed[a] {
				t.Errorf("%s can %s = %v, want %v", r.role, a, got, allowed[a])
			}
			s.ReadOnly = true
			if got, want := s.Can(a), allowed[a] && isRead(a); got != want {
				t.Errorf("read-only %s can %s = %v, want %v", r.role, a, got, want)
			}
		}
	}
	if (Scope{Role: "nobody"}).Can(ClientRead) {
		t.Error("an unknown role can read")
	}
	// Every "….read" action is one a read-only token may take: a new one
	// forgotten in isRead would lock read-only tokens out of its data.
	for _, a := range all {
		if strings.HasSuffix(string(a), ".read") && !isRead(a) {
			t.Errorf("%s is not a read action for read-only tokens", a)
		}
	}
}

func TestCanOn(t *testing.T) {
	s := Scope{UserID: 1, Role: RoleClientAdmin, ClientID: 3}
	if !s.CanOn(ContactWrite, 3) {
		t.Error("client admin cannot write contacts of its client")
	}
	if s.CanOn(ContactWrite, 4) {
		t.Error("client admin can write contacts of another client")
	}
}
