// Package agent is `hpcbridge agent`: it makes this machine a donor's node.
// It keeps the node's key, redeems a join token with the coordinator
// (proving the key), writes and starts a Nomad client that joins the
// federation's Nomad servers with hpcbridge's task driver (sandbox mode) and
// GPU device plugin, and, when stopped, leaves: the node is reclaimed, its
// jobs checkpoint and move elsewhere, and only then does Nomad stop.
//
// Everything lives in one data dir (StateFile, KeyFile, NomadDir): a second
// start finds the join there and starts the same node without a token.
package agent

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/nomadexec"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/receipt"
)

// Names the agent uses.
const (
	// DriverPlugin and GPUPlugin are the plugins' file names in the plugin
	// dir, which their plugin blocks are named after.
	DriverPlugin = "hpcbridge-driver"
	GPUPlugin    = "hpcbridge-gpu"
	// MetaDonor is the node meta that names the node's donor (display
	// only: the coordinator's authority is the join record).
	MetaDonor = api.MetaDonor
	// MetaAgentVersion is the node meta with the agent's version.
	MetaAgentVersion = api.MetaAgentVersion
	// DefaultSandboxUIDs is the uid range the driver's sandbox takes a uid
	// from for each job (the driver's sandbox_uids).
	DefaultSandboxUIDs = "61184-65519"
)

// Bounds and timings.
const (
	// StartTimeout bounds the Nomad client's start (join included).
	StartTimeout = 3 * time.Minute
	// requestTimeout bounds one request to the coordinator.
	requestTimeout = 30 * time.Second
	// stopGrace is how long after the reclaim's deadline the agent still
	// waits for its node's jobs to end (a job's kill timeout, its last
	// checkpoint's upload) before it stops Nomad anyway.
	stopGrace = 90 * time.Second
	// MaxLeaveDeadline bounds --leave-deadline.
	MaxLeaveDeadline = 24 * time.Hour
)

// nodeNameRE is what a node name may be: Nomad's and Slurm's node names,
// and the coordinator's join record (state.CheckNodeName is the judge).
var nodeNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// Options configure Run.
type Options struct {
	// Join is the join token's secret ("hbj_..."); empty when the data
	// dir's node has joined before.
	Join string
	// API is the coordinator client's configuration (address, TLS); its
	// Token is not used: the join secret and the node key are the
	// credentials.
	API *api.Config
	// InsecureHTTP allows a plain-HTTP coordinator on another machine
	// (--insecure-http): without it only https, or http to a loopback
	// address, is accepted.
	InsecureHTTP bool
	// DataDir holds the state, the node key and Nomad's directory.
	DataDir string
	// Name is the node's name; empty: the state's, else the host name.
	Name string
	// CPUs and MemoryMiB, when not zero, limit what the node offers
	// (pilot jobs: the allocation's). CPUs become Nomad's reservable
	// cores: the first CPUs of those this process may run on.
	CPUs      int
	MemoryMiB int
	// PluginDir holds DriverPlugin (and GPUPlugin when GPU is set).
	PluginDir string
	// GPU is the device plugin's block and the node meta it brings (nil:
	// no GPUs offered).
	GPU     *nomadagent.Plugin
	GPUMeta map[string]string
	// SandboxUIDs is the driver's sandbox_uids (default DefaultSandboxUIDs).
	SandboxUIDs string
	// LeaveDeadline is how long the node's jobs have to checkpoint when it
	// leaves, a Go duration ("2m"; "0s": stopped at once); "": the
	// coordinator's default.
	LeaveDeadline string
	// NomadBinary is the nomad executable; empty: nomadagent.Binary().
	NomadBinary string
	// Version is the agent's version (node meta).
	Version string
	// Out receives what the agent does.
	Out io.Writer
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Errors of Run that the command turns into exit statuses.
var (
	// ErrUsage: the options are wrong (exit 2).
	ErrUsage = errors.New("usage")
)

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// check validates o and fills in defaults.
func (o *Options) check() error {
	usage := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
	}
	if o.DataDir == "" {
		return usage("--data-dir is required")
	}
	dir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return err
	}
	o.DataDir = dir
	if o.API == nil || o.API.Address == "" {
		return usage("--coordinator is required: the coordinator's API address, e.g. https://coord.example.org:4747")
	}
	if err := o.checkTransport(); err != nil {
		return usage("%v", err)
	}
	if o.Join != "" && (len(o.Join) > 256 || !strings.HasPrefix(o.Join, "hbj_")) {
		return usage("--join: not a join token (they start with hbj_; hpcbridge node join-token --donor NAME makes one)")
	}
	if o.Name != "" && !nodeNameRE.MatchString(o.Name) {
		return usage("--name %.70q: want 1 to 63 of letters, digits, '.', '_' and '-', starting with a letter or digit", o.Name)
	}
	if o.CPUs < 0 || o.CPUs > 65536 {
		return usage("--cpus %d: want 1 or more (0: all of the machine's)", o.CPUs)
	}
	if o.MemoryMiB < 0 {
		return usage("--memory: want a size (0: all of the machine's)")
	}
	if o.LeaveDeadline != "" {
		d, err := time.ParseDuration(o.LeaveDeadline)
		if err != nil || d < 0 || d > MaxLeaveDeadline {
			return usage("--leave-deadline %.40q: want a duration from 0s to %v, such as 2m or 90s", o.LeaveDeadline, MaxLeaveDeadline)
		}
	}
	if o.SandboxUIDs == "" {
		o.SandboxUIDs = DefaultSandboxUIDs
	}
	if o.PluginDir == "" {
		return usage("no plugin dir")
	}
	if _, err := os.Stat(filepath.Join(o.PluginDir, DriverPlugin)); err != nil {
		return usage("no %s in %s: run `make driver` or give --plugin-dir", DriverPlugin, o.PluginDir)
	}
	if o.GPU != nil {
		if _, err := os.Stat(filepath.Join(o.PluginDir, GPUPlugin)); err != nil {
			return usage("no %s in %s: run `make driver`, give --plugin-dir, or --gpu-backend none", GPUPlugin, o.PluginDir)
		}
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	return nil
}

