package main

import (
	"bytes"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// hpcbridge receipts, node keys and node key revoke against a real API
// server whose state holds a node key and one clamped receipt of alice's
// job; bob sees none of it.
func TestReceiptsCommands(t *testing.T) {
	srv := bridgetest.Start(t, bridgetest.Options{})
	apply := func(ct state.CommandType, p any) *state.Result {
		t.Helper()
		return srv.Apply(t, ct, p)
	}
	t0 := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	spec, _ := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte("#!/bin/sh\ntrue\n")})
	id := apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: t0, User: "alice", DefaultPartition: "batch",
		Submission: &state.Submission{Script: []byte("#!/bin/sh\ntrue\n"), Spec: spec}, Job: fromspec.MustRecord(spec, "batch")}).Value.(state.JobSubmitResult).JobID
	apply(state.CmdJobStart, state.JobStartCmd{Time: t0, JobID: id, Task: state.NoTask})
	key := receipt.EncodeKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)).Public().(ed25519.PublicKey))
	apply(state.CmdNodeKey, state.NodeKeyCmd{Op: state.NodeKeyRegister, Time: t0, NodeID: "node-1", Node: "n1", Key: key})
	apply(state.CmdCheckpoint, state.CheckpointCmd{
		Time: t0.Add(time.Hour), JobID: id, Run: 0, Seq: 1, NodeID: "node-1", Node: "n1", AllocID: "alloc-1", Key: key,
		Signed: receipt.Signed{Body: []byte("{}"), Sig: make([]byte, 64)}, Digest: "sha256:" + strings.Repeat("a", 64),
		Size: 2048, Trigger: receipt.TriggerCommand, ClaimStart: t0, ClaimEnd: t0.Add(2 * time.Hour), ClaimGPUs: 2, ClaimCPUs: 4,
		Credit: state.Credit{Start: t0, End: t0.Add(time.Hour), GPUs: 2, CPUs: 4, GPUSeconds: 7200, CPUSeconds: 14400, Clamped: true,
			Note: "clamped: end is after now"},
	})
	env := func(token string) []string {
		return []string{"HOME=" + t.TempDir(), api.EnvAddress + "=" + srv.URL, api.EnvToken + "=" + token}
	}
	alice, bob := env(srv.UserToken(t, "alice")), env(srv.UserToken(t, "bob"))

	code, out, errs := invoke(t, "hpcbridge", alice, "", "receipts", "--job", "1")
	if code != 0 || !strings.Contains(out, "GPU-SEC") || !strings.Contains(out, "7200") || !strings.Contains(out, "clamped: end is after now") ||
		!strings.Contains(out, "n1") {
		t.Fatalf("alice's receipts: %d\n%s%s", code, out, errs)
	}
	if code, out, _ := invoke(t, "hpcbridge", alice, "", "receipts"); code != 0 || !strings.Contains(out, "7200") {
		t.Fatalf("alice's receipts, all jobs: %d\n%s", code, out)
	}
	if code, out, _ := invoke(t, "hpcbridge", bob, "", "receipts"); code != 0 || strings.Contains(out, "7200") {
		t.Fatalf("bob's receipts: %d\n%s", code, out)
	}
	if code, _, errs := invoke(t, "hpcbridge", bob, "", "receipts", "--job", "1"); code == 0 || !strings.Contains(errs, "belongs to alice") {
		t.Fatalf("bob read alice's job's receipts: %d %s", code, errs)
	}
	admin := env(srv.ManagementToken)
	if code, out, errs := invoke(t, "hpcbridge", admin, "", "receipts", "--node", "node-1"); code != 0 || !strings.Contains(out, "RECEIPTS") {
		t.Fatalf("management's receipts: %d\n%s%s", code, out, errs)
	}
	if code, out, errs := invoke(t, "hpcbridge", alice, "", "node", "keys"); code != 0 || !strings.Contains(out, "current") || !strings.Contains(out, key) {
		t.Fatalf("node keys: %d\n%s%s", code, out, errs)
	}
	if code, _, errs := invoke(t, "hpcbridge", alice, "", "node", "key", "revoke", "node-1"); code == 0 || !strings.Contains(errs, "management") {
		t.Fatalf("alice revoked a node key: %d %s", code, errs)
	}
	if code, out, errs := invoke(t, "hpcbridge", admin, "", "node", "key", "revoke", "node-1"); code != 0 || !strings.Contains(out, "Revoked node node-1's key "+key) {
		t.Fatalf("revoke: %d\n%s%s", code, out, errs)
	}
	if code, out, _ := invoke(t, "hpcbridge", admin, "", "node", "keys"); code != 0 || !strings.Contains(out, "revoked") {
		t.Fatalf("node keys after the revoke: %d\n%s", code, out)
	}
}

// What a node names itself reaches the table with nothing a terminal
// would act on: C0 and C1 controls, a bidirectional override, invalid
// UTF-8.
func TestTermSafe(t *testing.T) {
	for in, want := range map[string]string{
		"n1":             "n1",
		"gpu-nœud-1":     "gpu-nœud-1",
		"a\x1b[2Jb":      "a?[2Jb",
		"a\u009b2Jb":     "a?2Jb",
		"evil\u202edoog": "evil?doog",
		"tab\there\x7f":  "tab?here?",
		"bad\xff":        "bad?",
	} {
		if got := termSafe(in); got != want {
			t.Errorf("termSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
