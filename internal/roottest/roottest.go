// Package roottest lets a test that needs root (the task driver's job
// tests, which switch users and write cgroups) skip when it runs as another
// user, or fail when HPCBRIDGE_REQUIRE_ROOT=1, as `make test` sets, so that
// a green `make test` means those tests ran. It does for root what
// slurmoracle.Require and nomadtest.Require do for the oracle and Nomad.
package roottest

import (
	"os"
	"os/exec"
	"testing"
)

// EnvRequire, set to 1 (make test does), turns "not root" into a test
// failure instead of a skip.
const EnvRequire = "HPCBRIDGE_REQUIRE_ROOT"

// Require skips t, saying why it needs root, unless the process runs as
// root; with EnvRequire=1 it fails t instead.
func Require(t testing.TB, why string) {
	t.Helper()
	require(t, why, os.Geteuid(), os.Getenv(EnvRequire) == "1")
}

func require(t testing.TB, why string, euid int, required bool) {
	t.Helper()
	if euid == 0 {
		return
	}
	if required {
		t.Fatalf("%s: not root (euid %d; required: %s=1)", why, euid, EnvRequire)
	}
	t.Skipf("%s: not root (euid %d)", why, euid)
}

// Tool returns the path of the program name (cc, useradd) that a root-only
// test needs besides root. Without it the test skips, or fails under
// EnvRequire=1: the machine `make test` runs on must have it, so a green
// `make test` never hides a security test that did not run.
func Tool(t testing.TB, name, why string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("%s: no %s on PATH (required: %s=1)", why, name, EnvRequire)
	}
	t.Skipf("%s: no %s on PATH", why, name)
	return ""
}
