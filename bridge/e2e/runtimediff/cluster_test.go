package runtimediff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// cluster is one side of the comparison: where the Slurm commands are and
// what they need in their environment to reach their controller.
type cluster struct {
	name string
	// bin holds sbatch, scancel and scontrol ("" : found on PATH).
	bin string
	// env reaches the controller (SLURM_CONF, or HPCBRIDGE_ADDR and
	// HPCBRIDGE_TOKEN); it is added to the submitter's environment.
	env []string
	// as, when not nil, is the user the commands run as, in its own
	// environment (nil: this process's user and environment).
	as *loginUser
	// unblock is called while a job waits, at most every few seconds
	// (the oracle's node may be drained by parse.sh's real mode).
	unblock func() error

	mu       sync.Mutex
	lastPoke time.Time
}

func (c *cluster) command(name string) string {
	if c.bin == "" {
		return name
	}
	return filepath.Join(c.bin, name)
}

// poke calls unblock, rate-limited; a failure shows as the job that
// never ends.
func (c *cluster) poke() {
	if c.unblock == nil {
		return
	}
	c.mu.Lock()
	due := time.Since(c.lastPoke) > 3*time.Second
	if due {
		c.lastPoke = time.Now()
	}
	c.mu.Unlock()
	if due {
		_ = c.unblock()
	}
}

// record is one job record as scontrol show job prints it (an array task,
// or a plain job).
type record struct {
	JobID, ArrayJobID, ArrayTaskID string
	State, ExitCode, Reason        string
	NodeList                       string
}

var terminal = []string{"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL", "DEADLINE", "PREEMPTED"}

func (r record) ended() bool { return slices.Contains(terminal, r.State) }

// key is the record's name in a scenario: NAME, or NAME_INDEX for an
// array task.
func (r record) key(name string) string {
	if r.ArrayTaskID == "" {
		return name
	}
	return name + "_" + r.ArrayTaskID
}

// recordStart begins each record of scontrol show job.
var recordStart = regexp.MustCompile(`(?m)^JobId=`)

// parseRecords reads scontrol show job's records.
func parseRecords(out string) []record {
	var recs []record
	for _, block := range recordStart.Split(out, -1)[1:] {
		f := map[string]string{"JobId": ""}
		fields := strings.Fields("JobId=" + block)
		for _, kv := range fields {
			if k, v, ok := strings.Cut(kv, "="); ok {
				if _, seen := f[k]; !seen || k == "JobId" {
					f[k] = v
				}
			}
		}
		recs = append(recs, record{
			JobID: f["JobId"], ArrayJobID: f["ArrayJobId"], ArrayTaskID: f["ArrayTaskId"],
			State: f["JobState"], ExitCode: f["ExitCode"], Reason: f["Reason"], NodeList: f["NodeList"],
		})
	}
	return recs
}

// run is one scenario on one cluster.
type run struct {
	c    *cluster
	sc   *scenario
	work string
	env  []string
	mu   sync.Mutex // guards ids and records (the watcher reads them)
	// ids are the job ids by scenario name.
	ids map[string]string
	// waitStatus is sbatch --wait's exit status by job name.
	waitStatus map[string]int
	// records are the last records seen of each job, by name.
	records map[string][]record
	// umask is the submitter's umask ("" : this process's).
	umask string
	// log keeps the commands run and what they printed.
	log bytes.Buffer
}

// newRun prepares a work dir for sc on c: the scenario's files copied
// into a directory every user may write (jobs run as their submitter, or
// as an unprivileged account on nodes that have no such mapping), or that
// c's user owns.
func newRun(t testing.TB, c *cluster, sc *scenario, base []string) *run {
	t.Helper()
	work, err := os.MkdirTemp("", "hpcbridge-rtdiff-"+sc.name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	if err := os.Chmod(work, 0o1777); err != nil {
		t.Fatal(err)
	}
	for _, name := range sc.inputs {
		if err := copyInput(filepath.Join(sc.dir, name), filepath.Join(work, name)); err != nil {
			t.Fatal(err)
		}
	}
	if c.as != nil {
		if err := c.as.own(work); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(work, 0o755); err != nil {
			t.Fatal(err)
		}
		base = c.as.env()
	}
	return &run{c: c, sc: sc, work: work, env: append(slices.Clip(base), c.env...),
		ids: map[string]string{}, waitStatus: map[string]int{}, records: map[string][]record{}}
}

// copyInput copies one of the scenario's files, keeping its mode; the
// directories it creates are writable by every user, as the work dir.
func copyInput(src, dst string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	for dir := filepath.Dir(dst); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(dir); err == nil {
			break
		}
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return err
		}
		if err := os.Chmod(dir, 0o1777); err != nil {
			return err
		}
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, fi.Mode().Perm())
}

