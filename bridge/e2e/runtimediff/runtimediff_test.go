package runtimediff

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/e2etest"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/internal/roottest"
	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
)

// scenarioTimeout bounds one scenario on both clusters (a time-limit
// scenario needs Slurm's minute and its periodic check).
const scenarioTimeout = 5 * time.Minute

// maxConcurrent bounds the scenarios that run at once (each runs its two
// sides at once too). They spend most of their time waiting for jobs, so
// t.Parallel, bounded by GOMAXPROCS, would serialise them for nothing.
const maxConcurrent = 12

// TestRuntimeMatchesSlurm runs every scenario of testdata through real
// Slurm and through hpcbridge dev, all at the same time, and reports each
// difference that a scenario does not declare as known, in a subtest per
// scenario.
func TestRuntimeMatchesSlurm(t *testing.T) {
	scenarios := loadScenarios(t)
	roottest.Require(t, "the hpcbridge task driver (and the oracle's slurmd) run jobs only as root")
	slurmoracle.Require(t)
	slurmoracle.RequireCommand(t, "sbatch")
	slurmoracle.LockNode(t) // its scenarios' jobs queue behind any other test's on the oracle
	slurmoracle.ResumeRealModeDrain(t)
	nomadBin := nomadtest.Require(t)
	var login *loginUser
	if slices.ContainsFunc(scenarios, func(sc *scenario) bool { return sc.user == userLogin }) {
		// Created before dev starts, removed after it stopped (and its
		// jobs with it).
		login = newLoginUser(t)
	}
	dev := startDev(t, nomadBin)

	real := &cluster{name: "Slurm", env: []string{slurmoracle.ConfEnv()}, unblock: slurmoracle.ResumeDrain}
	ours := &cluster{name: "hpcbridge", bin: dev.bin, env: []string{api.EnvAddress + "=" + dev.url, api.EnvToken + "=" + dev.token}}
	// The same clusters, reached by the login user.
	var realLogin, oursLogin *cluster
	if login != nil {
		login.link(t, dev.bin)
		realLogin = &cluster{name: real.name, env: real.env, unblock: real.unblock, as: login}
		oursLogin = &cluster{name: ours.name, bin: login.bin, env: []string{api.EnvAddress + "=" + dev.url, api.EnvToken + "=" + login.token(t, dev)}, as: login}
	}
	base := submitterEnv()
	played := make([][2]*run, len(scenarios))
	errs := make([][2]error, len(scenarios))
	sem := make(chan struct{}, maxConcurrent)
	var wg sync.WaitGroup
	for i, sc := range scenarios {
		if sc.user == userLogin {
			played[i] = [2]*run{newRun(t, realLogin, sc, base), newRun(t, oursLogin, sc, base)}
		} else {
			played[i] = [2]*run{newRun(t, real, sc, base), newRun(t, ours, sc, base)}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), scenarioTimeout)
			defer cancel()
			var both sync.WaitGroup
			for side, r := range played[i] {
				both.Add(1)
				go func() {
					defer both.Done()
					errs[i][side] = r.play(ctx)
				}()
			}
			both.Wait()
		}()
	}
	wg.Wait()
	for i, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { report(t, sc, played[i], errs[i]) })
	}
}

// report compares the two runs of sc (real Slurm's, then ours) and
// reports what differs.
func report(t *testing.T, sc *scenario, runs [2]*run, errs [2]error) {
	needs := ""
	if sc.needs != "" {
		needs = " [needs " + sc.needs + "]"
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("%s%s: %v\ncommands:\n%s", runs[i].c.name, needs, err, runs[i].log.String())
		}
	}
	diffs, err := compare(sc, runs[0], runs[1])
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range diffs {
		if reason, ok := sc.known[d.key]; ok {
			seen[d.key] = true
			t.Logf("known difference %s (%s): %s", d.key, reason, d.detail)
			continue
		}
		t.Errorf("%s%s: %s", d.key, needs, d.detail)
	}
	for key := range sc.known {
		if !seen[key] {
			t.Errorf("known difference %q no longer differs: drop it from %s and docs/runtime-differences.md", key, filepath.Join(sc.dir, scenarioFile))
		}
	}
	if t.Failed() {
		for _, r := range runs {
			t.Logf("%s commands (work dir %s):\n%s", r.c.name, r.work, r.log.String())
		}
	}
}

