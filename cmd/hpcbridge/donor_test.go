package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/bridge/credit"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/internal/wallet"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/hpcbridge/hpcbridge/raft/state/fromspec"
)

// staticNodes is the coordinator's node list (what Nomad would list).
type staticNodes struct {
	mu    sync.Mutex
	nodes []api.Node
}

func (l *staticNodes) Nodes(context.Context) ([]api.Node, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]api.Node(nil), l.nodes...), nil
}

// The donor commands against a real coordinator: uni-b registers with its
// wallet's key file, uni-a with a signature made elsewhere over 'donor
// challenge's text; a forged proof is refused with the API's code shown;
// accounts, list; a join token is issued and redeemed by node b1, whose
// signed receipts are credited across midnight UTC (one clamped); donor
// show prints b1's GPUs, both days' credit, the clamp and why; uni-b's
// donor-admin token reads it and re-proves the wallet, uni-a's cannot
// read it; sinfo shows each node's donor; a donor with a joined node is
// not deleted, one without is.
func TestDonorCommands(t *testing.T) {
	// The coordinator's clock: 21:00 yesterday while the donors register
	// and b1 joins, noon today when they look.
	midnight := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	now := midnight.Add(-3 * time.Hour)
	setNow := func(t time.Time) { clock.Lock(); now = t; clock.Unlock() }
	a100 := api.NodeGPU{Model: "NVIDIA A100-SXM4-40GB", Type: "a100", Count: 2, Healthy: 2, Fake: true}
	nodes := &staticNodes{nodes: []api.Node{
		{Name: "b1", State: api.NodeMixed, CPUs: 8, Jobs: 1, Partitions: []string{"batch"}, GPUs: []api.NodeGPU{a100}},
		{Name: "own1", State: api.NodeIdle, CPUs: 8, Partitions: []string{"batch"}},
	}}
	srv := bridgetest.Start(t, bridgetest.Options{Now: func() time.Time { clock.Lock(); defer clock.Unlock(); return now }, Nodes: nodes})
	apply := func(ct state.CommandType, p any) *state.Result {
		t.Helper()
		return srv.Apply(t, ct, p)
	}
	env := func(token string) []string {
		return []string{"HOME=" + t.TempDir(), api.EnvAddress + "=" + srv.URL, api.EnvToken + "=" + token}
	}
	admin := env(srv.ManagementToken)
	must := func(env []string, want string, args ...string) string {
		t.Helper()
		code, out, errs := invoke(t, "hpcbridge", env, "", args...)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("hpcbridge %q: exit %d, want %q in\n%s%s", args, code, want, out, errs)
		}
		return out
	}
	refused := func(env []string, want string, args ...string) {
		t.Helper()
		code, out, errs := invoke(t, "hpcbridge", env, "", args...)
		if code == 0 || !strings.Contains(errs, want) {
			t.Fatalf("hpcbridge %q: exit %d, want %q in stderr\n%s%s", args, code, want, out, errs)
		}
	}

	// uni-b: the wallet's key file signs the coordinator's challenge here.
	keyHex := strings.Repeat("4b", 32)
	keyB, err := wallet.LoadKey(keyHex)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "wallet.key")
	if err := os.WriteFile(keyFile, []byte("0x"+keyHex+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(admin, "Registered donor uni-b with wallet "+wallet.Address(keyB), "donor", "register", "uni-b", "--wallet-key", keyFile, "--account", "physics")

	// uni-a: the text is signed elsewhere (a wallet app) and brought back.
	keyA, _ := wallet.GenerateKey()
	addrA := wallet.Address(keyA)
	code, msg, errs := invoke(t, "hpcbridge", admin, "", "donor", "challenge", "uni-a", "--wallet", addrA)
	if code != 0 || !strings.Contains(msg, "donor: uni-a\n") || !strings.Contains(errs, "hpcbridge donor register uni-a --wallet "+addrA+" --issued 2026-12-05T21:00:00Z") {
		t.Fatalf("challenge: %d\n%s%s", code, msg, errs)
	}
	text := strings.TrimSuffix(msg, "\n")
	if text != wallet.Message(apiserver.DefaultClusterName, "uni-a", addrA, now) {
		t.Fatalf("challenge text %q is not wallet.Message's", text)
	}
	forged := wallet.EncodeSignature(wallet.Sign(text, keyB)) // the wrong wallet's
	refused(admin, "(permission_denied)", "donor", "register", "uni-a", "--wallet", addrA, "--issued", "2026-12-05T21:00:00Z", "--signature", forged)
	refused(admin, "--signature and --issued", "donor", "register", "uni-a", "--wallet", addrA, "--signature", forged)
	sig := wallet.EncodeSignature(wallet.Sign(text, keyA))
	must(admin, "Registered donor uni-a", "donor", "register", "uni-a", "--wallet", addrA, "--issued", "2026-12-05T21:00:00Z", "--signature", sig)
	refused(admin, "(conflict)", "donor", "register", "uni-a", "--wallet", addrA, "--issued", "2026-12-05T21:00:00Z", "--signature", sig)

	must(admin, "Donor uni-b's accounts: chem,physics", "donor", "accounts", "uni-b", "physics", "chem")
	refused(admin, "--none", "donor", "accounts", "uni-b")
	out := must(admin, "uni-b", "donor", "list")
	if !strings.Contains(out, "uni-a") || !strings.Contains(out, "chem,physics") {
		t.Fatalf("donor list:\n%s", out)
	}

	// A join token; node b1 redeems it (as POST /v1/nodes/join commits
	// it) and the coordinator registers its key once Nomad lists it.
	code, out, errs = invoke(t, "hpcbridge", admin, "", "node", "join-token", "--donor", "uni-b", "--ttl", "30m")
	secret := strings.TrimSuffix(out, "\n")
	if code != 0 || !regexp.MustCompile(`^hbj_[A-Za-z0-9_-]{43}$`).MatchString(secret) || strings.Contains(errs, secret) ||
		!strings.Contains(errs, "hpcbridge agent --coordinator "+srv.URL) || !strings.Contains(errs, "until "+midnight.Add(-150*time.Minute).Local().Format("2006-01-02 15:04:05 MST")) {
		t.Fatalf("join token: %d\n%s%s", code, out, errs)
	}
	refused(admin, "(not_found)", "node", "join-token", "--donor", "uni-z")
	refused(admin, "--ttl", "node", "join-token", "--donor", "uni-b", "--ttl", "48h")
	nodeKey := ed25519.NewKeyFromSeed([]byte(strings.Repeat("b1", 16)))
	key := receipt.EncodeKey(nodeKey.Public().(ed25519.PublicKey))
	apply(state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinRedeem, Time: midnight.Add(-3 * time.Hour), SecretHash: state.HashSecret(secret), NodeName: "b1", Key: key})
	srv.RegisterNodeKey(t, "id-b1", "b1", nodeKey.Public().(ed25519.PublicKey))

	// alice's job on b1 since 22:00 yesterday; its receipts, signed by
	// b1's key and credited as the leader does.
	script := "#!/bin/sh\n#SBATCH --job-name=train\ntrue\n"
	spec, _ := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte(script)})
	start, noon := midnight.Add(-2*time.Hour), midnight.Add(12*time.Hour)
	job := apply(state.CmdJobSubmit, state.JobSubmitCmd{Time: start, User: "alice", DefaultPartition: "batch",
		Submission: &state.Submission{Script: []byte(script), Spec: spec}, Job: fromspec.MustRecord(spec, "batch")}).Value.(state.JobSubmitResult).JobID
	apply(state.CmdJobStart, state.JobStartCmd{Time: start, JobID: job, Task: state.NoTask, NodeList: "b1"})
	var prev *credit.Previous
	for seq, claim := range []struct {
		from, to time.Duration
		gpus     []string
	}{{0, 90 * time.Minute, []string{"GPU-0", "GPU-1"}}, {90 * time.Minute, 210 * time.Minute, []string{"GPU-0", "GPU-1", "GPU-9"}}} {
		r := &receipt.Receipt{Version: receipt.Version, JobID: job, Seq: seq + 1, Node: "b1", NodeID: "id-b1", AllocID: "alloc-1", GPUs: claim.gpus, CPUs: 4,
			Start: start.Add(claim.from), End: start.Add(claim.to), Digest: "sha256:" + strings.Repeat(fmt.Sprint(seq+1), 64), Size: 10, Trigger: receipt.TriggerCommand}
		signed, err := receipt.Sign(r, nodeKey)
		if err != nil {
			t.Fatal(err)
		}
		res, err := credit.Verify(credit.Input{Signed: signed, Key: credit.Key{NodeID: "id-b1", Key: key}, JobID: job, Now: noon, Prev: prev,
			Observed: credit.Observed{NodeID: "id-b1", Node: "b1", AllocID: "alloc-1", Start: start, GPUs: []string{"GPU-0", "GPU-1"}, CPUs: 4}})
		if err != nil {
			t.Fatal(err)
		}
		apply(state.CmdCheckpoint, state.CheckpointCmd{Time: noon, JobID: job, Seq: r.Seq, NodeID: "id-b1", Node: "b1", AllocID: "alloc-1", Key: key,
			Signed: *signed, Digest: r.Digest, Size: r.Size, Trigger: r.Trigger, ClaimStart: r.Start, ClaimEnd: r.End, ClaimGPUs: len(r.GPUs), ClaimCPUs: 4,
			Credit: state.Credit{Start: res.Start, End: res.End, GPUs: res.GPUs, CPUs: res.CPUs, GPUSeconds: res.GPUSeconds, CPUSeconds: res.CPUSeconds,
				Clamped: res.Clamped, Note: res.Note}})
		prev = &credit.Previous{Seq: r.Seq, End: r.End, CreditedEnd: res.End}
	}

	// 22:00-23:30 and 23:30-01:30 on 2 GPUs: 7 GPU-hours, 3 of them
	// today; the second receipt claimed a third GPU.
	setNow(noon)
	out = must(admin, "Credited    25200 GPU-seconds (7.0 GPU-hours)", "donor", "show", "uni-b", "--days", "3")
	for _, want := range []string{
		"Nodes       1 (1 up)",
		"Jobs        1 runs of 1 jobs, 1 running; 1 runs started since 2026-12-04",
		"b1    up      MIXED  8     2 x NVIDIA A100-SXM4-40GB (fake)  1     " + receiptTime(midnight.Add(-3*time.Hour)) + "  -     2         25200    -",
		"2026-12-05  1         14400    4.0        28800",
		"2026-12-06  1         10800    3.0        21600",
		"(2 of the 3 days since 2026-12-04 had credit",
		"Clamped     1 receipts, 7200 GPU-seconds claimed and not credited",
		"1      0    2    b1    " + receiptTime(noon) + "  21600            14400             clamped: GPUs GPU-9 were not allocated to the task",
		"alice",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("donor show lacks %q:\n%s", want, out)
		}
	}
	out = must(admin, `"gpu_seconds": 25200`, "donor", "show", "uni-b", "--json")
	var sum api.DonorSummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil || len(sum.Credit.Days) != api.DefaultDonorDays {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	refused(admin, "--days", "donor", "show", "uni-b", "--days", "0")
	refused(admin, "(not_found)", "donor", "show", "uni-z")

	// The donors' own admins.
	tokFor := func(donor string) []string {
		out := must(admin, "Type         = donor-admin", "acl", "token", "create", "--type", "donor-admin", "--donor", donor)
		return env(regexp.MustCompile(`Secret ID\s+= (\S+)`).FindStringSubmatch(out)[1])
	}
	adminA, adminB := tokFor("uni-a"), tokFor("uni-b")
	must(adminB, "25200 GPU-seconds", "donor", "show", "uni-b")
	refused(adminA, "(permission_denied)", "donor", "show", "uni-b")
	refused(env(srv.UserToken(t, "alice")), "(permission_denied)", "donor", "show", "uni-b")
	must(adminB, "Donor uni-b's wallet is "+wallet.Address(keyB), "donor", "wallet", "uni-b", "--wallet-key", keyFile)
	refused(adminA, "(permission_denied)", "donor", "wallet", "uni-b", "--wallet-key", keyFile)
	refused(adminB, "(permission_denied)", "donor", "accounts", "uni-b", "--none")
	must(adminB, "hbj_", "node", "join-token", "--donor", "uni-b")
	refused(adminA, "(permission_denied)", "node", "join-token", "--donor", "uni-b")

	// sinfo: b1 is uni-b's (its join), own1 nobody's.
	out = must(admin, "b1        uni-b", "sinfo", "-N", "-O", "NodeList:10,Donor:10")
	if !strings.Contains(out, "own1      (null)") {
		t.Fatalf("sinfo:\n%s", out)
	}

	refused(admin, "(conflict)", "donor", "delete", "uni-b")
	must(admin, "Donor uni-a deleted", "donor", "delete", "uni-a")
	refused(admin, "(not_found)", "donor", "show", "uni-a")
}
