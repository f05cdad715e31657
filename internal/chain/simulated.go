package chain

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/catalyst"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/event"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
)

const (
	// nodeName is the node's instance directory under DataDir (the chain
	// database sits in DataDir/simchain/chaindata).
	nodeName = "simchain"
	// GenesisFile is the file in DataDir that records the genesis the chain
	// was created with, so that a reopen uses the same one.
	GenesisFile = "genesis.json"
	// maxGenesisFile bounds what Open reads back from GenesisFile.
	maxGenesisFile = 16 << 20
	// includeWait bounds how long SendTransaction (and eth_sendRawTransaction
	// through ServeRPC) waits for the transaction's block.
	includeWait = 10 * time.Second
	// indexWait bounds how long Open waits for the transaction index of a
	// reopened chain (so receipts do not answer "indexing in progress").
	indexWait = 10 * time.Second
	// maxIdleBlocks is how many blocks without a transaction the miner seals
	// per wake-up (a new transaction in the pool): one, then it waits for
	// the next transaction.
	maxIdleBlocks = 1
	// maxWakeBlocks bounds the blocks sealed per wake-up.
	maxWakeBlocks = 256
)

// simChain is the in-process simulated chain: a go-ethereum node (no
// networking, no HTTP, no IPC) with the eth service and a simulated beacon
// that mines each transaction it receives.
type simChain struct {
	stack      *node.Node
	eth        *eth.Ethereum
	beacon     *catalyst.SimulatedBeacon
	client     *ethclient.Client
	rpcHandler *rpcHandler
	quit       chan struct{} // closed by close: stops the miner
	minerDone  chan struct{} // closed when the miner has returned
}

// simulated.Backend (go-ethereum's ethclient/simulated) is not used as is: on
// start it resets the chain head to genesis ("reorg our chain back to
// genesis"), so a reopened data dir would lose every block. This assembles the
// same pieces (node, eth service, filter API, simulated beacon) without that
// reset, with a persistent database, and with the beacon's auto-mining loop.
func openSimulated(ctx context.Context, dataDir string, fund types.GenesisAlloc) (s *simChain, err error) {
	genesis, err := simGenesis(dataDir, fund)
	if err != nil {
		return nil, err
	}
	// The node's p2p key: never used (no listener, no discovery, no peers),
	// set so that the node does not write a nodekey file into DataDir.
	p2pKey, err := crypto.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("chain: simulated chain: %w", err)
	}
	nodeConf := node.Config{
		Name:    nodeName,
		DataDir: dataDir,
		P2P: p2p.Config{
			NoDiscovery: true, MaxPeers: 0, ListenAddr: "", PrivateKey: p2pKey,
		},
		BatchRequestLimit:    MaxRPCBatch,
		BatchResponseMaxSize: maxRPCResponse,
	}
	if dataDir != "" {
		nodeConf.KeyStoreDir = filepath.Join(dataDir, nodeName, "keystore")
	}
	stack, err := node.New(&nodeConf)
	if err != nil {
		return nil, fmt.Errorf("chain: simulated chain in %q: %w", dataDir, err)
	}
	defer func() {
		if err != nil {
			_ = stack.Close()
		}
	}()

	ethConf := ethconfig.Defaults
	ethConf.Genesis = genesis
	ethConf.SyncMode = ethconfig.FullSync
	ethConf.TxPool.NoLocals = true
	// The miner's minimum tip is the pool's (1 wei), as in `geth --dev`:
	// a transaction the pool takes is one a block can take (go-ethereum's
	// default miner tip, 0.001 gwei, would leave cheaper ones pending).
	ethConf.Miner.GasPrice = big.NewInt(1)
	ethConf.TxPool.Journal = ""
	ethConf.LogNoHistory = true // eth_getLogs searches blocks (the chain is small)
	// Hash scheme, archive mode: each block's state is committed to the
	// database with the block, so a process that dies without Close loses
	// nothing (the path scheme keeps recent state in memory until shutdown).
	ethConf.StateScheme = rawdb.HashScheme
	ethConf.NoPruning = true
	ethConf.SnapshotCache = 0
	// eth_call and eth_estimateGas (ServeRPC serves them to any token
	// holder) run at most what one Osaka transaction may use (EIP-7825),
	// not go-ethereum's default 50M, and at most RPCEVMTimeout (5 s).
	ethConf.RPCGasCap = params.MaxTxGas
	// Small caches: a dev chain holds a few thousand blocks at most.
	ethConf.DatabaseCache = 32
	ethConf.TrieCleanCache = 16
	ethConf.TrieDirtyCache = 0

	backend, err := eth.New(stack, &ethConf)
	if err != nil {
		return nil, fmt.Errorf("chain: simulated chain in %q: %w", dataDir, err)
	}
	filterAPI := filters.NewFilterAPI(filters.NewFilterSystem(backend.APIBackend, filters.Config{LogQueryLimit: MaxRPCLogQuery}))
	stack.RegisterAPIs([]rpc.API{{Namespace: "eth", Service: filterAPI}})

	// Period 0: the beacon seals a block only when asked (Commit); the
	// chain's own miner loop asks when the pool has a new transaction.
	// go-ethereum's loop for this (RegisterSimulatedBeaconAPIs, which
	// `geth --dev --dev.period 0` runs) is not used: it seals blocks until
	// the pool has no executable transaction, so one that no block can
	// include (a fee cap below the base fee) makes it seal empty blocks
	// without end.
	beacon, err := catalyst.NewSimulatedBeacon(0, common.Address{}, backend)
	if err != nil {
		return nil, fmt.Errorf("chain: simulated chain in %q: beacon: %w", dataDir, err)
	}
	stack.RegisterLifecycle(beacon)

	if err := stack.Start(); err != nil {
		return nil, fmt.Errorf("chain: simulated chain in %q: start: %w", dataDir, err)
	}
	s = &simChain{stack: stack, eth: backend, beacon: beacon, client: ethclient.NewClient(stack.Attach()),
		quit: make(chan struct{}), minerDone: make(chan struct{})}
	s.rpcHandler, err = newRPCHandler(s, backend, filterAPI)
	if err != nil {
		s.client.Close()
		return nil, err
	}
	newTxs := make(chan core.NewTxsEvent, 16)
	sub := backend.TxPool().SubscribeTransactions(newTxs, true)
	go s.mine(newTxs, sub)
	s.waitIndexed(ctx)
	return s, nil
}

