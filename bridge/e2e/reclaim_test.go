package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// trainEpochs is how many epochs the tests train gpu-train-checkpoint.sh
// for: long enough (about a second each) to reclaim or kill its node
// mid-run.
const trainEpochs = 20

// scontrolFields are the Key=Value pairs of `scontrol show job ID`.
func (st *stack) scontrolFields(id string) map[string]string {
	st.t.Helper()
	out := st.must("scontrol", "show", "job", id)
	f := map[string]string{}
	for _, w := range strings.Fields(out) {
		if k, v, ok := strings.Cut(w, "="); ok {
			f[k] = v
		}
	}
	return f
}

// checkpoints is the job's committed checkpoint count as scontrol shows it
// (-1 when scontrol shows none).
func (st *stack) checkpoints(id string) int {
	st.t.Helper()
	n, err := strconv.Atoi(st.scontrolFields(id)["Checkpoints"])
	if err != nil {
		return -1
	}
	return n
}

// waitCheckpoints waits until job id has committed at least n checkpoints
// while running, and returns the job then.
func (st *stack) waitCheckpoints(id string, n int, within time.Duration) *state.Job {
	st.t.Helper()
	var j *state.Job
	eventually(st.t, fmt.Sprintf("job %s running with %d checkpoints", id, n), within, func() error {
		got := st.checkpoints(id)
		if got < 0 {
			return fmt.Errorf("scontrol show job %s shows no Checkpoints=", id)
		}
		j = st.wait(id, 10*time.Second, "read", func(*state.Job) bool { return true })
		if got < n || j.State != state.StateRunning || len(nodesOf(j.NodeList)) != 1 {
			return fmt.Errorf("%d checkpoints, %s on %q", got, j.State, j.NodeList)
		}
		return nil
	})
	return j
}

// trainResumed checks gpu-train-checkpoint.sh's output after one requeue:
// run 1 on first, run 2 on second resuming from an epoch at least
// atLeast, and training complete in two runs. It returns the resume epoch.
func (st *stack) trainResumed(out, id, first, second string, atLeast int) int {
	t := st.t
	t.Helper()
	m := regexp.MustCompile(`(?m)^resumed from epoch (\d+) \(run 2\)$`).FindStringSubmatch(out)
	if m == nil {
		t.Errorf("train-ckpt-%s.out shows no \"resumed from epoch E (run 2)\":\n%s", id, out)
		return -1
	}
	e, _ := strconv.Atoi(m[1])
	if e < atLeast || e >= trainEpochs {
		t.Errorf("resumed from epoch %d, want at least %d (committed before the first run ended) and below %d:\n%s", e, atLeast, trainEpochs, out)
	}
	for _, want := range []string{
		fmt.Sprintf("== job %s run 1 on %s ", id, first),
		fmt.Sprintf("== job %s run 2 on %s ", id, second),
		fmt.Sprintf("epoch %d/%d ", e+1, trainEpochs),
		fmt.Sprintf("training complete: %d epochs, 2 run(s)\n", trainEpochs),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("train-ckpt-%s.out lacks %q:\n%s", id, want, out)
		}
	}
	// Run 2 trains only the epochs after its resume point.
	if i := strings.Index(out, m[0]); i >= 0 && strings.Contains(out[i:], fmt.Sprintf("epoch %d/", e)) {
		t.Errorf("run 2 trained epoch %d again after resuming from it:\n%s", e, out)
	}
	return e
}

