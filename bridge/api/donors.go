package api

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Donor organisations, their join tokens and the nodes that join with
// them (docs/donors.md, "Donors: registry and join tokens").

// Error codes of POST /v1/nodes/join (403): the join token's secret is
// unknown, was redeemed already, or expired.
const (
	CodeJoinTokenInvalid = "join_token_invalid"
	CodeJoinTokenUsed    = "join_token_used"
	CodeJoinTokenExpired = "join_token_expired"
)

// Bounds of the donor routes.
const (
	// MaxDonorBodyBytes bounds the body of every donor and join route.
	MaxDonorBodyBytes = 64 << 10
	// MaxJoinTokenTTL bounds a join token's lifetime; DefaultJoinTokenTTL
	// is used when a request names none (the same as state's).
	MaxJoinTokenTTL     = 24 * time.Hour
	DefaultJoinTokenTTL = time.Hour
	// NodeRequestSkew is how far a node-signed request's time (a join's
	// or a leave's) may be from the coordinator's clock, either way.
	NodeRequestSkew = 5 * time.Minute
	// MetaDonor and MetaAgentVersion are the Nomad node meta keys the
	// agent sets. The donor meta is for display only: what makes a node a
	// donor's is its join record.
	MetaDonor        = "hpcbridge.donor"
	MetaAgentVersion = "hpcbridge.agent_version"
)

// DonorRegisterRequest is POST /v1/donors' body (management): the donor's
// name, its wallet (0x address), the wallet's EIP-191 personal_sign
// signature (0x hex, 65 bytes) over wallet.Message(cluster, Name, Wallet,
// Issued) (GET /v1/donor/{name}/challenge gives that text), and the
// accounts affiliated with it.
type DonorRegisterRequest struct {
	Name      string    `json:"name"`
	Wallet    string    `json:"wallet"`
	Signature string    `json:"signature"`
	Issued    time.Time `json:"issued"`
	Accounts  []string  `json:"accounts,omitempty"`
}

// DonorWalletRequest is POST /v1/donor/{name}/wallet's body (management
// or the donor's admin): a new proof, for the same or a new wallet.
type DonorWalletRequest struct {
	Wallet    string    `json:"wallet"`
	Signature string    `json:"signature"`
	Issued    time.Time `json:"issued"`
}

// DonorAccountsRequest is POST /v1/donor/{name}/accounts' body
// (management): the accounts affiliated with the donor, replacing the
// old list (empty: none).
type DonorAccountsRequest struct {
	Accounts []string `json:"accounts"`
}

// DonorChallenge is GET /v1/donor/{name}/challenge?wallet=0x..: the text
// to sign with the wallet to register the donor or re-prove its wallet,
// issued now; a proof is taken within 10 minutes of Issued.
type DonorChallenge struct {
	Cluster string    `json:"cluster"`
	Donor   string    `json:"donor"`
	Wallet  string    `json:"wallet"`
	Issued  time.Time `json:"issued"`
	Message string    `json:"message"`
}

// Donor is a registered donor organisation and the nodes that joined
// under it.
type Donor struct {
	Name         string      `json:"name"`
	Wallet       string      `json:"wallet"`
	WalletProof  string      `json:"wallet_proof"`
	WalletIssued time.Time   `json:"wallet_issued"`
	Accounts     []string    `json:"accounts,omitempty"`
	CreateTime   time.Time   `json:"create_time"`
	CreateIndex  uint64      `json:"create_index"`
	ModifyIndex  uint64      `json:"modify_index"`
	Nodes        []DonorNode `json:"nodes,omitempty"`
}

// DonorNode is a node that joined under a donor: the name it joined as,
// its key (receipt.EncodeKey), when it joined and when it left (zero:
// joined).
type DonorNode struct {
	NodeName string    `json:"node_name"`
	Key      string    `json:"key"`
	Joined   time.Time `json:"joined"`
	Left     time.Time `json:"left,omitzero"`
}

// DonorList is GET /v1/donors.
type DonorList struct {
	Donors []Donor `json:"donors"`
}

// JoinTokenRequest is POST /v1/donor/{name}/join-tokens' body: the
// token's lifetime as a Go duration ("" : DefaultJoinTokenTTL; at most
// MaxJoinTokenTTL).
type JoinTokenRequest struct {
	TTL string `json:"ttl,omitempty"`
}

// JoinTokenResponse is a new join token: its secret ("hbj_...") is shown
// this once; it joins one node before Expires.
type JoinTokenResponse struct {
	Accessor string    `json:"accessor"`
	Secret   string    `json:"secret"`
	Donor    string    `json:"donor"`
	Expires  time.Time `json:"expires"`
}

// NodeJoinRequest is POST /v1/nodes/join's body (no ACL token: the join
// secret is the credential). Key is the node's ed25519 public key
// (receipt.EncodeKey), Signature (base64) its signature over
// JoinMessage(sha256 hex of Secret, NodeName, Key, Time): the node proves
// it holds the key it registers.
type NodeJoinRequest struct {
	Secret    string    `json:"secret"`
	NodeName  string    `json:"node_name"`
	Key       string    `json:"key"`
	Time      time.Time `json:"time"`
	Signature string    `json:"signature"`
}

