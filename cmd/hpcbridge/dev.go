package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge"
	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/archive"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/urfave/cli/v2"
)

// driverBinaryName is the task-driver plugin's file name in a plugin dir;
// Nomad's plugin block is named after it.
const driverBinaryName = "hpcbridge-driver"

// devOptions configure the embedded default.
type devOptions struct {
	dataDir   string
	bind      string
	raftBind  string
	pluginDir string
	runAs     string
	poolUIDs  string
	poolDir   string
	partition string
	logLevel  string
	// nodes is how many Nomad client nodes run jobs (--nodes).
	nodes int
	// gpu holds the GPU flags as given.
	gpu gpuFlags
	// staged makes the partition staged (--staged): sbatch uploads the
	// submit directory, hpcbridge fetch brings outputs back. blobStore
	// is --blob-store ("": dir:DATA_DIR/coordinator/blobs).
	staged    bool
	blobStore string
	// rewards turns on the embedded reward chain (--rewards, the
	// default); rewardEpoch is --reward-epoch (devrewards.go).
	rewards     bool
	rewardEpoch time.Duration
}

func devCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:  "dev",
		Usage: "run the embedded default in the foreground: a one-node coordinator and Nomad with the hpcbridge task driver and GPU device plugin",
		Description: "The Slurm commands on this machine reach it with no configuration: it listens on\n" +
			"HPCBRIDGE_ADDR's default, bootstraps ACLs once and leaves the management token in the CLI's\n" +
			"token file (on another --bind, only in --data-dir: the banner says how to point the CLI at it).\n" +
			"With --nodes 1 (the default) Nomad is one dev agent, node \"dev\"; with --nodes N it is a server and\n" +
			"N client agents on this machine, each with its own task driver and GPUs, named by loopback addresses\n" +
			"127.0.1.101 ... 127.0.1.(100+N) that every node reaches (MASTER_ADDR, MPI).\n" +
			"GPUs come from the hpcbridge-gpu device plugin: real ones through NVML when it initialises here\n" +
			"(one node only), else fake ones (go-nvml's mock; the banner says so), or none.\n" +
			"Ctrl-C stops everything; state is kept in --data-dir for the next start.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-dir", Required: true, Usage: "directory for the coordinator's and Nomad's state"},
			&cli.StringFlag{Name: "bind", Value: "127.0.0.1:4747", Usage: "coordinator API address"},
			&cli.StringFlag{Name: "raft-bind", Value: "127.0.0.1:4748", Usage: "coordinator Raft address"},
			&cli.StringFlag{Name: "plugin-dir", Usage: "directory holding " + driverBinaryName + " and " + gpuPluginName + " (default: plugins/ beside this binary)"},
			&cli.StringFlag{Name: "run-as", Value: "submitter", Usage: "who jobs run as: submitter (the job owner's local account; root too: it is your machine) or pool (a uid of its own per job, from --pool-uids)"},
			&cli.StringFlag{Name: "pool-uids", Value: "62000-62099", Usage: "the uid range of --run-as pool"},
			&cli.StringFlag{Name: "pool-dir", Usage: "where --run-as pool keeps its uid leases (default: the driver's, /var/lib/hpcbridge-driver/pool)"},
			&cli.StringFlag{Name: "partition", Value: "debug", Usage: "the partition"},
			&cli.BoolFlag{Name: "staged", Usage: "make the partition staged: sbatch uploads the submit directory, the node restores it and ignores the real one, hpcbridge fetch brings outputs back (docs/files.md)"},
			&cli.StringFlag{Name: "blob-store", Usage: "the store of staged files and checkpoints: dir:PATH or s3://ACCESS:SECRET@HOST:PORT/BUCKET[/PREFIX][?tls=false]", DefaultText: "dir:DATA_DIR/coordinator/blobs"},
			&cli.StringFlag{Name: "log-level", Value: "warn", Usage: "coordinator log level"},
			&cli.IntFlag{Name: "nodes", Value: 1, Usage: fmt.Sprintf("Nomad client nodes on this machine, 1 to %d (more than 1: a server and clients 127.0.1.101 ... 127.0.1.(100+N))", maxDevNodes)},
			&cli.StringFlag{Name: "gpu-backend", Usage: "where the nodes' GPUs come from: nvml (this machine's, --nodes 1), fake (go-nvml's mock) or none", DefaultText: "nvml when NVML initialises, else fake"},
			&cli.IntFlag{Name: "gpus", Usage: "fake GPUs per node", DefaultText: strconv.Itoa(defaultFakeGPUs)},
			&cli.StringFlag{Name: "gpu-model", Usage: "fake GPU model per node, NAME[,NAME...] cycling over the nodes: a100, h100 (or another the plugin knows: a100-80gb, a30, h200, b200) or an NVML name", DefaultText: defaultFakeModel},
			&cli.BoolFlag{Name: "rewards", Value: true, Usage: "publish reward epochs on an embedded simulated chain kept in the data dir (--rewards=false: off; credit still accrues)"},
			&cli.DurationFlag{Name: "reward-epoch", Value: defaultDevRewardEpoch, Usage: "how often an epoch closes when some wallet's credit changed (0: only hpcbridge rewards close)"},
		},
		Action: func(c *cli.Context) error {
			o := devOptions{dataDir: c.String("data-dir"), bind: c.String("bind"), raftBind: c.String("raft-bind"),
				pluginDir: c.String("plugin-dir"), runAs: c.String("run-as"), poolUIDs: c.String("pool-uids"), poolDir: c.String("pool-dir"), partition: c.String("partition"), logLevel: c.String("log-level"),
				nodes: c.Int("nodes"), gpu: gpuFlags{backend: c.String("gpu-backend"), gpus: c.Int("gpus"), models: c.String("gpu-model")},
				staged: c.Bool("staged"), blobStore: c.String("blob-store"), rewards: c.Bool("rewards"), rewardEpoch: c.Duration("reward-epoch")}
			if c.IsSet("gpus") && o.gpu.gpus == 0 {
				return &exitError{code: exitUsage, err: errors.New("dev: --gpus 0: want 1 or more (--gpu-backend none for no GPUs)")}
			}
			ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := runDev(ctx, o, s); err != nil {
				return &exitError{code: exitRejected, err: fmt.Errorf("dev: %w", err)}
			}
			return nil
		},
	}
}

