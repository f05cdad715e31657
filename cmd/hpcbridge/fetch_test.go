package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/internal/roottest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// uploadTree writes files under a new directory, uploads it through r and
// returns the directory and the manifest's digest.
func uploadTree(t *testing.T, ctx context.Context, r cas.Remote, files map[string]string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m, l, err := cas.Scan(dir, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := cas.Upload(ctx, m, l, r)
	if err != nil {
		t.Fatal(err)
	}
	return dir, d
}

// startStaged starts a bridge whose partition "remote" stages files, its
// blobs in a temporary directory.
func startStaged(t *testing.T) *bridgetest.Server {
	t.Helper()
	store, err := cas.Open("dir:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bridgetest.Start(t, bridgetest.Options{Now: time.Now, Partitions: []string{"remote"}, Blobs: store, PartitionFiles: map[string]string{"remote": "staged"}})
}

// startRun commits the start of job id's run, as the leader does when
// Nomad starts it.
func startRun(t *testing.T, ctx context.Context, srv *bridgetest.Server, id uint64) {
	t.Helper()
	cmd, _ := state.Encode(state.CmdJobStart, state.JobStartCmd{Time: time.Now(), JobID: id, Task: state.NoTask})
	if _, _, err := srv.Raft.Apply(ctx, cmd); err != nil {
		t.Fatal(err)
	}
}

// hpcbridge fetch writes a staged job's outputs into its submit directory
// (or --into DIR), says what it wrote, and reads nothing of another
// user's job.
func TestFetch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := startStaged(t)
	alice := srv.Client(t, srv.UserToken(t, "alice"))
	bob := srv.Client(t, srv.UserToken(t, "bob"))

	submitDir, in := uploadTree(t, ctx, api.NewBlobRemote(alice, ""), map[string]string{"in.txt": "input\n"})
	resp, err := alice.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\n"), ScriptName: "job.sh", Cwd: submitDir, StagedInput: in})
	if err != nil {
		t.Fatal(err)
	}
	ref := fmt.Sprint(resp.JobID)
	// Not run yet: nothing to fetch, and fetch says why.
	var out bytes.Buffer
	if err := runFetch(ctx, fetchOptions{Client: alice, Ref: ref, Out: &out}); err == nil || !strings.Contains(err.Error(), "is PENDING: its outputs come back when it ends") {
		t.Errorf("fetch before the run: %v", err)
	}
	startRun(t, ctx, srv, resp.JobID)
	if err := runFetch(ctx, fetchOptions{Client: alice, Ref: ref, Out: &out}); err == nil || !strings.Contains(err.Error(), "when it ends") {
		t.Errorf("fetch while it runs: %v", err)
	}
	// The node sends the outputs back with the run's token.
	run := srv.Client(t, srv.RunToken(t, resp.JobID))
	_, outs := uploadTree(t, ctx, api.NewBlobRemote(run, ""), map[string]string{"result.txt": "42\n", "slurm-1.out": "done\n", "sub/deep.txt": "deep\n"})
	if _, err := run.PostOutput(ctx, ref, outs); err != nil {
		t.Fatal(err)
	}

	out.Reset()
	if err := runFetch(ctx, fetchOptions{Client: alice, Ref: ref, Out: &out}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"result.txt": "42\n", "slurm-1.out": "done\n", "sub/deep.txt": "deep\n", "in.txt": "input\n"} {
		if b, err := os.ReadFile(filepath.Join(submitDir, name)); err != nil || string(b) != want {
			t.Errorf("%s in the submit directory: %q, %v", name, b, err)
		}
	}
	if !strings.Contains(out.String(), filepath.Join(submitDir, "result.txt")+" (3 B)") || !strings.Contains(out.String(), "3 files (13 B) written into "+submitDir) {
		t.Errorf("report:\n%s", out.String())
	}

	into := filepath.Join(t.TempDir(), "new")
	out.Reset()
	if err := runFetch(ctx, fetchOptions{Client: alice, Ref: ref, Into: into, Quiet: true, Out: &out}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(into, "sub/deep.txt")); string(b) != "deep\n" {
		t.Errorf("--into: %q", b)
	}
	if strings.Count(out.String(), "\n") != 1 {
		t.Errorf("--quiet printed %q", out.String())
	}

	// A job that ended without its outputs (its node could not send
	// them): fetch says they will not come, not "yet".
	resp2, err := alice.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\n"), ScriptName: "job.sh", Cwd: submitDir, StagedInput: in})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ct state.CommandType
		v  any
	}{
		{state.CmdJobStart, state.JobStartCmd{Time: time.Now(), JobID: resp2.JobID, Task: state.NoTask, NodeList: "n1"}},
		{state.CmdJobFinish, state.JobFinishCmd{Time: time.Now(), JobID: resp2.JobID, State: state.StateCompleted}},
	} {
		cmd, _ := state.Encode(c.ct, c.v)
		if _, _, err := srv.Raft.Apply(ctx, cmd); err != nil {
			t.Fatal(err)
		}
	}
	if err := runFetch(ctx, fetchOptions{Client: alice, Ref: fmt.Sprint(resp2.JobID), Into: t.TempDir(), Out: &out}); err == nil || !strings.Contains(err.Error(), "did not send its outputs back") {
		t.Errorf("fetch of a job that ended without outputs: %v", err)
	}

	// Cancelled before it ran: nothing to lose.
	resp3, err := alice.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\n"), ScriptName: "job.sh", Cwd: submitDir, StagedInput: in})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Cancel(ctx, &api.CancelRequest{Refs: []string{fmt.Sprint(resp3.JobID)}}); err != nil {
		t.Fatal(err)
	}
	if err := runFetch(ctx, fetchOptions{Client: alice, Ref: fmt.Sprint(resp3.JobID), Into: t.TempDir(), Out: &out}); err == nil || !strings.Contains(err.Error(), "without running") {
		t.Errorf("fetch of a job cancelled before it ran: %v", err)
	}

	// A management token fetching alice's job: only where --into says,
	// never into the directory alice's record names (she chose it: it
	// could be another user's).
	mgmt := srv.Client(t, srv.ManagementToken)
	before, _ := os.ReadDir(submitDir)
	if err := runFetch(ctx, fetchOptions{Client: mgmt, Ref: ref, Out: &out}); err == nil || !strings.Contains(err.Error(), "--into") {
		t.Errorf("management fetch into the job's own directory: %v", err)
	}
	if after, _ := os.ReadDir(submitDir); len(after) != len(before) {
		t.Errorf("the management fetch wrote into the job's directory")
	}
	if err := runFetch(ctx, fetchOptions{Client: mgmt, Ref: ref, Into: t.TempDir(), Out: &out}); err != nil {
		t.Errorf("management fetch --into: %v", err)
	}

	// Gone submit directory: say to use --into.
	if err := os.RemoveAll(submitDir); err != nil {
		t.Fatal(err)
	}
	if err := runFetch(ctx, fetchOptions{Client: alice, Ref: ref, Out: &out}); err == nil || !strings.Contains(err.Error(), "--into") {
		t.Errorf("fetch without the submit directory: %v", err)
	}
	// Bob gets nothing of alice's job.
	bobDir := t.TempDir()
	if err := runFetch(ctx, fetchOptions{Client: bob, Ref: ref, Into: bobDir, Out: &out}); !api.IsCode(err, api.CodePermissionDenied) {
		t.Errorf("bob fetches alice's outputs: %v", err)
	}
	if ents, _ := os.ReadDir(bobDir); len(ents) != 0 {
		t.Errorf("bob's directory got %d entries", len(ents))
	}
}

