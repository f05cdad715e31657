package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/agent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/urfave/cli/v2"
)

// Defaults of hpcbridge agent.
const (
	// defaultAgentDataDir is --data-dir's default: root's, as Nomad's.
	defaultAgentDataDir = "/var/lib/hpcbridge-agent"
	// envJoinToken passes --join without putting the secret in argv
	// (/proc/PID/cmdline is world-readable; the environment is not).
	envJoinToken = "HPCBRIDGE_JOIN_TOKEN"
	// envLeaveDeadline is --leave-deadline's variable (the pilot job's).
	envLeaveDeadline = "HPCBRIDGE_LEAVE_DEADLINE"
	// maxAgentGPUs bounds --gpus.
	maxAgentGPUs = 1024
)

// agentGPURE is one entry of --gpus: an NVML index or a GPU/MIG UUID.
var agentGPURE = regexp.MustCompile(`^([0-9]{1,4}|(GPU|MIG)-[A-Za-z0-9-]{1,80})$`)

func agentCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:  "agent",
		Usage: "make this machine a donor's node: join the federation with a join token and run a Nomad client until stopped",
		Description: "The first start redeems the join token (hpcbridge node join-token --donor NAME makes one) with a\n" +
			"new node key, and records the join in --data-dir; later starts find it there and start the same node\n" +
			"without a token. It writes a Nomad client configuration (in DATA_DIR/nomad/agent.hcl) that joins the\n" +
			"federation's Nomad servers with hpcbridge's task driver, jobs sandboxed, and the GPU device plugin\n" +
			"(real GPUs through NVML when it initialises here), and starts it (nomad from $" + nomadagent.EnvBinary + " or PATH).\n" +
			"SIGINT or SIGTERM leaves: the node is reclaimed, its jobs checkpoint and move elsewhere (by\n" +
			"--leave-deadline), then Nomad stops and the agent exits 0. Started again, it joins again with its key.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "join", EnvVars: []string{envJoinToken}, Usage: "the join token (hbj_...; better in $" + envJoinToken + ": a command line is visible to every user)"},
			&cli.StringFlag{Name: "coordinator", Usage: "the coordinator's API address, e.g. https://coord.example.org:4747", DefaultText: "$" + api.EnvAddress},
			&cli.StringFlag{Name: "ca-file", Usage: "PEM file of the CAs that sign the coordinator's certificate (an https:// coordinator with a private CA)", DefaultText: "$" + api.EnvCACert + ", else the system's"},
			&cli.BoolFlag{Name: "insecure-http", Usage: "allow a plain-HTTP coordinator on another machine (the join token and the coordinator's answers travel unprotected)"},
			&cli.StringFlag{Name: "data-dir", Value: defaultAgentDataDir, Usage: "where the node's key, its join and its Nomad client's state live"},
			&cli.StringFlag{Name: "name", Usage: "the node's name (first join only)", DefaultText: "the host name"},
			&cli.IntFlag{Name: "cpus", Usage: "offer only this many CPUs (the first this process may run on); 0: all", DefaultText: "all"},
			&cli.StringFlag{Name: "memory", Usage: "offer only this much memory, Slurm syntax (4096, 4G; default unit MiB)", DefaultText: "all"},
			&cli.StringFlag{Name: "gpus", Usage: "offer only these GPUs: NVML indexes or UUIDs, comma-separated (a pilot job: $CUDA_VISIBLE_DEVICES)", DefaultText: "all"},
			&cli.StringFlag{Name: "gpu-backend", Usage: "where the GPUs come from: nvml, fake (go-nvml's mock, for tests) or none", DefaultText: "nvml when NVML initialises, else none"},
			&cli.IntFlag{Name: "fake-gpus", Usage: "fake GPUs on the node (--gpu-backend fake)", DefaultText: strconv.Itoa(defaultFakeGPUs)},
			&cli.StringFlag{Name: "fake-gpu-model", Usage: "the fake GPUs' model (--gpu-backend fake): a100, h100, ...", DefaultText: defaultFakeModel},
			&cli.StringFlag{Name: "plugin-dir", Usage: "directory holding " + driverBinaryName + " and " + gpuPluginName, DefaultText: "plugins/ beside this binary"},
			&cli.StringFlag{Name: "sandbox-uids", Value: agent.DefaultSandboxUIDs, Usage: "the uid range the driver's sandbox gives jobs a uid from"},
			&cli.StringFlag{Name: "leave-deadline", EnvVars: []string{envLeaveDeadline}, Usage: "how long the node's jobs have to checkpoint when it leaves, e.g. 2m", DefaultText: "the coordinator's --reclaim-deadline"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Len() > 0 {
				return &exitError{code: exitUsage, err: fmt.Errorf("agent: unexpected argument %q (flags only)", c.Args().First())}
			}
			o, err := agentOptions(c, s)
			if err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("agent: %w", err)}
			}
			// urfave reads $HPCBRIDGE_JOIN_TOKEN from the process
			// environment; another value came from the command line,
			// which every local user reads (ps, /proc/PID/cmdline) while
			// the agent runs and which the shell's history keeps.
			if j := c.String("join"); j != "" && os.Getenv(envJoinToken) != j {
				fmt.Fprintf(s.err, "agent: warning: --join on the command line is visible to every user of this machine (ps) and kept in shell history; give it in $%s instead\n", envJoinToken)
			}
			// Nomad, its plugins and their helpers inherit this process's
			// environment: no secret of the caller's goes along.
			for _, v := range []string{envJoinToken, api.EnvToken} {
				if err := os.Unsetenv(v); err != nil {
					return &exitError{code: exitRejected, err: fmt.Errorf("agent: %w", err)}
				}
			}
			ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := agent.Run(ctx, o); err != nil {
				code := exitRejected
				if errors.Is(err, agent.ErrUsage) {
					code = exitUsage
				}
				return &exitError{code: code, err: fmt.Errorf("agent: %w", err)}
			}
			return nil
		},
	}
}

