package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Rewards (docs/rewards.md): credited work becomes tokens of the
// RewardDistributor contract. The coordinator closes epochs (a cumulative
// Merkle root over every wallet's credit), publishes each root on chain
// once, and serves the proofs donors claim with.

// Error codes of the rewards routes.
const (
	// CodeNothingToClose: POST /v1/rewards/close found no wallet whose
	// credit changed since the last epoch (409).
	CodeNothingToClose = "nothing_to_close"
	// CodeNotInEpoch: the wallet has no leaf in the latest published
	// epoch (404).
	CodeNotInEpoch = "not_in_epoch"
	// CodeNoEmbeddedChain: POST /v1/rewards/rpc on a coordinator whose
	// chain is not its embedded simulated one (404).
	CodeNoEmbeddedChain = "no_embedded_chain"
	// CodeRewardsOff: the coordinator runs without a chain (no
	// --chain): epochs are neither closed nor published (409).
	CodeRewardsOff = "rewards_off"
)

// Bounds of the rewards routes.
const (
	// MaxRewardsBodyBytes bounds the body of PUT /v1/rewards/rates and
	// POST /v1/rewards/resume.
	MaxRewardsBodyBytes = 64 << 10
	// MaxRewardEpochs is how many of the newest epochs GET /v1/rewards
	// lists (RewardsStatus.EpochCount counts them all).
	MaxRewardEpochs = 100
	// MaxExportBytes bounds the export the client reads (an OpenZeppelin
	// tree dump: about 250 bytes per wallet).
	MaxExportBytes = 256 << 20
	// TokenDecimals are the token's decimals: 1 token = 10^18 base units.
	TokenDecimals = 18
)

// RewardsChain is the chain the coordinator publishes on: Kind
// "simulated" (the embedded chain; Embedded, and POST /v1/rewards/rpc
// serves its JSON-RPC) or "rpc" (RPCURL), its chain id (decimal) and the
// RewardDistributor contract's address.
type RewardsChain struct {
	Kind     string `json:"kind"`
	ChainID  string `json:"chain_id"`
	Contract string `json:"contract"`
	RPCURL   string `json:"rpc_url,omitempty"`
	Embedded bool   `json:"embedded,omitempty"`
}

// RewardRates is the rates table: decimal integers of token base units
// (10^-18 token) per GPU-hour by GPU model (matched case-insensitively,
// else by the longest key that is a prefix of the model's name), per
// GPU-hour of any other model (DefaultGPU), and per CPU-hour (CPU). Set
// and By say when and by whom it was last set (zero: the defaults).
type RewardRates struct {
	GPU        map[string]string `json:"gpu"`
	DefaultGPU string            `json:"default_gpu"`
	CPU        string            `json:"cpu"`
	Set        time.Time         `json:"set,omitzero"`
	By         string            `json:"by,omitempty"`
}

// RewardRatesRequest is PUT /v1/rewards/rates' body (management): the
// whole table, replacing the old one (rates in base units per hour).
type RewardRatesRequest struct {
	GPU        map[string]string `json:"gpu"`
	DefaultGPU string            `json:"default_gpu"`
	CPU        string            `json:"cpu"`
}

// RewardEpoch is a closed epoch: its cumulative root over Wallets leaves
// whose amounts sum to Total (base units), and how its publication went:
// State "closed" (not sent yet), "sending" (a transaction was sent:
// TxHash), "published" (in Block) or "halted" (Halt says why; publishing
// stops until an admin resumes it).
type RewardEpoch struct {
	Number    uint64    `json:"number"`
	Closed    time.Time `json:"closed"`
	Root      string    `json:"root"`
	Wallets   int       `json:"wallets"`
	Total     string    `json:"total"`
	State     string    `json:"state"`
	TxHash    string    `json:"tx,omitempty"`
	Block     uint64    `json:"block,omitempty"`
	Published time.Time `json:"published,omitzero"`
	Halt      string    `json:"halt,omitempty"`
}

// RewardsAccrued is the credit accrued so far: how many wallets have
// some, and their cumulative amounts' sum (base units), of which
// Unclosed is not in a closed epoch yet.
type RewardsAccrued struct {
	Wallets  int    `json:"wallets"`
	Total    string `json:"total"`
	Unclosed string `json:"unclosed"`
}

// RewardsStatus is GET /v1/rewards: the chain (nil: rewards off), the
// rates, the newest MaxRewardEpochs epochs, newest first, of EpochCount,
// and the credit accrued.
type RewardsStatus struct {
	Chain      *RewardsChain  `json:"chain"`
	Rates      RewardRates    `json:"rates"`
	Epochs     []RewardEpoch  `json:"epochs"`
	EpochCount int            `json:"epoch_count"`
	Accrued    RewardsAccrued `json:"accrued"`
}

// RewardProof is GET /v1/rewards/proof/{wallet}: what a claim of wallet
// sends (claim(wallet, cumulative_amount, proof)) against the latest
// published epoch's root, on the contract of chain ChainID. The leaf is
// keccak256(keccak256(abi.encode(wallet, cumulative_amount))), as
// OpenZeppelin's StandardMerkleTree with LeafEncoding.
type RewardProof struct {
	Wallet           string   `json:"wallet"`
	Epoch            uint64   `json:"epoch"`
	CumulativeAmount string   `json:"cumulative_amount"`
	Proof            []string `json:"proof"`
	Root             string   `json:"root"`
	Contract         string   `json:"contract"`
	ChainID          string   `json:"chain_id"`
	LeafEncoding     []string `json:"leaf_encoding"`
}

// RewardsResumeRequest is POST /v1/rewards/resume's body (management):
// the halted epoch to publish again (0: the halted one).
type RewardsResumeRequest struct {
	Epoch uint64 `json:"epoch,omitempty"`
}

