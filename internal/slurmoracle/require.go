package slurmoracle

import (
	"os"
	"os/exec"
	"testing"
)

// EnvRequire, set to 1 (make test does), turns a missing oracle or corpus
// into a test failure instead of a skip, so CI cannot pass without the judge.
const EnvRequire = "HPCBRIDGE_REQUIRE_ORACLE"

// Require skips the test when the oracle does not answer, or fails it when
// EnvRequire is set.
func Require(t testing.TB) {
	t.Helper()
	if err := Available(); err != nil {
		missing(t, "real Slurm oracle not available: %v", err)
	}
}

// RequireCorpus returns the corpus's script directory, skipping (or, with
// EnvRequire, failing) the test when it is missing.
func RequireCorpus(t testing.TB) string {
	t.Helper()
	dir, err := CorpusDir()
	if err != nil {
		missing(t, "corpus not found: %v", err)
	}
	return dir
}

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf(format+" (required: "+EnvRequire+"=1)", args...)
	}
	t.Skipf(format, args...)
}

// RequireCommand returns the path of one of the oracle's Slurm commands
// (sbatch, scontrol), skipping (or, with EnvRequire, failing) the test
// when it is not installed.
func RequireCommand(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		missing(t, "the oracle's %s is not installed: %v", name, err)
	}
	return path
}
