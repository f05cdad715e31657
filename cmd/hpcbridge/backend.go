package main

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/bridge/sched"
	hbraft "github.com/hpcbridge/hpcbridge/raft"
	"github.com/hpcbridge/hpcbridge/raft/state"
	"github.com/urfave/cli/v2"
)

func nomadFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "nomad-addr", EnvVars: []string{"NOMAD_ADDR"}, Usage: "Nomad API address that runs the jobs (empty: no execution backend; jobs wait with reason Resources)"},
		&cli.StringFlag{Name: "nomad-token", EnvVars: []string{"NOMAD_TOKEN"}, Usage: "Nomad ACL token"},
		&cli.StringFlag{Name: "nomad-region", EnvVars: []string{"NOMAD_REGION"}, Usage: "Nomad region of the jobs"},
		&cli.StringFlag{Name: "nomad-namespace", EnvVars: []string{"NOMAD_NAMESPACE"}, Usage: "Nomad namespace of the jobs"},
		&cli.StringFlag{Name: "cluster-name", Value: "hpcbridge", Usage: "the Slurm cluster name jobs see (SLURM_CLUSTER_NAME)"},
		&cli.StringSliceFlag{Name: "partition-map", Usage: "PARTITION=pool:NAME;dc:DC1,DC2;meta.KEY=VALUE: where a partition's jobs run in Nomad (repeatable)"},
		&cli.IntFlag{Name: "nomad-max-queued", Value: 32, Usage: "jobs registered with Nomad and not yet running, at most"},
		&cli.IntFlag{Name: "nomad-max-running", Usage: "jobs on Nomad at once, at most (0: no bound)"},
		&cli.IntFlag{Name: "nomad-cpu-mhz", Value: 100, Usage: "Nomad CPU (MHz) reserved per Slurm CPU"},
		&cli.Int64Flag{Name: "default-mem", Value: 512, Usage: "MiB of memory for jobs that ask for none"},
		&cli.DurationFlag{Name: "kill-wait", Value: 30 * time.Second, Usage: "Slurm's KillWait: SIGTERM, then SIGKILL after this"},
		&cli.DurationFlag{Name: "output-retention", Value: nomadexec.DefaultRetention, Usage: "how long after a job ends the coordinator keeps its archived output (0: forever)"},
	}
}

func nomadOptionsOf(c *cli.Context) nomadOptions {
	return nomadOptions{
		addr: c.String("nomad-addr"), token: c.String("nomad-token"), region: c.String("nomad-region"),
		namespace: c.String("nomad-namespace"), cluster: c.String("cluster-name"), partitionMap: c.StringSlice("partition-map"),
		maxQueued: c.Int("nomad-max-queued"), maxRunning: c.Int("nomad-max-running"), cpuMHz: c.Int("nomad-cpu-mhz"),
		defaultMemMiB: c.Int64("default-mem"), killWait: c.Duration("kill-wait"), outputRetention: c.Duration("output-retention"),
	}
}

// newExecutor builds the execution backend: Nomad when --nomad-addr is set,
// else none (jobs wait with reason Resources).
func newExecutor(o serverOptions, store *state.Store, node *hbraft.Node, logger *slog.Logger) (sched.Executor, apiserver.OutputSource, error) {
	n := o.nomad
	if n.addr == "" {
		logger.Warn("no execution backend (--nomad-addr): jobs are queued but never run")
		return sched.NoBackend{}, nil, nil
	}
	cfg := nomadapi.DefaultConfig()
	cfg.Address, cfg.SecretID, cfg.Region, cfg.Namespace = n.addr, n.token, n.region, n.namespace
	client, err := nomadapi.NewClient(cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("--nomad-addr: %w", err)
	}
	parts, err := parsePartitionMap(n.partitionMap)
	if err != nil {
		return nil, nil, err
	}
	outputs := &nomadexec.Outputs{Dir: filepath.Join(o.dataDir, "outputs"), Client: client, Retention: n.outputRetention}
	exec := nomadexec.New(nomadexec.Config{
		Client: client, Store: store, Raft: node,
		Translation: nomadexec.Translation{
			ClusterName: n.cluster, Partitions: parts, Namespace: n.namespace, Region: n.region,
			MHzPerCPU: n.cpuMHz, DefaultMemMiB: n.defaultMemMiB, KillTimeout: n.killWait,
		},
		MaxQueued: n.maxQueued, MaxRunning: n.maxRunning, Outputs: outputs, Logger: logger,
	})
	return exec, outputs, nil
}

// parsePartitionMap reads --partition-map values:
// PARTITION=pool:NAME;dc:DC1,DC2;meta.KEY=VALUE;attr.KEY=VALUE.
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
			case strings.HasPrefix(item, "meta.") || strings.HasPrefix(item, "attr."):
				k, val, ok := strings.Cut(item, "=")
				if !ok {
					return nil, fmt.Errorf("--partition-map %q: %q needs =VALUE", v, item)
				}
				p.Constraints = append(p.Constraints, &nomadapi.Constraint{LTarget: "${" + k + "}", Operand: "=", RTarget: val})
			default:
				return nil, fmt.Errorf("--partition-map %q: unknown item %q (want pool:, dc:, meta.KEY=VALUE or attr.KEY=VALUE)", v, item)
			}
		}
		out[name] = p
	}
	return out, nil
}
