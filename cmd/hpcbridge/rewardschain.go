package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/urfave/cli/v2"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/contracts"
	"github.com/hpcbridge/hpcbridge/contracts/bindings"
	"github.com/hpcbridge/hpcbridge/internal/chain"
	"github.com/hpcbridge/hpcbridge/internal/merkle"
	"github.com/hpcbridge/hpcbridge/internal/wallet"
)

// The commands of hpcbridge rewards that talk to the chain: claim and
// verify (docs/rewards.md).

// chainConn is an open connection to the chain the rewards are on.
type chainConn struct {
	*ethclient.Client
	url string
}

// dialChain connects to the chain: rpcURL when given, else the chain's
// RPC URL the coordinator names, or the coordinator's embedded chain
// (POST /v1/rewards/rpc, with the client's token and TLS settings).
func dialChain(ctx context.Context, client *api.Client, ch *api.RewardsChain, rpcURL string) (*chainConn, error) {
	var opts []rpc.ClientOption
	switch {
	case rpcURL != "":
	case ch == nil:
		return nil, errors.New("the coordinator runs without a chain (rewards are off); name one with --rpc URL")
	case ch.Embedded:
		rpcURL = client.RewardsRPCURL()
		opts = append(opts, rpc.WithHTTPClient(client.HTTPClient()))
		if tok := client.Token(); tok != "" {
			opts = append(opts, rpc.WithHeader(api.HeaderToken, tok))
		}
	case ch.RPCURL != "":
		// Only a network URL: go-ethereum's client takes a bare path for a
		// local IPC socket, which the coordinator has no business naming.
		if u, err := url.Parse(ch.RPCURL); err != nil || !slices.Contains([]string{"http", "https", "ws", "wss"}, u.Scheme) || u.Host == "" {
			return nil, fmt.Errorf("the coordinator names chain RPC %.100q, not an http(s) or ws(s) URL; give --rpc URL", ch.RPCURL)
		}
		rpcURL = ch.RPCURL
	default:
		return nil, errors.New("the coordinator names no RPC URL for its chain; give --rpc URL")
	}
	rc, err := rpc.DialOptions(ctx, rpcURL, opts...)
	if err != nil {
		return nil, fmt.Errorf("chain RPC %s: %w", rpcURL, err)
	}
	return &chainConn{Client: ethclient.NewClient(rc), url: rpcURL}, nil
}

// checkChainID refuses a connection to another chain than want (decimal;
// "" checks nothing).
func (c *chainConn) checkChainID(ctx context.Context, want string) error {
	if want == "" {
		return nil
	}
	id, err := c.ChainID(ctx)
	if err != nil {
		return fmt.Errorf("chain RPC %s: reading its chain id: %w", c.url, err)
	}
	if id.String() != want {
		return fmt.Errorf("chain RPC %s is chain %s, but the rewards are on chain %s", c.url, id, want)
	}
	return nil
}

// contractAddress reads a 0x contract address.
func contractAddress(what, s string) (common.Address, error) {
	a, err := wallet.ParseAddress(s)
	if err != nil {
		return common.Address{}, fmt.Errorf("%s: contract %w", what, err)
	}
	return common.HexToAddress(a), nil
}

// revertMessage says why the contract refused: its custom error's name
// and arguments (NothingToClaim(cumulative, claimed), InvalidProof, ...),
// or err.
func revertMessage(err error) string {
	name, args, ok := contracts.DecodeRevertArgs(err)
	if !ok {
		if errors.Is(err, core.ErrInsufficientFunds) || strings.Contains(err.Error(), "insufficient funds") {
			return err.Error() + " (the key pays the claim's gas: send it some ether; on hpcbridge dev's chain the faucet funds each wallet of a published epoch)"
		}
		return err.Error()
	}
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = fmt.Sprint(a)
	}
	msg := fmt.Sprintf("the contract refused: %s(%s)", name, strings.Join(parts, ", "))
	switch name {
	case "NothingToClaim":
		msg += ": everything this proof allows is claimed already; wait for the next epoch"
	case "InvalidProof":
		msg += ": the proof is not for the root the contract holds (a newer epoch was published since? ask for the proof again)"
	case "EnforcedPause":
		msg += ": the contract's admin paused it"
	case "NoRoot":
		msg += ": no epoch is published yet"
	}
	return msg
}

