package sbatch

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
	"github.com/hpcbridge/hpcbridge/internal/slurmcli"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// stagedServer is a coordinator whose only partition is staged, and a
// client of alice's.
func stagedServer(t *testing.T) (*bridgetest.Server, *api.Client) {
	t.Helper()
	store, err := cas.Open("dir:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := bridgetest.Start(t, bridgetest.Options{Now: time.Now, Partitions: []string{"remote"}, Blobs: store, PartitionFiles: map[string]string{"remote": "staged"}})
	return srv, srv.Client(t, srv.UserToken(t, "alice"))
}

func stagedSubmit(t *testing.T, c *api.Client, dir string, env ...string) (int, string, string) {
	t.Helper()
	o := sbatchOptions{Client: c, Submission: slurmcli.Submission{
		Script: []byte("#!/bin/sh\ncat in.txt\n"), ScriptName: "job.sh", Env: env, Now: time.Now(), Cwd: dir, User: "alice",
	}, Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }}
	var out, errs bytes.Buffer
	code := runSbatch(o, slurm.Streams{Out: &out, Err: &errs, Env: env})
	return code, out.String(), errs.String()
}

// sbatch to a staged partition uploads the submit directory and submits
// its manifest; the same directory again sends no chunk at all.
func TestSbatchStagesSubmitDir(t *testing.T) {
	srv, c := stagedServer(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("input\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "big.dat"), bytes.Repeat([]byte("0123456789abcdef"), 1<<17), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := stagedSubmit(t, c, dir)
	if code != 0 || !strings.HasPrefix(out, "Submitted batch job ") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	var first, chunks int
	if _, err := fmt.Sscanf(errs[strings.Index(errs, "sent "):], "sent %d of %d chunks", &first, &chunks); err != nil || first == 0 || first != chunks {
		t.Fatalf("first upload: %q (%v)", errs, err)
	}
	var id uint64
	fmt.Sscanf(out, "Submitted batch job %d", &id)
	j := srv.Store.View().Job(id)
	if j.Files == nil || !cas.ValidDigest(j.Files.Input) {
		t.Fatalf("job files %+v", j.Files)
	}
	code, out, errs = stagedSubmit(t, c, dir)
	if code != 0 || !strings.Contains(errs, fmt.Sprintf("sent 0 of %d chunks (0 B)", chunks)) {
		t.Fatalf("same inputs again: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	var id2 uint64
	fmt.Sscanf(out, "Submitted batch job %d", &id2)
	if j2 := srv.Store.View().Job(id2); j2.Files == nil || j2.Files.Input != j.Files.Input {
		t.Errorf("the same directory's manifest differs: %+v, %+v", j.Files, j2.Files)
	}
}

// Over the size limit, sbatch refuses naming the biggest files, and
// nothing is submitted.
func TestSbatchStageLimit(t *testing.T) {
	srv, c := stagedServer(t)
	dir := t.TempDir()
	for name, n := range map[string]int{"huge.bin": 3 << 20, "medium.bin": 1 << 20, "small.txt": 10} {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := stagedSubmit(t, c, dir, EnvStageLimit+"=2M")
	if code == 0 || out != "" {
		t.Fatalf("over the limit: exit %d, stdout %q", code, out)
	}
	for _, want := range []string{"huge.bin (3.0 MiB)", "medium.bin (1.0 MiB)", "over the limit of 2.0 MiB", EnvStageLimit} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr %q lacks %q", errs, want)
		}
	}
	if j := srv.Store.View().Job(1); j != nil {
		t.Errorf("job %d submitted", j.ID)
	}
	if _, err := parseSize("nonsense"); err == nil {
		t.Error("parseSize(nonsense)")
	}
	if n, err := parseSize("20G"); err != nil || n != 20<<30 {
		t.Errorf("parseSize(20G) = %d, %v", n, err)
	}
}

// The home directory is never staged: it holds the user's keys.
func TestSbatchRefusesToStageHome(t *testing.T) {
	_, c := stagedServer(t)
	home := t.TempDir()
	code, out, errs := stagedSubmit(t, c, home, "HOME="+home)
	if code == 0 || out != "" || !strings.Contains(errs, "it is your home directory") {
		t.Fatalf("staging $HOME: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// Nor a directory that holds it (sbatch from /home, or from /), nor home
// named through a symbolic link.
func TestSbatchRefusesToStageWhatHoldsHome(t *testing.T) {
	_, c := stagedServer(t)
	parent := t.TempDir()
	home := filepath.Join(parent, "alice")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "id_ed25519"), []byte("PRIVATE KEY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := stagedSubmit(t, c, parent, "HOME="+home)
	if code == 0 || out != "" || !strings.Contains(errs, "it holds your home directory "+home) {
		t.Errorf("staging the parent of $HOME: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	link := filepath.Join(t.TempDir(), "home-link")
	if err := os.Symlink(home, link); err != nil {
		t.Fatal(err)
	}
	code, out, errs = stagedSubmit(t, c, home, "HOME="+link)
	if code == 0 || out != "" || !strings.Contains(errs, "it is your home directory") {
		t.Errorf("staging $HOME named through a link: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// A project directory inside home is staged.
	proj := filepath.Join(home, "proj")
	if err := os.Mkdir(proj, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proj, "in.txt"), []byte("input\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := stagedSubmit(t, c, proj, "HOME="+home); code != 0 || !strings.HasPrefix(out, "Submitted batch job ") {
		t.Errorf("staging a project directory in $HOME: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// A symbolic link whose target is outside the submit directory travels
// as a link only: sbatch says so (the node would resolve it on its own
// file system); links inside it are not mentioned.
func TestSbatchWarnsOfLinksOutside(t *testing.T) {
	_, c := stagedServer(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{
		"in.txt":      "",
		"abs":         "/data/big.h5",
		"sub/up":      "../../other/x",
		"sub/inside":  "../in.txt",
		"sub/sibling": "inside",
	} {
		p := filepath.Join(dir, name)
		if target == "" {
			if err := os.WriteFile(p, []byte("input\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errs := stagedSubmit(t, c, dir)
	if code != 0 || !strings.HasPrefix(out, "Submitted batch job ") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	for _, want := range []string{"abs -> /data/big.h5 points outside", "sub/up -> ../../other/x points outside"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr %q lacks %q", errs, want)
		}
	}
	if strings.Contains(errs, "sub/inside") || strings.Contains(errs, "sub/sibling") {
		t.Errorf("stderr %q warns of links inside the directory", errs)
	}
}

// sbatch --wait brings a staged job's outputs into the submit directory
// before it returns; when they cannot be brought back (the node never sent
// them), it says so and does not exit 0, even though the job did: a
// pipeline "sbatch --wait job.sh && analyse" must not go on without them.
func TestSbatchWaitFetchesOutputs(t *testing.T) {
	for _, sent := range []bool{true, false} {
		t.Run(fmt.Sprintf("sent=%v", sent), func(t *testing.T) {
			srv, c := stagedServer(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("input\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			o := sbatchOptions{Client: c, Submission: slurmcli.Submission{
				Args: []string{"--wait"}, Script: []byte("#!/bin/sh\ncat in.txt\n"), ScriptName: "job.sh", Now: time.Now(), Cwd: dir, User: "alice",
			}, Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }}
			var out, errs bytes.Buffer
			done := make(chan int, 1)
			go func() { done <- runSbatch(o, slurm.Streams{Out: &out, Err: &errs}) }()
			// The job, once submitted: run it, send outputs back (or not), end it.
			var id uint64
			for id == 0 {
				ch := srv.Store.WatchJobs()
				if j := srv.Store.View().Job(1); j != nil {
					id = j.ID
					break
				}
				select {
				case <-ch:
				case <-ctx.Done():
					t.Fatal("no job submitted")
				}
			}
			apply := func(ct state.CommandType, v any) {
				t.Helper()
				cmd, err := state.Encode(ct, v)
				if err != nil {
					t.Fatal(err)
				}
				if res, _, err := srv.Raft.Apply(ctx, cmd); err != nil || res.Err != nil {
					t.Fatalf("apply %d: %v %v", ct, err, res)
				}
			}
			apply(state.CmdJobStart, state.JobStartCmd{Time: time.Now(), JobID: id, Task: state.NoTask})
			if sent {
				run := srv.Client(t, srv.RunToken(t, id))
				res := []byte("42\n")
				m := &cas.Manifest{Version: cas.ManifestVersion, Files: []cas.File{{Path: "result.txt", Mode: 0o644, Size: int64(len(res)), Chunks: []string{cas.Sum(res)}}}}
				enc, _ := m.Encode()
				for d, b := range map[string][]byte{cas.Sum(res): res, cas.Sum(enc): enc} {
					if err := run.PutBlob(ctx, d, b); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := run.PostOutput(ctx, fmt.Sprint(id), cas.Sum(enc)); err != nil {
					t.Fatal(err)
				}
			}
			apply(state.CmdJobFinish, state.JobFinishCmd{Time: time.Now(), JobID: id, State: state.StateCompleted})
			var code int
			select {
			case code = <-done:
			case <-ctx.Done():
				t.Fatal("sbatch --wait did not return")
			}
			b, err := os.ReadFile(filepath.Join(dir, "result.txt"))
			if sent {
				if code != 0 || err != nil || string(b) != "42\n" {
					t.Errorf("exit %d, result.txt %q (%v), stderr %q", code, b, err, errs.String())
				}
				return
			}
			if code == 0 || !strings.Contains(errs.String(), "outputs") {
				t.Errorf("outputs never sent back: exit %d, stderr %q", code, errs.String())
			}
		})
	}
}
