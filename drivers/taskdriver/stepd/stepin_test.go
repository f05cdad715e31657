package stepd

import (
	"bytes"
	"testing"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/stepnet"
)

// TestStdinFrameBound: a stdin frame larger than srun sends (a MiB each,
// queued stdinQueue times per task in root's memory) ends the step's
// control stream unqueued; one of srun's size is queued.
func TestStdinFrameBound(t *testing.T) {
	for _, c := range []struct {
		size   int
		queued int
	}{{stepnet.MaxStdin, 2}, {stepnet.MaxStdin + 1, 0}} {
		var wire bytes.Buffer
		w := stepnet.NewConn(&wire)
		for range 2 {
			if err := w.Write(stepnet.KindStdin, 0, make([]byte, c.size)); err != nil {
				t.Fatal(err)
			}
		}
		// A task already reaped: the kill that ends the step reaches nothing.
		task := &servedTask{rank: 0, in: make(chan []byte, stdinQueue), reaped: true}
		st := &servedStep{tasks: []*servedTask{task}}
		st.readControl(&wire)
		if got := len(task.in); got != c.queued {
			t.Errorf("stdin frames of %d bytes: %d queued, want %d", c.size, got, c.queued)
		}
	}
}
