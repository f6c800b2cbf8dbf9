package job_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/vigie-hq/vigie/internal/job"
	"github.com/vigie-hq/vigie/internal/store"
	"github.com/vigie-hq/vigie/internal/testdb"
)

type echoArgs struct {
	Text string `json:"text"`
}

func (echoArgs) Kind() string { return "test.echo" }

// echoWorker records the texts it worked; it fails a text's first failFirst runs.
type echoWorker struct {
	river.WorkerDefaults[echoArgs]
	mu        sync.Mutex
	done      []string
	runs      map[string]int
	failFirst int
	notify    chan string
}

func (w *echoWorker) Work(ctx context.Context, j *river.Job[echoArgs]) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.runs[j.Args.Text]++
	if w.runs[j.Args.Text] <= w.failFirst {
		return errors.New("not yet")
	}
	w.done = append(w.done, j.Args.Text)
	w.notify <- j.Args.Text
	return nil
}

// fastRetry retries failed jobs after 50 ms instead of River's seconds.
type fastRetry struct{}

func (fastRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(50 * time.Millisecond) }

func newTestQueue(t *testing.T, dialect string, w *echoWorker) (*store.DB, *job.Queue) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.URL(t, dialect), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	q, err := job.New(ctx, db, nil, func(ws *river.Workers) { river.AddWorker(ws, w) }, job.Options{
		FetchPollInterval: 50 * time.Millisecond,
		FetchCooldown:     10 * time.Millisecond,
		RetryPolicy:       fastRetry{},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return db, q
}

func newEchoWorker(failFirst int) *echoWorker {
	return &echoWorker{runs: map[string]int{}, failFirst: failFirst, notify: make(chan string, 16)}
}

func wait(t *testing.T, ch <-chan string, want string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("worked %q, want %q", got, want)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("job %q not worked in time", want)
	}
}

func TestQueue(t *testing.T) {
	for _, dialect := range testdb.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			w := newEchoWorker(1)
			db, q := newTestQueue(t, dialect, w)

			// A job enqueued before Start waits for it (nothing is lost while
			// the workers are down).
			if _, err := q.Insert(ctx, echoArgs{"direct"}, nil); err != nil {
				t.Fatal(err)
			}
			boom := errors.New("boom")
			err := db.InTx(ctx, func(ctx context.Context) error {
				if _, err := q.Insert(ctx, echoArgs{"rolled back"}, nil); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("InTx = %v, want boom", err)
			}
			if err := db.InTx(ctx, func(ctx context.Context) error {
				_, err := q.Insert(ctx, echoArgs{"committed"}, nil)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			counts, err := q.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if counts[string(rivertype.JobStateAvailable)] != 2 {
				t.Fatalf("available jobs = %d, want 2 (the rolled-back one must not exist): %v", counts[string(rivertype.JobStateAvailable)], counts)
			}
			if len(counts) != len(rivertype.JobStates()) {
				t.Errorf("counts has %d states, want all %d", len(counts), len(rivertype.JobStates()))
			}

			if err := q.Start(ctx); err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for range 2 {
				select {
				case s := <-w.notify:
					got[s] = true
				case <-time.After(15 * time.Second):
					t.Fatalf("jobs not worked in time; got %v", got)
				}
			}
			if !got["direct"] || !got["committed"] {
				t.Fatalf("worked %v, want direct and committed", got)
			}
			// Enqueued while running, inside a transaction.
			if err := db.InTx(ctx, func(ctx context.Context) error {
				_, err := q.Insert(ctx, echoArgs{"later"}, nil)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			wait(t, w.notify, "later")

			stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := q.Stop(stopCtx); err != nil {
				t.Fatal(err)
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			if w.runs["rolled back"] != 0 {
				t.Error("the job of a rolled-back transaction ran")
			}
			for _, s := range []string{"direct", "committed", "later"} {
				if w.runs[s] != 2 {
					t.Errorf("job %q ran %d times, want 2 (one failure, one retry)", s, w.runs[s])
				}
			}
			counts, err = q.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if counts[string(rivertype.JobStateCompleted)] != 3 {
				t.Errorf("completed jobs = %d, want 3: %v", counts[string(rivertype.JobStateCompleted)], counts)
			}
		})
	}
}
