// Package spool is the agent's store-and-forward queue: every batch is
// written to disk (gzip-compressed JSON, fsync'd, renamed into place) before
// it is sent, and removed only once the server acknowledged it. The spool is
// bounded; when full the oldest batches go first and are counted.
//
// A batch gets its Seq when it first reaches the head of the queue, not
// when it is spooled: the server keeps the highest Seq it stored and takes
// anything at or below it for a duplicate, so Seqs must be sent in
// increasing order, and a batch the server found too large must be split
// into halves that still come before every later batch. The head's Seq is
// persisted before it is sent, so a batch whose acknowledgement was lost is
// sent again with the same Seq (and acknowledged as a duplicate).
//
// Layout of the directory:
//
//	state.json   next Seq, next position, the head's Seq, the pending dropped count
//	b-<position:20 digits><split>.<k>.json.gz
//
// where <split> is empty or a run of 'a'/'b' letters for the halves of a
// batch the server found too large, and <k> is "i" when the batch carries
// an inventory, "m" otherwise. File names sort in replay order.
package spool

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

// ErrEmpty is returned by Oldest when nothing is waiting.
var ErrEmpty = errors.New("spool empty")

const stateFile = "state.json"

// Entry is a spooled batch.
type Entry struct {
	Name      string // file name; sorts in replay order
	Pos       uint64 // position in the queue
	Size      int64
	Inventory bool // the batch carries an inventory
}

type state struct {
	NextSeq uint64 `json:"next_seq"`
	NextPos uint64 `json:"next_pos"`
	// Head and HeadSeq: the batch being sent and its Seq.
	Head    string `json:"head,omitempty"`
	HeadSeq uint64 `json:"head_seq,omitempty"`
	Dropped uint64 `json:"dropped"`
}

// Spool is safe for concurrent use by one producer and one sender.
type Spool struct {
	dir string
	log *slog.Logger

	mu      sync.Mutex
	max     int64
	entries []Entry // sorted by Name
	bytes   int64
	st      state
	buf     bytes.Buffer // reused for encoding
	zw      *gzip.Writer
	zr      *gzip.Reader
}

// Open opens (creating it 0700) the spool in dir, bounded to maxBytes.
// It recovers the Seq counter and the batches left by a previous run. now
// gives the first Seq of a spool without state (see seqFloor).
func Open(dir string, maxBytes int64, log *slog.Logger) (*Spool, error) {
	return OpenAt(dir, maxBytes, log, time.Now())
}

// OpenAt is Open with the clock given.
func OpenAt(dir string, maxBytes int64, log *slog.Logger, now time.Time) (*Spool, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create spool dir: %w", err)
	}
	s := &Spool{dir: dir, log: log, max: maxBytes}
	if b, err := os.ReadFile(filepath.Join(dir, stateFile)); err == nil {
		if err := json.Unmarshal(b, &s.st); err != nil {
			log.Warn("spool state unreadable: Seqs restart from the clock", "err", err)
			s.st = state{}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read spool state: %w", err)
	}
	if s.st.NextSeq == 0 {
		// No state (first run, or state lost with the state directory):
		// start above any Seq this agent can have used, or the server
		// would take the next batches for duplicates of stored ones.
		s.st.NextSeq = seqFloor(now)
		s.st.Head, s.st.HeadSeq = "", 0
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list spool: %w", err)
	}
	for _, de := range des {
		name := de.Name()
		if strings.HasPrefix(name, ".tmp-") {
			_ = os.Remove(filepath.Join(dir, name)) // a write that never completed
			continue
		}
		e, ok := parseName(name)
		if !ok {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue
		}
		e.Size = info.Size()
		s.entries = append(s.entries, e)
	}
	sort.Slice(s.entries, func(i, j int) bool { return s.entries[i].Name < s.entries[j].Name })
	// A crash while splitting may leave the original beside its halves:
	// the halves win.
	kept := s.entries[:0]
	for i, e := range s.entries {
		if i+1 < len(s.entries) && strings.HasPrefix(s.entries[i+1].Name, stem(e.Name)) && s.entries[i+1].Name != e.Name {
			_ = os.Remove(filepath.Join(dir, e.Name))
			continue
		}
		kept = append(kept, e)
	}
	s.entries = kept
	for _, e := range s.entries {
		s.bytes += e.Size
		if e.Pos >= s.st.NextPos {
			s.st.NextPos = e.Pos + 1
		}
	}
	if err := s.saveState(); err != nil {
		return nil, err
	}
	return s, nil
}

// seqFloor is the Seq a spool without state starts from: milliseconds since
// 1970. An agent makes at most one batch every ten seconds, so every Seq it
// used before is below, and the Seqs stay exact in a JSON number (< 2^53)
// for thousands of years.
func seqFloor(now time.Time) uint64 { return uint64(max(now.UnixMilli(), 1)) }