// Run makes this machine a donor's node until ctx ends (SIGINT, SIGTERM),
// then leaves: see the package comment. Signals while it leaves are
// ignored (a pilot job's scancel signals every process).
func Run(ctx context.Context, o Options) error {
	if err := o.check(); err != nil {
		return err
	}
	if o.InsecureHTTP && !o.usesTLS() {
		fmt.Fprintf(o.Out, "==> WARNING: --insecure-http: the join token and the coordinator's answers (which Nomad servers this machine obeys) travel unprotected to %s\n", o.API.Address)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: run hpcbridge agent as root: its jobs run sandboxed (a uid of their own, private mounts, cgroup limits), which only root sets up", ErrUsage)
	}
	// The directories made for the data dir go below a trusted one only
	// (MkdirAll would follow a link planted in another user's directory).
	existing := o.DataDir
	for {
		if _, err := os.Lstat(existing); err == nil || existing == filepath.Dir(existing) {
			break
		}
		existing = filepath.Dir(existing)
	}
	if err := checkTrustedAbove("data dir", existing); err != nil {
		return err
	}
	// Jobs run as unprivileged users in Nomad's alloc dirs below the data
	// dir: it must be searchable (not readable) by them.
	err := os.MkdirAll(o.DataDir, 0o711)
	if err != nil {
		return err
	}
	if err := checkOwnDir(o.DataDir); err != nil {
		return err
	}
	if err := checkTrusted("data dir", o.DataDir); err != nil {
		return err
	}
	// Nomad runs as root, and runs every file of its plugin dir.
	if err := CheckPluginDir(o.PluginDir); err != nil {
		return err
	}
	if o.NomadBinary == "" {
		if o.NomadBinary, err = nomadagent.Binary(); err != nil {
			return err
		}
	}
	if err := checkTrusted("nomad", o.NomadBinary); err != nil {
		return err
	}
	if err := os.Chmod(o.DataDir, 0o711); err != nil {
		return err
	}
	lock, err := lockDir(o.DataDir)
	if err != nil {
		return err
	}
	defer lock.Close()
	// The Nomad client of an agent that was killed (SIGKILL, the OOM
	// killer) outlives it. Another on the same directory would wait for
	// its state database until StartTimeout, then be killed with its
	// strays: the first client and the node's running jobs.
	if pids := nomadagent.Running(filepath.Join(o.DataDir, NomadDir), o.NomadBinary); len(pids) > 0 {
		return fmt.Errorf("the Nomad client of an earlier agent still runs with %s (pid %v): that agent was killed without stopping it; stop it (kill -INT %d, its jobs keep running and are taken back) and start the agent again",
			filepath.Join(o.DataDir, NomadDir), pids, pids[0])
	}
	keyPath := filepath.Join(o.DataDir, KeyFile)
	key, err := receipt.LoadOrCreateKey(keyPath)
	if err != nil {
		return fmt.Errorf("node key %s: %w", keyPath, err)
	}
	pub := receipt.EncodeKey(key.Public().(ed25519.PublicKey))
	cfg, err := o.apiConfig()
	if err != nil {
		return fmt.Errorf("%w: --coordinator: %v", ErrUsage, err)
	}
	client, err := api.NewClient(cfg)
	if err != nil {
		return fmt.Errorf("%w: --coordinator: %v", ErrUsage, err)
	}
	st, err := o.joined(ctx, client, key, pub)
	if err != nil {
		return err
	}
	ncfg, err := o.nomadConfig(st, keyPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "==> starting the Nomad client %s (config %s, log %s), joining %s\n",
		st.NodeName, filepath.Join(ncfg.Dir, nomadagent.ConfigFile), filepath.Join(ncfg.Dir, nomadagent.LogFile), strings.Join(st.NomadServers, ", "))
	startCtx, cancel := context.WithTimeout(ctx, StartTimeout)
	a, err := nomadagent.StartJoin(startCtx, st.NomadServers, ncfg)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("stopped while the Nomad client started (the node is still joined; run the agent again to start it): %w", err)
		}
		return fmt.Errorf("starting the Nomad client: %w", err)
	}
	o.banner(st, a, keyPath)
	select {
	case <-ctx.Done():
	case <-a.Exited():
		tail := a.LogTail(30)
		_ = a.Stop()
		return fmt.Errorf("the Nomad client exited; the node is still joined (run the agent again, or stop it cleanly to leave)\n--- last lines of %s ---\n%s", a.LogPath(), tail)
	}
	return o.leave(client, st, key, a)
}

