package proc

import (
	"bytes"
	"os"
	"os/user"
	"slices"
	"strings"
	"testing"
)

// TestWithUserEnv: with SLURM_GET_USER_ENV=1 the job's environment goes
// over the user's login environment (the job's values win); without it,
// nothing changes.
func TestWithUserEnv(t *testing.T) {
	env := []string{"PATH=/job/bin", "FOO=bar", "SLURM_JOB_ID=7"}
	var errs bytes.Buffer
	if got := WithUserEnv(env, &errs, "n1"); !slices.Equal(got, env) || errs.Len() != 0 {
		t.Errorf("without SLURM_GET_USER_ENV: %q, %q", got, errs.String())
	}
	u, err := user.Current()
	if err != nil {
		t.Skipf("no passwd entry for this user: %v", err)
	}
	shell := passwdShell(t, u.Uid)
	if !strings.HasSuffix(shell, "sh") || strings.HasSuffix(shell, "nologin") {
		t.Skipf("this user's shell %s is not a login shell", shell)
	}
	// The trampoline runs with the job's environment, which may have no
	// PATH at all (--export=NONE).
	t.Setenv("PATH", "")
	env = append(env, EnvGetUserEnv+"=1")
	got := WithUserEnv(env, &errs, "n1")
	if errs.Len() != 0 {
		t.Fatalf("error: %s", errs.String())
	}
	if lookup(got, "PATH") != "/job/bin" || lookup(got, "FOO") != "bar" {
		t.Errorf("the job's values must win: PATH=%q FOO=%q", lookup(got, "PATH"), lookup(got, "FOO"))
	}
	// A job without a PATH of its own gets the login PATH behind srun's
	// directory; the carrier variable is gone.
	noPath := WithUserEnv([]string{EnvGetUserEnv + "=1", EnvPathPrefix + "=/task/bin"}, &errs, "n1")
	if p := lookup(noPath, "PATH"); !strings.HasPrefix(p, "/task/bin:") || p == "/task/bin:"+defaultPath || lookup(noPath, EnvPathPrefix) != "" {
		t.Errorf("PATH=%q (login PATH expected behind /task/bin), %s=%q", p, EnvPathPrefix, lookup(noPath, EnvPathPrefix))
	}
	for k, want := range map[string]string{"USER": u.Username, "LOGNAME": u.Username, "HOME": u.HomeDir, "SHELL": shell, "MAIL": "/var/mail/" + u.Username} {
		if lookup(got, k) != want {
			t.Errorf("%s=%q from the login environment, want %q", k, lookup(got, k), want)
		}
	}
}

// passwdShell is uid's shell in /etc/passwd (the test skips without one).
func passwdShell(t *testing.T, uid string) string {
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Split(line, ":"); len(f) >= 7 && f[2] == uid {
			return f[6]
		}
	}
	t.Skipf("uid %s is not in /etc/passwd", uid)
	return ""
}
