package apiserver

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
	"github.com/hpcbridge/hpcbridge/internal/wallet"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Donor organisations (raft/state/donors.go): registered by a management
// token with a proof that they hold their wallet, their nodes joining
// with single-use join tokens, and leaving with a request signed by the
// node's key, which reclaims the node.

// NomadJoin is what a joining node needs to reach the Nomad servers: their
// RPC addresses (host:port), and the datacenter and region to join.
type NomadJoin struct {
	Servers    []string
	Datacenter string
	Region     string
}

// JoinSource tells joining nodes where the Nomad servers are (the
// coordinator's flags, or its Nomad agent).
type JoinSource interface {
	NomadJoin(ctx context.Context) (NomadJoin, error)
}

// StaticJoin is a JoinSource that always says the same (every --join-*
// flag given).
type StaticJoin NomadJoin

// NomadJoin is JoinSource.
func (j StaticJoin) NomadJoin(context.Context) (NomadJoin, error) { return NomadJoin(j), nil }

// DefaultClusterName names the cluster in wallet challenges when the
// coordinator's ClusterName setting is empty.
const DefaultClusterName = "hpcbridge"

// clusterName is the cluster wallet.Message names.
func (s *Server) clusterName() string {
	if c := s.cfg.Settings["ClusterName"]; c != "" {
		return c
	}
	return DefaultClusterName
}

// readDonorBody decodes a donor route's body, bounded by
// api.MaxDonorBodyBytes.
func readDonorBody(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) error {
	r.Body = http.MaxBytesReader(w, r.Body, api.MaxDonorBodyBytes)
	return decodeBody(r, v, allowEmpty)
}

// donorName reads and checks the {name} of a donor route.
func donorName(r *http.Request) (string, error) {
	name := r.PathValue("name")
	if err := state.CheckDonorName(name); err != nil {
		return "", badRequest("%v", err)
	}
	return name, nil
}

// checkWalletProof verifies a donor's wallet proof: a checksummed
// address, a personal_sign signature over the challenge for this cluster,
// donor, wallet and issued time, issued within wallet.MaxSkew of now.
func (s *Server) checkWalletProof(donor, addr, sig string, issued time.Time) (string, string, error) {
	wa, err := wallet.ParseAddress(addr)
	if err != nil {
		return "", "", badRequest("%v", err)
	}
	if issued.IsZero() {
		return "", "", badRequest("the wallet proof needs the time its challenge was issued (issued)")
	}
	if err := wallet.CheckIssued(issued, s.now()); err != nil {
		return "", "", denied("%v", err)
	}
	raw, err := wallet.ParseSignature(sig)
	if err != nil {
		return "", "", badRequest("%v", err)
	}
	// The challenge names the address as the donor gave it to the
	// challenge: checksummed.
	if err := wallet.Verify(wallet.Message(s.clusterName(), donor, wa, issued), raw, wa); err != nil {
		return "", "", denied("wallet proof of donor %s: %v", donor, err)
	}
	return wa, wallet.EncodeSignature(raw), nil
}

func wireDonor(v *state.View, d *state.Donor) api.Donor {
	out := api.Donor{Name: d.Name, Wallet: d.Wallet, WalletProof: d.WalletProof, WalletIssued: d.WalletIssued,
		Accounts: d.Accounts, CreateTime: d.CreateTime, CreateIndex: d.CreateIdx, ModifyIndex: d.ModifyIdx}
	for _, n := range v.DonorNodes(d.Name) {
		out.Nodes = append(out.Nodes, api.DonorNode{NodeName: n.NodeName, Key: n.Key, Joined: n.Joined, Left: n.Left})
	}
	return out
}

// donorResult answers a committed donor command with the donor as it is now.
func (s *Server) donorResult(w http.ResponseWriter, name string, res *state.Result, idx uint64) error {
	if res.Err != nil {
		return donorError(res.Err)
	}
	v := s.cfg.Store.View()
	d := v.Donor(name)
	setIndex(w, idx)
	if d == nil {
		writeJSON(w, http.StatusOK, api.WriteResponse{Index: idx})
		return nil
	}
	writeJSON(w, http.StatusOK, wireDonor(v, d))
	return nil
}