// agentOptions reads hpcbridge agent's flags.
func agentOptions(c *cli.Context, s streams) (agent.Options, error) {
	cfg := api.ConfigFromEnv(s.env)
	addr := c.String("coordinator")
	if addr == "" {
		if v, ok := slurm.LookupEnv(s.env, api.EnvAddress); ok && v != "" {
			addr = v
		}
	}
	if addr == "" {
		return agent.Options{}, fmt.Errorf("--coordinator is required: the coordinator's API address, e.g. https://coord.example.org:4747")
	}
	cfg.Address = addr
	if f := c.String("ca-file"); f != "" {
		cfg.CACert = f
	}
	o := agent.Options{
		Join: strings.TrimSpace(c.String("join")), API: cfg, DataDir: c.String("data-dir"), Name: c.String("name"),
		CPUs: c.Int("cpus"), SandboxUIDs: c.String("sandbox-uids"), NomadBinary: os.Getenv(nomadagent.EnvBinary),
		Version: version, Out: s.out, InsecureHTTP: c.Bool("insecure-http"),
	}
	if m := c.String("memory"); m != "" {
		mib, err := slurm.ParseMiB(m)
		if err != nil || mib <= 0 {
			return o, fmt.Errorf("--memory %q: want a size such as 4096 (MiB), 64G or 512M", m)
		}
		o.MemoryMiB = int(mib)
	}
	o.LeaveDeadline = c.String("leave-deadline")
	plugins, err := pluginDirOf(c.String("plugin-dir"))
	if err != nil {
		return o, err
	}
	o.PluginDir = plugins
	// Before the GPU plugin runs (as root) to probe NVML.
	if err := agent.CheckPluginDir(plugins); err != nil {
		return o, err
	}
	gpu, meta, err := agentGPUs(c, plugins)
	if err != nil {
		return o, err
	}
	o.GPU, o.GPUMeta = gpu, meta
	return o, nil
}

// agentGPUs is the device plugin's block and node meta from the GPU flags
// (nil: no GPUs). Unlike dev, a donor's node never offers fake GPUs unless
// asked: without NVML it offers none.
func agentGPUs(c *cli.Context, pluginDir string) (*nomadagent.Plugin, map[string]string, error) {
	backend := c.String("gpu-backend")
	_, missing := os.Stat(filepath.Join(pluginDir, gpuPluginName))
	if backend == "" {
		switch {
		case missing != nil:
			backend = gpuBackendNone
		case probeNVML(pluginDir) == nil:
			backend = gpuBackendNVML
		default:
			backend = gpuBackendNone
		}
	}
	if (c.IsSet("fake-gpus") || c.IsSet("fake-gpu-model")) && backend != gpuBackendFake {
		return nil, nil, fmt.Errorf("--fake-gpus and --fake-gpu-model are for --gpu-backend fake")
	}
	f := gpuFlags{backend: backend, gpus: c.Int("fake-gpus"), models: c.String("fake-gpu-model")}
	if backend == gpuBackendFake && f.gpus == 0 && c.IsSet("fake-gpus") {
		return nil, nil, fmt.Errorf("--fake-gpus 0: want 1 or more (--gpu-backend none for no GPUs)")
	}
	g, err := planDevGPUs(f, 1, func() error { return probeNVML(pluginDir) })
	if err != nil {
		return nil, nil, err
	}
	seed := c.String("name")
	if seed == "" {
		seed, _ = os.Hostname()
	}
	plugins, meta := g.node(0, seed)
	var only []string
	if list := c.String("gpus"); list != "" {
		for _, d := range strings.Split(list, ",") {
			d = strings.TrimSpace(d)
			if !agentGPURE.MatchString(d) {
				return nil, nil, fmt.Errorf("--gpus %.80q: each GPU is an NVML index (0, 1, ...) or a UUID (GPU-...)", d)
			}
			only = append(only, d)
		}
		if len(only) > maxAgentGPUs {
			return nil, nil, fmt.Errorf("--gpus names %d GPUs, at most %d", len(only), maxAgentGPUs)
		}
	}
	if len(plugins) == 0 {
		if only != nil {
			return nil, nil, fmt.Errorf("--gpus %s: no GPU backend (--gpu-backend %s)", c.String("gpus"), backend)
		}
		return nil, meta, nil
	}
	if missing != nil {
		return nil, nil, fmt.Errorf("--gpu-backend %s: no %s in %s: run `make driver` (or give --plugin-dir, or --gpu-backend none)", backend, gpuPluginName, pluginDir)
	}
	p := plugins[0]
	if only != nil {
		p.Config["devices"] = only
	}
	return &p, meta, nil
}