// simGenesis returns the genesis to open dataDir with: the one recorded in
// dataDir/genesis.json when there is one (fund may only name accounts it
// funds), else a new one under Osaka rules funding fund, recorded there first.
func simGenesis(dataDir string, fund types.GenesisAlloc) (*core.Genesis, error) {
	for addr, acct := range fund {
		if acct.Balance == nil || acct.Balance.Sign() < 0 {
			return nil, fmt.Errorf("%w: genesis allocation of %s has no balance", ErrConfig, addr)
		}
	}
	alloc := core.SystemContractAllocs()
	maps.Copy(alloc, fund)
	fresh := &core.Genesis{
		Config:     OsakaConfig(),
		GasLimit:   ethconfig.Defaults.Miner.GasCeil,
		Difficulty: new(big.Int), // merged at genesis (required by the JSON form)
		Alloc:      alloc,
	}
	if dataDir == "" {
		return fresh, nil
	}
	file := filepath.Join(dataDir, GenesisFile)
	data, err := readBounded(file, maxGenesisFile)
	switch {
	case err == nil:
		stored := new(core.Genesis)
		if err := json.Unmarshal(data, stored); err != nil {
			return nil, fmt.Errorf("chain: %s: %w", file, err)
		}
		for addr := range fund {
			if _, ok := stored.Alloc[addr]; !ok {
				return nil, fmt.Errorf("%w: the chain in %s was created without funding %s (genesis funds are set when the chain is created; remove the data dir to start a new chain)", ErrConfig, dataDir, addr)
			}
		}
		return stored, nil
	case errors.Is(err, os.ErrNotExist):
	default:
		return nil, fmt.Errorf("chain: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("chain: data dir: %w", err)
	}
	data, err = json.MarshalIndent(fresh, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("chain: genesis: %w", err)
	}
	if err := writeFileAtomic(file, data, 0o600); err != nil {
		return nil, fmt.Errorf("chain: %w", err)
	}
	return fresh, nil
}

// waitIndexed waits (bounded by ctx and indexWait) until the transaction
// indexer of a reopened chain has caught up, so that its receipts are found
// at once instead of answering "transaction indexing is in progress". A new
// chain (only its genesis) has nothing to index: the indexer reports done
// only after its first block. Running out of time is not an error: the
// indexer goes on, and receipt readers retry as on any node.
func (s *simChain) waitIndexed(ctx context.Context) {
	bc := s.eth.BlockChain()
	if bc.CurrentBlock().Number.Sign() == 0 || bc.TxIndexDone() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, indexWait)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !bc.TxIndexDone() {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// waitIncluded waits until the transaction hash is in a canonical block, is
// no longer in the pool (rejected or dropped), ctx ends or includeWait
// passes: the beacon's loop seals the block asynchronously after the pool
// accepts the transaction. Once the transaction is mined it syncs the
// database, and returns that sync's error only.
func (s *simChain) waitIncluded(ctx context.Context, hash common.Hash) error {
	bc := s.eth.BlockChain()
	heads := make(chan core.ChainHeadEvent, 16)
	sub := bc.SubscribeChainHeadEvent(heads)
	defer sub.Unsubscribe()
	timer := time.NewTimer(includeWait)
	defer timer.Stop()
	// A fallback tick: the head event may come before the lookup is readable
	// through the cache, and a pool drop sends no event.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		pending := s.eth.TxPool().Has(hash)
		if lookup, _ := bc.GetCanonicalTransaction(hash); lookup != nil {
			// Mined: make it durable before the caller hears so. The
			// database writes without fsync (a killed process would lose
			// its last blocks); a block per transaction, a sync per block.
			if err := s.eth.ChainDb().SyncKeyValue(); err != nil {
				return fmt.Errorf("chain: simulated chain: transaction %s mined, but syncing the database failed: %w", hash, err)
			}
			return nil
		}
		if !pending {
			return nil // neither pending nor mined: the pool refused or dropped it
		}
		select {
		case <-heads:
		case <-tick.C:
		case <-sub.Err():
			return nil
		case <-ctx.Done():
			return nil
		case <-timer.C:
			return nil
		}
	}
}

// mine is the chain's miner: on each new transaction in the pool it seals
// blocks while the pool has executable transactions and each block takes
// some, with at most maxIdleBlocks empty ones (one that no block can take
// stays pending) and maxWakeBlocks in all per wake-up. The pool's events are
// received by a goroutine of their own that never blocks (the pool's feed
// waits for its receivers, and sealing waits for the pool: receiving them
// here, between seals, could deadlock). Both return when the chain closes.
func (s *simChain) mine(newTxs <-chan core.NewTxsEvent, sub event.Subscription) {
	defer close(s.minerDone)
	wake := make(chan struct{}, 1)
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		defer sub.Unsubscribe()
		for {
			select {
			case <-s.quit:
				return
			case <-sub.Err():
				return
			case <-newTxs:
				select {
				case wake <- struct{}{}:
				default: // a wake-up is already due
				}
			}
		}
	}()
	defer func() { <-relayDone }()

	bc, pool := s.eth.BlockChain(), s.eth.TxPool()
	for {
		select {
		case <-s.quit:
			return
		case <-wake:
		}
		idle := 0
		for range maxWakeBlocks {
			before := bc.CurrentBlock().Number.Uint64()
			hash := s.beacon.Commit() // logs its own errors
			block := bc.GetBlockByHash(hash)
			if block == nil || block.NumberU64() <= before {
				break // nothing sealed (an error, or closing)
			}
			if block.Transactions().Len() == 0 {
				if idle++; idle >= maxIdleBlocks {
					break
				}
			}
			if err := pool.Sync(); err != nil {
				break
			}
			if executable, _ := pool.Stats(); executable == 0 {
				break
			}
			select {
			case <-s.quit:
				return
			default:
			}
		}
	}
}