// donorError maps the donor errors to API codes.
func donorError(err error) *api.Error {
	switch {
	case errors.Is(err, state.ErrJoinTokenUsed):
		return api.Errorf(api.CodeJoinTokenUsed, "%v", err)
	case errors.Is(err, state.ErrJoinTokenExpired):
		return api.Errorf(api.CodeJoinTokenExpired, "%v", err)
	case errors.Is(err, state.ErrJoinTokenInvalid):
		return api.Errorf(api.CodeJoinTokenInvalid, "%v", err)
	case errors.Is(err, state.ErrDonorExists), errors.Is(err, state.ErrNodeTaken), errors.Is(err, state.ErrDonorHasNodes):
		return api.Errorf(api.CodeConflict, "%v", err)
	case errors.Is(err, state.ErrKeyRevoked):
		return api.Errorf(api.CodePermissionDenied, "%v", err)
	}
	return resultError(err)
}

// handleDonorChallenge answers GET /v1/donor/{name}/challenge?wallet=:
// the text to sign (management, or the donor's admin).
func (s *Server) handleDonorChallenge(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	name, err := donorName(r)
	if err != nil {
		return err
	}
	if !mayAdminDonor(tok, name) {
		return denied("donor %s: this needs a management token or donor %s's admin token", name, name)
	}
	wa, err := wallet.ParseAddress(r.URL.Query().Get("wallet"))
	if err != nil {
		return badRequest("%v", err)
	}
	now := s.now().UTC().Truncate(time.Second)
	writeJSON(w, http.StatusOK, api.DonorChallenge{Cluster: s.clusterName(), Donor: name, Wallet: wa, Issued: now,
		Message: wallet.Message(s.clusterName(), name, wa, now)})
	return nil
}

// handleDonorRegister is POST /v1/donors (management).
func (s *Server) handleDonorRegister(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	var req api.DonorRegisterRequest
	if err := readDonorBody(w, r, &req, false); err != nil {
		return err
	}
	if err := state.CheckDonorName(req.Name); err != nil {
		return badRequest("%v", err)
	}
	if err := state.CheckDonorAccounts(req.Accounts); err != nil {
		return badRequest("%v", err)
	}
	if s.cfg.Store.View().Donor(req.Name) != nil {
		return api.Errorf(api.CodeConflict, "donor %s: %v", req.Name, state.ErrDonorExists)
	}
	wa, proof, err := s.checkWalletProof(req.Name, req.Wallet, req.Signature, req.Issued)
	if err != nil {
		return err
	}
	res, idx, err := s.apply(r.Context(), state.CmdDonor, state.DonorCmd{Op: state.DonorRegister, Time: s.now().UTC(), Name: req.Name,
		Wallet: wa, WalletProof: proof, WalletIssued: req.Issued.UTC(), Accounts: req.Accounts, By: actor(tok)})
	if err != nil {
		return err
	}
	if res.Err == nil {
		s.log.Info("donor registered", "donor", req.Name, "wallet", wa, "by", tok.User)
	}
	return s.donorResult(w, req.Name, res, idx)
}

// handleDonorWallet is POST /v1/donor/{name}/wallet (management or the
// donor's admin): a new wallet proof.
func (s *Server) handleDonorWallet(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	name, err := donorName(r)
	if err != nil {
		return err
	}
	if !mayAdminDonor(tok, name) {
		return denied("donor %s's wallet: this needs a management token or donor %s's admin token", name, name)
	}
	var req api.DonorWalletRequest
	if err := readDonorBody(w, r, &req, false); err != nil {
		return err
	}
	if s.cfg.Store.View().Donor(name) == nil {
		return api.Errorf(api.CodeNotFound, "donor %s is not registered", name)
	}
	wa, proof, err := s.checkWalletProof(name, req.Wallet, req.Signature, req.Issued)
	if err != nil {
		return err
	}
	res, idx, err := s.apply(r.Context(), state.CmdDonor, state.DonorCmd{Op: state.DonorWallet, Time: s.now().UTC(), Name: name,
		Wallet: wa, WalletProof: proof, WalletIssued: req.Issued.UTC(), By: actor(tok)})
	if err != nil {
		return err
	}
	return s.donorResult(w, name, res, idx)
}

