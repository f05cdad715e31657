package srun

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
)

// taskIO wires the tasks' standard streams. Without --label the tasks
// write straight to srun's stdout and stderr; with it, each line goes
// through a pipe and gets the task's rank in front ("3: ", padded to the
// widest rank, as Slurm does). srun's stdin goes to every task (Slurm's
// default, --input=all): directly for one task, copied to each otherwise.
type taskIO struct {
	n      int
	label  bool
	width  int
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

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

// attach sets cmd's streams for task rank.
func (t *taskIO) attach(cmd *exec.Cmd, rank int) {
	if t.n == 1 {
		cmd.Stdin = t.stdin
	} else if r, w, err := os.Pipe(); err == nil {
		cmd.Stdin = r
		t.childEnds = append(t.childEnds, r)
		t.inputs = append(t.inputs, w)
	}
	cmd.Stdout, cmd.Stderr = t.stdout, t.stderr
	if !t.label {
		return
	}
	for _, s := range []struct {
		dst *io.Writer
		to  io.Writer
	}{{&cmd.Stdout, t.stdout}, {&cmd.Stderr, t.stderr}} {
		r, w, err := os.Pipe()
		if err != nil {
			continue
		}
		*s.dst = w
		t.childEnds = append(t.childEnds, w)
		t.labelled = append(t.labelled, labelled{r: r, w: s.to, rank: rank})
	}
}

// started runs the copying once every task has been started.
func (t *taskIO) started() {
	for _, f := range t.childEnds {
		f.Close()
	}
	t.childEnds = nil
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
	t.copiers.Wait()
}