// exec runs a Slurm command in the work dir; it returns what it printed
// and its exit status.
func (r *run) exec(ctx context.Context, stdin string, name string, args ...string) (string, string, int, error) {
	return r.execWatch(ctx, nil, stdin, name, args...)
}

// execWatch is exec with seen, when not nil, called with the job id as
// soon as the command prints "Submitted batch job N": sbatch --wait prints
// it at submission and returns only at the job's end, and real Slurm may
// have forgotten the job by then (MinJobAge), so the watcher must know the
// id while the job runs.
func (r *run) execWatch(ctx context.Context, seen func(id string), stdin string, name string, args ...string) (string, string, int, error) {
	cmd := exec.CommandContext(ctx, r.c.command(name), args...)
	if r.umask != "" {
		// The umask is the process's: a shell sets it, then becomes the
		// command.
		cmd = exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", "umask " + r.umask + ` && exec "$0" "$@"`, r.c.command(name)}, args...)...)
	}
	r.prepare(cmd)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if seen != nil {
		cmd.Stdout = &idWatcher{w: &out, seen: seen}
	}
	if stdin != "" {
		f, err := os.Open(filepath.Join(r.work, stdin))
		if err != nil {
			return "", "", -1, err
		}
		defer f.Close()
		cmd.Stdin = f
	}
	err := cmd.Run()
	fmt.Fprintf(&r.log, "$ %s %s\n%s%s", name, strings.Join(args, " "), out.String(), errb.String())
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		return out.String(), errb.String(), -1, err
	}
	return out.String(), errb.String(), code, nil
}

// prepare makes cmd run in the work dir with the run's environment, as
// the cluster's user when it has one.
func (r *run) prepare(cmd *exec.Cmd) {
	cmd.Dir, cmd.Env = r.work, r.env
	if r.c.as != nil {
		cmd.SysProcAttr = r.c.as.credential()
	}
}

// subst replaces {NAME} with the job ids of this run, and {WORKDIR}
// with its work dir.
func (r *run) subst(args []string) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(args))
	for i, a := range args {
		var missing string
		out[i] = braced.ReplaceAllStringFunc(a, func(m string) string {
			if m == "{WORKDIR}" {
				return r.work
			}
			id, ok := r.ids[m[1:len(m)-1]]
			if !ok {
				missing = m
				return m
			}
			return id
		})
		if missing != "" {
			return nil, fmt.Errorf("%s names no job submitted before", missing)
		}
	}
	return out, nil
}

var braced = regexp.MustCompile(`\{[A-Za-z0-9_-]+\}`)

var submitted = regexp.MustCompile(`Submitted batch job (\d+)`)

// idWatcher passes a command's output on to w and calls seen once with the
// first job id it prints.
type idWatcher struct {
	w    *bytes.Buffer
	seen func(id string)
	done bool
}

func (iw *idWatcher) Write(p []byte) (int, error) {
	n, err := iw.w.Write(p)
	if !iw.done {
		if m := submitted.FindSubmatch(iw.w.Bytes()); m != nil {
			iw.done = true
			iw.seen(string(m[1]))
		}
	}
	return n, err
}

