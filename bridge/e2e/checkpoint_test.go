package e2e

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// nodeKeyAttr is the node attribute that publishes the driver's receipt
// key (drivers/taskdriver.AttrNodeKey; the e2e tests do not link the
// driver).
const nodeKeyAttr = "driver.hpcbridge.node_key"

// runAlloc is what Nomad knows of a running run of a job: the task config
// it was given and where it runs.
type runAlloc struct {
	token   string // the task config's run_token
	alloc   *nomadapi.Allocation
	gpus    []string
	started time.Time
}

// liveRun finds the running allocation of job id's run (its restart count)
// and the run token in its task config.
func liveRun(t *testing.T, nc *nomadapi.Client, id string, run int) runAlloc {
	t.Helper()
	var ra runAlloc
	eventually(t, fmt.Sprintf("job %s run %d's allocation running", id, run), time.Minute, func() error {
		jobs, _, err := nc.Jobs().List(&nomadapi.QueryOptions{Prefix: nomadexec.JobPrefix + id})
		if err != nil {
			return err
		}
		for _, stub := range jobs {
			if stub.ID != nomadexec.JobPrefix+id && !strings.HasPrefix(stub.ID, nomadexec.JobPrefix+id+"-") {
				continue
			}
			nj, _, err := nc.Jobs().Info(stub.ID, nil)
			if err != nil {
				return err
			}
			cfg := nj.TaskGroups[0].Tasks[0].Config
			if fmt.Sprint(cfg["run"]) != strconv.Itoa(run) {
				continue
			}
			tok, _ := cfg["run_token"].(string)
			if tok == "" {
				return fmt.Errorf("Nomad job %s's task config has no run_token: %v", stub.ID, cfg)
			}
			allocs, _, err := nc.Jobs().Allocations(stub.ID, false, nil)
			if err != nil {
				return err
			}
			for _, as := range allocs {
				if as.ClientStatus != nomadapi.AllocClientStatusRunning {
					continue
				}
				a, _, err := nc.Allocations().Info(as.ID, nil)
				if err != nil {
					return err
				}
				ts := a.TaskStates[nomadexec.TaskName]
				if ts == nil || ts.StartedAt.IsZero() {
					return fmt.Errorf("allocation %s has not started its task", a.ID)
				}
				ra = runAlloc{token: tok, alloc: a, started: ts.StartedAt}
				if tr := a.AllocatedResources.Tasks[nomadexec.TaskName]; tr != nil {
					for _, dv := range tr.Devices {
						ra.gpus = append(ra.gpus, dv.DeviceIDs...)
					}
				}
				return nil
			}
			return fmt.Errorf("Nomad job %s has no running allocation", stub.ID)
		}
		return fmt.Errorf("no Nomad job of run %d of job %s", run, id)
	})
	return ra
}

// nodePrivateKey finds the private key behind Nomad node nodeID's
// published receipt key among the node.key files under dirs (and the
// driver's default path).
func nodePrivateKey(t *testing.T, nc *nomadapi.Client, nodeID string, dirs ...string) ed25519.PrivateKey {
	t.Helper()
	node, _, err := nc.Nodes().Info(nodeID, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := node.Attributes[nodeKeyAttr]
	if pub == "" {
		t.Fatalf("node %s publishes no %s", node.Name, nodeKeyAttr)
	}
	candidates := []string{"/var/lib/hpcbridge-driver/node.key"}
	for _, dir := range dirs {
		filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err == nil && e.Type().IsRegular() && e.Name() == "node.key" {
				candidates = append(candidates, p)
			}
			return nil
		})
	}
	for _, p := range candidates {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		k, err := receipt.LoadOrCreateKey(p)
		if err == nil && receipt.EncodeKey(k.Public().(ed25519.PublicKey)) == pub {
			return k
		}
	}
	t.Fatalf("no node.key among %v is node %s's (%s)", candidates, node.Name, pub)
	return nil
}

