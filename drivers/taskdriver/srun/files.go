package srun

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/proc"
	"github.com/hpcbridge/hpcbridge/jobspec"
)

// ioKind is where one of a step's standard streams goes (srun's
// -o/--output, -e/--error, -i/--input).
type ioKind int

const (
	ioAll  ioKind = iota // srun's own stream, every task (the default)
	ioNone               // nowhere (/dev/null)
	ioTask               // srun's own stream, one task only; the others' go nowhere
	ioFile               // a file named by a pattern, per task where it names one
)

// ioMode is a parsed -o, -e or -i value.
type ioMode struct {
	kind    ioKind
	task    int    // ioTask
	pattern string // ioFile
}

// parseIOMode reads a stream option as srun does: "all", "none", a task
// id, or a file name pattern.
func parseIOMode(v string) ioMode {
	switch {
	case v == "" || strings.EqualFold(v, "all"):
		return ioMode{kind: ioAll}
	case strings.EqualFold(v, "none"):
		return ioMode{kind: ioNone}
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 && strings.Trim(v, "0123456789") == "" {
		return ioMode{kind: ioTask, task: n}
	}
	return ioMode{kind: ioFile, pattern: v}
}

// fileVars are the values a step's file name patterns expand to, from
// the job's environment: %j %J %s %t %n %N %u %x %A %a.
func (st *step) fileVars(rank int) jobspec.PatternVars {
	v := jobspec.PatternVars{ArrayTaskID: -1, StepID: st.id, TaskID: rank}
	v.JobID, _ = strconv.ParseInt(st.job, 10, 64)
	if n, err := strconv.ParseInt(os.Getenv("SLURM_ARRAY_JOB_ID"), 10, 64); err == nil {
		v.ArrayJobID = n
	}
	if n, err := strconv.Atoi(os.Getenv("SLURM_ARRAY_TASK_ID")); err == nil && n >= 0 {
		v.ArrayTaskID = n
	}
	v.JobName = st.opts.jobName
	if v.JobName == "" {
		v.JobName = os.Getenv("SLURM_JOB_NAME")
	}
	v.User = os.Getenv("SLURM_JOB_USER")
	if v.User == "" {
		v.User = os.Getenv("USER")
	}
	v.Node, _, _ = strings.Cut(st.node, ".")
	if st.rankNode != nil {
		v.NodeIndex = st.rankNode[rank]
		v.Node, _, _ = strings.Cut(st.nodeNames[v.NodeIndex], ".")
	}
	return v
}

// stepFiles opens the files a step's patterns name, each distinct name
// once, so that tasks writing to one file share its offset (as the
// tasks of a node share slurmstepd's descriptor).
type stepFiles struct {
	dir    string // relative names are in the step's working directory
	append bool
	open   map[string]*os.File
}

func newStepFiles(dir string, appendMode bool) *stepFiles {
	return &stepFiles{dir: dir, append: appendMode, open: map[string]*os.File{}}
}

func (f *stepFiles) path(name string) string {
	if filepath.IsAbs(name) || f.dir == "" {
		return name
	}
	return filepath.Join(f.dir, name)
}

// writer opens name for one of the tasks' output streams (what names
// stdout or stderr in Slurm's message).
func (f *stepFiles) writer(name, what string) (*os.File, error) {
	p := f.path(name)
	if w, ok := f.open[p]; ok {
		return w, nil
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if f.append {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	w, err := os.OpenFile(p, flags, 0o666)
	if err != nil {
		return nil, &openError{what: what, err: err}
	}
	f.open[p] = w
	return w, nil
}

// reader opens name as one task's stdin; each task reads it from the start.
func (f *stepFiles) reader(name string) (*os.File, error) {
	p := f.path(name)
	r, err := os.Open(p)
	if err != nil {
		return nil, &openError{what: "stdin", err: err}
	}
	return r, nil
}

// close closes the output files (once every task has started, srun holds
// them no longer).
func (f *stepFiles) close() {
	for _, w := range f.open {
		w.Close()
	}
	f.open = map[string]*os.File{}
}

// openAppend reports whether the step's files are opened for appending:
// --open-mode, else SLURM_OPEN_MODE (which sbatch's --open-mode sets for
// the job's steps), else truncate (JobFileAppend=0).
func openAppend(mode string) bool {
	if mode == "" {
		mode = os.Getenv("SLURM_OPEN_MODE")
	}
	return strings.HasPrefix(strings.ToLower(mode), "a")
}

// openError is a step file srun cannot open; it fails the whole step, in
// Slurm's words ("Could not open stdout file: No such file or directory").
type openError struct {
	what string
	err  error
}

func (e *openError) Error() string {
	return fmt.Sprintf("Could not open %s file: %s", e.what, proc.Strerror(e.err))
}

func (e *openError) Unwrap() error { return e.err }
