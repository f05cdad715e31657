package stepd

import (
	"path/filepath"
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
	// Two nodes' task directories and the submitter's directory, under
	// a directory of the test's (the paths are only compared as strings).
	root := t.TempDir()
	taskA, taskB := filepath.Join(root, "a", "alloc", "task"), filepath.Join(root, "b", "alloc", "task")
	workA, workB := filepath.Join(taskA, "work"), filepath.Join(taskB, "work")
	run := filepath.Join(root, "home", "u", "run")
	scratch := filepath.Join(root, "scratch")

	node := []string{"SLURM_SUBMIT_DIR=" + workB, envSubmitDirOrigin + "=" + run, "X=node"}
	caller := []string{"SLURM_SUBMIT_DIR=" + workA, envSubmitDirOrigin + "=" + run, "X=caller"}
	for _, c := range []struct{ dir, want string }{
		{workA, workB},
		{filepath.Join(workA, "sub", "x"), filepath.Join(workB, "sub", "x")},
		{filepath.Join(taskA, "workshop"), filepath.Join(taskA, "workshop")},
		{scratch, scratch},
		{"", ""},
	} {
		if got := stagedCwd(node, caller, c.dir); got != c.want {
			t.Errorf("staged: srun in %q: the task goes to %q, want %q", c.dir, got, c.want)
		}
	}
	shared := []string{"SLURM_SUBMIT_DIR=" + run}
	if got := stagedCwd(shared, []string{"SLURM_SUBMIT_DIR=" + run}, filepath.Join(run, "sub")); got != filepath.Join(run, "sub") {
		t.Errorf("shared: the task goes to %q", got)
	}

	s := &stepServer{cfg: &jobdir.StepdConfig{TaskDir: taskB, Exec: filepath.Join(taskB, "bin", "srun")}, env: node}
	env := s.taskEnv(caller, "")
	if !slices.Contains(env, "SLURM_SUBMIT_DIR="+workB) || slices.Contains(env, "SLURM_SUBMIT_DIR="+workA) ||
		!slices.Contains(env, "X=caller") || !slices.Contains(env, envSubmitDirOrigin+"="+run) {
		t.Errorf("staged task's environment %q: want this node's SLURM_SUBMIT_DIR, srun's other values", env)
	}
	other := filepath.Join(root, "home", "u", "other")
	s.env = shared
	env = s.taskEnv([]string{"SLURM_SUBMIT_DIR=" + other}, "")
	if !slices.Equal(env, []string{"SLURM_SUBMIT_DIR=" + other}) {
		t.Errorf("shared task's environment %q: want srun's", env)
	}
}
