package runtimediff

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/roottest"
)

// userLogin is the value of a scenario's `user` line that runs it as the
// test's login user.
const userLogin = "login"

// loginProfile is the login user's ~/.profile: a PATH of its own and a
// variable that shows, in a job's environment, that the profile ran.
// Nothing in it waits on anything: a job's login shell has 8 s on both
// sides, and root's profile on a shared machine (pyenv's rehash takes a
// machine-wide lock) made the comparison depend on the host.
const loginProfile = "PATH=/usr/local/bin:/usr/bin:/bin:$HOME/bin\nexport PATH\nFROM_PROFILE=1\nexport FROM_PROFILE\n"

// loginShell is the login user's shell.
const loginShell = "/bin/bash"

// loginUser is the local account that the scenarios whose jobs run a
// login shell (--export other than ALL) run as: created for the test,
// with a bash login shell and loginProfile, so that both clusters' jobs
// read a known profile rather than root's.
type loginUser struct {
	name, home string
	uid, gid   int
	// bin holds hpcbridge and its Slurm command links, in a directory
	// the user may execute (the test's temporary directories are 0700).
	bin string
}

// newLoginUser creates the login user (useradd, removed with userdel when
// the test ends) and its home with loginProfile.
func newLoginUser(t *testing.T) *loginUser {
	t.Helper()
	for _, tool := range []string{"useradd", "userdel"} {
		roottest.Tool(t, tool, "creating the login user of the scenarios that run a login shell")
	}
	base, err := os.MkdirTemp("", "hpcbridge-rtdiff-user-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	u := &loginUser{name: fmt.Sprintf("hbrt%d", os.Getpid()%1000000), bin: filepath.Join(base, "bin")}
	u.home = filepath.Join(base, u.name)
	// -M: no /etc/skel, whose profile would be the host's; the home
	// gets loginProfile alone.
	if out, err := exec.Command("useradd", "-M", "-d", u.home, "-s", loginShell, "-U", u.name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v\n%s", u.name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", u.name).CombinedOutput(); err != nil {
			t.Logf("userdel %s: %v\n%s", u.name, err, out)
		}
	})
	pw, err := user.Lookup(u.name)
	if err != nil {
		t.Fatal(err)
	}
	u.uid, _ = strconv.Atoi(pw.Uid)
	u.gid, _ = strconv.Atoi(pw.Gid)
	if err := os.Mkdir(u.home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(u.home, ".profile"), []byte(loginProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := u.own(u.home); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(u.bin, 0o755); err != nil {
		t.Fatal(err)
	}
	return u
}

// link puts hpcbridge of binDir, and its Slurm command links, where the
// user may execute them.
func (u *loginUser) link(t *testing.T, binDir string) {
	t.Helper()
	if err := linkOrCopy(filepath.Join(binDir, "hpcbridge"), filepath.Join(u.bin, "hpcbridge")); err != nil {
		t.Fatal(err)
	}
	for _, name := range slurmCommands {
		if err := os.Symlink("hpcbridge", filepath.Join(u.bin, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// own gives everything under dir to the user.
func (u *loginUser) own(dir string) error {
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, u.uid, u.gid)
	})
}

// env is the user's own environment, as a login gives it, for the
// commands a scenario runs as the user (none of the test's, which is
// root's).
func (u *loginUser) env() []string {
	return []string{"HOME=" + u.home, "USER=" + u.name, "LOGNAME=" + u.name, "SHELL=" + loginShell,
		"PATH=/usr/local/bin:/usr/bin:/bin"}
}

// credential runs a command as the user.
func (u *loginUser) credential() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(u.uid), Gid: uint32(u.gid)}}
}

// token creates the user's hpcbridge token on dev.
func (u *loginUser) token(t *testing.T, dev *devInstance) string {
	t.Helper()
	mgmt, err := api.NewClient(&api.Config{Address: dev.url, Token: dev.token})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tok, err := mgmt.ACLCreateToken(ctx, &api.ACLTokenRequest{Name: u.name, User: u.name})
	if err != nil {
		t.Fatalf("creating the hpcbridge token of %s: %v", u.name, err)
	}
	return tok.SecretID
}

// linkOrCopy links dst to src, or copies src to dst (executable by
// everyone) where they are on different file systems.
func linkOrCopy(src, dst string) error {
	if os.Link(src, dst) == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
