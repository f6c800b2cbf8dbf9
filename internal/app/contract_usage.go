package app

import (
	"context"
	"path/filepath"
	"time"

	"github.com/vigie-hq/vigie/internal/contract"
	"github.com/vigie-hq/vigie/internal/contractdoc"
	"github.com/vigie-hq/vigie/internal/mail"
)

// buildContractUsage adds the documents of contracts (under
// <data-dir>/contract-documents, pruned of deleted contracts' files) and the support-hours and on-site
// warnings: the Warner checks every minute in the background, records each
// level reached once and e-mails it through the outbox (docs/contracts.md).
func (a *App) buildContractUsage(outbox *mail.Outbox, now func() time.Time) {
	a.ContractDocs = contractdoc.NewService(a.DB, a.Journal, filepath.Join(a.Config.DataDir, "contract-documents"), now, a.Log)
	warner := contract.NewWarner(a.Contracts, a.DB, outbox, a.Provider, a.Config.BaseURL, now, a.Log)
	a.bg = append(a.bg, func(ctx context.Context) error { return warner.Run(ctx, time.Minute) })
	// Files of deleted contracts' documents are removed within the hour.
	a.bg = append(a.bg, func(ctx context.Context) error { return a.ContractDocs.Run(ctx, time.Hour) })
}
