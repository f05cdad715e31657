package apiserver_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/internal/chain"
	"github.com/hpcbridge/hpcbridge/internal/merkle"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

var testChain = api.RewardsChain{Kind: "rpc", ChainID: "31337", Contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3", RPCURL: "http://127.0.0.1:8545"}

// rewardsFixture is a server with a ledgerCloser, its management client,
// a user's, and a donor-admin's.
type rewardsFixture struct {
	srv         *bridgetest.Server
	mgmt, alice *api.Client
	aliceTok    string
	ctx         context.Context
}

func newRewardsFixture(t *testing.T, backend bool) *rewardsFixture {
	t.Helper()
	o := bridgetest.Options{Now: func() time.Time { return t0 }}
	if backend {
		o.Rewards = &bridgetest.Rewards{ChainInfo: testChain}
	}
	srv := bridgetest.Start(t, o)
	f := &rewardsFixture{srv: srv, ctx: t.Context(), mgmt: srv.Client(t, srv.ManagementToken)}
	f.aliceTok = srv.UserToken(t, "alice")
	f.alice = srv.Client(t, f.aliceTok)
	return f
}

// donorAdmin makes donor's admin token (the donor must be registered).
func (f *rewardsFixture) donorAdmin(t *testing.T, donor string) *api.Client {
	t.Helper()
	tok, err := f.mgmt.ACLCreateToken(f.ctx, &api.ACLTokenRequest{Type: state.TokenDonorAdmin, Donor: donor})
	if err != nil {
		t.Fatal(err)
	}
	return f.srv.Client(t, tok.SecretID)
}

const (
	walletA = "0xabcdefabcdefabcdefabcdefabcdefabcdef0001"
	walletB = "0x2222222222222222222222222222222222222222"
)

// units is n tokens in base units.
func units(t *testing.T, tokens string) string {
	t.Helper()
	n, err := api.ParseTokens(tokens)
	if err != nil {
		t.Fatal(err)
	}
	return n.String()
}

// The rewards routes against a real state: the status any token reads,
// the close only management may ask for (nothing to close refused with
// its code), the export anyone rebuilds the root from, proofs of the
// latest published epoch only, rates set exactly and bounded, resume of a
// halted epoch.
func TestRewardsRoutes(t *testing.T) {
	f := newRewardsFixture(t, true)
	ctx := f.ctx
	// uni-a: 2 GPUs for an hour (2 tokens at the default rate) and 4
	// CPUs (0.04); uni-b: 1 GPU for half an hour.
	f.srv.Donate(t, bridgetest.Donation{Donor: "uni-a", Wallet: walletA, Node: "a1", GPUModel: "NVIDIA A100-SXM4-40GB", GPUs: 2, CPUs: 4, Seconds: 3600})
	f.srv.Donate(t, bridgetest.Donation{Donor: "uni-b", Wallet: walletB, Node: "b1", GPUModel: "NVIDIA H100 80GB HBM3", GPUs: 1, Seconds: 1800})
	uniA := f.donorAdmin(t, "uni-a")

	st, err := f.alice.Rewards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Chain == nil || *st.Chain != testChain || st.Rates.DefaultGPU != state.DefaultGPURate || st.Rates.CPU != state.DefaultCPURate ||
		len(st.Epochs) != 0 || st.Accrued.Wallets != 2 || st.Accrued.Total != units(t, "2.54") || st.Accrued.Unclosed != st.Accrued.Total {
		t.Fatalf("status: %+v", st)
	}
	if _, err := uniA.Rewards(ctx); err != nil {
		t.Fatalf("a donor-admin reads the status: %v", err)
	}

	// Close: management only.
	for _, c := range []*api.Client{f.alice, uniA} {
		_, err := c.RewardsClose(ctx)
		wantCode(t, err, api.CodePermissionDenied)
	}
	runTok := f.srv.RunToken(t, f.srv.Donate(t, bridgetest.Donation{Donor: "uni-a", Wallet: walletA, Node: "a1", GPUs: 0, CPUs: 1, Seconds: 0}))
	code, e, _ := raw(t, http.MethodPost, f.srv.URL+"/v1/rewards/close", runTok, nil)
	if code != http.StatusForbidden || e.Code != api.CodePermissionDenied {
		t.Fatalf("a run token closes: %d %+v", code, e)
	}
	ep, err := f.mgmt.RewardsClose(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ep.Number != 1 || ep.Wallets != 2 || ep.Total != units(t, "2.54") || ep.State != state.EpochClosed || len(ep.Root) != 66 {
		t.Fatalf("closed: %+v", ep)
	}
	_, err = f.mgmt.RewardsClose(ctx)
	if e := wantCode(t, err, api.CodeNothingToClose); e.Status != http.StatusConflict {
		t.Fatalf("nothing to close: status %d", e.Status)
	}

	// The export rebuilds to the epoch's root.
	dump, err := f.alice.RewardsExport(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := merkle.Load(dump)
	if err != nil {
		t.Fatalf("the export does not load: %v\n%s", err, dump)
	}
	if root := tree.Root(); "0x"+hex.EncodeToString(root[:]) != ep.Root || tree.Len() != 2 {
		t.Fatalf("export root %x, %d leaves; epoch %+v", root, tree.Len(), ep)
	}
	_, err = f.alice.RewardsExport(ctx, 2)
	wantCode(t, err, api.CodeNotFound)
	for _, n := range []string{"0", "x", "-1", "18446744073709551616"} {
		code, e, _ := raw(t, http.MethodGet, f.srv.URL+"/v1/rewards/epochs/"+n+"/export", f.aliceTok, nil)
		if code != http.StatusBadRequest || e.Code != api.CodeInvalidRequest {
			t.Errorf("export %s: %d %+v", n, code, e)
		}
	}

	// Proofs: only once the epoch is published (the contract holds its
	// root then).
	_, err = f.alice.RewardProof(ctx, walletA)
	wantCode(t, err, api.CodeNotInEpoch)
	f.srv.Apply(t, state.CmdLedger, state.LedgerCmd{Op: state.LedgerPublished, Time: t0, Epoch: 1, Root: ep.Root,
		TxHash: "0x" + strings.Repeat("ab", 32), Block: 7})
	p, err := uniA.RewardProof(ctx, "0x"+strings.ToUpper(walletA[2:])) // any one case of the hex
	if err != nil {
		t.Fatal(err)
	}
	leaf := merkle.Leaf{Account: common.HexToAddress(walletA), Amount: f.srv.Store.View().WalletCumulative(walletA)}
	if p.Wallet != leaf.Account.Hex() || p.Epoch != 1 || p.CumulativeAmount != units(t, "2.04") || leaf.Amount.String() != p.CumulativeAmount ||
		p.Root != ep.Root || p.Contract != testChain.Contract || p.ChainID != testChain.ChainID || strings.Join(p.LeafEncoding, ",") != "address,uint256" {
		t.Fatalf("proof: %+v", p)
	}
	var proof [][32]byte
	for _, h := range p.Proof {
		b, err := hex.DecodeString(strings.TrimPrefix(h, "0x"))
		if err != nil || len(b) != 32 {
			t.Fatalf("proof element %q", h)
		}
		proof = append(proof, [32]byte(b))
	}
	if !merkle.Verify(tree.Root(), leaf, proof) {
		t.Fatalf("the proof does not verify: %+v", p)
	}
	_, err = f.alice.RewardProof(ctx, "0x3333333333333333333333333333333333333333")
	wantCode(t, err, api.CodeNotInEpoch)
	for _, w := range []string{"0x1234", "1111111111111111111111111111111111111111", "0x111111111111111111111111111111111111111G",
		"0x5fBDB2315678afecb367f032d93F642f64180aa3" /* bad checksum */, strings.Repeat("0", 5000)} {
		code, e, _ := raw(t, http.MethodGet, f.srv.URL+"/v1/rewards/proof/"+w, f.aliceTok, nil)
		if code != http.StatusBadRequest || e.Code != api.CodeInvalidRequest {
			t.Errorf("proof of %.20q: %d %+v", w, code, e)
		}
	}

	// Rates: management only, exact, bounded.
	good := &api.RewardRatesRequest{GPU: map[string]string{"NVIDIA H100": units(t, "1"), "NVIDIA A100": units(t, "0.6")},
		DefaultGPU: units(t, "0.5"), CPU: "0010000000000000000"}
	_, err = f.alice.RewardRatesSet(ctx, good)
	wantCode(t, err, api.CodePermissionDenied)
	_, err = uniA.RewardRatesSet(ctx, good)
	wantCode(t, err, api.CodePermissionDenied)
	many := map[string]string{}
	for i := range state.MaxRateModels + 1 {
		many[fmt.Sprint("GPU ", i)] = "1"
	}
	for name, req := range map[string]*api.RewardRatesRequest{
		"negative":        {DefaultGPU: "-1", CPU: "1"},
		"fraction":        {DefaultGPU: "0.5", CPU: "1"},
		"float exponent":  {DefaultGPU: "1e18", CPU: "1"},
		"hex":             {DefaultGPU: "0x10", CPU: "1"},
		"missing cpu":     {DefaultGPU: "1"},
		"too many digits": {DefaultGPU: strings.Repeat("9", state.MaxRateDigits+1), CPU: "1"},
		"case twins":      {GPU: map[string]string{"H100": "1", "h100": "2"}, DefaultGPU: "1", CPU: "1"},
		"empty model":     {GPU: map[string]string{"": "1"}, DefaultGPU: "1", CPU: "1"},
		"control char":    {GPU: map[string]string{"H\x00100": "1"}, DefaultGPU: "1", CPU: "1"},
		"long model":      {GPU: map[string]string{strings.Repeat("m", state.MaxGPUModelLen+1): "1"}, DefaultGPU: "1", CPU: "1"},
		"too many":        {GPU: many, DefaultGPU: "1", CPU: "1"},
	} {
		_, err := f.mgmt.RewardRatesSet(ctx, req)
		if !api.IsCode(err, api.CodeInvalidRequest) {
			t.Errorf("rates %s: %v", name, err)
		}
	}
	code, e, _ = raw(t, http.MethodPut, f.srv.URL+"/v1/rewards/rates", f.srv.ManagementToken, strings.NewReader(`{"cpu":"1","default_gpu":"1","nonsense":1}`))
	if code != http.StatusBadRequest || e.Code != api.CodeInvalidRequest {
		t.Errorf("unknown field: %d %+v", code, e)
	}
	code, e, _ = raw(t, http.MethodPut, f.srv.URL+"/v1/rewards/rates", f.srv.ManagementToken,
		strings.NewReader(`{"cpu":"1","default_gpu":"1","gpu":{"`+strings.Repeat("x", api.MaxRewardsBodyBytes)+`":"1"}}`))
	if code != http.StatusRequestEntityTooLarge || e.Code != api.CodeTooLarge {
		t.Errorf("body over the bound: %d %+v", code, e)
	}
	r, err := f.mgmt.RewardRatesSet(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	if r.CPU != units(t, "0.01") || r.GPU["NVIDIA A100"] != units(t, "0.6") || r.DefaultGPU != units(t, "0.5") || r.By != "root" || !r.Set.Equal(t0) {
		t.Fatalf("rates: %+v", r)
	}
	// New work is credited at the new rates: an A100-SXM4 hour is 0.6.
	f.srv.Donate(t, bridgetest.Donation{Donor: "uni-b", Wallet: walletB, Node: "b1", GPUModel: "NVIDIA A100-SXM4-80GB", GPUs: 1, Seconds: 3600})
	if got := f.srv.Store.View().WalletCumulative(walletB).String(); got != units(t, "1.1") {
		t.Fatalf("uni-b's cumulative: %s, want 1.1 tokens", got)
	}
	st, err = f.alice.Rewards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Accrued.Total != units(t, "3.14") || st.Accrued.Unclosed != units(t, "0.6") || len(st.Epochs) != 1 || st.Epochs[0].State != state.EpochPublished ||
		st.Epochs[0].TxHash == "" || st.Epochs[0].Block != 7 || st.Rates.GPU["NVIDIA H100"] != units(t, "1") {
		t.Fatalf("status after epoch 1: %+v", st)
	}
	// The accrued sum is made once per change of the ledger (accruedCache):
	// a new wallet is counted at once.
	f.srv.Donate(t, bridgetest.Donation{Donor: "uni-c", Wallet: "0x3333333333333333333333333333333333333333", Node: "c1", GPUs: 1, Seconds: 36})
	if st, err = f.alice.Rewards(ctx); err != nil || st.Accrued.Wallets != 3 || st.Accrued.Total != units(t, "3.145") {
		t.Fatalf("status after a third wallet: %+v %v", st, err)
	}

	// Resume: only a halted epoch, management only.
	_, err = f.mgmt.RewardsResume(ctx, 0)
	wantCode(t, err, api.CodeConflict)
	ep2, err := f.mgmt.RewardsClose(ctx)
	if err != nil || ep2.Number != 2 {
		t.Fatalf("close 2: %+v %v", ep2, err)
	}
	// Exports of epochs 2 and 1 in turn, proofs (epoch 1) between (the
	// server keeps two trees): each always its own.
	for _, n := range []uint64{2, 1, 2, 1} {
		b, err := f.alice.RewardsExport(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := merkle.Load(b)
		if err != nil {
			t.Fatal(err)
		}
		if root := tr.Root(); "0x"+hex.EncodeToString(root[:]) != f.srv.Store.View().Epoch(n).Root {
			t.Fatalf("export %d has another epoch's root", n)
		}
		if p, err := f.alice.RewardProof(ctx, walletB); err != nil || p.Epoch != 1 {
			t.Fatalf("proof between exports: %+v %v", p, err)
		}
	}
	_, err = f.mgmt.RewardsResume(ctx, 2)
	wantCode(t, err, api.CodeConflict)
	_, err = f.mgmt.RewardsResume(ctx, 9)
	wantCode(t, err, api.CodeNotFound)
	f.srv.Apply(t, state.CmdLedger, state.LedgerCmd{Op: state.LedgerHalt, Time: t0, Epoch: 2, Reason: "the chain holds another root for epoch 2"})
	st, _ = f.alice.Rewards(ctx)
	if st.Epochs[0].State != state.EpochHalted || !strings.Contains(st.Epochs[0].Halt, "another root") {
		t.Fatalf("halted: %+v", st.Epochs[0])
	}
	_, err = f.alice.RewardsResume(ctx, 0)
	wantCode(t, err, api.CodePermissionDenied)
	got, err := f.mgmt.RewardsResume(ctx, 0)
	if err != nil || got.Number != 2 || got.State != state.EpochClosed || got.Halt != "" {
		t.Fatalf("resume: %+v %v", got, err)
	}
	// The proof is still epoch 1's until 2 is published.
	if p, err := f.alice.RewardProof(ctx, walletB); err != nil || p.Epoch != 1 || p.CumulativeAmount != units(t, "0.5") {
		t.Fatalf("proof during epoch 2: %+v %v", p, err)
	}

	// No embedded chain: its RPC is refused.
	code, e, _ = raw(t, http.MethodPost, f.srv.URL+"/v1/rewards/rpc", f.aliceTok, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}`))
	if code != http.StatusNotFound || e.Code != api.CodeNoEmbeddedChain {
		t.Fatalf("rpc without an embedded chain: %d %+v", code, e)
	}
	code, e, _ = raw(t, http.MethodPost, f.srv.URL+"/v1/rewards/rpc", "", strings.NewReader(`{}`))
	if code != http.StatusUnauthorized || e.Code != api.CodeUnauthenticated {
		t.Fatalf("rpc without a token: %d %+v", code, e)
	}
}

// Without a chain the ledger still shows; what needs the chain says
// rewards are off.
func TestRewardsOff(t *testing.T) {
	f := newRewardsFixture(t, false)
	f.srv.Donate(t, bridgetest.Donation{Donor: "uni-a", Wallet: walletA, Node: "a1", GPUs: 1, Seconds: 3600})
	st, err := f.alice.Rewards(f.ctx)
	if err != nil || st.Chain != nil || st.Accrued.Total != units(t, "1") || st.Epochs == nil {
		t.Fatalf("status: %+v %v", st, err)
	}
	_, err = f.mgmt.RewardsClose(f.ctx)
	wantCode(t, err, api.CodeRewardsOff)
	_, err = f.mgmt.RewardsResume(f.ctx, 1)
	wantCode(t, err, api.CodeRewardsOff)
	code, e, _ := raw(t, http.MethodPost, f.srv.URL+"/v1/rewards/rpc", f.aliceTok, strings.NewReader(`{}`))
	if code != http.StatusNotFound || e.Code != api.CodeNoEmbeddedChain {
		t.Fatalf("rpc: %d %+v", code, e)
	}
	if _, err := f.mgmt.RewardRatesSet(f.ctx, &api.RewardRatesRequest{DefaultGPU: "1", CPU: "1"}); err != nil {
		t.Fatalf("rates are the ledger's, set without a chain: %v", err)
	}
}

// A close sent to a follower is the leader's: forwarded, committed there,
// seen on the follower.
func TestRewardsCloseForwarded(t *testing.T) {
	ctx := t.Context()
	c := bridgetest.NewCluster()
	var nodes []*node
	for _, id := range []string{"s1", "s2"} {
		n := c.Add(id, id+":4748")
		nodes = append(nodes, startRewardsNode(t, n, bridgetest.NewRewards(n, testChain, nil)))
	}
	if err := nodes[0].srv.EstablishLeadership(ctx); err != nil {
		t.Fatal(err)
	}
	tok, err := client(t, nodes[1].url, "").ACLBootstrap(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	follower := client(t, nodes[1].url, tok.SecretID)
	_, err = follower.RewardsClose(ctx)
	wantCode(t, err, api.CodeNothingToClose) // the leader's answer, through the follower
	bridgetest.Donate(t, nodes[0].raft, bridgetest.Donation{Donor: "uni-a", Wallet: walletA, Node: "a1", GPUs: 1, Seconds: 3600})
	ep, err := follower.RewardsClose(ctx)
	if err != nil || ep.Number != 1 || ep.Total != units(t, "1") {
		t.Fatalf("close through the follower: %+v %v", ep, err)
	}
	if e := nodes[1].raft.Store().View().Epoch(1); e == nil || e.Root != ep.Root {
		t.Fatalf("the follower's epoch 1: %+v", e)
	}
}

// startRewardsNode is startNode with a RewardsBackend.
func startRewardsNode(t *testing.T, n *bridgetest.Raft, b apiserver.RewardsBackend) *node {
	t.Helper()
	hs := httptest.NewUnstartedServer(nil)
	url := "http://" + hs.Listener.Addr().String()
	srv, err := apiserver.New(apiserver.Config{Raft: n, Store: n.Store(), NodeID: n.ID(), APIAddr: url, Servers: n.Servers,
		Now: func() time.Time { return t0 }, Rewards: b})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(hs.Close)
	return &node{raft: n, srv: srv, url: url}
}

// Past state.EpochsExported closes: the status lists the newest
// api.MaxRewardEpochs epochs (newest first) of them all, and an epoch
// whose leaves were pruned answers not_found, not a server error.
func TestRewardsManyEpochs(t *testing.T) {
	if testing.Short() {
		t.Skip("closes more than a thousand epochs")
	}
	f := newRewardsFixture(t, true)
	n := state.EpochsExported + 2
	for i := range n {
		f.srv.Donate(t, bridgetest.Donation{Donor: "uni-a", Wallet: walletA, Node: "a1", CPUs: 1, Seconds: int64(3600 + i)})
		if _, err := f.mgmt.RewardsClose(f.ctx); err != nil {
			t.Fatalf("close %d: %v", i+1, err)
		}
	}
	st, err := f.alice.Rewards(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.EpochCount != n || len(st.Epochs) != api.MaxRewardEpochs || st.Epochs[0].Number != uint64(n) || st.Epochs[api.MaxRewardEpochs-1].Number != uint64(n-api.MaxRewardEpochs+1) {
		t.Fatalf("status: %d epochs listed of %d, first %d", len(st.Epochs), st.EpochCount, st.Epochs[0].Number)
	}
	_, err = f.alice.RewardsExport(f.ctx, 1)
	if e := wantCode(t, err, api.CodeNotFound); !strings.Contains(e.Message, "pruned") {
		t.Fatalf("export of a pruned epoch: %v", e)
	}
	if _, err := f.alice.RewardsExport(f.ctx, uint64(n)); err != nil {
		t.Fatalf("export of the newest: %v", err)
	}
}

// POST /v1/rewards/rpc mounts the embedded chain's JSON-RPC as it is:
// only with a token (not a run token), the chain's method allow-list and
// body bound hold through the API.
func TestRewardsRPCRoute(t *testing.T) {
	ch, err := chain.Open(t.Context(), chain.Config{Kind: chain.KindSimulated})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ch.Close() })
	srv := bridgetest.Start(t, bridgetest.Options{Now: func() time.Time { return t0 },
		Rewards: &bridgetest.Rewards{ChainInfo: api.RewardsChain{Kind: chain.KindSimulated, ChainID: "1337", Embedded: true}, Handler: ch.ServeRPC()}})
	user := srv.UserToken(t, "alice")
	post := func(token, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/rewards/rpc", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set(api.HeaderToken, token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(user, `{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}`); code != http.StatusOK || !strings.Contains(body, `"result":"0x539"`) {
		t.Fatalf("eth_chainId: %d %s", code, body)
	}
	for _, m := range []string{"eth_accounts", "personal_unlockAccount", "debug_traceTransaction", "admin_nodeInfo", "eth_sign"} {
		if code, body := post(user, `{"jsonrpc":"2.0","id":1,"method":"`+m+`","params":[]}`); code != http.StatusOK || !strings.Contains(body, "is not served here") {
			t.Errorf("%s: %d %s", m, code, body)
		}
	}
	if code, _ := post(user, `{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["`+strings.Repeat("x", chain.MaxRPCBody)+`"]}`); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over %d bytes: %d", chain.MaxRPCBody, code)
	}
	if code, body := post("", `{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}`); code != http.StatusUnauthorized {
		t.Errorf("without a token: %d %s", code, body)
	}
	job := srv.Donate(t, bridgetest.Donation{Donor: "uni-a", Wallet: walletA, Node: "a1", CPUs: 1, Seconds: 60})
	if code, body := post(srv.RunToken(t, job), `{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}`); code != http.StatusForbidden {
		t.Errorf("a run token: %d %s", code, body)
	}
	code, e, _ := raw(t, http.MethodGet, srv.URL+"/v1/rewards/rpc", user, nil)
	if code != http.StatusMethodNotAllowed || e.Code != api.CodeInvalidRequest {
		t.Errorf("GET: %d %+v", code, e)
	}
}
