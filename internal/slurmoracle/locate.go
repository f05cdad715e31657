package slurmoracle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Environment variables that override where things are found.
const (
	// EnvOracle names the oracle directory (the one holding parse.sh).
	EnvOracle = "HPCBRIDGE_SLURM_ORACLE"
	// EnvCorpus names a directory of corpus scripts; their expected
	// answers live in the sibling directory with "-expected" appended.
	EnvCorpus = "HPCBRIDGE_CORPUS"
)

// defaultState is the oracle's own default state directory (its README and
// parse.sh use it unless SLURM_ORACLE_STATE is set).
const defaultState = "/tmp/slurm-oracle-state"

// ErrUnavailable is returned (wrapped) by Available when the oracle cannot
// answer; the wrapping error says why and how to start it.
var ErrUnavailable = errors.New("slurm oracle not available")

// RepoRoot returns the repository root: the nearest directory holding
// go.mod above this package's source directory, or, when the sources are
// not on disk (a -trimpath build), above the working directory.
func RepoRoot() (string, error) {
	var starts []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	for _, dir := range starts {
		for d := dir; ; d = filepath.Dir(d) {
			if fi, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !fi.IsDir() {
				return d, nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	return "", errors.New("slurmoracle: no go.mod above the package or working directory")
}

// Dir returns the oracle directory: $HPCBRIDGE_SLURM_ORACLE when set,
// otherwise ../shared/slurm-oracle relative to the repository root.
func Dir() (string, error) {
	return locate(EnvOracle, "slurm-oracle")
}

// CorpusDir returns the directory of dev corpus scripts: $HPCBRIDGE_CORPUS
// when set, otherwise ../shared/corpus/dev relative to the repository root.
// Real Slurm's answers for them are in ExpectedDir(CorpusDir()).
func CorpusDir() (string, error) {
	return locate(EnvCorpus, filepath.Join("corpus", "dev"))
}

// ExpectedDir returns the directory holding the expected contract JSON for
// the scripts in corpusDir: its sibling named with "-expected" appended
// (dev -> dev-expected).
func ExpectedDir(corpusDir string) string {
	return filepath.Clean(corpusDir) + "-expected"
}

func locate(env, underShared string) (string, error) {
	if v := os.Getenv(env); v != "" {
		return filepath.Abs(v)
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(root), "shared", underShared), nil
}

// slurmConf returns the slurm.conf parse.sh would use.
func slurmConf() string {
	if v := os.Getenv("SLURM_CONF"); v != "" {
		return v
	}
	state := os.Getenv("SLURM_ORACLE_STATE")
	if state == "" {
		state = defaultState
	}
	return filepath.Join(state, "etc", "slurm.conf")
}

// Available reports whether the oracle can answer: parse.sh exists and
// the controller responds to sinfo. The error wraps ErrUnavailable and
// says how to start the oracle.
func Available() error {
	dir, err := Dir()
	if err != nil {
		return unavailable(err.Error())
	}
	if _, err := os.Stat(filepath.Join(dir, "parse.sh")); err != nil {
		return unavailable(fmt.Sprintf("no parse.sh in %s (set $%s to the oracle directory)", dir, EnvOracle))
	}
	conf := slurmConf()
	if _, err := os.Stat(conf); err != nil {
		return unavailable(fmt.Sprintf("%s missing: the oracle was never started", conf))
	}
	sinfo, err := exec.LookPath("sinfo")
	if err != nil {
		return unavailable("sinfo not installed: the oracle was never started")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sinfo, "-h", "-o", "%T")
	cmd.Env = append(os.Environ(), "SLURM_CONF="+conf)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return unavailable(fmt.Sprintf("sinfo failed (%v): %s", err, strings.TrimSpace(stderr.String())))
	}
	if strings.TrimSpace(out.String()) == "" {
		return unavailable("sinfo lists no nodes")
	}
	return nil
}

func unavailable(why string) error {
	return fmt.Errorf("%w: %s; start it with `make oracle` (runs the oracle's start.sh as root with "+
		"ORACLE_SCAN_DIRS set to the dev corpus and examples/slurm)", ErrUnavailable, why)
}