// joined returns the data dir's join, redeeming the join token first when
// the node has not joined (or has left).
func (o *Options) joined(ctx context.Context, client *api.Client, key ed25519.PrivateKey, pub string) (*State, error) {
	st, err := loadState(o.DataDir)
	if err != nil {
		return nil, err
	}
	statePath := filepath.Join(o.DataDir, StateFile)
	if st != nil {
		switch {
		case st.Key != pub:
			return nil, fmt.Errorf("%s was written for the key %s, but %s holds %s: restore the key, or remove %s to join as a new node",
				statePath, st.Key, filepath.Join(o.DataDir, KeyFile), pub, statePath)
		case o.Name != "" && o.Name != st.NodeName:
			return nil, fmt.Errorf("%w: --name %s: this data dir's node joined as %s (%s); use another --data-dir for another node", ErrUsage, o.Name, st.NodeName, statePath)
		case sameCoordinator(st.Coordinator, o.API.Address) != nil:
			return nil, fmt.Errorf("%w: --coordinator %s: this data dir's node joined %s (%s)", ErrUsage, o.API.Address, st.Coordinator, statePath)
		}
	}
	switch {
	case st != nil && st.Left.IsZero():
		if o.Join != "" {
			fmt.Fprintf(o.Out, "==> node %s already joined donor %s at %s (%s): the join token is not used\n",
				st.NodeName, st.Donor, st.Joined.Local().Format(time.DateTime), statePath)
		} else {
			fmt.Fprintf(o.Out, "==> node %s of donor %s (joined %s; %s)\n", st.NodeName, st.Donor, st.Joined.Local().Format(time.DateTime), statePath)
		}
		// The coordinator may have recorded a leave this data dir missed
		// (the agent was killed while it left): undo it.
		return st, o.rejoin(ctx, client, st, key, false)
	case st != nil:
		fmt.Fprintf(o.Out, "==> node %s left donor %s at %s; joining again with its key\n", st.NodeName, st.Donor, st.Left.Local().Format(time.DateTime))
		rerr := o.rejoin(ctx, client, st, key, true)
		if rerr == nil || o.Join == "" {
			return st, rerr
		}
		fmt.Fprintf(o.Out, "==> %v\n==> redeeming the join token instead\n", rerr)
	case o.Join == "":
		return nil, fmt.Errorf("%w: this node has not joined (no %s): give --join TOKEN (hpcbridge node join-token --donor NAME makes one)", ErrUsage, statePath)
	}
	name := o.Name
	if st != nil {
		name = st.NodeName
	}
	if name == "" {
		h, err := os.Hostname()
		if err != nil || !nodeNameRE.MatchString(h) {
			return nil, fmt.Errorf("%w: the host name %q is not a node name: give --name", ErrUsage, h)
		}
		name = h
	}
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	resp, err := redeem(rctx, client, o.Join, name, pub, key, o.now())
	if err != nil {
		return nil, fmt.Errorf("joining %s as node %s: %w", o.API.Address, name, err)
	}
	if err := checkJoinResponse(resp, name); err != nil {
		return nil, fmt.Errorf("joining %s as node %s: %w", o.API.Address, name, err)
	}
	st = &State{Coordinator: o.API.Address, Donor: resp.Donor, NodeName: resp.NodeName, Key: pub,
		NomadServers: resp.NomadServers, Datacenter: resp.Datacenter, Region: resp.Region, Meta: resp.Meta, Joined: o.now().UTC()}
	if st.NodeName == "" {
		st.NodeName = name
	}
	if err := st.save(o.DataDir); err != nil {
		return nil, fmt.Errorf("joined donor %s as node %s, but %s could not be written: %w", st.Donor, st.NodeName, statePath, err)
	}
	fmt.Fprintf(o.Out, "==> joined donor %s as node %s (key %s; recorded in %s)\n", st.Donor, st.NodeName, pub, statePath)
	return st, nil
}

