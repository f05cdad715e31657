package apiserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/sched"
	hbraft "github.com/hpcbridge/hpcbridge/raft"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Raft is the consensus node the server commits through (raft.Node).
type Raft interface {
	// Apply commits a command built with state.Encode and returns the
	// store's result and the entry's index. Only the leader can apply;
	// other servers return an error (raft.ErrNotLeader).
	Apply(ctx context.Context, cmd []byte) (*state.Result, uint64, error)
	// IsLeader reports whether this server is the leader now.
	IsLeader() bool
	// Leader returns the leader's id and Raft address ("" when none).
	Leader() (id, raftAddr string)
	// WaitForIndex blocks until the local store has applied index idx.
	WaitForIndex(ctx context.Context, idx uint64) error
	// Barrier blocks until the local store has applied every entry
	// committed before the call. Leader only.
	Barrier(ctx context.Context) error
	// AddVoter adds a server (or changes its address). Leader only.
	AddVoter(ctx context.Context, id, addr string) error
	// RemoveServer removes a server. Leader only.
	RemoveServer(ctx context.Context, id string) error
}

// Signaller delivers signals to running jobs (scancel --signal); the
// scheduler implements it on the leader.
type Signaller interface {
	// Signal asks the executor to send sig, a name without the SIG prefix
	// such as "USR1" (or a number when it has no name), to the running job
	// jobID (an array task's own id).
	Signal(ctx context.Context, jobID uint64, sig string, scope sched.SignalScope) error
}

// MetaAPIAddrPrefix prefixes the replicated meta keys that hold each
// server's API URL, by Raft id.
const MetaAPIAddrPrefix = "api_addr/"

// APIAddrKey is the meta key of a server's API URL.
func APIAddrKey(id string) string { return MetaAPIAddrPrefix + id }

// forwardWait bounds how long a server that forwarded a write waits for
// its own store to catch up with it, so that its next read shows it.
const forwardWait = 5 * time.Second

// EstablishLeadership publishes this server's API URL in the replicated
// state, so that the other servers can forward writes to it, and makes the
// servers' blob peer secret when there is none (files.go). Call it each
// time this server becomes leader; it commits nothing when the URL is
// already there, or when Config.APIAddr is empty.
func (s *Server) EstablishLeadership(ctx context.Context) error {
	if err := s.publishAPIAddr(ctx); err != nil {
		return err
	}
	return s.ensurePeerSecret(ctx) // files.go
}

func (s *Server) publishAPIAddr(ctx context.Context) error {
	key := APIAddrKey(s.cfg.NodeID)
	if s.apiAddr == "" || s.cfg.Store.View().Meta(key) == s.apiAddr {
		return nil
	}
	if _, _, err := s.apply(ctx, state.CmdSetMeta, state.SetMetaCmd{Key: key, Value: s.apiAddr}); err != nil {
		return fmt.Errorf("apiserver: publish API address: %w", err)
	}
	return nil
}

// apply commits one command. Failures to commit are *api.Errors:
// not_leader when leadership was lost, internal otherwise.
func (s *Server) apply(ctx context.Context, t state.CommandType, payload any) (*state.Result, uint64, error) {
	cmd, err := state.Encode(t, payload)
	if err != nil {
		return nil, 0, fmt.Errorf("apiserver: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ApplyTimeout)
	defer cancel()
	res, idx, err := s.cfg.Raft.Apply(ctx, cmd)
	if err != nil {
		// Only a command refused before it reached the log is safe to
		// send again; after that its fate is unknown here.
		if errors.Is(err, hbraft.ErrNotLeader) {
			return nil, 0, notLeader("this server is not the leader (%v); nothing was committed: retry", err)
		}
		return nil, 0, api.Errorf(api.CodeOutcomeUnknown, "commit: %v (the change may or may not have been committed: check before retrying)", err)
	}
	if res == nil {
		res = &state.Result{}
	}
	return res, idx, nil
}

// leaderRoute serves writes on the leader and forwards them from others.
func (s *Server) leaderRoute(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if !s.cfg.Raft.IsLeader() {
			return s.forward(w, r)
		}
		return h(w, r)
	}
}

// readRoute serves reads locally; ?consistent reads on the leader after a
// barrier, forwarding them from other servers.
func (s *Server) readRoute(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		on, err := boolParam(r.URL.Query(), "consistent")
		if err != nil {
			return err
		}
		id, _ := s.cfg.Raft.Leader()
		w.Header().Set(api.HeaderKnownLeader, strconv.FormatBool(id != ""))
		if !on {
			return h(w, r)
		}
		if !s.cfg.Raft.IsLeader() {
			return s.forward(w, r)
		}
		if err := s.cfg.Raft.Barrier(r.Context()); err != nil {
			if !s.cfg.Raft.IsLeader() {
				return notLeader("lost leadership during a consistent read: %v", err)
			}
			return fmt.Errorf("barrier: %w", err)
		}
		return h(w, r)
	}
}

// forward proxies a request to the leader's API, token and all.
func (s *Server) forward(w http.ResponseWriter, r *http.Request) error {
	if by := r.Header.Get(api.HeaderForwardedBy); by != "" {
		return notLeader("request forwarded by %s reached %s, which is not the leader either; retry", by, s.cfg.NodeID)
	}
	id, _ := s.cfg.Raft.Leader()
	if id == "" {
		return notLeader("no cluster leader; retry when one is elected")
	}
	if id == s.cfg.NodeID {
		return notLeader("this server is changing leadership; retry")
	}
	addr := s.cfg.Store.View().Meta(APIAddrKey(id))
	if addr == "" {
		return notLeader("leader %s has not published its API address yet; retry", id)
	}
	target, err := url.Parse(addr)
	if err != nil {
		return fmt.Errorf("leader %s API address %q: %w", id, addr, err)
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
			pr.Out.Header.Set(api.HeaderForwardedBy, s.cfg.NodeID)
		},
		Transport: s.forwardRT,
		ModifyResponse: func(resp *http.Response) error {
			// Read-your-writes through this server: wait until the write
			// the leader acknowledged is applied here too.
			if idx, err := strconv.ParseUint(resp.Header.Get(api.HeaderIndex), 10, 64); err == nil && idx > 0 && r.Method != http.MethodGet {
				ctx, cancel := context.WithTimeout(r.Context(), forwardWait)
				defer cancel()
				_ = s.cfg.Raft.WaitForIndex(ctx, idx)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeError(w, err)
				return
			}
			s.log.Warn("forward to leader failed", "leader", id, "err", err)
			if api.Retryable(err) {
				writeError(w, notLeader("cannot reach leader %s at %s: %v", id, addr, err))
				return
			}
			writeError(w, api.Errorf(api.CodeOutcomeUnknown, "lost the leader %s at %s during the request: %v (the change may or may not have been committed: check before retrying)", id, addr, err))
		},
	}
	proxy.ServeHTTP(w, r)
	return nil
}