// pluginDirOf finds the directory holding the task-driver plugin.
func pluginDirOf(flag string) (string, error) {
	dir := flag
	if dir == "" {
		self, err := os.Executable()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(filepath.Dir(self), "plugins")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, driverBinaryName)); err != nil {
		return "", fmt.Errorf("no %s in %s: run `make driver` (or give --plugin-dir)", driverBinaryName, dir)
	}
	return dir, nil
}

// runDev runs the embedded default until ctx ends.
func runDev(ctx context.Context, o devOptions, s streams) error {
	abs, err := filepath.Abs(o.dataDir)
	if err != nil {
		return err
	}
	o.dataDir = abs
	if o.runAs != "submitter" && o.runAs != "pool" {
		return fmt.Errorf("--run-as %q: want submitter or pool", o.runAs)
	}
	if o.nodes < 1 || o.nodes > maxDevNodes {
		return fmt.Errorf("--nodes %d: want 1 to %d", o.nodes, maxDevNodes)
	}
	if o.poolDir != "" {
		if o.poolDir, err = filepath.Abs(o.poolDir); err != nil {
			return err
		}
	}
	plugins, err := pluginDirOf(o.pluginDir)
	if err != nil {
		return err
	}
	gpus, err := devGPUPlan(o, plugins)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.dataDir, 0o711); err != nil {
		return err
	}
	// Jobs run as an unprivileged user inside Nomad's alloc dirs under the
	// data dir: it must be searchable (not readable) by that user.
	if err := os.Chmod(o.dataDir, 0o711); err != nil {
		return err
	}
	// Fail early, with a clear message, when the coordinator's port is
	// taken (another dev or server already runs here).
	if ln, err := net.Listen("tcp", o.bind); err != nil {
		return fmt.Errorf("--bind %s: %w", o.bind, err)
	} else {
		ln.Close()
	}
	nomadDir := filepath.Join(o.dataDir, "nomad")
	if err := checkDevLayout(nomadDir, o.nodes); err != nil {
		return err
	}
	names := devNodeNames(o.nodes)
	if o.nodes == 1 {
		fmt.Fprintf(s.out, "==> starting a Nomad dev agent (state in %s)\n", nomadDir)
	} else {
		fmt.Fprintf(s.out, "==> starting a Nomad server and %d clients, %s (state in %s)\n", o.nodes, strings.Join(names, ", "), nomadDir)
	}
	nodes := make([]devNodeConfig, o.nodes)
	for i, name := range names {
		gpuPlugins, meta := gpus.node(i, name)
		drv := devDriverConfig(o)
		// Each node its own receipt key: a key is registered to one node.
		drv["node_key_file"] = filepath.Join(o.dataDir, "node-keys", name, "node.key")
		nodes[i] = devNodeConfig{name: name, meta: meta,
			plugins: append([]nomadagent.Plugin{{Name: driverBinaryName, Config: drv}}, gpuPlugins...)}
	}
	startCtx, cancel := context.WithTimeout(ctx, 3*time.Minute+time.Duration(o.nodes-1)*time.Minute)
	nomad, err := startDevNomad(startCtx, nomadDir, plugins, nodes)
	if err != nil {
		cancel()
		return err
	}
	defer nomad.stop()
	nodeGPUs, err := gpus.waitGPUs(startCtx, nomad.nodes)
	cancel()
	if err != nil {
		return err
	}
	exited, unwatch := nomad.watch()
	defer unwatch()

	cfg := bridge.Config{
		DataDir: filepath.Join(o.dataDir, "coordinator"), Bind: o.bind, RaftBind: o.raftBind, NodeID: "dev",
		Bootstrap: true, Partitions: []string{o.partition}, LogLevel: o.logLevel, Version: version, Out: s.out, Log: s.err,
		Nomad: bridge.Nomad{Addr: nomad.addr(), Cluster: "hpcbridge", MaxQueued: nomadexec.DefaultMaxQueued, CPUMHz: nomadexec.DefaultMHzPerCPU,
			DefaultMemMiB: nomadexec.DefaultMemMiB, KillWait: nomadexec.DefaultKillTimeout, OutputRetention: archive.DefaultRetention},
		BlobStore: o.blobStore,
	}
	if o.staged {
		cfg.Nomad.PartitionMap = []string{o.partition + "=files:staged"}
	}
	if o.rewards {
		if cfg.Rewards, err = devRewards(o.dataDir, o.rewardEpoch); err != nil {
			return err
		}
	}
	sctx, stopServer := context.WithCancel(ctx)
	errc := make(chan error, 1)
	done := make(chan struct{})
	go func() { defer close(done); errc <- bridge.New(cfg).Run(sctx) }()
	defer func() { stopServer(); <-done }() // the coordinator has stopped before the agents do

	tokenFile, err := devToken(ctx, o, s, errc)
	if err != nil {
		return err
	}
	// The banner in one write: whoever waits for its first line (scripts,
	// tests) then finds all of it.
	var b bytes.Buffer
	fmt.Fprintf(&b, "\nhpcbridge dev is running.\n")
	fmt.Fprintf(&b, "  Coordinator API: http://%s   (%s)\n", o.bind, api.EnvAddress)
	if devTokenFile(o, s.env) != "" {
		fmt.Fprintf(&b, "  Management token: in %s (the Slurm commands and hpcbridge read it)\n", tokenFile)
	} else {
		fmt.Fprintf(&b, "  Management token: in %s; not on the CLI's default address, so point the commands here with\n", tokenFile)
		fmt.Fprintf(&b, "                    export %s=http://%s %s=%s\n", api.EnvAddress, o.bind, api.EnvTokenFile, tokenFile)
	}
	fmt.Fprintf(&b, "  Nomad API:       %s   (NOMAD_ADDR)\n", nomad.addr())
	fmt.Fprintf(&b, "  Nomad UI:        %s\n", nomad.server.UIURL())
	if o.nodes == 1 {
		fmt.Fprintf(&b, "  Nodes:           %s (a Nomad dev agent: server and client)\n", names[0])
	} else {
		fmt.Fprintf(&b, "  Nodes:           %s (Nomad clients on this machine, with a server)\n", strings.Join(names, ", "))
	}
	fmt.Fprintf(&b, "  Jobs run as:     %s, partition %s\n", runAsWords(o), o.partition)
	if o.staged {
		fmt.Fprintf(&b, "  Files:           partition %s is staged: sbatch uploads the submit directory, the node runs the job in a restored copy\n", o.partition)
		fmt.Fprintf(&b, "                   (it ignores the real one), hpcbridge fetch JOBID brings outputs back (sbatch --wait fetches)\n")
	}
	gpus.banner(&b, nomad.nodes, nodeGPUs)
	devRewardsBanner(ctx, &b, o)
	fmt.Fprintf(&b, "Try: sbatch examples/slurm/hello.sh && squeue. Ctrl-C stops.\n")
	_, _ = s.out.Write(b.Bytes())
	select {
	case <-ctx.Done():
		stopServer()
		<-errc
		return nil
	case err := <-errc:
		if err == nil {
			err = errors.New("coordinator stopped")
		}
		return err
	case a := <-exited:
		return fmt.Errorf("the Nomad agent %q exited\n--- last lines of %s ---\n%s", a.Name(), a.LogPath(), a.LogTail(30))
	}
}