// NodeJoinResponse tells a joined node where its Nomad client must go:
// the Nomad servers' RPC addresses (host:port), the datacenter and region
// to join, and the node meta to set.
type NodeJoinResponse struct {
	Donor        string            `json:"donor"`
	NodeName     string            `json:"node_name"`
	NomadServers []string          `json:"nomad_servers"`
	Datacenter   string            `json:"datacenter,omitempty"`
	Region       string            `json:"region,omitempty"`
	Meta         map[string]string `json:"meta,omitempty"`
}

// NodeLeaveRequest is POST /v1/node/{name}/leave's body (signed by the
// node's key, NodeSigner): the reclaim deadline of the node's jobs as a
// Go duration ("" : the server's --reclaim-deadline). Cancel undoes a
// leave instead (NodeRejoin): the node is joined again and the reclaim its
// leave began ends.
type NodeLeaveRequest struct {
	Deadline string `json:"deadline,omitempty"`
	Cancel   bool   `json:"cancel,omitempty"`
}

// JoinMessage is what a joining node signs with its key: the hash of the
// join secret (hex SHA-256), the node name, its key and the time (RFC
// 3339, UTC, seconds).
func JoinMessage(secretHash, nodeName, key string, t time.Time) []byte {
	return []byte("hpcbridge-node-join-v1\n" + secretHash + "\n" + nodeName + "\n" + key + "\n" + t.UTC().Format(time.RFC3339))
}

// SignJoin fills req.Signature (and req.Time, when zero) with key.
func SignJoin(req *NodeJoinRequest, key ed25519.PrivateKey, now time.Time) {
	if req.Time.IsZero() {
		req.Time = now.UTC().Truncate(time.Second)
	}
	h := sha256.Sum256([]byte(req.Secret))
	req.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, JoinMessage(hex.EncodeToString(h[:]), req.NodeName, req.Key, req.Time)))
}

// HeaderNodeNonce carries a node-signed request's nonce (32 hex digits,
// fresh for every request): the leader takes a nonce once, so a captured
// leave or rejoin cannot be replayed.
const HeaderNodeNonce = "X-Hpcbridge-Nonce"

// NodeSigner signs a node's own requests (POST /v1/node/{name}/leave)
// with the node's key, as RunSigner does a run token's: headers
// HeaderRunNode (the node name it joined as), HeaderRunTime,
// HeaderNodeNonce and HeaderRunSig over NodeRequestMessage. The
// coordinator verifies them with the key the node's join recorded.
type NodeSigner struct {
	NodeName string
	Key      ed25519.PrivateKey
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// NodeRequestMessage is what a node-signed request's signature covers:
// the method, the request URI (path and query as sent), the time (Unix
// seconds), the node name, the nonce and the body's hex SHA-256.
func NodeRequestMessage(method, uri, unix, nodeName, nonce, bodyHash string) []byte {
	return []byte("hpcbridge-node-request-v2\n" + method + "\n" + uri + "\n" + unix + "\n" + nodeName + "\n" + nonce + "\n" + bodyHash)
}

// sign adds the signature headers to req, whose body is body.
func (s *NodeSigner) sign(req *http.Request, body []byte) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	var n [16]byte
	_, _ = rand.Read(n[:]) // never fails (crypto/rand crashes the program instead)
	nonce := hex.EncodeToString(n[:])
	h := sha256.Sum256(body)
	msg := NodeRequestMessage(req.Method, req.URL.RequestURI(), ts, s.NodeName, nonce, hex.EncodeToString(h[:]))
	req.Header.Set(HeaderRunNode, s.NodeName)
	req.Header.Set(HeaderRunTime, ts)
	req.Header.Set(HeaderNodeNonce, nonce)
	req.Header.Set(HeaderRunSig, base64.StdEncoding.EncodeToString(ed25519.Sign(s.Key, msg)))
}

func donorPath(name string, rest ...string) string {
	return "/v1/donor/" + url.PathEscape(name) + strings.Join(rest, "")
}