// rejoin undoes the node's leave, if the coordinator recorded one, so
// that it takes jobs again (signed with the node key). left says the data
// dir recorded the leave: then a refusal is an error; otherwise the
// coordinator is only asked, and one that cannot be reached is a warning
// (the node starts; the Nomad servers may be up).
func (o *Options) rejoin(ctx context.Context, client *api.Client, st *State, key ed25519.PrivateKey, left bool) error {
	rctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	signer := &api.NodeSigner{NodeName: st.NodeName, Key: key, Now: o.Now}
	if !left {
		ls, err := client.NodeLeaveStatus(rctx, signer)
		if err != nil {
			fmt.Fprintf(o.Out, "==> warning: asking %s about node %s: %v\n", st.Coordinator, st.NodeName, err)
			return nil
		}
		if ls.Left.IsZero() {
			return nil
		}
		fmt.Fprintf(o.Out, "==> the coordinator recorded that node %s left at %s; joining again\n", st.NodeName, ls.Left.Local().Format(time.DateTime))
	}
	if _, err := client.NodeRejoin(rctx, signer); err != nil {
		return fmt.Errorf("joining node %s of donor %s again: %w (a new join token joins it: --join TOKEN, hpcbridge node join-token --donor %s)", st.NodeName, st.Donor, err, st.Donor)
	}
	st.Left = time.Time{}
	if err := st.save(o.DataDir); err != nil {
		return fmt.Errorf("node %s joined again, but %s could not be written: %w", st.NodeName, filepath.Join(o.DataDir, StateFile), err)
	}
	fmt.Fprintf(o.Out, "==> node %s joined donor %s again\n", st.NodeName, st.Donor)
	return nil
}

