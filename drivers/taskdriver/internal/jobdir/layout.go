// Package jobdir is the contract between the hpcbridge task driver's
// personalities about the files of one job in its Nomad task directory:
// where they are, who owns them, and what is written in them.
//
//	<alloc dir>/
//	  <task>/               the task directory (run-as user, 0700)
//	    slurm_script        the batch script (run-as user, 0700; name from script_name)
//	  hpcbridge/            root, 0755
//	    <task>/             root, 0755
//	      bin/srun          the plugin binary under the name srun (on the job's PATH)
//	      ctl/              root, 0700: stepd.json (stepd's config, with the job's
//	                        environment), req-*.json (signal and stop requests from
//	                        the driver), result.json, executor.out
//	      steps/            run-as user, 0700: the step counter and one file per
//	                        running srun step (written by srun)
//
// The driver's own directory is beside the task directory, not in it: the
// job's user may write the task directory (and rename anything in it), so
// root only ever works by path below directories that root owns and the job
// cannot change. The driver (root) writes ctl/, the stepd shim (root) reads
// it; srun runs as the job's user and only writes steps/, whose contents
// stepd treats as untrusted (see Steps).
package jobdir

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Layout names the files of one job below its task directory.
type Layout struct {
	// TaskDir is the Nomad task directory (TaskConfig.TaskDir().Dir).
	TaskDir string
}

// DirName is the name of the driver's own directory in the task directory.
const DirName = "hpcbridge"

// EnvStepsDir is the environment variable that tells srun where the job's
// steps directory is.
const EnvStepsDir = "HPCBRIDGE_STEPS_DIR"

// Dir is the driver's directory for the task (root, 0755), in the Nomad
// alloc directory (root's) beside the task directory.
func (l Layout) Dir() string {
	return filepath.Join(filepath.Dir(l.TaskDir), DirName, filepath.Base(l.TaskDir))
}

// ExecutorLog is Nomad's executor log (root's, never in a directory the
// job can write: the executor opens it as root).
func (l Layout) ExecutorLog() string { return filepath.Join(l.CtlDir(), "executor.out") }

// BinDir holds srun; it is put first on the job's PATH.
func (l Layout) BinDir() string { return filepath.Join(l.Dir(), "bin") }

// Srun is the srun command (a link to, or copy of, the plugin binary).
func (l Layout) Srun() string { return filepath.Join(l.BinDir(), "srun") }

// CtlDir is the root-only control directory.
func (l Layout) CtlDir() string { return filepath.Join(l.Dir(), "ctl") }

// StepdConfig is the stepd shim's configuration file.
func (l Layout) StepdConfig() string { return filepath.Join(l.CtlDir(), "stepd.json") }

// ResultFile is where stepd records how the batch script ended.
func (l Layout) ResultFile() string { return filepath.Join(l.CtlDir(), "result.json") }

// StepsDir is srun's directory (owned by the run-as user).
func (l Layout) StepsDir() string { return filepath.Join(l.Dir(), "steps") }

// SandboxRoot is the empty directory a sandboxed job's root is mounted
// on (in the trampoline's own mount namespace).
func (l Layout) SandboxRoot() string { return filepath.Join(l.Dir(), "root") }

// SandboxTmp and SandboxShm are a sandboxed job's /tmp and /dev/shm
// (run-as user, 0700; shared by the batch script and its steps).
func (l Layout) SandboxTmp() string { return filepath.Join(l.Dir(), "tmp") }

// SandboxShm: see SandboxTmp.
func (l Layout) SandboxShm() string { return filepath.Join(l.Dir(), "shm") }

// PrepareSandbox creates the sandbox's directories (after Prepare). A
// previous run's /tmp and /dev/shm are removed.
func (l Layout) PrepareSandbox(uid, gid int) error {
	for _, p := range []string{l.SandboxTmp(), l.SandboxShm()} {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("remove stale %s: %w", p, err)
		}
	}
	for _, d := range []struct {
		path     string
		mode     os.FileMode
		uid, gid int
	}{
		{l.SandboxRoot(), 0o755, 0, 0},
		{l.SandboxTmp(), 0o700, uid, gid},
		{l.SandboxShm(), 0o700, uid, gid},
	} {
		if err := mkdirOwned(d.path, d.mode, d.uid, d.gid); err != nil {
			return err
		}
	}
	return nil
}

// Prepare creates the directories with their owners and modes; uid and gid
// are the run-as user's. A task that Nomad restarts in the same allocation
// reuses its task directory: Prepare then fixes owners and modes and drops
// the previous run's requests, result and steps (step ids start again at 0,
// as after a Slurm requeue).
func (l Layout) Prepare(uid, gid int) error {
	dirs := []struct {
		path     string
		mode     os.FileMode
		uid, gid int
	}{
		{filepath.Dir(l.Dir()), 0o755, 0, 0},
		{l.Dir(), 0o755, 0, 0},
		{l.BinDir(), 0o755, 0, 0},
		{l.CtlDir(), 0o700, 0, 0},
		{l.StepsDir(), 0o700, uid, gid},
	}
	for _, d := range dirs {
		if err := mkdirOwned(d.path, d.mode, d.uid, d.gid); err != nil {
			return err
		}
	}
	for _, pattern := range []string{
		filepath.Join(l.CtlDir(), "*"),
		filepath.Join(l.StepsDir(), "*"),
	} {
		stale, _ := filepath.Glob(pattern)
		for _, p := range stale {
			if err := os.RemoveAll(p); err != nil {
				return fmt.Errorf("remove stale %s: %w", p, err)
			}
		}
	}
	return nil
}

// mkdirOwned makes path a directory with the given mode and owner. The
// task directory is writable by the job's user, so after a restart path
// may be anything the previous run left there (a symbolic link, a
// directory of the user's): whatever is not a plain directory owned by uid
// is removed first, never followed.
func mkdirOwned(path string, mode os.FileMode, uid, gid int) error {
	if fi, err := os.Lstat(path); err == nil {
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !fi.IsDir() || !ok || int(st.Uid) != uid {
			if err := os.RemoveAll(path); err != nil {
				return fmt.Errorf("remove unexpected %s: %w", path, err)
			}
		}
	}
	if err := os.Mkdir(path, mode); err != nil && !os.IsExist(err) {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := os.Lchown(path, uid, gid); err != nil {
		return fmt.Errorf("chown %s: %w", path, err)
	}
	if err := os.Chmod(path, mode); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	return nil
}
