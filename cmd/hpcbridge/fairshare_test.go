package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare/fairsharetest"
)

// sprio, sshare, squeue %Q and scontrol's Priority= against a real API
// server whose state holds a donation: uni-a (account phys-a) donated two
// GPU-hours from its joined node; alice (phys-a) and bob (chem-b) each ran
// half an hour and wait with one job each. alice's job comes first, every
// command shows the same priorities, and those are what the scheduler
// orders by.
func TestFairShareCommands(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	now := t0.Add(4 * time.Hour)
	cfg := fairshare.DefaultConfig()
	prio := fairshare.NewPriorities(cfg)
	srv := bridgetest.Start(t, bridgetest.Options{Now: func() time.Time { return now }, Priority: prio})
	apply := srv.Apply
	end := fairsharetest.Donate(t, apply, t0, fairsharetest.Donation{Donor: "uni-a", Accounts: []string{"phys-a"},
		Node: "uni-a-gpu1", User: "carol", Account: "bio-c", GPUs: 2, Hours: 1, Partition: "batch"})
	ran := func(user, acct string) {
		id := fairsharetest.Submit(t, apply, end, "batch", user, acct)
		fairsharetest.Run(t, apply, id, "shared1", end, end.Add(30*time.Minute))
	}
	ran("alice", "phys-a")
	ran("bob", "chem-b")
	bobs := fairsharetest.Submit(t, apply, end.Add(time.Hour), "batch", "bob", "chem-b")
	alices := fairsharetest.Submit(t, apply, end.Add(time.Hour), "batch", "alice", "phys-a")
	held := fairsharetest.Submit(t, apply, end.Add(time.Hour), "batch", "alice", "phys-a", "--hold")

	env := []string{"HOME=" + t.TempDir(), api.EnvAddress + "=" + srv.URL, api.EnvToken + "=" + srv.UserToken(t, "alice")}
	sh := func(argv0 string, args ...string) string {
		t.Helper()
		code, out, errs := invoke(t, argv0, env, "", args...)
		if code != 0 {
			t.Fatalf("%s %v: exit %d\n%s%s", argv0, args, code, out, errs)
		}
		return out
	}

	// The scheduler's order.
	v := srv.Store.View()
	order := prio.Func(v, now)
	pa, pb := order(v.Job(alices)), order(v.Job(bobs))
	if pa <= pb {
		t.Fatalf("the scheduler ranks alice's job %d at %d, not above bob's %d at %d", alices, pa, bobs, pb)
	}

	out := sh("sprio")
	t.Logf("sprio:\n%s", out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !regexp.MustCompile(`^\s*JOBID PARTITION\s+PRIORITY\s+SITE\s+AGE\s+FAIRSHARE$`).MatchString(lines[0]) {
		t.Fatalf("sprio: want the header and two jobs (the held one left out):\n%s", out)
	}
	row := func(id uint64, prio int64) *regexp.Regexp {
		return regexp.MustCompile(fmt.Sprintf(`(?m)^\s+%d batch\s+%d\s+0\s+\d+\s+\d+$`, id, prio))
	}
	if !row(bobs, pb).MatchString(out) || !row(alices, pa).MatchString(out) {
		t.Errorf("sprio rows are not the scheduler's priorities (%d: %d, %d: %d)", alices, pa, bobs, pb)
	}
	if out := sh("sprio", "-l"); !strings.Contains(out, "USER") || !strings.Contains(out, "NICE") || !strings.Contains(out, "alice") {
		t.Errorf("sprio -l:\n%s", out)
	}
	if out := sh("sprio", "-n", "-j", fmt.Sprint(alices)); strings.Count(out, "\n") != 2 || !strings.Contains(out, "0.00000") {
		t.Errorf("sprio -n -j:\n%s", out)
	}
	if out := sh("sprio", "-w"); !regexp.MustCompile(`Weights\s+1\s+1000\s+10000`).MatchString(out) {
		t.Errorf("sprio -w:\n%s", out)
	}
	if out := sh("sprio", fmt.Sprintf("-j%d", held)); out != "Unable to find jobs matching user/id(s) specified\n" {
		t.Errorf("sprio -j of a held job: %q", out)
	}

	out = sh("sshare", "-a", "-l")
	t.Logf("sshare -a -l:\n%s", out)
	for _, want := range []string{
		`(?m)^root\s+1\.000000\s+\d+\s+1\.000000\s+1\.000000\s+0\.500000`,
		// Half an hour of one CPU each, decayed over the hours since.
		`(?m)^ phys-a\s+3\s+0\.600000\s+17\d\d\s+`,
		`(?m)^ chem-b\s+1\s+0\.200000\s+17\d\d\s+`,
		`(?m)^  phys-a\s+alice\s+parent\s+0\.600000\s+17\d\d\s+`,
		// An hour of 2 GPUs and a CPU.
		`(?m)^ bio-c\s+1\s+0\.200000\s+10\d\d\d\s+`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("sshare -a -l: no line like %s", want)
		}
	}

	// squeue and scontrol show the scheduler's priority, and squeue's
	// default order follows it.
	out = sh("squeue", "-h", "-o", "%i %Q")
	if !strings.Contains(out, fmt.Sprintf("%d %d\n", alices, pa)) || !strings.Contains(out, fmt.Sprintf("%d %d\n", bobs, pb)) ||
		!strings.Contains(out, fmt.Sprintf("%d 0\n", held)) {
		t.Errorf("squeue %%Q:\n%s", out)
	}
	out = sh("squeue", "-h", "-t", "PD", "-o", "%i")
	if !strings.HasPrefix(out, fmt.Sprintf("%d\n%d\n", alices, bobs)) {
		t.Errorf("squeue's order is not the scheduler's (%d first):\n%s", alices, out)
	}
	if out := sh("scontrol", "show", "job", fmt.Sprint(alices)); !strings.Contains(out, fmt.Sprintf("Priority=%d ", pa)) {
		t.Errorf("scontrol show job: no Priority=%d\n%s", pa, out)
	}
}