// loadClaimKey decrypts the keystore with the password file's first
// line; without a password file the password is empty (the keys geth
// --dev and hpcbridge dev make).
func loadClaimKey(keystore, passwordFile string) (*ecdsa.PrivateKey, error) {
	if passwordFile != "" {
		return chain.LoadKeystore(keystore, passwordFile)
	}
	dir, err := os.MkdirTemp("", "hpcbridge-claim-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	empty := filepath.Join(dir, "password")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		return nil, err
	}
	return chain.LoadKeystore(keystore, empty)
}

func rewardsClaimCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:  "claim",
		Usage: "claim a wallet's tokens: send claim(wallet, cumulative amount, proof) signed with a keystore's key",
		Description: "The proof is the coordinator's (rewards proof) for the latest published epoch; the contract pays the\n" +
			"wallet what its cumulative amount holds beyond what it claimed before. The key comes from a go-ethereum\n" +
			"keystore file (geth account new, MetaMask's export, hpcbridge dev's) and its password from a file, never\n" +
			"from the command line; without --password-file the password is empty. The key pays the gas; the tokens go\n" +
			"to --wallet (default: the key's own address).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "keystore", Usage: "the key's keystore `FILE` (mode 0600)"},
			&cli.StringFlag{Name: "password-file", Usage: "`FILE` whose first line is the keystore's password (mode 0600)"},
			&cli.StringFlag{Name: "wallet", Usage: "claim for this `0x...` wallet (default: the key's)"},
			&cli.StringFlag{Name: "rpc", Usage: "the chain's JSON-RPC `URL` (default: the coordinator's chain, or its embedded one)"},
			&cli.StringFlag{Name: "contract", Usage: "claim only from this RewardDistributor `0x...` (default: the one the coordinator names)"},
			&cli.StringFlag{Name: "max-fee", Value: defaultMaxClaimFee, Usage: "the most `ETHER` the claim's transaction may cost in gas (gas limit x fee cap)"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
		},
		Action: func(c *cli.Context) error {
			if _, err := rewardsArgs(c, "rewards claim", "no arguments", 0); err != nil {
				return err
			}
			usage := func(format string, args ...any) error {
				return &exitError{code: exitUsage, err: fmt.Errorf("rewards claim: "+format, args...)}
			}
			if c.String("keystore") == "" {
				return usage("--keystore FILE is required (the key that signs and pays the gas)")
			}
			key, err := loadClaimKey(c.String("keystore"), c.String("password-file"))
			if err != nil {
				return usage("%v", err)
			}
			account := chain.KeyAddress(key)
			if w := c.String("wallet"); w != "" {
				a, err := wallet.ParseAddress(w)
				if err != nil {
					return usage("--wallet: %v", err)
				}
				account = common.HexToAddress(a)
			}
			g := claimGuard{account: account}
			if g.maxFee, err = api.ParseTokens(c.String("max-fee")); err != nil {
				return usage("--max-fee: %v (ether, up to 18 decimals)", err)
			}
			if ct := c.String("contract"); ct != "" {
				if g.contract, err = contractAddress("--contract", ct); err != nil {
					return usage("%v", err)
				}
			}
			client, err := adminClient(s)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			res, err := claim(c.Context, client, key, g, c.String("rpc"))
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return writeAdminJSON(s, res)
			}
			fmt.Fprintf(s.out, "Claimed %s for %s (epoch %d: %s claimed in all) in transaction %s, block %d, %d gas\n",
				tokens(res.Amount), res.Wallet, res.Epoch, tokens(res.CumulativeAmount), res.TxHash, res.Block, res.GasUsed)
			fmt.Fprintf(s.out, "Balance of %s: %s\n", res.Wallet, tokens(res.Balance))
			return nil
		},
	}
}

// claimResult is what rewards claim did.
type claimResult struct {
	Wallet           string `json:"wallet"`
	Epoch            uint64 `json:"epoch"`
	Amount           string `json:"amount"`
	CumulativeAmount string `json:"cumulative_amount"`
	Balance          string `json:"balance"`
	TxHash           string `json:"tx"`
	Block            uint64 `json:"block"`
	GasUsed          uint64 `json:"gas_used"`
	Contract         string `json:"contract"`
	ChainID          string `json:"chain_id"`
}

// defaultMaxClaimFee is rewards claim's --max-fee: a claim uses under
// 70,000 gas, 0.01 ether is over 140 gwei a gas.
const defaultMaxClaimFee = "0.01"

