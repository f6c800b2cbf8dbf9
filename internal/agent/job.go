package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vigie-hq/vigie/internal/agentproto"
)

// JobsDir is the directory, in the state directory, where `vigie-agent job
// run` leaves the runs it wrapped; the agent service sends them with its
// next report and removes them once they are spooled.
const JobsDir = "jobs"

// maxJobName bounds a job's name.
const maxJobName = 200

// ValidJobName says why a job name is refused, or nil.
func ValidJobName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return errors.New("the job needs a name (--name)")
	case len(name) > maxJobName:
		return fmt.Errorf("job name of %d bytes, at most %d", len(name), maxJobName)
	case !utf8.ValidString(name):
		return errors.New("job name is not valid UTF-8")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return errors.New("job name holds a control character")
		}
	}
	return nil
}

// tailBuffer keeps the last n bytes written to it.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
	n  int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(p) >= t.n {
		t.b = append(t.b[:0], p[len(p)-t.n:]...)
		return len(p), nil
	}
	if over := len(t.b) + len(p) - t.n; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	t.b = append(t.b, p...)
	return len(p), nil
}

// String returns the tail as valid UTF-8, starting at a rune boundary.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.b
	for i := 0; i < len(b) && i < utf8.UTFMax && !utf8.RuneStart(b[0]); i++ {
		b = b[1:]
	}
	return strings.ToValidUTF8(string(b), "?")
}

// JobIO are the standard streams a wrapped job uses: the job reads and
// writes them as if it ran alone.
type JobIO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// RunJob runs argv as the job name, its standard streams passed through,
// keeping the last tail bytes (at most agentproto.MaxCheckOutput) of its
// combined output. A command that cannot start is a run that failed with
// exit code 127, its output saying why. When ctx is done (the wrapper was
// told to stop) the job is asked to stop too — SIGTERM, or killed on
// Windows — and its end is still recorded.
func RunJob(ctx context.Context, name string, argv []string, tail int, stdio JobIO, now func() time.Time) agentproto.JobRun {
	if now == nil {
		now = time.Now
	}
	tail = min(max(tail, 1), agentproto.MaxCheckOutput)
	buf := &tailBuffer{n: tail}
	run := agentproto.JobRun{Name: name, Start: now().UTC()}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = stdio.Stdin
	cmd.Stdout = writers(stdio.Stdout, buf)
	cmd.Stderr = writers(stdio.Stderr, buf)
	err := cmd.Start()
	if err == nil {
		stop := context.AfterFunc(ctx, func() { _ = terminate(cmd.Process) })
		err = cmd.Wait()
		stop()
	}
	run.End = now().UTC()
	var ee *exec.ExitError
	switch {
	case err == nil:
		run.ExitCode = 0
	case errors.As(err, &ee):
		run.ExitCode = exitCode(ee)
	default:
		run.ExitCode = 127
		fmt.Fprintf(buf, "\nvigie-agent: cannot run %s: %v\n", argv[0], err)
		if stdio.Stderr != nil {
			fmt.Fprintf(stdio.Stderr, "vigie-agent: cannot run %s: %v\n", argv[0], err)
		}
	}
	run.Output = buf.String()
	return run
}

func writers(w io.Writer, buf *tailBuffer) io.Writer {
	if w == nil {
		return buf
	}
	return io.MultiWriter(w, buf)
}

// SaveJobRun leaves a run in the state directory for the agent service to
// send: written to a temporary file, synced, then renamed, so the service
// never reads half a run.
func SaveJobRun(stateDir string, run agentproto.JobRun) (string, error) {
	dir := filepath.Join(stateDir, JobsDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create jobs dir: %w", err)
	}
	b, err := json.Marshal(run)
	if err != nil {
		return "", err
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	name := fmt.Sprintf("j-%020d-%s.json", run.End.UnixNano(), hex.EncodeToString(rnd[:]))
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("write job run: %w", err)
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
		return "", fmt.Errorf("write job run: %w", err)
	}
	return filepath.Join(dir, name), nil
}

// maxJobFile bounds a job run file read by the agent.
const maxJobFile = 64 << 10

// PendingJobs reads the job runs waiting in the state directory, oldest
// first, at most agentproto.MaxJobsPerReport, with their files (to remove
// once spooled). A file that is not a valid run is removed and logged by
// the caller through bad.
func PendingJobs(stateDir string, bad func(file string, err error)) ([]agentproto.JobRun, []string) {
	dir := filepath.Join(stateDir, JobsDir)
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil
	}
	var names []string
	for _, de := range des {
		if n := de.Name(); strings.HasPrefix(n, "j-") && strings.HasSuffix(n, ".json") && de.Type().IsRegular() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var runs []agentproto.JobRun
	var files []string
	for _, n := range names {
		if len(runs) == agentproto.MaxJobsPerReport {
			break
		}
		path := filepath.Join(dir, n)
		run, err := readJobRun(path)
		if err != nil {
			if bad != nil {
				bad(path, err)
			}
			_ = os.Remove(path)
			continue
		}
		runs = append(runs, run)
		files = append(files, path)
	}
	return runs, files
}

func readJobRun(path string) (agentproto.JobRun, error) {
	f, err := os.Open(path)
	if err != nil {
		return agentproto.JobRun{}, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxJobFile+1))
	if err != nil {
		return agentproto.JobRun{}, err
	}
	if len(b) > maxJobFile {
		return agentproto.JobRun{}, fmt.Errorf("over %d bytes", maxJobFile)
	}
	var run agentproto.JobRun
	if err := json.Unmarshal(b, &run); err != nil {
		return agentproto.JobRun{}, err
	}
	if err := ValidJobName(run.Name); err != nil {
		return agentproto.JobRun{}, err
	}
	if run.Start.IsZero() || run.End.Before(run.Start) {
		return agentproto.JobRun{}, errors.New("start and end times are not in order")
	}
	run.Output = clipTail(strings.ToValidUTF8(run.Output, "?"), agentproto.MaxCheckOutput)
	return run, nil
}

// clipTail keeps the last n bytes of s, from a rune boundary.
func clipTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return s[i:]
}

// removeJobFiles deletes the files of job runs now in the spool.
func removeJobFiles(files []string) error {
	var errs []error
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
