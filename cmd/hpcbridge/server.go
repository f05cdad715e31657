package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/bridge/sched"
	hbraft "github.com/hpcbridge/hpcbridge/raft"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/urfave/cli/v2"
)

// serverOptions configure one coordinator server.
type serverOptions struct {
	dataDir       string
	bind          string // API listen address
	advertise     string // API URL others use
	raftBind      string
	raftAdvertise string
	nodeID        string
	bootstrap     bool
	join          string
	token         string
	partitions    []string
	tlsCert       string
	tlsKey        string
	tlsCA         string
	logLevel      string
	nomad         nomadOptions
}

// nomadOptions configure the Nomad execution backend.
type nomadOptions struct {
	addr, token, region, namespace string
	cluster                        string
	partitionMap                   []string
	maxQueued, maxRunning          int
	cpuMHz                         int
	defaultMemMiB                  int64
	killWait, outputRetention      time.Duration
}

func serverCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:  "server",
		Usage: "run a coordinator server (one member of a 1-, 3- or 5-node Raft cluster)",
		Description: "The first server of a new cluster starts with --bootstrap. Bootstrap the ACL system on it\n" +
			"(hpcbridge acl bootstrap), then start the others with --join ADDR (any member's API address)\n" +
			"and the management token in HPCBRIDGE_TOKEN. A restarted server needs neither flag.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "data-dir", Required: true, Usage: "directory for the Raft log, snapshots and the node id"},
			&cli.StringFlag{Name: "bind", Value: "127.0.0.1:4747", Usage: "API listen address"},
			&cli.StringFlag{Name: "advertise", Usage: "API URL the other servers use (default: from --bind)"},
			&cli.StringFlag{Name: "raft-bind", Value: "127.0.0.1:4748", Usage: "Raft listen address"},
			&cli.StringFlag{Name: "raft-advertise", Usage: "Raft address the other servers dial (default: --raft-bind)"},
			&cli.StringFlag{Name: "node-id", Usage: "server id (default: kept in the data dir, made on first start)"},
			&cli.BoolFlag{Name: "bootstrap", Usage: "start a new cluster with this server as its only voter"},
			&cli.StringFlag{Name: "join", Usage: "API address of a cluster member to join"},
			&cli.StringFlag{Name: "token", EnvVars: []string{api.EnvToken}, Usage: "management token for --join"},
			&cli.StringSliceFlag{Name: "partition", Value: cli.NewStringSlice("debug"), Usage: "partition names; the first is the default"},
			&cli.StringFlag{Name: "tls-cert", Usage: "PEM certificate for the API and Raft (enables TLS; Raft uses mutual TLS)"},
			&cli.StringFlag{Name: "tls-key", Usage: "PEM key for --tls-cert"},
			&cli.StringFlag{Name: "tls-ca", Usage: "PEM CA that signs every server's (and client's) certificate"},
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error"},
		}, nomadFlags()...),
		Action: func(c *cli.Context) error {
			opts := serverOptions{
				dataDir: c.String("data-dir"), bind: c.String("bind"), advertise: c.String("advertise"),
				raftBind: c.String("raft-bind"), raftAdvertise: c.String("raft-advertise"), nodeID: c.String("node-id"),
				bootstrap: c.Bool("bootstrap"), join: c.String("join"), token: c.String("token"),
				partitions: c.StringSlice("partition"), tlsCert: c.String("tls-cert"), tlsKey: c.String("tls-key"),
				tlsCA: c.String("tls-ca"), logLevel: c.String("log-level"), nomad: nomadOptionsOf(c),
			}
			ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := runServer(ctx, opts, s); err != nil {
				return &exitError{code: exitRejected, err: fmt.Errorf("server: %w", err)}
			}
			return nil
		},
	}
}

// runServer runs a coordinator server until ctx ends.
func runServer(ctx context.Context, o serverOptions, s streams) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(s.err, &slog.HandlerOptions{Level: level}))
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return err
	}
	id, err := nodeID(o.dataDir, o.nodeID)
	if err != nil {
		return err
	}
	serverTLS, clientTLS, err := loadServerTLS(o)
	if err != nil {
		return err
	}
	store := state.New()
	node, err := hbraft.New(hbraft.Config{
		ID: id, DataDir: filepath.Join(o.dataDir, "raft"), Bind: o.raftBind, Advertise: o.raftAdvertise,
		Bootstrap: o.bootstrap, TLS: raftTLS(serverTLS),
		Logger: hclog.New(&hclog.LoggerOptions{Name: "raft", Output: s.err, Level: hclog.LevelFromString(o.logLevel)}),
	}, store)
	if err != nil {
		return err
	}
	defer node.Shutdown()

	ln, err := net.Listen("tcp", o.bind)
	if err != nil {
		return err
	}
	scheme := "http"
	if serverTLS != nil {
		scheme = "https"
	}
	advertise := o.advertise
	if advertise == "" {
		advertise = scheme + "://" + ln.Addr().String()
	}
	exec, outputs, err := newExecutor(o, store, node, logger)
	if err != nil {
		return err
	}
	nodes, err := newNodeSource(o)
	if err != nil {
		return err
	}
	srv, err := apiserver.New(apiserver.Config{
		Raft: node, Store: store, NodeID: id, APIAddr: advertise,
		Partitions: o.partitions, Servers: serversOf(node, store),
		Signaller: signaller{exec: exec}, Outputs: outputs, Nodes: nodes, TLS: serverTLS, ForwardTLS: clientTLS, Logger: logger,
		Settings: slurmSettings(o),
	})
	if err != nil {
		return err
	}
	logger.Info("hpcbridge server", "id", id, "api", advertise, "raft", node.Addr(), "version", version)
	fmt.Fprintf(s.out, "hpcbridge server %s\n  API:  %s\n  Raft: %s\n", id, advertise, node.Addr())

	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ctx, ln) }()
	go lead(ctx, node, srv, store, exec, logger)
	if arch, ok := outputs.(*nomadexec.Outputs); ok {
		go arch.Mirror(ctx, store, logger) // every server keeps every job's output
	}
	if o.join != "" {
		if err := joinCluster(ctx, o.join, o.token, clientTLS, api.RaftJoinRequest{ID: id, RaftAddr: node.Addr(), APIAddr: advertise}, logger); err != nil {
			return err
		}
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
}

