package pilot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/internal/roottest"
	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
	"github.com/hpcbridge/hpcbridge/internal/wallet"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// The pilot's time on real Slurm. Slurm counts time limits in minutes and
// checks them (and sends --signal) about every 30 s, so USR1@75 arrives
// between 75 and about 105 s before the limit: 75 to 105 s after the
// pilot starts with --time=3. Its node's jobs get pilotLeaveDeadline to
// move; what is left is for Nomad to stop and the directory to go.
const (
	pilotTime          = "3"
	pilotSignal        = "B:USR1@75"
	pilotLeaveDeadline = "30s"
	donorName          = "uni-pilot"
)

// helloJob runs on the pilot node (sbatch -w) with the GPU the pilot
// lent, and ends.
const helloJob = `#!/bin/bash
#SBATCH --job-name=pilot-hello
#SBATCH --gres=gpu:1
#SBATCH --output=hello-%j.out
echo "hello from ${SLURMD_NODENAME} (uid $(id -u)) with GPU ${HPCBRIDGE_GPU_UUIDS:-none}"
`

// countJob counts, committing its count as a checkpoint after every step.
// Its first run counts until its node leaves (USR1, from the reclaim: it
// commits and exits 85); a later run resumes from the checkpoint, counts 3
// more and ends. It says where each run started.
const countJob = `#!/bin/bash
#SBATCH --job-name=pilot-count
#SBATCH --output=count-%j.out
#SBATCH --open-mode=append
#SBATCH --requeue
#SBATCH --signal=B:USR1@30
#SBATCH --time=10
run=$((${SLURM_RESTART_COUNT:-0} + 1))
state=${HPCBRIDGE_CHECKPOINT_DIR:-.}/count
n=0
[[ -s $state ]] && read -r n <"$state"
echo "run $run on ${SLURMD_NODENAME}: starting at $n"
trap 'echo "run $run: USR1 at $n"; hpcbridge checkpoint >/dev/null; exit 85' USR1
stop=
((run > 1)) && stop=$((n + 3))
while [[ -z $stop ]] || ((n < stop)); do
	sleep 0.5 &
	wait $!
	n=$((n + 1))
	echo "$n" >"$state.tmp" && mv -f "$state.tmp" "$state"
	hpcbridge checkpoint >/dev/null || echo "checkpoint $n not committed"
done
echo "run $run: done at $n"
`

