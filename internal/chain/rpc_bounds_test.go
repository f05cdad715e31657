package chain

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
)

// What any token holder can make ServeRPC do is bounded: an eth_getLogs
// names at most MaxRPCLogQuery addresses; transactions are taken
// RPCSendBurst units of RPCSendUnit bytes at once then RPCSendRate a
// second (each is a block on disk, and gas costs next to nothing on the
// dev chain); a request runs at
// most rpcTimeout, waiting included (eth_estimateGas has no bound of its
// own), and at most MaxRPCConcurrent run at once.
func TestServeRPCBounds(t *testing.T) {
	key := testKey(t)
	c := openSim(t, "", FundAlloc(oneEther, KeyAddress(key)))
	srv := httptest.NewServer(c.ServeRPC())
	defer srv.Close()
	ctx := context.Background()

	// eth_getLogs over too many addresses.
	addrs := make([]string, MaxRPCLogQuery+1)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("%q", common.BigToAddress(big.NewInt(int64(i+1))).Hex())
	}
	q := `{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"0x0","address":[` + strings.Join(addrs, ",") + `]}]}`
	if _, body := rpcPost(t, srv.URL, q); !strings.Contains(body, "exceed max addresses") {
		t.Errorf("eth_getLogs of %d addresses: %s", len(addrs), body)
	}

	// eth_sendRawTransaction: a burst, then refused.
	id, _ := c.ChainID(ctx)
	head, err := c.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	payee := common.HexToAddress("0x00000000000000000000000000000000000000cc")
	send := func(nonce uint64) (int, string) {
		tx, err := types.SignNewTx(key, types.LatestSignerForChainID(id), &types.DynamicFeeTx{ChainID: id, Nonce: nonce,
			GasTipCap: big.NewInt(1), GasFeeCap: new(big.Int).Mul(head.BaseFee, big.NewInt(4)), Gas: 21000, To: &payee, Value: big.NewInt(1)})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := tx.MarshalBinary()
		return rpcPost(t, srv.URL, `{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["`+hexutil.Encode(raw)+`"]}`)
	}
	c.sim.rpcHandler.sends.now = func() time.Time { return time.Unix(int64(head.Time), 0) }
	for n := range uint64(RPCSendBurst) {
		if code, body := send(n); code != http.StatusOK || !strings.Contains(body, `"result"`) {
			t.Fatalf("transaction %d of the burst: %d %s", n, code, body)
		}
	}
	if code, body := send(RPCSendBurst); code != http.StatusTooManyRequests || !strings.Contains(body, "too many transactions") {
		t.Fatalf("transaction %d at once: %d %s", RPCSendBurst+1, code, body)
	}
	c.sim.rpcHandler.sends.now = func() time.Time { return time.Unix(int64(head.Time), 0).Add(time.Second) }
	if code, body := send(RPCSendBurst); code != http.StatusOK || !strings.Contains(body, `"result"`) {
		t.Fatalf("a transaction a second later: %d %s", code, body)
	}
	// Big transactions count by their size: 60 KiB of calldata is 15
	// units, the two a full burst allows, then none.
	c.sim.rpcHandler.sends.now = func() time.Time { return time.Unix(int64(head.Time), 0).Add(time.Hour) }
	for i := range 3 {
		tx, err := types.SignNewTx(key, types.LatestSignerForChainID(id), &types.DynamicFeeTx{ChainID: id, Nonce: uint64(RPCSendBurst + 1 + i),
			GasTipCap: big.NewInt(1), GasFeeCap: new(big.Int).Mul(head.BaseFee, big.NewInt(4)), Gas: 3_000_000, To: &payee, Data: make([]byte, 60<<10)})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := tx.MarshalBinary()
		code, body := rpcPost(t, srv.URL, `{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["`+hexutil.Encode(raw)+`"]}`)
		if ok := code == http.StatusOK && strings.Contains(body, `"result"`); ok != (i < 2) {
			t.Fatalf("60 KiB transaction %d: %d %.300s", i+1, code, body)
		}
	}

	// eth_estimateGas of a call that runs long (BLAKE2F, 1 gas a round,
	// 15 million rounds, run once per step of the estimate's search: about
	// 0.6 s here, 16 of them in a batch): cut at rpcTimeout.
	defer func(d time.Duration) { rpcTimeout = d }(rpcTimeout)
	rpcTimeout = 50 * time.Millisecond
	input := make([]byte, 213)
	copy(input, []byte{0x00, 0xe4, 0xe1, 0xc0}) // 15,000,000 rounds
	start := time.Now()
	_, body := rpcPost(t, srv.URL, `{"jsonrpc":"2.0","id":1,"method":"eth_estimateGas","params":[{"to":"0x0000000000000000000000000000000000000009","data":"`+hexutil.Encode(input)+`"}]}`)
	if strings.Contains(body, `"result"`) {
		t.Fatalf("eth_estimateGas of 15M BLAKE2F rounds answered after %s (no bound): %s", time.Since(start), body)
	}

	// Every turn taken: a request waits rpcTimeout, then is refused.
	for range MaxRPCConcurrent {
		c.sim.rpcHandler.turns <- struct{}{}
	}
	code, body := rpcPost(t, srv.URL, `{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}`)
	for range MaxRPCConcurrent {
		<-c.sim.rpcHandler.turns
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "busy") {
		t.Fatalf("a request while %d run: %d %s", MaxRPCConcurrent, code, body)
	}

	// A transaction no block takes (fee cap 1 wei, under the base fee)
	// waits for its block without holding a turn: two of them do not stop
	// a third request.
	rpcTimeout = 3 * time.Second
	c.sim.rpcHandler.sends.now = func() time.Time { return time.Unix(int64(head.Time), 0).Add(2 * time.Hour) }
	stuckKey := testKey(t)
	if r := sendTx(t, c, key, ptr(KeyAddress(stuckKey)), new(big.Int).Div(oneEther, big.NewInt(10)), nil); r.Status != types.ReceiptStatusSuccessful {
		t.Fatal("funding the stuck key failed")
	}
	var hashes []common.Hash
	done := make(chan struct{}, MaxRPCConcurrent)
	for n := range uint64(MaxRPCConcurrent) {
		tx, err := types.SignNewTx(stuckKey, types.LatestSignerForChainID(id), &types.DynamicFeeTx{ChainID: id, Nonce: n,
			GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(1), Gas: 21000, To: &payee, Value: big.NewInt(1)})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := tx.MarshalBinary()
		hashes = append(hashes, tx.Hash())
		go func() {
			defer func() { done <- struct{}{} }()
			resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"eth_sendRawTransaction","params":["`+hexutil.Encode(raw)+`"]}`))
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	defer func() {
		for range MaxRPCConcurrent {
			<-done
		}
	}()
	pool := c.sim.eth.TxPool()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.After(10 * time.Second); !pool.Has(hashes[0]) || !pool.Has(hashes[1]); {
		select {
		case <-tick.C:
		case <-deadline:
			t.Skip("the pool does not take the unminable transactions")
		}
	}
	start = time.Now()
	code, body = rpcPost(t, srv.URL, `{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}`)
	if code != http.StatusOK || !strings.Contains(body, `"result"`) || time.Since(start) > rpcTimeout/2 {
		t.Fatalf("a request while %d transactions wait for a block: %d %s after %s", MaxRPCConcurrent, code, body, time.Since(start))
	}
}

func ptr[T any](v T) *T { return &v }
