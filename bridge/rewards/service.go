package rewards

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/contracts"
	"github.com/hpcbridge/hpcbridge/internal/chain"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// HoldEnv is the test hook of the end-to-end leader kill: with it set to
// an epoch number N, the publisher, once the publish transaction of epoch
// N it sent has landed and before it records the epoch published, blocks
// until its term ends (the next leader finds the epoch on the chain and
// records it without sending anything). It is for tests only and has no
// effect otherwise.
const HoldEnv = "HPCBRIDGE_TEST_PUBLISH_HOLD"

// Config configures the rewards service (bridge.Config.Rewards).
type Config struct {
	// Chain is the chain the contract lives on.
	Chain chain.Config
	// Contract is the RewardDistributor's 0x address. Empty: the address
	// kept in ContractFile, and when that file does not exist yet, a new
	// contract deployed by the publisher key (its admin too: the
	// embedded default; production deploys with a Safe as admin).
	Contract string
	// ContractFile keeps a deployed contract's address (needed when
	// Contract is empty).
	ContractFile string
	// KeystoreFile is the publisher key's go-ethereum keystore file,
	// PasswordFile the file holding its password (may be empty).
	KeystoreFile, PasswordFile string
	// Epoch is how often the closer closes an epoch (0: only manual
	// closes).
	Epoch time.Duration
	// Faucet sends 1 ETH for gas to every wallet of a published epoch
	// whose balance is below 0.1 ETH, from the publisher key: the dev
	// faucet, refused unless the chain is simulated.
	Faucet bool
	// Fund is the balance the publisher key gets in a new simulated
	// chain's genesis (nil: 1,000,000 ETH).
	Fund *big.Int
	// MaxFeePerGas bounds the fee per gas (base fee plus priority fee,
	// in wei) of every transaction the publisher key signs, whatever the
	// chain's node suggests (nil: DefaultMaxFeePerGas). A base fee above
	// it makes the publisher wait (and warn) rather than pay it.
	MaxFeePerGas *big.Int
	// Confirmations is how many blocks must follow the block that holds
	// an epoch's publish before the epoch is recorded published (0: the
	// block itself is enough: the simulated chain and geth --dev, which
	// never reorganise). A real chain can drop recent blocks (a reorg): an
	// epoch recorded published from a block that is gone leaves the
	// contract behind the ledger, and publishing halts. Use a depth no
	// reorg reaches, e.g. 64 on Ethereum mainnet (finality).
	Confirmations uint64
	// ConfirmationsGiven says the operator chose Confirmations (hpcbridge
	// server --reward-confirmations). When not, a JSON-RPC chain whose id
	// is not a dev chain's (devChainIDs) is refused with Confirmations 0:
	// a default that suits geth --dev must not be carried to a real chain
	// unnoticed.
	ConfirmationsGiven bool
}

// devChainIDs are the chain ids of the dev chains, which never
// reorganise: geth --dev and the simulated chain (1337), Anvil and
// Hardhat (31337).
var devChainIDs = []uint64{1337, 31337}

// errNoDepth marks the refusal of a chain that may reorganise when no
// confirmation depth was chosen.
var errNoDepth = errors.New("no confirmation depth chosen")

// Applier commits a command built with state.Encode (the leader's Raft
// node). Barrier returns once the local store has applied every entry
// committed before the call: a new leader's store may not have applied
// its predecessor's last entries yet, and the leader tasks read the
// ledger only after it.
type Applier interface {
	Apply(ctx context.Context, cmd []byte) (*state.Result, uint64, error)
	Barrier(ctx context.Context) error
}

// Deps are the coordinator's parts the service uses.
type Deps struct {
	Store  *state.Store
	Raft   Applier
	Logger *slog.Logger
	// Now is the clock (time.Now when nil): epochs' close times.
	Now func() time.Time
}

// Backend is what the service needs of a chain client; go-ethereum's
// ethclient and simulated clients have it.
type Backend interface {
	bind.ContractBackend
	bind.DeployBackend
	ethereum.ChainIDReader
	ethereum.ChainStateReader
}

var _ Backend = chain.Backend(nil)
var _ apiserver.RewardsBackend = (*Service)(nil)

