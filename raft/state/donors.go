package state

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/hpcbridge/hpcbridge/internal/receipt"
)

// Donors. A donor is an organisation (a university) that gives the
// federation machines. It registers once (Donor register, management
// token) with the Ethereum wallet it proved it holds (internal/wallet:
// the apiserver verifies the EIP-191 proof before it commits; the log
// keeps the proof for anyone to check again), and may have Slurm accounts
// affiliated with it (fair share). Its machines join with single-use join
// tokens (JoinToken issue, management or the donor's admin token; JoinToken
// redeem, the joining node, which proves it holds the key it registers):
// a redeem records the node's key and name under the donor (DonorNode).
// That record, never a node's Nomad meta, is what makes a node the
// donor's: DonorOfKey, DonorOfNode.

// Donor operations (DonorCmd.Op).
const (
	DonorRegister = "register"
	DonorWallet   = "wallet"
	DonorAccounts = "accounts"
	DonorDelete   = "delete"
)

// Join token operations (JoinTokenCmd.Op).
const (
	JoinIssue  = "issue"
	JoinRedeem = "redeem"
	// JoinLeave records that a joined node left (POST /v1/node/{name}/leave,
	// signed by the node's key): its jobs are reclaimed, and the donor may
	// be deleted once all its nodes left.
	JoinLeave = "leave"
	// JoinRejoin undoes a leave (the node's agent started again).
	JoinRejoin = "rejoin"
)

// TokenDonorAdmin is the type of a donor organisation's admin token
// (ACLToken.Donor names the donor): it may issue join tokens for its
// donor, reclaim its donor's nodes, re-prove its wallet, and read its
// donor's view and its nodes' receipts. Nothing else.
const TokenDonorAdmin = "donor-admin"

// Bounds of the donor records.
const (
	// MaxDonors bounds the registered donors.
	MaxDonors = 1024
	// MaxDonorNameLen bounds a donor's name (DonorNameRE).
	MaxDonorNameLen = 63
	// MaxDonorAccounts bounds the accounts affiliated with a donor.
	MaxDonorAccounts = 256
	// MaxAccountLen bounds one account name.
	MaxAccountLen = 64
	// MaxWalletProofLen bounds the stored proof (hex of 65 bytes, 0x).
	MaxWalletProofLen = 132
	// MaxDonorNodes bounds the node records of one donor (joined or
	// left); a join over it is refused until the donor is cleaned up.
	MaxDonorNodes = 4096
	// MaxJoinTokens bounds the join tokens of one donor that are neither
	// used nor expired.
	MaxJoinTokens = 256
	// MaxJoinTokensKept bounds the join tokens of one donor the state
	// holds, live or kept (used or expired, for JoinTokenKeep after they
	// expired): else tokens issued with a tiny TTL, or issued and
	// redeemed, would pile up without end.
	MaxJoinTokensKept = 4 * MaxJoinTokens
	// DefaultJoinTTL and MaxJoinTTL are a join token's lifetime.
	DefaultJoinTTL = time.Hour
	MaxJoinTTL     = 24 * time.Hour
	// JoinTokenKeep is how long a used or expired join token is kept (to
	// answer "used" rather than "invalid", and for the record).
	JoinTokenKeep = 24 * time.Hour
	// JoinSecretPrefix starts every join token's secret.
	JoinSecretPrefix = "hbj_"
)

// Donor errors (in Result.Err; errors.Is).
var (
	// ErrDonorExists: a donor of that name is registered.
	ErrDonorExists = errors.New("donor already registered")
	// ErrDonorHasNodes: the donor still has joined nodes.
	ErrDonorHasNodes = errors.New("donor still has joined nodes")
	// ErrJoinTokenInvalid: no join token has that secret.
	ErrJoinTokenInvalid = errors.New("join token invalid")
	// ErrJoinTokenUsed: the join token was redeemed already.
	ErrJoinTokenUsed = errors.New("join token already used")
	// ErrJoinTokenExpired: the join token's lifetime is over.
	ErrJoinTokenExpired = errors.New("join token expired")
	// ErrNodeTaken: the node name or key is joined under another donor.
	ErrNodeTaken = errors.New("node already joined under another donor")
)

