package main

import (
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/internal/slurm/slurmtest"
)

// TestJobOwnerIsLocalCaller: the local user who submits owns the job, as
// Slurm takes the caller's uid. With a management token (a tool's, or
// hpcbridge dev's) the job is the local caller's, and squeue --me, -u
// $USER and sacct's default view find it; a user token of another user is
// refused with both names.
func TestJobOwnerIsLocalCaller(t *testing.T) {
	srv := bridgetest.Start(t, bridgetest.Options{Partitions: []string{"batch"}})
	as := func(local, token string) slurm.Deps {
		d := slurmtest.Deps(nil)
		d.Now = time.Now
		d.CurrentUser = func() (string, error) { return local, nil }
		d.Connect = func(env []string) (slurm.Client, error) {
			return api.NewClient(&api.Config{Address: srv.URL, Token: token})
		}
		return d
	}
	run := func(d slurm.Deps, code int, argv ...string) (string, string) {
		t.Helper()
		got, out, errs := runCmd(t, d, "", []string{"HOME=/home/x", "PATH=/bin"}, argv...)
		if got != code {
			t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(argv, " "), got, code, out, errs)
		}
		return out, errs
	}
	carol := as("carol", srv.ManagementToken)
	if out, _ := run(carol, 0, "sbatch", "--parsable", "--hold", "--wrap", "true"); out != "1\n" {
		t.Fatalf("sbatch: %q", out)
	}
	for _, argv := range [][]string{
		{"squeue", "-h", "--me", "-o", "%i %u"},
		{"squeue", "-h", "-u", "carol", "-o", "%i %u"},
	} {
		if out, _ := run(carol, 0, argv...); out != "1 carol\n" {
			t.Errorf("%v: %q, want job 1 of carol", argv, out)
		}
	}
	if out, _ := run(carol, 0, "sacct", "-n", "-X", "-P", "-o", "jobid,user"); out != "1|carol\n" {
		t.Errorf("sacct (own jobs): %q", out)
	}

	aliceTok := srv.UserToken(t, "alice")
	_, errs := run(as("bob", aliceTok), 1, "sbatch", "--wrap", "true")
	if !strings.Contains(errs, "sbatch: error: Batch job submission failed: Access/permission denied") ||
		!strings.Contains(errs, "alice") || !strings.Contains(errs, "bob") {
		t.Errorf("bob with alice's token: %q, want a refusal naming both", errs)
	}
	if out, _ := run(as("alice", aliceTok), 0, "sbatch", "--parsable", "--hold", "--wrap", "true"); out != "2\n" {
		t.Errorf("alice with her own token: %q", out)
	}
}
