package apiserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// DefaultPartitionName is the partition a cluster has when its
// configuration names none.
const DefaultPartitionName = "batch"

// DefaultMaxArraySize is the MaxArraySize the server parses scripts with:
// array indexes up to 1,000,000.
const DefaultMaxArraySize = 1000001

// Config configures a Server.
type Config struct {
	// Raft commits commands; Store is the state it applies them to.
	Raft  Raft
	Store *state.Store
	// NodeID is this server's Raft id.
	NodeID string
	// APIAddr is this server's advertised API URL (https://host:port); the
	// other servers forward writes to it while this one leads. Without a
	// scheme, http (https when TLS is set). Empty: not advertised.
	APIAddr string
	// Partitions are the partitions jobs may name; DefaultPartition (the
	// first when empty) is used when a job names none. Without partitions
	// the cluster has one, DefaultPartitionName.
	Partitions       []string
	DefaultPartition string
	// MaxArraySize bounds array indexes (DefaultMaxArraySize when 0).
	MaxArraySize int
	// Settings are more of the coordinator's settings under Slurm's names
	// (ClusterName, KillWait, ...), for GET /v1/config.
	Settings map[string]string
	// Servers lists the Raft configuration, for the peer routes; nil means
	// a single server, this one.
	Servers func() ([]api.RaftServer, error)
	// Signaller delivers scancel --signal to running jobs; nil rejects
	// signal requests.
	Signaller Signaller
	// Outputs serves job output (hpcbridge output); nil: none.
	Outputs OutputSource
	// Nodes lists the nodes that run jobs (sinfo); nil: none.
	Nodes NodeSource
	// Reclaim finds the nodes hpcbridge node reclaim names (nil: reclaims
	// are refused); ReclaimDeadline is a reclaim's default deadline
	// (api.DefaultReclaimDeadline when 0). reclaim.go.
	Reclaim         NodeResolver
	ReclaimDeadline time.Duration
	// Join tells joining donor nodes where the Nomad servers are
	// (donors.go); nil: joins are refused.
	Join JoinSource
	// Blobs is the store of staged files and checkpoints (files.go);
	// nil: none. PartitionFiles says which partitions are FilesStaged
	// (the others are FilesShared).
	Blobs          cas.Store
	PartitionFiles map[string]string
	// Observer reads a run's allocation from Nomad, for checkpoint
	// receipts (checkpoints.go); nil: receipts are refused.
	Observer AllocObserver
	// Priority is the scheduler's priority (fairshare.go: sprio, sshare);
	// nil: priority/basic.
	Priority *fairshare.Priorities
	// Rewards is the chain rewards are published on and the leader's
	// epoch closer (rewards.go); nil: rewards off (the ledger still
	// accrues; closes, resumes and the chain's RPC are refused).
	Rewards RewardsBackend
	// TLS, when set, makes Serve speak HTTPS with it (set ClientCAs and
	// ClientAuth for mutual TLS; see ServerTLS).
	TLS *tls.Config
	// ForwardTLS is the client configuration for forwarding requests to the
	// leader over https (CAs, and a client certificate under mutual TLS).
	ForwardTLS *tls.Config
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Logger receives access and error logs; secrets are never logged.
	Logger *slog.Logger
	// ApplyTimeout bounds one commit (30s when 0).
	ApplyTimeout time.Duration

	// HTTP limits of Serve; zero means the Default* value of each.
	// ReadHeaderTimeout bounds reading a request's headers, ReadTimeout
	// the whole request, body included, WriteTimeout the reply (from the
	// end of the request's headers; blocking queries get their wait on
	// top, output streams get it afresh for every write), IdleTimeout a
	// keep-alive connection between requests. MaxHeaderBytes bounds a
	// request's headers; request bodies have their own bounds
	// (api.MaxSubmitBodyBytes, api.MaxBodyBytes).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxHeaderBytes                                            int
	// MaxConnsPerIP bounds the connections one remote IP address may hold
	// open at once. Past it, a new connection takes the place of one of
	// the address's idle keep-alive connections, or is closed as Serve
	// accepts it when all are busy. Negative: no bound. Raise it where many
	// users connect through one address (a login node, NAT).
	MaxConnsPerIP int
}

