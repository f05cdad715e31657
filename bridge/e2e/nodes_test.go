package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestSinfoShowsNomadNodes: sinfo and scontrol show node tell what Nomad
// knows about the node: idle with its cores, memory and features, mix and
// then alloc while jobs hold its CPUs, draining under a Nomad drain while
// they run, drained once they ended, idle again when the node is eligible.
func TestSinfoShowsNomadNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	nomadtest.Require(t)
	binDir, plugins := buildTools(t)
	agent := nomadtest.StartDev(t, nomadagent.Config{
		Dir: searchableDir(t), PluginDir: plugins, Plugins: []nomadagent.Plugin{driverPlugin()}, Drivers: []string{"hpcbridge"},
		Meta: map[string]string{"slurm_features": "avx2,ib"},
	})
	// gpu runs in a node pool the dev node is not in: it has no nodes.
	st := startStack(t, binDir, plugins, agent, "--partition", "gpu", "--partition-map", "gpu=pool:gpus") // debug, gpu
	nc := agent.API()
	info, _, err := nc.Nodes().Info(agent.NodeID(), nil)
	if err != nil {
		t.Fatal(err)
	}
	name, cores, mem := info.Name, int(info.NodeResources.Cpu.TotalCpuCores), info.NodeResources.Memory.MemoryMB

	// sinfoSays polls sinfo until its output is want.
	sinfoSays := func(want string, args ...string) {
		t.Helper()
		eventually(t, "sinfo "+strings.Join(args, " ")+" = "+strconv.Quote(want), time.Minute, func() error {
			out, err := st.run("sinfo", args...)
			if err != nil || out != want {
				return fmt.Errorf("%q (%v)", out, err)
			}
			return nil
		})
	}
	sinfoSays("PARTITION AVAIL  TIMELIMIT  NODES  STATE NODELIST\n" +
		fmt.Sprintf("debug*       up   infinite      1   idle %s\n", name) +
		"gpu          up   infinite      0    n/a \n")
	sinfoSays(fmt.Sprintf("%s %d %d avx2,ib 0/%d/0/%d idle\n", name, cores, mem, cores, cores), "-h", "-N", "-o", "%N %c %m %f %C %t")
	out := st.must("scontrol", "show", "node", name)
	for _, w := range []string{"NodeName=" + name + " ", fmt.Sprintf("CPUAlloc=0 CPUEfctv=%d CPUTot=%d", cores, cores),
		"AvailableFeatures=avx2,ib\n", fmt.Sprintf("RealMemory=%d AllocMem=0", mem), "State=IDLE ", "Partitions=debug \n"} {
		if !strings.Contains(out, w) {
			t.Errorf("scontrol show node lacks %q:\n%s", w, out)
		}
	}

	// Any valid token may list nodes; no token may not.
	user, err := st.api.ACLCreateToken(context.Background(), &api.ACLTokenRequest{Type: "client", User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if list, err := client(t, st.srv.url(), user.SecretID).Nodes(context.Background()); err != nil || len(list.Nodes) != 1 || list.Nodes[0].Name != name {
		t.Errorf("a user's node list: %+v, %v", list, err)
	}
	resp, err := http.Get(st.srv.url() + "/v1/nodes")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET /v1/nodes without a token: %s", resp.Status)
	}

	// One job on one CPU: mix (alloc on a one-core node).
	sleeper := st.script("sleeper.sh", "#!/bin/bash\nsleep 600\n")
	first := st.sbatch("-c", "1", "--mem=64M", sleeper)
	running := func(id string) {
		st.wait(id, 2*time.Minute, "running", func(j *state.Job) bool { return j.State == state.StateRunning && j.NodeList != "" })
	}
	running(first)
	ids := []string{first}
	if cores > 1 {
		sinfoSays(fmt.Sprintf("%s mix 1/%d/0/%d\n", name, cores-1, cores), "-h", "-N", "-o", "%N %t %C")
		// The rest of its CPUs: alloc.
		ids = append(ids, st.sbatch("-c", strconv.Itoa(cores-1), "--mem=64M", sleeper))
		running(ids[1])
	}
	sinfoSays(fmt.Sprintf("%s alloc %d/0/0/%d\n", name, cores, cores), "-h", "-N", "-o", "%N %t %C")

	// A Nomad drain with a deadline lets the batch jobs run: draining.
	if _, err := nc.Nodes().UpdateDrainOpts(info.ID, &nomadapi.DrainOptions{
		DrainSpec: &nomadapi.DrainSpec{Deadline: time.Hour},
		Meta:      map[string]string{"message": "maintenance window"},
	}, nil); err != nil {
		t.Fatal(err)
	}
	sinfoSays(fmt.Sprintf("%s drng draining maintenance window\n", name), "-h", "-N", "-o", "%N %t %T %E")
	out = st.must("scontrol", "show", "node", name)
	// The driver's run-as policy, as the node fingerprints it.
	runAs := info.Attributes["driver.hpcbridge.run_as"]
	if runAs == "" {
		t.Errorf("the node has no driver.hpcbridge.run_as attribute: %v", info.Attributes)
	}
	for _, w := range []string{"State=ALLOCATED+DRAIN ", "Reason=maintenance window [nomad@", "RunAs=" + runAs + "\n"} {
		if !strings.Contains(out, w) {
			t.Errorf("scontrol show node (draining) lacks %q:\n%s", w, out)
		}
	}
	// The jobs end; the drain completes: drained, still with its reason.
	st.must("scancel", ids...)
	st.waitEnded(2*time.Minute, ids...)
	sinfoSays(fmt.Sprintf("%s drain 0/0/%d/%d maintenance window\n", name, cores, cores), "-h", "-N", "-o", "%N %t %C %E")
	sinfoSays(fmt.Sprintf("maintenance window nomad %s\n", name), "-h", "-R", "-o", "%E %u %N")

	// Eligible again: idle, no reason.
	if _, err := nc.Nodes().ToggleEligibility(info.ID, true, nil); err != nil {
		t.Fatal(err)
	}
	sinfoSays(fmt.Sprintf("%s idle none\n", name), "-h", "-N", "-o", "%N %t %E")
}