// lead runs the scheduler while this server leads.
func lead(ctx context.Context, node *hbraft.Node, srv *apiserver.Server, store *state.Store, exec sched.Executor, logger *slog.Logger) {
	stop := func() {}
	defer func() { stop() }()
	start := func() {
		lctx, cancel := context.WithCancel(ctx)
		stop = cancel
		go func() {
			if err := srv.EstablishLeadership(lctx); err != nil {
				logger.Warn("establish leadership", "err", err)
			}
			if l, ok := exec.(interface{ Lead(context.Context) }); ok {
				l.Lead(lctx)
			}
			s := sched.New(sched.Config{Store: store, Raft: node, Executor: exec, Logger: logger})
			if err := s.Run(lctx); err != nil && lctx.Err() == nil {
				logger.Error("scheduler stopped", "err", err)
			}
		}()
	}
	leading := node.IsLeader()
	if leading {
		start()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case l := <-node.LeaderCh():
			if l == leading {
				continue
			}
			leading = l
			logger.Info("leadership changed", "leader", l)
			if l {
				start()
			} else {
				stop()
				stop = func() {}
			}
		}
	}
}

// joinCluster asks a member to add this server, retrying until it works.
func joinCluster(ctx context.Context, addr, token string, tlsCfg *tls.Config, req api.RaftJoinRequest, logger *slog.Logger) error {
	client, err := api.NewClient(&api.Config{Address: addr, Token: token, TLSConfig: tlsCfg})
	if err != nil {
		return fmt.Errorf("--join: %w", err)
	}
	for delay := 200 * time.Millisecond; ; delay = min(2*delay, 5*time.Second) {
		err := client.RaftJoin(ctx, &req)
		if err == nil {
			logger.Info("joined the cluster", "via", addr)
			return nil
		}
		var ae *api.Error
		if errors.As(err, &ae) && (ae.Status == 401 || ae.Status == 403) {
			return fmt.Errorf("--join %s: %w (give a management token in %s)", addr, err, api.EnvToken)
		}
		logger.Warn("join failed; retrying", "via", addr, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

// nodeID returns the server's id: the flag, else the one kept in the data
// dir, else a new one (written there).
func nodeID(dataDir, flag string) (string, error) {
	path := filepath.Join(dataDir, "node-id")
	if b, err := os.ReadFile(path); err == nil {
		kept := strings.TrimSpace(string(b))
		if flag != "" && flag != kept {
			return "", fmt.Errorf("--node-id %q differs from %q kept in %s", flag, kept, path)
		}
		return kept, nil
	}
	id := flag
	if id == "" {
		host, _ := os.Hostname()
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		id = fmt.Sprintf("%s-%s", host, hex.EncodeToString(b[:]))
	}
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", err
	}
	return id, nil
}

// loadServerTLS builds the API server config and the client config used to
// reach other servers, from --tls-cert/--tls-key/--tls-ca.
func loadServerTLS(o serverOptions) (server, client *tls.Config, err error) {
	if o.tlsCert == "" && o.tlsKey == "" && o.tlsCA == "" {
		return nil, nil, nil
	}
	if o.tlsCert == "" || o.tlsKey == "" || o.tlsCA == "" {
		return nil, nil, errors.New("TLS needs --tls-cert, --tls-key and --tls-ca together")
	}
	cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
	if err != nil {
		return nil, nil, err
	}
	pem, err := os.ReadFile(o.tlsCA)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("--tls-ca %s: no certificate found", o.tlsCA)
	}
	server = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, RootCAs: pool,
		ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS12}
	client = &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12}
	return server, client, nil
}

// raftTLS is the mutual-TLS configuration for Raft traffic.
func raftTLS(server *tls.Config) *tls.Config {
	if server == nil {
		return nil
	}
	c := server.Clone()
	c.ClientAuth = tls.RequireAndVerifyClientCert
	return c
}

// serversOf lists the Raft configuration with each server's API URL.
func serversOf(node *hbraft.Node, store *state.Store) func() ([]api.RaftServer, error) {
	return func() ([]api.RaftServer, error) {
		list, err := node.Servers()
		if err != nil {
			return nil, err
		}
		v := store.View()
		out := make([]api.RaftServer, len(list))
		for i, sv := range list {
			out[i] = api.RaftServer{ID: sv.ID, Address: sv.Address, Voter: sv.Voter, Leader: sv.Leader,
				APIAddress: v.Meta(apiserver.APIAddrKey(sv.ID))}
		}
		return out, nil
	}
}

// signaller delivers scancel --signal through the executor on the leader.
type signaller struct {
	exec sched.Executor
}

func (g signaller) Signal(ctx context.Context, jobID uint64, sig string, scope sched.SignalScope) error {
	return g.exec.Signal(ctx, jobID, sig, scope)
}

// slurmSettings are the server's options under Slurm's names, for
// scontrol show config.
func slurmSettings(o serverOptions) map[string]string {
	return map[string]string{
		"ClusterName":   o.nomad.cluster,
		"KillWait":      fmt.Sprintf("%d sec", int(o.nomad.killWait.Seconds())),
		"DefMemPerNode": strconv.FormatInt(o.nomad.defaultMemMiB, 10),
	}
}