// sameCoordinator compares two coordinator addresses loosely (scheme and
// trailing slash aside).
func sameCoordinator(a, b string) error {
	norm := func(s string) string {
		if _, rest, ok := strings.Cut(s, "://"); ok {
			s = rest
		}
		return strings.TrimRight(s, "/")
	}
	if norm(a) != norm(b) {
		return fmt.Errorf("%s is not %s", a, b)
	}
	return nil
}

// nomadConfig is the Nomad client's configuration for st's node.
func (o *Options) nomadConfig(st *State, keyPath string) (nomadagent.Config, error) {
	meta := map[string]string{}
	maps.Copy(meta, st.Meta)
	maps.Copy(meta, o.GPUMeta)
	meta[MetaDonor] = st.Donor
	meta[MetaAgentVersion] = o.Version
	plugins := []nomadagent.Plugin{{Name: DriverPlugin, Config: map[string]any{
		"sandbox":       true,
		"sandbox_uids":  o.SandboxUIDs,
		"node_key_file": keyPath,
	}}}
	if o.GPU != nil {
		plugins = append(plugins, *o.GPU)
	}
	cfg := nomadagent.Config{
		Dir: filepath.Join(o.DataDir, NomadDir), Binary: o.NomadBinary, Name: st.NodeName,
		Region: st.Region, Datacenter: st.Datacenter, Meta: meta,
		PluginDir: o.PluginDir, Plugins: plugins, Drivers: []string{nomadexec.DriverName},
		MemoryMiB: o.MemoryMiB,
		// hpcbridge's sandboxed driver alone: Nomad's built-in ones (exec
		// runs a task as any local account but root, outside the sandbox)
		// would take tasks from anyone who reaches a Nomad API of the
		// federation, which a job does (no network isolation).
		ClientOptions: map[string]string{"driver.allowlist": nomadexec.DriverName},
	}
	// Jobs see the node's name as the host name (`uname -n`), as
	// SLURMD_NODENAME on a cluster: when it is not the machine's, Nomad
	// runs in a UTS namespace of that name (Linux, as root).
	if h, err := os.Hostname(); err == nil && h != st.NodeName && runtime.GOOS == "linux" && os.Geteuid() == 0 {
		cfg.Hostname = st.NodeName
	}
	if o.CPUs > 0 {
		cores, err := firstCPUs(o.CPUs)
		if err != nil {
			return cfg, err
		}
		cfg.ReservableCores = cores
	}
	return cfg, nil
}

// banner says what runs and where its files are, in one write.
func (o *Options) banner(st *State, a *nomadagent.Agent, keyPath string) {
	var b strings.Builder
	fmt.Fprintf(&b, "\nhpcbridge agent is running.\n")
	fmt.Fprintf(&b, "  Node:         %s (Nomad node %s), donor %s\n", st.NodeName, a.NodeID(), st.Donor)
	fmt.Fprintf(&b, "  Coordinator:  %s\n", st.Coordinator)
	fmt.Fprintf(&b, "  Nomad:        client %s joined %s (region %s, datacenter %s)\n", a.Addr(), strings.Join(st.NomadServers, ", "), a.Config().Region, a.Config().Datacenter)
	fmt.Fprintf(&b, "  Config:       %s\n", filepath.Join(a.Dir(), nomadagent.ConfigFile))
	fmt.Fprintf(&b, "  Log:          %s\n", a.LogPath())
	fmt.Fprintf(&b, "  Node key:     %s (%s)\n", keyPath, st.Key)
	fmt.Fprintf(&b, "  State:        %s\n", filepath.Join(o.DataDir, StateFile))
	fmt.Fprintf(&b, "  Jobs run:     sandboxed (a uid of their own from %s)\n", o.SandboxUIDs)
	var limits []string
	if c := a.Config().ReservableCores; c != "" {
		limits = append(limits, "cores "+c)
	}
	if o.MemoryMiB > 0 {
		limits = append(limits, fmt.Sprintf("%d MiB", o.MemoryMiB))
	}
	if len(limits) > 0 {
		fmt.Fprintf(&b, "  Offers:       %s\n", strings.Join(limits, ", "))
	}
	if o.GPU == nil {
		fmt.Fprintf(&b, "  GPUs:         none\n")
	} else {
		fake := ""
		if o.GPU.Config["backend"] == "fake" {
			fake = "  *** FAKE GPUs: go-nvml's mock, not real hardware ***"
		}
		fmt.Fprintf(&b, "  GPUs:         %s backend%s\n", o.GPU.Config["backend"], fake)
	}
	fmt.Fprintf(&b, "Ctrl-C or SIGTERM leaves: the node's jobs checkpoint and move elsewhere, then Nomad stops.\n")
	_, _ = io.WriteString(o.Out, b.String())
}

