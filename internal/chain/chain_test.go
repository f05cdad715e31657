package chain

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/params/forks"
)

// answer42 is a hand-assembled contract: its init code returns the runtime
// code PUSH1 42 PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN, which answers 42
// (one 32-byte word) to any call.
var (
	answer42Runtime = common.FromHex("602a60005260206000f3")
	answer42Init    = append(common.FromHex("600a600c600039600a6000f3"), answer42Runtime...)
)

var oneEther = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

func testKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// sendTx signs and sends a dynamic-fee transaction from key (to nil: a
// contract creation) and returns its receipt, which must be there at once
// on the simulated chain (SendTransaction waits for the block).
func sendTx(t *testing.T, b Backend, key *ecdsa.PrivateKey, to *common.Address, value *big.Int, data []byte) *types.Receipt {
	t.Helper()
	r, err := trySend(b, key, to, value, data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// trySend is sendTx for goroutines other than the test's: it returns errors.
func trySend(b Backend, key *ecdsa.PrivateKey, to *common.Address, value *big.Int, data []byte) (*types.Receipt, error) {
	ctx := context.Background()
	from := KeyAddress(key)
	chainID, err := b.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	nonce, err := b.PendingNonceAt(ctx, from)
	if err != nil {
		return nil, err
	}
	tip, err := b.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, err
	}
	head, err := b.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, err
	}
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	gas, err := b.EstimateGas(ctx, ethereum.CallMsg{From: from, To: to, Value: value, Data: data})
	if err != nil {
		return nil, err
	}
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: gas,
		To: to, Value: value, Data: data,
	})
	if err != nil {
		return nil, err
	}
	if err := b.SendTransaction(ctx, tx); err != nil {
		return nil, err
	}
	rcpt, err := b.TransactionReceipt(ctx, tx.Hash())
	if err != nil {
		return nil, fmt.Errorf("receipt of %s right after SendTransaction: %w (SendTransaction should wait for the block)", tx.Hash(), err)
	}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		return nil, fmt.Errorf("transaction %s failed", tx.Hash())
	}
	return rcpt, nil
}