// Service is the rewards side of one coordinator server: its leader tasks
// (Closer, Publisher) and the API's rewards backend.
type Service struct {
	cfg      Config
	deps     Deps
	log      *slog.Logger
	chain    *chain.Chain
	backend  Backend
	key      *ecdsa.PrivateKey
	from     common.Address
	contract common.Address
	id       atomic.Pointer[big.Int] // the chain's id, once checked
	hold     uint64                  // HoldEnv's epoch (0: none)
}

// DefaultMaxFeePerGas bounds a transaction's fee per gas (base fee and
// priority fee together) when Config.MaxFeePerGas is nil: 500 gwei.
var DefaultMaxFeePerGas = new(big.Int).Mul(big.NewInt(500), big.NewInt(1e9))

// ErrConfig marks a configuration the service refuses.
var ErrConfig = errors.New("rewards configuration")

// DefaultFund is a new simulated chain's genesis balance of the publisher
// key: 1,000,000 ETH.
var DefaultFund = new(big.Int).Mul(big.NewInt(1_000_000), big.NewInt(1e18))

// Open connects to the chain, loads the publisher key and checks (or, see
// Config.Contract, deploys) the contract. Shutdown releases the chain.
func Open(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	if deps.Store == nil || deps.Raft == nil {
		return nil, fmt.Errorf("%w: rewards needs the state store and the Raft node", ErrConfig)
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if cfg.Epoch < 0 {
		return nil, fmt.Errorf("%w: --reward-epoch %s: want 0 (manual closes only) or more", ErrConfig, cfg.Epoch)
	}
	if cfg.MaxFeePerGas == nil {
		cfg.MaxFeePerGas = DefaultMaxFeePerGas
	} else if cfg.MaxFeePerGas.Sign() <= 0 {
		return nil, fmt.Errorf("%w: the publisher's fee bound %s wei: want more than 0", ErrConfig, cfg.MaxFeePerGas)
	}
	if cfg.Faucet && cfg.Chain.Kind != chain.KindSimulated {
		return nil, fmt.Errorf("%w: the dev faucet runs only on the simulated chain", ErrConfig)
	}
	if cfg.KeystoreFile == "" {
		return nil, fmt.Errorf("%w: --publisher-keystore: the publisher key's keystore file is required", ErrConfig)
	}
	if cfg.Contract != "" && !common.IsHexAddress(cfg.Contract) {
		return nil, fmt.Errorf("%w: --reward-contract %.60q: want a 0x address", ErrConfig, cfg.Contract)
	}
	if cfg.Contract == "" && cfg.ContractFile == "" {
		return nil, fmt.Errorf("%w: --reward-contract: the contract's address is required", ErrConfig)
	}
	key, err := chain.LoadKeystore(cfg.KeystoreFile, cfg.PasswordFile)
	if err != nil {
		return nil, fmt.Errorf("publisher key: %w", err)
	}
	s := &Service{cfg: cfg, deps: deps, log: deps.Logger, key: key, from: crypto.PubkeyToAddress(key.PublicKey)}
	if v := os.Getenv(HoldEnv); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("%w: %s=%.30q: want an epoch number", ErrConfig, HoldEnv, v)
		}
		s.hold = n
		s.log.Warn("rewards: "+HoldEnv+" is set: a test hook holds the publish of this epoch unrecorded", "epoch", n)
	}
	fund := cfg.Fund
	if fund == nil {
		fund = DefaultFund
	}
	var alloc []types.GenesisAlloc
	if cfg.Chain.Kind == chain.KindSimulated {
		alloc = append(alloc, types.GenesisAlloc{s.from: {Balance: fund}})
	}
	c, err := chain.Open(ctx, cfg.Chain, alloc...)
	if err != nil {
		return nil, fmt.Errorf("chain: %w", err)
	}
	s.chain, s.backend = c, c.Client()
	if err := s.findContract(ctx); err != nil {
		c.Close()
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err = s.check(cctx)
	cancel()
	if err != nil {
		if cfg.Chain.Kind == chain.KindSimulated || errors.Is(err, errNoDepth) {
			c.Close()
			return nil, err
		}
		// A chain that is down must not keep the coordinator from
		// starting: the publisher checks it again before it publishes.
		s.log.Warn("rewards: the chain is not reachable now; the publisher tries again", "err", err)
	}
	return s, nil
}

