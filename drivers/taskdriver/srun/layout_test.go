package srun

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
)

func TestPlanLayout(t *testing.T) {
	job := []jobdir.NetNode{{Name: "n1"}, {Name: "n2"}, {Name: "n3"}}
	env := map[string]string{"SLURM_NTASKS": "6", "SLURM_NTASKS_PER_NODE": "2", "SLURM_JOB_ID": "7"}
	getenv := func(k string) string { return env[k] }
	cases := []struct {
		args  []string
		nodes []string
		ranks [][]int
	}{
		{nil, []string{"n1", "n2", "n3"}, [][]int{{0, 1}, {2, 3}, {4, 5}}},
		{[]string{"-n", "4"}, []string{"n1", "n2", "n3"}, [][]int{{0, 1}, {2}, {3}}},
		{[]string{"-n", "1"}, []string{"n1"}, [][]int{{0}}},
		{[]string{"-N", "2"}, []string{"n1", "n2"}, [][]int{{0}, {1}}},
		{[]string{"-N", "2", "-n", "5"}, []string{"n1", "n2"}, [][]int{{0, 1, 2}, {3, 4}}},
		{[]string{"--ntasks-per-node=2", "-N", "2"}, []string{"n1", "n2"}, [][]int{{0, 1}, {2, 3}}},
		// Open MPI's orted launch.
		{[]string{"--ntasks-per-node=1", "--nodes=2", "--nodelist=n2,n3", "--ntasks=2"}, []string{"n2", "n3"}, [][]int{{0}, {1}}},
		{[]string{"-r", "1", "-N", "1"}, []string{"n2"}, [][]int{{0}}},
		{[]string{"-w", "n[1,3]"}, []string{"n1", "n3"}, [][]int{{0}, {1}}},
	}
	for _, c := range cases {
		o, err := parseArgs(append(c.args, "cmd"))
		if err != nil {
			t.Fatal(err)
		}
		l, err := planLayout(o, job, getenv)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if !reflect.DeepEqual(l.names(), c.nodes) || !reflect.DeepEqual(l.ranks, c.ranks) {
			t.Errorf("%q: nodes %v ranks %v, want %v %v", c.args, l.names(), l.ranks, c.nodes, c.ranks)
		}
	}
	// hpcbridge dev's node names, as Open MPI names one in --nodelist.
	dev := []jobdir.NetNode{{Name: "127.0.1.101"}, {Name: "127.0.1.102"}}
	o, _ := parseArgs([]string{"--ntasks-per-node=1", "--kill-on-bad-exit", "--mpi=none", "--nodes=1", "--nodelist=127.0.1.102", "--ntasks=1", "orted"})
	if l, err := planLayout(o, dev, getenv); err != nil || !reflect.DeepEqual(l.names(), []string{"127.0.1.102"}) {
		t.Errorf("orted on 127.0.1.102: %v %v", l.names(), err)
	}
	for _, bad := range [][]string{{"-N", "4"}, {"-w", "n9"}, {"-r", "3"}, {"-n", "5", "--ntasks-per-node=1", "-N", "2"}} {
		o, _ := parseArgs(append(bad, "cmd"))
		if _, err := planLayout(o, job, getenv); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestMultiProg(t *testing.T) {
	f := filepath.Join(t.TempDir(), "conf")
	if err := os.WriteFile(f, []byte("# comment\n0 echo first %t\n1-2 echo rest %t %o\n* echo other\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmds, err := multiProg(f, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"echo", "first", "0"}, {"echo", "rest", "1", "0"}, {"echo", "rest", "2", "1"}, {"echo", "other"}}
	if !reflect.DeepEqual(cmds, want) {
		t.Errorf("got %q, want %q", cmds, want)
	}
	if _, err := multiProg(f, 0); err != nil {
		t.Errorf("no tasks: %v", err)
	}
}
