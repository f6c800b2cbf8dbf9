// Package web serves the HTML user interface: server-rendered pages from
// embedded templates, a little hand-written CSS and JavaScript, no build step.
package web

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/vigie-hq/vigie/internal/asset"
	"github.com/vigie-hq/vigie/internal/attachment"
	"github.com/vigie-hq/vigie/internal/audit"
	"github.com/vigie-hq/vigie/internal/auth"
	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/contractdoc"
	"github.com/vigie-hq/vigie/internal/dashboard"
	"github.com/vigie-hq/vigie/internal/helpdeskmail"
	"github.com/vigie-hq/vigie/internal/i18n"
	"github.com/vigie-hq/vigie/internal/notify"
	"github.com/vigie-hq/vigie/internal/provider"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/reportrun"
	"github.com/vigie-hq/vigie/internal/review"
	"github.com/vigie-hq/vigie/internal/router"
	"github.com/vigie-hq/vigie/internal/supervision"
	"github.com/vigie-hq/vigie/internal/ticket"
	"github.com/vigie-hq/vigie/internal/user"
)

// Deps are the services the UI uses.
type Deps struct {
	Log *slog.Logger
	// BaseURL is the public URL of the server, used in e-mailed links. It is
	// never derived from the request's Host header, which a caller controls.
	BaseURL string
	// SecureCookies marks cookies Secure (the server is reached over HTTPS).
	SecureCookies bool
	Clients       *client.Service
	Users         *user.Service
	Auth          *auth.Service
	Provider      *provider.Service
	Journal       *audit.Journal
	// Mail is the outgoing mail log; nil hides the sent-mail pages.
	Mail Mailbox
	// Tickets is the helpdesk; nil hides the ticket and helpdesk pages.
	Tickets *ticket.Service
	// Attachments keeps the files of tickets; nil hides uploads.
	Attachments *attachment.Service
	// HelpdeskMail is the helpdesk's e-mail (mailboxes, domain rules,
	// quarantine); nil hides its pages.
	HelpdeskMail *helpdeskmail.Service
	// Assets is the fleet (assets, agents, enrollment, metrics through it);
	// nil hides the fleet pages.
	Assets *asset.Service
	// Supervision is the board, checks, maintenance and backups; nil hides
	// the supervision pages.
	Supervision *supervision.Service
	// Live streams status changes to open boards (server-sent events).
	Live *supervision.Engine
	// Notify is the notification channels of supervision problems; nil hides their pages.
	Notify *notify.Service
	// Contracts is each client's contracts and their perimeter; nil hides their pages.
	Contracts *contract.Service
	// ContractDocs keeps the documents of contracts; nil hides them.
	ContractDocs *contractdoc.Service
	// Reports reads the rows of clients' reports; nil hides the report pages.
	Reports report.Store
	// ReportRuns is the clients' report archive (scheduled and generated
	// reports); nil hides it.
	ReportRuns *reportrun.Service
	// Reviews is the clients' service reviews; nil hides their pages.
	Reviews *review.Service
	// Dashboard computes the staff and client dashboards; nil hides them.
	Dashboard *dashboard.Service
	// Now is the clock SLA countdowns are computed against; nil is time.Now.
	Now func() time.Time
}

// Handler serves the pages.
type Handler struct {
	d      Deps
	log    *slog.Logger
	msg    *i18n.Bundle
	tmpl   *templates
	static *staticFiles
	md     *markdown
	now    func() time.Time
	// streams ends the board's event streams at shutdown (CloseStreams).
	streams *streamStop
}

