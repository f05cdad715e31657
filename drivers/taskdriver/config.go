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
)

// Config is the plugin configuration, from the agent's
// `plugin "hpcbridge-driver" { config { ... } }` block.
type Config struct {
	// User is the local account every job runs as (default "nobody").
	User string `codec:"user"`
	// AllowRoot permits User (or a task's user) to be root. Off by
	// default: a donor's machine must not run strangers' code as root.
	AllowRoot bool `codec:"allow_root"`
}

// TaskConfig is a task's `config` block, filled by the coordinator; see
// docs/driver.md for the contract.
type TaskConfig struct {
	// Script is the batch script's text.
	Script string `codec:"script"`
	// ScriptName is the script's file name in the task directory
	// (default slurm_script, as slurmd names it); $0 in the script.
	ScriptName string `codec:"script_name"`
	// Args are the script's arguments.
	Args []string `codec:"args"`
	// Workdir is where the script runs (--chdir, else the submit
	// directory); absolute. Empty: SLURM_SUBMIT_DIR, else the task dir.
	Workdir string `codec:"workdir"`
	// Output, Error and Input are Slurm file name patterns (%j, %x,
	// ...), relative to the working directory. Empty Output:
	// slurm-%j.out (slurm-%A_%a.out for an array task); empty Error:
	// the output file; empty Input: /dev/null.
	Output string `codec:"output"`
	Error  string `codec:"error"`
	Input  string `codec:"input"`
	// OpenMode is "truncate" (default) or "append" (also "t"/"a").
	OpenMode string `codec:"open_mode"`
	// TimeLimitMin is the time limit in minutes (0: none); it sets
	// SLURM_JOB_END_TIME and names a stop at the limit as Slurm does.
	TimeLimitMin int64 `codec:"time_limit_min"`
}

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

// account is the run-as user.
type account struct {
	name     string
	uid, gid int
	groups   []int
	home     string
}

// lookupAccount resolves name to its ids and groups.
func lookupAccount(name string) (account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return account{}, fmt.Errorf("run-as user %q: %w", name, err)
	}
	a := account{name: u.Username, home: u.HomeDir}
	if a.uid, err = strconv.Atoi(u.Uid); err != nil {
		return account{}, fmt.Errorf("run-as user %q: uid %q: %w", name, u.Uid, err)
	}
	if a.gid, err = strconv.Atoi(u.Gid); err != nil {
		return account{}, fmt.Errorf("run-as user %q: gid %q: %w", name, u.Gid, err)
	}
	gids, err := u.GroupIds()
	if err != nil {
		return account{}, fmt.Errorf("run-as user %q: groups: %w", name, err)
	}
	for _, g := range gids {
		if n, err := strconv.Atoi(g); err == nil {
			a.groups = append(a.groups, n)
		}
	}
	return a, nil
}

// runAs picks and checks the account a task runs as: the plugin's user; a
// task may name the same user (Nomad's task `user`) but no other, so that
// donors decide which local account runs strangers' jobs. Root needs
// allow_root.
func (c Config) runAs(taskUser string) (account, error) {
	name := c.User
	if name == "" {
		name = "nobody"
	}
	if taskUser != "" && taskUser != name {
		return account{}, fmt.Errorf("task user %q: this node runs hpcbridge jobs as %q only (plugin config user)", taskUser, name)
	}
	a, err := lookupAccount(name)
	if err != nil {
		return account{}, err
	}
	if a.uid == 0 && !c.AllowRoot {
		return account{}, fmt.Errorf("run-as user %q is root: refused (set allow_root = true in the plugin config to permit it)", name)
	}
	return a, nil
}
