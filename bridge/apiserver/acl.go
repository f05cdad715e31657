package apiserver

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// authed is a route that needs a token.
type authed func(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error

// auth resolves the request's token (401 unauthenticated without a valid
// one). A run token is refused (403): it acts only on the routes that say
// they take one (runAuth), never as its job's user; so is a donor-admin
// token (it acts only on donorAuth's routes).
func (s *Server) auth(h authed) handler {
	return s.donorAuth(func(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
		if tok.Type == state.TokenDonorAdmin {
			return denied("a donor-admin token (donor %s) may only manage its donor's nodes, join tokens and wallet and read its donor's view and receipts, not use %s %s",
				tok.Donor, r.Method, r.URL.Path)
		}
		return h(w, r, tok)
	})
}

// donorAuth is auth for the routes that also take a donor-admin token
// (state.TokenDonorAdmin): the handler must check what the token may
// reach (mayAdminDonor, donorOfNode). A run token is refused.
func (s *Server) donorAuth(h authed) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		tok, err := s.authenticate(r)
		if err != nil {
			return err
		}
		if tok.Type == state.TokenRun {
			return denied("a run token (job %d's node) may only move that job's files and checkpoints, not use %s %s", tok.JobID, r.Method, r.URL.Path)
		}
		return h(w, r, tok)
	}
}

// donorAdmin is donorAuth for routes only management and donor-admin
// tokens may use.
func (s *Server) donorAdmin(h authed) handler {
	return s.donorAuth(func(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
		if !isManagement(tok) && tok.Type != state.TokenDonorAdmin {
			return denied("this needs a management or a donor-admin token")
		}
		return h(w, r, tok)
	})
}

// mayAdminDonor reports whether tok administers donor name: a management
// token, or that donor's donor-admin token.
func mayAdminDonor(tok *state.ACLToken, name string) bool {
	return isManagement(tok) || (tok.Type == state.TokenDonorAdmin && tok.Donor != "" && tok.Donor == name)
}

// runAuth is auth for the routes that also take a run token (a node's,
// for one run of one job): the handler must check what the token may
// reach (runTokenJob). A run token whose run ended more than
// state.RunTokenGrace ago is refused, and so is one whose request is not
// signed by the node that runs the job (checkRunRequest, runsign.go),
// which the leader checks: other servers forward run tokens' requests.
func (s *Server) runAuth(h authed) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		tok, err := s.authenticate(r)
		if err != nil {
			return err
		}
		if !tok.Usable(s.now()) {
			return api.Errorf(api.CodeUnauthenticated, "run token of job %d run %d: the run ended at %s", tok.JobID, tok.Run, tok.Ended.Format(time.RFC3339))
		}
		if tok.Type == state.TokenDonorAdmin {
			return denied("a donor-admin token (donor %s) moves no job's files or checkpoints (%s %s)", tok.Donor, r.Method, r.URL.Path)
		}
		if tok.Type == state.TokenRun {
			if !s.cfg.Raft.IsLeader() {
				return s.forward(w, r)
			}
			if err := s.checkRunRequest(r.Context(), r, tok); err != nil {
				return err
			}
		}
		return h(w, r, tok)
	}
}

// management is auth for routes only management tokens may use.
func (s *Server) management(h authed) handler {
	return s.auth(func(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
		if !isManagement(tok) {
			return denied("this needs a management token")
		}
		return h(w, r, tok)
	})
}

func (s *Server) authenticate(r *http.Request) (*state.ACLToken, error) {
	secret := secretOf(r)
	if secret == "" {
		return nil, api.Errorf(api.CodeUnauthenticated, "no ACL token: set HPCBRIDGE_TOKEN, or put the token in the token file")
	}
	tok := s.cfg.Store.View().TokenBySecretHash(hashSecret(secret))
	if tok == nil {
		return nil, api.Errorf(api.CodeUnauthenticated, "ACL token not found")
	}
	return tok, nil
}

// secretOf reads the secret from X-Hpcbridge-Token or Authorization: Bearer.
func secretOf(r *http.Request) string {
	if t := strings.TrimSpace(r.Header.Get(api.HeaderToken)); t != "" {
		return t
	}
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(tok)
	}
	return ""
}

// hashSecret is how secrets are stored: hex SHA-256.
func hashSecret(secret string) string { return state.HashSecret(secret) }

func isManagement(tok *state.ACLToken) bool { return tok.Type == state.TokenManagement }

// actor is who a token acts as in state commands.
func actor(tok *state.ACLToken) state.Actor {
	a := state.Actor{User: tok.User, Management: isManagement(tok)}
	if tok.Type == state.TokenDonorAdmin {
		a.Donor = tok.Donor
		if a.User == "" {
			a.User = state.DonorAdminBy(tok.Donor)
		}
	}
	return a
}

// mayTouch reports whether tok may change or read the private parts of j.
// A run token never may (its routes check it with runTokenJob).
func mayTouch(tok *state.ACLToken, j *state.Job) bool {
	if tok.Type == state.TokenRun || tok.Type == state.TokenDonorAdmin {
		return false
	}
	return isManagement(tok) || (tok.User != "" && tok.User == j.User)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

var uuidRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
})