// Donor is a registered donor organisation.
type Donor struct {
	// Name is [a-z0-9][a-z0-9-]{0,62}.
	Name string `json:"name"`
	// Wallet is the donor's EIP-55 checksummed 0x address; WalletProof
	// the hex personal_sign signature over wallet.Message(cluster, Name,
	// Wallet, WalletIssued) that proved it.
	Wallet       string    `json:"wallet"`
	WalletProof  string    `json:"wallet_proof"`
	WalletIssued time.Time `json:"wallet_issued"`
	// Accounts are the Slurm accounts affiliated with the donor.
	Accounts   []string  `json:"accounts,omitempty"`
	CreateTime time.Time `json:"create_time"`
	CreateIdx  uint64    `json:"create_index"`
	ModifyIdx  uint64    `json:"modify_index"`
}

// DonorNode is a node that joined under a donor with a join token: its
// key (receipt.EncodeKey of its ed25519 public key) and the name it
// joined as.
type DonorNode struct {
	Key      string    `json:"key"`
	Donor    string    `json:"donor"`
	NodeName string    `json:"node_name"`
	Joined   time.Time `json:"joined"`
	// Left is when the node left (zero: joined).
	Left time.Time `json:"left,omitzero"`
	// Token is the accessor of the join token it redeemed.
	Token     string `json:"token,omitempty"`
	CreateIdx uint64 `json:"create_index"`
	ModifyIdx uint64 `json:"modify_index"`
}

// JoinToken is a single-use join token; its secret is kept only as a
// SHA-256 hash.
type JoinToken struct {
	Accessor   string    `json:"accessor"`
	SecretHash string    `json:"secret_hash"`
	Donor      string    `json:"donor"`
	Expires    time.Time `json:"expires"`
	// Used is when it was redeemed (zero: not yet), UsedBy by which node
	// name.
	Used       time.Time `json:"used,omitzero"`
	UsedBy     string    `json:"used_by,omitempty"`
	CreateTime time.Time `json:"create_time"`
	// By is who issued it.
	By        string `json:"by,omitempty"`
	CreateIdx uint64 `json:"create_index"`
}

// DonorCmd registers a donor (register: Name, Wallet, WalletProof,
// WalletIssued, Accounts; management), re-proves its wallet (wallet:
// Name, Wallet, WalletProof, WalletIssued; management or the donor's
// admin), sets its affiliated accounts (accounts: Name, Accounts;
// management) or deletes it (delete: Name; management; refused while it
// has joined nodes). The leader verified the wallet proof.
type DonorCmd struct {
	Op           string    `json:"op"`
	Time         time.Time `json:"time"`
	Name         string    `json:"name"`
	Wallet       string    `json:"wallet,omitempty"`
	WalletProof  string    `json:"wallet_proof,omitempty"`
	WalletIssued time.Time `json:"wallet_issued,omitzero"`
	Accounts     []string  `json:"accounts,omitempty"`
	By           Actor     `json:"by"`
}

// JoinTokenCmd issues a join token (issue: Token, without CreateIdx;
// management or Token.Donor's admin), redeems one (redeem: SecretHash,
// NodeName, Key, Time; the apiserver checked the node's proof of the key)
// or records that a node left (leave: NodeName, Key; the node signed it)
// or came back (rejoin: the same).
type JoinTokenCmd struct {
	Op         string     `json:"op"`
	Time       time.Time  `json:"time"`
	Token      *JoinToken `json:"token,omitempty"`
	SecretHash string     `json:"secret_hash,omitempty"`
	NodeName   string     `json:"node_name,omitempty"`
	Key        string     `json:"key,omitempty"`
	By         Actor      `json:"by"`
}

var donorNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`) })
var walletRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^0x[0-9a-fA-F]{40}$`) })
var proofRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^0x[0-9a-fA-F]{130}$`) })
var accountRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$`) })
var hashRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{64}$`) })

// CheckDonorName refuses a name that is not [a-z0-9][a-z0-9-]{0,62}.
func CheckDonorName(name string) error {
	if !donorNameRE().MatchString(name) {
		return fmt.Errorf("donor name %.70q: want 1 to %d of a-z, 0-9 and '-', not starting with '-'", name, MaxDonorNameLen)
	}
	return nil
}

// CheckDonorAccounts refuses too many accounts, or a bad account name.
func CheckDonorAccounts(accts []string) error {
	if len(accts) > MaxDonorAccounts {
		return fmt.Errorf("%d accounts: at most %d", len(accts), MaxDonorAccounts)
	}
	for _, a := range accts {
		if !accountRE().MatchString(a) {
			return fmt.Errorf("account %.70q: want 1 to %d of letters, digits, '_', '.', '@', '-'", a, MaxAccountLen)
		}
	}
	return nil
}

// CheckNodeName refuses a node name a join may not record: it is a host
// name, ASCII letters and digits, '.', '_' and '-', starting with a letter
// or digit. A ',' or brackets would make it a Slurm host list (a job there
// would read as running on other nodes too), and look-alike letters
// (Cyrillic "а") would show it as the node it mimics.
func CheckNodeName(name string) error {
	if len(name) > MaxNodeNameLen || !nodeNameRE().MatchString(name) {
		return fmt.Errorf("node name %.40q: want a host name, 1 to %d of ASCII letters, digits, '.', '_' and '-', starting with a letter or digit", name, MaxNodeNameLen)
	}
	return nil
}

var nodeNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`) })