// Rewards is GET /v1/rewards.
func (c *Client) Rewards(ctx context.Context) (*RewardsStatus, error) {
	var out RewardsStatus
	if _, err := c.do(ctx, http.MethodGet, "/v1/rewards", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RewardsClose closes the next epoch now (management token). With no
// credit changed since the last epoch, the error is CodeNothingToClose.
func (c *Client) RewardsClose(ctx context.Context) (*RewardEpoch, error) {
	var out RewardEpoch
	if _, err := c.do(ctx, http.MethodPost, "/v1/rewards/close", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RewardsResume publishes a halted epoch again (management token); 0:
// the halted one.
func (c *Client) RewardsResume(ctx context.Context, epoch uint64) (*RewardEpoch, error) {
	var out RewardEpoch
	if _, err := c.do(ctx, http.MethodPost, "/v1/rewards/resume", nil, &RewardsResumeRequest{Epoch: epoch}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RewardRatesSet replaces the rates table (management token).
func (c *Client) RewardRatesSet(ctx context.Context, req *RewardRatesRequest) (*RewardRates, error) {
	if req == nil {
		return nil, errNilRequest
	}
	var out RewardRates
	if _, err := c.do(ctx, http.MethodPut, "/v1/rewards/rates", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RewardProof returns wallet's proof in the latest published epoch; a
// wallet without a leaf there is CodeNotInEpoch.
func (c *Client) RewardProof(ctx context.Context, wallet string) (*RewardProof, error) {
	var out RewardProof
	if _, err := c.do(ctx, http.MethodGet, "/v1/rewards/proof/"+url.PathEscape(wallet), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RewardsExport returns epoch's tree as OpenZeppelin's
// StandardMerkleTree.dump() JSON (at most MaxExportBytes).
func (c *Client) RewardsExport(ctx context.Context, epoch uint64) ([]byte, error) {
	path := "/v1/rewards/epochs/" + strconv.FormatUint(epoch, 10) + "/export"
	resp, _, err := c.openAccept(ctx, http.MethodGet, path, nil, nil, "application/json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxExportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("api: read epoch %d's export: %w", epoch, err)
	}
	if len(b) > MaxExportBytes {
		return nil, fmt.Errorf("api: epoch %d's export is over %d bytes", epoch, MaxExportBytes)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("api: epoch %d's export is not JSON", epoch)
	}
	return b, nil
}

// RewardsRPCURL is the URL of the coordinator's embedded chain JSON-RPC
// (POST, with the client's token in HeaderToken).
func (c *Client) RewardsRPCURL() string {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/rewards/rpc"
	u.RawPath, u.RawQuery = "", ""
	return u.String()
}

// HTTPClient is the client's HTTP client (its TLS settings), for
// requests made to the coordinator outside the client (RewardsRPCURL).
func (c *Client) HTTPClient() *http.Client { return c.http }

// Token is the client's ACL token secret ("" for none), for requests made
// to the coordinator outside the client (RewardsRPCURL).
func (c *Client) Token() string { return c.token }

// Token amounts: decimal strings of whole tokens with up to
// TokenDecimals fraction digits ("1.5", "0.01"), exactly (never through
// floating point).

var (
	// ErrBadAmount is the error of an amount that is not a decimal
	// number of tokens.
	ErrBadAmount = errors.New("not a token amount")
	tokenUnit    = new(big.Int).Exp(big.NewInt(10), big.NewInt(TokenDecimals), nil)
)

// maxAmountLen bounds an amount's text.
const maxAmountLen = 100

// ParseTokens parses a non-negative decimal number of tokens ("1",
// "0.6", ".5"; not "1e18", "1,000" or "-1") into base units, exactly: at
// most TokenDecimals digits after the point.
func ParseTokens(s string) (*big.Int, error) {
	bad := func(why string) error { return fmt.Errorf("%.40q: %w: %s", s, ErrBadAmount, why) }
	if s == "" {
		return nil, bad("empty")
	}
	if len(s) > maxAmountLen {
		return nil, bad(fmt.Sprintf("over %d characters", maxAmountLen))
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" && frac == "" || dot && frac == "" {
		return nil, bad("want digits, e.g. 1.5")
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return nil, bad("want a non-negative decimal number of tokens (digits and one '.'), e.g. 0.6")
			}
		}
	}
	if len(frac) > TokenDecimals {
		return nil, bad(fmt.Sprintf("more than %d digits after the point (1 token = 10^%d base units)", TokenDecimals, TokenDecimals))
	}
	units, ok := new(big.Int).SetString(whole+frac+strings.Repeat("0", TokenDecimals-len(frac)), 10)
	if !ok {
		return nil, bad("want digits")
	}
	return units, nil
}

// FormatTokens writes base units as tokens with the fraction's trailing
// zeros trimmed ("1.5", "0", "0.000000000000000001"); nil is "0".
func FormatTokens(units *big.Int) string {
	if units == nil {
		return "0"
	}
	neg := units.Sign() < 0
	q, r := new(big.Int).QuoRem(new(big.Int).Abs(units), tokenUnit, new(big.Int))
	out := q.String()
	if r.Sign() != 0 {
		frac := r.String()
		frac = strings.Repeat("0", TokenDecimals-len(frac)) + frac
		out += "." + strings.TrimRight(frac, "0")
	}
	if neg {
		out = "-" + out
	}
	return out
}

// FormatTokenString is FormatTokens of a decimal string of base units
// ("" is "0"; a string that is not one is returned as it is).
func FormatTokenString(units string) string {
	if units == "" {
		return "0"
	}
	n, ok := new(big.Int).SetString(units, 10)
	if !ok {
		return units
	}
	return FormatTokens(n)
}
