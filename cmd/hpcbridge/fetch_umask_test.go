package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/cas"
)

// hpcbridge fetch applies the user's umask to the job's permission bits,
// as any file the user creates gets it: a job's 0666 file or 0777
// directory does not come out writable by everyone on a shared login node.
func TestFetchAppliesUmask(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := startStaged(t)
	alice := srv.Client(t, srv.UserToken(t, "alice"))
	submitDir, in := uploadTree(t, ctx, api.NewBlobRemote(alice, ""), map[string]string{"in.txt": "input\n"})
	resp, err := alice.Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\n"), ScriptName: "job.sh", Cwd: submitDir, StagedInput: in})
	if err != nil {
		t.Fatal(err)
	}
	startRun(t, ctx, srv, resp.JobID)
	run := srv.Client(t, srv.RunToken(t, resp.JobID))
	outDir, _ := uploadTree(t, ctx, api.NewBlobRemote(run, ""), map[string]string{"open.txt": "x\n", "shared/run.sh": "#!/bin/sh\n"})
	for name, mode := range map[string]fs.FileMode{"open.txt": 0o666, "shared/run.sh": 0o777, "shared": 0o777} {
		if err := os.Chmod(filepath.Join(outDir, name), mode); err != nil {
			t.Fatal(err)
		}
	}
	m, l, err := cas.Scan(outDir, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	outs, _, err := cas.Upload(ctx, m, l, api.NewBlobRemote(run, ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.PostOutput(ctx, fmt.Sprint(resp.JobID), outs); err != nil {
		t.Fatal(err)
	}

	old := unix.Umask(0o027)
	defer unix.Umask(old)
	into := t.TempDir()
	var out bytes.Buffer
	if err := runFetch(ctx, fetchOptions{Client: alice, Ref: fmt.Sprint(resp.JobID), Into: into, Quiet: true, Out: &out}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]fs.FileMode{"open.txt": 0o640, "shared/run.sh": 0o750, "shared": 0o750} {
		fi, err := os.Stat(filepath.Join(into, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s fetched with mode %v, want %v (the job's mode under umask 027)", name, got, want)
		}
	}
}