// handleDonorAccounts is POST /v1/donor/{name}/accounts (management).
func (s *Server) handleDonorAccounts(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	name, err := donorName(r)
	if err != nil {
		return err
	}
	var req api.DonorAccountsRequest
	if err := readDonorBody(w, r, &req, false); err != nil {
		return err
	}
	if err := state.CheckDonorAccounts(req.Accounts); err != nil {
		return badRequest("%v", err)
	}
	res, idx, err := s.apply(r.Context(), state.CmdDonor, state.DonorCmd{Op: state.DonorAccounts, Time: s.now().UTC(), Name: name,
		Accounts: req.Accounts, By: actor(tok)})
	if err != nil {
		return err
	}
	return s.donorResult(w, name, res, idx)
}

// handleDonorDelete is DELETE /v1/donor/{name} (management): refused
// while nodes are joined under it.
func (s *Server) handleDonorDelete(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	name, err := donorName(r)
	if err != nil {
		return err
	}
	res, idx, err := s.apply(r.Context(), state.CmdDonor, state.DonorCmd{Op: state.DonorDelete, Time: s.now().UTC(), Name: name, By: actor(tok)})
	if err != nil {
		return err
	}
	if res.Err != nil {
		return donorError(res.Err)
	}
	s.log.Info("donor deleted", "donor", name, "by", tok.User)
	setIndex(w, idx)
	writeJSON(w, http.StatusOK, api.WriteResponse{Index: idx})
	return nil
}

