package report

import (
	"context"
	"strings"
	"time"
)

// Report kinds a contract's reporting cadence names; each has an HTML page,
// a PDF and CSV data, and can be generated on schedule.
const (
	DocDaily   = "daily"   // daily summary (compte rendu) of one day
	DocMonthly = "monthly" // monthly steering report of one month
	DocReview  = "review"  // service review of one quarter
	DocAnnual  = "annual"  // annual report of one year
)

// DocKinds lists the report kinds in the order of their cadence.
var DocKinds = []string{DocDaily, DocMonthly, DocReview, DocAnnual}

// PeriodKind returns the shape of period a report kind covers.
func PeriodKind(doc string) Kind {
	switch doc {
	case DocDaily:
		return KindDay
	case DocReview:
		return KindQuarter
	case DocAnnual:
		return KindYear
	}
	return KindMonth
}

// Document is one generated report: its PDF and its CSV data, with the
// file name stem both share ("rapport-ALPHA-2026-10").
type Document struct {
	Name string
	PDF  []byte
	CSV  []byte
}

// Request says which report to generate: the client, the period (in the
// client's time zone), the language of its text and the instant it is made
// (the figures of a period not yet over are "so far").
type Request struct {
	ClientID int64
	Period   Period
	Lang     string
	Now      time.Time
}

// Generator makes the document of one report kind. The scheduler, the
// archive and the download links all go through the generator of a kind,
// so a scheduled report is byte for byte what a user downloads.
type Generator func(ctx context.Context, rq Request) (Document, error)

// SafeName keeps the ASCII letters, digits, dashes and underscores of s, for
// a file name in a mail or a download header; fallback when nothing is left.
func SafeName(s, fallback string) string {
	var b strings.Builder
	for _, c := range s {
		if c < 128 && (c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			b.WriteRune(c)
		}
	}
	if b.Len() == 0 {
		return fallback
	}
	return b.String()
}
