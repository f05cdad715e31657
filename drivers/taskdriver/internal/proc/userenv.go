package proc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// EnvGetUserEnv, set to 1 in a batch job's environment (sbatch does so for
// --export other than ALL), asks for the user's login environment under
// the job's, as slurmd does.
const EnvGetUserEnv = "SLURM_GET_USER_ENV"

// EnvPathPrefix carries, from the driver to the exec trampoline, the
// directory to put in front of the login environment's PATH (where srun
// is) for a job whose submitter sent no PATH. The job never sees it.
const EnvPathPrefix = "HPCBRIDGE_LOGIN_PATH_PREFIX"

// defaultPath is a PATH for a job that has none at all.
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// userEnvTimeout is how long a batch job's login shell may take: slurmd
// gives it 120 s (its _get_user_env: "Permit up to 120 second delay"),
// whatever --get-user-env's own timeout, whose 8 s default applies where
// sbatch itself reads the environment. A slow profile (one that waits on a
// lock, or a network home) must not cost the job its environment sooner
// than it would under Slurm.
const userEnvTimeout = 120 * time.Second

// userEnvMarker separates what the login shell's profile printed from the
// environment dump.
const userEnvMarker = "__HPCBRIDGE_USER_ENV__"

// WithUserEnv returns env under the user's login environment when env asks
// for it (SLURM_GET_USER_ENV=1): slurmd runs `su - USER -c env` and merges
// the job's environment over the result, so the job gets HOME, SHELL,
// MAIL, the PATH of the user's profile and whatever else it sets, unless
// the submitter sent them. The caller must already run as the job's user
// (never root for another user's job): the login shell runs the user's
// own profile. When the shell fails or takes longer than 120 s, the job runs
// with env alone and a line on errw says so.
func WithUserEnv(env []string, errw io.Writer, node string) []string {
	return withUserEnv(env, errw, node, loginEnv)
}

// withUserEnv is WithUserEnv with the login environment from login.
func withUserEnv(env []string, errw io.Writer, node string, login func() ([]string, error)) []string {
	prefix := lookup(env, EnvPathPrefix)
	if prefix != "" {
		env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, EnvPathPrefix+"=") })
	}
	var loginVars []string
	if lookup(env, EnvGetUserEnv) == "1" {
		var err error
		if loginVars, err = login(); err != nil {
			fmt.Fprintf(errw, "%s: error: Unable to get user's local environment (%v), running only with passed environment\n", StepdName(node), err)
		}
	}
	if prefix != "" {
		path := lookup(loginVars, "PATH")
		if path == "" {
			path = defaultPath
		}
		env = append(env, "PATH="+prefix+":"+path)
	}
	if len(loginVars) == 0 {
		return env
	}
	merged := make([]string, 0, len(loginVars)+len(env))
	have := map[string]bool{}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		have[k] = true
	}
	for _, kv := range loginVars {
		if k, _, _ := strings.Cut(kv, "="); !have[k] {
			merged = append(merged, kv)
		}
	}
	return append(merged, env...)
}

// loginEnv runs this user's login shell with the environment su - gives
// it and returns the environment it ends with.
func loginEnv() ([]string, error) {
	a, err := currentAccount()
	if err != nil {
		return nil, err
	}
	return runLoginShell(a, userEnvTimeout)
}

// currentAccount is the account the trampoline runs as (a variable so that
// tests log in to an account of their own instead of the host's profile).
var currentAccount = func() (loginAccount, error) {
	u, err := user.Current()
	if err != nil {
		return loginAccount{}, err
	}
	return loginAccount{uid: u.Uid, name: u.Username, home: u.HomeDir, shell: loginShell(u.Uid)}, nil
}

// loginAccount is who the login shell runs for.
type loginAccount struct{ uid, name, home, shell string }

// loginGrace is how long a login shell past its time has, after SIGTERM,
// to run its exit traps before what is left of its process group is
// killed. A profile that takes locks (pyenv's rehash does, with a file it
// removes in an EXIT trap) would otherwise leave them held for ever, and
// every later login of that user would wait on them.
const loginGrace = 2 * time.Second

// runLoginShell runs a.shell as a login shell (argv[0] "-sh") in a's home
// and returns the environment it ends with; past timeout it is stopped
// (SIGTERM to its process group, SIGKILL after loginGrace) and the error
// says so.
func runLoginShell(a loginAccount, timeout time.Duration) ([]string, error) {
	path := "/usr/local/bin:/bin:/usr/bin"
	if a.uid == "0" {
		path = "/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin"
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.shell)
	cmd.Args = []string{"-" + filepath.Base(a.shell), "-c", "printf '\\n%s\\n' " + userEnvMarker + "; exec env -0"}
	cmd.Env = []string{"HOME=" + a.home, "SHELL=" + a.shell, "USER=" + a.name, "LOGNAME=" + a.name,
		"PATH=" + path, "MAIL=/var/mail/" + a.name}
	cmd.Dir = a.home
	if fi, err := os.Stat(a.home); err != nil || !fi.IsDir() {
		cmd.Dir = "/"
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = loginGrace
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	if ctx.Err() != nil && cmd.Process != nil {
		// The shell is gone; its children had SIGTERM with it and may
		// still be in their exit traps. Give them the grace, then kill
		// what is left.
		reapGroup(cmd.Process.Pid, loginGrace)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s -c env took longer than %v", a.shell, timeout)
		}
		return nil, fmt.Errorf("%s -c env: %w", a.shell, err)
	}
	_, dump, ok := bytes.Cut(out.Bytes(), []byte("\n"+userEnvMarker+"\n"))
	if !ok {
		return nil, fmt.Errorf("%s -c env printed no environment", a.shell)
	}
	var env []string
	for _, kv := range bytes.Split(dump, []byte{0}) {
		if bytes.IndexByte(kv, '=') > 0 {
			env = append(env, string(kv))
		}
	}
	return env, nil
}

// reapGroup waits up to grace for process group pgid to empty, then
// SIGKILLs whatever is still in it.
func reapGroup(pgid int, grace time.Duration) {
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if syscall.Kill(-pgid, 0) != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// loginShell is uid's shell from the passwd database (getent, so that
// directory services count; the job's PATH may be empty, so it is looked
// for in the usual places), /bin/sh when it names none.
func loginShell(uid string) string {
	if _, err := strconv.Atoi(uid); err != nil {
		return "/bin/sh"
	}
	for _, getent := range []string{"/usr/bin/getent", "/bin/getent"} {
		out, err := exec.Command(getent, "passwd", uid).Output()
		if err != nil {
			continue
		}
		f := strings.Split(strings.TrimSpace(string(out)), ":")
		if len(f) >= 7 && f[6] != "" {
			return f[6]
		}
		break
	}
	return "/bin/sh"
}

// lookup returns the value of key in env ("" when unset).
func lookup(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}