// stem is a batch name without its kind and extension: "b-000…42a".
func stem(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return name[:i]
	}
	return name
}

func parseName(name string) (Entry, bool) {
	if !strings.HasPrefix(name, "b-") || !strings.HasSuffix(name, ".json.gz") {
		return Entry{}, false
	}
	core := strings.TrimSuffix(name[2:], ".json.gz")
	dot := strings.IndexByte(core, '.')
	if dot < 20 {
		return Entry{}, false
	}
	kind := core[dot+1:]
	if kind != "i" && kind != "m" {
		return Entry{}, false
	}
	pos, err := strconv.ParseUint(core[:20], 10, 64)
	if err != nil {
		return Entry{}, false
	}
	for _, c := range core[20:dot] {
		if c != 'a' && c != 'b' {
			return Entry{}, false
		}
	}
	return Entry{Name: name, Pos: pos, Inventory: kind == "i"}, true
}

func makeName(pos uint64, split string, inv bool) string {
	k := "m"
	if inv {
		k = "i"
	}
	return fmt.Sprintf("b-%020d%s.%s.json.gz", pos, split, k)
}

// SetMax changes the bound (settings from the server); it applies at the next Put.
func (s *Spool) SetMax(maxBytes int64) {
	s.mu.Lock()
	s.max = maxBytes
	s.mu.Unlock()
}

func (s *Spool) saveState() error {
	b, err := json.Marshal(s.st)
	if err != nil {
		return err
	}
	return writeAtomic(s.dir, stateFile, b)
}

// Put writes r to disk, at the end of the queue (its Seq is given when it
// reaches the head). When the spool would grow past its bound the oldest
// batches are removed and counted; Put returns them so the caller can tell
// what was lost (e.g. an inventory).
func (s *Spool) Put(r *agentproto.Report) ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.Seq = 0
	pos := s.st.NextPos
	s.st.NextPos++
	if err := s.saveState(); err != nil {
		return nil, err
	}
	return s.put(r, makeName(pos, "", r.Inventory != nil))
}

func (s *Spool) put(r *agentproto.Report, name string) ([]Entry, error) {
	b, err := s.encode(r)
	if err != nil {
		return nil, err
	}
	var dropped []Entry
	for len(s.entries) > 0 && s.bytes+int64(len(b)) > s.max {
		old := s.entries[0]
		if err := os.Remove(filepath.Join(s.dir, old.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return dropped, fmt.Errorf("drop oldest batch: %w", err)
		}
		s.entries = s.entries[1:]
		s.bytes -= old.Size
		s.st.Dropped++
		dropped = append(dropped, old)
	}
	if len(dropped) > 0 {
		s.log.Warn("spool full: dropped oldest batches", "dropped", len(dropped), "max_bytes", s.max)
		if err := s.saveState(); err != nil {
			return dropped, err
		}
	}
	if err := writeAtomic(s.dir, name, b); err != nil {
		return dropped, err
	}
	e, _ := parseName(name)
	e.Size = int64(len(b))
	i := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].Name >= name })
	s.entries = append(s.entries, Entry{})
	copy(s.entries[i+1:], s.entries[i:])
	s.entries[i] = e
	s.bytes += e.Size
	return dropped, nil
}

func (s *Spool) encode(r *agentproto.Report) ([]byte, error) {
	s.buf.Reset()
	if s.zw == nil {
		s.zw = gzip.NewWriter(&s.buf)
	} else {
		s.zw.Reset(&s.buf)
	}
	if err := json.NewEncoder(s.zw).Encode(r); err != nil {
		return nil, fmt.Errorf("encode batch: %w", err)
	}
	if err := s.zw.Close(); err != nil {
		return nil, err
	}
	return s.buf.Bytes(), nil
}

// writeAtomic writes name in dir through a temporary file, fsync and rename,
// then syncs the directory so the rename itself survives a power cut.
func writeAtomic(dir, name string, b []byte) error {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, name))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	syncDir(dir)
	return nil
}

// Len is the number of batches waiting.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// Bytes is the size on disk of the waiting batches.
func (s *Spool) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// Dropped is how many batches were discarded (spool full, corrupted,
// refused by the server) and not yet reported to the server.
func (s *Spool) Dropped() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Dropped
}

// CountDropped adds n batches lost outside the spool's own bound (e.g. a
// batch the server refused as invalid).
func (s *Spool) CountDropped(n uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Dropped += n
	return s.saveState()
}

// Reported subtracts n dropped batches the server has been told about.
func (s *Spool) Reported(n uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n == 0 {
		return nil
	}
	s.st.Dropped -= min(n, s.st.Dropped)
	return s.saveState()
}

