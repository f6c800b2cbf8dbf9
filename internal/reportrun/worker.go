package reportrun

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/vigie-hq/vigie/internal/client"
	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/fault"
	"github.com/vigie-hq/vigie/internal/mail"
	"github.com/vigie-hq/vigie/internal/report"
	"github.com/vigie-hq/vigie/internal/tenant"
)

// JobTimeout bounds one attempt: the PDF of a large client takes seconds.
const JobTimeout = 5 * time.Minute

// Worker generates the runs of RunArgs jobs. Register it with river.AddWorker.
type Worker struct {
	river.WorkerDefaults[RunArgs]
	svc *Service
}

// Worker returns the service's job worker.
func (svc *Service) Worker() *Worker { return &Worker{svc: svc} }

// Timeout bounds one attempt.
func (w *Worker) Timeout(*river.Job[RunArgs]) time.Duration { return JobTimeout }

// NextRetry spaces the attempts of a run by the service's backoff.
func (w *Worker) NextRetry(j *river.Job[RunArgs]) time.Time {
	return time.Now().Add(w.svc.d.Backoff(j.Attempt))
}

// errPermanent marks a failure no attempt can cure (no generator for the
// kind, a period that no longer parses): the run fails at once.
var errPermanent = errors.New("permanent failure")

// errStale is a run generated again while this attempt ran.
var errStale = errors.New("run replaced by a newer generation")

// Work generates one run. The document is stored, the run marked done and
// its e-mail queued in the outbox in one transaction: a crash before the
// commit leaves the run to its next attempt with nothing sent, a crash after
// it finds the run done and sends nothing twice.
func (w *Worker) Work(ctx context.Context, j *river.Job[RunArgs]) error {
	svc := w.svc
	id, gen := j.Args.RunID, j.Args.Generation
	r, err := svc.d.Store.ReportRun(ctx, tenant.System(), id)
	if errors.Is(err, fault.ErrNotFound) {
		// Its client was deleted: nothing left to generate.
		return river.JobCancel(fmt.Errorf("report run %d: %w", id, err))
	}
	if err != nil {
		return fmt.Errorf("load report run %d: %w", id, err)
	}
	if r.Generation != gen || r.Status == StatusDone || r.Status == StatusFailed {
		return nil // replaced by a newer generation, or already finished
	}
	ok, err := svc.d.Store.ReportRunStarted(ctx, id, gen, j.Attempt, svc.d.Now().UTC().Truncate(time.Microsecond))
	if err != nil {
		return fmt.Errorf("start report run %d: %w", id, err)
	}
	if !ok {
		return nil
	}
	err = svc.produce(ctx, r)
	if err == nil || errors.Is(err, errStale) {
		return nil
	}
	permanent := errors.Is(err, errPermanent)
	final := permanent || j.Attempt >= j.MaxAttempts
	msg := err.Error()
	if serr := svc.d.Store.ReportRunFailed(context.WithoutCancel(ctx), id, gen, j.Attempt, msg, final, svc.d.Now().UTC().Truncate(time.Microsecond)); serr != nil {
		svc.d.Log.Error("record report failure", "run_id", id, "err", serr)
	}
	svc.d.Log.Warn("report not generated", "run_id", id, "client_id", r.ClientID, "kind", r.Kind, "period", r.Period,
		"attempt", j.Attempt, "max_attempts", j.MaxAttempts, "final", final, "err", err)
	if permanent {
		return river.JobCancel(err)
	}
	return err
}