func TestFetchArgs(t *testing.T) {
	for _, c := range []struct {
		args      []string
		ref, into string
		quiet     bool
		bad       bool
	}{
		{args: []string{"12"}, ref: "12"},
		{args: []string{"12_3", "--into", "out"}, ref: "12_3", into: "out"},
		{args: []string{"12", "--into=o", "-q"}, ref: "12", into: "o", quiet: true},
		{args: []string{}, bad: true},
		{args: []string{"1", "2"}, bad: true},
		{args: []string{"1", "--into"}, bad: true},
		{args: []string{"1", "--bogus"}, bad: true},
	} {
		var o fetchOptions
		err := o.parseArgs(c.args)
		if (err != nil) != c.bad || !c.bad && (o.Ref != c.ref || o.Into != c.into || o.Quiet != c.quiet) {
			t.Errorf("%q: %+v, %v", c.args, o, err)
		}
	}
}

// A job's outputs (a stranger's code, or its node, chose them) cannot make
// fetch write outside DIR: a symlink already in DIR is replaced, never
// written through, and a path below a symlinked directory in DIR is
// refused; links the outputs carry are made, not followed; permission
// bits beyond 0777 (setuid) cannot be asked for.
func TestFetchStaysInsideDir(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := startStaged(t)
	alice := srv.Client(t, srv.UserToken(t, "alice"))
	_, in := uploadTree(t, ctx, api.NewBlobRemote(alice, ""), map[string]string{"in.txt": "input\n"})
	job := func() (string, *api.Client) {
		resp, err := alice.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\n"), ScriptName: "job.sh", Cwd: "/nonexistent", StagedInput: in})
		if err != nil {
			t.Fatal(err)
		}
		startRun(t, ctx, srv, resp.JobID)
		return fmt.Sprint(resp.JobID), srv.Client(t, srv.RunToken(t, resp.JobID))
	}
	post := func(run *api.Client, ref string, m *cas.Manifest) error {
		enc, err := m.Encode()
		if err != nil {
			return err
		}
		d := cas.Sum(enc)
		if err := run.PutBlob(ctx, d, enc); err != nil {
			return err
		}
		_, err = run.PostOutput(ctx, ref, d)
		return err
	}
	outside := t.TempDir()
	secret := filepath.Join(outside, "authorized_keys")
	if err := os.WriteFile(secret, []byte("the user's keys\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	into := t.TempDir()
	if err := os.Symlink(secret, filepath.Join(into, "result.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(into, "sub")); err != nil {
		t.Fatal(err)
	}

	// result.txt over the user's symlink; a link of its own to the keys.
	ref, run := job()
	body := []byte("attacker\n")
	if err := run.PutBlob(ctx, cas.Sum(body), body); err != nil {
		t.Fatal(err)
	}
	m := &cas.Manifest{Version: cas.ManifestVersion, Files: []cas.File{
		{Path: "keys", Mode: uint32(os.ModeSymlink | 0o777), Link: secret},
		{Path: "result.txt", Mode: 0o644, Size: int64(len(body)), Chunks: []string{cas.Sum(body)}},
	}}
	if err := post(run, ref, m); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := runFetch(ctx, fetchOptions{Client: alice, Ref: ref, Into: into, Out: &out}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(secret); string(b) != "the user's keys\n" {
		t.Fatalf("fetch wrote through the user's symlink: the keys are now %q", b)
	}
	if fi, err := os.Lstat(filepath.Join(into, "result.txt")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("result.txt: %v, %v: want the job's file in place of the link", fi, err)
	}

	// A file below the user's symlinked directory: refused, nothing outside.
	ref, run = job()
	m = &cas.Manifest{Version: cas.ManifestVersion, Files: []cas.File{
		{Path: "sub/authorized_keys", Mode: 0o644, Size: int64(len(body)), Chunks: []string{cas.Sum(body)}},
	}}
	if err := post(run, ref, m); err != nil {
		t.Fatal(err)
	}
	if err := runFetch(ctx, fetchOptions{Client: alice, Ref: ref, Into: into, Out: &out}); err == nil {
		t.Error("fetch through a symlinked directory: no error")
	}
	if b, _ := os.ReadFile(secret); string(b) != "the user's keys\n" {
		t.Fatalf("fetch wrote below the user's symlinked directory: the keys are now %q", b)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 1 {
		t.Errorf("%d entries outside DIR, want only the keys", len(ents))
	}

	// Setuid cannot even be recorded.
	ref, run = job()
	m = &cas.Manifest{Version: cas.ManifestVersion, Files: []cas.File{
		{Path: "suid", Mode: uint32(os.ModeSetuid | 0o755), Size: int64(len(body)), Chunks: []string{cas.Sum(body)}},
	}}
	if err := post(run, ref, m); err == nil {
		t.Error("a setuid output was taken")
	}
}

// Outputs bigger than the free space of DIR's file system are refused
// before anything is written (a full disk would leave some files written
// and others not), with a message that says how big they are and what is
// free. DIR here is a 1 MiB tmpfs.
func TestFetchChecksFreeSpace(t *testing.T) {
	roottest.Require(t, "mounts a small tmpfs")
	mountBin := roottest.Tool(t, "mount", "mounts a small tmpfs")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	small := t.TempDir()
	if out, err := exec.Command(mountBin, "-t", "tmpfs", "-o", "size=1m", "tmpfs", small).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", small).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", small, err, out)
		}
	})
	srv := startStaged(t)
	alice := srv.Client(t, srv.UserToken(t, "alice"))
	_, in := uploadTree(t, ctx, api.NewBlobRemote(alice, ""), map[string]string{"in.txt": "input\n"})
	resp, err := alice.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\n"), ScriptName: "job.sh", Cwd: "/nonexistent", StagedInput: in})
	if err != nil {
		t.Fatal(err)
	}
	startRun(t, ctx, srv, resp.JobID)
	ref := fmt.Sprint(resp.JobID)
	run := srv.Client(t, srv.RunToken(t, resp.JobID))
	// 768 KiB that fits, then 2 MiB that does not.
	_, outs := uploadTree(t, ctx, api.NewBlobRemote(run, ""), map[string]string{"a.dat": strings.Repeat("a", 256<<10), "b.dat": strings.Repeat("b", 1<<20), "c.dat": strings.Repeat("c", 768<<10)})
	if _, err := run.PostOutput(ctx, ref, outs); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	into := filepath.Join(small, "results")
	err = runFetch(ctx, fetchOptions{Client: alice, Ref: ref, Into: into, Out: &out})
	if err == nil || !strings.Contains(err.Error(), "free") || !strings.Contains(err.Error(), "2.0 MiB") {
		t.Fatalf("fetch of 2 MiB into a 1 MiB file system: %v", err)
	}
	if ents, _ := os.ReadDir(into); len(ents) != 0 {
		t.Errorf("%d files written before the refusal", len(ents))
	}
}
