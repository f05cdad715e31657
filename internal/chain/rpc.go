package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/rpc"
)

// Bounds of ServeRPC.
const (
	// MaxRPCBody is the largest request body ServeRPC reads (256 KiB).
	MaxRPCBody = 256 << 10
	// MaxRPCBatch is the most calls in one JSON-RPC batch.
	MaxRPCBatch = 16
	// maxRPCResponse bounds a batch's response.
	maxRPCResponse = 8 << 20
	// MaxRPCConcurrent is how many requests ServeRPC runs at once; others
	// wait (at most rpcTimeout) for their turn. eth_call and eth_estimateGas
	// run contract code: without it, concurrent requests could take every
	// core of the coordinator's machine.
	MaxRPCConcurrent = 2
	// MaxRPCLogQuery bounds the addresses, and the topics per position, of
	// an eth_getLogs (go-ethereum's default; 0 would be no bound).
	MaxRPCLogQuery = 1000
	// RPCSendRate and RPCSendBurst bound the transactions ServeRPC takes
	// (eth_sendRawTransaction, all callers together), counted in units of
	// RPCSendUnit bytes (a claim is one): RPCSendBurst units at once, then
	// RPCSendRate a second. Each is mined in a block of its own and kept
	// on disk: gas at the dev chain's fees costs next to nothing, so fees
	// alone do not bound what a caller with a funded key writes.
	RPCSendRate  = 2
	RPCSendBurst = 32
	RPCSendUnit  = 4 << 10
)

// rpcTimeout bounds one ServeRPC request: its wait for a turn and its run
// (eth_estimateGas runs the call many times and has no timeout of its own;
// eth_call has RPCEVMTimeout within it). A variable for tests.
var rpcTimeout = 10 * time.Second

// rpcBusy is the JSON-RPC error code of a request refused for load
// (go-ethereum's "limit exceeded").
const rpcBusy = -32005

// AllowedMethods are the JSON-RPC methods ServeRPC answers: what a wallet, a
// block explorer or `hpcbridge rewards claim/verify` need to read the chain
// and send signed transactions. Nothing that signs with a node key, changes
// the node or the chain's history (dev_*, debug_*, admin_*, miner_*,
// eth_sendTransaction, eth_sign...), and no subscriptions or filters (state
// kept per client).
var AllowedMethods = []string{
	"eth_chainId", "eth_blockNumber", "eth_call", "eth_estimateGas", "eth_gasPrice",
	"eth_maxPriorityFeePerGas", "eth_feeHistory", "eth_getBalance", "eth_getCode",
	"eth_getTransactionCount", "eth_getTransactionReceipt", "eth_getTransactionByHash",
	"eth_sendRawTransaction", "eth_getBlockByNumber", "eth_getLogs", "net_version",
}

// JSON-RPC error codes ServeRPC answers with.
const (
	rpcInvalidRequest = -32600
	rpcMethodNotFound = -32601
	rpcParseError     = -32700
)

// rpcHandler serves the simulated chain's JSON-RPC over HTTP, allow-listed
// and bounded, in front of a go-ethereum rpc.Server holding only the eth and
// net namespaces.
type rpcHandler struct {
	sim     *simChain
	server  *rpc.Server
	allowed map[string]bool
	turns   chan struct{} // MaxRPCConcurrent slots
	sends   *tokenBucket  // eth_sendRawTransaction
}

// tokenBucket is a rate limit: burst tokens, refilled at rate a second.
type tokenBucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
	now    func() time.Time
}

func newTokenBucket(rate, burst float64) *tokenBucket {
	return &tokenBucket{rate: rate, burst: burst, tokens: burst, now: time.Now}
}

// take takes n tokens, or none and reports false when there are fewer.
func (b *tokenBucket) take(n float64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < n {
		return false
	}
	b.tokens -= n
	return true
}

func newRPCHandler(sim *simChain, backend *eth.Ethereum, filterAPI *filters.FilterAPI) (*rpcHandler, error) {
	server := rpc.NewServer()
	server.SetHTTPBodyLimit(MaxRPCBody)
	server.SetBatchLimits(MaxRPCBatch, maxRPCResponse)
	for _, api := range backend.APIs() {
		if api.Namespace != "eth" && api.Namespace != "net" {
			continue
		}
		if err := server.RegisterName(api.Namespace, api.Service); err != nil {
			return nil, fmt.Errorf("chain: rpc %s API: %w", api.Namespace, err)
		}
	}
	if err := server.RegisterName("eth", filterAPI); err != nil {
		return nil, fmt.Errorf("chain: rpc filter API: %w", err)
	}
	allowed := make(map[string]bool, len(AllowedMethods))
	for _, m := range AllowedMethods {
		allowed[m] = true
	}
	return &rpcHandler{sim: sim, server: server, allowed: allowed, turns: make(chan struct{}, MaxRPCConcurrent),
		sends: newTokenBucket(RPCSendRate, RPCSendBurst)}, nil
}

