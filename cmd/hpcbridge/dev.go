package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
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
}

func devCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:  "dev",
		Usage: "run the embedded default in the foreground: a one-node coordinator and a Nomad dev agent with the hpcbridge task driver",
		Description: "The Slurm commands on this machine reach it with no configuration: it listens on\n" +
			"HPCBRIDGE_ADDR's default, bootstraps ACLs once and leaves the management token in the CLI's\n" +
			"token file (on another --bind, only in --data-dir: the banner says how to point the CLI at it).\n" +
			"Ctrl-C stops both; state is kept in --data-dir for the next start.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data-dir", Required: true, Usage: "directory for the coordinator's and Nomad's state"},
			&cli.StringFlag{Name: "bind", Value: "127.0.0.1:4747", Usage: "coordinator API address"},
			&cli.StringFlag{Name: "raft-bind", Value: "127.0.0.1:4748", Usage: "coordinator Raft address"},
			&cli.StringFlag{Name: "plugin-dir", Usage: "directory holding " + driverBinaryName + " (default: plugins/ beside this binary)"},
			&cli.StringFlag{Name: "run-as", Value: "submitter", Usage: "who jobs run as: submitter (the job owner's local account; root too: it is your machine) or pool (a uid of its own per job, from --pool-uids)"},
			&cli.StringFlag{Name: "pool-uids", Value: "62000-62099", Usage: "the uid range of --run-as pool"},
			&cli.StringFlag{Name: "pool-dir", Usage: "where --run-as pool keeps its uid leases (default: the driver's, /var/lib/hpcbridge-driver/pool)"},
			&cli.StringFlag{Name: "partition", Value: "debug", Usage: "the partition"},
			&cli.StringFlag{Name: "log-level", Value: "warn", Usage: "coordinator log level"},
		},
		Action: func(c *cli.Context) error {
			o := devOptions{dataDir: c.String("data-dir"), bind: c.String("bind"), raftBind: c.String("raft-bind"),
				pluginDir: c.String("plugin-dir"), runAs: c.String("run-as"), poolUIDs: c.String("pool-uids"), poolDir: c.String("pool-dir"), partition: c.String("partition"), logLevel: c.String("log-level")}
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
	if o.poolDir != "" {
		if o.poolDir, err = filepath.Abs(o.poolDir); err != nil {
			return err
		}
	}
	plugins, err := pluginDirOf(o.pluginDir)
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
	fmt.Fprintf(s.out, "==> starting a Nomad dev agent (state in %s)\n", filepath.Join(o.dataDir, "nomad"))
	startCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	agent, err := nomadagent.StartDev(startCtx, nomadagent.Config{
		Dir:       filepath.Join(o.dataDir, "nomad"),
		Name:      "dev",
		PluginDir: plugins,
		Plugins:   []nomadagent.Plugin{{Name: driverBinaryName, Config: devDriverConfig(o)}},
		Drivers:   []string{nomadexec.DriverName},
	})
	cancel()
	if err != nil {
		return err
	}
	defer agent.Stop()

	cfg := bridge.Config{
		DataDir: filepath.Join(o.dataDir, "coordinator"), Bind: o.bind, RaftBind: o.raftBind, NodeID: "dev",
		Bootstrap: true, Partitions: []string{o.partition}, LogLevel: o.logLevel, Version: version, Out: s.out, Log: s.err,
		Nomad: bridge.Nomad{Addr: agent.Addr(), Cluster: "hpcbridge", MaxQueued: nomadexec.DefaultMaxQueued, CPUMHz: nomadexec.DefaultMHzPerCPU,
			DefaultMemMiB: nomadexec.DefaultMemMiB, KillWait: nomadexec.DefaultKillTimeout, OutputRetention: archive.DefaultRetention},
	}
	sctx, stopServer := context.WithCancel(ctx)
	errc := make(chan error, 1)
	done := make(chan struct{})
	go func() { defer close(done); errc <- bridge.New(cfg).Run(sctx) }()
	defer func() { stopServer(); <-done }() // the coordinator has stopped before the agent does

	tokenFile, err := devToken(ctx, o, s, errc)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "\nhpcbridge dev is running.\n")
	fmt.Fprintf(s.out, "  Coordinator API: http://%s   (%s)\n", o.bind, api.EnvAddress)
	if devTokenFile(o, s.env) != "" {
		fmt.Fprintf(s.out, "  Management token: in %s (the Slurm commands and hpcbridge read it)\n", tokenFile)
	} else {
		fmt.Fprintf(s.out, "  Management token: in %s; not on the CLI's default address, so point the commands here with\n", tokenFile)
		fmt.Fprintf(s.out, "                    export %s=http://%s %s=%s\n", api.EnvAddress, o.bind, api.EnvTokenFile, tokenFile)
	}
	fmt.Fprintf(s.out, "  Nomad API:       %s   (NOMAD_ADDR)\n", agent.Addr())
	fmt.Fprintf(s.out, "  Nomad UI:        %s\n", agent.UIURL())
	fmt.Fprintf(s.out, "  Jobs run as:     %s, partition %s\n", runAsWords(o), o.partition)
	fmt.Fprintf(s.out, "Try: sbatch examples/slurm/hello.sh && squeue. Ctrl-C stops.\n")
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
	}
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
