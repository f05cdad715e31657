package stepd

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/stepnet"
)

func TestCancelLine(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	c := &jobdir.StepdConfig{JobID: "17", Node: "n1", Start: start, TimeLimit: 10 * time.Minute}
	cases := []struct {
		at   time.Duration
		want string
	}{
		{time.Minute, "*** JOB 17 ON n1 CANCELLED AT 2026-01-02T03:05:05 ***"},
		{10*time.Minute - 2*time.Second, "*** JOB 17 ON n1 CANCELLED AT 2026-01-02T03:14:03 DUE TO TIME LIMIT ***"},
		{11 * time.Minute, "*** JOB 17 ON n1 CANCELLED AT 2026-01-02T03:15:05 DUE TO TIME LIMIT ***"},
	}
	for _, tc := range cases {
		if got := cancelLine(c, start.Add(tc.at)); got != tc.want {
			t.Errorf("at +%s: %q, want %q", tc.at, got, tc.want)
		}
	}
	c.TimeLimit = 0
	if got := cancelLine(c, start.Add(time.Hour)); strings.Contains(got, "TIME LIMIT") {
		t.Errorf("no limit: %q", got)
	}
}

// blockingWriter blocks every write until released, like a fifo nobody reads.
type blockingWriter struct {
	release chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func TestLogQueueNeverBlocksAndCountsDrops(t *testing.T) {
	w := &blockingWriter{release: make(chan struct{})}
	q := newLogQueue(w, 10)
	for i := 0; i < 5; i++ {
		q.Write([]byte("12345")) // returns at once although nobody reads
	}
	close(w.release)
	q.Close(10 * time.Second)
	w.mu.Lock()
	got := w.buf.String()
	w.mu.Unlock()
	// The first chunk may already be in the writer when the others come.
	if !strings.HasPrefix(got, "1234512345") || !strings.Contains(got, "bytes of output were not copied to the Nomad log") {
		t.Errorf("forwarded %q", got)
	}
}

// TestNoJobOutsideItsDeviceCgroup: when stepd cannot join the devices
// cgroup the driver made for the job, the job is not started, and the
// reason is in Nomad's stderr and the result.
func TestNoJobOutsideItsDeviceCgroup(t *testing.T) {
	dir := t.TempDir()
	marker := dir + "/ran"
	w := &blockingWriter{release: make(chan struct{})}
	close(w.release)
	s := &shim{
		cfg: &jobdir.StepdConfig{
			TaskDir: dir, Node: "n1", Script: "/bin/sh", Args: []string{"-c", "touch " + marker},
			Exec: "/bin/sh", Env: []string{"PATH=/bin"}, Workdir: dir, Output: dir + "/out",
			DeviceCgroup: dir + "/no-such-cgroup",
		},
		nomadOut: newLogQueue(&blockingWriter{release: w.release}, 1<<10),
		nomadErr: newLogQueue(w, 1<<10),
	}
	res := s.execute(nil)
	s.nomadOut.Close(10 * time.Second)
	s.nomadErr.Close(10 * time.Second)
	w.mu.Lock()
	got := w.buf.String()
	w.mu.Unlock()
	if res.ExitCode != 1 || !strings.Contains(res.Error, "GPU device isolation: cannot join the job's devices cgroup") {
		t.Errorf("result %+v", res)
	}
	if !strings.HasPrefix(got, "slurmstepd-n1: error: GPU device isolation") {
		t.Errorf("Nomad stderr %q", got)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the job ran")
	}
	if _, err := os.Stat(dir + "/out"); err == nil {
		t.Error("the job's output file was opened")
	}
}

// TestMultiEnv: the job-level variables of node 1 of a two-node job, as
// slurmd sets them; sbatch's --ntasks-per-node without -n gives the job
// its task count.
func TestMultiEnv(t *testing.T) {
	peers := []stepnet.Peer{{Name: "n1"}, {Name: "n2"}}
	got := multiEnv([]string{"SLURM_NTASKS_PER_NODE=1", "SLURM_CPUS_ON_NODE=4", "X=1"}, peers, 1)
	want := []string{"X=1", "SLURM_NTASKS_PER_NODE=1", "SLURM_CPUS_ON_NODE=4", "SLURM_JOB_NODELIST=n[1-2]",
		"SLURM_NODELIST=n[1-2]", "SLURM_NNODES=2", "SLURM_JOB_NUM_NODES=2", "SLURM_NODEID=1",
		"SLURM_TASKS_PER_NODE=1(x2)", "SLURM_JOB_CPUS_PER_NODE=4(x2)", "SLURM_NTASKS=2", "SLURM_NPROCS=2"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	got = multiEnv([]string{"SLURM_NTASKS=3"}, peers, 0)
	if !slices.Contains(got, "SLURM_TASKS_PER_NODE=2,1") || slices.Contains(got, "SLURM_NPROCS=3") {
		t.Errorf("-n 3 on 2 nodes: %q", got)
	}
}
