package proc

import (
	"bytes"
	"os"
	"os/user"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestWithUserEnv: with SLURM_GET_USER_ENV=1 the job's environment goes
// over the user's login environment (the job's values win); without it,
// nothing changes. The login is to an account whose home and profile are
// the test's: the host's own profile (root's runs pyenv on some machines)
// is never read.
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
	const shell = "/bin/bash"
	if _, err := os.Stat(shell); err != nil {
		t.Skip("no /bin/bash")
	}
	home := t.TempDir()
	profile := "export FROM_PROFILE=1\nPATH=/usr/local/bin:/usr/bin:/bin:$HOME/bin\n"
	if err := os.WriteFile(home+"/.profile", []byte(profile), 0o644); err != nil {
		t.Fatal(err)
	}
	saved := currentAccount
	t.Cleanup(func() { currentAccount = saved })
	currentAccount = func() (loginAccount, error) {
		return loginAccount{uid: u.Uid, name: u.Username, home: home, shell: shell}, nil
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
	if p, want := lookup(noPath, "PATH"), "/task/bin:/usr/local/bin:/usr/bin:/bin:"+home+"/bin"; p != want || lookup(noPath, EnvPathPrefix) != "" {
		t.Errorf("PATH=%q, want %q (the profile's behind /task/bin), %s=%q", p, want, EnvPathPrefix, lookup(noPath, EnvPathPrefix))
	}
	for k, want := range map[string]string{"USER": u.Username, "LOGNAME": u.Username, "HOME": home, "SHELL": shell,
		"MAIL": "/var/mail/" + u.Username, "FROM_PROFILE": "1"} {
		if lookup(got, k) != want {
			t.Errorf("%s=%q from the login environment, want %q", k, lookup(got, k), want)
		}
	}
}

// TestLoginShellPastTimeLetsTrapsRun: a login shell past its time is
// stopped with SIGTERM first, so a lock its profile took in a child (as
// pyenv's rehash does, removing it in an EXIT trap) is released. Killed
// outright, the lock stayed, and every later login of that user waited
// 60 s on it: the 8 s timeout then failed every --export=NONE job.
func TestLoginShellPastTimeLetsTrapsRun(t *testing.T) {
	bash := "/bin/bash"
	if _, err := os.Stat(bash); err != nil {
		t.Skip("no /bin/bash")
	}
	home := t.TempDir()
	lock := home + "/lock"
	profile := `bash -c 'trap "rm -f \"$HOME/lock\"" EXIT; : > "$HOME/lock"; : > "$HOME/locked"; sleep 30'` + "\n"
	if err := os.WriteFile(home+"/.profile", []byte(profile), 0o644); err != nil {
		t.Fatal(err)
	}
	u, err := user.Current()
	if err != nil {
		t.Skip(err)
	}
	_, err = runLoginShell(loginAccount{uid: u.Uid, name: u.Username, home: home, shell: bash}, time.Second)
	if err == nil || !strings.Contains(err.Error(), "took longer than 1s") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if _, err := os.Stat(home + "/locked"); err != nil {
		t.Fatalf("the profile never took its lock: %v", err)
	}
	if _, err := os.Stat(lock); err == nil {
		t.Fatal("the profile's lock is still there: its EXIT trap never ran")
	}
}

// TestLoginShellEnvironment: the environment a login shell ends with,
// from a profile of the test's own (the host's profile is not the test's).
func TestLoginShellEnvironment(t *testing.T) {
	bash := "/bin/bash"
	if _, err := os.Stat(bash); err != nil {
		t.Skip("no /bin/bash")
	}
	home := t.TempDir()
	if err := os.WriteFile(home+"/.profile", []byte("echo chatter\nexport FROM_PROFILE=yes\nexport PATH=\"$HOME/bin:$PATH\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	u, err := user.Current()
	if err != nil {
		t.Skip(err)
	}
	env, err := runLoginShell(loginAccount{uid: u.Uid, name: u.Username, home: home, shell: bash}, 8*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if lookup(env, "FROM_PROFILE") != "yes" || !strings.HasPrefix(lookup(env, "PATH"), home+"/bin:") || lookup(env, "HOME") != home {
		t.Errorf("FROM_PROFILE=%q PATH=%q HOME=%q", lookup(env, "FROM_PROFILE"), lookup(env, "PATH"), lookup(env, "HOME"))
	}
	for _, kv := range env {
		if strings.Contains(kv, "chatter") {
			t.Errorf("the profile's output leaked into the environment: %q", kv)
		}
	}
}
