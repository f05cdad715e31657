package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common"
	memdb "github.com/hashicorp/go-memdb"

	"github.com/hpcbridge/hpcbridge/internal/merkle"
)

// The reward ledger. Checkpointed work earns tokens for the wallet of the
// donor whose node did it; epochs fix the wallets' cumulative amounts in a
// Merkle root that the leader publishes on chain once (bridge/rewards).
//
// Rates. An administrator sets the rates table (Ledger rates, management
// token): token base units (18 decimals) per GPU-hour by GPU model, a
// default for GPU models the table does not name, and per CPU-hour. Until
// it is set the defaults hold (DefaultGPURate, DefaultCPURate, no models).
// A model is matched case-insensitively: the key equal to the model name,
// else the longest key that is a prefix of it, else the default.
//
// Accrual. A Checkpoint (version 2 on) is credited to the donor of the key
// that signed the receipt (its DonorNode join record: credit follows the
// signing key, never a node's name), to the donor's wallet at the time of
// the entry; a receipt of a key no join registered, or of a donor without a
// wallet, earns nothing. The receipt's weighted work is
// GPUSeconds × rate(its GPU model) + CPUSeconds × CPU rate, in base units ×
// 3600 (rates are per hour), added exactly (math/big, no floating point) to
// the wallet's Accrued; the wallet's cumulative amount is Accrued / 3600
// rounded down, so no rounding is lost across receipts. The receipt
// records its own Reward (its weighted work / 3600, rounded down) and the
// wallet; the job's Checkpoints.Reward sums its receipts' (so it may be
// below its share of the wallet's cumulative amount by less than one base
// unit per receipt). A donor that changes its wallet (Donor wallet) earns
// for the new wallet from the next receipt on: credit accrued before stays
// with the old wallet, which can still claim it (its leaf stays in every
// later epoch). Two donors with one wallet share its row.
//
// Epochs. Ledger close (leader-stamped time, the expected next number)
// fixes epoch N: the leaves are every wallet whose cumulative amount is
// above zero, (wallet, cumulative amount), and the root is that
// OpenZeppelin StandardMerkleTree's (internal/merkle). A close is refused
// (ErrNothingToClose) when no wallet has credit, or none's cumulative
// amount changed since the last epoch. It stores the Epoch and one
// EpochLeaf row per wallet whose amount changed since its previous row:
// the export of epoch N is, per wallet, its latest row of an epoch ≤ N
// (View.EpochLeaves). Publishing goes
//
//	closed → sending (intent: the signed transaction, recorded before it is sent)
//	closed | sending → published (the chain holds the epoch's root)
//	closed | sending → halted (the chain disagrees, or the publish reverted)
//	halted → closed (resume: management token; the intent is dropped)
//
// An intent is taken only for the epoch after the last published one (the
// first epoch needs none published), so epochs reach the chain in order,
// none skipped; published is taken from closed too (the publisher found
// the chain holding the epoch already, with no intent recorded).
//
// Bounds. At most MaxWallets wallet rows, and MaxWalletsPerDonor of them
// last credited by one donor (a donor's admin token changes its wallet at
// will: one donor must not use up the rows of all), a receipt that would
// credit a new wallet past either earns nothing; a close over more leaves
// is refused. The wallets' cumulative amounts together stay at most
// 2^128-1, what the contract can mint: a receipt past it earns nothing
// (one wallet past it would make every close fail);
// the leaf rows of the last EpochsExported epochs are kept (older rows a
// newer one supersedes are dropped at each close, so older epochs' exports
// are refused with ErrEpochPruned); epoch records are all kept (a few
// hundred bytes each; a close needs some wallet's credit to have changed).
// A close runs in Apply: for 100,000 wallets see BenchmarkLedgerClose.

// Ledger operations (LedgerCmd.Op).
const (
	LedgerRates     = "rates"
	LedgerClose     = "close"
	LedgerIntent    = "intent"
	LedgerPublished = "published"
	LedgerHalt      = "halt"
	LedgerResume    = "resume"
)

// Epoch states (Epoch.State).
const (
	EpochClosed    = "closed"
	EpochSending   = "sending"
	EpochPublished = "published"
	EpochHalted    = "halted"
)

