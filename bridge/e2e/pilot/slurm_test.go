package pilot

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
)

// slurmJob is a job of the real Slurm (the oracle) that the test submitted,
// followed by a goroutine that records each state scontrol shows until the
// job ends. (The oracle keeps no accounting: a job ended is in scontrol for
// MinJobAge, 30 s, then gone, so its end is read while it is there.)
type slurmJob struct {
	id     string
	dir    string // its working directory
	output string // its output file
	env    []string

	mu     sync.Mutex
	states []string // JobState, ExitCode, Reason at each change
	last   map[string]string
	ended  chan struct{} // closed when an ended state (or the job's absence) was seen
	// followed is closed when the follower has returned.
	followed chan struct{}
}

// slurmTerminal are the states of an ended Slurm job.
var slurmTerminal = map[string]bool{"COMPLETED": true, "FAILED": true, "TIMEOUT": true, "CANCELLED": true,
	"NODE_FAIL": true, "OUT_OF_MEMORY": true, "PREEMPTED": true, "BOOT_FAIL": true, "DEADLINE": true}

// submitSlurm submits script to the oracle with sbatch, in dir, with env
// added to a clean environment (no SLURM_* or SBATCH_* of the caller's),
// and follows it. When the test ends the job is cancelled if it is still
// there, and the follower stopped.
func submitSlurm(t *testing.T, dir, script string, env []string, args ...string) *slurmJob {
	t.Helper()
	sbatch := slurmoracle.RequireCommand(t, "sbatch")
	slurmoracle.ResumeRealModeDrain(t)
	j := &slurmJob{dir: dir, env: append(append(slurmoracle.CleanEnv(), slurmoracle.ConfEnv()), env...), ended: make(chan struct{}), followed: make(chan struct{})}
	args = append([]string{"--parsable", "--chdir", dir, "--output", filepath.Join(dir, "pilot-%j.out")}, args...)
	cmd := exec.Command(sbatch, append(args, script)...)
	cmd.Dir, cmd.Env = dir, j.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sbatch %s to the Slurm oracle: %v\n%s", strings.Join(args, " "), err, out)
	}
	j.id, _, _ = strings.Cut(strings.TrimSpace(string(out)), ";")
	j.output = filepath.Join(dir, "pilot-"+j.id+".out")
	ctx, cancel := context.WithCancel(context.Background())
	go j.follow(ctx)
	t.Cleanup(func() {
		select {
		case <-j.ended:
		default:
			// Still in Slurm: cancel it (Slurm kills the agent, its Nomad
			// client and their jobs with it).
			c := exec.Command("scancel", j.id)
			c.Env = j.env
			if out, err := c.CombinedOutput(); err != nil {
				t.Logf("scancel %s: %v %s", j.id, err, out)
			}
			select {
			case <-j.ended:
			case <-time.After(90 * time.Second):
				t.Errorf("Slurm job %s still there 90 s after scancel: %s", j.id, j.stateLine())
			}
		}
		cancel()
		<-j.followed
		if t.Failed() {
			b, _ := os.ReadFile(j.output)
			t.Logf("Slurm job %s: states %v\n%s:\n%s", j.id, j.history(), j.output, b)
		}
	})
	return j
}

// follow reads `scontrol show job -o ID` twice a second, recording every
// change, until the job is in an ended state or gone.
func (j *slurmJob) follow(ctx context.Context) {
	defer close(j.followed)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		cmd := exec.CommandContext(ctx, "scontrol", "show", "job", "-o", j.id)
		cmd.Env = j.env
		out, err := cmd.CombinedOutput()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && strings.Contains(string(out), "Invalid job id"):
			j.record(map[string]string{"JobState": "GONE"})
			close(j.ended)
			return
		case err == nil:
			f := fields(string(out))
			j.record(f)
			if slurmTerminal[f["JobState"]] {
				close(j.ended)
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func (j *slurmJob) record(f map[string]string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if f["JobState"] == "GONE" && j.last != nil {
		return // the last state seen stays the answer
	}
	s := fmt.Sprintf("%s %s %s", f["JobState"], f["ExitCode"], f["Reason"])
	if j.last == nil || s != fmt.Sprintf("%s %s %s", j.last["JobState"], j.last["ExitCode"], j.last["Reason"]) {
		j.states = append(j.states, time.Now().UTC().Format("15:04:05")+" "+s)
	}
	j.last = f
}

// fields are the Key=Value words of a one-line scontrol record.
func fields(line string) map[string]string {
	f := map[string]string{}
	for _, w := range strings.Fields(line) {
		if k, v, ok := strings.Cut(w, "="); ok {
			f[k] = v
		}
	}
	return f
}

// history is every state recorded so far.
func (j *slurmJob) history() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.states...)
}

// stateLine is the last record's JobState, ExitCode and Reason.
func (j *slurmJob) stateLine() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return fmt.Sprintf("%s %s %s", j.last["JobState"], j.last["ExitCode"], j.last["Reason"])
}

// waitEnded waits until the job has ended (or is gone) and returns its
// last recorded fields.
func (j *slurmJob) waitEnded(t *testing.T, within time.Duration) map[string]string {
	t.Helper()
	select {
	case <-j.ended:
	case <-time.After(within):
		t.Fatalf("Slurm job %s: not ended within %v (states %v)", j.id, within, j.history())
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.last
}

// waitStarted waits until the job has left PENDING. Meanwhile it resumes
// the oracle's node whenever parse.sh's real mode (another test package)
// left it drained, as the runtime differential suite does.
func (j *slurmJob) waitStarted(t *testing.T, within time.Duration) {
	t.Helper()
	poll(t, fmt.Sprintf("Slurm job %s started", j.id), within, func() error {
		j.mu.Lock()
		st := j.last["JobState"]
		j.mu.Unlock()
		if st != "" && st != "PENDING" {
			return nil
		}
		if err := slurmoracle.ResumeDrain(); err != nil {
			return err
		}
		return fmt.Errorf("states %v", j.history())
	})
}

// outputMatch waits until the job's output file matches pattern, and
// returns the match and its groups.
func (j *slurmJob) outputMatch(t *testing.T, what, pattern string, within time.Duration) []string {
	t.Helper()
	var m []string
	poll(t, fmt.Sprintf("Slurm job %s's output: %s", j.id, what), within, func() error {
		// Seen ended before the read: the file read is the whole output.
		ended := false
		select {
		case <-j.ended:
			ended = true
		default:
		}
		b, err := os.ReadFile(j.output)
		if err != nil {
			return fmt.Errorf("%v (states %v)", err, j.history())
		}
		if m = regexp.MustCompile(pattern).FindStringSubmatch(string(b)); m == nil {
			if ended {
				t.Fatalf("Slurm job %s ended (states %v) and its output has no %s (%q):\n%s", j.id, j.history(), what, pattern, b)
			}
			return fmt.Errorf("no %q in (states %v):\n%s", pattern, j.history(), b)
		}
		return nil
	})
	return m
}
