package bridge

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sync/errgroup"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
	"github.com/hpcbridge/hpcbridge/bridge/rewards"
	hbraft "github.com/hpcbridge/hpcbridge/raft"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Config configures a coordinator server. DataDir is required; the other
// zero values mean what hpcbridge server's flags default to, where said.
type Config struct {
	// DataDir holds the Raft log and snapshots (raft/), the server's id
	// (node-id) and the output archive (outputs/).
	DataDir string
	// Bind is the API's listen address; Advertise the API URL the other
	// servers use (default: from the bound address).
	Bind, Advertise string
	// RaftBind is the Raft listen address; RaftAdvertise the address the
	// other servers dial (default: RaftBind).
	RaftBind, RaftAdvertise string
	// NodeID is the server's id (default: kept in DataDir, made on first
	// start).
	NodeID string
	// Bootstrap starts a new cluster with this server as its only voter.
	Bootstrap bool
	// Join is the API address of a member to join through, with Token, a
	// management token.
	Join, Token string
	// Partitions are the partition names; the first is the default.
	Partitions []string
	// TLSCert, TLSKey and TLSCA turn on HTTPS for the API and mutual TLS
	// for Raft (all three, or none).
	TLSCert, TLSKey, TLSCA string
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// Nomad is the execution backend (Addr empty: none).
	Nomad Nomad
	// BlobStore is the store of staged files and checkpoints, as
	// cas.Open reads it (default dir:DataDir/blobs).
	BlobStore string
	// Priority is how the scheduler orders pending jobs (nil:
	// fairshare.DefaultConfig, Slurm's priority/multifactor with
	// reciprocal fair share; docs/fairshare.md).
	Priority *fairshare.Config
	// Version is the release, for the start-up log line.
	Version string
	// Out receives the start-up banner, Log the logs (nil: discarded,
	// standard error).
	Out, Log io.Writer
	// LeaderTasks run in each leader term beside the built-in ones (the
	// API address, the executor, the scheduler).
	LeaderTasks []LeaderTask
	// Rewards publishes the ledger's epochs on a chain: the leader's
	// epoch closer and publisher, and the API's rewards routes
	// (bridge/rewards, docs/rewards.md). Nil: rewards off (the ledger
	// still accrues credit).
	Rewards *rewards.Config
}

// Coordinator is one coordinator server: the service `hpcbridge server`
// runs. Create it with New and run it with Run.
type Coordinator struct {
	cfg Config
}

// New returns a coordinator; Run checks the configuration.
func New(cfg Config) *Coordinator {
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "info"
	}
	return &Coordinator{cfg: cfg}
}