// play runs the scenario's steps, then waits until every job has ended.
func (r *run) play(ctx context.Context) error {
	wctx, stop := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		r.watch(wctx)
	}()
	defer func() {
		stop()
		<-watched
	}()
	stdin := ""
	for _, st := range r.sc.steps {
		where := fmt.Sprintf("%s line %d (%s)", scenarioFile, st.line, st.verb)
		switch st.verb {
		case "env":
			r.env = append(r.env, st.args...)
		case "umask":
			if _, err := strconv.ParseUint(st.args[0], 8, 32); err != nil {
				return fmt.Errorf("%s: umask %q is not octal", where, st.args[0])
			}
			r.umask = st.args[0]
		case "stdin":
			stdin = st.args[0]
		case "sbatch", "sbatch-wait":
			name := st.args[0]
			args, err := r.subst(st.args[1:])
			if err != nil {
				return fmt.Errorf("%s: %v", where, err)
			}
			flag := "--parsable"
			if st.verb == "sbatch-wait" {
				flag = "--wait"
			}
			var seen func(string)
			if st.verb == "sbatch-wait" {
				seen = func(id string) {
					r.mu.Lock()
					r.ids[name] = id
					r.mu.Unlock()
				}
			}
			out, errs, code, err := r.execWatch(ctx, seen, stdin, "sbatch", append([]string{flag}, args...)...)
			stdin = ""
			if err != nil {
				return fmt.Errorf("%s: %v", where, err)
			}
			id := ""
			if st.verb == "sbatch" {
				id, _, _ = strings.Cut(strings.TrimSpace(out), ";")
				if code != 0 {
					return fmt.Errorf("%s: sbatch exit %d: %s%s", where, code, out, errs)
				}
			} else {
				if m := submitted.FindStringSubmatch(out); m != nil {
					id = m[1]
				}
				r.waitStatus[name] = code
			}
			if _, err := strconv.ParseUint(id, 10, 64); err != nil {
				return fmt.Errorf("%s: no job id in sbatch's output %q (stderr %q)", where, out, errs)
			}
			r.mu.Lock()
			r.ids[name] = id
			r.mu.Unlock()
			if st.verb == "sbatch-wait" {
				if err := r.await(ctx, []string{name}, "ended", func(rec record) bool { return rec.ended() }); err != nil {
					return fmt.Errorf("%s: %v", where, err)
				}
				if strings.Contains(errs, "no longer found and exit code not found") {
					// Real Slurm's sbatch --wait sleeps up to 32 s between
					// looks and the oracle forgets an ended job after 30 s
					// (MinJobAge): under load it loses its own job. Its
					// status is then what it would have said, from the
					// records the watcher kept.
					r.mu.Lock()
					st, err := waitStatusOf(r.records[name])
					r.mu.Unlock()
					if err != nil {
						return fmt.Errorf("%s: %v", where, err)
					}
					fmt.Fprintf(&r.log, "(sbatch lost the job to MinJobAge; its --wait status from the job's records: %d)\n", st)
					r.waitStatus[name] = st
				}
			}
		case "await-file":
			p := filepath.Join(r.work, st.args[0])
			if err := poll(ctx, func() (bool, error) {
				r.c.poke()
				_, err := os.Stat(p)
				return err == nil, nil
			}); err != nil {
				return fmt.Errorf("%s: %s never appeared: %v", where, st.args[0], err)
			}
		case "await-state":
			r.mu.Lock()
			_, ok := r.ids[st.args[0]]
			r.mu.Unlock()
			if !ok {
				return fmt.Errorf("%s: no job %s", where, st.args[0])
			}
			want := st.args[1]
			if err := r.await(ctx, st.args[:1], want, func(rec record) bool { return rec.State == want }); err != nil {
				return fmt.Errorf("%s: %v", where, err)
			}
		case "scancel", "scontrol":
			args, err := r.subst(st.args)
			if err != nil {
				return fmt.Errorf("%s: %v", where, err)
			}
			if _, errs, code, err := r.exec(ctx, "", st.verb, args...); err != nil || code != 0 {
				return fmt.Errorf("%s: %s exit %d (%v): %s", where, st.verb, code, err, errs)
			}
		}
	}
	r.mu.Lock()
	names := make([]string, 0, len(r.ids))
	for name := range r.ids {
		names = append(names, name)
	}
	r.mu.Unlock()
	slices.Sort(names)
	return r.await(ctx, names, "ended", func(rec record) bool { return rec.ended() })
}

