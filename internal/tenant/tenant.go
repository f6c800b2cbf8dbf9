// Package tenant says who is asking and which clients they may see.
//
// Every read or write of client-owned data carries a Scope; the store
// filters by it in SQL, so a forgotten check in a handler cannot leak a
// foreign client's rows.
package tenant

import "slices"

// Role is what a user is allowed to do.
type Role string

// Roles. Staff roles work for the provider; client roles are bound to one client.
const (
	RoleAdmin       Role = "admin"
	RoleManager     Role = "manager"
	RoleTechnician  Role = "technician"
	RoleClientAdmin Role = "client-admin"
	RoleClientUser  Role = "client-user"
)

// Roles lists every role, staff first.
var Roles = []Role{RoleAdmin, RoleManager, RoleTechnician, RoleClientAdmin, RoleClientUser}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Staff reports whether r is a role of the provider's staff.
func (r Role) Staff() bool { return r == RoleAdmin || r == RoleManager || r == RoleTechnician }

// Action is something a role may be allowed to do.
type Action string

// Actions checked by services. The matrix in Can is the one place that says who may do what.
const (
	ClientRead      Action = "client.read"      // see a client, its sites and contacts
	ClientWrite     Action = "client.write"     // create, edit, archive clients
	SiteWrite       Action = "site.write"       // create, edit, delete sites
	ContactWrite    Action = "contact.write"    // create, edit, delete contacts
	ClientUserWrite Action = "clientuser.write" // create, edit client users
	StaffRead       Action = "staff.read"       // list staff users
	StaffWrite      Action = "staff.write"      // create, edit staff users
	AuditRead       Action = "audit.read"       // read the audit journal
	MailRead        Action = "mail.read"        // read the outgoing e-mail log
	ProviderWrite   Action = "provider.write"   // edit the provider's settings
	TicketRead      Action = "ticket.read"      // see tickets (a client-user only its own requests)
	TicketCreate    Action = "ticket.create"    // open a ticket, add a public followup
	TicketWork      Action = "ticket.work"      // assign, change status or priority, private notes, time entries
	TicketAll       Action = "ticket.all"       // see every ticket of the client, not only one's own requests
	HelpdeskAdmin   Action = "helpdesk.admin"   // edit categories, the priority matrix, service levels
	AssetRead       Action = "asset.read"       // see a client's fleet: assets, agents, inventories, metrics
	AssetWrite      Action = "asset.write"      // create, edit, import, delete assets
	AgentAdmin      Action = "agent.admin"      // enrollment tokens, agent settings, revoke agents
	SupervisionRead Action = "supervision.read" // see the board, checks, events, maintenance, backups
	// SupervisionWrite: define checks, templates, maintenance windows,
	// acknowledge problems, record restore tests, notification channels.
	SupervisionWrite Action = "supervision.write"
)

var matrix = map[Role][]Action{
	RoleAdmin:       {ClientRead, ClientWrite, SiteWrite, ContactWrite, ClientUserWrite, StaffRead, StaffWrite, AuditRead, MailRead, ProviderWrite, TicketRead, TicketCreate, TicketWork, TicketAll, HelpdeskAdmin, AssetRead, AssetWrite, AgentAdmin, SupervisionRead, SupervisionWrite},
	RoleManager:     {ClientRead, ClientWrite, SiteWrite, ContactWrite, ClientUserWrite, StaffRead, AuditRead, TicketRead, TicketCreate, TicketWork, TicketAll, HelpdeskAdmin, AssetRead, AssetWrite, AgentAdmin, SupervisionRead, SupervisionWrite},
	RoleTechnician:  {ClientRead, SiteWrite, ContactWrite, StaffRead, TicketRead, TicketCreate, TicketWork, TicketAll, AssetRead, AssetWrite, AgentAdmin, SupervisionRead, SupervisionWrite},
	RoleClientAdmin: {ClientRead, SiteWrite, ContactWrite, ClientUserWrite, AuditRead, TicketRead, TicketCreate, TicketAll, AssetRead, SupervisionRead},
	RoleClientUser:  {ClientRead, TicketRead, TicketCreate, SupervisionRead},
}

// Scope is the caller of an operation: a user with a role and the clients it may reach.
type Scope struct {
	UserID int64
	Role   Role
	// ClientID binds a client user to its client.
	ClientID int64
	// Clients limits a staff user to these clients; empty means all clients.
	Clients []int64
	// ContactID is the contact a client user is linked to (0 if none): a
	// client-user sees the tickets it requested.
	ContactID int64
	// ReadOnly is set for API tokens with the read scope.
	ReadOnly bool
	system   bool
}

// System is the scope of background work and of the admin CLI: everything is visible.
func System() Scope { return Scope{Role: RoleAdmin, system: true} }

// IsSystem reports whether s is the System scope.
func (s Scope) IsSystem() bool { return s.system }

// Staff reports whether the caller is provider staff (or the system).
func (s Scope) Staff() bool { return s.system || s.Role.Staff() }

// AllClients reports whether the caller may see every client.
func (s Scope) AllClients() bool { return s.system || (s.Role.Staff() && len(s.Clients) == 0) }

// ClientIDs returns the clients the caller is limited to; nil when AllClients.
func (s Scope) ClientIDs() []int64 {
	if s.AllClients() {
		return nil
	}
	if !s.Role.Staff() {
		return []int64{s.ClientID}
	}
	return s.Clients
}

// CanSee reports whether the caller may see data of the given client.
func (s Scope) CanSee(clientID int64) bool {
	if s.AllClients() {
		return true
	}
	return slices.Contains(s.ClientIDs(), clientID)
}

// Can reports whether the caller's role allows an action (regardless of client).
func (s Scope) Can(a Action) bool {
	if s.system {
		return true
	}
	if s.ReadOnly && !isRead(a) {
		return false
	}
	return slices.Contains(matrix[s.Role], a)
}

// CanOn reports whether the caller may do a on data of the given client.
func (s Scope) CanOn(a Action, clientID int64) bool { return s.Can(a) && s.CanSee(clientID) }

func isRead(a Action) bool {
	switch a {
	case ClientRead, StaffRead, AuditRead, MailRead, TicketRead, TicketAll, AssetRead, SupervisionRead:
		return true
	}
	return false
}
