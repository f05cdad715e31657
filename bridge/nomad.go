package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/archive"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/bridge/sched"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	hbraft "github.com/hpcbridge/hpcbridge/raft"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Nomad configures the Nomad execution backend; the zero values of the
// numbers are nomadexec's defaults.
type Nomad struct {
	// Addr is the Nomad API address (empty: no backend; jobs wait with
	// reason Resources). Token, Region and Namespace are Nomad's.
	Addr, Token, Region, Namespace string
	// Cluster is the Slurm cluster name jobs see (SLURM_CLUSTER_NAME).
	Cluster string
	// PartitionMap holds --partition-map values:
	// PARTITION=pool:NAME;dc:DC1,DC2;files:staged;meta.KEY=VALUE;attr.KEY=VALUE.
	PartitionMap []string
	// MaxQueued and MaxRunning bound the jobs registered with Nomad
	// (nomadexec.Config).
	MaxQueued, MaxRunning int
	// CPUMHz is the Nomad CPU reserved per Slurm CPU; DefaultMemMiB the
	// memory of a job that asks for none.
	CPUMHz        int
	DefaultMemMiB int64
	// KillWait is Slurm's KillWait; OutputRetention how long archived
	// output is kept (0: for ever).
	KillWait, OutputRetention time.Duration
	// ConfigureTimeout bounds a multi-node run's CONFIGURING
	// (nomadexec.Config).
	ConfigureTimeout time.Duration
	// ReclaimDeadline is how long a reclaimed node's jobs have to
	// checkpoint and end when the reclaim names no deadline
	// (nomadexec.ReclaimConfig).
	ReclaimDeadline time.Duration
	// JoinServers (host:port RPC addresses), JoinDatacenter and
	// JoinRegion are what joining donor nodes are told (POST
	// /v1/nodes/join); each one empty is asked of the Nomad agent at Addr
	// (the servers' Raft peers, the agent's datacenter and region).
	JoinServers                []string
	JoinDatacenter, JoinRegion string
}

// backend is the execution backend a coordinator runs jobs on.
type backend struct {
	exec sched.Executor
	// term is the executor's work in a leader term (nil: none).
	term LeaderTask
	// outputs is the output archive (nil: none).
	outputs *archive.Outputs
	// nodes lists the nodes for sinfo (nil: none).
	nodes apiserver.NodeSource
	// keys registers the nodes' receipt keys (nil: none).
	keys LeaderTask
	// observer reads allocations for checkpoint receipts (nil: none).
	observer apiserver.AllocObserver
	// join tells joining donor nodes where Nomad is (nil: joins refused).
	join apiserver.JoinSource
}

// newBackend builds the execution backend: Nomad when Nomad.Addr is set,
// else none (jobs wait with reason Resources).
func newBackend(o Config, store *state.Store, node *hbraft.Node, advertise string, logger *slog.Logger) (backend, error) {
	n := o.Nomad
	if n.Addr == "" {
		logger.Warn("no execution backend (--nomad-addr): jobs are queued but never run")
		return backend{exec: sched.NoBackend{}}, nil
	}
	client, err := nomadClient(n)
	if err != nil {
		return backend{}, err
	}
	parts, err := parsePartitionMap(n.PartitionMap)
	if err != nil {
		return backend{}, err
	}
	outputs := &archive.Outputs{Dir: filepath.Join(o.DataDir, "outputs"), Client: client, Retention: n.OutputRetention}
	nodes, err := newNodeSource(o, parts)
	if err != nil {
		return backend{}, err
	}
	exec := nomadexec.New(nomadexec.Config{
		Client: client, Store: store, Raft: node, Checkpoints: eventIndex{raft: node}, Steps: stepLog{raft: node},
		Translation: nomadexec.Translation{
			ClusterName: n.Cluster, Partitions: parts, Namespace: n.Namespace, Region: n.Region,
			MHzPerCPU: n.CPUMHz, DefaultMemMiB: n.DefaultMemMiB, KillTimeout: n.KillWait,
		},
		MaxQueued: n.MaxQueued, MaxRunning: n.MaxRunning, Outputs: outputs, Logger: logger,
		Nodes:            nodes, // GPU jobs start when a node has their GPUs free
		ConfigureTimeout: n.ConfigureTimeout,
		Reclaim:          nomadexec.ReclaimConfig{Raft: node, Deadline: n.ReclaimDeadline},
		RunTokens:        runTokens{raft: node},
		Coordinator:      coordinatorURLs(advertise, serversOf(node, store)),
	})
	keys := keyTask{&nomadexec.KeyWatcher{Client: client, Store: store, Raft: node, Logger: logger}}
	return backend{exec: exec, term: executorTask{exec}, outputs: outputs, nodes: nodes, keys: keys, observer: exec,
		join: nomadJoin{client: client, n: n}}, nil
}

