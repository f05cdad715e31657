package taskdriver

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"
)

// stepDir is a steps directory and a watcher on it whose events are kept.
type stepDir struct {
	t      testing.TB
	dir    string
	w      *stepWatcher
	events []*drivers.TaskEvent
	warns  []string
}

func newStepDir(t *testing.T) *stepDir {
	sd := &stepDir{t: t, dir: t.TempDir()}
	cfg := &drivers.TaskConfig{ID: "task", Name: "job", AllocID: "alloc"}
	sd.w = newStepWatcher(sd.dir, cfg, func(ev *drivers.TaskEvent) error {
		sd.events = append(sd.events, ev)
		return nil
	}, func(msg string, args ...any) { sd.warns = append(sd.warns, fmt.Sprint(msg, args)) })
	return sd
}

// write writes a record as srun does (a new file renamed into place).
func (sd *stepDir) write(name, body string) {
	sd.t.Helper()
	tmp := filepath.Join(sd.dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		sd.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(sd.dir, name)); err != nil {
		sd.t.Fatal(err)
	}
}

func startJSON(id int, name string) string {
	return fmt.Sprintf(`{"id":%d,"name":%q,"nodelist":"node1","nnodes":1,"ntasks":2,"start":1700000000}`, id, name)
}

func endJSON(id int, state string, exit int) string {
	return fmt.Sprintf(`{"id":%d,"end":1700000005,"state":%q,"exit":%d,"signal":0}`, id, state, exit)
}

// step runs one scan and report, and returns the steps the event (if any)
// carried.
func (sd *stepDir) step(final bool) []stepRecord {
	sd.t.Helper()
	n := len(sd.events)
	sd.w.scan()
	sd.w.report(final, time.Unix(1700000100, 0))
	if len(sd.events) == n {
		return nil
	}
	if len(sd.events) > n+1 {
		sd.t.Fatalf("%d events from one report", len(sd.events)-n)
	}
	var recs []stepRecord
	if err := json.Unmarshal([]byte(sd.events[n].Annotations[AnnotationSteps]), &recs); err != nil {
		sd.t.Fatalf("annotation: %v", err)
	}
	return recs
}

func ids(recs []stepRecord) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "%d:%s ", r.ID, r.State)
	}
	return strings.TrimSpace(b.String())
}

// A step's start is reported while it runs, its end once with its start;
// several steps that changed between two looks share one event; the end
// of the job repeats the last steps.
func TestStepEventsCoalesce(t *testing.T) {
	sd := newStepDir(t)
	sd.write("0.start.json", startJSON(0, "hostname"))
	if got := ids(sd.step(false)); got != "0:" {
		t.Errorf("first look: %q, want step 0 running", got)
	}
	if got := sd.step(false); got != nil {
		t.Errorf("nothing new: %v", got)
	}
	sd.write("0.end.json", endJSON(0, "COMPLETED", 0))
	sd.write("1.start.json", startJSON(1, "hostname"))
	sd.write("1.end.json", endJSON(1, "FAILED", 3))
	recs := sd.step(false)
	if got := ids(recs); got != "0:COMPLETED 1:FAILED" {
		t.Fatalf("second look: %q", got)
	}
	if r := recs[1]; r.Name != "hostname" || r.NTasks != 2 || r.Start != 1700000000 || r.End != 1700000005 || r.Exit != 3 {
		t.Errorf("step 1 = %+v", r)
	}
	sd.write("2.start.json", startJSON(2, "sleep"))
	if got := ids(sd.step(true)); got != "0:COMPLETED 1:FAILED 2:CANCELLED" {
		t.Errorf("job's end: %q, want the running step cancelled and the last steps again", got)
	}
	if len(sd.warns) != 0 {
		t.Errorf("warnings: %v", sd.warns)
	}
}

