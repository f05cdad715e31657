package bridgetest

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Options configure Start. The zero value is a cluster with partitions
// "batch" (default) and "gpu".
type Options struct {
	// Partitions and DefaultPartition as in apiserver.Config.
	Partitions       []string
	DefaultPartition string
	// Now is the server's clock (time.Now when nil).
	Now func() time.Time
	// NoBootstrap leaves ACLs unbootstrapped.
	NoBootstrap bool
	// Nodes lists the nodes (sinfo, the GPU submit check); nil: none.
	Nodes apiserver.NodeSource
	// Reclaim finds the nodes hpcbridge node reclaim names; nil: none.
	Reclaim apiserver.NodeResolver
	// Join tells joining donor nodes where Nomad is; nil: joins refused.
	Join apiserver.JoinSource
	// Blobs and PartitionFiles as in apiserver.Config (staged files).
	Blobs          cas.Store
	PartitionFiles map[string]string
	// Observer and Logger as in apiserver.Config (checkpoint receipts).
	Observer apiserver.AllocObserver
	Logger   *slog.Logger
	// Priority as in apiserver.Config (sprio, sshare); nil: priority/basic.
	Priority *fairshare.Priorities
	// Rewards as in apiserver.Config (the chain, the epoch closer); nil:
	// rewards off.
	Rewards apiserver.RewardsBackend
}

// Server is a single-server API on a local port.
type Server struct {
	// URL is the API's address (http://127.0.0.1:port).
	URL string
	// Bridge is the API server.
	Bridge *apiserver.Server
	// Raft is the fake Raft node; Store its state.
	Raft  *Raft
	Store *state.Store
	// Signals records scancel --signal requests.
	Signals *Signaller
	// ManagementToken is the bootstrap token's secret ("" with NoBootstrap).
	ManagementToken string

	hs    *httptest.Server
	nodes *runNodes // runnode.go
}

// Start runs a server until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// New runs a server until Close; Start is New for tests.
func New(o Options) (*Server, error) {
	if o.Partitions == nil {
		o.Partitions = []string{"batch", "gpu"}
	}
	node := NewCluster().Add("server1", "127.0.0.1:4748")
	hs := httptest.NewUnstartedServer(nil)
	url := "http://" + hs.Listener.Addr().String()
	sig := &Signaller{}
	if r, ok := o.Rewards.(*Rewards); ok && r != nil && r.raft == nil {
		r.raft = node
		if r.Now == nil {
			r.Now = o.Now
		}
	}
	nodes := newRunNodes(o.Now, o.Observer)
	b, err := apiserver.New(apiserver.Config{
		Raft:             node,
		Store:            node.Store(),
		NodeID:           node.ID(),
		APIAddr:          url,
		Partitions:       o.Partitions,
		DefaultPartition: o.DefaultPartition,
		Servers:          node.Servers,
		Signaller:        sig,
		Now:              o.Now,
		Nodes:            o.Nodes,
		Reclaim:          o.Reclaim,
		Join:             o.Join,
		Blobs:            o.Blobs,
		PartitionFiles:   o.PartitionFiles,
		Observer:         nodes,
		Logger:           o.Logger,
		Priority:         o.Priority,
		Rewards:          o.Rewards,
	})
	if err != nil {
		hs.Close()
		return nil, fmt.Errorf("bridgetest: %w", err)
	}
	hs.Config.Handler = b.Handler()
	hs.Start()
	s := &Server{URL: url, Bridge: b, Raft: node, Store: node.Store(), Signals: sig, hs: hs, nodes: nodes}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.EstablishLeadership(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("bridgetest: %w", err)
	}
	if !o.NoBootstrap {
		c, err := api.NewClient(&api.Config{Address: url})
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("bridgetest: %w", err)
		}
		tok, err := c.ACLBootstrap(ctx, nil)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("bridgetest: bootstrap: %w", err)
		}
		s.ManagementToken = tok.SecretID
	}
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.hs.Close() }

// Client returns a client of the server that sends token; a run token
// RunToken minted is sent signed by the test node (RunSigner).
func (s *Server) Client(t testing.TB, token string) *api.Client {
	t.Helper()
	c, err := api.NewClient(&api.Config{Address: s.URL, Token: token, Signer: s.RunSigner(token)})
	if err != nil {
		t.Fatalf("bridgetest: %v", err)
	}
	return c
}

// Apply commits a command through the server's raft, as the leader's
// components commit theirs, and fails the test when it is not committed
// or the state refuses it. It is a fairsharetest.Apply.
func (s *Server) Apply(t testing.TB, ct state.CommandType, payload any) *state.Result {
	t.Helper()
	cmd, err := state.Encode(ct, payload)
	if err != nil {
		t.Fatalf("bridgetest: encode %s: %v", ct, err)
	}
	res, _, err := s.Raft.Apply(context.Background(), cmd)
	if err != nil {
		t.Fatalf("bridgetest: commit %s: %v", ct, err)
	}
	if res.Err != nil {
		t.Fatalf("bridgetest: %s refused: %v", ct, res.Err)
	}
	return res
}

// UserToken creates a client token for user (charging accounts) and
// returns its secret.
func (s *Server) UserToken(t testing.TB, user string, accounts ...string) string {
	t.Helper()
	tok, err := s.Client(t, s.ManagementToken).ACLCreateToken(context.Background(), &api.ACLTokenRequest{
		Name: user, User: user, Accounts: accounts,
	})
	if err != nil {
		t.Fatalf("bridgetest: create token for %s: %v", user, err)
	}
	return tok.SecretID
}

// RunToken commits a run token for the job's current run (it must be
// running), as the leader's executor mints one, places the run on the
// test node (runnode.go), and returns its secret.
func (s *Server) RunToken(t testing.TB, jobID uint64) string {
	t.Helper()
	j := s.Store.View().Job(jobID)
	if j == nil {
		t.Fatalf("bridgetest: run token: no job %d", jobID)
	}
	tok, secret := state.NewRunToken(j, time.Now())
	cmd, err := state.Encode(state.CmdRunToken, state.RunTokenCmd{Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := s.Raft.Apply(context.Background(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	if res.Err != nil {
		t.Fatalf("bridgetest: run token of job %d: %v", jobID, res.Err)
	}
	if err := s.placeRun(j, secret); err != nil {
		t.Fatalf("bridgetest: %v", err)
	}
	return secret
}