// DonorChallenge asks for the text to sign with wallet to register donor
// name or re-prove its wallet.
func (c *Client) DonorChallenge(ctx context.Context, name, wallet string) (*DonorChallenge, error) {
	var out DonorChallenge
	if _, err := c.do(ctx, http.MethodGet, donorPath(name, "/challenge"), url.Values{"wallet": {wallet}}, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DonorRegister registers a donor (management token).
func (c *Client) DonorRegister(ctx context.Context, req *DonorRegisterRequest) (*Donor, error) {
	if req == nil {
		return nil, errNilRequest
	}
	var out Donor
	if _, err := c.do(ctx, http.MethodPost, "/v1/donors", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DonorWallet re-proves (or changes) donor name's wallet (management or
// the donor's admin token).
func (c *Client) DonorWallet(ctx context.Context, name string, req *DonorWalletRequest) (*Donor, error) {
	if req == nil {
		return nil, errNilRequest
	}
	var out Donor
	if _, err := c.do(ctx, http.MethodPost, donorPath(name, "/wallet"), nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DonorAccounts sets the accounts affiliated with donor name (management
// token).
func (c *Client) DonorAccounts(ctx context.Context, name string, accounts []string) (*Donor, error) {
	if accounts == nil {
		accounts = []string{}
	}
	var out Donor
	if _, err := c.do(ctx, http.MethodPost, donorPath(name, "/accounts"), nil, &DonorAccountsRequest{Accounts: accounts}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DonorDelete deletes donor name (management token): refused (conflict)
// while nodes are joined under it.
func (c *Client) DonorDelete(ctx context.Context, name string) error {
	_, err := c.do(ctx, http.MethodDelete, donorPath(name), nil, nil, &WriteResponse{})
	return err
}

// Donors lists the donors (a management token sees all, a donor-admin
// token its own).
func (c *Client) Donors(ctx context.Context) (*DonorList, error) {
	var out DonorList
	if _, err := c.do(ctx, http.MethodGet, "/v1/donors", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Donor returns donor name with its nodes (management, or the donor's
// admin token).
func (c *Client) Donor(ctx context.Context, name string) (*Donor, error) {
	var out Donor
	if _, err := c.do(ctx, http.MethodGet, donorPath(name), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// JoinTokenCreate issues a join token for donor name, valid for ttl (""
// : the default hour) (management or the donor's admin token).
func (c *Client) JoinTokenCreate(ctx context.Context, name, ttl string) (*JoinTokenResponse, error) {
	var out JoinTokenResponse
	if _, err := c.do(ctx, http.MethodPost, donorPath(name, "/join-tokens"), nil, &JoinTokenRequest{TTL: ttl}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// NodeJoin redeems a join token (no ACL token needed: req.Secret is the
// credential); req must be signed (SignJoin). A used, expired or unknown
// token is CodeJoinTokenUsed, CodeJoinTokenExpired, CodeJoinTokenInvalid
// (403); a node name joined under another donor CodeConflict.
func (c *Client) NodeJoin(ctx context.Context, req *NodeJoinRequest) (*NodeJoinResponse, error) {
	if req == nil {
		return nil, errNilRequest
	}
	var out NodeJoinResponse
	if _, err := c.do(ctx, http.MethodPost, "/v1/nodes/join", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// NodeLeave asks the coordinator to take the node signer names out of the
// federation: a reclaim of the node (its jobs checkpoint and are requeued
// by the deadline; "" : the server's default). The request is signed with
// the node's key; no ACL token is needed. Poll NodeReclaim (or Node) for
// the reclaim's progress.
func (c *Client) NodeLeave(ctx context.Context, signer *NodeSigner, deadline string) (*Reclaim, error) {
	var out Reclaim
	if err := c.nodeSigned(ctx, http.MethodPost, signer, &NodeLeaveRequest{Deadline: deadline}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// NodeRejoin undoes the leave of the node signer names (an agent started
// again on a node that left): its join record is joined again and the
// reclaim its leave began ends, so that it takes jobs again. Signed with
// the node's key; no ACL token is needed.
func (c *Client) NodeRejoin(ctx context.Context, signer *NodeSigner) (*NodeLeaveStatus, error) {
	var out NodeLeaveStatus
	if err := c.nodeSigned(ctx, http.MethodPost, signer, &NodeLeaveRequest{Cancel: true}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// nodeSigned sends a request to /v1/node/{name}/leave signed with the
// node's key (in: the JSON body, nil for none).
func (c *Client) nodeSigned(ctx context.Context, method string, signer *NodeSigner, in, out any) error {
	if signer == nil || signer.Key == nil || signer.NodeName == "" {
		return fmt.Errorf("api: a node-signed request needs the node's name and key")
	}
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("api: encode request: %w", err)
		}
	}
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/node/" + url.PathEscape(signer.NodeName) + "/leave"
	u.RawPath = ""
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	signer.sign(req, body)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("hpcbridge at %s: %w", c.base.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return decodeError(resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("api: decode %s %s reply: %w", method, u.Path, err)
	}
	return nil
}

// NodeLeaveStatus is GET /v1/node/{name}/leave (signed by the node's key,
// as the leave): how the node's leave is going. Reclaim is the node's
// reclaim in force (nil: none, or it ended: its jobs were requeued); Jobs
// counts the hpcbridge allocations still on the node; Left is when the
// node asked to leave (zero: it has not).
type NodeLeaveStatus struct {
	Node    string    `json:"node"`
	Donor   string    `json:"donor"`
	Reclaim *Reclaim  `json:"reclaim,omitempty"`
	Jobs    int       `json:"jobs"`
	Left    time.Time `json:"left,omitzero"`
}

// NodeLeaveStatus asks how the leave of the node signer names is going
// (signed with the node's key; no ACL token needed). The node may stop
// its Nomad client once Jobs is 0.
func (c *Client) NodeLeaveStatus(ctx context.Context, signer *NodeSigner) (*NodeLeaveStatus, error) {
	var out NodeLeaveStatus
	if err := c.nodeSigned(ctx, http.MethodGet, signer, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