// The steps directory is the job user's: records that are not regular
// files of one link, too large, junk, or naming another step are not
// taken, and each is looked at once; other names are not read at all.
func TestStepEventsClaims(t *testing.T) {
	sd := newStepDir(t)
	secret := filepath.Join(t.TempDir(), "secret.json")
	if err := os.WriteFile(secret, []byte(startJSON(0, "root's")), 0o600); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(secret, filepath.Join(sd.dir, "0.start.json")))
	must(os.Link(secret, filepath.Join(sd.dir, "1.start.json")))
	must(syscall.Mkfifo(filepath.Join(sd.dir, "2.start.json"), 0o600))
	sd.write("3.start.json", startJSON(3, strings.Repeat("x", maxStepRecord)))
	sd.write("4.start.json", "not json")
	sd.write("5.start.json", startJSON(6, "other"))
	sd.write("6.start.json", `{"id":6,"name":"a\u001b[2J","nodelist":"node1","nnodes":1,"ntasks":1,"start":1}`)
	sd.write("7.start.json", `{"id":7,"name":"x","nodelist":"node1","nnodes":1,"ntasks":1,"start":1,"extra":1}`)
	sd.write("8.start.json", `{"id":8,"name":"x","nodelist":"node1","nnodes":0,"ntasks":1,"start":1}`)
	sd.write("9.start.json", startJSON(9, "ok"))
	sd.write("9.end.json", endJSON(9, "RUNNING", 0))
	sd.write("10.start.json", startJSON(10, "ok"))
	sd.write("10.end.json", `{"id":10,"end":1,"state":"COMPLETED","exit":0,"signal":0}`)
	sd.write("11.start.json", startJSON(11, "ok"))
	sd.write("11.end.json", endJSON(11, "COMPLETED", 0))
	sd.write("012.start.json", startJSON(12, "leading zero"))
	sd.write("step-3", "x")
	sd.write("next_step_id", "x")
	recs := sd.step(false)
	if got := ids(recs); got != "9: 10: 11:COMPLETED" {
		t.Errorf("taken: %q, want the valid starts of 9 and 10 and all of 11", got)
	}
	if len(sd.warns) != 11 {
		t.Errorf("%d warnings, want 11 (one per bad record):\n%s", len(sd.warns), strings.Join(sd.warns, "\n"))
	}
	n := len(sd.warns)
	if got := sd.step(false); got != nil {
		t.Errorf("second look reported %v", ids(got))
	}
	if len(sd.warns) != n {
		t.Errorf("bad records read again: %v", sd.warns[n:])
	}
}

// At most maxWatchedSteps steps are followed; an event carries at most
// maxStepsPerEvent, the rest come with the next looks.
func TestStepEventsBounds(t *testing.T) {
	sd := newStepDir(t)
	for id := 0; id < maxWatchedSteps+5; id++ {
		sd.write(fmt.Sprintf("%d.start.json", id), startJSON(id, "s"))
		sd.write(fmt.Sprintf("%d.end.json", id), endJSON(id, "COMPLETED", 0))
	}
	seen := map[int]string{}
	for look := 0; look < 40; look++ {
		recs := sd.step(false)
		if len(recs) > maxStepsPerEvent {
			t.Fatalf("%d steps in one event", len(recs))
		}
		for _, r := range recs {
			seen[r.ID] = r.State
		}
	}
	for id, st := range seen {
		if st != "COMPLETED" {
			t.Errorf("step %d last reported %q", id, st)
		}
	}
	if len(seen) != maxWatchedSteps || len(sd.w.dropped) != 5 {
		t.Errorf("%d steps reported, %d dropped; want %d and 5", len(seen), len(sd.w.dropped), maxWatchedSteps)
	}
	if ev := sd.events[len(sd.events)-1]; !strings.Contains(ev.Message, "not reported") {
		t.Errorf("message %q does not say steps were dropped", ev.Message)
	}
}

