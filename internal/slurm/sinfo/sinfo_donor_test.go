package sinfo

import (
	"encoding/json"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
)

// TestSinfoDonor: -o %y and -O Donor print each node's donor organisation
// ("(null)" for a node that joined none), split lines by donor as any
// other field does (-N: a line per node and partition, as sinfo), and
// --json carries it; Slurm's -O width rules apply.
func TestSinfoDonor(t *testing.T) {
	parts, nodes := slurmtest.NodeFixture()
	for i := range nodes {
		switch nodes[i].Name {
		case "gpu1", "gpu2":
			nodes[i].Donor = "uni-b"
		case "n02":
			nodes[i].Donor = "uni-a"
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-N", "-h", "-o", "%N %y", "-p", "gpu"}, "gpu1 uni-b\ngpu2 uni-b\ngpu3 (null)\nn01 (null)\n"},
		{[]string{"-N", "-O", "NodeList:6,Donor:8", "-n", "n0[1-2]"}, "NODELIDONOR   \nn01   (null)  \nn01   (null)  \nn02   uni-a   \n"},
		{[]string{"-h", "-p", "gpu", "-o", "%P %D %y"}, "gpu 2 uni-b\ngpu 2 (null)\n"},
		{[]string{"-h", "-p", "gpu", "-O", "donor"}, "uni-b               \n(null)              \n"},
	} {
		f := &slurmtest.FakeClient{PartitionList: parts, NodeList: nodes}
		code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, append([]string{"sinfo"}, c.args...)...)
		if code != 0 || errs != "" || out != c.want {
			t.Errorf("sinfo %q: exit %d, stderr %q\n got %q\nwant %q", c.args, code, errs, out, c.want)
		}
	}
	f := &slurmtest.FakeClient{PartitionList: parts, NodeList: nodes}
	code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, "sinfo", "--json")
	if code != 0 {
		t.Fatalf("--json: exit %d: %s", code, errs)
	}
	var doc sinfoJSONDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	donors := map[string]string{}
	for _, n := range doc.Nodes {
		donors[n.Name] = n.Donor
	}
	if donors["gpu1"] != "uni-b" || donors["n02"] != "uni-a" || donors["n01"] != "" {
		t.Errorf("--json donors: %v", donors)
	}
}
