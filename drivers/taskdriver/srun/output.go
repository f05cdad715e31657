package srun

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

// taskIO wires the tasks' standard streams. Output bound for srun's stdout
// and stderr is forwarded in whole lines per task, as Slurm's srun does:
// each task's stream is held until a newline (or until maxPartialLine
// bytes, or the stream's end) and written in one write, so that the lines
// of different tasks never mix; with --label each line gets the task's rank
// in front ("3: ", padded to the widest rank, as Slurm does). With
// -u/--unbuffered the bytes go on as they come; a stream only one task
// writes (one task, or -o/-e naming a task) goes straight to srun's
// without labels. srun's stdin goes to every task (Slurm's
// default, --input=all): directly for one task, copied to each otherwise.
// -o/--output, -e/--error and -i/--input send a stream to a file (per
// task when its pattern names one, %t), to no task (none), or to srun's
// own stream for one task only (a task id).
type taskIO struct {
	n     int
	label bool
	// unbuffered (-u): output is passed on as it comes, not in lines.
	unbuffered bool
	// frames: the output arrives in frames from the nodes (a multi-node
	// step) and is written to the tasks' line writers, not through pipes.
	frames bool
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
	pipes     []outPipe  // the read ends of the tasks' output pipes
	writers   []*lineWriter
	mu        sync.Mutex // one write at a time on stdout and stderr
	copiers   sync.WaitGroup
}

// outPipe is a task's output pipe and where its lines go.
type outPipe struct {
	r  *os.File
	lw *lineWriter
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
		if !t.label && (t.unbuffered || t.n == 1 || s.mode.kind == ioTask) {
			// One task writes there (or -u): nothing to keep apart, the
			// bytes go straight on, in the order the task wrote them.
			*s.dst = s.to
			continue
		}
		lw := &lineWriter{mu: &t.mu, w: s.to, raw: t.unbuffered}
		if t.label {
			lw.prefix = fmt.Sprintf("%*d: ", t.width, rank)
		}
		t.writers = append(t.writers, lw)
		if t.frames {
			*s.dst = lw
			continue
		}
		r, w, err := os.Pipe()
		if err != nil {
			return fmt.Errorf("task %d %s: %w", rank, s.what, err)
		}
		*s.dst = w
		t.childEnds = append(t.childEnds, w)
		t.pipes = append(t.pipes, outPipe{r: r, lw: lw})
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
	for _, p := range t.pipes {
		t.copiers.Add(1)
		go func() {
			defer t.copiers.Done()
			defer p.r.Close()
			_, _ = io.Copy(p.lw, p.r)
			p.lw.flush()
		}()
	}
	if len(t.inputs) > 0 {
		go t.broadcast()
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

// close waits for the output to be copied, writes what is left of the
// tasks' last lines, and releases the pipes.
func (t *taskIO) close() {
	for _, f := range t.childEnds {
		f.Close()
	}
	if t.files != nil {
		t.files.close()
	}
	done := make(chan struct{})
	go func() { t.copiers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(outputDrain):
		// A process that left the step's process group holds a pipe:
		// srun does not wait for it (slurmstepd would have killed it).
		for _, p := range t.pipes {
			p.r.Close()
		}
		<-done
	}
	for _, lw := range t.writers {
		lw.flush()
	}
}

// outputDrain bounds how long srun waits, once a one-node step's tasks
// ended and their process group was killed, for the last of their output.
const outputDrain = 5 * time.Second

// maxPartialLine bounds the part of a line a task's stream holds back: a
// longer line is passed on in pieces of this size (Slurm's slurmstepd,
// likewise, sends a partial line when its buffer of a few KiB fills).
const maxPartialLine = 4 << 10

// lineWriter forwards one stream of one task to srun's stdout or stderr
// in whole lines: every Write passes on the complete lines it has (each
// with the task's label in front, if any) in one write under the shared
// lock, and keeps the unfinished line for later. flush passes on what is
// left (at the stream's end). raw (-u) passes every Write on at once,
// with a label at its start and after each newline inside. One goroutine
// at a time writes to a lineWriter.
type lineWriter struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	raw    bool
	buf    []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	if l.raw {
		l.emit(p)
		return len(p), nil
	}
	l.buf = append(l.buf, p...)
	if i := bytes.LastIndexByte(l.buf, '\n'); i >= 0 {
		l.emit(l.buf[:i+1])
		l.buf = append(l.buf[:0], l.buf[i+1:]...)
	}
	for len(l.buf) >= maxPartialLine {
		l.emit(l.buf[:maxPartialLine])
		l.buf = append(l.buf[:0], l.buf[maxPartialLine:]...)
	}
	if cap(l.buf) > 2*maxPartialLine {
		// A large write is gone; do not keep its buffer.
		l.buf = append([]byte(nil), l.buf...)
	}
	return len(p), nil
}

// flush passes on the unfinished line, if any.
func (l *lineWriter) flush() {
	if len(l.buf) > 0 {
		l.emit(l.buf)
		l.buf = l.buf[:0]
	}
}

// emit writes b in one write, labelled.
func (l *lineWriter) emit(b []byte) {
	out := b
	if l.prefix != "" {
		out = make([]byte, 0, len(b)+len(l.prefix)*(1+bytes.Count(b, []byte{'\n'})))
		for len(b) > 0 {
			i := bytes.IndexByte(b, '\n') + 1
			if i == 0 {
				i = len(b)
			}
			out = append(append(out, l.prefix...), b[:i]...)
			b = b[i:]
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.Write(out)
}