func (c DonorCmd) validate() error {
	if err := CheckDonorName(c.Name); err != nil {
		return err
	}
	wallet := func() error {
		if !walletRE().MatchString(c.Wallet) {
			return fmt.Errorf("wallet %.50q: want 0x and 40 hex digits", c.Wallet)
		}
		if !proofRE().MatchString(c.WalletProof) {
			return fmt.Errorf("wallet proof: want 0x and 130 hex digits")
		}
		if c.WalletIssued.IsZero() {
			return fmt.Errorf("wallet proof without its issued time")
		}
		return nil
	}
	switch c.Op {
	case DonorRegister:
		if err := wallet(); err != nil {
			return err
		}
		return CheckDonorAccounts(c.Accounts)
	case DonorWallet:
		return wallet()
	case DonorAccounts:
		return CheckDonorAccounts(c.Accounts)
	case DonorDelete:
		return nil
	}
	return fmt.Errorf("donor operation %q: want register, wallet, accounts or delete", c.Op)
}

func (c JoinTokenCmd) validate() error {
	switch c.Op {
	case JoinIssue:
		t := c.Token
		if t == nil {
			return errors.New("join token issue without its token")
		}
		if err := CheckDonorName(t.Donor); err != nil {
			return err
		}
		if t.Accessor == "" || len(t.Accessor) > 64 || !printable(t.Accessor) || !hashRE().MatchString(t.SecretHash) {
			return errors.New("join token: needs an accessor (at most 64 bytes) and a hex SHA-256 secret hash")
		}
		if ttl := t.Expires.Sub(t.CreateTime); ttl <= 0 || ttl > MaxJoinTTL {
			return fmt.Errorf("join token lifetime %v: want more than 0 and at most %v", ttl, MaxJoinTTL)
		}
		if !t.Used.IsZero() || t.UsedBy != "" {
			return errors.New("join token issued used")
		}
	case JoinRedeem:
		if !hashRE().MatchString(c.SecretHash) {
			return errors.New("join token redeem: want the hex SHA-256 of the secret")
		}
		if err := CheckNodeName(c.NodeName); err != nil {
			return err
		}
		if _, err := receipt.DecodeKey(c.Key); err != nil {
			return err
		}
	case JoinLeave, JoinRejoin:
		if err := CheckNodeName(c.NodeName); err != nil {
			return err
		}
		if _, err := receipt.DecodeKey(c.Key); err != nil {
			return err
		}
	default:
		return fmt.Errorf("join token operation %q: want issue, redeem, leave or rejoin", c.Op)
	}
	return nil
}