// Server is the coordinator's HTTP API.
type Server struct {
	cfg        Config
	now        func() time.Time
	log        *slog.Logger
	apiAddr    string
	partitions map[string]bool
	defaultPar string
	mux        *http.ServeMux
	handler    http.Handler
	forwardRT  http.RoundTripper
	chunks     chunkCache    // files.go
	runAllocs  runAllocCache // runsign.go
	nodeNonces nonceCache    // donors.go
	trees      treeCache     // rewards.go
	accrued    accruedCache  // rewards.go
}

// New checks cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Raft == nil || cfg.Store == nil {
		return nil, errors.New("apiserver: Config needs Raft and Store")
	}
	if cfg.NodeID == "" {
		return nil, errors.New("apiserver: Config needs NodeID")
	}
	s := &Server{cfg: cfg, now: cfg.Now, log: cfg.Logger, partitions: map[string]bool{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.cfg.ApplyTimeout <= 0 {
		s.cfg.ApplyTimeout = 30 * time.Second
	}
	if s.cfg.MaxArraySize <= 0 {
		s.cfg.MaxArraySize = DefaultMaxArraySize
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&s.cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout}, {&s.cfg.ReadTimeout, DefaultReadTimeout},
		{&s.cfg.WriteTimeout, DefaultWriteTimeout}, {&s.cfg.IdleTimeout, DefaultIdleTimeout},
	} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if s.cfg.MaxHeaderBytes <= 0 {
		s.cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if s.cfg.MaxConnsPerIP == 0 {
		s.cfg.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	parts := cfg.Partitions
	if len(parts) == 0 {
		parts = []string{DefaultPartitionName}
	}
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, ", \t\n") {
			return nil, fmt.Errorf("apiserver: bad partition name %q", p)
		}
		s.partitions[p] = true
	}
	s.cfg.Partitions = parts
	s.defaultPar = cfg.DefaultPartition
	if s.defaultPar == "" {
		s.defaultPar = parts[0]
	}
	if !s.partitions[s.defaultPar] {
		return nil, fmt.Errorf("apiserver: default partition %q is not one of %v", s.defaultPar, parts)
	}
	if cfg.APIAddr != "" {
		addr, err := normaliseURL(cfg.APIAddr, cfg.TLS != nil)
		if err != nil {
			return nil, fmt.Errorf("apiserver: APIAddr: %w", err)
		}
		s.apiAddr = addr
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = cfg.ForwardTLS
	s.forwardRT = tr
	s.routes()
	return s, nil
}

// normaliseURL checks an API URL and gives it a scheme.
func normaliseURL(addr string, https bool) (string, error) {
	if !strings.Contains(addr, "://") {
		if https {
			addr = "https://" + addr
		} else {
			addr = "http://" + addr
		}
	}
	u, err := url.Parse(addr)
	if err != nil {
		return "", err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", fmt.Errorf("%q: want http[s]://host:port", addr)
	}
	u.Path = ""
	return u.String(), nil
}

// handler is a route that returns its error instead of writing it.
type handler func(w http.ResponseWriter, r *http.Request) error

// route kinds: where a request must be served.
const (
	local  = iota // any server
	read          // any server; the leader after a barrier with ?consistent
	leader        // the leader: others forward
	// the leader, others forward; a reply that lasts as long as a job
	// runs (see streaming), on both.
	leaderStream
)

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	for _, rt := range []struct {
		pattern string
		kind    int
		h       handler
	}{
		{"POST /v1/jobs", leader, s.auth(s.handleSubmit)},
		{"GET /v1/jobs", read, s.auth(s.handleJobs(false))},
		{"GET /v1/job/{ref}", read, s.auth(s.handleJob)},
		{"GET /v1/job/{ref}/output", leaderStream, s.auth(s.handleOutput)},
		{"POST /v1/jobs/cancel", leader, s.auth(s.handleCancel)},
		{"POST /v1/jobs/hold", leader, s.auth(s.handleHold(state.CmdJobHold))},
		{"POST /v1/jobs/release", leader, s.auth(s.handleHold(state.CmdJobRelease))},
		{"POST /v1/jobs/requeue", leader, s.auth(s.handleRequeue)},
		{"POST /v1/jobs/update", leader, s.auth(s.handleUpdate)},
		{"GET /v1/accounting", read, s.auth(s.handleJobs(true))},
		{"GET /v1/partitions", read, s.auth(s.handlePartitions)},
		// Staged files (files.go): a user's token or a run token; blobs
		// are the leader's store's.
		{"POST /v1/blobs/missing", leader, s.runAuth(s.handleBlobsMissing)},
		{"PUT /v1/blobs/{digest}", leader, s.runAuth(s.handleBlobPut)},
		{"GET /v1/job/{ref}/files", read, s.runAuth(s.handleJobFiles)},
		{"GET /v1/job/{ref}/blobs/{digest}", leader, s.runAuth(s.handleJobBlob)},
		{"POST /v1/job/{ref}/output", leader, s.runAuth(s.handleJobOutput)},
		{"GET /v1/peer/blobs/{ns}/{digest}", local, s.handlePeerBlob}, // files.go: servers' blob mirror
		// Checkpoints and receipts (checkpoints.go, receipts.go).
		{"POST /v1/job/{ref}/checkpoints", leader, s.runAuth(s.handleCheckpoint)},
		{"GET /v1/receipts", read, s.donorAuth(s.handleReceipts)}, // a donor-admin: its donor's nodes'
		{"GET /v1/nodes/keys", read, s.auth(s.handleNodeKeys)},
		{"GET /v1/donor/{name}/summary", read, s.donorAdmin(s.handleDonorSummary)}, // donorview.go: hpcbridge donor show
		{"POST /v1/node/{name}/key/revoke", leader, s.management(s.handleNodeKeyRevoke)},
		{"GET /v1/priorities", read, s.auth(s.handlePriorities)}, // fairshare.go: sprio
		{"GET /v1/shares", read, s.auth(s.handleShares)},         // fairshare.go: sshare
		{"GET /v1/config", local, s.auth(s.handleConfig)},
		{"GET /v1/nodes", local, s.auth(s.handleNodes)},
		{"GET /v1/node/{name}", local, s.auth(s.handleNode)},
		{"POST /v1/node/{name}/reclaim", leader, s.donorAdmin(s.handleReclaim)}, // a donor-admin: its donor's nodes
		{"DELETE /v1/node/{name}/reclaim", leader, s.donorAdmin(s.handleReclaimCancel)},
		// Donors, join tokens, joining and leaving nodes (donors.go).
		{"GET /v1/donors", read, s.donorAuth(s.handleDonors)},
		{"POST /v1/donors", leader, s.management(s.handleDonorRegister)},
		{"GET /v1/donor/{name}", read, s.donorAuth(s.handleDonor)},
		{"DELETE /v1/donor/{name}", leader, s.management(s.handleDonorDelete)},
		{"GET /v1/donor/{name}/challenge", local, s.donorAuth(s.handleDonorChallenge)},
		{"POST /v1/donor/{name}/wallet", leader, s.donorAuth(s.handleDonorWallet)},
		{"POST /v1/donor/{name}/accounts", leader, s.management(s.handleDonorAccounts)},
		{"POST /v1/donor/{name}/join-tokens", leader, s.donorAuth(s.handleJoinTokenCreate)},
		{"POST /v1/nodes/join", leader, s.handleNodeJoin},              // the join secret is the credential
		{"POST /v1/node/{name}/leave", leader, s.handleNodeLeave},      // signed by the node's key
		{"GET /v1/node/{name}/leave", leader, s.handleNodeLeaveStatus}, // signed by the node's key
		// Rewards (rewards.go): the ledger's epochs, proofs and rates.
		{"GET /v1/rewards", read, s.donorAuth(s.handleRewards)},
		{"POST /v1/rewards/close", leader, s.management(s.handleRewardsClose)},
		{"POST /v1/rewards/resume", leader, s.management(s.handleRewardsResume)},
		{"PUT /v1/rewards/rates", leader, s.management(s.handleRewardRates)},
		{"GET /v1/rewards/epochs/{n}/export", read, s.donorAuth(s.handleRewardsExport)},
		{"GET /v1/rewards/proof/{wallet}", read, s.donorAuth(s.handleRewardProof)},
		{"POST /v1/rewards/rpc", local, s.donorAuth(s.handleRewardsRPC)}, // the embedded chain's
		{"GET /v1/status/leader", local, s.handleStatusLeader},
		{"GET /v1/status/peers", local, s.handleStatusPeers},
		{"GET /v1/operator/raft/peers", local, s.management(s.handleRaftPeers)},
		{"POST /v1/operator/raft/peers", leader, s.management(s.handleRaftJoin)},
		{"DELETE /v1/operator/raft/peers", leader, s.management(s.handleRaftRemove)},
		{"POST /v1/acl/bootstrap", leader, s.handleBootstrap},
		{"POST /v1/acl/tokens", leader, s.management(s.handleTokenCreate)},
		{"GET /v1/acl/tokens", read, s.management(s.handleTokenList)},
		{"GET /v1/acl/token/self", read, s.donorAuth(s.handleTokenSelf)},
		{"DELETE /v1/acl/token/{accessor}", leader, s.management(s.handleTokenDelete)},
	} {
		h := rt.h
		switch rt.kind {
		case read:
			h = s.blocking(s.readRoute(h))
		case leader:
			h = s.leaderRoute(h)
		case leaderStream:
			h = s.streaming(s.leaderRoute(h))
		}
		s.mux.Handle(rt.pattern, s.errors(h))
	}
	s.handler = s.recoverer(s.accessLog(s.limitBody(http.HandlerFunc(s.dispatch))))
}