// handleDonors is GET /v1/donors: every donor for a management token, its
// own for a donor-admin token (others: 403).
func (s *Server) handleDonors(w http.ResponseWriter, _ *http.Request, tok *state.ACLToken) error {
	if !isManagement(tok) && tok.Type != state.TokenDonorAdmin {
		return denied("listing donors needs a management or a donor-admin token")
	}
	v := s.cfg.Store.View()
	out := api.DonorList{Donors: []api.Donor{}}
	for _, d := range v.Donors() {
		if mayAdminDonor(tok, d.Name) {
			out.Donors = append(out.Donors, wireDonor(v, d))
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleDonor is GET /v1/donor/{name} (management or the donor's admin).
func (s *Server) handleDonor(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	name, err := donorName(r)
	if err != nil {
		return err
	}
	if !mayAdminDonor(tok, name) {
		return denied("donor %s: this needs a management token or donor %s's admin token", name, name)
	}
	v := s.cfg.Store.View()
	d := v.Donor(name)
	if d == nil {
		return api.Errorf(api.CodeNotFound, "donor %s is not registered", name)
	}
	writeJSON(w, http.StatusOK, wireDonor(v, d))
	return nil
}

// handleJoinTokenCreate is POST /v1/donor/{name}/join-tokens (management
// or the donor's admin): a single-use join token; its secret is in this
// reply only.
func (s *Server) handleJoinTokenCreate(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	name, err := donorName(r)
	if err != nil {
		return err
	}
	if !mayAdminDonor(tok, name) {
		return denied("join tokens of donor %s: this needs a management token or donor %s's admin token", name, name)
	}
	var req api.JoinTokenRequest
	if err := readDonorBody(w, r, &req, true); err != nil {
		return err
	}
	ttl := api.DefaultJoinTokenTTL
	if req.TTL != "" {
		if ttl, err = time.ParseDuration(req.TTL); err != nil || ttl <= 0 || ttl > api.MaxJoinTokenTTL {
			return badRequest("ttl %.40q: want a duration over 0 and at most %v, e.g. \"1h\"", req.TTL, api.MaxJoinTokenTTL)
		}
	}
	if s.cfg.Store.View().Donor(name) == nil {
		return api.Errorf(api.CodeNotFound, "donor %s is not registered", name)
	}
	jt, secret := state.NewJoinToken(name, s.now(), ttl)
	res, idx, err := s.apply(r.Context(), state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinIssue, Time: jt.CreateTime, Token: &jt, By: actor(tok)})
	if err != nil {
		return err
	}
	if res.Err != nil {
		return donorError(res.Err)
	}
	s.log.Info("join token issued", "donor", name, "accessor", jt.Accessor, "expires", jt.Expires, "by", actor(tok).User)
	setIndex(w, idx)
	writeJSON(w, http.StatusOK, api.JoinTokenResponse{Accessor: jt.Accessor, Secret: secret, Donor: name, Expires: jt.Expires})
	return nil
}

// maxJoinSecret bounds a join secret ("hbj_" and 43 base64url characters).
const maxJoinSecret = 128

// handleNodeJoin is POST /v1/nodes/join: no ACL token, the join secret is
// the credential, and the node proves it holds the key it registers.
func (s *Server) handleNodeJoin(w http.ResponseWriter, r *http.Request) error {
	var req api.NodeJoinRequest
	if err := readDonorBody(w, r, &req, false); err != nil {
		return err
	}
	if req.Secret == "" || len(req.Secret) > maxJoinSecret || !strings.HasPrefix(req.Secret, state.JoinSecretPrefix) {
		return api.Errorf(api.CodeJoinTokenInvalid, "%v: want the %s... secret hpcbridge node join-token printed", state.ErrJoinTokenInvalid, state.JoinSecretPrefix)
	}
	if err := state.CheckNodeName(req.NodeName); err != nil {
		return badRequest("%v", err)
	}
	pub, err := receipt.DecodeKey(req.Key)
	if err != nil {
		return badRequest("node key: %v", err)
	}
	now := s.now()
	if d := now.Sub(req.Time); d > api.NodeRequestSkew || d < -api.NodeRequestSkew {
		return denied("join of %s: its time %s is %v from the coordinator's clock (at most %v): check the node's clock",
			req.NodeName, req.Time.UTC().Format(time.RFC3339), d.Round(time.Second), api.NodeRequestSkew)
	}
	hash := state.HashSecret(req.Secret)
	sig, err := base64.StdEncoding.DecodeString(req.Signature)
	if err != nil || !ed25519.Verify(pub, api.JoinMessage(hash, req.NodeName, req.Key, req.Time), sig) {
		return denied("join of %s: the signature does not verify with the node key it registers (proof of possession)", req.NodeName)
	}
	// Refuse what the state would refuse before asking Raft: a stranger's
	// guesses must not fill the log.
	v := s.cfg.Store.View()
	jt := v.JoinTokenBySecretHash(hash)
	if jt == nil {
		return api.Errorf(api.CodeJoinTokenInvalid, "%v", state.ErrJoinTokenInvalid)
	}
	if err := state.JoinTokenUsable(jt, now); err != nil {
		return donorError(err)
	}
	var join NomadJoin
	if s.cfg.Join != nil {
		if join, err = s.cfg.Join.NomadJoin(r.Context()); err != nil {
			return api.Errorf(api.CodeInternal, "where the Nomad servers are: %v", err)
		}
	}
	if len(join.Servers) == 0 {
		return api.Errorf(api.CodeInternal, "this coordinator knows no Nomad servers to hand a joining node (hpcbridge server --join-nomad-servers)")
	}
	res, _, err := s.apply(r.Context(), state.CmdJoinToken, state.JoinTokenCmd{Op: state.JoinRedeem, Time: now.UTC(), SecretHash: hash,
		NodeName: req.NodeName, Key: req.Key})
	if err != nil {
		return err
	}
	if res.Err != nil {
		if errors.Is(res.Err, state.ErrNodeTaken) {
			// The joiner is not told who holds the name or key; the
			// operator is.
			holders := []string{}
			for _, n := range v.DonorNodesNamed(req.NodeName) {
				holders = append(holders, n.Donor)
			}
			if n := v.DonorNode(req.Key); n != nil {
				holders = append(holders, n.Donor)
			}
			s.log.Info("join refused: node name or key held by another donor", "node", req.NodeName, "donor", jt.Donor, "held_by", holders)
		}
		return donorError(res.Err)
	}
	dn, _ := res.Value.(state.DonorNode)
	s.log.Info("node joined", "node", dn.NodeName, "donor", dn.Donor, "key", dn.Key, "token", jt.Accessor)
	writeJSON(w, http.StatusOK, api.NodeJoinResponse{Donor: dn.Donor, NodeName: dn.NodeName, NomadServers: join.Servers,
		Datacenter: join.Datacenter, Region: join.Region, Meta: map[string]string{api.MetaDonor: dn.Donor}})
	return nil
}

// maxNonce bounds a node-signed request's nonce.
const maxNonce = 64

// maxNoncesPerNode bounds the node-signed changes one node may make in
// 2*api.NodeRequestSkew (an agent leaves and rejoins a few times at most);
// maxNonceNodes bounds the nodes the leader keeps nonces of (each name
// is one a join recorded, whose key signed the request).
const (
	maxNoncesPerNode = 64
	maxNonceNodes    = 1 << 14
)

// nonceCache remembers the nonces of node-signed changes taken in the
// last 2*api.NodeRequestSkew (older requests are refused as stale), by
// node: one node signing fresh requests without end exhausts its own
// bound, not the other nodes'.
type nonceCache struct {
	mu   sync.Mutex
	seen map[string]map[string]time.Time // node name -> nonce -> when taken
}

// take records node's nonce at now, or refuses one seen before, or one
// over the node's bound.
func (c *nonceCache) take(node, nonce string, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]map[string]time.Time{}
	}
	stale := func(at time.Time) bool { return now.Sub(at) > 2*api.NodeRequestSkew }
	mine := c.seen[node]
	if _, ok := mine[nonce]; ok {
		return denied("this node-signed request was already taken (a replay): sign a new one")
	}
	if mine == nil {
		if len(c.seen) >= maxNonceNodes {
			for n, m := range c.seen {
				maps.DeleteFunc(m, func(_ string, at time.Time) bool { return stale(at) })
				if len(m) == 0 {
					delete(c.seen, n)
				}
			}
			if len(c.seen) >= maxNonceNodes {
				return api.Errorf(api.CodeNotLeader, "too many nodes made node-signed changes in the last %v; retry", 2*api.NodeRequestSkew)
			}
		}
		mine = map[string]time.Time{}
		c.seen[node] = mine
	}
	if len(mine) >= maxNoncesPerNode {
		maps.DeleteFunc(mine, func(_ string, at time.Time) bool { return stale(at) })
		if len(mine) >= maxNoncesPerNode {
			return denied("node %s made %d signed changes in the last %v, the most it may: retry later", node, len(mine), 2*api.NodeRequestSkew)
		}
	}
	mine[nonce] = now
	return nil
}

// size is how many nonces the cache holds.
func (c *nonceCache) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range c.seen {
		n += len(m)
	}
	return n
}

