package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/hpcbridge/hpcbridge/bridge"
	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/archive"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
)

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
			&cli.StringFlag{Name: "blob-store", Usage: "the store of staged files and checkpoints: dir:PATH or s3://ACCESS:SECRET@HOST:PORT/BUCKET[/PREFIX][?tls=false]", DefaultText: "dir:DATA_DIR/blobs"},
		}, append(append(nomadFlags(), priorityFlags()...), rewardsFlags()...)...),
		Action: func(c *cli.Context) error {
			cfg := bridge.Config{
				DataDir: c.String("data-dir"), Bind: c.String("bind"), Advertise: c.String("advertise"),
				RaftBind: c.String("raft-bind"), RaftAdvertise: c.String("raft-advertise"), NodeID: c.String("node-id"),
				Bootstrap: c.Bool("bootstrap"), Join: c.String("join"), Token: c.String("token"),
				Partitions: c.StringSlice("partition"), TLSCert: c.String("tls-cert"), TLSKey: c.String("tls-key"),
				TLSCA: c.String("tls-ca"), LogLevel: c.String("log-level"), Nomad: nomadOf(c), BlobStore: c.String("blob-store"),
				Version: version, Out: s.out, Log: s.err,
			}
			prio, err := priorityConfigOf(c)
			if err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("server: %w", err)}
			}
			cfg.Priority = prio
			if cfg.Rewards, err = rewardsConfigOf(c, c.String("data-dir")); err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("server: %w", err)}
			}
			ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := bridge.New(cfg).Run(ctx); err != nil {
				return &exitError{code: exitRejected, err: fmt.Errorf("server: %w", err)}
			}
			return nil
		},
	}
}

func nomadFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "nomad-addr", EnvVars: []string{"NOMAD_ADDR"}, Usage: "Nomad API address that runs the jobs (empty: no execution backend; jobs wait with reason Resources)"},
		&cli.StringFlag{Name: "nomad-token", EnvVars: []string{"NOMAD_TOKEN"}, Usage: "Nomad ACL token"},
		&cli.StringFlag{Name: "nomad-region", EnvVars: []string{"NOMAD_REGION"}, Usage: "Nomad region of the jobs"},
		&cli.StringFlag{Name: "nomad-namespace", EnvVars: []string{"NOMAD_NAMESPACE"}, Usage: "Nomad namespace of the jobs"},
		&cli.StringFlag{Name: "cluster-name", Value: "hpcbridge", Usage: "the Slurm cluster name jobs see (SLURM_CLUSTER_NAME)"},
		&cli.StringSliceFlag{Name: "partition-map", Usage: "PARTITION=pool:NAME;dc:DC1,DC2;files:staged;meta.KEY=VALUE: where a partition's jobs run in Nomad, and whether its nodes see the submit directory (files:shared, the default) or not (files:staged) (repeatable)"},
		&cli.IntFlag{Name: "nomad-max-queued", Value: nomadexec.DefaultMaxQueued, Usage: "jobs registered with Nomad and not yet running, at most"},
		&cli.IntFlag{Name: "nomad-max-running", Usage: "jobs on Nomad at once, at most (0: no bound)"},
		&cli.IntFlag{Name: "nomad-cpu-mhz", Value: nomadexec.DefaultMHzPerCPU, Usage: "Nomad CPU (MHz) reserved per Slurm CPU"},
		&cli.Int64Flag{Name: "default-mem", Value: nomadexec.DefaultMemMiB, Usage: "MiB of memory for jobs that ask for none"},
		&cli.DurationFlag{Name: "kill-wait", Value: nomadexec.DefaultKillTimeout, Usage: "Slurm's KillWait: SIGTERM, then SIGKILL after this"},
		&cli.DurationFlag{Name: "configure-timeout", Value: nomadexec.DefaultConfigureTimeout, Usage: "a multi-node job not on all its nodes this long after it was sent to Nomad is given back (PENDING again)"},
		&cli.DurationFlag{Name: "reclaim-deadline", Value: nomadexec.DefaultReclaimDeadline, Usage: "how long a reclaimed node's jobs (hpcbridge node reclaim, nomad node drain, a closed donation window) have to checkpoint and end before they are stopped and requeued"},
		&cli.StringSliceFlag{Name: "join-nomad-servers", Usage: "Nomad servers' RPC addresses (host:port) a joining donor node is told (hpcbridge agent --join); default: the Nomad servers' Raft peers as --nomad-addr reports them"},
		&cli.StringFlag{Name: "join-datacenter", Usage: "Nomad datacenter a joining donor node joins (default: --nomad-addr's agent's)"},
		&cli.StringFlag{Name: "join-region", Usage: "Nomad region a joining donor node joins (default: --nomad-addr's agent's)"},
		&cli.DurationFlag{Name: "output-retention", Value: archive.DefaultRetention, Usage: "how long after a job ends the coordinator keeps its archived output (0: forever)"},
	}
}

func nomadOf(c *cli.Context) bridge.Nomad {
	return bridge.Nomad{
		Addr: c.String("nomad-addr"), Token: c.String("nomad-token"), Region: c.String("nomad-region"),
		Namespace: c.String("nomad-namespace"), Cluster: c.String("cluster-name"), PartitionMap: c.StringSlice("partition-map"),
		MaxQueued: c.Int("nomad-max-queued"), MaxRunning: c.Int("nomad-max-running"), CPUMHz: c.Int("nomad-cpu-mhz"),
		DefaultMemMiB: c.Int64("default-mem"), KillWait: c.Duration("kill-wait"), OutputRetention: c.Duration("output-retention"),
		ConfigureTimeout: c.Duration("configure-timeout"), ReclaimDeadline: c.Duration("reclaim-deadline"),
		JoinServers: c.StringSlice("join-nomad-servers"), JoinDatacenter: c.String("join-datacenter"), JoinRegion: c.String("join-region"),
	}
}