// devGPUPlan chooses the nodes' GPUs (planDevGPUs) and checks that the
// device plugin is there. Without it, the default is no GPUs; a backend
// asked for by name is an error.
func devGPUPlan(o devOptions, pluginDir string) (devGPUs, error) {
	_, missing := os.Stat(filepath.Join(pluginDir, gpuPluginName))
	if missing != nil && o.gpu.backend == "" && o.gpu.gpus == 0 && o.gpu.models == "" {
		return devGPUs{backend: gpuBackendNone, why: fmt.Sprintf("no %s in %s (make driver builds it)", gpuPluginName, pluginDir)}, nil
	}
	g, err := planDevGPUs(o.gpu, o.nodes, func() error { return probeNVML(pluginDir) })
	if err != nil {
		return g, err
	}
	if g.backend != gpuBackendNone && missing != nil {
		return g, fmt.Errorf("--gpu-backend %s: no %s in %s: run `make driver` (or give --plugin-dir, or --gpu-backend none)", g.backend, gpuPluginName, pluginDir)
	}
	return g, nil
}

// devDriverConfig is the task driver's plugin config for dev: by default
// jobs run as their owner's local account, root included (it is the
// user's own machine); --run-as pool gives each job a uid of its own.
func devDriverConfig(o devOptions) map[string]any {
	c := map[string]any{"run_as": o.runAs}
	switch o.runAs {
	case "submitter":
		c["allow_root"] = true
	case "pool":
		c["pool_uids"] = o.poolUIDs
		if o.poolDir != "" {
			c["pool_dir"] = o.poolDir
		}
	}
	return c
}

