package taskdriver

import (
	"errors"
	"fmt"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/drivers/taskdriver/internal/jobdir"
	"github.com/hpcbridge/hpcbridge/internal/taskspec"
)

// Run-as policies: who a node runs jobs as (plugin config run_as).
const (
	// RunAsSubmitter runs a job as its submitter's local account (the
	// Nomad task's user, which the coordinator sets from the job's owner):
	// the node shares accounts with the submit host, as under Slurm.
	RunAsSubmitter = "submitter"
	// RunAsPool runs each job as an unprivileged uid of its own from
	// PoolUIDs, never shared by two running jobs, with no passwd entry
	// needed; its files and processes are cleaned after the job.
	RunAsPool = "pool"
)

// Defaults of the plugin configuration.
const (
	DefaultRunAs    = RunAsPool
	DefaultPoolUIDs = "62000-62099"
	DefaultPoolDir  = "/var/lib/hpcbridge-driver/pool"
	// DefaultSandboxUIDs are a sandboxed node's dynamic uids (systemd's
	// DynamicUser range, which no distribution gives to accounts).
	DefaultSandboxUIDs = "61184-65519"
	// DefaultSandboxPids bounds a sandboxed job's processes and threads.
	DefaultSandboxPids = 4096
)

// Config is the plugin configuration, from the agent's
// `plugin "hpcbridge-driver" { config { ... } }` block.
type Config struct {
	// RunAs is the node's run-as policy: RunAsSubmitter or RunAsPool
	// (default: pool, the safe choice for a donor's machine).
	RunAs string `codec:"run_as"`
	// PoolUIDs is the pool's uid range, "FIRST-LAST" (pool only). Each
	// job gets uid and gid N. Uids that have a passwd entry or a running
	// process are skipped.
	PoolUIDs string `codec:"pool_uids"`
	// PoolDir is where the pool's leases are kept (one root-owned file
	// per uid in use), so that a restarted plugin, or another plugin on
	// the same machine, never hands out a uid in use.
	PoolDir string `codec:"pool_dir"`
	// AllowRoot permits a job to run as root (a submitter whose account
	// is root). Off by default: a donor's machine must not run strangers'
	// code as root.
	AllowRoot bool `codec:"allow_root"`
	// DonationConfig: when the node is lent (windows.go).
	DonationConfig
	// NodeKeyFile is the node's ed25519 receipt key (created on first
	// use, 0600; default DefaultNodeKeyFile). Keep it out of every
	// directory a job can reach.
	NodeKeyFile string `codec:"node_key_file"`
	// Sandbox runs every job isolated, for donor nodes (sandbox.go): a
	// dynamic uid from SandboxUIDs (never a local account), a private
	// mount namespace, enforced cgroup limits, a /dev with only its own
	// GPUs. It implies run_as = "pool".
	Sandbox bool `codec:"sandbox"`
	// SandboxUIDs is the dynamic uid range of a sandboxed node (it
	// replaces pool_uids there); default DefaultSandboxUIDs.
	SandboxUIDs string `codec:"sandbox_uids"`
	// SandboxPidsMax bounds each sandboxed job's tasks (pids.max);
	// default DefaultSandboxPids.
	SandboxPidsMax int64 `codec:"sandbox_pids_max"`
}

// normalize fills in defaults and checks the configuration.
func (c Config) normalize() (Config, error) {
	if c.RunAs == "" {
		c.RunAs = DefaultRunAs
	}
	if c.PoolUIDs == "" {
		c.PoolUIDs = DefaultPoolUIDs
	}
	if c.PoolDir == "" {
		c.PoolDir = DefaultPoolDir
	}
	if c.NodeKeyFile == "" {
		c.NodeKeyFile = DefaultNodeKeyFile
	}
	if err := c.checkDonation(); err != nil {
		return c, err
	}
	if c.SandboxUIDs == "" {
		c.SandboxUIDs = DefaultSandboxUIDs
	}
	if c.SandboxPidsMax == 0 {
		c.SandboxPidsMax = DefaultSandboxPids
	}
	if c.Sandbox {
		if c.RunAs == RunAsSubmitter {
			return c, fmt.Errorf("sandbox = true runs every job as a dynamic uid, never a local account: run_as %q is not allowed with it (leave run_as out, or set it to %q)", c.RunAs, RunAsPool)
		}
		if c.SandboxPidsMax < 64 || c.SandboxPidsMax > 1<<22 {
			return c, fmt.Errorf("sandbox_pids_max %d: want 64 to %d", c.SandboxPidsMax, 1<<22)
		}
		if _, _, err := parseUIDRange(c.SandboxUIDs); err != nil {
			return c, fmt.Errorf("sandbox_uids: %w", err)
		}
		c.PoolUIDs = c.SandboxUIDs
	}
	switch c.RunAs {
	case RunAsSubmitter:
	case RunAsPool:
		if _, _, err := parseUIDRange(c.PoolUIDs); err != nil {
			return c, err
		}
		if !filepath.IsAbs(c.PoolDir) {
			return c, fmt.Errorf("pool_dir %q must be an absolute path", c.PoolDir)
		}
	default:
		return c, fmt.Errorf("run_as %q: want %q or %q", c.RunAs, RunAsSubmitter, RunAsPool)
	}
	return c, nil
}