// NewJoinToken makes a join token for donor, valid for ttl from now (0:
// DefaultJoinTTL), and its secret ("hbj_" and 32 random bytes, base64url),
// for the leader to commit (JoinTokenCmd issue) and hand to the caller
// only. It reads randomness: never call it from Apply.
func NewJoinToken(donor string, now time.Time, ttl time.Duration) (JoinToken, string) {
	if ttl <= 0 {
		ttl = DefaultJoinTTL
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	secret := JoinSecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	var a [16]byte
	_, _ = rand.Read(a[:])
	a[6] = a[6]&0x0f | 0x40
	a[8] = a[8]&0x3f | 0x80
	now = now.UTC()
	return JoinToken{
		Accessor:   fmt.Sprintf("%x-%x-%x-%x-%x", a[0:4], a[4:6], a[6:8], a[8:10], a[10:]),
		SecretHash: HashSecret(secret),
		Donor:      donor,
		Expires:    now.Add(ttl),
		CreateTime: now,
	}, secret
}

// donorTables are the tables of this file.
func donorTables() map[string]*memdb.TableSchema {
	return map[string]*memdb.TableSchema{
		tableDonors: {Name: tableDonors, Indexes: map[string]*memdb.IndexSchema{
			"id": {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Name"}},
			// "account": donors by affiliated account (one each: applyDonor).
			"account": {Name: "account", AllowMissing: true, Indexer: &memdb.StringSliceFieldIndex{Field: "Accounts"}},
		}},
		tableDonorNodes: {Name: tableDonorNodes, Indexes: map[string]*memdb.IndexSchema{
			"id":    {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Key"}},
			"donor": {Name: "donor", Indexer: &memdb.StringFieldIndex{Field: "Donor"}},
			"name":  {Name: "name", Indexer: &memdb.StringFieldIndex{Field: "NodeName"}},
		}},
		tableJoinTokens: {Name: tableJoinTokens, Indexes: map[string]*memdb.IndexSchema{
			"id":     {Name: "id", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Accessor"}},
			"secret": {Name: "secret", Unique: true, Indexer: &memdb.StringFieldIndex{Field: "SecretHash"}},
			"donor":  {Name: "donor", Indexer: &memdb.StringFieldIndex{Field: "Donor"}},
		}},
	}
}

// donorRow is a new row of one of those tables, for Restore (nil: not
// one of them).
func donorRow(table string) any {
	switch table {
	case tableDonors:
		return &Donor{}
	case tableDonorNodes:
		return &DonorNode{}
	case tableJoinTokens:
		return &JoinToken{}
	}
	return nil
}

// Table names of this file.
const (
	tableDonors     = "donors"
	tableDonorNodes = "donor_nodes"
	tableJoinTokens = "join_tokens"
)

func (a *applier) donor(name string) *Donor {
	return first[Donor](a.txn, tableDonors, "id", name)
}

func (a *applier) putDonor(d *Donor) {
	if d.CreateIdx == 0 {
		d.CreateIdx = a.index
	}
	d.ModifyIdx = a.index
	if err := a.txn.Insert(tableDonors, d); err != nil {
		panic(fmt.Sprintf("state: insert donor %s: %v", d.Name, err))
	}
}

func (a *applier) putDonorNode(n *DonorNode) {
	if n.CreateIdx == 0 {
		n.CreateIdx = a.index
	}
	n.ModifyIdx = a.index
	if err := a.txn.Insert(tableDonorNodes, n); err != nil {
		panic(fmt.Sprintf("state: insert donor node %s: %v", n.NodeName, err))
	}
}

// first is the first row of table whose index matches args, or nil.
func first[T any](txn *memdb.Txn, table, index string, args ...any) *T {
	raw, err := txn.First(table, index, args...)
	if err != nil || raw == nil {
		return nil
	}
	return raw.(*T)
}

func rows[T any](txn *memdb.Txn, table, index string, args ...any) []*T {
	it, err := txn.Get(table, index, args...)
	if err != nil {
		panic(err)
	}
	var out []*T
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*T))
	}
	return out
}

// applyDonor is CmdDonor (version 1).
func applyDonor(a *applier, _ uint8, c *DonorCmd) *Result {
	if err := c.validate(); err != nil {
		return &Result{Err: err}
	}
	d := a.donor(c.Name)
	switch c.Op {
	case DonorRegister:
		if !c.By.Management {
			return &Result{Err: fmt.Errorf("register donor %s: %w (management token only)", c.Name, ErrPermission)}
		}
		if d != nil {
			return &Result{Err: fmt.Errorf("donor %s: %w", c.Name, ErrDonorExists)}
		}
		if n, _ := a.txn.Get(tableDonors, "id"); countIt(n) >= MaxDonors {
			return &Result{Err: fmt.Errorf("register donor %s: %d donors registered, the most there may be", c.Name, MaxDonors)}
		}
		if err := a.accountsFree(c.Name, c.Accounts); err != nil {
			return &Result{Err: err}
		}
		a.putDonor(&Donor{Name: c.Name, Wallet: c.Wallet, WalletProof: c.WalletProof, WalletIssued: c.WalletIssued.UTC(),
			Accounts: uniqSorted(c.Accounts), CreateTime: c.Time.UTC()})
		return &Result{Value: c.Name}
	}
	if d == nil {
		return &Result{Err: fmt.Errorf("donor %s: %w", c.Name, ErrNotFound)}
	}
	cp := *d
	switch c.Op {
	case DonorWallet:
		if !c.By.Management && c.By.Donor != c.Name {
			return &Result{Err: fmt.Errorf("donor %s wallet: %w (management or the donor's admin token)", c.Name, ErrPermission)}
		}
		if !c.WalletIssued.After(d.WalletIssued) {
			return &Result{Err: fmt.Errorf("donor %s wallet: the proof was issued at %s, not after the current one (%s): %w",
				c.Name, c.WalletIssued.UTC().Format(time.RFC3339), d.WalletIssued.Format(time.RFC3339), ErrState)}
		}
		cp.Wallet, cp.WalletProof, cp.WalletIssued = c.Wallet, c.WalletProof, c.WalletIssued.UTC()
	case DonorAccounts:
		if !c.By.Management {
			return &Result{Err: fmt.Errorf("donor %s accounts: %w (management token only)", c.Name, ErrPermission)}
		}
		if err := a.accountsFree(c.Name, c.Accounts); err != nil {
			return &Result{Err: err}
		}
		cp.Accounts = uniqSorted(c.Accounts)
	case DonorDelete:
		if !c.By.Management {
			return &Result{Err: fmt.Errorf("delete donor %s: %w (management token only)", c.Name, ErrPermission)}
		}
		nodes := rows[DonorNode](a.txn, tableDonorNodes, "donor", c.Name)
		var joined []string
		for _, n := range nodes {
			if n.Left.IsZero() {
				joined = append(joined, n.NodeName)
			}
		}
		if len(joined) > 0 {
			sort.Strings(joined)
			return &Result{Err: fmt.Errorf("delete donor %s: %w (%s): they must leave first: %w", c.Name, ErrDonorHasNodes,
				strings.Join(joined[:min(len(joined), 10)], ", "), ErrState)}
		}
		for _, n := range nodes {
			if err := a.txn.Delete(tableDonorNodes, n); err != nil {
				panic(err)
			}
		}
		for _, t := range rows[JoinToken](a.txn, tableJoinTokens, "donor", c.Name) {
			if err := a.txn.Delete(tableJoinTokens, t); err != nil {
				panic(err)
			}
		}
		// Its admin tokens go with it.
		for _, t := range rows[ACLToken](a.txn, tableTokens, "id") {
			if t.Type == TokenDonorAdmin && t.Donor == c.Name {
				if err := a.txn.Delete(tableTokens, t); err != nil {
					panic(err)
				}
			}
		}
		if err := a.txn.Delete(tableDonors, d); err != nil {
			panic(err)
		}
		return &Result{Value: c.Name}
	}
	a.putDonor(&cp)
	return &Result{Value: c.Name}
}

// accountsFree refuses an account affiliated with another donor than
// name: an account has one donor (whose fair share its jobs get).
func (a *applier) accountsFree(name string, accts []string) error {
	for _, acct := range accts {
		if d := first[Donor](a.txn, tableDonors, "account", acct); d != nil && d.Name != name {
			return fmt.Errorf("account %s is affiliated with donor %s already (an account has one donor): %w", acct, d.Name, ErrState)
		}
	}
	return nil
}

func countIt(it memdb.ResultIterator) int {
	if it == nil {
		return 0
	}
	n := 0
	for raw := it.Next(); raw != nil; raw = it.Next() {
		n++
	}
	return n
}

func uniqSorted(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// applyJoinToken is CmdJoinToken (version 1).
func applyJoinToken(a *applier, _ uint8, c *JoinTokenCmd) *Result {
	if err := c.validate(); err != nil {
		return &Result{Err: err}
	}
	switch c.Op {
	case JoinIssue:
		return a.issueJoinToken(c)
	case JoinRedeem:
		return a.redeemJoinToken(c)
	}
	return a.leaveDonor(c)
}

func (a *applier) issueJoinToken(c *JoinTokenCmd) *Result {
	t := *c.Token
	if !c.By.Management && c.By.Donor != t.Donor {
		return &Result{Err: fmt.Errorf("join token for donor %s: %w (management or the donor's admin token)", t.Donor, ErrPermission)}
	}
	if a.donor(t.Donor) == nil {
		return &Result{Err: fmt.Errorf("donor %s: %w", t.Donor, ErrNotFound)}
	}
	a.sweepJoinTokens(c.Time)
	live := 0
	kept := rows[JoinToken](a.txn, tableJoinTokens, "donor", t.Donor)
	for _, o := range kept {
		if o.Used.IsZero() && c.Time.Before(o.Expires) {
			live++
		}
	}
	if live >= MaxJoinTokens {
		return &Result{Err: fmt.Errorf("donor %s has %d unused join tokens, the most there may be: wait for some to expire", t.Donor, live)}
	}
	if len(kept) >= MaxJoinTokensKept {
		oldest := kept[0].Expires
		for _, o := range kept {
			if o.Expires.Before(oldest) {
				oldest = o.Expires
			}
		}
		return &Result{Err: fmt.Errorf("donor %s holds %d join tokens (unused, used, or expired less than %v ago), the most there may be: the next is forgotten at %s: %w",
			t.Donor, len(kept), JoinTokenKeep, oldest.Add(JoinTokenKeep).UTC().Format(time.RFC3339), ErrState)}
	}
	for _, idx := range []struct{ name, value string }{{"id", t.Accessor}, {"secret", t.SecretHash}} {
		if raw, _ := a.txn.First(tableJoinTokens, idx.name, idx.value); raw != nil {
			return &Result{Err: fmt.Errorf("a join token with this %s exists: %w", idx.name, ErrState)}
		}
	}
	t.By, t.CreateIdx = c.By.User, a.index
	t.CreateTime, t.Expires = t.CreateTime.UTC(), t.Expires.UTC()
	if err := a.txn.Insert(tableJoinTokens, &t); err != nil {
		panic(err)
	}
	return &Result{Value: t}
}

// sweepJoinTokens deletes join tokens that expired JoinTokenKeep or more
// before now.
func (a *applier) sweepJoinTokens(now time.Time) {
	for _, t := range rows[JoinToken](a.txn, tableJoinTokens, "id") {
		if !now.Before(t.Expires.Add(JoinTokenKeep)) {
			if err := a.txn.Delete(tableJoinTokens, t); err != nil {
				panic(err)
			}
		}
	}
}

// JoinTokenUsable says why the join token t cannot be redeemed at now
// (ErrJoinTokenUsed, ErrJoinTokenExpired), or nil.
func JoinTokenUsable(t *JoinToken, now time.Time) error {
	if !t.Used.IsZero() {
		return fmt.Errorf("%w (by node %s at %s)", ErrJoinTokenUsed, t.UsedBy, t.Used.Format(time.RFC3339))
	}
	if !now.Before(t.Expires) {
		return fmt.Errorf("%w at %s", ErrJoinTokenExpired, t.Expires.Format(time.RFC3339))
	}
	return nil
}

func (a *applier) redeemJoinToken(c *JoinTokenCmd) *Result {
	t := first[JoinToken](a.txn, tableJoinTokens, "secret", c.SecretHash)
	if t == nil {
		return &Result{Err: ErrJoinTokenInvalid}
	}
	if err := JoinTokenUsable(t, c.Time); err != nil {
		return &Result{Err: err}
	}
	if a.donor(t.Donor) == nil {
		return &Result{Err: fmt.Errorf("%w: donor %s is gone", ErrJoinTokenInvalid, t.Donor)}
	}
	if k := first[NodeKey](a.txn, tableNodeKeys, "id", c.Key); k != nil && !k.Revoked.IsZero() {
		return &Result{Err: fmt.Errorf("node %s: %w", c.NodeName, ErrKeyRevoked)}
	}
	// Nor the name of a node the federation knows by another key that is
	// not this donor's (a home node, another donor's node whose Nomad
	// client still presents its key): two Nomad nodes of one name would
	// take each other's pinned jobs (sbatch -w), and reclaims and drains
	// by name. Revoking that key frees the name.
	for _, k := range rows[NodeKey](a.txn, tableNodeKeys, "name", c.NodeName) {
		if k.Current() && k.Key != c.Key && a.donorOfKey(k.Key) != t.Donor {
			return &Result{Err: fmt.Errorf("node name %s: %w: a node of the federation is called so (join under another name, or revoke that node's key first)",
				c.NodeName, ErrNodeTaken)}
		}
	}
	var same []*DonorNode
	for _, n := range rows[DonorNode](a.txn, tableDonorNodes, "name", c.NodeName) {
		if n.Left.IsZero() && n.Donor != t.Donor {
			// The other donor is not named: the joiner holds only its
			// own donor's secret (the coordinator logs who holds it).
			return &Result{Err: fmt.Errorf("node name %s: %w: join under another name", c.NodeName, ErrNodeTaken)}
		}
		if n.Left.IsZero() && n.Key != c.Key {
			same = append(same, n)
		}
	}
	old := first[DonorNode](a.txn, tableDonorNodes, "id", c.Key)
	if old != nil && old.Donor != t.Donor {
		return &Result{Err: fmt.Errorf("node key of %s: %w: a node's key joins one donor only", c.NodeName, ErrNodeTaken)}
	}
	if old == nil && len(rows[DonorNode](a.txn, tableDonorNodes, "donor", t.Donor)) >= MaxDonorNodes {
		return &Result{Err: fmt.Errorf("donor %s has %d node records, the most there may be", t.Donor, MaxDonorNodes)}
	}
	// The same donor's node of that name with another key (its key file
	// was replaced and it joined again) has left.
	for _, n := range same {
		cp := *n
		cp.Left = c.Time.UTC()
		a.putDonorNode(&cp)
	}
	n := &DonorNode{Key: c.Key, Donor: t.Donor, NodeName: c.NodeName, Joined: c.Time.UTC(), Token: t.Accessor}
	if old != nil {
		n.CreateIdx = old.CreateIdx
	}
	a.putDonorNode(n)
	cp := *t
	cp.Used, cp.UsedBy = c.Time.UTC(), c.NodeName
	if err := a.txn.Insert(tableJoinTokens, &cp); err != nil {
		panic(err)
	}
	return &Result{Value: *n}
}

// donorOfKey is View.DonorOfKey within an Apply.
func (a *applier) donorOfKey(key string) string {
	if n := first[DonorNode](a.txn, tableDonorNodes, "id", key); n != nil {
		return n.Donor
	}
	return ""
}

func (a *applier) leaveDonor(c *JoinTokenCmd) *Result {
	rec := first[DonorNode](a.txn, tableDonorNodes, "id", c.Key)
	if rec == nil || rec.NodeName != c.NodeName {
		return &Result{Err: fmt.Errorf("node %s did not join with this key: %w", c.NodeName, ErrNotFound)}
	}
	n := *rec
	switch {
	case c.Op == JoinLeave && n.Left.IsZero():
		n.Left = c.Time.UTC()
		a.putDonorNode(&n)
	case c.Op == JoinRejoin && !n.Left.IsZero():
		if a.donor(n.Donor) == nil {
			return &Result{Err: fmt.Errorf("node %s: donor %s is gone: %w", c.NodeName, n.Donor, ErrNotFound)}
		}
		for _, o := range rows[DonorNode](a.txn, tableDonorNodes, "name", c.NodeName) {
			if o.Key != n.Key && o.Left.IsZero() {
				return &Result{Err: fmt.Errorf("node name %s: joined again with another key: %w", c.NodeName, ErrNodeTaken)}
			}
		}
		n.Left = time.Time{}
		a.putDonorNode(&n)
	}
	return &Result{Value: n}
}

// LeaveReclaimBy is the Reclaim.By of the reclaim a donor's node's leave
// began (Source ReclaimCommand): the leader's reclaimer ends it, and makes
// the node eligible again, once the node rejoined (IsRejoined).
func LeaveReclaimBy(donor string) string { return leaveByPrefix + donor }

// DonorAdminBy is the Reclaim.By (the actor's user) of what a donor's
// admin token does for donor.
func DonorAdminBy(donor string) string { return donorAdminByPrefix + donor }

// The prefixes of LeaveReclaimBy and DonorAdminBy.
const (
	leaveByPrefix      = "leave:"
	donorAdminByPrefix = "donor-admin:"
)

// ReclaimByRank orders who began a command reclaim: a node's leave (0),
// a donor's admin (1), the operator (2, any other By: user names cannot
// hold a ':'). A command reclaim under way passes to a new one's By only
// of the same rank or higher.
func ReclaimByRank(by string) int {
	switch {
	case strings.HasPrefix(by, leaveByPrefix):
		return 0
	case strings.HasPrefix(by, donorAdminByPrefix):
		return 1
	}
	return 2
}

// IsLeaveReclaim reports whether rc was begun by a donor node's leave.
func IsLeaveReclaim(rc *Reclaim) bool {
	return rc != nil && rc.Source == ReclaimCommand && strings.HasPrefix(rc.By, leaveByPrefix)
}

// IsRejoined reports whether the Nomad node nodeID presents (as its
// current registered key) a key that a donor's join registered and whose
// node has not left: a node whose leave was undone (JoinRejoin).
func (v *View) IsRejoined(nodeID string) bool {
	k := v.CurrentNodeKey(nodeID)
	if k == nil {
		return false
	}
	n := v.DonorNode(k.Key)
	return n != nil && n.Left.IsZero()
}

// Donors lists the registered donors by name.
func (v *View) Donors() []*Donor {
	return rows[Donor](v.txn, tableDonors, "id")
}

// Donor returns the donor called name, or nil.
func (v *View) Donor(name string) *Donor {
	return first[Donor](v.txn, tableDonors, "id", name)
}

// DonorOfAccount is the donor account acct is affiliated with ("" for
// none; an account has at most one).
func (v *View) DonorOfAccount(acct string) string {
	if acct == "" {
		return ""
	}
	if d := first[Donor](v.txn, tableDonors, "account", acct); d != nil {
		return d.Name
	}
	return ""
}

// DonorNodes lists the node records of donor (joined and left), by name
// then join.
func (v *View) DonorNodes(donor string) []*DonorNode {
	out := rows[DonorNode](v.txn, tableDonorNodes, "donor", donor)
	slices.SortStableFunc(out, func(x, y *DonorNode) int {
		if c := strings.Compare(x.NodeName, y.NodeName); c != 0 {
			return c
		}
		return cmpUint(x.CreateIdx, y.CreateIdx)
	})
	return out
}

// DonorNodesNamed lists the join records of node name (of any donor,
// joined and left).
func (v *View) DonorNodesNamed(name string) []*DonorNode {
	return rows[DonorNode](v.txn, tableDonorNodes, "name", name)
}

// DonorNode returns the join record of key, or nil.
func (v *View) DonorNode(key string) *DonorNode {
	return first[DonorNode](v.txn, tableDonorNodes, "id", key)
}

// DonorOfKey is the donor whose join registered key ("" for none): the
// donor a receipt signed with that key is credited to (also after the
// node left).
func (v *View) DonorOfKey(key string) string {
	if n := v.DonorNode(key); n != nil {
		return n.Donor
	}
	return ""
}

// DonorOfNode is the donor of the Nomad node called, or with the id,
// node ("" for none): the donor of the key the KeyWatcher bound to that
// Nomad node (its current key), else of the joined (not left) node of
// that name unless a key no join registered was ever bound to that name
// or id. A node's Nomad meta (hpcbridge.donor) never counts: only a join
// record does.
func (v *View) DonorOfNode(node string) string {
	if node == "" {
		return ""
	}
	if k := v.CurrentNodeKey(node); k != nil {
		return v.DonorOfKey(k.Key)
	}
	if len(v.NodeKeysOf(node)) > 0 {
		// A Nomad node id whose keys were all revoked: a join that named
		// itself after the id does not make that node a donor's.
		return ""
	}
	bound, donor := false, ""
	for _, k := range v.NodeKeysNamed(node) {
		d := v.DonorOfKey(k.Key)
		switch {
		case d == "":
			// A Nomad node of that name presents, or presented (a key
			// revoked, a node gone), a key no join registered: it is
			// not a donor's, whatever its name, nor are the receipts it
			// signed, even when a donor's node is called so too (it
			// joined under the name before the other came up): a name
			// two nodes share is nobody's (by id, each is what it is).
			bound = true
		case k.Current() && donor != "" && donor != d:
			bound = true
		case k.Current():
			donor = d
		}
	}
	if bound {
		return ""
	}
	if donor != "" {
		return donor
	}
	for _, n := range v.DonorNodesNamed(node) {
		if n.Left.IsZero() {
			return n.Donor
		}
	}
	return ""
}

// NodeKeysNamed lists the keys registered for Nomad nodes called name
// (current, superseded and revoked).
func (v *View) NodeKeysNamed(name string) []*NodeKey {
	return rows[NodeKey](v.txn, tableNodeKeys, "name", name)
}

// DonorOfNodeID is the donor of the Nomad node id by its current
// registered key only ("" when it has none, or no join registered it):
// what authorises a donor's admin to act on a node.
func (v *View) DonorOfNodeID(nodeID string) string {
	if k := v.CurrentNodeKey(nodeID); k != nil {
		return v.DonorOfKey(k.Key)
	}
	return ""
}

// JoinTokens lists donor's join tokens ("" for every donor's), oldest
// first.
func (v *View) JoinTokens(donor string) []*JoinToken {
	var out []*JoinToken
	if donor == "" {
		out = rows[JoinToken](v.txn, tableJoinTokens, "id")
	} else {
		out = rows[JoinToken](v.txn, tableJoinTokens, "donor", donor)
	}
	slices.SortStableFunc(out, func(x, y *JoinToken) int { return cmpUint(x.CreateIdx, y.CreateIdx) })
	return out
}

// JoinTokenBySecretHash returns the join token whose secret hashes to h,
// or nil.
func (v *View) JoinTokenBySecretHash(h string) *JoinToken {
	return first[JoinToken](v.txn, tableJoinTokens, "secret", h)
}