// reclaimResumesElsewhere: gpu-train-checkpoint.sh, unchanged, runs on one
// node and commits a checkpoint every epoch; its donor reclaims the node
// (`hpcbridge node reclaim`) mid-run; the job gets its USR1, exits 85, is
// requeued without counting as a failure, and completes on the other node
// from its last checkpoint. Its output, fetched, shows both runs and the
// resume epoch; scontrol shows the checkpoints and the restart; each run's
// receipts name its node.
func reclaimResumesElsewhere(d *donorDev) {
	t := d.t
	sub := d.in("reclaim")
	sub.copyExamples("gpu-train-checkpoint.sh")
	id := sub.submit("gpu-train-checkpoint.sh", strconv.Itoa(trainEpochs))
	j := sub.waitCheckpoints(id, 3, 3*time.Minute)
	first := j.NodeList
	committed := sub.checkpoints(id)
	var second string
	for _, n := range d.nodes {
		if n != first {
			second = n
		}
	}
	if !slices.Contains(d.nodes, first) || second == "" {
		t.Fatalf("job %s runs on %q, not one of %v", id, first, d.nodes)
	}
	sub.must("hpcbridge", "node", "reclaim", "--deadline", "30s", first)

	j = sub.wait(id, 4*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
	if j.State != state.StateCompleted || j.ExitString() != "0:0" || j.RestartCount != 1 || j.NodeList != second {
		t.Errorf("job %s: %s %s, restarts %d, on %q; want COMPLETED 0:0 after 1 restart, on %s", id, j.State, j.ExitString(), j.RestartCount, j.NodeList, second)
	}
	if len(j.Runs) != 1 || j.Runs[0].NodeList != first || (j.Runs[0].State != state.StatePreempted && j.Runs[0].State != state.StateRequeued) {
		t.Errorf("job %s's earlier runs: %+v, want one PREEMPTED (or REQUEUED) run on %s", id, j.Runs, first)
	}
	if got := sub.sacctState(id); got != "COMPLETED|0:0" {
		t.Errorf("sacct -j %s: %q, want COMPLETED|0:0", id, got)
	}
	f := sub.scontrolFields(id)
	if n, _ := strconv.Atoi(f["Checkpoints"]); n < committed+1 || f["Restarts"] != "1" || f["LastCheckpoint"] == "" || f["LastCheckpoint"] == "None" || f["CheckpointSize"] == "" || f["CheckpointSize"] == "0" {
		t.Errorf("scontrol show job %s: Checkpoints=%s Restarts=%s LastCheckpoint=%s CheckpointSize=%s; want more than %d checkpoints, 1 restart, a time and a size",
			id, f["Checkpoints"], f["Restarts"], f["LastCheckpoint"], f["CheckpointSize"], committed)
	}

	into := filepath.Join(sub.work, "out")
	sub.must("hpcbridge", "fetch", id, "--into", into)
	b, err := os.ReadFile(filepath.Join(into, "train-ckpt-"+id+".out"))
	if err != nil {
		t.Fatalf("hpcbridge fetch %s: %v", id, err)
	}
	e := sub.trainResumed(string(b), id, first, second, committed)
	if st, err := os.ReadFile(filepath.Join(into, "ckpt", "state")); err != nil || string(st) != fmt.Sprintf("%d\n", trainEpochs) {
		t.Errorf("fetched ckpt/state: %q, %v; want %d", st, err, trainEpochs)
	}
	t.Logf("job %s: %d checkpoints committed on %s before the reclaim, resumed from epoch %d on %s", id, committed, first, e, second)

	// Receipts: both nodes did work for the job, each signed its own.
	nodesIn := func(out string) map[string]int {
		n := map[string]int{}
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 3 && f[0] == id {
				n[f[3]]++ // JOBID RUN SEQ NODE ...
			}
		}
		return n
	}
	out := sub.must("hpcbridge", "receipts", "--job", id)
	if got := nodesIn(out); got[first] == 0 || got[second] == 0 || len(got) != 2 {
		t.Errorf("hpcbridge receipts --job %s: receipts by node %v, want some of %s and of %s:\n%s", id, got, first, second, out)
	}
	out = sub.must("hpcbridge", "receipts", "--node", second)
	if got := nodesIn(out); got[second] == 0 || len(got) != 1 {
		t.Errorf("hpcbridge receipts --node %s: job %s's receipts by node %v, want only %s's:\n%s", second, id, got, second, out)
	}
}