// claimGuard is what rewards claim signs no transaction beyond: a claim
// for account, to contract (zero: the one the coordinator names), costing
// at most maxFee wei. The coordinator (and the chain RPC it names) is not
// trusted with the key: it could name another contract, another wallet's
// proof, or a fee that drains the key (a transaction it relays to a chain
// where the key holds ether).
type claimGuard struct {
	account  common.Address
	contract common.Address
	maxFee   *big.Int
}

// guardedBackend sends only the one transaction claim means to: to the
// contract, no value, the claim's calldata, on the checked chain, at most
// maxFee in gas. Anything else is refused before it leaves this process.
type guardedBackend struct {
	*ethclient.Client
	chainID  *big.Int
	contract common.Address
	calldata []byte
	maxFee   *big.Int
}

func (b *guardedBackend) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	fee := new(big.Int).Mul(new(big.Int).SetUint64(tx.Gas()), tx.GasFeeCap())
	switch {
	case tx.To() == nil || *tx.To() != b.contract || tx.Value().Sign() != 0 || !bytes.Equal(tx.Data(), b.calldata):
		return errors.New("refusing to send a transaction that is not the claim (internal error)")
	case tx.ChainId().Cmp(b.chainID) != 0:
		return fmt.Errorf("refusing to send a transaction for chain %s, not %s", tx.ChainId(), b.chainID)
	case fee.Cmp(b.maxFee) > 0:
		return fmt.Errorf("refusing to send the claim: it may cost %s ether in gas (%d gas at up to %s wei), more than --max-fee %s: the chain's RPC asks for that much; raise --max-fee if you trust it",
			api.FormatTokens(fee), tx.Gas(), tx.GasFeeCap(), api.FormatTokens(b.maxFee))
	}
	return b.Client.SendTransaction(ctx, tx)
}

// claim sends g.account's claim with the coordinator's proof, signed with
// key, and waits for its receipt. The proof is checked here first: for
// this wallet, under the root it names, from the expected contract, which
// holds that root on the chain.
func claim(ctx context.Context, client *api.Client, key *ecdsa.PrivateKey, g claimGuard, rpcURL string) (*claimResult, error) {
	account := g.account
	what := "rewards claim for " + account.Hex()
	fail := func(err error) error { return &exitError{code: exitRejected, err: fmt.Errorf("%s: %w", what, err)} }
	p, err := client.RewardProof(ctx, account.Hex())
	if err != nil {
		return nil, apiFailure(what, err)
	}
	st, err := client.Rewards(ctx)
	if err != nil {
		return nil, apiFailure(what, err)
	}
	amount, err := bigOf("cumulative_amount", p.CumulativeAmount)
	if err != nil {
		return nil, fail(err)
	}
	proof, err := proofHashes(p.Proof)
	if err != nil {
		return nil, fail(err)
	}
	contract, err := contractAddress("the proof's", p.Contract)
	if err != nil {
		return nil, fail(err)
	}
	root, err := proofHashes([]string{p.Root})
	if err != nil {
		return nil, fail(fmt.Errorf("the proof's root: %w", err))
	}
	if !strings.EqualFold(p.Wallet, account.Hex()) {
		return nil, fail(fmt.Errorf("the coordinator answered a proof for wallet %.50q", p.Wallet))
	}
	if !merkle.Verify(root[0], merkle.Leaf{Account: account, Amount: amount}, proof) {
		return nil, fail(fmt.Errorf("the coordinator's proof of %s does not verify under its root %s", amount, p.Root))
	}
	want := g.contract
	if want == (common.Address{}) && st.Chain != nil {
		if want, err = contractAddress("the coordinator's", st.Chain.Contract); err != nil {
			return nil, fail(err)
		}
	}
	if want == (common.Address{}) {
		return nil, fail(errors.New("the coordinator names no contract; give --contract 0x..."))
	}
	if contract != want {
		return nil, fail(fmt.Errorf("the proof is for contract %s, not %s", contract.Hex(), want.Hex()))
	}
	if st.Chain != nil && st.Chain.ChainID != "" && p.ChainID != st.Chain.ChainID {
		return nil, fail(fmt.Errorf("the proof is for chain %.80q, the coordinator's chain is %s", p.ChainID, st.Chain.ChainID))
	}
	cc, err := dialChain(ctx, client, st.Chain, rpcURL)
	if err != nil {
		return nil, fail(err)
	}
	defer cc.Close()
	if err := cc.checkChainID(ctx, p.ChainID); err != nil {
		return nil, fail(err)
	}
	chainID, err := cc.ChainID(ctx)
	if err != nil {
		return nil, fail(fmt.Errorf("chain RPC %s: reading its chain id: %w", cc.url, err))
	}
	if onChain, err := contracts.MerkleRoot(ctx, cc, contract); err != nil {
		return nil, fail(err)
	} else if onChain != root[0] {
		return nil, fail(fmt.Errorf("contract %s holds root %s, the proof is for %s (a newer epoch was published since? ask again)", contract.Hex(), rootHex(onChain), p.Root))
	}
	gb := &guardedBackend{Client: cc.Client, chainID: chainID, contract: contract,
		calldata: contracts.PackClaim(account, amount, proof), maxFee: g.maxFee}
	rc, err := contracts.Claim(ctx, gb, key, contract, account, amount, proof)
	if err != nil {
		return nil, fail(errors.New(revertMessage(err)))
	}
	out := &claimResult{Wallet: account.Hex(), Epoch: p.Epoch, CumulativeAmount: amount.String(), TxHash: rc.TxHash.Hex(),
		Block: rc.BlockNumber.Uint64(), GasUsed: rc.GasUsed, Contract: contract.Hex(), ChainID: p.ChainID, Amount: "0"}
	d := bindings.NewRewardDistributor()
	for _, l := range rc.Logs {
		if ev, err := d.UnpackClaimedEvent(l); err == nil && l.Address == contract && ev.Account == account {
			out.Amount = ev.Amount.String()
		}
	}
	bal, err := contracts.BalanceOf(ctx, cc, contract, account)
	if err != nil {
		return nil, fail(fmt.Errorf("claimed in %s, but reading the balance: %w", out.TxHash, err))
	}
	out.Balance = bal.String()
	return out, nil
}

