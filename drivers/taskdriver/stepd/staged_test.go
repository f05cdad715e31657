package stepd

import (
	"slices"
	"testing"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
)

// A staged job's remote tasks see this node's copy of the submit
// directory: SLURM_SUBMIT_DIR is this node's (each node restored it into
// its own task directory), and srun's working directory inside the
// calling node's copy moves to the same place in this node's. A shared
// job's tasks keep srun's values.
func TestStagedRemoteTask(t *testing.T) {
	node := []string{"SLURM_SUBMIT_DIR=/b/alloc/task/work", envSubmitDirOrigin + "=/home/u/run", "X=node"}
	caller := []string{"SLURM_SUBMIT_DIR=/a/alloc/task/work", envSubmitDirOrigin + "=/home/u/run", "X=caller"}
	for _, c := range []struct{ dir, want string }{
		{"/a/alloc/task/work", "/b/alloc/task/work"},
		{"/a/alloc/task/work/sub/x", "/b/alloc/task/work/sub/x"},
		{"/a/alloc/task/workshop", "/a/alloc/task/workshop"},
		{"/scratch", "/scratch"},
		{"", ""},
	} {
		if got := stagedCwd(node, caller, c.dir); got != c.want {
			t.Errorf("staged: srun in %q: the task goes to %q, want %q", c.dir, got, c.want)
		}
	}
	shared := []string{"SLURM_SUBMIT_DIR=/home/u/run"}
	if got := stagedCwd(shared, []string{"SLURM_SUBMIT_DIR=/home/u/run"}, "/home/u/run/sub"); got != "/home/u/run/sub" {
		t.Errorf("shared: the task goes to %q", got)
	}

	s := &stepServer{cfg: &jobdir.StepdConfig{TaskDir: "/b/alloc/task", Exec: "/b/alloc/task/bin/srun"}, env: node}
	env := s.taskEnv(caller, "")
	if !slices.Contains(env, "SLURM_SUBMIT_DIR=/b/alloc/task/work") || slices.Contains(env, "SLURM_SUBMIT_DIR=/a/alloc/task/work") ||
		!slices.Contains(env, "X=caller") || !slices.Contains(env, envSubmitDirOrigin+"=/home/u/run") {
		t.Errorf("staged task's environment %q: want this node's SLURM_SUBMIT_DIR, srun's other values", env)
	}
	s.env = shared
	env = s.taskEnv([]string{"SLURM_SUBMIT_DIR=/home/u/other"}, "")
	if !slices.Equal(env, []string{"SLURM_SUBMIT_DIR=/home/u/other"}) {
		t.Errorf("shared task's environment %q: want srun's", env)
	}
}
