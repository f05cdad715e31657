package scontrol

import (
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
)

// TestScontrolShowNode renders node records in Slurm's layout.
func TestScontrolShowNode(t *testing.T) {
	parts, nodes := slurmtest.NodeFixture()
	cases := []struct {
		golden string
		args   []string
		code   int
	}{
		{"node-all", []string{"show", "node"}, 0},
		{"node-drng", []string{"show", "node", "n04"}, 0},
		{"node-gpu", []string{"show", "node=gpu[1-2]"}, 0},
		// -d adds GresDrain and GresUsed (with the GPUs' indexes), as
		// the oracle's scontrol show node -d prints them.
		{"node-gpu-details", []string{"-d", "show", "node", "gpu2"}, 0},
		{"node-oneliner", []string{"-o", "show", "node", "n01"}, 0},
		{"node-nosuch", []string{"show", "node", "nosuch"}, 1},
		{"partition-nodes", []string{"show", "partition", "gpu"}, 0},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			f := &slurmtest.FakeClient{PartitionList: parts, NodeList: nodes}
			code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, append([]string{"scontrol"}, c.args...)...)
			if code != c.code || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			slurmtest.Golden(t, "scontrol/"+c.golden+".golden", out)
		})
	}
	f := &slurmtest.FakeClient{PartitionList: parts}
	if _, out, _ := runCmd(t, slurmtest.Deps(f), "", nil, "scontrol", "show", "nodes"); out != "No nodes in the system\n" {
		t.Errorf("no nodes: %q", out)
	}
}

// TestShowNodeLayoutMatchesSlurm checks that scontrol show node prints the
// oracle's keys, line by line, in its order (hpcbridge adds RunAs=).
func TestShowNodeLayoutMatchesSlurm(t *testing.T) {
	keys := func(record string) []string {
		var out []string
		for _, line := range strings.Split(strings.TrimRight(record, "\n"), "\n") {
			var ks []string
			for _, tok := range strings.Fields(line) {
				if k, _, ok := strings.Cut(tok, "="); ok {
					ks = append(ks, k)
				}
			}
			if len(ks) > 0 && ks[0] != "RunAs" {
				out = append(out, strings.Join(ks, " "))
			}
		}
		return out
	}
	f := &slurmtest.FakeClient{NodeList: slurmtest.OracleNode()}
	_, out, _ := runCmd(t, slurmtest.Deps(f), "", nil, "scontrol", "show", "node", "oracle")
	want := slurmtest.ReadTestdata(t, "oracle/show-node.txt")
	if g, w := strings.Join(keys(out), "\n"), strings.Join(keys(want), "\n"); g != w {
		t.Errorf("keys:\n%s\nwant:\n%s", g, w)
	}
	if !strings.HasSuffix(out, "\n\n") || strings.HasSuffix(out, "\n\n\n") || !strings.HasPrefix(out, "NodeName=oracle Arch=x86_64 CoresPerSocket=1 \n   CPUAlloc=0 CPUEfctv=3840 CPUTot=3840 ") {
		t.Errorf("record layout:\n%q", out)
	}
}