func openSim(t *testing.T, dir string, fund ...types.GenesisAlloc) *Chain {
	t.Helper()
	c, err := Open(context.Background(), Config{Kind: KindSimulated, DataDir: dir}, fund...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestOsakaConfig(t *testing.T) {
	c := OsakaConfig()
	if err := c.CheckConfigForkOrder(); err != nil {
		t.Fatal(err)
	}
	for _, ts := range []uint64{0, uint64(time.Now().Unix()), 1 << 62} {
		if got := c.LatestFork(ts); got != forks.Osaka {
			t.Errorf("LatestFork(%d) = %v, want Osaka", ts, got)
		}
	}
	// The dev configuration it copies runs a later fork (the reason for it).
	if got := params.AllDevChainProtocolChanges.LatestFork(0); got == forks.Osaka {
		t.Logf("note: go-ethereum's dev configuration now runs Osaka itself")
	}
	// A copy: changing it leaves the global alone.
	c.ChainID.SetInt64(7)
	*c.OsakaTime = 5
	if params.AllDevChainProtocolChanges.ChainID.Int64() != 1337 || *params.AllDevChainProtocolChanges.OsakaTime != 0 || *OsakaConfig().PragueTime != 0 {
		t.Fatal("OsakaConfig shares state with params.AllDevChainProtocolChanges")
	}
}

// TestSimulatedRunsOsaka: the chain's blocks are built under Osaka rules, and
// gas differs from the dev configuration's default (a later fork), so the
// numbers measured on it are Osaka's.
func TestSimulatedRunsOsaka(t *testing.T) {
	key := testKey(t)
	c := openSim(t, "", FundAlloc(oneEther, KeyAddress(key)))
	cfgID, err := c.ChainID(context.Background())
	if err != nil || cfgID.Int64() != 1337 {
		t.Fatalf("chain id %v, %v", cfgID, err)
	}
	r := sendTx(t, c, key, nil, nil, answer42Init)
	if got := c.sim.eth.BlockChain().Config().LatestFork(uint64(time.Now().Unix())); got != forks.Osaka {
		t.Fatalf("the chain runs %v", got)
	}
	t.Logf("answer42 creation under Osaka: %d gas", r.GasUsed)
}

func TestSimulatedPersistsAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	key := testKey(t)
	other := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	fund := FundAlloc(new(big.Int).Mul(oneEther, big.NewInt(10)), KeyAddress(key))
	ctx := context.Background()

	c := openSim(t, dir, fund)
	created := sendTx(t, c, key, nil, nil, answer42Init)
	sendTx(t, c, key, &other, big.NewInt(12345), nil)
	wantBlock, err := c.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantBal, err := c.BalanceAt(ctx, KeyAddress(key), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	c = openSim(t, dir, fund)
	checkState(t, c, created.ContractAddress, other, KeyAddress(key), wantBlock, wantBal)
	// The chain goes on: the nonce continues and a new block follows.
	r := sendTx(t, c, key, &other, big.NewInt(1), nil)
	if r.BlockNumber.Uint64() != wantBlock+1 {
		t.Fatalf("next block %d, want %d", r.BlockNumber, wantBlock+1)
	}

	// A fund naming an account the stored genesis did not fund is refused.
	if _, err := Open(ctx, Config{Kind: KindSimulated, DataDir: t.TempDir() + "/x"}, fund); err != nil {
		t.Fatal(err)
	}
	c.Close()
	_, err = Open(ctx, Config{Kind: KindSimulated, DataDir: dir}, FundAlloc(oneEther, other))
	if !errors.Is(err, ErrConfig) {
		t.Fatalf("reopen funding a new account: %v, want ErrConfig", err)
	}
}

func checkState(t *testing.T, c *Chain, contract, other, from common.Address, wantBlock uint64, wantBal *big.Int) {
	t.Helper()
	ctx := context.Background()
	if n, err := c.BlockNumber(ctx); err != nil || n != wantBlock {
		t.Fatalf("block number after reopen %d (%v), want %d", n, err, wantBlock)
	}
	if code, err := c.CodeAt(ctx, contract, nil); err != nil || !bytes.Equal(code, answer42Runtime) {
		t.Fatalf("contract code after reopen %x (%v)", code, err)
	}
	out, err := c.CallContract(ctx, ethereum.CallMsg{To: &contract}, nil)
	if err != nil || new(big.Int).SetBytes(out).Int64() != 42 {
		t.Fatalf("call after reopen: %x, %v", out, err)
	}
	if bal, err := c.BalanceAt(ctx, other, nil); err != nil || bal.Int64() != 12345 {
		t.Fatalf("balance of the payee after reopen %v (%v)", bal, err)
	}
	if bal, err := c.BalanceAt(ctx, from, nil); err != nil || bal.Cmp(wantBal) != 0 {
		t.Fatalf("balance of the sender after reopen %v (%v), want %v", bal, err, wantBal)
	}
}

// TestSimulatedSurvivesKill: a process that dies without Close (SIGKILL)
// loses nothing it reported mined: each block's state is written with it.
func TestSimulatedSurvivesKill(t *testing.T) {
	if os.Getenv("HPCBRIDGE_CHAIN_CHILD") != "" {
		return // the child's work is in TestChainChild
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChainChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HPCBRIDGE_CHAIN_CHILD="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	// The child prints "mined CONTRACT OTHER FROM BLOCK BALANCE" and then
	// waits to be killed.
	var fields []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 6 && f[0] == "mined" {
			fields = f
			break
		}
	}
	if fields == nil {
		t.Fatalf("the child did not report: %v", sc.Err())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	block, _ := strconv.ParseUint(fields[4], 10, 64)
	bal, _ := new(big.Int).SetString(fields[5], 10)
	c := openSim(t, dir)
	checkState(t, c, common.HexToAddress(fields[1]), common.HexToAddress(fields[2]), common.HexToAddress(fields[3]), block, bal)
}

// TestChainChild is TestSimulatedSurvivesKill's child process.
func TestChainChild(t *testing.T) {
	dir := os.Getenv("HPCBRIDGE_CHAIN_CHILD")
	if dir == "" {
		t.Skip("the child of TestSimulatedSurvivesKill")
	}
	key := testKey(t)
	other := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	c, err := Open(context.Background(), Config{Kind: KindSimulated, DataDir: dir}, FundAlloc(oneEther, KeyAddress(key)))
	if err != nil {
		t.Fatal(err)
	}
	created := sendTx(t, c, key, nil, nil, answer42Init)
	sendTx(t, c, key, &other, big.NewInt(12345), nil)
	n, _ := c.BlockNumber(context.Background())
	bal, _ := c.BalanceAt(context.Background(), KeyAddress(key), nil)
	fmt.Printf("mined %s %s %s %d %s\n", created.ContractAddress, other, KeyAddress(key), n, bal)
	select {} // killed by the parent, never closed
}

func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	for _, cfg := range []Config{
		{},
		{Kind: "ganache"},
		{Kind: KindSimulated, URL: "http://127.0.0.1:8545"},
		{Kind: KindRPC},
		{Kind: KindRPC, URL: "file:///etc/passwd"},
		{Kind: KindRPC, URL: "127.0.0.1:8545"},
		{Kind: KindRPC, URL: "http://127.0.0.1:8545", DataDir: "/tmp/x"},
	} {
		if _, err := Open(ctx, cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("Open(%+v): %v, want ErrConfig", cfg, err)
		}
	}
	if _, err := Open(ctx, Config{Kind: KindRPC, URL: "http://127.0.0.1:1"}, FundAlloc(oneEther, common.Address{1})); !errors.Is(err, ErrConfig) {
		t.Errorf("rpc kind with a fund: %v, want ErrConfig", err)
	}
}

// TestRPCKind: the rpc kind over the simulated chain's ServeRPC, end to end:
// ethclient through the allow-listed handler sends, mines and reads back.
func TestRPCKind(t *testing.T) {
	key := testKey(t)
	sim := openSim(t, "", FundAlloc(oneEther, KeyAddress(key)))
	srv := httptest.NewServer(sim.ServeRPC())
	defer srv.Close()

	c, err := Open(context.Background(), Config{Kind: KindRPC, URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Simulated() || c.ServeRPC() != nil {
		t.Fatal("the rpc kind claims to be simulated")
	}
	// eth_sendRawTransaction answers after the block: the receipt is there.
	created := sendTx(t, c, key, nil, nil, answer42Init)
	if code, err := c.CodeAt(context.Background(), created.ContractAddress, nil); err != nil || !bytes.Equal(code, answer42Runtime) {
		t.Fatalf("code over RPC %x (%v)", code, err)
	}
	logs, err := c.FilterLogs(context.Background(), ethereum.FilterQuery{FromBlock: big.NewInt(0)})
	if err != nil || len(logs) != 0 {
		t.Fatalf("eth_getLogs: %v, %v", logs, err)
	}
	if _, err := ethclient.NewClient(c.ec.Client()).NetworkID(context.Background()); err != nil {
		t.Fatalf("net_version: %v", err)
	}
}

func rpcPost(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.String()
}

func TestServeRPCRefuses(t *testing.T) {
	sim := openSim(t, "")
	srv := httptest.NewServer(sim.ServeRPC())
	defer srv.Close()

	call := func(method string) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":%q,"params":[]}`, method)
	}
	// Allowed: answered.
	if code, body := rpcPost(t, srv.URL, call("eth_chainId")); code != 200 || !strings.Contains(body, `"result":"0x539"`) {
		t.Fatalf("eth_chainId: %d %s", code, body)
	}
	// Outside the list, although the node has them: refused.
	for _, m := range []string{"eth_sendTransaction", "eth_sign", "eth_accounts", "debug_setHead", "dev_setFeeRecipient", "admin_nodeInfo", "miner_setExtra", "eth_subscribe", "eth_newFilter", "txpool_content", "testing_buildBlockV1", ""} {
		code, body := rpcPost(t, srv.URL, call(m))
		if code != 200 || !strings.Contains(body, "-32601") || !strings.Contains(body, "is not served here") {
			t.Errorf("%s: %d %s", m, code, body)
		}
	}
	// A batch hiding one disallowed call: refused whole.
	if _, body := rpcPost(t, srv.URL, "["+call("eth_chainId")+","+call("debug_setHead")+"]"); !strings.Contains(body, "is not served here") || strings.Contains(body, "0x539") {
		t.Errorf("mixed batch: %s", body)
	}
	// Batches: 16 answered, 17 refused, empty refused.
	batch := func(n int) string {
		calls := make([]string, n)
		for i := range calls {
			calls[i] = call("eth_blockNumber")
		}
		return "[" + strings.Join(calls, ",") + "]"
	}
	if code, body := rpcPost(t, srv.URL, batch(MaxRPCBatch)); code != 200 || strings.Count(body, `"result"`) != MaxRPCBatch {
		t.Errorf("batch of %d: %d %s", MaxRPCBatch, code, body)
	}
	if _, body := rpcPost(t, srv.URL, batch(MaxRPCBatch+1)); !strings.Contains(body, "-32600") || strings.Contains(body, `"result"`) {
		t.Errorf("batch of %d: %s", MaxRPCBatch+1, body)
	}
	if _, body := rpcPost(t, srv.URL, "[]"); !strings.Contains(body, "empty batch") {
		t.Errorf("empty batch: %s", body)
	}
	// Oversize body: 413, before any parsing.
	big := `{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"data":"0x` + strings.Repeat("00", MaxRPCBody/2) + `"}]}`
	if code, body := rpcPost(t, srv.URL, big); code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "over") {
		t.Errorf("oversize body: %d %s", code, body)
	}
	// Not JSON, not POST.
	if _, body := rpcPost(t, srv.URL, "{"); !strings.Contains(body, "-32700") {
		t.Errorf("bad JSON: %s", body)
	}
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
}

// TestUnminableTxDoesNotSpin: a transaction the pool takes but no block can
// include (fee cap 1 wei, below any base fee) must not make the chain seal
// empty blocks without end (go-ethereum's period-0 loop commits until the
// pool has no executable transaction: a CPU and disk spin that anyone
// reaching ServeRPC could start). The chain makes a bounded number of blocks
// for it and mines the next good transactions one block each.
func TestUnminableTxDoesNotSpin(t *testing.T) {
	key, good := testKey(t), testKey(t)
	c := openSim(t, "", FundAlloc(oneEther, KeyAddress(key), KeyAddress(good)))
	ctx := context.Background()
	id, _ := c.ChainID(ctx)
	payee := common.HexToAddress("0x00000000000000000000000000000000000000cc")
	stuck, err := types.SignNewTx(key, types.LatestSignerForChainID(id), &types.DynamicFeeTx{
		ChainID: id, Nonce: 0, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(1), Gas: 21000, To: &payee, Value: big.NewInt(1),
	})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, time.Second)
	err = c.SendTransaction(sctx, stuck)
	cancel()
	if err != nil {
		t.Skipf("the pool refuses the unminable transaction outright: %v", err)
	}
	first := sendTx(t, c, good, &payee, big.NewInt(1), nil).BlockNumber.Uint64()
	if first > maxIdleBlocks+2 {
		t.Fatalf("%d blocks before the first good transaction: the chain spins on the unminable one", first)
	}
	for i := range 3 {
		n := sendTx(t, c, good, &payee, big.NewInt(1), nil).BlockNumber.Uint64()
		if n > first+uint64(i+1)*(maxIdleBlocks+1) {
			t.Fatalf("good transaction %d in block %d, %d blocks after the first: the chain spins on the unminable one", i+2, n, n-first)
		}
	}
	if _, pending, err := c.TransactionByHash(ctx, stuck.Hash()); err != nil || !pending {
		t.Fatalf("the unminable transaction: pending %v, %v", pending, err)
	}
}

// TestConcurrentSends: transactions sent at once from many keys are each
// mined before their SendTransaction returns (no lost wake-up).
func TestConcurrentSends(t *testing.T) {
	keys := make([]*ecdsa.PrivateKey, 8)
	addrs := make([]common.Address, len(keys))
	for i := range keys {
		keys[i] = testKey(t)
		addrs[i] = KeyAddress(keys[i])
	}
	c := openSim(t, "", FundAlloc(oneEther, addrs...))
	payee := common.HexToAddress("0x00000000000000000000000000000000000000dd")
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Go(func() {
			for range 4 {
				if _, err := trySend(c, k, &payee, big.NewInt(1), nil); err != nil {
					t.Error(err) // not mined when SendTransaction returned
					return
				}
			}
		})
	}
	wg.Wait()
	if bal, err := c.BalanceAt(context.Background(), payee, nil); err != nil || bal.Int64() != int64(len(keys)*4) {
		t.Fatalf("payee balance %v (%v), want %d", bal, err, len(keys)*4)
	}
}

// BenchmarkSimulatedSend: one value transfer sent and mined (its own block)
// per op, in memory and in a data dir (a database sync per block).
func BenchmarkSimulatedSend(b *testing.B) {
	for _, tc := range []struct {
		name    string
		datadir bool
	}{{"memory", false}, {"datadir", true}} {
		b.Run(tc.name, func(b *testing.B) {
			dir := ""
			if tc.datadir {
				dir = b.TempDir()
			}
			key, err := crypto.GenerateKey()
			if err != nil {
				b.Fatal(err)
			}
			c, err := Open(context.Background(), Config{Kind: KindSimulated, DataDir: dir}, FundAlloc(oneEther, KeyAddress(key)))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			payee := common.HexToAddress("0x00000000000000000000000000000000000000ee")
			b.ResetTimer()
			for range b.N {
				if _, err := trySend(c, key, &payee, big.NewInt(1), nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
