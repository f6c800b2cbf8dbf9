package spool

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

func newTestSpool(t *testing.T, dir string, max int64) *Spool {
	t.Helper()
	s, err := Open(dir, max, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func batch(t *testing.T, s *Spool, series int) *agentproto.Report {
	t.Helper()
	seq, err := s.NextSeq()
	if err != nil {
		t.Fatal(err)
	}
	r := &agentproto.Report{Seq: seq}
	for i := range series {
		r.Series = append(r.Series, agentproto.Series{Name: "cpu.percent", Labels: map[string]string{"i": string(rune('a' + i%26))}, T: []int64{int64(seq)*1000 + int64(i)}, V: []float64{float64(i)}})
	}
	if _, err := s.Put(r); err != nil {
		t.Fatal(err)
	}
	return r
}

// drain sends nothing: it reads and removes every batch in order.
func drain(t *testing.T, s *Spool) []uint64 {
	t.Helper()
	var seqs []uint64
	for {
		e, r, err := s.Oldest()
		if err == ErrEmpty {
			return seqs
		}
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, r.Seq)
		if err := s.Remove(e); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSpoolOrder(t *testing.T) {
	s := newTestSpool(t, t.TempDir(), 1<<20)
	for range 12 { // past 9 → 10 checks the names sort numerically
		batch(t, s, 2)
	}
	got := drain(t, s)
	if len(got) != 12 {
		t.Fatalf("got %d batches, want 12", len(got))
	}
	for i, seq := range got {
		if seq != uint64(i+1) {
			t.Fatalf("batch %d has seq %d, want %d (order %v)", i, seq, i+1, got)
		}
	}
	if s.Bytes() != 0 || s.Len() != 0 {
		t.Fatalf("after drain: %d bytes, %d batches", s.Bytes(), s.Len())
	}
}

func TestSpoolBoundDropsOldest(t *testing.T) {
	dir := t.TempDir()
	s := newTestSpool(t, dir, 1<<20)
	batch(t, s, 50)
	one := s.Bytes()
	// Room for three batches of this size.
	s.SetMax(one*3 + one/2)
	for range 5 {
		batch(t, s, 50)
	}
	if got := s.Dropped(); got != 3 {
		t.Fatalf("dropped = %d, want 3", got)
	}
	if s.Bytes() > one*3+one/2 {
		t.Fatalf("spool holds %d bytes, over its bound %d", s.Bytes(), one*3+one/2)
	}
	got := drain(t, s)
	want := []uint64{4, 5, 6}
	if len(got) != len(want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("kept %v, want %v", got, want)
		}
	}
	if err := s.Reported(2); err != nil {
		t.Fatal(err)
	}
	if got := s.Dropped(); got != 1 {
		t.Fatalf("after reporting 2, dropped = %d, want 1", got)
	}
}

func TestSpoolSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s := newTestSpool(t, dir, 1<<20)
	for range 3 {
		batch(t, s, 3)
	}
	e, _, err := s.Oldest()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(e); err != nil { // batch 1 acknowledged
		t.Fatal(err)
	}
	if _, err := s.NextSeq(); err != nil { // reserved, never spooled (crash)
		t.Fatal(err)
	}
	if err := s.CountDropped(2); err != nil {
		t.Fatal(err)
	}
	// A temporary file of a write interrupted by a crash.
	if err := os.WriteFile(filepath.Join(dir, ".tmp-123"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}

	s2 := newTestSpool(t, dir, 1<<20)
	if s2.Len() != 2 || s2.Dropped() != 2 {
		t.Fatalf("after reopen: %d batches, %d dropped; want 2, 2", s2.Len(), s2.Dropped())
	}
	seq, err := s2.NextSeq()
	if err != nil {
		t.Fatal(err)
	}
	if seq != 5 {
		t.Fatalf("next seq after restart = %d, want 5 (never reuse 4)", seq)
	}
	if got := drain(t, s2); len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Fatalf("replayed %v, want [2 3]", got)
	}
	if _, err := os.Stat(filepath.Join(dir, ".tmp-123")); !os.IsNotExist(err) {
		t.Fatalf("temporary file left behind: %v", err)
	}
}

func TestSpoolSeqFloorFromNames(t *testing.T) {
	dir := t.TempDir()
	s := newTestSpool(t, dir, 1<<20)
	for range 4 {
		batch(t, s, 1)
	}
	// The state file lost (or torn): Seqs must still not go back.
	if err := os.WriteFile(filepath.Join(dir, stateFile), []byte("{torn"), 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := newTestSpool(t, dir, 1<<20)
	if seq, _ := s2.NextSeq(); seq != 5 {
		t.Fatalf("next seq = %d, want 5", seq)
	}
}

func TestSpoolCorruptedSkippedAndCounted(t *testing.T) {
	dir := t.TempDir()
	s := newTestSpool(t, dir, 1<<20)
	for range 3 {
		batch(t, s, 2)
	}
	// Corrupt batch 2 on disk.
	if err := os.WriteFile(filepath.Join(dir, makeName(2, "", false)), []byte("not gzip"), 0o600); err != nil {
		t.Fatal(err)
	}
	s = newTestSpool(t, dir, 1<<20)
	got := drain(t, s)
	if len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("replayed %v, want [1 3]", got)
	}
	if s.Dropped() != 1 {
		t.Fatalf("dropped = %d, want 1", s.Dropped())
	}
}

func TestSpoolSplitKeepsOrder(t *testing.T) {
	dir := t.TempDir()
	s := newTestSpool(t, dir, 1<<20)
	batch(t, s, 4)
	batch(t, s, 4)
	e, r, err := s.Oldest()
	if err != nil {
		t.Fatal(err)
	}
	ok, err := s.Split(e, r)
	if err != nil || !ok {
		t.Fatalf("split: %v %v", ok, err)
	}
	// Split the first half again.
	e, r, _ = s.Oldest()
	if ok, err := s.Split(e, r); err != nil || !ok {
		t.Fatalf("split again: %v %v", ok, err)
	}
	s = newTestSpool(t, dir, 1<<20) // the order survives a restart
	var series []int
	var seqs []uint64
	for {
		e, r, err := s.Oldest()
		if err == ErrEmpty {
			break
		}
		seqs = append(seqs, r.Seq)
		series = append(series, len(r.Series))
		_ = s.Remove(e)
	}
	// batch 1 → [1a(1a a:1, ab:1), 1b:2], then batch 2.
	wantSeries := []int{1, 1, 2, 4}
	if len(series) != len(wantSeries) {
		t.Fatalf("series per batch %v, want %v", series, wantSeries)
	}
	for i := range wantSeries {
		if series[i] != wantSeries[i] {
			t.Fatalf("series per batch %v, want %v", series, wantSeries)
		}
	}
	if seqs[len(seqs)-1] != 2 || seqs[0] != 1 {
		t.Fatalf("seqs %v: first half keeps 1, batch 2 comes last", seqs)
	}
	seen := map[uint64]bool{}
	for _, q := range seqs {
		if seen[q] {
			t.Fatalf("seq %d reused: %v", q, seqs)
		}
		seen[q] = true
	}
}

func TestSpoolSplitCrashPrefersHalves(t *testing.T) {
	dir := t.TempDir()
	s := newTestSpool(t, dir, 1<<20)
	r := batch(t, s, 2)
	// The original is still there next to its halves, as after a crash
	// between writing the halves and removing it.
	a, b, _ := splitReport(r)
	b.Seq = 99
	if _, err := s.put(a, makeName(1, "a", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.put(b, makeName(1, "b", false)); err != nil {
		t.Fatal(err)
	}
	s = newTestSpool(t, dir, 1<<20)
	if got := drain(t, s); len(got) != 2 || got[0] != 1 || got[1] != 99 {
		t.Fatalf("replayed %v, want [1 99]", got)
	}
}
