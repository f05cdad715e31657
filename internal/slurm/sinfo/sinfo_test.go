package sinfo

import (
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
)

// TestSinfo renders partitions. The headers are Slurm's (compare
// testdata/oracle/sinfo*.txt); the rows differ by design: hpcbridge
// partitions own no nodes, which sinfo prints as 0 nodes in state n/a.
func TestSinfo(t *testing.T) {
	parts := []api.Partition{{Name: "debug", Default: true, State: "up"}, {Name: "gpu", State: "up", RunningJobs: 2}}
	cases := []struct {
		golden string
		args   []string
	}{
		{"default", nil},
		{"summarize", []string{"-s"}},
		{"long", []string{"-l"}},
		{"node", []string{"-N"}},
		{"format", []string{"-o", "%P|%a|%l|%D|%t|%N|%c|%m|%F|%.12R|%G"}},
		{"partition", []string{"-p", "gpu", "-h"}},
		{"nosuch", []string{"-p", "nosuch"}},
		{"reasons", []string{"-R"}},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			f := &slurmtest.FakeClient{PartitionList: parts}
			code, out, errs := runCmd(t, slurmtest.Deps(f), "", nil, append([]string{"sinfo"}, c.args...)...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			slurmtest.Golden(t, "sinfo/"+c.golden+".golden", out)
		})
	}
}

// TestSinfoHeadersMatchSlurm checks the header lines against the oracle's.
func TestSinfoHeadersMatchSlurm(t *testing.T) {
	parts := []api.Partition{{Name: "debug", Default: true, State: "up"}, {Name: "gpu", State: "up"}}
	for name, args := range map[string][]string{"sinfo": nil, "sinfo-s": {"-s"}, "sinfo-l": {"-l"}} {
		f := &slurmtest.FakeClient{PartitionList: parts}
		_, out, _ := runCmd(t, slurmtest.Deps(f), "", nil, append([]string{"sinfo"}, args...)...)
		want := slurmtest.ReadTestdata(t, "oracle/"+name+".txt")
		wl, gl := strings.Split(want, "\n"), strings.Split(out, "\n")
		hdr := 0
		if name == "sinfo-l" {
			hdr = 1 // the date line differs
		}
		if wl[hdr] != gl[hdr] {
			t.Errorf("%s header:\n got %q\nwant %q", name, gl[hdr], wl[hdr])
		}
		// The partition column and the next ones line up as Slurm's do.
		if got, want := gl[hdr+1][:25], wl[hdr+1][:25]; got != want {
			t.Errorf("%s first row starts %q, Slurm's %q", name, got, want)
		}
	}
}