// Run runs the server until ctx ends or a part of it fails: the Raft node,
// the API server and the output mirror on every server, and, on each
// leadership gain, one leader term (see LeaderTask). It returns nil when
// ctx ended, once every task has returned and the Raft node is shut down.
func (c *Coordinator) Run(ctx context.Context) error {
	o := c.cfg
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.LogLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(o.Log, &slog.HandlerOptions{Level: level}))
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return err
	}
	id, err := nodeID(o.DataDir, o.NodeID)
	if err != nil {
		return err
	}
	serverTLS, clientTLS, err := loadTLS(o)
	if err != nil {
		return err
	}
	store := state.New()
	node, err := hbraft.New(hbraft.Config{
		ID: id, DataDir: filepath.Join(o.DataDir, "raft"), Bind: o.RaftBind, Advertise: o.RaftAdvertise,
		Bootstrap: o.Bootstrap, TLS: raftTLS(serverTLS),
		Logger: hclog.New(&hclog.LoggerOptions{Name: "raft", Output: o.Log, Level: hclog.LevelFromString(o.LogLevel)}),
	}, store)
	if err != nil {
		return err
	}
	defer node.Shutdown()

	ln, err := net.Listen("tcp", o.Bind)
	if err != nil {
		return err
	}
	served := false
	defer func() {
		if !served {
			ln.Close()
		}
	}()
	scheme := "http"
	if serverTLS != nil {
		scheme = "https"
	}
	advertise := o.Advertise
	if advertise == "" {
		advertise = scheme + "://" + ln.Addr().String()
	}
	b, err := newBackend(o, store, node, advertise, logger)
	if err != nil {
		return err
	}
	blobs, partFiles, err := openFiles(o)
	if err != nil {
		return err
	}
	prio, err := priorityOf(o)
	if err != nil {
		return err
	}
	var mirror *blobMirror // blobmirror.go: a store of this server's own
	if o.BlobStore == "" || strings.HasPrefix(o.BlobStore, "dir:") {
		mirror = newBlobMirror(blobs, store, id, serversOf(node, store), clientTLS, logger)
		blobs = mirror
	}
	acfg := apiserver.Config{
		Blobs: blobs, PartitionFiles: partFiles,
		Raft: node, Store: store, NodeID: id, APIAddr: advertise,
		Partitions: o.Partitions, Servers: serversOf(node, store),
		Signaller: b.exec, Nodes: b.nodes, TLS: serverTLS, ForwardTLS: clientTLS, Logger: logger,
		Settings: slurmSettings(o.Nomad), Priority: prio,
	}
	maps.Copy(acfg.Settings, prioritySettings(prio.Config()))
	if b.observer != nil {
		acfg.Observer = b.observer
	}
	if b.outputs != nil {
		acfg.Outputs = b.outputs
	}
	if b.join != nil {
		acfg.Join = b.join // donors.go: where joining nodes find Nomad
	}
	if r, ok := b.nodes.(apiserver.NodeResolver); ok {
		acfg.Reclaim, acfg.ReclaimDeadline = r, o.Nomad.ReclaimDeadline
	}
	var rw *rewards.Service
	if o.Rewards != nil {
		if rw, err = rewards.Open(ctx, *o.Rewards, rewards.Deps{Store: store, Raft: node, Logger: logger}); err != nil {
			return fmt.Errorf("rewards: %w", err)
		}
		defer rw.Shutdown() // after every task returned, before the Raft node shuts down
		acfg.Rewards = rw
	}
	srv, err := apiserver.New(acfg)
	if err != nil {
		return err
	}
	logger.Info("hpcbridge server", "id", id, "api", advertise, "raft", node.Addr(), "version", o.Version)
	fmt.Fprintf(o.Out, "hpcbridge server %s\n  API:  %s\n  Raft: %s\n", id, advertise, node.Addr())

	tasks := []LeaderTask{apiAddressTask{srv: srv, logger: logger}}
	if b.term != nil {
		tasks = append(tasks, b.term)
	}
	if b.keys != nil {
		tasks = append(tasks, b.keys)
	}
	tasks = append(tasks, schedulerTask{store: store, raft: node, exec: b.exec, prio: prio, logger: logger})
	if rw != nil {
		tasks = append(tasks, rewardsTask{rw.Closer()}, rewardsTask{rw.Publisher()})
	}
	tasks = append(tasks, o.LeaderTasks...)

	// The tasks every server runs; each returns when gctx ends.
	g, gctx := errgroup.WithContext(ctx)
	served = true
	g.Go(func() error { return srv.Serve(gctx, ln) })
	g.Go(func() error { lead(gctx, node, tasks, logger); return nil })
	if b.outputs != nil {
		g.Go(func() error { b.outputs.Mirror(gctx, store, logger); return nil }) // every server keeps every job's output
	}
	if mirror != nil {
		g.Go(func() error { mirror.Run(gctx); return nil }) // and every job's files
	}
	if o.Join != "" {
		g.Go(func() error {
			return joinCluster(gctx, o.Join, o.Token, clientTLS, api.RaftJoinRequest{ID: id, RaftAddr: node.Addr(), APIAddr: advertise}, logger)
		})
	}
	err = g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	if err == nil {
		err = errors.New("stopped")
	}
	return err
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