// nomadJoin tells joining donor nodes where the Nomad servers are: the
// --join-* flags, else what the Nomad agent at --nomad-addr says.
type nomadJoin struct {
	client *nomadapi.Client
	n      Nomad
}

// NomadJoin is apiserver.JoinSource.
func (j nomadJoin) NomadJoin(context.Context) (apiserver.NomadJoin, error) {
	out := apiserver.NomadJoin{Servers: j.n.JoinServers, Datacenter: j.n.JoinDatacenter, Region: j.n.JoinRegion}
	if len(out.Servers) == 0 {
		peers, err := j.client.Status().Peers()
		if err != nil {
			return out, fmt.Errorf("ask Nomad for its servers (or set --join-nomad-servers): %w", err)
		}
		out.Servers = peers
	}
	if out.Datacenter == "" || out.Region == "" {
		self, err := j.client.Agent().Self()
		if err != nil {
			return out, fmt.Errorf("ask the Nomad agent for its datacenter and region (or set --join-datacenter, --join-region): %w", err)
		}
		if out.Datacenter == "" {
			out.Datacenter, _ = self.Config["Datacenter"].(string)
		}
		if out.Region == "" {
			out.Region, _ = self.Config["Region"].(string)
		}
	}
	return out, nil
}

func nomadClient(n Nomad) (*nomadapi.Client, error) {
	cfg := nomadapi.DefaultConfig()
	cfg.Address, cfg.SecretID, cfg.Region, cfg.Namespace = n.Addr, n.Token, n.Region, n.Namespace
	client, err := nomadapi.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("--nomad-addr: %w", err)
	}
	return client, nil
}

// newNodeSource is where sinfo's nodes come from: the Nomad clients of
// --nomad-addr with the hpcbridge driver (through a client of its own),
// placed by the parsed --partition-map.
func newNodeSource(o Config, placement map[string]nomadexec.Partition) (*nomadexec.Nodes, error) {
	n := o.Nomad
	client, err := nomadClient(n)
	if err != nil {
		return nil, err
	}
	var parts []string
	for _, p := range o.Partitions {
		if !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		parts = []string{apiserver.DefaultPartitionName}
	}
	return &nomadexec.Nodes{Client: client, Partitions: parts, Placement: placement, MHzPerCPU: n.CPUMHz}, nil
}

// parsePartitionMap reads --partition-map values:
// PARTITION=pool:NAME;dc:DC1,DC2;files:staged;meta.KEY=VALUE;attr.KEY=VALUE.
func parsePartitionMap(values []string) (map[string]nomadexec.Partition, error) {
	out := map[string]nomadexec.Partition{}
	for _, v := range values {
		name, rest, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("--partition-map %q: want PARTITION=pool:NAME;dc:DC;meta.KEY=VALUE", v)
		}
		var p nomadexec.Partition
		for _, item := range strings.Split(rest, ";") {
			item = strings.TrimSpace(item)
			switch {
			case item == "":
			case strings.HasPrefix(item, "pool:"):
				p.NodePool = strings.TrimPrefix(item, "pool:")
			case strings.HasPrefix(item, "dc:"):
				p.Datacenters = strings.Split(strings.TrimPrefix(item, "dc:"), ",")
			case strings.HasPrefix(item, "files:"):
				switch mode := strings.TrimPrefix(item, "files:"); mode {
				case apiserver.FilesStaged, apiserver.FilesShared:
					p.Staged = mode == apiserver.FilesStaged
				default:
					return nil, fmt.Errorf("--partition-map %q: files:%s: want files:staged or files:shared", v, mode)
				}
			case strings.HasPrefix(item, "meta.") || strings.HasPrefix(item, "attr."):
				k, val, ok := strings.Cut(item, "=")
				if !ok {
					return nil, fmt.Errorf("--partition-map %q: %q needs =VALUE", v, item)
				}
				p.Constraints = append(p.Constraints, &nomadapi.Constraint{LTarget: "${" + k + "}", Operand: "=", RTarget: val})
			default:
				return nil, fmt.Errorf("--partition-map %q: unknown item %q (want pool:, dc:, files:, meta.KEY=VALUE or attr.KEY=VALUE)", v, item)
			}
		}
		out[name] = p
	}
	return out, nil
}