// Oldest returns the first batch to send, with its Seq, or ErrEmpty. The
// Seq is given (and persisted) the first time a batch is returned, and the
// same one every time after, across restarts, until the batch is removed.
// A file that cannot be read or decoded is removed, counted as dropped,
// and the next one is tried.
func (s *Spool) Oldest() (Entry, *agentproto.Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.entries) > 0 {
		e := s.entries[0]
		r, err := s.readBatch(filepath.Join(s.dir, e.Name))
		if err == nil {
			if s.st.Head != e.Name {
				s.st.Head, s.st.HeadSeq = e.Name, s.st.NextSeq
				s.st.NextSeq++
				if err := s.saveState(); err != nil {
					return Entry{}, nil, err
				}
			}
			r.Seq = s.st.HeadSeq
			return e, r, nil
		}
		s.log.Warn("corrupted spool batch skipped", "file", e.Name, "err", err)
		_ = os.Remove(filepath.Join(s.dir, e.Name))
		s.entries = s.entries[1:]
		s.bytes -= e.Size
		s.st.Dropped++
		if err := s.saveState(); err != nil {
			return Entry{}, nil, err
		}
	}
	return Entry{}, nil, ErrEmpty
}

func (s *Spool) readBatch(path string) (*agentproto.Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// One decompressor for the life of the spool: a new one per batch
	// would be most of the agent's garbage.
	if s.zr == nil {
		s.zr, err = gzip.NewReader(f)
	} else {
		err = s.zr.Reset(f)
	}
	if err != nil {
		return nil, err
	}
	var r agentproto.Report
	dec := json.NewDecoder(io.LimitReader(s.zr, agentproto.MaxReportBytes*2))
	if err := dec.Decode(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Remove deletes an acknowledged (or refused) batch.
func (s *Spool) Remove(e Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remove(e)
}

func (s *Spool) remove(e Entry) error {
	if err := os.Remove(filepath.Join(s.dir, e.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove batch %s: %w", e.Name, err)
	}
	for i := range s.entries {
		if s.entries[i].Name == e.Name {
			s.bytes -= s.entries[i].Size
			s.entries = append(s.entries[:i], s.entries[i+1:]...)
			break
		}
	}
	if s.st.Head == e.Name {
		// Its Seq is spent: whatever comes next gets a new one, even a
		// batch that would one day reuse the name.
		s.st.Head, s.st.HeadSeq = "", 0
		return s.saveState()
	}
	return nil
}

// Split replaces batch e (whose report is r) by two halves holding its
// series, in its place in the order. The first half keeps r's Seq (the
// server refused r, so never stored it); the second gets the next one when
// it reaches the head. It returns false when r cannot be split further
// (one series of one sample).
func (s *Spool) Split(e Entry, r *agentproto.Report) (bool, error) {
	first, second, ok := splitReport(r)
	if !ok {
		return false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.ContainsFunc(s.entries, func(x Entry) bool { return x.Name == e.Name }) {
		return true, nil // dropped meanwhile (spool full)
	}
	second.Seq = 0
	split := stem(e.Name)[2+20:]
	nameA := makeName(e.Pos, split+"a", first.Inventory != nil)
	nameB := makeName(e.Pos, split+"b", second.Inventory != nil)
	// Written before the original goes; Open prefers halves over originals.
	if _, err := s.put(first, nameA); err != nil {
		return false, err
	}
	if _, err := s.put(second, nameB); err != nil {
		return false, err
	}
	if s.st.Head == e.Name {
		s.st.Head = nameA
		if err := s.saveState(); err != nil {
			return false, err
		}
	}
	return true, s.remove(e)
}

// splitReport halves r's series, and a single series' samples when there
// is only one. The inventory, check results and job runs go with the first
// half (each must be sent once), unless there is nothing else to halve:
// then the check results are halved.
func splitReport(r *agentproto.Report) (*agentproto.Report, *agentproto.Report, bool) {
	a, b := *r, *r
	b.Inventory = nil
	b.Dropped = 0
	b.Results, b.Jobs = nil, nil
	switch {
	case len(r.Series) == 0 && r.Inventory == nil && len(r.Results) >= 2:
		h := len(r.Results) / 2
		a.Results = r.Results[:h:h]
		b.Results = r.Results[h:]
		b.Series = nil
	case len(r.Series) >= 2:
		h := len(r.Series) / 2
		a.Series = r.Series[:h:h]
		b.Series = r.Series[h:]
	case len(r.Series) == 1 && len(r.Series[0].T) >= 2:
		s := r.Series[0]
		h := len(s.T) / 2
		sa, sb := s, s
		sa.T, sa.V = s.T[:h:h], s.V[:h:h]
		sb.T, sb.V = s.T[h:], s.V[h:]
		a.Series = []agentproto.Series{sa}
		b.Series = []agentproto.Series{sb}
	case r.Inventory != nil && len(r.Series) > 0:
		a.Series = nil
	default:
		return nil, nil, false
	}
	return &a, &b, true
}