// parseUIDRange reads "FIRST-LAST": unprivileged uids (1000 and up, below
// 2^31-1), FIRST <= LAST.
func parseUIDRange(s string) (first, last int, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return 0, 0, fmt.Errorf("pool_uids %q: want FIRST-LAST, e.g. %q", s, DefaultPoolUIDs)
	}
	first, err1 := strconv.Atoi(strings.TrimSpace(a))
	last, err2 := strconv.Atoi(strings.TrimSpace(b))
	switch {
	case err1 != nil || err2 != nil:
		return 0, 0, fmt.Errorf("pool_uids %q: want FIRST-LAST, e.g. %q", s, DefaultPoolUIDs)
	case first < 1000 || last >= 1<<31-1:
		return 0, 0, fmt.Errorf("pool_uids %q: uids must be between 1000 and 2147483646 (system accounts are below 1000)", s)
	case first > last:
		return 0, 0, fmt.Errorf("pool_uids %q: the first uid is above the last", s)
	}
	return first, last, nil
}

// TaskConfig is a task's `config` block, filled by the coordinator: the
// fields and codec tags of taskspec.Config, the contract both sides share
// (docs/driver.md), with the driver's validation.
type TaskConfig taskspec.Config

// reservedNames cannot be the script's name: they are the task
// directory's own entries.
var reservedNames = map[string]bool{
	jobdir.DirName: true, "local": true, "secrets": true, "tmp": true,
	"private": true, "alloc": true, "executor.out": true,
}

func (tc *TaskConfig) validate() error {
	var errs []error
	if strings.TrimSpace(tc.Script) == "" {
		errs = append(errs, errors.New("script is empty"))
	}
	if tc.ScriptName == "" {
		tc.ScriptName = "slurm_script"
	}
	if n := tc.ScriptName; strings.ContainsRune(n, '/') || n == "." || n == ".." || reservedNames[n] {
		errs = append(errs, fmt.Errorf("script_name %q must be a plain file name other than %s", n, reservedList()))
	}
	if tc.Workdir != "" && !filepath.IsAbs(tc.Workdir) {
		errs = append(errs, fmt.Errorf("workdir %q must be an absolute path", tc.Workdir))
	}
	switch strings.ToLower(tc.OpenMode) {
	case "", "truncate", "t":
		tc.OpenMode = "truncate"
	case "append", "a":
		tc.OpenMode = "append"
	default:
		errs = append(errs, fmt.Errorf("open_mode %q: want truncate or append", tc.OpenMode))
	}
	if tc.TimeLimitMin < 0 {
		errs = append(errs, fmt.Errorf("time_limit_min %d is negative (0 means no limit)", tc.TimeLimitMin))
	}
	return errors.Join(errs...)
}

func reservedList() string {
	names := make([]string, 0, len(reservedNames))
	for n := range reservedNames {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// account is the identity a job runs as.
type account struct {
	name     string
	uid, gid int
	groups   []int
	home     string
	// pool is set for a pool uid (no passwd entry; leased per job).
	pool bool
}

// lookupAccount resolves name to its ids and groups.
func lookupAccount(name string) (account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		var unknown user.UnknownUserError
		if errors.As(err, &unknown) {
			return account{}, fmt.Errorf("user %q does not exist on this node (run_as = %q: jobs run as their submitter's local account)", name, RunAsSubmitter)
		}
		return account{}, fmt.Errorf("user %q: %w", name, err)
	}
	a := account{name: u.Username, home: u.HomeDir}
	if a.uid, err = strconv.Atoi(u.Uid); err != nil {
		return account{}, fmt.Errorf("user %q: uid %q: %w", name, u.Uid, err)
	}
	if a.gid, err = strconv.Atoi(u.Gid); err != nil {
		return account{}, fmt.Errorf("user %q: gid %q: %w", name, u.Gid, err)
	}
	gids, err := u.GroupIds()
	if err != nil {
		return account{}, fmt.Errorf("user %q: groups: %w", name, err)
	}
	for _, g := range gids {
		if n, err := strconv.Atoi(g); err == nil {
			a.groups = append(a.groups, n)
		}
	}
	return a, nil
}

// submitter is the account of a job on a run_as = submitter node: the
// task's user, which the coordinator sets from the job's owner (never from
// the request body of a non-management token). Root needs allow_root.
func (c Config) submitter(taskUser string) (account, error) {
	if taskUser == "" {
		return account{}, fmt.Errorf("the task names no user: this node runs jobs as their submitter (run_as = %q), and the coordinator sets the task's user to the job's owner", RunAsSubmitter)
	}
	a, err := lookupAccount(taskUser)
	if err != nil {
		return account{}, err
	}
	if a.uid == 0 && !c.AllowRoot {
		return account{}, fmt.Errorf("user %q is root: this node does not run jobs as root (allow_root = false in the hpcbridge driver's plugin config)", taskUser)
	}
	return a, nil
}
