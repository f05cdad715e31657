package taskdriver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/nomad/plugins/drivers"
)

// Step accounting. srun writes a record when a step starts
// ("<id>.start.json") and when it ends ("<id>.end.json") in the job's steps
// directory (HPCBRIDGE_STEPS_DIR); the driver reads them and reports them
// to Nomad as task events whose annotation AnnotationSteps holds the steps
// as a JSON array, where the coordinator finds them (bridge/nomadexec,
// steps.go) and commits them for sacct.
//
// The steps directory belongs to the job's user: what is in it is a claim,
// read by the root driver process with care. Only names of the contract's
// form are looked at; a file is read once, only when it is a regular file
// with one link and at most maxStepRecord bytes, opened without following
// a symbolic link and without blocking (a FIFO); what it holds is checked
// against the bounds of raft/state's step records. The directory is looked
// at once per stepScanPeriod, at most maxStepDirEntries names and
// maxStepReadsPerScan files each time, and at most maxWatchedSteps steps
// are followed.
//
// Nomad keeps a task's last 10 events (the client's task runner), and sends
// an allocation's update to the servers every 200 ms at most. The driver
// emits at most one step event per scan (so each reaches the servers before
// the next), carrying every step whose start or end it read since the last
// one, a step's start and end together once it has ended. The coordinator
// follows the event stream, which carries every allocation update; it
// misses steps only when it is away from the stream (a leader change, a
// lost connection) while more than 10 events pass. The event emitted when
// the job ends repeats the last maxStepsPerEvent steps, which a coordinator
// that looks at the ended allocation then finds.

// AnnotationSteps is the task event annotation that carries step records.
const AnnotationSteps = "hpcbridge.steps"

// Bounds of the step watcher.
const (
	stepScanPeriod      = time.Second
	maxStepRecord       = 4096
	maxStepDirEntries   = 4096
	maxStepReadsPerScan = 256
	maxWatchedSteps     = 256 // raft/state's MaxStepsPerJob
	maxStepsPerEvent    = 32
	maxStepEventBytes   = 16 << 10
	maxStepID           = 1<<31 - 1
	maxStepNameLen      = 256
	maxStepNodeListLen  = 1024
	maxStepTasks        = 1 << 20
)

// stepRecord is a step as srun records it (start and end merged), and as
// the task event carries it.
type stepRecord struct {
	ID       int    `json:"id"`
	Name     string `json:"name"`
	NodeList string `json:"nodelist"`
	NNodes   int    `json:"nnodes"`
	NTasks   int    `json:"ntasks"`
	Start    int64  `json:"start"`
	End      int64  `json:"end,omitempty"`
	State    string `json:"state,omitempty"`
	Exit     int    `json:"exit"`
	Signal   int    `json:"signal"`
}

// stepEndStates are the states an end record may give.
var stepEndStates = []string{"COMPLETED", "FAILED", "CANCELLED", "NODE_FAIL", "TIMEOUT", "OUT_OF_MEMORY"}

// checkStart reports why a start record is not a step's start.
func (r *stepRecord) checkStart() error {
	switch {
	case r.ID < 0 || r.ID > maxStepID:
		return fmt.Errorf("step id %d out of range", r.ID)
	case len(r.Name) > maxStepNameLen || !printableText(r.Name):
		return fmt.Errorf("name: want at most %d printable characters", maxStepNameLen)
	case r.NodeList == "" || len(r.NodeList) > maxStepNodeListLen || !printableText(r.NodeList):
		return fmt.Errorf("nodelist: want 1 to %d printable characters", maxStepNodeListLen)
	case r.NNodes < 1 || r.NNodes > maxStepTasks || r.NTasks < 1 || r.NTasks > maxStepTasks:
		return fmt.Errorf("nnodes %d, ntasks %d: want 1 to %d", r.NNodes, r.NTasks, maxStepTasks)
	case r.Start <= 0 || r.Start > 1<<40:
		return fmt.Errorf("start %d is not a time", r.Start)
	}
	return nil
}

// checkEnd reports why an end record is not the end of step start.
func (r *stepRecord) checkEnd(start int64) error {
	switch {
	case r.End < start || r.End > 1<<40:
		return fmt.Errorf("end %d is not a time after the start %d", r.End, start)
	case !slices.Contains(stepEndStates, r.State):
		return fmt.Errorf("state %.20q is not a step's end", r.State)
	case r.Exit < 0 || r.Exit > 255 || r.Signal < 0 || r.Signal > 127:
		return fmt.Errorf("exit %d:%d out of range", r.Exit, r.Signal)
	}
	return nil
}