// Defaults of the rates table and bounds of the ledger.
const (
	// DefaultGPURate is base units per GPU-hour of a model the table does
	// not name, until an administrator sets it: 1 token.
	DefaultGPURate = "1000000000000000000"
	// DefaultCPURate is base units per CPU-hour until set: 0.01 token.
	DefaultCPURate = "10000000000000000"
	// MaxRateDigits bounds a rate: at most 24 decimal digits (below 10^24
	// base units, a million tokens, per hour).
	MaxRateDigits = 24
	// MaxRateModels bounds the GPU models of the rates table.
	MaxRateModels = 256
	// MaxGPUModelLen bounds a GPU model's name (rates key, Credit.GPUModel).
	MaxGPUModelLen = 128
	// MaxWallets bounds the wallets the ledger credits, and an epoch's leaves.
	MaxWallets = 1_000_000
	// MaxWalletsPerDonor bounds the wallets a donor's receipts credit (a
	// donor's admin token may change its wallet at will): MaxDonors of
	// them use up MaxWallets.
	MaxWalletsPerDonor = MaxWallets / MaxDonors
	// EpochsExported is how many of the newest epochs keep their export.
	EpochsExported = 1024
	// MaxHaltReason bounds a halt's reason; MaxRawTx the signed
	// transaction of an intent (bytes, before hex).
	MaxHaltReason = 1024
	MaxRawTx      = 4096
	// secondsPerHour divides the weighted seconds into base units.
	secondsPerHour = 3600
)

// Ledger errors (in Result.Err; errors.Is).
var (
	// ErrNothingToClose: no wallet has credit, or none's cumulative
	// amount changed since the last epoch.
	ErrNothingToClose = errors.New("nothing to close")
	// ErrEpochPruned: the epoch's export is older than the last
	// EpochsExported epochs.
	ErrEpochPruned = errors.New("epoch leaves pruned")
)

// RewardRates is the rates table: decimal integer strings of token base
// units per GPU-hour (GPU by model, DefaultGPU for the others) and per
// CPU-hour (CPU). Set and By are when and by whom it was set (zero: the
// defaults).
type RewardRates struct {
	GPU        map[string]string `json:"gpu,omitempty"`
	DefaultGPU string            `json:"default_gpu"`
	CPU        string            `json:"cpu"`
	Set        time.Time         `json:"set,omitzero"`
	By         string            `json:"by,omitempty"`
}

// DefaultRewardRates is the table in force until one is set.
func DefaultRewardRates() RewardRates {
	return RewardRates{DefaultGPU: DefaultGPURate, CPU: DefaultCPURate}
}

// GPURate is the rate of GPU model (base units per GPU-hour): the key
// equal to model (case-insensitive), else the longest key that is a prefix
// of it, else DefaultGPU. Ties (keys equal but for case, which Check
// refuses) go to the smallest key, never to the map's order: every
// replica credits the same.
func (r RewardRates) GPURate(model string) string {
	if model == "" {
		return r.DefaultGPU
	}
	bestKey, bestLen, exact := "", -1, false
	better := func(k string, n int, x bool) bool {
		switch {
		case x != exact:
			return x
		case n != bestLen:
			return n > bestLen
		}
		return k < bestKey
	}
	for k := range r.GPU {
		x := strings.EqualFold(k, model)
		if !x && (len(k) > len(model) || !strings.EqualFold(k, model[:len(k)])) {
			continue
		}
		if bestLen < 0 || better(k, len(k), x) {
			bestKey, bestLen, exact = k, len(k), x
		}
	}
	if bestLen < 0 {
		return r.DefaultGPU
	}
	return r.GPU[bestKey]
}

// foldKey is s with each rune replaced by the smallest of its Unicode
// simple case folding orbit: two strings are strings.EqualFold exactly
// when their foldKeys are equal (strings.ToLower is not that: it keeps
// "µ" and "μ", "s" and "ſ" apart, which EqualFold matches).
func foldKey(s string) string {
	return strings.Map(func(r rune) rune {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		return m
	}, s)
}

var rateRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(0|[1-9][0-9]{0,` + strconv.Itoa(MaxRateDigits-1) + `})$`)
})

// Check refuses a table the ledger cannot apply: a rate that is not a
// canonical decimal integer of at most MaxRateDigits digits, more than
// MaxRateModels models, an empty or over-long model name, or two that
// differ only in case.
func (r RewardRates) Check() error {
	if len(r.GPU) > MaxRateModels {
		return fmt.Errorf("rates: %d GPU models, at most %d", len(r.GPU), MaxRateModels)
	}
	lower := map[string]string{}
	for k, v := range r.GPU {
		if err := CheckGPUModel(k); err != nil || k == "" {
			return fmt.Errorf("rates: GPU model %.40q: want 1 to %d printable bytes", k, MaxGPUModelLen)
		}
		if o, ok := lower[foldKey(k)]; ok {
			return fmt.Errorf("rates: GPU models %.40q and %.40q differ only in case", min(k, o), max(k, o))
		}
		lower[foldKey(k)] = k
		if !rateRE().MatchString(v) {
			return fmt.Errorf("rates: GPU model %.40q: rate %.40q is not a decimal integer of at most %d digits", k, v, MaxRateDigits)
		}
	}
	if !rateRE().MatchString(r.DefaultGPU) {
		return fmt.Errorf("rates: default GPU rate %.40q is not a decimal integer of at most %d digits", r.DefaultGPU, MaxRateDigits)
	}
	if !rateRE().MatchString(r.CPU) {
		return fmt.Errorf("rates: CPU rate %.40q is not a decimal integer of at most %d digits", r.CPU, MaxRateDigits)
	}
	return nil
}

// CheckGPUModel refuses a GPU model name over MaxGPUModelLen bytes, or
// not printable UTF-8 (spaces allowed).
func CheckGPUModel(m string) error {
	if len(m) > MaxGPUModelLen || !utf8.ValidString(m) {
		return fmt.Errorf("GPU model %.40q: over %d bytes or not UTF-8", m, MaxGPUModelLen)
	}
	for _, r := range m {
		if !unicode.IsPrint(r) && r != ' ' {
			return fmt.Errorf("GPU model %.40q: not printable", m)
		}
	}
	return nil
}

// WalletCredit is one wallet's credit: Accrued is the weighted work
// credited to it, in base units × 3600 (decimal); its cumulative amount is
// Accrued / 3600 rounded down (WalletCumulative). Donor is the donor whose
// receipt credited it last; ModifyIdx that entry.
type WalletCredit struct {
	Wallet    string `json:"wallet"`
	Donor     string `json:"donor"`
	Accrued   string `json:"accrued"`
	ModifyIdx uint64 `json:"modify_index"`
}

// Cumulative is Accrued / 3600, rounded down: what the wallet may claim
// in total.
func (w *WalletCredit) Cumulative() *big.Int {
	acc, ok := new(big.Int).SetString(w.Accrued, 10)
	if !ok {
		return new(big.Int)
	}
	return acc.Quo(acc, big.NewInt(secondsPerHour))
}

// PublishIntent is the publish transaction of an epoch, recorded before it
// is sent: the chain and contract, the sender and its nonce, the
// transaction's hash and its signed bytes (0x hex), and when it was made.
type PublishIntent struct {
	ChainID  string    `json:"chain_id"`
	Contract string    `json:"contract"`
	From     string    `json:"from"`
	Nonce    uint64    `json:"nonce"`
	TxHash   string    `json:"tx_hash"`
	RawTx    string    `json:"raw_tx"`
	Time     time.Time `json:"time"`
}

// Epoch is a closed epoch: its number, the leader's close time, the root
// (0x hex) over its Wallets leaves, their Total (decimal base units), its
// State, and what publishing it recorded: the latest intent (Attempts
// counts them), the publish transaction and its block, when it was found
// published, or why it halted. Index is the close's log entry.
type Epoch struct {
	Number    uint64         `json:"number"`
	Closed    time.Time      `json:"closed"`
	Root      string         `json:"root"`
	Wallets   int            `json:"wallets"`
	Total     string         `json:"total"`
	State     string         `json:"state"`
	Intent    *PublishIntent `json:"intent,omitempty"`
	Attempts  int            `json:"attempts,omitempty"`
	TxHash    string         `json:"tx_hash,omitempty"`
	Block     uint64         `json:"block,omitempty"`
	Published time.Time      `json:"published,omitzero"`
	Halt      string         `json:"halt,omitempty"`
	Index     uint64         `json:"index"`
}

// EpochLeaf is a wallet's cumulative amount (decimal base units) as of
// epoch Epoch, stored when it changed since the wallet's previous row.
type EpochLeaf struct {
	Epoch  uint64 `json:"epoch"`
	Wallet string `json:"wallet"`
	Amount string `json:"amount"`
}

// LedgerCmd changes the ledger. rates (Rates; management token) sets the
// rates table. close (Time, Epoch: the expected next number) closes an
// epoch. intent (Epoch, Intent) records a publish transaction before it
// is sent. published (Epoch, TxHash, Block, Time; Root, when given, must
// be the epoch's) records that the chain holds the epoch. halt (Epoch,
// Reason) stops publishing. resume (Epoch; management token) undoes a
// halt. The leader's tasks (bridge/rewards) commit close, intent,
// published and halt; the API checks its caller's token before it asks
// for a close.
type LedgerCmd struct {
	Op     string         `json:"op"`
	Time   time.Time      `json:"time"`
	By     Actor          `json:"by"`
	Rates  *RewardRates   `json:"rates,omitempty"`
	Epoch  uint64         `json:"epoch,omitempty"`
	Intent *PublishIntent `json:"intent,omitempty"`
	TxHash string         `json:"tx_hash,omitempty"`
	Block  uint64         `json:"block,omitempty"`
	Root   string         `json:"root,omitempty"`
	Reason string         `json:"reason,omitempty"`
}

// LedgerResult is Apply's answer to a Ledger entry: the epoch it concerns
// and its state, root, wallets and total after it (zero for rates).
type LedgerResult struct {
	Epoch   uint64 `json:"epoch"`
	State   string `json:"state,omitempty"`
	Root    string `json:"root,omitempty"`
	Wallets int    `json:"wallets,omitempty"`
	Total   string `json:"total,omitempty"`
}

var (
	addressRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`) })
	hash32RE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^0x[0-9a-fA-F]{64}$`) })
	rawTxRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^0x([0-9a-fA-F]{2})+$`) })
	chainIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[1-9][0-9]{0,77}$`) })
)

func (p *PublishIntent) check() error {
	switch {
	case !chainIDRE().MatchString(p.ChainID):
		return fmt.Errorf("intent chain id %.80q: want a positive decimal integer", p.ChainID)
	case !addressRE().MatchString(p.Contract) || !addressRE().MatchString(p.From):
		return fmt.Errorf("intent contract %.50q or sender %.50q: want 0x and 40 hex digits", p.Contract, p.From)
	case !hash32RE().MatchString(p.TxHash):
		return fmt.Errorf("intent transaction hash %.70q: want 0x and 64 hex digits", p.TxHash)
	case len(p.RawTx) > 2+2*MaxRawTx || !rawTxRE().MatchString(p.RawTx):
		return fmt.Errorf("intent transaction: want 0x and the hex of at most %d bytes", MaxRawTx)
	case p.Time.IsZero():
		return errors.New("intent without its time")
	}
	return nil
}

func (c LedgerCmd) validate() error {
	epoch := func() error {
		if c.Epoch == 0 {
			return fmt.Errorf("ledger %s without its epoch", c.Op)
		}
		return nil
	}
	switch c.Op {
	case LedgerRates:
		if c.Rates == nil || c.Time.IsZero() {
			return errors.New("ledger rates without the table or its time")
		}
		return c.Rates.Check()
	case LedgerClose:
		if c.Time.IsZero() {
			return errors.New("ledger close without its time")
		}
		return epoch()
	case LedgerIntent:
		if c.Intent == nil {
			return errors.New("ledger intent without the intent")
		}
		if err := c.Intent.check(); err != nil {
			return err
		}
		return epoch()
	case LedgerPublished:
		switch {
		case c.TxHash != "" && !hash32RE().MatchString(c.TxHash):
			return fmt.Errorf("published transaction hash %.70q: want 0x and 64 hex digits", c.TxHash)
		case c.Root != "" && !hash32RE().MatchString(c.Root):
			return fmt.Errorf("published root %.70q: want 0x and 64 hex digits", c.Root)
		case c.Time.IsZero():
			return errors.New("ledger published without its time")
		}
		return epoch()
	case LedgerHalt:
		// Any text of its size: it may quote a chain's answer, and a halt
		// must not be refused for it (Apply keeps it printable).
		if c.Reason == "" || len(c.Reason) > MaxHaltReason {
			return fmt.Errorf("ledger halt: want a reason of 1 to %d bytes", MaxHaltReason)
		}
		return epoch()
	case LedgerResume:
		return epoch()
	}
	return fmt.Errorf("ledger operation %.20q: want rates, close, intent, published, halt or resume", c.Op)
}

// Table names of this file.
const (
	tableRewardRates  = "reward_rates"
	tableWalletCredit = "wallet_credit"
	tableEpochs       = "epochs"
	tableEpochLeaves  = "epoch_leaves"
)

// MetaLedgerWallets counts the wallet rows (MaxWallets); MetaLedgerTotal
// is the sum of the wallets' cumulative amounts (decimal base units; at
// most 2^128-1, what the contract can mint).
const (
	MetaLedgerWallets = "ledger_wallets"
	MetaLedgerTotal   = "ledger_total"
)

// rewardRatesRow is the one row of the rates table.
type rewardRatesRow struct {
	ID string `json:"id"`
	RewardRates
}

const rewardRatesID = "rates"

// ledgerTables are the tables of this file.
func ledgerTables() map[string]*memdb.TableSchema {
	return map[string]*memdb.TableSchema{
		tableRewardRates: {Name: tableRewardRates, Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "ID"}},
		}},
		tableWalletCredit: {Name: tableWalletCredit, Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Wallet"}},
			// "donor": by the donor that credited it last (MaxWalletsPerDonor).
			"donor": {Name: "donor", AllowMissing: true, Indexer: &memdb.StringFieldIndex{Field: "Donor"}},
		}},
		tableEpochs: {Name: tableEpochs, Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: &memdb.UintFieldIndex{Field: "Number"}},
		}},
		tableEpochLeaves: {Name: tableEpochLeaves, Indexes: map[string]*memdb.IndexSchema{
			// "id": by wallet, then epoch (a wallet's latest row up to an epoch).
			"id": {Name: "id", Unique: true, Indexer: leafIndex{}},
			// "epoch": by epoch, then wallet (an epoch's rows).
			"epoch": {Name: "epoch", Unique: true, Indexer: leafIndex{byEpoch: true}},
		}},
	}
}

// leafIndex indexes leaf rows by (wallet, epoch), or with byEpoch by
// (epoch, wallet): the wallet's 20 bytes and the epoch big-endian, so that
// rows sort by number. The "_prefix" forms take the first alone.
type leafIndex struct{ byEpoch bool }

func (x leafIndex) key(wallet string, epoch uint64) []byte {
	a := common.HexToAddress(wallet)
	b := make([]byte, 0, common.AddressLength+8)
	if x.byEpoch {
		return append(binary.BigEndian.AppendUint64(b, epoch), a[:]...)
	}
	return binary.BigEndian.AppendUint64(append(b, a[:]...), epoch)
}

// FromObject implements memdb.SingleIndexer.
func (x leafIndex) FromObject(raw any) (bool, []byte, error) {
	l, ok := raw.(*EpochLeaf)
	if !ok {
		return false, nil, fmt.Errorf("leaf index: %T is not a leaf", raw)
	}
	return true, x.key(l.Wallet, l.Epoch), nil
}

// FromArgs implements memdb.Indexer: (wallet string, epoch uint64), or
// with byEpoch (epoch uint64, wallet string).
func (x leafIndex) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("leaf index: want a wallet and an epoch, got %d values", len(args))
	}
	if x.byEpoch {
		args[0], args[1] = args[1], args[0]
	}
	w, ok1 := args[0].(string)
	e, ok2 := args[1].(uint64)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("leaf index: want a wallet (string) and an epoch (uint64), got %T and %T", args[0], args[1])
	}
	return x.key(w, e), nil
}

// PrefixFromArgs implements memdb.PrefixIndexer: (wallet string), or with
// byEpoch (epoch uint64).
func (x leafIndex) PrefixFromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("leaf index prefix: want one value, got %d", len(args))
	}
	if x.byEpoch {
		e, ok := args[0].(uint64)
		if !ok {
			return nil, fmt.Errorf("leaf index prefix: want an epoch (uint64), got %T", args[0])
		}
		return binary.BigEndian.AppendUint64(nil, e), nil
	}
	w, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("leaf index prefix: want a wallet (string), got %T", args[0])
	}
	a := common.HexToAddress(w)
	return a[:], nil
}

// ledgerRow is a new row of one of those tables, for Restore (nil: not
// one of them).
func ledgerRow(table string) any {
	switch table {
	case tableRewardRates:
		return &rewardRatesRow{}
	case tableWalletCredit:
		return &WalletCredit{}
	case tableEpochs:
		return &Epoch{}
	case tableEpochLeaves:
		return &EpochLeaf{}
	}
	return nil
}

// CanonicalWallet is wallet's EIP-55 form (the key of its credit and
// leaves), or "" when it is not 0x and 40 hex digits.
func CanonicalWallet(wallet string) string {
	if !addressRE().MatchString(wallet) {
		return ""
	}
	return common.HexToAddress(wallet).Hex()
}

func rewardRates(txn *memdb.Txn) RewardRates {
	if r := first[rewardRatesRow](txn, tableRewardRates, "id", rewardRatesID); r != nil {
		return r.RewardRates
	}
	return DefaultRewardRates()
}

func lastEpoch(txn *memdb.Txn) *Epoch {
	raw, err := txn.Last(tableEpochs, "id")
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*Epoch)
}

// leafAsOf is wallet's latest leaf row of an epoch ≤ n, or nil.
func leafAsOf(txn *memdb.Txn, wallet string, n uint64) *EpochLeaf {
	it, err := txn.ReverseLowerBound(tableEpochLeaves, "id", wallet, n)
	if err != nil {
		panic(err)
	}
	if raw := it.Next(); raw != nil {
		if l := raw.(*EpochLeaf); l.Wallet == wallet {
			return l
		}
	}
	return nil
}

func decimal(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		return new(big.Int)
	}
	return n
}

// accrue credits a receipt's weighted work to the wallet of the donor
// whose join registered the receipt's key, and returns its reward (base
// units, decimal) and the wallet; "", "" when it earns nothing (no donor,
// no wallet, a new wallet past MaxWallets or past the donor's
// MaxWalletsPerDonor, or credit that would take the wallets' cumulative
// amounts together past 2^128-1, what the contract can ever mint: such a
// wallet could never be put in an epoch, and every close would fail).
func (a *applier) accrue(c *CheckpointCmd) (reward, wallet string) {
	n := first[DonorNode](a.txn, tableDonorNodes, "id", c.Key)
	if n == nil {
		return "", ""
	}
	d := a.donor(n.Donor)
	if d == nil {
		return "", ""
	}
	if wallet = CanonicalWallet(d.Wallet); wallet == "" {
		return "", ""
	}
	rates := rewardRates(a.txn)
	w := new(big.Int).Mul(big.NewInt(c.Credit.GPUSeconds), decimal(rates.GPURate(c.Credit.GPUModel)))
	w.Add(w, new(big.Int).Mul(big.NewInt(c.Credit.CPUSeconds), decimal(rates.CPU)))
	reward = new(big.Int).Quo(w, big.NewInt(secondsPerHour)).String()
	if w.Sign() == 0 {
		return reward, wallet
	}
	wc := &WalletCredit{Wallet: wallet, Accrued: "0"}
	old := first[WalletCredit](a.txn, tableWalletCredit, "id", wallet)
	count := 0
	if old != nil {
		cp := *old
		wc = &cp
	} else {
		count, _ = strconv.Atoi(a.meta(MetaLedgerWallets))
		if count >= MaxWallets {
			return "", ""
		}
		if it, err := a.txn.Get(tableWalletCredit, "donor", d.Name); err != nil {
			panic(err)
		} else if countIt(it) >= MaxWalletsPerDonor {
			return "", ""
		}
	}
	before := wc.Cumulative()
	wc.Accrued = w.Add(w, decimal(wc.Accrued)).String()
	total := decimal(a.meta(MetaLedgerTotal))
	total.Add(total, wc.Cumulative()).Sub(total, before)
	if total.Cmp(maxAmount) > 0 {
		return "", ""
	}
	if old == nil {
		a.setMeta(MetaLedgerWallets, strconv.Itoa(count+1))
	}
	a.setMeta(MetaLedgerTotal, total.String())
	wc.Donor, wc.ModifyIdx = d.Name, a.index
	if err := a.txn.Insert(tableWalletCredit, wc); err != nil {
		panic(fmt.Sprintf("state: credit wallet %s: %v", wallet, err))
	}
	return reward, wallet
}

// addDecimal is a + b of two decimal strings ("" is zero).
func addDecimal(a, b string) string {
	return new(big.Int).Add(decimal(a), decimal(b)).String()
}

// applyLedger is CmdLedger (version 1).
func applyLedger(a *applier, _ uint8, c *LedgerCmd) *Result {
	if err := c.validate(); err != nil {
		return &Result{Err: err}
	}
	switch c.Op {
	case LedgerRates:
		if !c.By.Management {
			return &Result{Err: fmt.Errorf("reward rates: %w (management token only)", ErrPermission)}
		}
		r := *c.Rates
		if len(r.GPU) == 0 {
			r.GPU = nil
		}
		r.Set, r.By = c.Time.UTC(), c.By.User
		if err := a.txn.Insert(tableRewardRates, &rewardRatesRow{ID: rewardRatesID, RewardRates: r}); err != nil {
			panic(err)
		}
		return &Result{Value: LedgerResult{}}
	case LedgerClose:
		return a.closeEpoch(c)
	}
	e := first[Epoch](a.txn, tableEpochs, "id", c.Epoch)
	if e == nil {
		return &Result{Err: fmt.Errorf("epoch %d: %w", c.Epoch, ErrNotFound)}
	}
	cp := *e
	switch c.Op {
	case LedgerIntent:
		if cp.State != EpochClosed && cp.State != EpochSending {
			return &Result{Err: fmt.Errorf("epoch %d is %s: an intent needs it closed or sending: %w", c.Epoch, cp.State, ErrState)}
		}
		if c.Epoch > 1 {
			if prev := first[Epoch](a.txn, tableEpochs, "id", c.Epoch-1); prev == nil || prev.State != EpochPublished {
				st := "gone"
				if prev != nil {
					st = prev.State
				}
				return &Result{Err: fmt.Errorf("epoch %d: epoch %d is %s, not published: epochs are published in order: %w", c.Epoch, c.Epoch-1, st, ErrState)}
			}
		}
		in := *c.Intent
		in.Time = in.Time.UTC()
		cp.Intent, cp.State = &in, EpochSending
		cp.Attempts++
	case LedgerPublished:
		if cp.State == EpochPublished {
			return &Result{Value: ledgerResult(&cp)} // recorded already (a retry)
		}
		if cp.State != EpochClosed && cp.State != EpochSending {
			return &Result{Err: fmt.Errorf("epoch %d is %s: only a closed or sending epoch becomes published: %w", c.Epoch, cp.State, ErrState)}
		}
		if c.Root != "" && !strings.EqualFold(c.Root, cp.Root) {
			return &Result{Err: fmt.Errorf("epoch %d: the chain's root %s is not the epoch's %s: %w", c.Epoch, c.Root, cp.Root, ErrState)}
		}
		cp.State, cp.TxHash, cp.Block, cp.Published = EpochPublished, c.TxHash, c.Block, c.Time.UTC()
	case LedgerHalt:
		if cp.State == EpochHalted {
			return &Result{Value: ledgerResult(&cp)} // halted already (a retry)
		}
		if cp.State != EpochClosed && cp.State != EpochSending {
			return &Result{Err: fmt.Errorf("epoch %d is %s: only a closed or sending epoch halts: %w", c.Epoch, cp.State, ErrState)}
		}
		cp.State, cp.Halt = EpochHalted, printableText(c.Reason)
	case LedgerResume:
		if !c.By.Management {
			return &Result{Err: fmt.Errorf("resume epoch %d: %w (management token only)", c.Epoch, ErrPermission)}
		}
		if cp.State != EpochHalted {
			return &Result{Err: fmt.Errorf("epoch %d is %s, not halted: %w", c.Epoch, cp.State, ErrState)}
		}
		cp.State, cp.Halt, cp.Intent = EpochClosed, "", nil
	}
	if err := a.txn.Insert(tableEpochs, &cp); err != nil {
		panic(fmt.Sprintf("state: epoch %d: %v", cp.Number, err))
	}
	return &Result{Value: ledgerResult(&cp)}
}

// printableText is s with invalid UTF-8 and characters that are not
// printable (control characters, terminal escapes) as '?'.
func printableText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) && r != ' ' {
			return '?'
		}
		return r
	}, s)
}

func ledgerResult(e *Epoch) LedgerResult {
	return LedgerResult{Epoch: e.Number, State: e.State, Root: e.Root, Wallets: e.Wallets, Total: e.Total}
}

// maxAmount is the most a leaf may hold: the contract keeps balances and
// claimed totals in 128 bits.
var maxAmount = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1))

// epochLeaves are the leaves a close of the epoch after last would fix,
// and the wallets among them whose amount changed since their latest row
// (the leaf's index and the wallet).
func epochLeaves(txn *memdb.Txn, last *Epoch) (leaves []merkle.Leaf, changed []changedLeaf, err error) {
	var lastN, lastIdx uint64
	if last != nil {
		lastN, lastIdx = last.Number, last.Index
	}
	it, err := txn.Get(tableWalletCredit, "id")
	if err != nil {
		panic(err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		w := raw.(*WalletCredit)
		cum := w.Cumulative()
		if cum.Sign() <= 0 {
			continue
		}
		if cum.Cmp(maxAmount) > 0 {
			return nil, nil, fmt.Errorf("wallet %s: cumulative amount %s is over 2^128-1, the most the contract holds", w.Wallet, cum)
		}
		if len(leaves) == MaxWallets {
			return nil, nil, fmt.Errorf("more than %d wallets have credit, the most an epoch holds", MaxWallets)
		}
		// A wallet credited no later than the last close has its amount
		// in that epoch's export already.
		switch {
		case last == nil:
			changed = append(changed, changedLeaf{len(leaves), w.Wallet})
		case w.ModifyIdx > lastIdx:
			if l := leafAsOf(txn, w.Wallet, lastN); l == nil || l.Amount != cum.String() {
				changed = append(changed, changedLeaf{len(leaves), w.Wallet})
			}
		}
		leaves = append(leaves, merkle.Leaf{Account: common.HexToAddress(w.Wallet), Amount: cum})
	}
	return leaves, changed, nil
}

type changedLeaf struct {
	i      int
	wallet string
}

func (a *applier) closeEpoch(c *LedgerCmd) *Result {
	last := lastEpoch(a.txn)
	next := uint64(1)
	if last != nil {
		next = last.Number + 1
	}
	if c.Epoch != next {
		return &Result{Err: fmt.Errorf("close epoch %d: the next epoch is %d: %w", c.Epoch, next, ErrState)}
	}
	leaves, changed, err := epochLeaves(a.txn, last)
	switch {
	case err != nil:
		return &Result{Err: fmt.Errorf("close epoch %d: %w", c.Epoch, err)}
	case len(leaves) == 0:
		return &Result{Err: fmt.Errorf("close epoch %d: %w: no wallet has credit", c.Epoch, ErrNothingToClose)}
	case len(changed) == 0:
		return &Result{Err: fmt.Errorf("close epoch %d: %w: no wallet's amount changed since epoch %d", c.Epoch, ErrNothingToClose, next-1)}
	}
	tree, err := merkle.Build(leaves)
	if err != nil {
		return &Result{Err: fmt.Errorf("close epoch %d: %w", c.Epoch, err)}
	}
	root := tree.Root()
	total := new(big.Int)
	for _, l := range leaves {
		total.Add(total, l.Amount)
	}
	e := &Epoch{Number: next, Closed: c.Time.UTC(), Root: "0x" + fmt.Sprintf("%x", root[:]), Wallets: len(leaves),
		Total: total.String(), State: EpochClosed, Index: a.index}
	if err := a.txn.Insert(tableEpochs, e); err != nil {
		panic(fmt.Sprintf("state: epoch %d: %v", next, err))
	}
	for _, c := range changed {
		l := &EpochLeaf{Epoch: next, Wallet: c.wallet, Amount: leaves[c.i].Amount.String()}
		if err := a.txn.Insert(tableEpochLeaves, l); err != nil {
			panic(fmt.Sprintf("state: epoch %d leaf %s: %v", next, l.Wallet, err))
		}
	}
	a.pruneLeaves(next)
	return &Result{Value: ledgerResult(e)}
}

// pruneLeaves drops the leaf rows no export of the last EpochsExported
// epochs (up to newest) reads: the oldest of them, f, reads per wallet its
// latest row ≤ f, so a wallet's rows before its row of epoch f are
// superseded. Run at every close, each wallet keeps at most one row
// before f.
func (a *applier) pruneLeaves(newest uint64) {
	if newest < EpochsExported+1 {
		return
	}
	f := newest - EpochsExported + 1
	for _, l := range rows[EpochLeaf](a.txn, tableEpochLeaves, "epoch_prefix", f) {
		it, err := a.txn.Get(tableEpochLeaves, "id_prefix", l.Wallet)
		if err != nil {
			panic(err)
		}
		var old []*EpochLeaf
		for raw := it.Next(); raw != nil; raw = it.Next() {
			if o := raw.(*EpochLeaf); o.Epoch < f {
				old = append(old, o)
			} else {
				break
			}
		}
		for _, o := range old {
			if err := a.txn.Delete(tableEpochLeaves, o); err != nil {
				panic(err)
			}
		}
	}
}

// RewardRates is the rates table in force (DefaultRewardRates until one
// is set).
func (v *View) RewardRates() RewardRates { return rewardRates(v.txn) }

// Epochs lists the closed epochs, oldest first.
func (v *View) Epochs() []*Epoch { return rows[Epoch](v.txn, tableEpochs, "id") }

// Epoch returns epoch n, or nil.
func (v *View) Epoch(n uint64) *Epoch { return first[Epoch](v.txn, tableEpochs, "id", n) }

// LastEpoch returns the newest epoch, or nil before the first close.
func (v *View) LastEpoch() *Epoch { return lastEpoch(v.txn) }

// EpochLeaves are epoch n's leaves, by wallet: what anyone rebuilds its
// root from (merkle.Build). ErrNotFound for an epoch not closed,
// ErrEpochPruned for one older than the last EpochsExported.
func (v *View) EpochLeaves(n uint64) ([]merkle.Leaf, error) {
	e := v.Epoch(n)
	if e == nil {
		return nil, fmt.Errorf("epoch %d: %w", n, ErrNotFound)
	}
	if last := v.LastEpoch(); last.Number >= EpochsExported+1 && n < last.Number-EpochsExported+1 {
		return nil, fmt.Errorf("epoch %d: %w: the last %d epochs keep their leaves (%d to %d)", n, ErrEpochPruned,
			EpochsExported, last.Number-EpochsExported+1, last.Number)
	}
	out := make([]merkle.Leaf, 0, e.Wallets)
	it, err := v.txn.Get(tableWalletCredit, "id")
	if err != nil {
		panic(err)
	}
	for raw := it.Next(); raw != nil; raw = it.Next() {
		w := raw.(*WalletCredit)
		if l := leafAsOf(v.txn, w.Wallet, n); l != nil {
			out = append(out, merkle.Leaf{Account: common.HexToAddress(l.Wallet), Amount: decimal(l.Amount)})
		}
	}
	if len(out) != e.Wallets {
		return nil, fmt.Errorf("epoch %d: %d leaves found, the epoch has %d", n, len(out), e.Wallets)
	}
	return out, nil
}

// EpochLeafRows lists the leaf rows epoch n stored (the wallets whose
// amount changed in it), by wallet.
func (v *View) EpochLeafRows(n uint64) []*EpochLeaf {
	return rows[EpochLeaf](v.txn, tableEpochLeaves, "epoch_prefix", n)
}

// WalletCredits lists every wallet's credit, by wallet.
func (v *View) WalletCredits() []*WalletCredit {
	return rows[WalletCredit](v.txn, tableWalletCredit, "id")
}

// WalletCumulative is wallet's cumulative amount (base units; zero for a
// wallet without credit). Any case of the address is accepted.
func (v *View) WalletCumulative(wallet string) *big.Int {
	if w := first[WalletCredit](v.txn, tableWalletCredit, "id", CanonicalWallet(wallet)); w != nil {
		return w.Cumulative()
	}
	return new(big.Int)
}

// RewardsPending reports whether a close now would fix a new epoch: some
// wallet's cumulative amount changed since the last epoch (the closer's
// test).
func (v *View) RewardsPending() bool {
	leaves, changed, err := epochLeaves(v.txn, v.LastEpoch())
	return err == nil && len(leaves) > 0 && len(changed) > 0
}
