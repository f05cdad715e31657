package scontrol

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
)

// hostCases are scontrol's host list conversions, with the output of real
// Slurm 22.05 (the oracle's scontrol; TestScontrolHostsMatchSlurm checks
// them against it when it runs).
var hostCases = []struct {
	name string
	args []string
	env  []string
	code int
	out  string
	err  string
}{
	{name: "hostnames", args: []string{"show", "hostnames", "127.0.1.[101-102],b"}, out: "127.0.1.101\n127.0.1.102\nb\n"},
	{name: "abbreviated", args: []string{"show", "hostn", "a[1-2]"}, out: "a1\na2\n"},
	{name: "hostnames=", args: []string{"show", "hostnames=n[1-2]"}, out: "n1\nn2\n"},
	{name: "from SLURM_NODELIST", args: []string{"show", "hostnames"}, env: []string{"SLURM_NODELIST=n[1-3]"}, out: "n1\nn2\nn3\n"},
	{name: "not from SLURM_JOB_NODELIST", args: []string{"show", "hostnames"}, env: []string{"SLURM_JOB_NODELIST=n[1-3]"}, err: "scontrol: error: host list is empty\n"},
	{name: "hostlist keeps the order", args: []string{"show", "hostlist", "n2,n1"}, out: "n[2,1]\n"},
	{name: "hostlist", args: []string{"show", "hostl", "127.0.2.1,127.0.2.2,127.0.2.10,127.0.2.3"}, out: "127.0.2.[1-2,10,3]\n"},
	{name: "hostlistsorted", args: []string{"show", "hostlistsorted", "127.0.1.103,127.0.1.101,127.0.1.102"}, out: "127.0.1.[101-103]\n"},
	{name: "hostlistsorted abbreviated", args: []string{"show", "hostlists", "n3,n1"}, out: "n[1,3]\n"},
	{name: "hostlistsorted widths", args: []string{"show", "hostlistsorted", "n8,n9,n10,n11,n12"}, out: "n[8-12]\n"},
	{name: "hostlistsorted padded", args: []string{"show", "hostlistsorted", "n09,n10,n5,n001"}, out: "n[5,09-10,001]\n"},
	{name: "host is no entity", args: []string{"show", "host", "n1"}, code: 1, err: "invalid entity:host for keyword:show \n"},
}

func TestScontrolHosts(t *testing.T) {
	for _, c := range hostCases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := runCmd(t, slurmtest.Deps(&slurmtest.FakeClient{}), "", c.env, append([]string{"scontrol"}, c.args...)...)
			slurmtest.CheckRun(t, code, out, errs, c.code, c.out, c.err)
		})
	}
}

// TestScontrolHostsMatchSlurm runs hostCases through the oracle's real
// scontrol, so the table stays Slurm's.
func TestScontrolHostsMatchSlurm(t *testing.T) {
	slurmoracle.Require(t)
	scontrol, err := exec.LookPath("scontrol")
	if err != nil {
		t.Skip("the oracle's scontrol is not installed")
	}
	env := append(slurmoracle.CleanEnv(), slurmoracle.ConfEnv())
	for _, c := range hostCases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(scontrol, c.args...)
			cmd.Env = append(env[:len(env):len(env)], c.env...)
			var out, errs strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errs
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != c.code || out.String() != c.out || errs.String() != c.err {
				t.Errorf("real scontrol %v: %d %q %q, the table says %d %q %q", c.args, code, out.String(), errs.String(), c.code, c.out, c.err)
			}
		})
	}
}