func (s *simChain) backend() Backend { return &simClient{Client: s.client, sim: s} }

func (s *simChain) close() error {
	close(s.quit)
	<-s.minerDone
	s.client.Close()
	return s.stack.Close()
}

// simClient is the simulated chain's Backend: ethclient in-process, with a
// SendTransaction that returns once the transaction is mined.
type simClient struct {
	*ethclient.Client
	sim *simChain
}

// SendTransaction sends tx and waits (at most 10 s) until it is in a block,
// so that bind.WaitMined finds its receipt on the first try. A transaction
// the pool accepted but that is not mined in that time is still pending: the
// caller waits for its receipt as on any chain.
func (c *simClient) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	if err := c.Client.SendTransaction(ctx, tx); err != nil {
		return err
	}
	return c.sim.waitIncluded(ctx, tx.Hash())
}

// FundAlloc returns a genesis allocation giving each address wei (a helper for
// Open's fund argument).
func FundAlloc(wei *big.Int, addrs ...common.Address) types.GenesisAlloc {
	alloc := make(types.GenesisAlloc, len(addrs))
	for _, a := range addrs {
		alloc[a] = types.Account{Balance: new(big.Int).Set(wei)}
	}
	return alloc
}

// KeyAddress returns the address of key.
func KeyAddress(key *ecdsa.PrivateKey) common.Address { return crypto.PubkeyToAddress(key.PublicKey) }

// readBounded reads file, refusing one over limit bytes.
func readBounded(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if n > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", file, limit)
	}
	return buf.Bytes(), nil
}

// writeFileAtomic writes data to file through a temporary file in the same
// directory and a rename, with mode perm, synced.
func writeFileAtomic(file string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), file)
}
