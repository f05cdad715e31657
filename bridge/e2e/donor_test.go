package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
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
	"github.com/hpcbridge/hpcbridge/internal/roottest"
	"github.com/hpcbridge/hpcbridge/internal/wallet"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// The donor test (issue 14): a second machine, a Nomad client started by
// `hpcbridge agent` with a join token (on loopback, its own data dir and
// ports), joins the federation as donor "uni-b" and runs its jobs
// sandboxed; the federation's own node "home" takes what it gives back.

// donorNode is the name the agent's node joins as.
const donorNode = "uni-b-1"

// agentBanner starts the last line of the banner `hpcbridge agent` prints,
// in one write, once its node is ready.
const agentBanner = "Ctrl-C or SIGTERM leaves:"

// agentProc is one `hpcbridge agent` process of the test.
type agentProc struct {
	t       *testing.T
	cmd     *exec.Cmd
	log     *lockedLog
	running chan struct{} // closed at the banner
	exited  chan struct{} // closed once it exited; err is then set
	err     error
}

// agentCmd is `hpcbridge agent` with the test's coordinator, the donor
// token in its environment (not argv), fake GPUs and args added.
func agentCmd(st *stack, nomadBin, joinToken string, args ...string) *exec.Cmd {
	full := append([]string{"agent", "--coordinator", st.srv.url(), "--plugin-dir", st.plugins,
		"--gpu-backend", "fake", "--fake-gpus", "1", "--fake-gpu-model", "a100", "--leave-deadline", "60s"}, args...)
	cmd := exec.Command(filepath.Join(st.binDir, "hpcbridge"), full...)
	cmd.Env = append(os.Environ(), nomadagent.EnvBinary+"="+nomadBin, "HOME="+st.t.TempDir())
	if joinToken != "" {
		cmd.Env = append(cmd.Env, "HPCBRIDGE_JOIN_TOKEN="+joinToken)
	}
	return cmd
}

// startAgent starts an agent and waits for its banner. The test's cleanup
// stops it (SIGTERM: it leaves) if it still runs.
func startAgent(t *testing.T, cmd *exec.Cmd) *agentProc {
	t.Helper()
	p := &agentProc{t: t, cmd: cmd, log: &lockedLog{}, running: make(chan struct{}), exited: make(chan struct{})}
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.exited)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		seen := false
		for sc.Scan() {
			p.log.Add(sc.Text() + "\n")
			if !seen && strings.HasPrefix(sc.Text(), agentBanner) {
				seen = true
				close(p.running)
			}
		}
		io.Copy(io.Discard, pipe)
		p.err = cmd.Wait()
	}()
	t.Cleanup(func() {
		p.stop(3 * time.Minute)
		if t.Failed() {
			t.Logf("hpcbridge agent %v:\n%s", cmd.Args[1:], tail(p.log.String(), 80))
		}
	})
	select {
	case <-p.running:
	case <-p.exited:
		t.Fatalf("hpcbridge agent exited (%v):\n%s", p.err, p.log.String())
	case <-time.After(4 * time.Minute):
		t.Fatalf("hpcbridge agent did not start in 4 minutes:\n%s", p.log.String())
	}
	return p
}

// stop sends SIGTERM (the agent leaves) and waits up to within for it to
// exit, then kills it. It returns the exit error (nil: status 0).
func (p *agentProc) stop(within time.Duration) error {
	select {
	case <-p.exited:
		return p.err
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(within):
		p.t.Errorf("hpcbridge agent did not exit %v after SIGTERM; killing it", within)
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	return p.err
}

// runAgentOnce runs an agent that must fail before it starts Nomad, and
// returns its output and exit code.
func runAgentOnce(t *testing.T, cmd *exec.Cmd) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	c.Env = cmd.Env
	out, err := c.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		t.Fatalf("hpcbridge agent %v succeeded:\n%s", cmd.Args[1:], out)
	case !errors.As(err, &ee):
		t.Fatalf("hpcbridge agent %v: %v\n%s", cmd.Args[1:], err, out)
	}
	return string(out), ee.ExitCode()
}