// slurmSettings are the server's options under Slurm's names, for
// scontrol show config.
func slurmSettings(n Nomad) map[string]string {
	return map[string]string{
		"ClusterName":   n.Cluster,
		"KillWait":      fmt.Sprintf("%d sec", int(n.KillWait.Seconds())),
		"DefMemPerNode": strconv.FormatInt(n.DefaultMemMiB, 10),
	}
}

// eventIndex commits the Nomad executor's event index through Raft
// (nomadexec.Checkpoints).
type eventIndex struct {
	raft sched.Applier
}

func (c eventIndex) SaveEventIndex(ctx context.Context, index uint64) error {
	cmd, err := state.Encode(state.CmdSetMeta, state.SetMetaCmd{Key: nomadexec.MetaEventIndex, Value: strconv.FormatUint(index, 10)})
	if err != nil {
		return err
	}
	_, _, err = c.raft.Apply(ctx, cmd)
	return err
}

// stepLog commits the srun steps the Nomad executor reads from the task
// driver's events (nomadexec.StepRecorder).
type stepLog struct {
	raft sched.Applier
}

func (c stepLog) RecordSteps(ctx context.Context, jobID uint64, steps []state.Step) error {
	cmd, err := state.Encode(state.CmdJobSteps, state.JobStepsCmd{JobID: jobID, Steps: steps})
	if err != nil {
		return err
	}
	res, _, err := c.raft.Apply(ctx, cmd)
	if err == nil && res != nil && res.Err != nil {
		err = res.Err
	}
	return err
}

// runTokens mints run tokens through Raft (nomadexec.RunTokens).
type runTokens struct {
	raft sched.Applier
}

func (r runTokens) MintRunToken(ctx context.Context, j *state.Job) (string, error) {
	tok, secret := state.NewRunToken(j, time.Now())
	cmd, err := state.Encode(state.CmdRunToken, state.RunTokenCmd{Token: tok})
	if err != nil {
		return "", err
	}
	res, _, err := r.raft.Apply(ctx, cmd)
	if err == nil && res != nil && res.Err != nil {
		err = res.Err
	}
	return secret, err
}

// coordinatorURLs are the API URLs a run's node talks to: this server's
// (the leader's, when it renders runs), then the other servers'.
func coordinatorURLs(advertise string, servers func() ([]api.RaftServer, error)) func() string {
	return func() string {
		var others []string
		if list, err := servers(); err == nil {
			for _, s := range list {
				others = append(others, s.APIAddress)
			}
		}
		return nomadexec.JoinURLs(advertise, others)
	}
}

// openFiles opens the blob store (--blob-store, default dir:DATA_DIR/blobs)
// and reads which partitions are staged (--partition-map files:staged).
func openFiles(o Config) (cas.Store, map[string]string, error) {
	spec := o.BlobStore
	if spec == "" {
		spec = "dir:" + filepath.Join(o.DataDir, "blobs")
	}
	store, err := cas.Open(spec)
	if err != nil {
		return nil, nil, fmt.Errorf("--blob-store: %w", err)
	}
	parts, err := parsePartitionMap(o.Nomad.PartitionMap)
	if err != nil {
		return nil, nil, err
	}
	files := map[string]string{}
	for name, p := range parts {
		if p.Staged {
			files[name] = apiserver.FilesStaged
		}
	}
	return store, files, nil
}
