package taskdriver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// A staged job runs in the restored copy of its submit directory under
// the task directory, not in the real one the node could reach (changed
// after the upload here); SLURM_SUBMIT_DIR names the copy (a script's
// `cd $SLURM_SUBMIT_DIR` stays in it) and HPCBRIDGE_SUBMIT_DIR_ORIGIN the
// submitter's path; an
// absolute -e under the submit directory lands in the copy; and what the
// job created or changed comes back through the coordinator, nothing
// else: the files it left alone stay out of the outputs.
func TestStagedJobRunsInRestoredCopy(t *testing.T) {
	t.Run("submitter", func(t *testing.T) { stagedRun(t, Config{}) })
	t.Run("pool", func(t *testing.T) {
		stagedRun(t, Config{RunAs: RunAsPool, PoolUIDs: "62978-62979", PoolDir: filepath.Join(t.TempDir(), "pool")})
	})
	t.Run("sandbox", func(t *testing.T) {
		stagedRun(t, sandboxConfig(t, true, "", "60236-60237"))
	})
}

func stagedRun(t *testing.T, conf Config) {
	td := newTestDriver(t, conf)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := cas.Open("dir:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := bridgetest.Start(t, bridgetest.Options{Now: time.Now, Partitions: []string{"remote"}, Blobs: store, PartitionFiles: map[string]string{"remote": "staged"}})
	// Jobs run as nobody in these tests: nobody owns the job.
	owner := srv.Client(t, srv.UserToken(t, "nobody"))

	submitDir := sharedDir(t)
	write := func(name, body string) {
		t.Helper()
		p := filepath.Join(submitDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("input.txt", "staged input\n")
	write("sub/keep.txt", "left alone\n")
	if err := os.Symlink("input.txt", filepath.Join(submitDir, "link")); err != nil {
		t.Fatal(err)
	}
	m, l, err := cas.Scan(submitDir, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	in, _, err := cas.Upload(ctx, m, l, api.NewBlobRemote(owner, ""))
	if err != nil {
		t.Fatal(err)
	}
	// The node could reach the real directory: the job must not use it.
	write("input.txt", "THE REAL DIRECTORY\n")

	resp, err := owner.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\ntrue\n"), ScriptName: "job.sh", Cwd: submitDir, StagedInput: in})
	if err != nil {
		t.Fatal(err)
	}
	id := resp.JobID
	cmd, _ := state.Encode(state.CmdJobStart, state.JobStartCmd{Time: time.Now(), JobID: id, Task: state.NoTask})
	if res, _, err := srv.Raft.Apply(ctx, cmd); err != nil || res.Err != nil {
		t.Fatalf("start: %v %v", err, res)
	}
	runTok := srv.RunToken(t, id)

	env := coordinatorEnv(fmt.Sprint(id))
	env["SLURM_SUBMIT_DIR"] = submitDir
	script := "#!/bin/sh\npwd > where.txt\necho \"submit=$SLURM_SUBMIT_DIR\"\necho \"origin=$HPCBRIDGE_SUBMIT_DIR_ORIGIN\"\n(cd \"$SLURM_SUBMIT_DIR\" && echo via-cd > viacd.txt)\ncat input.txt > copy.txt\ncat link >> copy.txt\necho err-line >&2\nmkdir -p new/dir && echo deep > new/dir/f\n"
	j := td.newJob(t, TaskConfig{
		Script: script, Workdir: submitDir, Output: "slurm-%j.out", Error: submitDir + "/abs-%j.err",
		StagedInput: in, Coordinator: srv.URL, RunToken: runTok, JobID: int(id),
	}, env)
	placeOnNode(t, srv, td, j, id) // runsign_test.go
	res := j.run()
	if res.ExitCode != 0 || res.Err != nil {
		t.Fatalf("result: %s", describe(res))
	}
	for _, name := range []string{"where.txt", "copy.txt", "viacd.txt", fmt.Sprintf("slurm-%d.out", id)} {
		if _, err := os.Lstat(filepath.Join(submitDir, name)); err == nil {
			t.Errorf("%s written in the real submit directory", name)
		}
	}
	files, err := owner.JobFiles(ctx, fmt.Sprint(id))
	if err != nil {
		t.Fatal(err)
	}
	if files.Input != in || files.Output == "" {
		t.Fatalf("job files %+v: no outputs", files)
	}
	outDir := t.TempDir()
	got, err := cas.Restore(ctx, files.Output, outDir, api.NewBlobRemote(owner, fmt.Sprint(id)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range got.Files {
		names = append(names, f.Path)
	}
	for _, bad := range []string{"input.txt", "sub/keep.txt", "link", "sub"} {
		if contains(names, bad) {
			t.Errorf("outputs %v hold %s, which the job did not change", names, bad)
		}
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(outDir, name))
		if err != nil {
			t.Errorf("outputs %v: %v", names, err)
		}
		return string(b)
	}
	if w, want := read("where.txt"), filepath.Join(j.taskDir(), WorkDirName)+"\n"; w != want {
		t.Errorf("the job ran in %q, want the restored copy %q", w, want)
	}
	if c := read("copy.txt"); c != "staged input\nstaged input\n" {
		t.Errorf("the job read %q, want the staged input (twice, through the link)", c)
	}
	o := read(fmt.Sprintf("slurm-%d.out", id))
	if want := "submit=" + filepath.Join(j.taskDir(), WorkDirName) + "\n"; !strings.Contains(o, want) {
		t.Errorf("output %q: SLURM_SUBMIT_DIR is not the restored copy (want %q)", o, want)
	}
	if !strings.Contains(o, "origin="+submitDir+"\n") {
		t.Errorf("output %q: %s is not the submitter's path %s", o, EnvSubmitDirOrigin, submitDir)
	}
	if v := read("viacd.txt"); v != "via-cd\n" {
		t.Errorf("viacd.txt (written after cd $SLURM_SUBMIT_DIR) %q, want it among the outputs", v)
	}
	if e := read(fmt.Sprintf("abs-%d.err", id)); e != "err-line\n" {
		t.Errorf("error file %q", e)
	}
	if d := read("new/dir/f"); d != "deep\n" {
		t.Errorf("new/dir/f %q", d)
	}
}

// A staged job survives a coordinator that fails its first restore and
// its first send-back (a leader failover, a network blip): the driver
// tries again, instead of failing the job at its start or losing its
// outputs with the task directory at its end. The coordinator is real,
// behind a proxy that drops the first request of each.
func TestStagedOutputsRetried(t *testing.T) {
	td := newTestDriver(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := cas.Open("dir:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := bridgetest.Start(t, bridgetest.Options{Now: time.Now, Partitions: []string{"remote"}, Blobs: store, PartitionFiles: map[string]string{"remote": "staged"}})
	owner := srv.Client(t, srv.UserToken(t, "nobody"))
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var dropped, droppedGet atomic.Int32
	ps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The restore's first blob read, and the send-back's first
		// question (what the store lacks; the restore never asks it):
		// their connections are dropped once each.
		drop := r.URL.Path == "/v1/blobs/missing" && dropped.Add(1) == 1 ||
			r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") && droppedGet.Add(1) == 1
		if drop {
			if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
				c.Close()
			}
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer ps.Close()

	submitDir := sharedDir(t)
	if err := os.WriteFile(filepath.Join(submitDir, "in.txt"), []byte("input\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, l, err := cas.Scan(submitDir, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	in, _, err := cas.Upload(ctx, m, l, api.NewBlobRemote(owner, ""))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := owner.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\ntrue\n"), ScriptName: "job.sh", Cwd: submitDir, StagedInput: in})
	if err != nil {
		t.Fatal(err)
	}
	id := resp.JobID
	cmd, _ := state.Encode(state.CmdJobStart, state.JobStartCmd{Time: time.Now(), JobID: id, Task: state.NoTask})
	if res, _, err := srv.Raft.Apply(ctx, cmd); err != nil || res.Err != nil {
		t.Fatalf("start: %v %v", err, res)
	}
	env := coordinatorEnv(fmt.Sprint(id))
	env["SLURM_SUBMIT_DIR"] = submitDir
	j := td.newJob(t, TaskConfig{
		Script: "#!/bin/sh\necho 42 > result.txt\n", Workdir: submitDir, Output: "slurm-%j.out",
		StagedInput: in, Coordinator: ps.URL, RunToken: srv.RunToken(t, id), JobID: int(id),
	}, env)
	placeOnNode(t, srv, td, j, id) // runsign_test.go
	if res := j.run(); res.ExitCode != 0 || res.Err != nil {
		t.Fatalf("result: %s", describe(res))
	}
	if dropped.Load() < 2 || droppedGet.Load() < 2 {
		t.Fatalf("the restore or the send-back was not tried again (%d blob reads, %d asks)", droppedGet.Load(), dropped.Load())
	}
	files, err := owner.JobFiles(ctx, fmt.Sprint(id))
	if err != nil || files.Output == "" {
		t.Fatalf("job files %+v, %v: the outputs were lost", files, err)
	}
	outDir := t.TempDir()
	if _, err := cas.Restore(ctx, files.Output, outDir, api.NewBlobRemote(owner, fmt.Sprint(id))); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(outDir, "result.txt")); string(b) != "42\n" {
		t.Errorf("result.txt %q", b)
	}
}