// printableText reports whether s is UTF-8 of printable characters (a
// space, but no other blank or control character), as raft/state's step
// records require.
func printableText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// stepFileName reads a name of the contract's form: the step id and
// whether it is the end record.
func stepFileName(name string) (id int, end, ok bool) {
	base, found := strings.CutSuffix(name, ".start.json")
	if !found {
		if base, found = strings.CutSuffix(name, ".end.json"); !found {
			return 0, false, false
		}
		end = true
	}
	if base == "" || len(base) > 10 || strings.Trim(base, "0123456789") != "" || (len(base) > 1 && base[0] == '0') {
		return 0, false, false
	}
	n, err := strconv.ParseInt(base, 10, 64)
	if err != nil || n > maxStepID {
		return 0, false, false
	}
	return int(n), end, true
}

// readStepFile reads one record file as a claim: a regular file with one
// link, at most maxStepRecord bytes, not through a symbolic link, never
// blocking on a FIFO.
func readStepFile(path string) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	if fi.Size() > maxStepRecord {
		return nil, fmt.Errorf("%d bytes (at most %d)", fi.Size(), maxStepRecord)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err = f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Nlink != 1 {
		return nil, fmt.Errorf("%d links (a record has one)", st.Nlink)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxStepRecord+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxStepRecord {
		return nil, fmt.Errorf("over %d bytes", maxStepRecord)
	}
	return data, nil
}

// parseStepRecord decodes a record strictly: one JSON object of known
// fields.
func parseStepRecord(data []byte) (stepRecord, error) {
	var r stepRecord
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, err
	}
	if dec.More() {
		return r, errors.New("more than one JSON value")
	}
	return r, nil
}

// watchedStep is what the watcher knows of one step.
type watchedStep struct {
	rec       stepRecord
	started   bool // a valid start was read
	ended     bool // a valid end was read
	sentStart bool
	sentEnd   bool
	startRead bool // the start file was read (valid or not)
	endRead   bool
}

// stepWatcher follows one job's steps directory.
type stepWatcher struct {
	dir   string
	emit  func(*drivers.TaskEvent) error
	cfg   *drivers.TaskConfig
	warn  func(msg string, args ...any)
	steps map[int]*watchedStep
	// dropped are the ids of steps past maxWatchedSteps (at most
	// maxStepDirEntries of them); sent the steps already reported, in the
	// order they were (for the end's summary).
	dropped map[int]bool
	sent    []int
}

func newStepWatcher(dir string, cfg *drivers.TaskConfig, emit func(*drivers.TaskEvent) error, warn func(string, ...any)) *stepWatcher {
	return &stepWatcher{dir: dir, cfg: cfg, emit: emit, warn: warn, steps: map[int]*watchedStep{}, dropped: map[int]bool{}}
}

// scan reads the records not read yet (within the scan's bounds).
func (w *stepWatcher) scan() {
	d, err := os.Open(w.dir)
	if err != nil {
		return // not made yet, or gone with the task
	}
	entries, _ := d.ReadDir(maxStepDirEntries)
	d.Close()
	type file struct {
		name    string
		id      int
		endFile bool
	}
	var files []file
	for _, e := range entries {
		id, end, ok := stepFileName(e.Name())
		if !ok {
			continue
		}
		s := w.steps[id]
		if s != nil && ((!end && s.startRead) || (end && s.endRead)) {
			continue
		}
		if s == nil && len(w.steps) >= maxWatchedSteps {
			// Counted once, and not listed: it would take the read
			// budget from the ends of the steps followed.
			w.drop(id)
			continue
		}
		files = append(files, file{e.Name(), id, end})
	}
	// Starts before ends, lower ids first: a step's start is known when
	// its end is read.
	slices.SortFunc(files, func(a, b file) int {
		if a.endFile != b.endFile {
			if a.endFile {
				return 1
			}
			return -1
		}
		return a.id - b.id
	})
	for i, f := range files {
		if i >= maxStepReadsPerScan {
			break
		}
		s := w.steps[f.id]
		if s == nil {
			if len(w.steps) >= maxWatchedSteps {
				w.drop(f.id)
				continue
			}
			s = &watchedStep{}
			w.steps[f.id] = s
		}
		w.read(s, f.id, f.name, f.endFile)
	}
}

// drop counts step id as one past maxWatchedSteps.
func (w *stepWatcher) drop(id int) {
	if len(w.dropped) < maxStepDirEntries {
		w.dropped[id] = true
	}
}