func FuzzParseStepRecord(f *testing.F) {
	f.Add([]byte(startJSON(0, "hostname")))
	f.Add([]byte(endJSON(3, "FAILED", 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseStepRecord(data)
		if err != nil {
			return
		}
		if r.checkStart() == nil && (len(r.Name) > maxStepNameLen || r.NodeList == "") {
			t.Errorf("checkStart took %+v", r)
		}
	})
}

// TestStepEventsOfAJob: a job that runs `srun -n2 hostname` twice ends
// having reported both steps, with their tasks and ends, as task events
// (srun writes the records; the driver reads and reports them).
func TestStepEventsOfAJob(t *testing.T) {
	td := newTestDriver(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	events, err := td.TaskEvents(ctx)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	j := td.newJob(t, TaskConfig{Script: "#!/bin/sh\nsrun -n2 hostname\nsrun -n2 hostname\n"}, coordinatorEnv("71"))
	steps := map[int]stepRecord{}
	count := 0
	complete := make(chan struct{}) // closed once both steps ended
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-events:
				if e == nil || e.TaskID != j.cfg.ID || e.Annotations[AnnotationSteps] == "" {
					continue
				}
				var recs []stepRecord
				if err := json.Unmarshal([]byte(e.Annotations[AnnotationSteps]), &recs); err != nil {
					t.Errorf("annotation %q: %v", e.Annotations[AnnotationSteps], err)
				}
				count++
				for _, r := range recs {
					steps[r.ID] = r
				}
				if len(steps) == 2 && steps[0].State == "COMPLETED" && steps[1].State == "COMPLETED" {
					close(complete)
					return
				}
			}
		}
	}()
	defer func() { cancel(); wg.Wait() }()
	if res := j.run(); !res.Successful() {
		t.Fatalf("result: %s", describe(res))
	}
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	if got := j.file("slurm-71.out"); strings.Count(got, host+"\n") != 4 {
		t.Errorf("output %q, want the host name 4 times", got)
	}
	// The end's events were emitted before the end was reported; the
	// eventer hands them over on its own goroutine.
	select {
	case <-complete:
	case <-time.After(taskWait):
		cancel()
		wg.Wait()
		t.Fatalf("steps reported: %+v; want 0 and 1 COMPLETED", steps)
	}
	wg.Wait() // the collector has returned: steps and count are ours
	if count > 4 {
		t.Errorf("%d step events for two steps", count)
	}
	for id := range 2 {
		s := steps[id]
		if s.NTasks != 2 || s.NNodes != 1 || s.Name != "hostname" || s.NodeList == "" || s.Start == 0 || s.End < s.Start || s.Exit != 0 {
			t.Errorf("step %d: %+v", id, s)
		}
	}
}

// BenchmarkStepScanIdle is one look at a steps directory of 256 steps
// already reported (what the driver does every second for a busy job).
func BenchmarkStepScanIdle(b *testing.B) {
	sd := &stepDir{t: b, dir: b.TempDir()}
	sd.w = newStepWatcher(sd.dir, &drivers.TaskConfig{}, func(*drivers.TaskEvent) error { return nil }, func(string, ...any) {})
	for id := range maxWatchedSteps {
		sd.write(fmt.Sprintf("%d.start.json", id), startJSON(id, "s"))
		sd.write(fmt.Sprintf("%d.end.json", id), endJSON(id, "COMPLETED", 0))
	}
	for range 2 * maxWatchedSteps / maxStepsPerEvent {
		sd.w.scan()
		sd.w.report(false, time.Now())
	}
	b.ResetTimer()
	for range b.N {
		sd.w.scan()
		sd.w.report(false, time.Now())
	}
}

// BenchmarkStepScanFirst is the first look at 256 ended steps: 512
// records read (256 per look) and the first event.
func BenchmarkStepScanFirst(b *testing.B) {
	sd := &stepDir{t: b, dir: b.TempDir()}
	for id := range maxWatchedSteps {
		sd.write(fmt.Sprintf("%d.start.json", id), startJSON(id, "s"))
		sd.write(fmt.Sprintf("%d.end.json", id), endJSON(id, "COMPLETED", 0))
	}
	b.ResetTimer()
	for range b.N {
		sd.w = newStepWatcher(sd.dir, &drivers.TaskConfig{}, func(*drivers.TaskEvent) error { return nil }, func(string, ...any) {})
		sd.w.scan()
		sd.w.report(false, time.Now())
	}
}

// Steps past maxWatchedSteps neither take the read budget from the ends of
// the steps followed nor count twice: 300 new starts once 256 steps run
// used to fill every look, so those steps never ended.
func TestStepEventsDroppedDoNotStarveEnds(t *testing.T) {
	sd := newStepDir(t)
	for id := 0; id < maxWatchedSteps; id++ {
		sd.write(fmt.Sprintf("%d.start.json", id), startJSON(id, "s"))
	}
	sd.step(false)
	for id := maxWatchedSteps; id < maxWatchedSteps+300; id++ {
		sd.write(fmt.Sprintf("%d.start.json", id), startJSON(id, "s"))
	}
	for id := 0; id < maxWatchedSteps; id++ {
		sd.write(fmt.Sprintf("%d.end.json", id), endJSON(id, "COMPLETED", 0))
	}
	seen := map[int]string{}
	for look := 0; look < 20; look++ {
		for _, r := range sd.step(false) {
			seen[r.ID] = r.State
		}
	}
	done := 0
	for _, st := range seen {
		if st == "COMPLETED" {
			done++
		}
	}
	if done != maxWatchedSteps || len(sd.w.dropped) != 300 {
		t.Errorf("%d steps ended, %d dropped; want %d and 300", done, len(sd.w.dropped), maxWatchedSteps)
	}
}