// runAsWords says who jobs run as, for the start-up banner.
func runAsWords(o devOptions) string {
	if o.runAs == "pool" {
		return "a uid of their own from " + o.poolUIDs
	}
	return "their owner's local account"
}

// devTokenFile is the CLI token file dev writes the management token to:
// the one HPCBRIDGE_TOKEN_FILE names, else the default token file when dev
// listens on the CLI's default address, else none ("": an instance on
// another address must not replace the token of the one the CLI reaches
// by default; the banner says how to point the CLI at it).
func devTokenFile(o devOptions, env []string) string {
	if f, ok := slurm.LookupEnv(env, api.EnvTokenFile); ok && f != "" {
		return f
	}
	if "http://"+o.bind != api.DefaultAddress {
		return ""
	}
	return api.TokenFile(env)
}

// devToken bootstraps ACLs on first start, keeps the management secret in
// the data dir, and leaves it in the CLI's token file (devTokenFile).
func devToken(ctx context.Context, o devOptions, s streams, errc <-chan error) (string, error) {
	kept := filepath.Join(o.dataDir, "management-token")
	secret := ""
	if b, err := os.ReadFile(kept); err == nil {
		secret = strings.TrimSpace(string(b))
	}
	client, err := api.NewClient(&api.Config{Address: "http://" + o.bind})
	if err != nil {
		return "", err
	}
	if secret == "" {
		for delay := 50 * time.Millisecond; ; delay = min(2*delay, time.Second) {
			tok, err := client.ACLBootstrap(ctx, &api.ACLBootstrapRequest{})
			if err == nil {
				secret = tok.SecretID
				break
			}
			if !api.Retryable(err) {
				return "", fmt.Errorf("ACL bootstrap: %w (if this data dir was bootstrapped before, its token is lost: start with a new --data-dir)", err)
			}
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case err := <-errc:
				return "", fmt.Errorf("coordinator: %w", err)
			case <-time.After(delay):
			}
		}
		if err := os.WriteFile(kept, []byte(secret+"\n"), 0o600); err != nil {
			return "", err
		}
	}
	file := devTokenFile(o, s.env)
	if file == "" {
		return kept, nil
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
		return "", err
	}
	return file, nil
}