// watch keeps the records of every submitted job that has not ended,
// reading them every second until ctx ends: real Slurm forgets a job
// MinJobAge (30 s here) after it ended, so the end must be seen while it
// is fresh, whatever the scenario is doing.
func (r *run) watch(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		r.refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// refresh reads the records of every job not yet seen ended.
func (r *run) refresh(ctx context.Context) {
	r.mu.Lock()
	todo := map[string]string{}
	for name, id := range r.ids {
		if !allOf(r.records[name], record.ended) {
			todo[name] = id
		}
	}
	r.mu.Unlock()
	for name, id := range todo {
		recs, err := r.show(ctx, id)
		if err != nil {
			continue // not known yet, or forgotten; the awaiting step says so
		}
		r.mu.Lock()
		// Two refreshes (the watcher's and an await's) can read one job
		// at once: an answer read before the other's must not replace
		// the ended records that one stored.
		if !allOf(r.records[name], record.ended) {
			r.records[name] = recs
		}
		r.mu.Unlock()
		if slices.ContainsFunc(recs, func(rec record) bool { return rec.State == "PENDING" }) {
			r.c.poke()
		}
	}
}

// await waits until every record of each named job satisfies cond.
func (r *run) await(ctx context.Context, names []string, what string, cond func(record) bool) error {
	var last string
	err := poll(ctx, func() (bool, error) {
		r.refresh(ctx)
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, name := range names {
			if !allOf(r.records[name], cond) {
				last = fmt.Sprintf("%s: %+v", name, r.records[name])
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("jobs %v not %s: %v (last: %s)", names, what, err, last)
	}
	return nil
}

// waitStatusOf is the status sbatch --wait returns for a job whose
// records these are: the highest over its tasks of the exit code, 1 for a
// task a signal ended (Slurm 22.05's _job_wait).
func waitStatusOf(recs []record) (int, error) {
	status := 0
	for _, rec := range recs {
		code, sig, ok := strings.Cut(rec.ExitCode, ":")
		c, err1 := strconv.Atoi(code)
		n, err2 := strconv.Atoi(sig)
		if !ok || err1 != nil || err2 != nil {
			return 0, fmt.Errorf("job %s: exit code %q is not CODE:SIGNAL", rec.JobID, rec.ExitCode)
		}
		if n != 0 {
			c = 1
		}
		status = max(status, c)
	}
	return status, nil
}

func allOf(recs []record, cond func(record) bool) bool {
	if len(recs) == 0 {
		return false
	}
	for _, rec := range recs {
		if !cond(rec) {
			return false
		}
	}
	return true
}

// show reads a job's records (every task of an array).
func (r *run) show(ctx context.Context, id string) ([]record, error) {
	cmd := exec.CommandContext(ctx, r.c.command("scontrol"), "show", "job", id)
	r.prepare(cmd)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("scontrol show job %s: %v: %s", id, err, out)
	}
	recs := parseRecords(string(out))
	if len(recs) == 0 {
		return nil, fmt.Errorf("scontrol show job %s: no records in %q", id, out)
	}
	slices.SortFunc(recs, func(a, b record) int {
		x, _ := strconv.Atoi(a.ArrayTaskID)
		y, _ := strconv.Atoi(b.ArrayTaskID)
		return x - y
	})
	return recs, nil
}

// poll calls cond every half second until it holds or ctx ends.
func poll(ctx context.Context, cond func() (bool, error)) error {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// files reads every file the run left in its work dir, except the
// scenario's own, by path relative to the work dir, with their modes.
func (r *run) files() (map[string][]byte, map[string]os.FileMode, error) {
	out, modes := map[string][]byte{}, map[string]os.FileMode{}
	err := filepath.Walk(r.work, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(r.work, p)
		if rel == "." {
			return nil
		}
		if fi.IsDir() || !fi.Mode().IsRegular() || slices.Contains(r.sc.inputs, rel) {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, 1<<20))
		if err != nil {
			return err
		}
		out[rel], modes[rel] = b, fi.Mode().Perm()
		return nil
	})
	return out, modes, err
}