// forgedReceipts: with a run's own token (what a job that stole it could
// use), receipts signed by a key that is not the node's, naming a
// checkpoint the store does not hold, for another job, or claiming again
// the interval of the previous receipt are refused and logged; a receipt
// signed with the node's real key that claims more time, GPUs and CPUs than
// Nomad observed is committed clamped, and the clamp is recorded in the
// receipts.
func forgedReceipts(d *donorDev) {
	t := d.t
	sub := d.in("forge")
	id := sub.submit("--gres=gpu:1", "-o", "forge-%j.out", sub.script("forge.sh", `#!/bin/bash
echo 1 >state
# Retried: this test is about forged receipts, not about the first one.
until hpcbridge checkpoint; do sleep 1; done
echo committed
sleep 600
`))
	t.Cleanup(func() { sub.run("scancel", id) })
	sub.waitCheckpoints(id, 1, 3*time.Minute)
	ra := liveRun(t, d.nomad, id, 0)
	key := nodePrivateKey(t, d.nomad, ra.alloc.NodeID, d.dataDir)
	f := d.files(id)
	if len(f.Checkpoints) != 1 {
		t.Fatalf("job %s's checkpoints: %+v, want 1", id, f.Checkpoints)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The run token as any job can read it from the Nomad job spec: alone
	// (not signed by the node that runs the job) it is refused.
	stolen := client(t, addrOf(sub.env), ra.token)
	if _, err := stolen.JobFiles(ctx, id); !api.IsCode(err, api.CodePermissionDenied) {
		t.Errorf("the run token from the Nomad job spec, unsigned: %v, want permission_denied", err)
	}
	// With the node's key, as the node's driver sends it.
	runClient, err := api.NewClient(&api.Config{Address: addrOf(sub.env), Token: ra.token,
		Signer: &api.RunSigner{NodeID: ra.alloc.NodeID, AllocID: ra.alloc.ID, Key: key}})
	if err != nil {
		t.Fatal(err)
	}
	// The next receipt's interval starts where the committed one's ended
	// (at most its commit time) and ends now.
	prev := f.Checkpoints[0].Time
	eventually(t, "a second past the first checkpoint", 10*time.Second, func() error {
		if time.Since(prev) < time.Second {
			return fmt.Errorf("committed at %v", prev)
		}
		return nil
	})
	now := time.Now()
	honest := receipt.Receipt{
		Version: receipt.Version, JobID: mustUint(t, id), Run: 0, Seq: 2,
		Node: ra.alloc.NodeName, NodeID: ra.alloc.NodeID, AllocID: ra.alloc.ID,
		GPUs: ra.gpus, CPUs: 1, Start: prev, End: now,
		Digest: f.Checkpoints[0].Digest, Size: f.Checkpoints[0].Size, Trigger: receipt.TriggerCommand,
	}
	send := func(r receipt.Receipt, k ed25519.PrivateKey) (*api.CheckpointReply, error) {
		s, err := receipt.Sign(&r, k)
		if err != nil {
			t.Fatal(err)
		}
		return runClient.Checkpoint(ctx, id, s)
	}
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	if rep, err := send(honest, stranger); err == nil {
		t.Errorf("a receipt signed by a key that is not the node's was committed: %+v", rep)
	}
	unknown := honest
	sum := sha256.Sum256([]byte("a checkpoint nobody uploaded " + now.String()))
	unknown.Digest = "sha256:" + hex.EncodeToString(sum[:])
	if rep, err := send(unknown, key); err == nil {
		t.Errorf("a receipt for a checkpoint not in the store was committed: %+v", rep)
	}
	other := honest
	other.JobID++
	if rep, err := send(other, key); err == nil {
		t.Errorf("a receipt for another job, with this job's run token, was committed: %+v", rep)
	}
	twice := honest // claims again the work receipt 1 was credited for
	twice.Start = ra.started.Add(-2 * time.Hour)
	if rep, err := send(twice, key); err == nil {
		t.Errorf("a receipt starting before the previous one's end (work claimed twice) was committed: %+v", rep)
	}
	inflated := honest
	inflated.End = now.Add(2 * time.Hour)
	inflated.GPUs = append(slices.Clip(ra.gpus), "GPU-00000000-0000-0000-0000-00000000f00d", "GPU-00000000-0000-0000-0000-00000000beef")
	inflated.CPUs = 64
	rep, err := send(inflated, key)
	if err != nil {
		t.Fatalf("the node's own receipt claiming too much: %v, want committed clamped", err)
	}
	observed := time.Since(prev) + 5*time.Second
	if !rep.Clamped || rep.Note == "" || rep.Seq != 2 || rep.GPUSeconds > int64(observed/time.Second)*int64(len(ra.gpus)) {
		t.Errorf("inflated receipt (2 h into the future, %d GPUs, 64 CPUs claimed; %v and %d GPUs observed): %+v, want clamped with a note, seq 2, at most %d GPU-seconds",
			len(inflated.GPUs), observed.Round(time.Second), len(ra.gpus), rep, int64(observed/time.Second)*int64(len(ra.gpus)))
	}

	// Recorded: two receipts (the job's own and the clamped one), the
	// clamp with its note; the refused ones are not there.
	code, b := d.apiCall(d.token, "GET", "/v1/receipts?job="+id, nil)
	if code != http.StatusOK {
		t.Fatalf("GET /v1/receipts?job=%s: %d %s", id, code, b)
	}
	var recs []map[string]any
	if err := json.Unmarshal(b, &recs); err != nil {
		var wrapped struct{ Receipts []map[string]any }
		if json.Unmarshal(b, &wrapped) != nil {
			t.Fatalf("GET /v1/receipts: %s", b)
		}
		recs = wrapped.Receipts
	}
	if len(recs) != 2 || !strings.Contains(string(b), rep.Note) {
		t.Errorf("receipts of job %s: %s; want the two committed, the clamp's note %q among them", id, b, rep.Note)
	}
	if out := sub.must("hpcbridge", "receipts", "--job", id); !strings.Contains(strings.ToLower(out), "clamp") {
		t.Errorf("hpcbridge receipts --job %s does not show the clamp:\n%s", id, out)
	}
	// Logged, each refusal with its job.
	eventually(t, "the refusals in the coordinator's log", 30*time.Second, func() error {
		n := 0
		for _, line := range strings.Split(d.log.String(), "\n") {
			l := strings.ToLower(line)
			if strings.Contains(l, "receipt") && strings.Contains(l, "refuse") {
				n++
			}
		}
		if n < 4 {
			return fmt.Errorf("%d log lines on refused receipts, want 4", n)
		}
		return nil
	})
}

// firstSecondCheckpoint: a job that commits a checkpoint as soon as it
// starts, before Nomad's servers have heard from the client that its task
// started, gets it committed (an honest node's receipt is not refused for
// the servers' lag), and `hpcbridge checkpoint` returns 0.
func firstSecondCheckpoint(d *donorDev) {
	t := d.t
	sub := d.in("first")
	id := sub.submit("-o", "first-%j.out", sub.script("first.sh", `#!/bin/bash
echo 1 >state
if hpcbridge checkpoint; then echo committed; else echo "not committed: $?"; fi
`))
	j := sub.wait(id, 3*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
	out := sub.fetched(id, "first-"+id+".out")
	if j.State != state.StateCompleted || !strings.HasSuffix(out, "committed\n") || strings.Contains(out, "not committed") {
		t.Errorf("job %s (%s): its checkpoint in its first second was not committed:\n%s", id, j.State, out)
	}
	if f := d.files(id); len(f.Checkpoints) != 1 {
		t.Errorf("job %s's checkpoints: %+v, want 1", id, f.Checkpoints)
	}
}

// addrOf is the coordinator address in a command environment.
func addrOf(env []string) string {
	addr := ""
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, api.EnvAddress+"="); ok {
			addr = v
		}
	}
	return addr
}

