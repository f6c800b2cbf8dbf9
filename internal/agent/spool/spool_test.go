package spool

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

var t0 = time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)

func newTestSpool(t *testing.T, dir string, max int64) *Spool {
	t.Helper()
	s, err := OpenAt(dir, max, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// batch spools a batch whose samples are all at time id.
func batch(t *testing.T, s *Spool, id int64, series int) *agentproto.Report {
	t.Helper()
	r := &agentproto.Report{}
	for i := range series {
		r.Series = append(r.Series, agentproto.Series{Name: "cpu.percent", Labels: map[string]string{"i": fmt.Sprint(i)}, T: []int64{id}, V: []float64{float64(i)}})
	}
	if _, err := s.Put(r); err != nil {
		t.Fatal(err)
	}
	return r
}

type sent struct {
	id     int64
	seq    uint64
	series int
}

// drain acknowledges every batch in order, as a server would.
func drain(t *testing.T, s *Spool) []sent {
	t.Helper()
	var out []sent
	for {
		e, r, err := s.Oldest()
		if err == ErrEmpty {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sent{id: r.Series[0].T[0], seq: r.Seq, series: len(r.Series)})
		if err := s.Remove(e); err != nil {
			t.Fatal(err)
		}
	}
}

func ids(ss []sent) []int64 {
	var out []int64
	for _, s := range ss {
		out = append(out, s.id)
	}
	return out
}

// checkSeqs checks that Seqs grow by one from first.
func checkSeqs(t *testing.T, ss []sent, first uint64) {
	t.Helper()
	for i, s := range ss {
		if s.seq != first+uint64(i) {
			t.Fatalf("batch %d sent with seq %d, want %d (all: %+v)", i, s.seq, first+uint64(i), ss)
		}
	}
}

func TestSpoolOrder(t *testing.T) {
	s := newTestSpool(t, t.TempDir(), 1<<20)
	for id := range int64(12) { // past 9 → 10 checks the names sort numerically
		batch(t, s, id, 2)
	}
	got := drain(t, s)
	if fmt.Sprint(ids(got)) != "[0 1 2 3 4 5 6 7 8 9 10 11]" {
		t.Fatalf("replayed %v", ids(got))
	}
	checkSeqs(t, got, seqFloor(t0))
	if s.Bytes() != 0 || s.Len() != 0 {
		t.Fatalf("after drain: %d bytes, %d batches", s.Bytes(), s.Len())
	}
}

func TestSpoolHeadKeepsItsSeq(t *testing.T) {
	dir := t.TempDir()
	s := newTestSpool(t, dir, 1<<20)
	batch(t, s, 1, 1)
	batch(t, s, 2, 1)
	_, r1, _ := s.Oldest()
	_, r2, _ := s.Oldest() // sent again: the ack was lost
	if r1.Seq != r2.Seq {
		t.Fatalf("head resent with seq %d, first sent with %d", r2.Seq, r1.Seq)
	}
	s = newTestSpool(t, dir, 1<<20) // and after a restart
	_, r3, _ := s.Oldest()
	if r3.Seq != r1.Seq {
		t.Fatalf("head after restart has seq %d, want %d", r3.Seq, r1.Seq)
	}
}

func TestSpoolBoundDropsOldest(t *testing.T) {
	dir := t.TempDir()
	s := newTestSpool(t, dir, 1<<20)
	batch(t, s, 1, 50)
	one := s.Bytes()
	// Room for three batches of this size.
	s.SetMax(one*3 + one/2)
	for id := int64(2); id <= 6; id++ {
		batch(t, s, id, 50)
	}
	if got := s.Dropped(); got != 3 {
		t.Fatalf("dropped = %d, want 3", got)
	}
	if s.Bytes() > one*3+one/2 {
		t.Fatalf("spool holds %d bytes, over its bound %d", s.Bytes(), one*3+one/2)
	}
	got := drain(t, s)
	if fmt.Sprint(ids(got)) != "[4 5 6]" {
		t.Fatalf("kept %v, want [4 5 6]", ids(got))
	}
	checkSeqs(t, got, seqFloor(t0))
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
	for id := int64(1); id <= 3; id++ {
		batch(t, s, id, 3)
	}
	e, r, err := s.Oldest()
	if err != nil {
		t.Fatal(err)
	}
	first := r.Seq
	if err := s.Remove(e); err != nil { // batch 1 acknowledged
		t.Fatal(err)
	}
	if err := s.CountDropped(2); err != nil {
		t.Fatal(err)
	}
	// A temporary file of a write interrupted by a crash.
	if err := os.WriteFile(filepath.Join(dir, ".tmp-123"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}

	s2, err := OpenAt(dir, 1<<20, nil, t0.Add(time.Hour)) // a later clock must not matter
	if err != nil {
		t.Fatal(err)
	}
	if s2.Len() != 2 || s2.Dropped() != 2 {
		t.Fatalf("after reopen: %d batches, %d dropped; want 2, 2", s2.Len(), s2.Dropped())
	}
	batch(t, s2, 4, 1)
	got := drain(t, s2)
	if fmt.Sprint(ids(got)) != "[2 3 4]" {
		t.Fatalf("replayed %v, want [2 3 4]", ids(got))
	}
	checkSeqs(t, got, first+1) // never reuse a Seq, never jump back
	if _, err := os.Stat(filepath.Join(dir, ".tmp-123")); !os.IsNotExist(err) {
		t.Fatalf("temporary file left behind: %v", err)
	}
}

func TestSpoolStateLostSeqsStayAbove(t *testing.T) {
	dir := t.TempDir()
	s := newTestSpool(t, dir, 1<<20)
	for id := int64(1); id <= 4; id++ {
		batch(t, s, id, 1)
	}
	got := drain(t, s)
	last := got[len(got)-1].seq
	batch(t, s, 5, 1)
	tests := []struct {
		name  string
		state []byte // nil: removed
	}{
		{"torn", []byte("{torn")},
		{"removed", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, stateFile)
			if tt.state == nil {
				_ = os.Remove(p)
			} else if err := os.WriteFile(p, tt.state, 0o600); err != nil {
				t.Fatal(err)
			}
			// Ten seconds later at least one batch time has passed.
			s2, err := OpenAt(dir, 1<<20, nil, t0.Add(10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			_, r, err := s2.Oldest()
			if err != nil {
				t.Fatal(err)
			}
			if r.Seq <= last {
				t.Fatalf("seq %d after state loss, want above %d (the server would drop it as a duplicate)", r.Seq, last)
			}
		})
	}
}

func TestSpoolCorruptedSkippedAndCounted(t *testing.T) {
	dir := t.TempDir()
	s := newTestSpool(t, dir, 1<<20)
	for id := int64(0); id < 3; id++ {
		batch(t, s, id, 2)
	}
	// Corrupt the second batch on disk.
	if err := os.WriteFile(filepath.Join(dir, makeName(1, "", false)), []byte("not gzip"), 0o600); err != nil {
		t.Fatal(err)
	}
	s = newTestSpool(t, dir, 1<<20)
	got := drain(t, s)
	if fmt.Sprint(ids(got)) != "[0 2]" {
		t.Fatalf("replayed %v, want [0 2]", ids(got))
	}
	checkSeqs(t, got, seqFloor(t0))
	if s.Dropped() != 1 {
		t.Fatalf("dropped = %d, want 1", s.Dropped())
	}
}

func TestSpoolSplitKeepsOrder(t *testing.T) {
	dir := t.TempDir()
	s := newTestSpool(t, dir, 1<<20)
	batch(t, s, 1, 4)
	batch(t, s, 2, 4)
	e, r, err := s.Oldest()
	if err != nil {
		t.Fatal(err)
	}
	refused := r.Seq
	ok, err := s.Split(e, r)
	if err != nil || !ok {
		t.Fatalf("split: %v %v", ok, err)
	}
	// Split the first half again.
	e, r, _ = s.Oldest()
	if r.Seq != refused {
		t.Fatalf("first half has seq %d, want the refused %d", r.Seq, refused)
	}
	if ok, err := s.Split(e, r); err != nil || !ok {
		t.Fatalf("split again: %v %v", ok, err)
	}
	s = newTestSpool(t, dir, 1<<20) // the order survives a restart
	got := drain(t, s)
	// batch 1 → 1aa (1 series), 1ab (1), 1b (2); then batch 2 (4).
	if fmt.Sprint(ids(got)) != "[1 1 1 2]" {
		t.Fatalf("replayed %v", got)
	}
	var series []int
	for _, g := range got {
		series = append(series, g.series)
	}
	if fmt.Sprint(series) != "[1 1 2 4]" {
		t.Fatalf("series per batch %v, want [1 1 2 4]", series)
	}
	checkSeqs(t, got, refused)
}

func TestSpoolSplitCrashPrefersHalves(t *testing.T) {
	dir := t.TempDir()
	s := newTestSpool(t, dir, 1<<20)
	r := batch(t, s, 1, 2)
	// The original is still there next to its halves, as after a crash
	// between writing the halves and removing it.
	a, b, _ := splitReport(r)
	b.Series[0].T[0] = 9
	if _, err := s.put(a, makeName(0, "a", false)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.put(b, makeName(0, "b", false)); err != nil {
		t.Fatal(err)
	}
	s = newTestSpool(t, dir, 1<<20)
	if got := drain(t, s); fmt.Sprint(ids(got)) != "[1 9]" {
		t.Fatalf("replayed %v, want [1 9]", ids(got))
	}
}

func TestSplitReport(t *testing.T) {
	inv := &agentproto.Inventory{Hostname: "h"}
	one := agentproto.Series{Name: "x", T: []int64{1, 2, 3}, V: []float64{1, 2, 3}}
	tests := []struct {
		name       string
		r          agentproto.Report
		ok         bool
		wantA      int // samples in the first half
		wantB      int
		invInFirst bool
	}{
		{"series halves", agentproto.Report{Series: []agentproto.Series{one, one, one}}, true, 3, 6, false},
		{"one series, samples halved", agentproto.Report{Series: []agentproto.Series{one}}, true, 1, 2, false},
		{"inventory apart", agentproto.Report{Inventory: inv, Series: []agentproto.Series{{Name: "x", T: []int64{1}, V: []float64{1}}}}, true, 0, 1, true},
		{"one sample", agentproto.Report{Series: []agentproto.Series{{Name: "x", T: []int64{1}, V: []float64{1}}}}, false, 0, 0, false},
	}
	count := func(r *agentproto.Report) int {
		n := 0
		for _, s := range r.Series {
			n += len(s.T)
		}
		return n
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b, ok := splitReport(&tt.r)
			if ok != tt.ok {
				t.Fatalf("ok = %v", ok)
			}
			if !ok {
				return
			}
			if count(a) != tt.wantA || count(b) != tt.wantB {
				t.Fatalf("halves hold %d and %d samples, want %d and %d", count(a), count(b), tt.wantA, tt.wantB)
			}
			if (a.Inventory != nil) != tt.invInFirst || b.Inventory != nil {
				t.Fatalf("inventory in first %v, in second %v", a.Inventory != nil, b.Inventory != nil)
			}
		})
	}
}

// FuzzSpoolFile: whatever a batch file holds after a crash or a disk
// error, the spool neither panics nor stops: it is read or skipped and
// counted.
func FuzzSpoolFile(f *testing.F) {
	dir := f.TempDir()
	s, _ := OpenAt(dir, 1<<20, nil, t0)
	r := &agentproto.Report{Series: []agentproto.Series{{Name: "x", T: []int64{1}, V: []float64{1}}}}
	_, _ = s.Put(r)
	good, _ := os.ReadFile(filepath.Join(dir, makeName(0, "", false)))
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, makeName(0, "", false)), b, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := OpenAt(dir, 1<<20, nil, t0)
		if err != nil {
			t.Fatal(err)
		}
		e, r, err := s.Oldest()
		switch {
		case err == ErrEmpty:
			if s.Dropped() != 1 {
				t.Fatalf("unreadable batch not counted")
			}
		case err != nil:
			t.Fatal(err)
		default:
			if r.Seq == 0 {
				t.Fatal("batch without a seq")
			}
			if err := s.Remove(e); err != nil {
				t.Fatal(err)
			}
		}
	})
}
