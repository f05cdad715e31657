package stepd

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// logQueue forwards bytes to Nomad's log fifo without ever blocking the
// job: it buffers up to max bytes and drops what does not fit, noting how
// much was lost. While the Nomad client restarts nobody reads the fifo; the
// job must keep running and its Slurm files must stay complete, so the
// Nomad copy is the one that gives way.
type logQueue struct {
	w   io.Writer
	max int

	mu      sync.Mutex
	cond    *sync.Cond
	queue   [][]byte
	size    int
	dropped int
	closed  bool
	done    chan struct{}
}

func newLogQueue(w io.Writer, max int) *logQueue {
	q := &logQueue{w: w, max: max, done: make(chan struct{})}
	q.cond = sync.NewCond(&q.mu)
	go q.run()
	return q
}

// Write queues a copy of p; it never fails and never blocks on the fifo.
func (q *logQueue) Write(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return len(p), nil
	}
	if q.size+len(p) > q.max {
		q.dropped += len(p)
		return len(p), nil
	}
	q.queue = append(q.queue, append([]byte(nil), p...))
	q.size += len(p)
	q.cond.Signal()
	return len(p), nil
}

func (q *logQueue) run() {
	defer close(q.done)
	for {
		q.mu.Lock()
		for len(q.queue) == 0 && q.dropped == 0 && !q.closed {
			q.cond.Wait()
		}
		if len(q.queue) == 0 && q.dropped == 0 && q.closed {
			q.mu.Unlock()
			return
		}
		var chunk []byte
		if len(q.queue) > 0 {
			chunk = q.queue[0]
			q.queue = q.queue[1:]
			q.size -= len(chunk)
		} else {
			chunk = []byte(fmt.Sprintf("\n[hpcbridge: %d bytes of output were not copied to the Nomad log while it was not read; the Slurm file has them]\n", q.dropped))
			q.dropped = 0
		}
		q.mu.Unlock()
		// A failed write (no reader: EPIPE) loses this chunk only.
		_, _ = q.w.Write(chunk)
	}
}

// Close flushes what is queued, waiting at most wait, and stops.
func (q *logQueue) Close(wait time.Duration) {
	q.mu.Lock()
	q.closed = true
	q.cond.Signal()
	q.mu.Unlock()
	select {
	case <-q.done:
	case <-time.After(wait):
	}
}

// lockedWriter serialises writes to one file from several goroutines, so
// that stepd's own messages never split a chunk of the job's output.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// tee writes each chunk to the Slurm file and then to the Nomad log queue.
// It never fails: a job whose file cannot be written (a full disk) must not
// block on its own output, so the first file error is reported through
// fail and the output keeps flowing to Nomad.
type tee struct {
	file  io.Writer
	nomad io.Writer

	once sync.Once
	fail func(error)
}

func (t *tee) Write(p []byte) (int, error) {
	if _, err := t.file.Write(p); err != nil {
		t.once.Do(func() { t.fail(err) })
	}
	_, _ = t.nomad.Write(p)
	return len(p), nil
}