// registerDonor registers donor name with a new wallet (its proof signed
// over the coordinator's challenge) and returns a donor-admin client.
func registerDonor(t *testing.T, st *stack, name string) *api.Client {
	t.Helper()
	ctx := context.Background()
	key, err := wallet.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	addr := wallet.Address(key)
	ch, err := st.api.DonorChallenge(ctx, name, addr)
	if err != nil {
		t.Fatalf("donor challenge %s: %v", name, err)
	}
	if _, err := st.api.DonorRegister(ctx, &api.DonorRegisterRequest{Name: name, Wallet: addr,
		Signature: wallet.EncodeSignature(wallet.Sign(ch.Message, key)), Issued: ch.Issued}); err != nil {
		t.Fatalf("donor register %s: %v", name, err)
	}
	tok, err := st.api.ACLCreateToken(ctx, &api.ACLTokenRequest{Name: name + " admin", Type: state.TokenDonorAdmin, Donor: name})
	if err != nil {
		t.Fatalf("donor-admin token for %s: %v", name, err)
	}
	return client(t, st.srv.url(), tok.SecretID)
}

// nomadNode is the Nomad node called name (nil while there is none).
func nomadNode(t *testing.T, nc *nomadapi.Client, name string) *nomadapi.Node {
	t.Helper()
	nodes, _, err := nc.Nodes().List(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.Name == name {
			info, _, err := nc.Nodes().Info(n.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			return info
		}
	}
	return nil
}

// wantStatus fails unless err is an API error with HTTP status code.
func wantStatus(t *testing.T, what string, err error, code int) {
	t.Helper()
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Status != code {
		t.Errorf("%s: %v, want HTTP %d", what, err, code)
	}
}

// TestDonorAgentJoins is issue 14's donor machine: `hpcbridge agent
// --join` brings a Nomad client of donor uni-b into the federation (a
// Nomad server, a coordinator with a staged partition, and the node
// "home" of the federation itself); a job pinned to it runs sandboxed and
// earns the donor credit (donor show); a used, an expired and an unknown
// join token are refused with their codes; uni-a's admin cannot reclaim
// uni-b's node while uni-b's can; stopping the agent makes the job running
// there checkpoint and resume on home, and the agent exit 0; started again
// it joins again with its key, the same node, without a token.
func TestDonorAgentJoins(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	nomadtest.Require(t)
	roottest.Require(t, "the agent's driver runs jobs in sandboxes (dynamic uids, mount namespaces)")
	nomadBin, err := nomadagent.Binary()
	if err != nil {
		t.Skip(err)
	}
	binDir, plugins := buildGPUTools(t)
	srv := nomadtest.StartServer(t, nomadagent.Config{HeartbeatTTL: time.Second})
	drv := driverPlugin()
	drv.Config["node_key_file"] = filepath.Join(t.TempDir(), "node.key")
	home := nomadtest.StartClient(t, srv, nomadagent.Config{
		Name: "home", Hostname: "home", Dir: searchableDir(t), PluginDir: plugins,
		Plugins: []nomadagent.Plugin{drv, fakeGPUPlugin("a100", 1, "home")}, Drivers: []string{nomadexec.DriverName},
		DynamicPorts: nomadagent.DynamicPortRange(1, 2),
	})
	nodeGPUs(t, srv.API(), home.NodeID(), 1)
	st := startStack(t, binDir, plugins, srv, "--partition-map", "debug=files:staged", "--join-nomad-servers", srv.RPCAddr())
	ctx := context.Background()

	adminA := registerDonor(t, st, "uni-a")
	adminB := registerDonor(t, st, "uni-b")
	jt, err := adminB.JoinTokenCreate(ctx, "uni-b", "10m")
	if err != nil {
		t.Fatalf("join token: %v", err)
	}
	short, err := adminB.JoinTokenCreate(ctx, "uni-b", "1s")
	if err != nil {
		t.Fatalf("join token: %v", err)
	}
	if _, err := adminA.JoinTokenCreate(ctx, "uni-b", "10m"); err == nil {
		t.Error("uni-a's admin made a join token for uni-b")
	}

	agentDir := filepath.Join(searchableDir(t), "agent")
	agent := startAgent(t, agentCmd(st, nomadBin, jt.Secret, "--data-dir", agentDir, "--name", donorNode))
	out := agent.log.String()
	for _, want := range []string{"joined donor uni-b as node " + donorNode, filepath.Join(agentDir, "nomad", "agent.hcl"), "*** FAKE GPUs"} {
		if !strings.Contains(out, want) {
			t.Errorf("the agent's output lacks %q:\n%s", want, out)
		}
	}
	hcl, err := os.ReadFile(filepath.Join(agentDir, "nomad", "agent.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sandbox = true", `node_key_file = "` + filepath.Join(agentDir, "node.key") + `"`, `"hpcbridge.donor" = "uni-b"`, srv.RPCAddr()} {
		if !strings.Contains(string(hcl), want) {
			t.Errorf("agent.hcl lacks %q:\n%s", want, hcl)
		}
	}
	node := nomadNode(t, srv.API(), donorNode)
	if node == nil || node.Meta[api.MetaDonor] != "uni-b" || node.Meta[api.MetaAgentVersion] == "" {
		t.Fatalf("Nomad node %s: %+v, want meta %s=uni-b and the agent's version", donorNode, node, api.MetaDonor)
	}
	if node.Attributes["driver.hpcbridge.sandbox"] != "true" {
		t.Errorf("node %s's driver is not in sandbox mode: attributes %v", donorNode, node.Attributes)
	}
	nodeGPUs(t, srv.API(), node.ID, 1)
	nodeID := node.ID

	t.Run("join tokens refused", func(t *testing.T) {
		// A second agent on the same data dir while the first runs.
		if out, code := runAgentOnce(t, agentCmd(st, nomadBin, "", "--data-dir", agentDir)); code == 0 || !strings.Contains(out, "another hpcbridge agent runs") {
			t.Errorf("a second agent on the running one's data dir: exit %d:\n%s", code, out)
		}
		// The used token, the expired one and one never issued, each on
		// a new data dir.
		<-time.After(time.Until(short.Expires.Add(time.Second)))
		for _, c := range []struct{ secret, code string }{
			{jt.Secret, api.CodeJoinTokenUsed},
			{short.Secret, api.CodeJoinTokenExpired},
			{"hbj_" + strings.Repeat("A", 43), api.CodeJoinTokenInvalid},
		} {
			out, code := runAgentOnce(t, agentCmd(st, nomadBin, c.secret, "--data-dir", filepath.Join(t.TempDir(), "a"), "--name", "uni-b-2"))
			if code != 1 || !strings.Contains(out, c.code) || !strings.Contains(out, "HTTP 403") {
				t.Errorf("agent with a token that should be %s: exit %d:\n%s", c.code, code, out)
			}
		}
		d, err := st.api.Donor(ctx, "uni-b")
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Nodes) != 1 || d.Nodes[0].NodeName != donorNode {
			t.Errorf("uni-b's nodes: %+v, want %s alone", d.Nodes, donorNode)
		}
	})

	var sub *stack
	t.Run("a job runs on the donor node and earns credit", func(t *testing.T) {
		sub = st.on(t).in("donor")
		sub.copyExamples("gpu-train-checkpoint.sh")
		id := sub.submit("-w", donorNode, "gpu-train-checkpoint.sh", "4")
		j := sub.wait(id, 4*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
		if j.State != state.StateCompleted || j.NodeList != donorNode {
			t.Fatalf("job %s: %s %s on %q, want COMPLETED on %s\n%s", id, j.State, j.ExitString(), j.NodeList, donorNode, sub.fetched(id, "train-ckpt-"+id+".out"))
		}
		if out := sub.fetched(id, "train-ckpt-"+id+".out"); !strings.Contains(out, "training complete: 4 epochs") {
			t.Errorf("job %s's output:\n%s", id, out)
		}
		var sum *api.DonorSummary
		eventually(t, "uni-b's credit", time.Minute, func() error {
			s, err := adminB.DonorSummary(ctx, "uni-b", 0)
			if err != nil {
				return err
			}
			sum = s
			if len(s.Nodes) != 1 || s.Nodes[0].Name != donorNode || s.Credit.GPUSeconds <= 0 || s.Credit.Receipts <= 0 || s.Jobs.Jobs < 1 {
				return fmt.Errorf("nodes %+v, credit %+v, jobs %+v", s.Nodes, s.Credit, s.Jobs)
			}
			return nil
		})
		t.Logf("donor show uni-b: node %s %s, %d receipts, %d GPU-seconds credited, %d job(s)",
			sum.Nodes[0].Name, sum.Nodes[0].Status, sum.Credit.Receipts, sum.Credit.GPUSeconds, sum.Jobs.Jobs)
		show := sub.must("hpcbridge", "donor", "show", "uni-b")
		if !strings.Contains(show, donorNode) || !strings.Contains(show, "Credited") {
			t.Errorf("hpcbridge donor show uni-b lacks the node or its credit:\n%s", show)
		}
		_, err := adminA.DonorSummary(ctx, "uni-b", 0)
		wantStatus(t, "uni-a's admin reading uni-b's summary", err, http.StatusForbidden)
	})

	t.Run("only uni-b's admin reclaims its node", func(t *testing.T) {
		_, err := adminA.ReclaimNode(ctx, donorNode, "30s")
		wantStatus(t, "uni-a's admin reclaiming "+donorNode, err, http.StatusForbidden)
		if _, err := adminB.ReclaimNode(ctx, donorNode, "30s"); err != nil {
			t.Fatalf("uni-b's admin reclaiming %s: %v", donorNode, err)
		}
		// The reclaim takes the node out (ineligible); cancelled by
		// uni-b's admin (not uni-a's), it ends and the node is back.
		eventually(t, donorNode+" ineligible", time.Minute, func() error {
			if n := nomadNode(t, srv.API(), donorNode); n.SchedulingEligibility != nomadapi.NodeSchedulingIneligible {
				return fmt.Errorf("%s", n.SchedulingEligibility)
			}
			return nil
		})
		_, err = adminA.CancelReclaim(ctx, donorNode)
		wantStatus(t, "uni-a's admin cancelling the reclaim of "+donorNode, err, http.StatusForbidden)
		if _, err := adminB.CancelReclaim(ctx, donorNode); err != nil {
			t.Fatalf("uni-b's admin cancelling the reclaim of %s: %v", donorNode, err)
		}
		eventually(t, donorNode+" eligible again", time.Minute, func() error {
			if n := nomadNode(t, srv.API(), donorNode); n.SchedulingEligibility != nomadapi.NodeSchedulingEligible {
				return fmt.Errorf("%s", n.SchedulingEligibility)
			}
			return nil
		})
		key, err := receipt.LoadOrCreateKey(filepath.Join(agentDir, "node.key"))
		if err != nil {
			t.Fatal(err)
		}
		nodeClient := client(t, st.srv.url(), "")
		eventually(t, "the reclaim of "+donorNode+" ended", time.Minute, func() error {
			ls, err := nodeClient.NodeLeaveStatus(ctx, &api.NodeSigner{NodeName: donorNode, Key: key})
			if err != nil {
				return err
			}
			if ls.Reclaim != nil {
				return fmt.Errorf("reclaim %+v", ls.Reclaim)
			}
			return nil
		})
	})

	t.Run("stopping the agent moves its job home", func(t *testing.T) {
		if sub == nil {
			t.Skip("no submit directory")
		}
		// Only the donor node is eligible while the job is placed.
		if _, err := srv.API().Nodes().ToggleEligibility(home.NodeID(), false, nil); err != nil {
			t.Fatal(err)
		}
		sub := sub.on(t)
		id := sub.submit("gpu-train-checkpoint.sh", strconv.Itoa(trainEpochs))
		j := sub.waitCheckpoints(id, 3, 3*time.Minute)
		if _, err := srv.API().Nodes().ToggleEligibility(home.NodeID(), true, nil); err != nil {
			t.Fatal(err)
		}
		if j.NodeList != donorNode {
			t.Fatalf("job %s runs on %q, want %s", id, j.NodeList, donorNode)
		}
		committed := sub.checkpoints(id)
		t0 := time.Now()
		err := agent.stop(3 * time.Minute)
		out := agent.log.String()
		if err != nil || !strings.Contains(out, "==> leaving") || !strings.Contains(out, "left donor uni-b") {
			t.Errorf("the agent after SIGTERM: %v (want exit 0, having left) in %v:\n%s", err, time.Since(t0).Round(time.Second), tail(out, 20))
		}
		t.Logf("the agent left and exited in %v", time.Since(t0).Round(time.Second))
		j = sub.wait(id, 5*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
		if j.State != state.StateCompleted || j.RestartCount != 1 || j.NodeList != "home" {
			t.Errorf("job %s: %s %s, restarts %d, on %q; want COMPLETED after 1 restart on home", id, j.State, j.ExitString(), j.RestartCount, j.NodeList)
		}
		if len(j.Runs) != 1 || j.Runs[0].NodeList != donorNode || (j.Runs[0].State != state.StatePreempted && j.Runs[0].State != state.StateRequeued) {
			t.Errorf("job %s's earlier runs: %+v, want one PREEMPTED run on %s", id, j.Runs, donorNode)
		}
		into := filepath.Join(sub.work, "out-"+id)
		sub.must("hpcbridge", "fetch", id, "--into", into)
		b, err := os.ReadFile(filepath.Join(into, "train-ckpt-"+id+".out"))
		if err != nil {
			t.Fatalf("hpcbridge fetch %s: %v", id, err)
		}
		e := sub.trainResumed(string(b), id, donorNode, "home", committed)
		t.Logf("job %s: resumed on home from epoch %d after %s left", id, e, donorNode)
		d, err := st.api.Donor(ctx, "uni-b")
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Nodes) != 1 || d.Nodes[0].Left.IsZero() {
			t.Errorf("uni-b's nodes after the leave: %+v, want %s left", d.Nodes, donorNode)
		}
	})

	t.Run("started again it joins again as the same node", func(t *testing.T) {
		again := startAgent(t, agentCmd(st, nomadBin, "", "--data-dir", agentDir))
		if out := again.log.String(); !strings.Contains(out, "joined donor uni-b again") {
			t.Errorf("the restarted agent's output:\n%s", out)
		}
		if n := nomadNode(t, srv.API(), donorNode); n == nil || n.ID != nodeID {
			t.Errorf("node %s after the restart: %+v, want node %s", donorNode, n, nodeID)
		}
		eventually(t, donorNode+" eligible again", 30*time.Second, func() error {
			if n := nomadNode(t, srv.API(), donorNode); n.SchedulingEligibility != nomadapi.NodeSchedulingEligible {
				return fmt.Errorf("%s", n.SchedulingEligibility)
			}
			return nil
		})
		d, err := st.api.Donor(ctx, "uni-b")
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Nodes) != 1 || !d.Nodes[0].Left.IsZero() {
			t.Errorf("uni-b's nodes after the rejoin: %+v, want %s joined", d.Nodes, donorNode)
		}
		if err := again.stop(3 * time.Minute); err != nil {
			t.Errorf("the restarted agent after SIGTERM: %v\n%s", err, tail(again.log.String(), 20))
		}
	})
}
