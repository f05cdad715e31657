package srun

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

// taskIO wires the tasks' standard streams. By default the tasks write
// straight to srun's stdout and stderr; with --label, each line goes
// through a pipe and gets the task's rank in front ("3: ", padded to the
// widest rank, as Slurm does). srun's stdin goes to every task (Slurm's
// default, --input=all): directly for one task, copied to each otherwise.
// -o/--output, -e/--error and -i/--input send a stream to a file (per
// task when its pattern names one, %t), to no task (none), or to srun's
// own stream for one task only (a task id).
type taskIO struct {
	n      int
	label  bool
	width  int
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	in     ioMode
	out    ioMode
	err    ioMode // the output's mode when -e is not given
	vars   func(rank int) jobspec.PatternVars
	files  *stepFiles

	inputs    []*os.File // write ends of the tasks' stdin pipes
	childEnds []*os.File // pipe ends the tasks hold; closed once started
	labelled  []labelled
	mu        sync.Mutex // one line at a time on stdout and stderr
	copiers   sync.WaitGroup
}

type labelled struct {
	r    *os.File
	w    io.Writer
	rank int
}

func newTaskIO(n int, label bool, stdin io.Reader, stdout, stderr io.Writer) *taskIO {
	return &taskIO{n: n, label: label, width: len(strconv.Itoa(n - 1)), stdin: stdin, stdout: stdout, stderr: stderr}
}

// redirect sets the step's -i, -o and -e (raw option values) and how
// their file patterns expand.
func (t *taskIO) redirect(in, out, errPat string, vars func(rank int) jobspec.PatternVars, files *stepFiles) {
	t.in, t.out, t.err = parseIOMode(in), parseIOMode(out), parseIOMode(errPat)
	if errPat == "" {
		// As srun: stderr goes where stdout goes.
		t.err = t.out
	}
	t.vars, t.files = vars, files
}

// broadcastIn reports whether every task reads srun's stdin through its
// own pipe.
func (t *taskIO) broadcastIn() bool { return t.in.kind == ioAll && t.n > 1 }

// attach sets cmd's streams for task rank.
func (t *taskIO) attach(cmd *exec.Cmd, rank int) error {
	switch {
	case t.in.kind == ioAll && t.n == 1, t.in.kind == ioTask && t.in.task == rank:
		cmd.Stdin = t.stdin
	case t.broadcastIn():
		if r, w, err := os.Pipe(); err == nil {
			cmd.Stdin = r
			t.childEnds = append(t.childEnds, r)
			t.inputs = append(t.inputs, w)
		}
	case t.in.kind == ioFile:
		r, err := t.files.reader(jobspec.ExpandPattern(t.in.pattern, t.vars(rank)))
		if err != nil {
			return err
		}
		cmd.Stdin = r
		t.childEnds = append(t.childEnds, r)
	}
	// (Otherwise the task's stdin stays nil: /dev/null.)
	for _, s := range []struct {
		dst  *io.Writer
		mode ioMode
		to   io.Writer
		what string
	}{{&cmd.Stdout, t.out, t.stdout, "stdout"}, {&cmd.Stderr, t.err, t.stderr, "stderr"}} {
		switch s.mode.kind {
		case ioNone:
			*s.dst = nil
			continue
		case ioTask:
			if s.mode.task != rank {
				*s.dst = nil
				continue
			}
		case ioFile:
			f, err := t.files.writer(jobspec.ExpandPattern(s.mode.pattern, t.vars(rank)), s.what)
			if err != nil {
				return err
			}
			*s.dst = f
			continue
		}
		*s.dst = s.to
		if !t.label {
			continue
		}
		r, w, err := os.Pipe()
		if err != nil {
			continue
		}
		*s.dst = w
		t.childEnds = append(t.childEnds, w)
		t.labelled = append(t.labelled, labelled{r: r, w: s.to, rank: rank})
	}
	return nil
}

// started runs the copying once every task has been started.
func (t *taskIO) started() {
	for _, f := range t.childEnds {
		f.Close()
	}
	t.childEnds = nil
	if t.files != nil {
		t.files.close()
	}
	for _, l := range t.labelled {
		t.copiers.Add(1)
		go func() {
			defer t.copiers.Done()
			t.prefixLines(l)
		}()
	}
	if len(t.inputs) > 0 {
		go t.broadcast()
	}
}

func (t *taskIO) prefixLines(l labelled) {
	defer l.r.Close()
	prefix := fmt.Sprintf("%*d: ", t.width, l.rank)
	br := bufio.NewReader(l.r)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			t.mu.Lock()
			_, _ = io.WriteString(l.w, prefix+line)
			t.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// broadcast copies srun's stdin to every task that still reads it.
func (t *taskIO) broadcast() {
	buf := make([]byte, 32<<10)
	live := append([]*os.File(nil), t.inputs...)
	defer func() {
		for _, w := range live {
			w.Close()
		}
	}()
	for len(live) > 0 {
		n, err := t.stdin.Read(buf)
		if n > 0 {
			kept := live[:0]
			for _, w := range live {
				if _, werr := w.Write(buf[:n]); werr != nil {
					w.Close() // the task closed its stdin or ended
					continue
				}
				kept = append(kept, w)
			}
			live = kept
		}
		if err != nil {
			return
		}
	}
}

// close waits for the labelled output to be copied and releases the pipes.
func (t *taskIO) close() {
	for _, f := range t.childEnds {
		f.Close()
	}
	if t.files != nil {
		t.files.close()
	}
	t.copiers.Wait()
}