// Handler returns the API's http.Handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve serves the API on ln (with TLS when Config.TLS is set) until ctx
// ends, then shuts down: blocking queries are cut short, other requests
// get a few seconds to finish. It returns nil after a shutdown. The
// Config's HTTP limits apply: timeouts, header size, connections per
// remote address.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	var connState func(net.Conn, http.ConnState)
	if s.cfg.MaxConnsPerIP > 0 {
		pl := newPerIPListener(ln, s.cfg.MaxConnsPerIP, s.log)
		ln, connState = pl, pl.connState
	}
	srv := &http.Server{
		Handler:           s.handler,
		TLSConfig:         s.cfg.TLS,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ConnState:         connState,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() {
		if s.cfg.TLS != nil {
			errc <- srv.ServeTLS(ln, "", "")
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("apiserver: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("apiserver: shutdown: %w", err)
	}
	return nil
}

// dispatch routes a request, answering unknown routes and methods in JSON.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) == 0 {
		writeError(w, api.Errorf(api.CodeNotFound, "no API route %s", r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	e := badRequest("method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, strings.Join(allowed, ", "))
	e.Status = http.StatusMethodNotAllowed
	writeError(w, e)
}

// errors writes a handler's error.
func (s *Server) errors(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			e := asAPIError(err, api.CodeInternal)
			if e.Code == api.CodeInternal {
				s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			writeError(w, e)
		}
	})
}

// limitBody bounds request bodies: MaxSubmitBodyBytes for submits,
// MaxBodyBytes for the rest.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(api.MaxBodyBytes)
		switch {
		case r.URL.Path == "/v1/jobs":
			limit = api.MaxSubmitBodyBytes
		case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/v1/blobs/"):
			limit = api.MaxBlobBytes
		}
		if r.ContentLength > limit {
			writeError(w, api.Errorf(api.CodeTooLarge, "request body is %d bytes; the limit is %d", r.ContentLength, limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic in a handler into a 500 reply.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			writeError(w, api.Errorf(api.CodeInternal, "internal error"))
		}()
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (Flush).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog logs each request's method, path (never the query or
// headers, which may hold secrets), status and duration.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start))
	})
}