func mustUint(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestDonorNodesGoAway runs gpu-train-checkpoint.sh on a staged partition
// of a Nomad server with three clients (fake GPUs, each its own receipt
// key), and takes its node away mid-run twice: once with an ordinary
// `nomad node drain` (the donor's own tool: the job gets its USR1 at once,
// checkpoints and is requeued), once by killing the node's client outright
// (no signal reaches the job, nothing more leaves the node: the run ends
// NODE_FAIL). Each time the job completes on another node from the last
// checkpoint committed before its node went.
func TestDonorNodesGoAway(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	nomadtest.Require(t)
	binDir, plugins := buildGPUTools(t)
	srv := nomadtest.StartServer(t, nomadagent.Config{HeartbeatTTL: time.Second})
	const n = 3
	var clients []*nomadagent.Agent
	for i := range n {
		// Each node its own receipt key (the default path is one per machine).
		drv := driverPlugin()
		drv.Config["node_key_file"] = filepath.Join(t.TempDir(), "node.key")
		clients = append(clients, nomadtest.StartClient(t, srv, nomadagent.Config{
			Name: devNodeNames[i], Hostname: devNodeNames[i], Dir: searchableDir(t), PluginDir: plugins,
			Plugins: []nomadagent.Plugin{drv, fakeGPUPlugin("a100", 1, "away-"+devNodeNames[i])}, Drivers: []string{nomadexec.DriverName},
			DynamicPorts: nomadagent.DynamicPortRange(i, n),
		}))
	}
	for _, c := range clients {
		nodeGPUs(t, srv.API(), c.NodeID(), 1)
	}
	st := startStack(t, binDir, plugins, srv, "--partition-map", "debug=files:staged")
	t.Cleanup(func() {
		if t.Failed() {
			logAllocLogs(t, clients...)
		}
	})
	gone := map[string]bool{} // nodes drained or killed: no longer eligible
	// away runs the example, takes its node away with take once it has
	// committed 3 checkpoints, and checks the job resumed elsewhere.
	away := func(t *testing.T, name string, take func(*nomadagent.Agent), failed state.JobState) {
		sub := st.on(t).in(name)
		sub.copyExamples("gpu-train-checkpoint.sh")
		id := sub.submit("gpu-train-checkpoint.sh", strconv.Itoa(trainEpochs))
		j := sub.waitCheckpoints(id, 3, 3*time.Minute)
		first := j.NodeList
		var victim *nomadagent.Agent
		for _, c := range clients {
			if c.Name() == first {
				victim = c
			}
		}
		if victim == nil || gone[first] {
			t.Fatalf("job %s runs on %q: not a client still eligible (gone: %v)", id, first, gone)
		}
		// What was committed before; one more may land while it goes.
		committed := sub.checkpoints(id)
		gone[first] = true
		take(victim)

		j = sub.wait(id, 5*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
		second := j.NodeList
		if j.State != state.StateCompleted || j.ExitString() != "0:0" || j.RestartCount != 1 || second == first || gone[second] {
			t.Errorf("job %s: %s %s, restarts %d, on %q; want COMPLETED 0:0 after 1 restart on a node other than %v", id, j.State, j.ExitString(), j.RestartCount, second, gone)
		}
		if len(j.Runs) != 1 || j.Runs[0].NodeList != first || (j.Runs[0].State != failed && !(failed == state.StatePreempted && j.Runs[0].State == state.StateRequeued)) {
			t.Errorf("job %s's earlier runs: %+v, want one %s run on %s", id, j.Runs, failed, first)
		}
		into := filepath.Join(sub.work, "out")
		sub.must("hpcbridge", "fetch", id, "--into", into)
		b, err := os.ReadFile(filepath.Join(into, "train-ckpt-"+id+".out"))
		if err != nil {
			t.Fatalf("hpcbridge fetch %s: %v", id, err)
		}
		e := sub.trainResumed(string(b), id, first, second, committed)
		t.Logf("job %s: node %s taken away after %d checkpoints; resumed from epoch %d on %s", id, first, committed, e, second)
	}
	t.Run("nomad node drain", func(t *testing.T) {
		away(t, "drain", func(a *nomadagent.Agent) {
			if _, err := srv.API().Nodes().UpdateDrain(a.NodeID(), &nomadapi.DrainSpec{Deadline: time.Minute}, false, nil); err != nil {
				t.Fatal(err)
			}
		}, state.StatePreempted)
	})
	t.Run("node killed", func(t *testing.T) {
		away(t, "kill", func(a *nomadagent.Agent) { a.Kill() }, state.StateNodeFail)
	})
}

// TestCheckpointsSurviveLeaderKill runs three coordinators on one Nomad
// agent; a job commits a checkpoint every half second (each a receipt)
// while the leader is SIGKILLed. Afterwards every server, the killed one
// restarted included, holds the same receipts, numbered 1..N in each run
// without a gap or a duplicate, at least one per commit the job saw
// succeed; the job then exits 85 (a last commit) and its second run, started
// by the new leader, resumes from that checkpoint (its blobs are on the
// surviving servers: the partition is staged, the node never reads the
// submit directory).
func TestCheckpointsSurviveLeaderKill(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	nomadtest.Require(t)
	binDir, plugins := buildTools(t)
	agent := nomadtest.StartDev(t, nomadagent.Config{Dir: searchableDir(t), PluginDir: plugins, Plugins: []nomadagent.Plugin{driverPlugin()}, Drivers: []string{nomadexec.DriverName}})
	bin := filepath.Join(binDir, "hpcbridge")
	servers := []*server{newServer(t, bin), newServer(t, bin), newServer(t, bin)}
	t.Cleanup(func() {
		if t.Failed() {
			for i, s := range servers {
				t.Logf("coordinator %d log:\n%s", i, s.logTail())
			}
			logAllocLogs(t, agent)
		}
		for _, s := range servers {
			s.kill(syscall.SIGKILL)
		}
	})
	flags := []string{"--nomad-addr", agent.Addr(), "--kill-wait", "3s", "--partition", "debug", "--partition-map", "debug=files:staged"}
	servers[0].start(nil, append([]string{"--bootstrap"}, flags...)...)
	token := bootstrapToken(t, servers[0].url())
	for _, s := range servers[1:] {
		s.start([]string{api.EnvToken + "=" + token}, append([]string{"--join", servers[0].url()}, flags...)...)
	}
	waitVoters(t, servers[0], token, 3)
	st := &stack{t: t, binDir: binDir, plugins: plugins, agent: agent, token: token, work: sharedDir(t)}
	st.use(servers[0])

	const commits = 30
	id := st.submit("-o", "lk-%j.out", "--open-mode=append", st.script("lk.sh", fmt.Sprintf(`#!/bin/bash
if [ -s state ]; then
	echo "resumed from $(cat state) (run $((SLURM_RESTART_COUNT + 1)))"
	exit 0
fi
for i in $(seq 1 %d); do
	echo "$i" >state.tmp && mv state.tmp state
	if hpcbridge checkpoint; then echo "committed $i"; else echo "commit $i failed"; fi
	sleep 0.5
done
exit 85
`, commits)))
	receiptsOf := func(s *server) ([]receiptRow, error) {
		return listReceipts(context.Background(), s.url(), token, id)
	}
	eventually(t, "3 receipts before the kill", 3*time.Minute, func() error {
		rs, err := receiptsOf(servers[0])
		if err != nil || len(rs) < 3 {
			return fmt.Errorf("%d receipts, %v", len(rs), err)
		}
		return nil
	})
	ctx := context.Background()
	dead, err := leaderOf(ctx, t, servers, token)
	if err != nil {
		t.Fatal(err)
	}
	servers[dead].kill(syscall.SIGKILL)
	var leader int
	eventually(t, "a new leader", time.Minute, func() error {
		leader, err = leaderOf(ctx, t, servers, token)
		return err
	})
	st.use(servers[leader])
	j := st.wait(id, 5*time.Minute, "ended after its second run", func(j *state.Job) bool { return j.State.Terminal() })
	if j.State != state.StateCompleted || j.RestartCount != 1 {
		t.Errorf("job %s: %s %s, restarts %d; want COMPLETED after 1 restart (exit 85)", id, j.State, j.ExitString(), j.RestartCount)
	}
	into := filepath.Join(st.work, "out")
	st.must("hpcbridge", "fetch", id, "--into", into)
	b, err := os.ReadFile(filepath.Join(into, "lk-"+id+".out"))
	if err != nil {
		t.Fatalf("hpcbridge fetch %s: %v", id, err)
	}
	out := string(b)
	ok := len(regexp.MustCompile(`(?m)^committed \d+$`).FindAllString(out, -1))
	last := ""
	if m := regexp.MustCompile(`(?m)^committed (\d+)$`).FindAllStringSubmatch(out, -1); len(m) > 0 {
		last = m[len(m)-1][1]
	}
	// Exit 85 committed the last state, whatever the commits before it.
	if want := fmt.Sprintf("resumed from %d (run 2)", commits); !strings.Contains(out, want) {
		t.Errorf("job %s's output lacks %q (the last commit it saw succeed: %s):\n%s", id, want, last, out)
	}

	servers[dead].start(nil, flags...)
	// Every server, the restarted one included, ends with the same
	// receipts: compared across all of them at once, since a server
	// still catching up may list fewer for a while.
	var want []receiptRow
	eventually(t, "every coordinator's receipts", time.Minute, func() error {
		want = nil
		for i, s := range servers {
			rs, err := receiptsOf(s)
			if err != nil {
				return fmt.Errorf("coordinator %d: %w", i, err)
			}
			if len(rs) < ok {
				return fmt.Errorf("coordinator %d: %d receipts, the job saw %d commits succeed", i, len(rs), ok)
			}
			next := map[int]int{} // run -> its next seq
			for _, r := range rs {
				next[r.Run]++
				if r.Seq != next[r.Run] || r.Job != mustUint(t, id) {
					return fmt.Errorf("coordinator %d: receipt job %d run %d seq %d, want job %s seq %d (no gap, no duplicate): %+v", i, r.Job, r.Run, r.Seq, id, next[r.Run], rs)
				}
			}
			if i == 0 {
				want = rs
			} else if !slices.Equal(rs, want) {
				return fmt.Errorf("coordinator %d's receipts %+v, coordinator 0 has %+v", i, rs, want)
			}
		}
		return nil
	})
	t.Logf("killed coordinator %d mid-run; %d commits succeeded in the job, %d receipts on every server", dead, ok, len(want))
}

// receiptRow is one receipt as GET /v1/receipts lists it, in the fields
// the leader-kill test compares.
type receiptRow struct {
	Job    uint64 `json:"job_id"`
	Run    int    `json:"run"`
	Seq    int    `json:"seq"`
	Node   string `json:"node"`
	Digest string `json:"digest"`
}

// listReceipts lists job id's receipts from the server at url, sorted by
// run and seq.
func listReceipts(ctx context.Context, url, token, id string) ([]receiptRow, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url+"/v1/receipts?job="+id, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(api.HeaderToken, token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(res.Body).Decode(&raw); err != nil || res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /v1/receipts: %d %s %v", res.StatusCode, raw, err)
	}
	var rows []receiptRow
	if err := json.Unmarshal(raw, &rows); err != nil {
		var wrapped struct{ Receipts []receiptRow }
		if err := json.Unmarshal(raw, &wrapped); err != nil {
			return nil, fmt.Errorf("GET /v1/receipts: %s: %v", raw, err)
		}
		rows = wrapped.Receipts
	}
	slices.SortFunc(rows, func(a, b receiptRow) int {
		if a.Run != b.Run {
			return a.Run - b.Run
		}
		return a.Seq - b.Seq
	})
	return rows, nil
}
