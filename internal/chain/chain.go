package chain

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
)

// The chain kinds of Config.Kind.
const (
	KindSimulated = "simulated" // go-ethereum's in-process simulated chain
	KindRPC       = "rpc"       // any JSON-RPC endpoint (Config.URL)
)

// Config says which chain to open.
type Config struct {
	// Kind is KindSimulated or KindRPC.
	Kind string
	// URL is the JSON-RPC endpoint of the rpc kind (http, https, ws or wss).
	URL string
	// DataDir keeps the simulated chain's state across restarts; empty: in
	// memory, gone at Close. Unused by the rpc kind.
	DataDir string
}

// Backend is what callers use to talk to the chain: the backend of abigen v2
// bindings (bind.ContractBackend, bind.DeployBackend) and plain reads. Both
// kinds implement it with go-ethereum's ethclient; on the simulated chain
// SendTransaction also waits (bounded) until the transaction is in a block.
type Backend interface {
	bind.ContractBackend
	bind.DeployBackend
	ethereum.ChainIDReader
	ethereum.BlockNumberReader
	ethereum.ChainStateReader
	ethereum.TransactionReader
	ethereum.ChainReader
}

var (
	_ Backend = (*ethclient.Client)(nil)
	_ Backend = (*Chain)(nil)
)

// Errors of Open.
var (
	// ErrConfig: the Config is not usable (its message says why).
	ErrConfig = errors.New("chain: bad configuration")
)

// Chain is an open chain. It is a Backend itself (pass it to bindings), and
// Client returns the same Backend. Close releases it.
type Chain struct {
	Backend
	cfg    Config
	ec     *ethclient.Client
	sim    *simChain // nil for the rpc kind
	closed bool
}

// Open opens the chain cfg names. fund is the simulated chain's genesis
// allocation (merged, later maps win), used only when the chain is created:
// a simulated DataDir that already holds a chain reopens it with the genesis
// it was created with, and Open refuses a fund naming an account that genesis
// did not fund (the caller's key changed; it would silently have no ether).
// The rpc kind refuses a fund: a real chain's genesis is not ours to choose.
func Open(ctx context.Context, cfg Config, fund ...types.GenesisAlloc) (*Chain, error) {
	alloc := types.GenesisAlloc{}
	for _, f := range fund {
		maps.Copy(alloc, f)
	}
	switch cfg.Kind {
	case KindSimulated:
		if cfg.URL != "" {
			return nil, fmt.Errorf("%w: the simulated chain takes no URL (got %q)", ErrConfig, cfg.URL)
		}
		sim, err := openSimulated(ctx, cfg.DataDir, alloc)
		if err != nil {
			return nil, err
		}
		return &Chain{Backend: sim.backend(), cfg: cfg, ec: sim.client, sim: sim}, nil
	case KindRPC:
		if len(alloc) > 0 {
			return nil, fmt.Errorf("%w: a genesis allocation is for the simulated chain only, not %s", ErrConfig, cfg.URL)
		}
		if cfg.DataDir != "" {
			return nil, fmt.Errorf("%w: the rpc kind keeps no data dir (got %q)", ErrConfig, cfg.DataDir)
		}
		u, err := url.Parse(cfg.URL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("%w: chain URL %q is not an http(s) or ws(s) URL", ErrConfig, cfg.URL)
		}
		switch u.Scheme {
		case "http", "https", "ws", "wss":
		default:
			return nil, fmt.Errorf("%w: chain URL %q: scheme %q is not http, https, ws or wss", ErrConfig, cfg.URL, u.Scheme)
		}
		ec, err := ethclient.DialContext(ctx, cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("chain: dial %s: %w", u.Redacted(), err)
		}
		return &Chain{Backend: ec, cfg: cfg, ec: ec}, nil
	default:
		return nil, fmt.Errorf("%w: kind %q (want %q or %q)", ErrConfig, cfg.Kind, KindSimulated, KindRPC)
	}
}

// Client returns the chain's Backend (the Chain itself).
func (c *Chain) Client() Backend { return c }

// Config returns the configuration the chain was opened with.
func (c *Chain) Config() Config { return c.cfg }

// Simulated reports whether this is the in-process simulated chain.
func (c *Chain) Simulated() bool { return c.sim != nil }

// ServeRPC returns the simulated chain's JSON-RPC handler: HTTP POST only,
// the methods of AllowedMethods only, a body of at most MaxRPCBody bytes and
// batches of at most MaxRPCBatch calls; eth_sendRawTransaction answers once
// the transaction is in a block (bounded), like Backend.SendTransaction. Load
// is bounded for any caller: MaxRPCConcurrent requests at once, each at most
// 10 s (waiting included), transactions RPCSendBurst units of RPCSendUnit
// bytes at once then RPCSendRate a second, eth_getLogs over at most
// MaxRPCLogQuery addresses.
// Not bounded: eth_getLogs's block range (rewards verify searches from
// block 0: the cost grows with the chain, a block per transaction) and the
// disk the chain's blocks take (RPCSendRate a second at most). It is nil for
// the rpc kind (there is no embedded chain to serve).
func (c *Chain) ServeRPC() http.Handler {
	if c.sim == nil {
		return nil
	}
	return c.sim.rpcHandler
}

// Close releases the chain: the RPC client and, for the simulated chain, its
// miner, the node and its database (flushed). Call it once its users are
// done (a SendTransaction still waiting returns); calling it again does
// nothing. Every goroutine of the chain has ended when it returns but one:
// goleveldb's mpoolDrain of go-ethereum's p2p node database, which by
// goleveldb's design ends up to 1 s after that database's Close (not a leak;
// goleak.VerifyNone gives up sooner: see TestSimulatedCloseLeavesNoGoroutine).
func (c *Chain) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	if c.sim != nil {
		return c.sim.close()
	}
	c.ec.Close()
	return nil
}