// read reads one record file into s; a bad record is logged and not read
// again.
func (w *stepWatcher) read(s *watchedStep, id int, name string, endFile bool) {
	if endFile && !s.started {
		if s.startRead {
			s.endRead = true // the start was bad: the step is not reported
		}
		return // read the end once the start is known
	}
	if endFile {
		s.endRead = true
	} else {
		s.startRead = true
	}
	data, err := readStepFile(filepath.Join(w.dir, name))
	var r stepRecord
	if err == nil {
		r, err = parseStepRecord(data)
	}
	if err == nil && r.ID != id {
		err = fmt.Errorf("names step %d", r.ID)
	}
	if err == nil && !endFile {
		err = r.checkStart()
	}
	if err == nil && endFile {
		err = r.checkEnd(s.rec.Start)
	}
	if err != nil {
		w.warn("step record not taken", "file", name, "error", err)
		return
	}
	if endFile {
		s.rec.End, s.rec.State, s.rec.Exit, s.rec.Signal = r.End, r.State, r.Exit, r.Signal
		s.ended = true
		return
	}
	s.rec = stepRecord{ID: r.ID, Name: r.Name, NodeList: r.NodeList, NNodes: r.NNodes, NTasks: r.NTasks, Start: r.Start}
	s.started = true
}

// report emits one event with the steps whose start or end has not been
// reported yet (as many as one event holds); final adds, for the job's
// end, the steps reported last, and ends the steps still running as
// CANCELLED (the job's end killed them).
func (w *stepWatcher) report(final bool, now time.Time) {
	var recs []stepRecord
	size := 2
	add := func(r stepRecord) bool {
		b, _ := json.Marshal(r)
		if len(recs) >= maxStepsPerEvent || size+len(b)+1 > maxStepEventBytes {
			return false
		}
		recs, size = append(recs, r), size+len(b)+1
		return true
	}
	ids := make([]int, 0, len(w.steps))
	for id := range w.steps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var newly []int
	for _, id := range ids {
		s := w.steps[id]
		if !s.started {
			continue
		}
		if final && !s.ended {
			s.rec.End, s.rec.State, s.rec.Signal = max(now.Unix(), s.rec.Start), "CANCELLED", 15
			s.ended = true
		}
		if s.sentEnd || (s.sentStart && !s.ended) {
			continue
		}
		if !add(s.rec) {
			break
		}
		s.sentStart, s.sentEnd = true, s.ended
		newly = append(newly, id)
	}
	if final {
		// Repeat the last reported steps not in this event.
		for i := len(w.sent) - 1; i >= 0; i-- {
			if s := w.steps[w.sent[i]]; !slices.Contains(newly, w.sent[i]) && !add(s.rec) {
				break
			}
		}
	}
	for _, id := range newly {
		w.sent = append(slices.DeleteFunc(w.sent, func(x int) bool { return x == id }), id)
	}
	if n := len(w.sent); n > maxStepsPerEvent {
		w.sent = slices.Delete(w.sent, 0, n-maxStepsPerEvent)
	}
	if len(recs) == 0 {
		return
	}
	slices.SortFunc(recs, func(a, b stepRecord) int { return a.ID - b.ID })
	body, _ := json.Marshal(recs)
	msg := fmt.Sprintf("srun steps: %d reported", len(recs))
	if len(w.dropped) > 0 {
		msg += fmt.Sprintf(" (%d more steps than %d: not reported)", len(w.dropped), maxWatchedSteps)
	}
	ev := &drivers.TaskEvent{
		TaskID: w.cfg.ID, TaskName: w.cfg.Name, AllocID: w.cfg.AllocID, Timestamp: now,
		Message:     msg,
		Annotations: map[string]string{AnnotationSteps: string(body)},
	}
	if err := w.emit(ev); err != nil {
		w.warn("cannot report the job's steps", "error", err)
	}
}

// watchSteps follows the job's steps until the returned function is
// called (once the job has ended), which reports what is left and waits
// for the watcher to end.
func (h *taskHandle) watchSteps() func() {
	if h.emit == nil {
		return func() {}
	}
	w := newStepWatcher(h.layout.StepsDir(), h.taskConfig, h.emit, h.logger.Warn)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(stepScanPeriod)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				w.scan()
				w.report(false, time.Now())
			}
		}
	}()
	return func() {
		close(stop)
		wg.Wait()
		w.scan()
		w.report(true, time.Now())
	}
}