// TestSinfoShowsLostNode: two Nomad clients in two node pools serve two
// partitions; a client that stops heartbeating is down* (Not responding)
// in sinfo and DOWN+NOT_RESPONDING in scontrol show node.
func TestSinfoShowsLostNode(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	nomadtest.Require(t)
	binDir, plugins := buildTools(t)
	srv := nomadtest.StartServer(t, nomadagent.Config{HeartbeatTTL: time.Second})
	client := func(name, pool string) *nomadagent.Agent {
		return nomadtest.StartClient(t, srv, nomadagent.Config{
			Name: name, NodePool: pool, Dir: searchableDir(t), PluginDir: plugins,
			Plugins: []nomadagent.Plugin{driverPlugin()}, Drivers: []string{"hpcbridge"},
		})
	}
	client("node-a", "")
	gpu := client("node-b", "gpus")
	st := startStack(t, binDir, plugins, srv, "--partition", "gpu", "--partition-map", "gpu=pool:gpus")
	sinfoSays := func(want string, args ...string) {
		t.Helper()
		eventually(t, "sinfo "+strings.Join(args, " ")+" = "+strconv.Quote(want), 2*time.Minute, func() error {
			out, err := st.run("sinfo", args...)
			if err != nil || out != want {
				return fmt.Errorf("%q (%v)", out, err)
			}
			return nil
		})
	}
	sinfoSays("debug* up 1 idle node-a\ngpu up 1 idle node-b\n", "-h", "-o", "%P %a %D %t %N")
	out := st.must("scontrol", "show", "partition", "gpu")
	if !strings.Contains(out, "   Nodes=node-b\n") || !strings.Contains(out, " TotalNodes=1 ") {
		t.Errorf("scontrol show partition gpu:\n%s", out)
	}

	if err := gpu.Stop(); err != nil {
		t.Fatal(err)
	}
	sinfoSays("debug* up 1 idle node-a\ngpu up 1 down* node-b\n", "-h", "-o", "%P %a %D %t %N")
	sinfoSays("Not responding nomad node-b\n", "-h", "-R", "-o", "%E %u %N")
	sinfoSays("node-b down*\n", "-h", "-N", "-d", "-o", "%N %T")
	out = st.must("scontrol", "show", "node", "node-b")
	for _, w := range []string{"State=DOWN+NOT_RESPONDING ", "Reason=Not responding\n", "Partitions=gpu \n"} {
		if !strings.Contains(out, w) {
			t.Errorf("scontrol show node node-b lacks %q:\n%s", w, out)
		}
	}
}