// nameRE is what user and account names may be (POSIX-like, 1-64 chars).
var nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,62}\$?$`) })

func checkName(what, v string) error {
	if !nameRE().MatchString(v) {
		return badRequest("invalid %s %q: use letters, digits, '_', '.', '-' (at most 64)", what, v)
	}
	return nil
}

func wireToken(t *state.ACLToken, secret string) *api.ACLToken {
	return &api.ACLToken{
		AccessorID:  t.AccessorID,
		SecretID:    secret,
		Name:        t.Name,
		Type:        t.Type,
		User:        t.User,
		Accounts:    t.Accounts,
		Donor:       t.Donor,
		CreateTime:  t.CreateTime,
		CreateIndex: t.CreateIdx,
	}
}

// handleBootstrap creates the first management token; it needs no token
// and works once.
func (s *Server) handleBootstrap(w http.ResponseWriter, r *http.Request) error {
	var req api.ACLBootstrapRequest
	if err := decodeBody(r, &req, true); err != nil {
		return err
	}
	if s.cfg.Store.View().Meta(state.MetaACLBootstrapped) != "" {
		return api.Errorf(api.CodeConflict, "%v", state.ErrBootstrapped)
	}
	secret := req.Secret
	if secret == "" {
		secret = newUUID()
	} else if !uuidRE().MatchString(secret) {
		return badRequest("the bootstrap secret must be a UUID")
	}
	user := req.User
	if user == "" {
		user = "root"
	}
	if err := checkName("user", user); err != nil {
		return err
	}
	tok := state.ACLToken{
		AccessorID: newUUID(),
		SecretHash: hashSecret(secret),
		Name:       "Bootstrap Token",
		Type:       state.TokenManagement,
		User:       user,
		CreateTime: s.now().UTC(),
	}
	return s.commitToken(w, r, state.CmdACLBootstrap, tok, secret)
}

func (s *Server) commitToken(w http.ResponseWriter, r *http.Request, ct state.CommandType, tok state.ACLToken, secret string) error {
	res, idx, err := s.apply(r.Context(), ct, state.ACLTokenCmd{Token: tok})
	if err != nil {
		return err
	}
	if res.Err != nil {
		return resultError(res.Err)
	}
	tok.CreateIdx = idx
	w.Header().Set(api.HeaderIndex, fmt.Sprint(idx))
	writeJSON(w, http.StatusOK, wireToken(&tok, secret))
	return nil
}

func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request, _ *state.ACLToken) error {
	var req api.ACLTokenRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	typ := req.Type
	if typ == "" {
		typ = state.TokenClient
	}
	switch typ {
	case state.TokenClient:
		if req.User == "" {
			return badRequest("a client token needs a user")
		}
	case state.TokenManagement:
	case state.TokenDonorAdmin:
		if err := state.CheckDonorName(req.Donor); err != nil {
			return badRequest("a donor-admin token needs its donor (--donor): %v", err)
		}
		if req.User != "" || len(req.Accounts) > 0 {
			return badRequest("a donor-admin token acts for its donor only: it takes no user or accounts")
		}
		if s.cfg.Store.View().Donor(req.Donor) == nil {
			return api.Errorf(api.CodeNotFound, "donor %s is not registered", req.Donor)
		}
	default:
		return badRequest("token type %q: want client, management or donor-admin", req.Type)
	}
	if req.Donor != "" && typ != state.TokenDonorAdmin {
		return badRequest("only a donor-admin token names a donor")
	}
	if req.User != "" {
		if err := checkName("user", req.User); err != nil {
			return err
		}
	}
	for _, a := range req.Accounts {
		if err := checkName("account", a); err != nil {
			return err
		}
	}
	if len(req.Name) > 256 {
		return badRequest("token name is over 256 bytes")
	}
	secret := newUUID()
	tok := state.ACLToken{
		AccessorID: newUUID(),
		SecretHash: hashSecret(secret),
		Name:       req.Name,
		Type:       typ,
		User:       req.User,
		Accounts:   req.Accounts,
		Donor:      req.Donor,
		CreateTime: s.now().UTC(),
	}
	return s.commitToken(w, r, state.CmdACLTokenCreate, tok, secret)
}

func (s *Server) handleTokenList(w http.ResponseWriter, _ *http.Request, _ *state.ACLToken) error {
	toks := s.cfg.Store.View().Tokens()
	out := make([]*api.ACLToken, 0, len(toks))
	for _, t := range toks {
		out = append(out, wireToken(t, ""))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleTokenSelf(w http.ResponseWriter, _ *http.Request, tok *state.ACLToken) error {
	writeJSON(w, http.StatusOK, wireToken(tok, ""))
	return nil
}

func (s *Server) handleTokenDelete(w http.ResponseWriter, r *http.Request, _ *state.ACLToken) error {
	id := r.PathValue("accessor")
	if s.cfg.Store.View().Token(id) == nil {
		return api.Errorf(api.CodeNotFound, "token %s not found", id)
	}
	res, idx, err := s.apply(r.Context(), state.CmdACLTokenDelete, state.ACLTokenDeleteCmd{AccessorID: id})
	if err != nil {
		return err
	}
	if res.Err != nil {
		return resultError(res.Err)
	}
	w.Header().Set(api.HeaderIndex, fmt.Sprint(idx))
	writeJSON(w, http.StatusOK, api.WriteResponse{Index: idx})
	return nil
}