// rpcCall is the part of a JSON-RPC request the handler checks.
type rpcCall struct {
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

// ServeHTTP checks the request (POST, size, batch size, every method on the
// allow list) and hands it to go-ethereum's server; a request that fails a
// check is refused whole with one JSON-RPC error (id null). After a sent raw
// transaction it waits (bounded) for the transaction's block.
func (h *rpcHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeRPCError(w, http.StatusMethodNotAllowed, rpcInvalidRequest, "JSON-RPC takes POST only, not "+r.Method)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRPCBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeRPCError(w, http.StatusRequestEntityTooLarge, rpcInvalidRequest, fmt.Sprintf("request body over %d bytes", MaxRPCBody))
			return
		}
		writeRPCError(w, http.StatusBadRequest, rpcParseError, "reading the request: "+err.Error())
		return
	}
	calls, code, msg := h.check(body)
	if msg != "" {
		writeRPCError(w, http.StatusOK, code, msg)
		return
	}
	units := 0
	for _, c := range calls {
		if c.Method == "eth_sendRawTransaction" {
			size := 0 // the transaction's bytes: its hex's length, halved (a bound)
			if len(c.Params) > 0 {
				size = len(c.Params[0]) / 2
			}
			units += max(1, (size+RPCSendUnit-1)/RPCSendUnit)
		}
	}
	if units > 0 && !h.sends.take(float64(units)) {
		writeRPCError(w, http.StatusTooManyRequests, rpcBusy, fmt.Sprintf("too many transactions: this chain takes %d of %d bytes at once, then %d a second",
			RPCSendBurst, RPCSendUnit, RPCSendRate))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), rpcTimeout)
	defer cancel()
	select {
	case h.turns <- struct{}{}:
	case <-ctx.Done():
		writeRPCError(w, http.StatusServiceUnavailable, rpcBusy, fmt.Sprintf("busy: %d requests running, none ended in %s", MaxRPCConcurrent, rpcTimeout))
		return
	}
	released := false
	release := func() {
		if !released {
			released = true
			<-h.turns
		}
	}
	defer release()
	r = r.WithContext(ctx)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	h.server.ServeHTTP(w, r)
	// Waiting for a block takes no turn: a transaction no block takes
	// (a fee cap under the base fee) would hold one for the whole wait.
	release()
	for _, c := range calls {
		if c.Method != "eth_sendRawTransaction" || len(c.Params) == 0 {
			continue
		}
		if hash, ok := rawTxHash(c.Params[0]); ok {
			_ = h.sim.waitIncluded(r.Context(), hash) // the answer is sent; the caller reads the receipt
		}
	}
}

// check parses body as one call or a batch and checks the batch size and
// every method; on refusal it returns the JSON-RPC error code and message.
func (h *rpcHandler) check(body []byte) ([]rpcCall, int, string) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	var calls []rpcCall
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &calls); err != nil {
			return nil, rpcParseError, "parse error: " + err.Error()
		}
		switch {
		case len(calls) == 0:
			return nil, rpcInvalidRequest, "empty batch"
		case len(calls) > MaxRPCBatch:
			return nil, rpcInvalidRequest, fmt.Sprintf("batch of %d calls: at most %d", len(calls), MaxRPCBatch)
		}
	} else {
		var c rpcCall
		if err := json.Unmarshal(trimmed, &c); err != nil {
			return nil, rpcParseError, "parse error: " + err.Error()
		}
		calls = []rpcCall{c}
	}
	for _, c := range calls {
		if !h.allowed[c.Method] {
			return nil, rpcMethodNotFound, fmt.Sprintf("method %q is not served here (allowed: %s)", truncate(c.Method, 64), strings.Join(AllowedMethods, ", "))
		}
	}
	return calls, 0, ""
}

// rawTxHash decodes an eth_sendRawTransaction parameter into the hash of
// the transaction.
func rawTxHash(param json.RawMessage) (common.Hash, bool) {
	var raw hexutil.Bytes
	if err := json.Unmarshal(param, &raw); err != nil {
		return common.Hash{}, false
	}
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(raw); err != nil {
		return common.Hash{}, false
	}
	return tx.Hash(), true
}

func writeRPCError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"jsonrpc": "2.0",
		"id":      nil,
		"error":   map[string]any{"code": code, "message": msg},
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