// produce generates, stores and sends one run.
func (svc *Service) produce(ctx context.Context, r Run) error {
	gen := svc.d.Generators[r.Kind]
	if gen == nil {
		return fmt.Errorf("no generator for %q reports in this version of Vigie: %w", r.Kind, errPermanent)
	}
	if r.Send && svc.d.Mailer == nil {
		return errors.New("no mail outbox to send the report")
	}
	c, err := svc.d.Store.Client(ctx, tenant.System(), r.ClientID)
	if err != nil {
		return fmt.Errorf("load client %d: %w", r.ClientID, err)
	}
	p, err := report.ParsePeriod(report.PeriodKind(r.Kind), r.Period, contract.Location(c))
	if err != nil {
		return fmt.Errorf("period %q: %v: %w", r.Period, err, errPermanent)
	}
	doc, err := generate(ctx, gen, report.Request{ClientID: r.ClientID, Period: p, Lang: r.Lang, Now: svc.d.Now()})
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	doc.Name = report.SafeName(doc.Name, "client")
	if len(doc.PDF) == 0 || doc.Name == "client" {
		return errors.New("generate: the generator returned no PDF or no name")
	}
	var to []*netmail.Address
	if r.Send {
		if to, err = svc.recipients(ctx, r); err != nil {
			return err
		}
	}
	addrs := make([]string, len(to))
	list := make([]string, len(to))
	for i, a := range to {
		addrs[i], list[i] = a.Address, a.String()
	}
	return svc.d.Store.InTx(ctx, func(ctx context.Context) error {
		var mailID *int64
		if len(to) > 0 {
			id, _, err := svc.d.Mailer.Send(ctx, svc.message(r, c, p, doc, list))
			if err != nil {
				return fmt.Errorf("queue e-mail: %w", err)
			}
			mailID = &id
		}
		ok, err := svc.d.Store.ReportRunDone(ctx, r.ID, r.Generation, doc, addrs, mailID, svc.d.Now().UTC().Truncate(time.Microsecond))
		if err != nil {
			return fmt.Errorf("store report: %w", err)
		}
		if !ok {
			return errStale // rolls the e-mail back too
		}
		return nil
	})
}

// generate runs a generator, a panic turned into an error: River would
// recover it too, but the run must record the attempt, or it would stay
// "running" for ever once River gave up.
func generate(ctx context.Context, gen report.Generator, rq report.Request) (doc report.Document, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("generator panicked: %v", p)
		}
	}()
	return gen(ctx, rq)
}

// recipients returns the addresses of the contacts the run's contract
// names, as they are now; contacts without an address are left out.
func (svc *Service) recipients(ctx context.Context, r Run) ([]*netmail.Address, error) {
	if r.ContractID == nil {
		return nil, nil
	}
	ct, err := svc.d.Contracts.Get(ctx, tenant.System(), *r.ContractID)
	if errors.Is(err, fault.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load contract %d: %w", *r.ContractID, err)
	}
	var out []*netmail.Address
	for _, id := range ct.Reporting.Recipients {
		p, err := svc.d.Store.Contact(ctx, tenant.System(), id)
		if errors.Is(err, fault.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load recipient %d: %w", id, err)
		}
		if p.Email == "" || p.ClientID != r.ClientID {
			continue
		}
		out = append(out, &netmail.Address{Name: p.FullName(), Address: p.Email})
	}
	return out, nil
}

// message is the e-mail of a run, in the run's language, with the PDF and
// the CSV attached.
func (svc *Service) message(r Run, c client.Client, p report.Period, doc report.Document, to []string) mail.Message {
	t := func(key string, args ...any) string { return svc.d.Texts.T(r.Lang, key, args...) }
	kind := t("reportrun.kind." + r.Kind)
	link := svc.d.BaseURL + "/clients/" + strconv.FormatInt(r.ClientID, 10) + "/reports/archive"
	cid := r.ClientID
	files := []mail.Attachment{{Name: doc.Name + ".pdf", ContentType: "application/pdf", Data: doc.PDF}}
	if len(doc.CSV) > 0 {
		files = append(files, mail.Attachment{Name: doc.Name + ".csv", ContentType: "text/csv; charset=utf-8", Data: doc.CSV})
	}
	return mail.Message{
		To:          to,
		Subject:     t("reportrun.mail.subject", kind, c.Name, p.Label()),
		Text:        t("reportrun.mail.text", kind, c.Name, p.Label(), link),
		ClientID:    &cid,
		Headers:     map[string]string{"X-Vigie-Report": r.Kind + " " + p.Label()},
		Attachments: files,
	}
}

var _ river.Worker[RunArgs] = (*Worker)(nil)

var _ Contracts = (*contract.Service)(nil)