// loadScenarios reads every scenario of testdata (sorted by name).
func loadScenarios(t *testing.T) []*scenario {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("testdata", "*", scenarioFile))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no scenarios in testdata (%v)", err)
	}
	slices.Sort(dirs)
	var out []*scenario
	for _, f := range dirs {
		abs, err := filepath.Abs(filepath.Dir(f))
		if err != nil {
			t.Fatal(err)
		}
		sc, err := parseScenario(abs)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sc)
	}
	return out
}

// TestScenariosParse checks every scenario file without running it.
func TestScenariosParse(t *testing.T) {
	for _, sc := range loadScenarios(t) {
		if len(sc.steps) == 0 {
			t.Errorf("%s: no steps", sc.name)
		}
	}
}

// submitterEnv is the environment both clusters' sbatch run with: this
// process's, without the variables that change how sbatch reads its
// options or whom hpcbridge's commands reach.
func submitterEnv() []string {
	var env []string
	for _, kv := range slurmoracle.CleanEnv() {
		if !strings.HasPrefix(kv, "HPCBRIDGE_") && !strings.HasPrefix(kv, "NOMAD_") {
			env = append(env, kv)
		}
	}
	return env
}

// devInstance is a running `hpcbridge dev`.
type devInstance struct {
	bin   string // hpcbridge and its Slurm command links
	url   string
	token string
}

// startDev builds hpcbridge and the task driver and runs `hpcbridge dev`
// on free ports with its own data dir, until the test ends.
func startDev(t *testing.T, nomadBin string) *devInstance {
	t.Helper()
	binDir, pluginDir := buildTools(t)
	data, err := os.MkdirTemp("", "hpcbridge-rtdiff-dev-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(data) })
	home := t.TempDir()
	bind, raftBind := freePort(t), freePort(t)
	logf, err := os.Create(filepath.Join(t.TempDir(), "dev.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, "hpcbridge"), "dev", "--data-dir", data, "--bind", bind, "--raft-bind", raftBind, "--plugin-dir", pluginDir)
	cmd.Env = append(submitterEnv(), "HOME="+home, "NOMAD_BIN="+nomadBin)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("hpcbridge dev log:\n%s", tail(string(b), 40))
		}
	})
	d := &devInstance{bin: binDir, url: "http://" + bind}
	tokenFile := filepath.Join(data, "management-token")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	err = poll(ctx, func() (bool, error) {
		select {
		case <-done:
			b, _ := os.ReadFile(logf.Name())
			return false, fmt.Errorf("hpcbridge dev exited:\n%s", b)
		default:
		}
		b, err := os.ReadFile(tokenFile)
		if err != nil || strings.TrimSpace(string(b)) == "" {
			return false, nil
		}
		d.token = strings.TrimSpace(string(b))
		c, err := api.NewClient(&api.Config{Address: d.url, Token: d.token})
		if err != nil {
			return false, err
		}
		_, _, err = c.Jobs(ctx, &api.JobsQuery{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("hpcbridge dev did not come up: %v", err)
	}
	return d
}

// buildTools builds hpcbridge (with sbatch, scancel and scontrol links)
// and the task driver plugin into temporary directories.
func buildTools(t *testing.T) (binDir, pluginDir string) {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH: cannot build hpcbridge and its task driver")
	}
	binDir = t.TempDir()
	pluginDir = filepath.Join(t.TempDir(), "plugins")
	builds := [][]string{
		{"build", "-o", filepath.Join(binDir, "hpcbridge"), "../../../cmd/hpcbridge"},
		{"build", "-o", filepath.Join(pluginDir, "hpcbridge-driver"), "../../../cmd/hpcbridge-driver"},
	}
	for _, args := range builds {
		cmd := exec.Command(gobin, args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
		}
	}
	for _, name := range slurmCommands {
		if err := os.Symlink("hpcbridge", filepath.Join(binDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return binDir, pluginDir
}

// slurmCommands are the links to hpcbridge that the scenarios run.
var slurmCommands = []string{"sbatch", "scancel", "scontrol", "squeue", "sacct"}

// freePort and tail are internal/e2etest's, which the e2e packages share.
var (
	freePort = e2etest.FreePort
	tail     = e2etest.Tail
)