// proofHashes reads a proof's 0x hashes.
func proofHashes(in []string) ([][32]byte, error) {
	if len(in) > 256 {
		return nil, fmt.Errorf("a proof of %d hashes (a tree of 2^256 leaves?)", len(in))
	}
	out := make([][32]byte, len(in))
	for i, h := range in {
		b, err := hex.DecodeString(strings.TrimPrefix(h, "0x"))
		if err != nil || len(b) != 32 || !strings.HasPrefix(h, "0x") {
			return nil, fmt.Errorf("proof hash %d %.80q: want 0x and 64 hex digits", i, h)
		}
		out[i] = [32]byte(b)
	}
	return out, nil
}

func rootHex(r [32]byte) string { return "0x" + hex.EncodeToString(r[:]) }

func rewardsVerifyCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "rebuild an epoch's root from its export and compare it with the root the chain holds for the epoch",
		ArgsUsage: "EPOCH",
		Description: "The tree is rebuilt here from the export's leaves (OpenZeppelin StandardMerkleTree, the contract's\n" +
			"leaf encoding) and its root compared with the contract's EpochPublished event for the epoch, and with its\n" +
			"current root when the epoch is the latest published. With --export, --contract and --rpc nothing is asked\n" +
			"of the coordinator. The exit status is 1 when they disagree or the epoch is not on chain.\n\n" +
			"The events are read from --from-block on, by default from the block the coordinator recorded the epoch's\n" +
			"publish in (else from block 0): a public node refuses a log query over the whole chain. A block the\n" +
			"coordinator names cannot make a wrong root pass: one past the epoch's publish finds nothing.",
		Flags: []cli.Flag{
			&cli.Uint64Flag{Name: "from-block", Usage: "read EpochPublished events from block `N` on (default: the block the coordinator recorded the publish in, else 0)"},
			&cli.StringFlag{Name: "export", Usage: "read the export from `FILE` (rewards export) instead of the coordinator"},
			&cli.StringFlag{Name: "contract", Usage: "the RewardDistributor's `0x...` address (default: the coordinator's)"},
			&cli.StringFlag{Name: "rpc", Usage: "the chain's JSON-RPC `URL` (default: the coordinator's chain, or its embedded one)"},
		},
		Action: func(c *cli.Context) error {
			args, err := rewardsArgs(c, "rewards verify", "one EPOCH", 1)
			if err != nil {
				return err
			}
			n, err := epochArg("rewards verify", args[0])
			if err != nil {
				return err
			}
			var from *uint64
			if c.IsSet("from-block") {
				b := c.Uint64("from-block")
				from = &b
			}
			return verify(c.Context, s, n, c.String("export"), c.String("contract"), c.String("rpc"), from)
		},
	}
}