// New loads the messages, parses every template and indexes the static
// files, so that a broken template stops the server at start rather than
// failing one page at run time.
func New(d Deps) (*Handler, error) {
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	msg, err := i18n.Load()
	if err != nil {
		return nil, fmt.Errorf("load messages: %w", err)
	}
	st, err := loadStatic()
	if err != nil {
		return nil, err
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	h := &Handler{d: d, log: log, msg: msg, static: st, md: newMarkdown(), now: now, streams: newStreamStop()}
	if h.tmpl, err = parseTemplates(st); err != nil {
		return nil, err
	}
	return h, nil
}

// Register adds the UI's routes. Public ones are the pages an anonymous
// visitor needs to sign in; every other route requires a signed-in user,
// and each handler then checks the role through the services.
func (h *Handler) Register(rt *router.Router) {
	rt.Public("GET /static/{path...}", h.serveStatic)
	rt.Public("GET /provider/logo", h.providerLogo)
	rt.Public("POST /lang", h.setLang)
	rt.Public("GET /login", h.loginForm)
	rt.Public("POST /login", h.login)
	rt.Public("GET /login/2fa", h.secondFactorForm)
	rt.Public("POST /login/2fa", h.secondFactor)
	// Sign-out is public so that a visitor stuck between password and
	// second factor (not yet a principal) can still end that session.
	rt.Public("POST /logout", h.logout)
	rt.Public("GET /password/forgot", h.forgotForm)
	rt.Public("POST /password/forgot", h.forgot)
	rt.Public("GET /password/reset", h.resetForm)
	rt.Public("POST /password/reset", h.reset)

	rt.HandleFunc("GET /{$}", h.home)

	rt.HandleFunc("GET /clients", h.clientList)
	rt.HandleFunc("GET /clients/new", h.clientNew)
	rt.HandleFunc("POST /clients/new", h.clientCreate)
	rt.HandleFunc("GET /clients/{id}", h.clientShow)
	rt.HandleFunc("GET /clients/{id}/edit", h.clientEdit)
	rt.HandleFunc("POST /clients/{id}/edit", h.clientUpdate)
	rt.HandleFunc("POST /clients/{id}/archive", h.clientArchive)
	rt.HandleFunc("POST /clients/{id}/restore", h.clientRestore)

	rt.HandleFunc("GET /clients/{id}/sites/new", h.siteNew)
	rt.HandleFunc("POST /clients/{id}/sites/new", h.siteCreate)
	rt.HandleFunc("GET /sites/{id}/edit", h.siteEdit)
	rt.HandleFunc("POST /sites/{id}/edit", h.siteUpdate)
	rt.HandleFunc("POST /sites/{id}/delete", h.siteDelete)

	rt.HandleFunc("GET /clients/{id}/contacts/new", h.contactNew)
	rt.HandleFunc("POST /clients/{id}/contacts/new", h.contactCreate)
	rt.HandleFunc("GET /contacts/{id}/edit", h.contactEdit)
	rt.HandleFunc("POST /contacts/{id}/edit", h.contactUpdate)
	rt.HandleFunc("POST /contacts/{id}/delete", h.contactDelete)

	rt.HandleFunc("GET /clients/{id}/users/new", h.clientUserNew)
	rt.HandleFunc("POST /clients/{id}/users/new", h.clientUserCreate)
	rt.HandleFunc("GET /users", h.staffList)
	rt.HandleFunc("GET /users/new", h.staffNew)
	rt.HandleFunc("POST /users/new", h.staffCreate)
	rt.HandleFunc("GET /users/{id}/edit", h.userEdit)
	rt.HandleFunc("POST /users/{id}/edit", h.userUpdate)

	rt.HandleFunc("GET /account", h.account)
	rt.HandleFunc("POST /account/language", h.accountLanguage)
	rt.HandleFunc("POST /account/password", h.accountPassword)
	rt.HandleFunc("POST /account/logout-all", h.accountLogoutAll)
	rt.HandleFunc("GET /account/2fa", h.totpForm)
	rt.HandleFunc("POST /account/2fa", h.totpConfirm)
	rt.HandleFunc("POST /account/2fa/disable", h.totpDisable)
	rt.HandleFunc("POST /account/tokens", h.tokenCreate)
	rt.HandleFunc("POST /account/tokens/{id}/revoke", h.tokenRevoke)

	rt.HandleFunc("GET /audit", h.auditList)
	rt.HandleFunc("GET /settings", h.settingsForm)
	rt.HandleFunc("POST /settings", h.settingsSave)
	rt.HandleFunc("GET /mail", h.mailList)
	rt.HandleFunc("GET /mail/{id}", h.mailShow)

	if h.d.Tickets != nil {
		h.registerHelpdesk(rt)
	}
	if h.d.Assets != nil {
		h.registerFleet(rt)
	}
	if h.d.Contracts != nil {
		h.registerContracts(rt)
	}
	h.registerReports(rt)
	h.registerReportArchive(rt)
	h.registerReviews(rt)
	h.registerDashboard(rt)
	if h.d.Supervision != nil {
		h.registerSupervision(rt)
		h.registerSupervisionForms(rt)
		if h.d.Notify != nil {
			h.registerNotify(rt)
		}
	}
}

// registerHelpdesk adds the ticket pages (staff queues and the clients'
// portal share them) and the helpdesk settings.
func (h *Handler) registerHelpdesk(rt *router.Router) {
	rt.HandleFunc("GET /tickets", h.ticketList)
	rt.HandleFunc("GET /tickets/time", h.timeReport)
	rt.HandleFunc("GET /tickets/new", h.ticketNew)
	rt.HandleFunc("POST /tickets/new", h.ticketCreate)
	rt.HandleFunc("GET /tickets/{id}", h.ticketShow)
	rt.HandleFunc("POST /tickets/{id}/reply", h.ticketReply)
	rt.HandleFunc("POST /tickets/{id}/update", h.ticketUpdate)
	rt.HandleFunc("POST /tickets/{id}/time", h.ticketTime)
	rt.HandleFunc("POST /tickets/{id}/rate", h.ticketRate)
	rt.HandleFunc("POST /tickets/bulk", h.ticketBulk)
	rt.HandleFunc("POST /tickets/{id}/merge", h.ticketMerge)
	rt.HandleFunc("POST /tickets/{id}/assets", h.ticketAssets)
	rt.HandleFunc("POST /tickets/{id}/perimeter", h.ticketPerimeter)
	rt.HandleFunc("POST /tickets/{id}/watchers", h.ticketWatch)
	rt.HandleFunc("POST /tickets/{id}/watchers/{user}/remove", h.ticketUnwatch)
	// The one-click rating links of the resolution e-mail: the token in
	// the link, not a session, says who may rate.
	rt.Public("GET /rate/{id}", h.rateForm)
	rt.Public("POST /rate/{id}", h.rate)
	if h.d.Attachments != nil {
		rt.HandleFunc("GET /attachments/{id}", h.attachmentDownload)
	}

	rt.HandleFunc("GET /helpdesk/settings", h.helpdeskSettingsForm)
	rt.HandleFunc("POST /helpdesk/settings", h.helpdeskSettingsSave)
	rt.HandleFunc("GET /helpdesk/categories", h.categoryList)
	rt.HandleFunc("POST /helpdesk/categories", h.categoryCreate)
	rt.HandleFunc("POST /helpdesk/categories/{id}/delete", h.categoryDelete)
	rt.HandleFunc("GET /helpdesk/templates", h.replyTemplateList)
	rt.HandleFunc("POST /helpdesk/templates", h.replyTemplateCreate)
	rt.HandleFunc("POST /helpdesk/templates/{id}/delete", h.replyTemplateDelete)
	rt.HandleFunc("GET /helpdesk/templates/{id}/edit", h.replyTemplateEdit)
	rt.HandleFunc("POST /helpdesk/templates/{id}/edit", h.replyTemplateUpdate)
	rt.HandleFunc("GET /clients/{id}/service-level", h.serviceLevelForm)
	rt.HandleFunc("POST /clients/{id}/service-level", h.serviceLevelSave)
	if h.d.HelpdeskMail != nil {
		h.registerHelpdeskMail(rt)
	}
}