// maxNodeRequestKeys bounds the join records whose keys a node-signed
// request is checked against.
const maxNodeRequestKeys = 8

// nodeRequest is a request a node signed with its key (api.NodeSigner).
type nodeRequest struct {
	name string
	node *state.DonorNode
}

// checkNodeRequest verifies that r is signed by the key node {name}
// joined with (api.NodeRequestMessage): a key recorded by one of the
// joins of that name, not revoked, the time within api.NodeRequestSkew.
func (s *Server) checkNodeRequest(w http.ResponseWriter, r *http.Request) (*nodeRequest, error) {
	name := r.PathValue("name")
	if err := state.CheckNodeName(name); err != nil {
		return nil, badRequest("%v", err)
	}
	hn, ts, sig := r.Header.Get(api.HeaderRunNode), r.Header.Get(api.HeaderRunTime), r.Header.Get(api.HeaderRunSig)
	nonce := r.Header.Get(api.HeaderNodeNonce)
	if hn == "" || ts == "" || sig == "" || nonce == "" {
		return nil, api.Errorf(api.CodeUnauthenticated, "node %s: the request is not signed with the node's key (%s, %s, %s, %s)", name,
			api.HeaderRunNode, api.HeaderRunTime, api.HeaderNodeNonce, api.HeaderRunSig)
	}
	if len(nonce) > maxNonce {
		return nil, badRequest("%s is over %d bytes", api.HeaderNodeNonce, maxNonce)
	}
	if hn != name {
		return nil, denied("node %s: the request is signed as node %.64q", name, hn)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, badRequest("%s %.40q: want Unix seconds", api.HeaderRunTime, ts)
	}
	if d := s.now().Sub(time.Unix(unix, 0)); d > api.NodeRequestSkew || d < -api.NodeRequestSkew {
		return nil, denied("node %s: the request's time is %v from the coordinator's clock (at most %v)", name, d.Round(time.Second), api.NodeRequestSkew)
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(raw) != ed25519.SignatureSize {
		return nil, badRequest("%s: want a base64 ed25519 signature", api.HeaderRunSig)
	}
	r.Body = http.MaxBytesReader(w, r.Body, api.MaxDonorBodyBytes)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, api.Errorf(api.CodeTooLarge, "request body is over the %d byte limit", mbe.Limit)
		}
		return nil, badRequest("read the request body: %v", err)
	}
	h := sha256.Sum256(body)
	msg := api.NodeRequestMessage(r.Method, r.URL.RequestURI(), ts, name, nonce, hex.EncodeToString(h[:]))
	v := s.cfg.Store.View()
	var match *state.DonorNode
	// Only the newest few joins of the name are tried (a joined one
	// first): every join under one name with a new key leaves the one
	// before, and trying them all would let anyone make the leader check
	// thousands of signatures per request (a donor that joined one name
	// over and over).
	cands := v.DonorNodesNamed(name)
	slices.SortFunc(cands, func(a, b *state.DonorNode) int {
		if a.Left.IsZero() != b.Left.IsZero() {
			if a.Left.IsZero() {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.CreateIdx, a.CreateIdx)
	})
	for _, n := range cands[:min(len(cands), maxNodeRequestKeys)] {
		pub, err := receipt.DecodeKey(n.Key)
		if err != nil || !ed25519.Verify(pub, msg, raw) {
			continue
		}
		if match == nil || (n.Left.IsZero() && !match.Left.IsZero()) {
			match = n
		}
	}
	if match == nil {
		return nil, denied("node %s: the signature does not verify with a key the node joined with", name)
	}
	if k := v.NodeKey(match.Key); k != nil && !k.Revoked.IsZero() {
		return nil, denied("node %s: its key was revoked at %s", name, k.Revoked.Format(time.RFC3339))
	}
	// A change is taken once: a captured leave or rejoin replayed within
	// the skew is refused (the routes run on the leader, which keeps the
	// nonces it took; a new leader's cache starts empty).
	if r.Method != http.MethodGet {
		if err := s.nodeNonces.take(name, nonce, s.now()); err != nil {
			return nil, err
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return &nodeRequest{name: name, node: match}, nil
}

// nomadNodeOf finds the Nomad node id of a joined node: the Nomad node of
// that name whose current registered key is the one it joined with (""
// when there is none yet: its Nomad client never came up, or the
// KeyWatcher has not seen it).
func (s *Server) nomadNodeOf(ctx context.Context, v *state.View, n *state.DonorNode) string {
	if k := v.NodeKey(n.Key); k != nil && k.Current() {
		return k.NodeID
	}
	if s.cfg.Reclaim == nil {
		return ""
	}
	id, err := s.cfg.Reclaim.NodeID(ctx, n.NodeName)
	if err != nil {
		return ""
	}
	if k := v.CurrentNodeKey(id); k != nil && k.Key == n.Key {
		return id
	}
	return ""
}

// handleNodeLeave is POST /v1/node/{name}/leave, signed with the node's
// key (no ACL token): the node leaves its donor, and its reclaim begins
// (its jobs checkpoint and are requeued by the deadline). With Cancel,
// the leave is undone (the node's agent started again): the node is
// joined again, and the leader's reclaimer ends the reclaim its leave
// began and makes the node eligible again.
func (s *Server) handleNodeLeave(w http.ResponseWriter, r *http.Request) error {
	nr, err := s.checkNodeRequest(w, r)
	if err != nil {
		return err
	}
	var req api.NodeLeaveRequest
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	d, err := s.reclaimDeadline(req.Deadline)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	op := state.JoinLeave
	if req.Cancel {
		op = state.JoinRejoin
	}
	res, _, err := s.apply(r.Context(), state.CmdJoinToken, state.JoinTokenCmd{Op: op, Time: now, NodeName: nr.name, Key: nr.node.Key})
	if err != nil {
		return err
	}
	if res.Err != nil {
		return donorError(res.Err)
	}
	dn, _ := res.Value.(state.DonorNode)
	v := s.cfg.Store.View()
	id := s.nomadNodeOf(r.Context(), v, &dn)
	if req.Cancel {
		// The leader's reclaimer ends the leave's reclaim and makes the
		// node eligible again in Nomad once its jobs are gone
		// (nomadexec: state.IsLeaveReclaim, View.IsRejoined); a reclaim
		// someone else began stays.
		s.log.Info("node rejoined", "node", dn.NodeName, "donor", dn.Donor)
		return s.writeLeaveStatus(w, r, &dn, id)
	}
	if id == "" {
		// Nothing runs there: no Nomad node holds the key.
		s.log.Info("node left (no Nomad node holds its key)", "node", dn.NodeName, "donor", dn.Donor)
		writeJSON(w, http.StatusOK, api.Reclaim{Node: dn.NodeName})
		return nil
	}
	res, _, err = s.apply(r.Context(), state.CmdNodeReclaim, state.NodeReclaimCmd{Time: now, Op: state.ReclaimBegin, Node: dn.NodeName, NodeID: id,
		Deadline: now.Add(d), Source: state.ReclaimCommand, By: state.LeaveReclaimBy(dn.Donor)})
	if err != nil {
		return err
	}
	if res.Err != nil {
		return api.Errorf(codeOf(res.Err), "reclaim %s: %v", dn.NodeName, res.Err)
	}
	rc, _ := res.Value.(state.Reclaim)
	s.log.Info("node leaving", "node", dn.NodeName, "donor", dn.Donor, "deadline", rc.Deadline)
	writeJSON(w, http.StatusOK, wireReclaim(&rc))
	return nil
}

// handleNodeLeaveStatus is GET /v1/node/{name}/leave, signed with the
// node's key: the node's reclaim and how many hpcbridge jobs are still
// there.
func (s *Server) handleNodeLeaveStatus(w http.ResponseWriter, r *http.Request) error {
	nr, err := s.checkNodeRequest(w, r)
	if err != nil {
		return err
	}
	v := s.cfg.Store.View()
	return s.writeLeaveStatus(w, r, nr.node, s.nomadNodeOf(r.Context(), v, nr.node))
}

func (s *Server) writeLeaveStatus(w http.ResponseWriter, r *http.Request, dn *state.DonorNode, id string) error {
	v := s.cfg.Store.View()
	out := api.NodeLeaveStatus{Node: dn.NodeName, Donor: dn.Donor, Left: dn.Left}
	if rc := v.Reclaim(id); id != "" && rc != nil {
		wr := wireReclaim(rc)
		out.Reclaim = &wr
	}
	if s.cfg.Nodes != nil && id != "" {
		nodes, err := s.nodes(r.Context())
		if err != nil {
			return err
		}
		for _, n := range nodes {
			if n.Name == dn.NodeName {
				out.Jobs = n.Jobs
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// withDonors fills each node's donor: the donor whose join registered the
// key the node presents (never its Nomad meta).
func withDonors(v *state.View, nodes []api.Node) {
	for i := range nodes {
		nodes[i].Donor = v.DonorOfNode(nodes[i].Name)
	}
}
