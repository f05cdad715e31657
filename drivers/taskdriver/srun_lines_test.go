package taskdriver

import (
	"path/filepath"
	"testing"
	"time"
)

// linesScript runs a two-task step three times (plain, -l, -u) whose tasks
// write so that task 1's whole line comes between task 0's "a" and its
// "b\n", in that order: task 0 writes "a", lets task 1 go (fifo f1), and
// writes "b\n" only once task 1 wrote its line and let it go (fifo f0).
// srun passes each task's output on in whole lines, as Slurm's srun does
// (so "ab" stays one line), except with -u. $1: srun's extra options, $2:
// a directory both tasks can use.
const linesScript = `#!/bin/bash
d=$(mktemp -d -p "$2")
chmod 755 "$d"; mkfifo -m 666 "$d/f0" "$d/f1"
task='if [ "$SLURM_PROCID" = 0 ]; then printf a; echo > "$0/f1"; read x < "$0/f0"; printf "b\n"; else read x < "$0/f1"; echo line1; echo > "$0/f0"; fi'
srun $1 bash -c "$task" "$d" | sort; echo "rc=${PIPESTATUS[0]}"
srun $1 -l bash -c "$task" "$d" | sort; echo "rc=${PIPESTATUS[0]}"
srun $1 -u bash -c "$task" "$d" | sort; echo "rc=${PIPESTATUS[0]}"
rm -r "$d"
`

// linesWant is linesScript's output. With -u the pieces go on as they
// come: on one node task 0's "a" is in srun's stdout before task 1 writes
// (they share it); across nodes it may come later than task 1's line.
const (
	linesWant      = "ab\nline1\nrc=0\n0: ab\n1: line1\nrc=0\naline1\nb\nrc=0\n"
	linesWantLater = "ab\nline1\nrc=0\n0: ab\n1: line1\nrc=0\nab\nline1\nrc=0\n"
)

// TestSrunWholeLines: on one node (the tasks share srun's stdout) and
// across two nodes (their output comes back over the network), a step's
// tasks' lines never mix. The one-node case fails deterministically
// without line buffering; the two-node case almost always (the relay's
// order is deterministic in srun's TestRelayWholeLines).
func TestSrunWholeLines(t *testing.T) {
	t.Run("one node", func(t *testing.T) {
		td := newTestDriver(t, Config{})
		env := coordinatorEnv("31")
		env["SHARED"] = sharedDir(t)
		// A process that left the step's process group and holds its
		// output pipe does not keep srun waiting (beyond outputDrain); it
		// ends when the script lets it go.
		// Task 0 ends once that process is in a session of its own.
		script := linesScript + `mkfifo "$2/hold" "$2/up"
srun -n 2 bash -c 'if [ "$SLURM_PROCID" = 0 ]; then setsid bash -c "echo > \"\$0/up\"; read x < \"\$0/hold\"" "$0" & read x < "$0/up"; fi; echo "task $SLURM_PROCID"' "$2" | sort
echo "rc=${PIPESTATUS[0]}"
echo > "$2/hold"
`
		j := td.newJob(t, TaskConfig{Script: script, Args: []string{"-n 2", env["SHARED"]}}, env)
		res := j.run()
		want := linesWant + "task 0\ntask 1\nrc=0\n"
		if got := j.file("slurm-31.out"); res.ExitCode != 0 || got != want {
			t.Errorf("%s: output:\n%s\nwant:\n%s", describe(res), got, want)
		}
	})
	t.Run("two nodes", func(t *testing.T) {
		td := newTestDriver(t, Config{RunAs: RunAsPool, PoolUIDs: "62974-62977", PoolDir: filepath.Join(t.TempDir(), "pool")})
		shared := sharedDir(t)
		env := map[string]string{
			"SLURM_JOB_ID": "78", "SLURM_JOBID": "78", "SLURM_JOB_NAME": "lines", "SLURM_JOB_USER": "alice",
			"SLURM_NTASKS": "2", "SLURM_NPROCS": "2", "SLURM_NNODES": "2", "SLURM_JOB_NUM_NODES": "2",
		}
		script := "#!/bin/bash\nset -- '-N2 -n2' " + shared + "\n" + linesScript[len("#!/bin/bash\n"):]
		nodes := newMultiNodeJob(t, td, script, randomKey(t), env, "n1", "n2")
		n1, n2 := nodes[0], nodes[1]
		ch2 := n2.j.start()
		ch1 := n1.j.start()
		res := n1.j.wait(ch1)
		if err := td.StopTask(n2.j.cfg.ID, 5*time.Second, "SIGTERM"); err != nil {
			t.Fatal(err)
		}
		n2.j.wait(ch2)
		if got := n1.j.file(filepath.Join(n1.j.taskDir(), "slurm-78.out")); res.ExitCode != 0 || (got != linesWant && got != linesWantLater) {
			t.Errorf("%s: output:\n%s\nwant:\n%s", describe(res), got, linesWant)
		}
	})
}