// leave reclaims the node (signed with its key), waits until its jobs are
// gone or the reclaim's deadline and stopGrace passed, and stops Nomad.
func (o *Options) leave(client *api.Client, st *State, key ed25519.PrivateKey, a *nomadagent.Agent) error {
	// More signals while leaving do not cut it short: scancel signals
	// every process of a pilot job, and its script forwards its own.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	fmt.Fprintf(o.Out, "==> leaving: the coordinator reclaims node %s; its jobs checkpoint and move elsewhere\n", st.NodeName)
	rctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	deadline, err := leaveNode(rctx, client, st.NodeName, key, o.LeaveDeadline, o.Now)
	cancel()
	if err != nil {
		fmt.Fprintf(o.Out, "==> the coordinator did not take the leave: %v\n", err)
		fmt.Fprintf(o.Out, "==> stopping Nomad: jobs still running here end with it and are requeued when the coordinator sees the node gone\n")
		if serr := a.Stop(); serr != nil {
			fmt.Fprintf(o.Out, "==> stopping Nomad: %v\n", serr)
		}
		return fmt.Errorf("leaving %s: %w", st.Coordinator, err)
	}
	st.Left = o.now().UTC()
	if err := st.save(o.DataDir); err != nil {
		fmt.Fprintf(o.Out, "==> recording the leave in %s: %v\n", filepath.Join(o.DataDir, StateFile), err)
	}
	until := deadline.Add(stopGrace)
	fmt.Fprintf(o.Out, "==> waiting for the node's jobs to end (their deadline %s; at most until %s)\n",
		deadline.Local().Format(time.TimeOnly), until.Local().Format(time.TimeOnly))
	wctx, cancel := context.WithDeadline(context.Background(), until)
	left, err := a.WaitNodeIdle(wctx, nomadexec.JobPrefix)
	cancel()
	switch {
	case err == nil:
		fmt.Fprintf(o.Out, "==> no job runs here any more\n")
	default:
		fmt.Fprintf(o.Out, "==> stopped waiting: %v; still running: %s\n", err, strings.Join(left, ", "))
	}
	fmt.Fprintf(o.Out, "==> stopping Nomad\n")
	if err := a.Stop(); err != nil {
		return fmt.Errorf("stopping Nomad: %w", err)
	}
	fmt.Fprintf(o.Out, "==> node %s left donor %s; started again on %s, the agent joins it again with its key\n", st.NodeName, st.Donor, o.DataDir)
	return nil
}

// firstCPUs is a cpuset list of the first n CPUs this process may run on
// (its affinity: inside a Slurm allocation, the allocation's CPUs), or ""
// when n is all of them.
func firstCPUs(n int) (string, error) {
	cpus, err := allowedCPUs()
	if err != nil {
		return "", fmt.Errorf("--cpus %d: reading the CPUs this process may use: %w", n, err)
	}
	if n > len(cpus) {
		return "", fmt.Errorf("%w: --cpus %d: this process may use only %d CPUs (%s)", ErrUsage, n, len(cpus), cpuList(cpus))
	}
	if n == len(cpus) {
		return "", nil // all of them: nothing to limit
	}
	return cpuList(cpus[:n]), nil
}

// cpuList writes sorted CPU ids as a cpuset list ("0-3,8").
func cpuList(cpus []int) string {
	cpus = slices.Clone(cpus)
	slices.Sort(cpus)
	var parts []string
	for i := 0; i < len(cpus); {
		j := i
		for j+1 < len(cpus) && cpus[j+1] == cpus[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, fmt.Sprint(cpus[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", cpus[i], cpus[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}