// findContract sets the contract's address: Config.Contract, else the one
// kept in ContractFile, else a new contract's.
func (s *Service) findContract(ctx context.Context) error {
	addr := s.cfg.Contract
	if addr == "" {
		if b, err := os.ReadFile(s.cfg.ContractFile); err == nil {
			addr = strings.TrimSpace(string(b))
			if !common.IsHexAddress(addr) {
				return fmt.Errorf("%s: %.60q is not a contract address", s.cfg.ContractFile, addr)
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if addr == "" {
		a, err := s.deploy(ctx)
		if err != nil {
			return err
		}
		addr = a.Hex()
	}
	s.contract = common.HexToAddress(addr)
	return nil
}

// check reads the chain id and checks that the contract is there; the
// chain id it keeps marks the chain checked (chainID).
func (s *Service) check(ctx context.Context) error {
	id, err := s.backend.ChainID(ctx)
	if err != nil {
		return fmt.Errorf("chain: chain id: %w", err)
	}
	if err := s.checkPin(id); err != nil {
		return err
	}
	if err := s.checkDepth(id); err != nil {
		return err
	}
	code, err := s.backend.CodeAt(ctx, s.contract, nil)
	if err != nil {
		return fmt.Errorf("chain: the contract's code: %w", err)
	}
	if len(code) == 0 {
		if s.cfg.Contract == "" {
			return fmt.Errorf("no contract at %s (kept in %s) on chain %s: the chain's data is not the one it was deployed on; remove %s to deploy a new one",
				s.contract.Hex(), s.cfg.ContractFile, id, s.cfg.ContractFile)
		}
		return fmt.Errorf("no contract at %s on chain %s", s.contract.Hex(), id)
	}
	pub, err := contracts.Publisher(ctx, s.backend, s.contract)
	if err != nil {
		return fmt.Errorf("contract %s: publisher(): %w", s.contract.Hex(), err)
	}
	if pub != s.from {
		// Not fatal: the admin may be about to rotate the publisher. Every
		// publish until then would revert, and halt.
		s.log.Error("rewards: the contract's publisher is not this coordinator's publisher key; publishes will be refused until the admin sets it",
			"contract", s.contract.Hex(), "contract_publisher", pub.Hex(), "publisher_key", s.from.Hex())
	}
	s.id.Store(id)
	s.log.Info("rewards", "chain", s.cfg.Chain.Kind, "chain_id", id.String(), "contract", s.contract.Hex(), "publisher", s.from.Hex(), "epoch", s.cfg.Epoch)
	return nil
}

// checkPin refuses a chain id other than the one the contract's published
// epochs were sent on: a node that answers another chain's id would have
// the publisher key sign transactions valid there (a replay on a chain
// where the key has ether). The publisher checks it before each step too
// (the store may not have replayed the log when the service opened).
func (s *Service) checkPin(id *big.Int) error {
	if pinned, n := s.pinnedChainID(); pinned != "" && pinned != id.String() {
		return fmt.Errorf("chain: the node answers chain id %s, but epoch %d was published to the contract %s on chain %s: the wrong node, or a hostile one; nothing is signed for it",
			id, n, s.contract.Hex(), pinned)
	}
	return nil
}

// checkDepth refuses a JSON-RPC chain that is not a dev chain when no
// confirmation depth was chosen: an epoch recorded published from its own
// block can be undone by a reorganisation, and publishing then halts.
func (s *Service) checkDepth(id *big.Int) error {
	if s.cfg.Chain.Kind != chain.KindRPC || s.cfg.Confirmations > 0 || s.cfg.ConfirmationsGiven {
		return nil
	}
	for _, dev := range devChainIDs {
		if id.IsUint64() && id.Uint64() == dev {
			return nil
		}
	}
	return fmt.Errorf("chain: %w: chain id %s is not a dev chain, and a publish recorded from its own block can be undone by a reorganisation (publishing then halts); give --reward-confirmations N, a depth no reorganisation reaches (64 on Ethereum mainnet), or --reward-confirmations 0 for a chain that never reorganises", errNoDepth, id)
}

// pinnedChainID is the chain id of the newest epoch published to this
// contract with an intent, and its number ("" when none).
func (s *Service) pinnedChainID() (string, uint64) {
	eps := s.deps.Store.View().Epochs()
	for i := len(eps) - 1; i >= 0; i-- {
		if e := eps[i]; e.State == state.EpochPublished && e.Intent != nil && strings.EqualFold(e.Intent.Contract, s.contract.Hex()) {
			return e.Intent.ChainID, e.Number
		}
	}
	return "", 0
}

// chainID is the chain's id, nil until the chain was checked.
func (s *Service) chainID() *big.Int { return s.id.Load() }

// deploy deploys a new contract with the publisher key as admin and
// publisher and keeps its address in ContractFile.
func (s *Service) deploy(ctx context.Context) (common.Address, error) {
	if s.cfg.Chain.Kind != chain.KindSimulated {
		return common.Address{}, fmt.Errorf("%w: --reward-contract: the contract's address is required on %s", ErrConfig, s.cfg.Chain.Kind)
	}
	addr, tx, err := contracts.Deploy(ctx, s.backend, s.key, s.from, s.from)
	if err != nil {
		return common.Address{}, fmt.Errorf("deploy the reward contract: %w", err)
	}
	if _, err := bind.WaitDeployed(ctx, s.backend, tx.Hash()); err != nil {
		return common.Address{}, fmt.Errorf("deploy the reward contract: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.cfg.ContractFile), 0o700); err != nil {
		return common.Address{}, err
	}
	tmp := s.cfg.ContractFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(addr.Hex()+"\n"), 0o644); err != nil {
		return common.Address{}, err
	}
	if err := os.Rename(tmp, s.cfg.ContractFile); err != nil {
		return common.Address{}, err
	}
	s.log.Info("rewards: deployed the reward contract", "contract", addr.Hex(), "tx", tx.Hash().Hex(), "kept_in", s.cfg.ContractFile)
	return addr, nil
}

// Shutdown releases the chain.
func (s *Service) Shutdown() error {
	return s.chain.Close()
}

// Contract is the contract's address.
func (s *Service) Contract() common.Address { return s.contract }

// From is the publisher key's address.
func (s *Service) From() common.Address { return s.from }

// ChainID is the chain's id (nil while the chain was never reached).
func (s *Service) ChainID() *big.Int {
	if id := s.chainID(); id != nil {
		return new(big.Int).Set(id)
	}
	return nil
}

// Backend is the chain client.
func (s *Service) Backend() Backend { return s.backend }

// Chain describes the chain for GET /v1/rewards.
func (s *Service) Chain() api.RewardsChain {
	c := api.RewardsChain{Kind: s.cfg.Chain.Kind, Contract: s.contract.Hex()}
	if id := s.chainID(); id != nil {
		c.ChainID = id.String()
	}
	if s.cfg.Chain.Kind == chain.KindSimulated {
		c.Embedded = true
	} else {
		c.RPCURL = publicURL(s.cfg.Chain.URL)
	}
	return c
}

// RPC is the embedded chain's allow-listed JSON-RPC handler; nil unless the
// chain is simulated.
func (s *Service) RPC() http.Handler {
	if s.cfg.Chain.Kind != chain.KindSimulated {
		return nil
	}
	return s.chain.ServeRPC()
}

// scrub is text without the chain URL's user info and query (its secrets,
// as hosted nodes' API keys): text that token holders read may quote the
// URL (an error of Go's HTTP client does).
func (s *Service) scrub(text string) string {
	raw := s.cfg.Chain.URL
	u, err := url.Parse(raw)
	if raw == "" || err != nil {
		return text
	}
	pub := publicURL(raw)
	for _, form := range []string{raw, u.String(), u.Redacted()} {
		if form != "" {
			text = strings.ReplaceAll(text, form, pub)
		}
	}
	for _, secret := range []string{u.RawQuery, u.User.String()} {
		if len(secret) >= 4 { // not a stray short match
			text = strings.ReplaceAll(text, secret, "(hidden)")
		}
	}
	return text
}

// publicURL is u without user info, query or fragment: the URL every
// token holder may read.
func publicURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	p.User, p.RawQuery, p.Fragment = nil, "", ""
	return p.String()
}