// TestPilotJobOnRealSlurm submits examples/slurm/donate-node.sh to the
// real Slurm oracle, which runs it: its agent joins the test's federation
// as donor uni-pilot's node, runs a job pinned to it, and runs a
// checkpointing job when the pilot's --signal comes before its time limit;
// that job checkpoints and resumes on the federation's other node, and
// Slurm records the pilot COMPLETED with exit 0, its directory removed. A
// second pilot with the same (single-use) join token fails at once.
func TestPilotJobOnRealSlurm(t *testing.T) {
	if testing.Short() {
		t.Skip("real Slurm runs a pilot for 3 minutes: skipped with -short")
	}
	roottest.Require(t, "the pilot's agent runs jobs in its sandbox (uids of its own), and the oracle runs the pilot as its submitter")
	nomadBin := nomadtest.Require(t)
	slurmoracle.Require(t)
	slurmoracle.LockNode(t) // it holds part of the oracle's node for minutes: the runtime comparison's jobs would queue behind it
	root, err := slurmoracle.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "examples", "slurm", "donate-node.sh")

	in := buildInstall(t, nomadBin)
	fed := startFederation(t, in, nomadBin)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()

	// The federation's own node takes nothing until the count job runs on
	// the pilot's node.
	nodes, _, err := fed.nomad.Nodes().List(nil)
	if err != nil || len(nodes) != 1 {
		t.Fatalf("hpcbridge dev's Nomad nodes: %v, %v; want one", nodes, err)
	}
	other, otherID := nodes[0].Name, nodes[0].ID
	if _, err := fed.nomad.Nodes().ToggleEligibility(otherID, false, nil); err != nil {
		t.Fatal(err)
	}

	// The donor and a join token for its pilot, in a file only root reads.
	key, err := wallet.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	addr := wallet.Address(key)
	ch, err := fed.api.DonorChallenge(ctx, donorName, addr)
	if err != nil {
		t.Fatalf("donor challenge: %v", err)
	}
	if _, err := fed.api.DonorRegister(ctx, &api.DonorRegisterRequest{Name: donorName, Wallet: addr,
		Signature: wallet.EncodeSignature(wallet.Sign(ch.Message, key)), Issued: ch.Issued}); err != nil {
		t.Fatalf("donor register: %v", err)
	}
	jt, err := fed.api.JoinTokenCreate(ctx, donorName, "1h")
	if err != nil {
		t.Fatalf("join token: %v", err)
	}
	pilotDir := searchableDir(t, "hpcbridge-pilot-submit-", 0o700)
	tokenFile := filepath.Join(pilotDir, "join-token")
	if err := os.WriteFile(tokenFile, []byte(jt.Secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// The count job waits for a node: the pilot's will be the only one.
	fed.script("count.sh", countJob)
	count := fed.submit("count.sh")

	// The pilot, as an admin submits it: the token in a file, the
	// coordinator's address, the time limit and its signal, and one of the
	// oracle's GPUs. (They are fake: the agent's GPU plugin runs on its
	// fake backend, which numbers its GPUs as NVML would.)
	start := time.Now()
	pilot := submitSlurm(t, pilotDir, script, []string{
		"HPCBRIDGE_JOIN_TOKEN_FILE=" + tokenFile,
		"HPCBRIDGE_COORDINATOR=" + fed.url,
		"HPCBRIDGE_BIN=" + in.hpcbridge,
		"HPCBRIDGE_LEAVE_DEADLINE=" + pilotLeaveDeadline,
		"HPCBRIDGE_AGENT_FLAGS=--gpu-backend fake --fake-gpus 2",
	}, "--time="+pilotTime, "--signal="+pilotSignal, "--cpus-per-task=2", "--mem=2G", "--gres=gpu:1")
	t.Logf("pilot: Slurm job %s", pilot.id)

	// The oracle is shared: the pilot may queue behind other packages' jobs.
	pilot.waitStarted(t, 10*time.Minute)
	m := pilot.outputMatch(t, "what it lends", `lending (\d+) CPUs, (\d+) MiB, GPUs \[([^]]*)\] as node (\S+)`, time.Minute)
	if m[1] != "2" || m[2] != "2048" || m[3] != "0" {
		t.Errorf("the pilot lends %s CPUs, %s MiB, GPUs [%s]; want the allocation's 2 CPUs, 2048 MiB, GPU 0", m[1], m[2], m[3])
	}
	node := m[4]
	nodeID := fed.nomadNode(node, 2*time.Minute)
	t.Logf("pilot node %s (Nomad %s) ready %s after the pilot's submission", node, nodeID[:8], time.Since(start).Round(time.Second))

	// The token was single use: a second pilot with it (submitted now, to
	// run beside the first) fails at once, with the agent's reason and exit
	// status, and leaves nothing behind.
	again := submitSlurm(t, pilotDir, script, []string{
		"HPCBRIDGE_JOIN_TOKEN_FILE=" + tokenFile,
		"HPCBRIDGE_COORDINATOR=" + fed.url,
		"HPCBRIDGE_BIN=" + in.hpcbridge,
	}, "--time="+pilotTime, "--cpus-per-task=1", "--mem=1G")

	// A job pinned to the pilot's node runs there and completes.
	fed.script("hello.sh", helloJob)
	hello := fed.submit("-w", node, "hello.sh")

	// The count job runs on the pilot's node; once it has checkpoints the
	// other node takes jobs again, for its next run.
	j := fed.wait(count, 2*time.Minute, "running on the pilot's node with 2 checkpoints", func(j *state.Job) bool {
		return j.State == state.StateRunning && j.Checkpoints != nil && j.Checkpoints.Count >= 2
	})
	if j.NodeList != node {
		t.Fatalf("count job %s runs on %q, want the pilot's node %s", count, j.NodeList, node)
	}
	if _, err := fed.nomad.Nodes().ToggleEligibility(otherID, true, nil); err != nil {
		t.Fatal(err)
	}

	h := fed.wait(hello, 2*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
	if h.State != state.StateCompleted || h.ExitString() != "0:0" || h.NodeList != node {
		t.Errorf("hello job %s: %s %s on %q, want COMPLETED 0:0 on %s", hello, h.State, h.ExitString(), h.NodeList, node)
	}
	if out := fed.fetched(hello, "hello-"+hello+".out"); !regexp.MustCompile(`^hello from ` + regexp.QuoteMeta(node) + ` \(uid \d+\) with GPU GPU-[0-9a-f-]+\n$`).MatchString(out) {
		t.Errorf("hello job's output %q, want hello from %s with one GPU", out, node)
	}

	// The pilot's signal: it leaves; the count job moves.
	committed := 0
	if j := fed.wait(count, 10*time.Second, "read", func(*state.Job) bool { return true }); j.Checkpoints != nil {
		committed = j.Checkpoints.Count
	}
	lm := pilot.outputMatch(t, "leaving on USR1", `leaving: caught USR1(?: with (\d+)s left)?`, 4*time.Minute)
	t.Logf("pilot got USR1 %s after its submission, %ss before its time limit", time.Since(start).Round(time.Second), lm[1])

	j = fed.wait(count, 4*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
	if j.State != state.StateCompleted || j.ExitString() != "0:0" || j.RestartCount != 1 || j.NodeList != other {
		t.Errorf("count job %s: %s %s, restarts %d, on %q; want COMPLETED 0:0 after 1 restart, on %s", count, j.State, j.ExitString(), j.RestartCount, j.NodeList, other)
	}
	if len(j.Runs) != 1 || j.Runs[0].NodeList != node || j.Runs[0].State != state.StatePreempted {
		t.Errorf("count job %s's earlier runs: %+v, want one PREEMPTED run on %s", count, j.Runs, node)
	}
	out := fed.fetched(count, "count-"+count+".out")
	rm := regexp.MustCompile(`(?m)^run 2 on (\S+): starting at (\d+)$`).FindStringSubmatch(out)
	if rm == nil {
		t.Fatalf("count job's output shows no second run:\n%s", out)
	}
	if n, _ := strconv.Atoi(rm[2]); rm[1] != other || n < committed || n == 0 {
		t.Errorf("count job's second run on %s started at %s, want on %s from the checkpoint (at least %d):\n%s", rm[1], rm[2], other, committed, out)
	}
	for _, want := range []string{fmt.Sprintf("run 1 on %s: starting at 0\n", node), "run 1: USR1 at ", "run 2: done at "} {
		if !strings.Contains(out, want) {
			t.Errorf("count job's output lacks %q:\n%s", want, out)
		}
	}

	// Slurm: the pilot ended by itself, before its time limit.
	f := pilot.waitEnded(t, 3*time.Minute)
	if f["JobState"] != "COMPLETED" || f["ExitCode"] != "0:0" {
		t.Errorf("Slurm job %s (the pilot): %s %s (states %v), want COMPLETED 0:0, not TIMEOUT", pilot.id, f["JobState"], f["ExitCode"], pilot.history())
	}
	b, err := os.ReadFile(pilot.output)
	if err != nil {
		t.Fatal(err)
	}
	dm := regexp.MustCompile(`(?m)directory (\S+);`).FindStringSubmatch(string(b))
	for _, want := range []string{"pilot done: left after USR1; agent exit status 0\n", "removed "} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the pilot's output lacks %q:\n%s", want, b)
		}
	}
	if dm == nil {
		t.Errorf("the pilot's output names no directory:\n%s", b)
	} else if _, err := os.Stat(dm[1]); !os.IsNotExist(err) {
		t.Errorf("the pilot's directory %s is still there (%v)", dm[1], err)
	}

	// The federation: the node left under its donor.
	d, err := fed.api.Donor(ctx, donorName)
	if err != nil {
		t.Fatal(err)
	}
	var left bool
	for _, n := range d.Nodes {
		left = left || n.NodeName == node && !n.Left.IsZero()
	}
	if !left {
		t.Errorf("donor %s's nodes %+v: want %s, left", donorName, d.Nodes, node)
	}
	t.Logf("the pilot in Slurm: %v; its output:\n%s", pilot.history(), b)
	t.Logf("count job %s's output:\n%s", count, out)

	// The second pilot, with the used token.
	again.waitStarted(t, 10*time.Minute)
	f = again.waitEnded(t, 2*time.Minute)
	b, _ = os.ReadFile(again.output)
	if f["JobState"] != "FAILED" || f["ExitCode"] != "1:0" || !strings.Contains(string(b), "join_token_used") ||
		!strings.Contains(string(b), "pilot done: the agent ended by itself; exit status 1\n") {
		t.Errorf("a second pilot with the used token: %s %s, want FAILED 1:0 saying join_token_used and the agent's exit status; its output:\n%s", f["JobState"], f["ExitCode"], b)
	}
	if dm := regexp.MustCompile(`(?m)directory (\S+);`).FindStringSubmatch(string(b)); dm == nil {
		t.Errorf("the second pilot's output names no directory:\n%s", b)
	} else if _, err := os.Stat(dm[1]); !os.IsNotExist(err) {
		t.Errorf("the second pilot's directory %s is still there (%v)", dm[1], err)
	}
}