// verify is rewards verify n; fromBlock nil reads the events from the
// block the coordinator recorded the epoch's publish in (else 0).
func verify(ctx context.Context, s streams, n uint64, exportFile, contractFlag, rpcURL string, fromBlock *uint64) error {
	what := fmt.Sprintf("rewards verify %d", n)
	fail := func(format string, args ...any) error {
		return &exitError{code: exitRejected, err: fmt.Errorf("%s: "+format, append([]any{what}, args...)...)}
	}
	var client *api.Client
	var st *api.RewardsStatus
	if exportFile == "" || contractFlag == "" || rpcURL == "" {
		var err error
		if client, err = adminClient(s); err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		if st, err = client.Rewards(ctx); err != nil {
			return apiFailure(what, err)
		}
	}
	var dump []byte
	var err error
	if exportFile != "" {
		if dump, err = readBounded(exportFile, api.MaxExportBytes); err != nil {
			return fail("%v", err)
		}
	} else if dump, err = client.RewardsExport(ctx, n); err != nil {
		return apiFailure(what, err)
	}
	tree, err := merkle.Load(dump)
	if err != nil {
		return fail("the export does not make a valid tree: %v", err)
	}
	total := new(big.Int)
	for _, l := range tree.Leaves() {
		total.Add(total, l.Amount)
	}
	rebuilt := tree.Root()
	fmt.Fprintf(s.out, "Epoch %d: %s, %s in all\nRebuilt root:   %s\n", n, walletCount(tree.Len()), tokens(total.String()), rootHex(rebuilt))

	var ch *api.RewardsChain
	if st != nil {
		ch = st.Chain
	}
	if contractFlag == "" {
		if ch == nil {
			return fail("the coordinator runs without a chain; give --contract 0x... and --rpc URL")
		}
		contractFlag = ch.Contract
	}
	contract, err := contractAddress(what, contractFlag)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	cc, err := dialChain(ctx, client, ch, rpcURL)
	if err != nil {
		return fail("%v", err)
	}
	defer cc.Close()
	if ch != nil && rpcURL == "" {
		if err := cc.checkChainID(ctx, ch.ChainID); err != nil {
			return fail("%v", err)
		}
	}
	from := uint64(0)
	if fromBlock != nil {
		from = *fromBlock
	} else if st != nil {
		for _, e := range st.Epochs {
			if e.Number == n {
				from = e.Block
			}
		}
	}
	if from > 0 {
		head, err := cc.BlockNumber(ctx)
		if err != nil {
			return fail("reading the chain's head: %v", err)
		}
		if from > head {
			return fail("block %d is past the chain's head (block %d)", from, head)
		}
	}
	onChain, found, err := contracts.PublishedRoot(ctx, cc, contract, n, from)
	if err != nil {
		if from == 0 {
			return fail("%v (a node that refuses a log query over the whole chain needs --from-block N)", err)
		}
		return fail("%v", err)
	}
	if !found {
		fmt.Fprintf(s.out, "On chain:       no EpochPublished event for epoch %d on %s from block %d\n", n, contract.Hex(), from)
		if from > 0 {
			return fail("epoch %d is not published on chain from block %d (--from-block 0 reads every block)", n, from)
		}
		return fail("epoch %d is not published on chain (yet)", n)
	}
	fmt.Fprintf(s.out, "On chain:       %s (EpochPublished, contract %s, events from block %d)\n", rootHex(onChain), contract.Hex(), from)
	ok := onChain == rebuilt
	cur, err := contracts.CurrentEpoch(ctx, cc, contract)
	if err != nil {
		return fail("%v", err)
	}
	if cur == n {
		root, err := contracts.MerkleRoot(ctx, cc, contract)
		if err != nil {
			return fail("%v", err)
		}
		fmt.Fprintf(s.out, "Current root:   %s (epoch %d is the contract's current epoch)\n", rootHex(root), n)
		ok = ok && root == rebuilt
	}
	if !ok {
		fmt.Fprintf(s.out, "MISMATCH: the export of epoch %d does not rebuild the root the chain holds\n", n)
		return &exitError{code: exitRejected}
	}
	fmt.Fprintf(s.out, "OK: the export of epoch %d rebuilds the root the chain holds\n", n)
	return nil
}

// readBounded reads a regular file of at most limit bytes.
func readBounded(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", file)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: over %d bytes", file, limit)
	}
	return b, nil
}
