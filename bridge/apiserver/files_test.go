package apiserver_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// filesFixture is a server with a blob store, partitions "batch" (shared,
// the default) and "remote" (staged), and alice's and bob's clients.
type filesFixture struct {
	*fixture
	store cas.Store
}

func newFilesFixture(t *testing.T) *filesFixture {
	t.Helper()
	store, err := cas.Open("dir:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := bridgetest.Start(t, bridgetest.Options{
		Now:            time.Now,
		Partitions:     []string{"batch", "remote"},
		Blobs:          store,
		PartitionFiles: map[string]string{"remote": "staged"},
	})
	f := &fixture{srv: srv}
	f.ctx, f.cancel = context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(f.cancel)
	f.mgmt = srv.Client(t, srv.ManagementToken)
	f.aliceTok = srv.UserToken(t, "alice")
	f.bobTok = srv.UserToken(t, "bob")
	f.alice = srv.Client(t, f.aliceTok)
	f.bob = srv.Client(t, f.bobTok)
	return &filesFixture{fixture: f, store: store}
}

// upload scans a directory of files (name -> content) and uploads it as
// c; it returns the manifest digest and what was sent.
func upload(t *testing.T, ctx context.Context, c *api.Client, files map[string]string) (string, cas.Stats) {
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
	d, st, err := cas.Upload(ctx, m, l, api.NewBlobRemote(c, ""))
	if err != nil {
		t.Fatal(err)
	}
	return d, st
}

// submitStaged submits hello to the staged partition with input digest.
func (f *filesFixture) submitStaged(c *api.Client, digest string) (uint64, error) {
	resp, err := c.Submit(f.ctx, &api.SubmitRequest{Script: []byte(hello), ScriptName: "job.sh", Args: []string{"-p", "remote"}, Cwd: "/home/u", StagedInput: digest})
	if err != nil {
		return 0, err
	}
	return resp.JobID, nil
}

// runningStaged uploads alice's input (one file), submits hello to the
// staged partition with it and starts its run; it returns the input's
// digest and the job's ID.
func (f *filesFixture) runningStaged(t *testing.T) (string, uint64) {
	t.Helper()
	in, _ := upload(t, f.ctx, f.alice, map[string]string{"in.txt": "input\n"})
	id, err := f.submitStaged(f.alice, in)
	if err != nil {
		t.Fatal(err)
	}
	f.start(t, id, state.NoTask)
	return in, id
}

// A run token acts only on the routes that take one, for its own job: it
// is refused everywhere else, also for its own job (cancel, hold, read,
// submit as its user), and it cannot read another job's files.
func TestRunTokenOnlyOnItsRoutes(t *testing.T) {
	f := newFilesFixture(t)
	own := f.submit(t, f.alice, hello)
	other := f.submit(t, f.alice, hello)
	f.start(t, own, state.NoTask)
	f.start(t, other, state.NoTask)
	runTok := f.srv.RunToken(t, own)
	run := f.srv.Client(t, runTok)

	refused := []struct {
		name string
		call func() error
	}{
		{"cancel own job", func() error {
			_, err := run.Cancel(f.ctx, &api.CancelRequest{Refs: []string{fmt.Sprint(own)}})
			return err
		}},
		{"cancel other job", func() error {
			_, err := run.Cancel(f.ctx, &api.CancelRequest{Refs: []string{fmt.Sprint(other)}})
			return err
		}},
		{"hold own job", func() error { _, err := run.Hold(f.ctx, &api.RefsRequest{Refs: []string{fmt.Sprint(own)}}); return err }},
		{"submit", func() error {
			_, err := run.Submit(f.ctx, &api.SubmitRequest{Script: []byte(hello), ScriptName: "job.sh", Cwd: "/home/u"})
			return err
		}},
		{"read own job", func() error { _, _, err := run.Job(f.ctx, fmt.Sprint(own), nil); return err }},
		{"list jobs", func() error { _, _, err := run.Jobs(f.ctx, nil); return err }},
		{"token self", func() error { _, err := run.ACLSelf(f.ctx); return err }},
		{"other job's files", func() error { _, err := run.JobFiles(f.ctx, fmt.Sprint(other)); return err }},
		{"other job's output", func() error {
			_, err := run.PostOutput(f.ctx, fmt.Sprint(other), cas.Sum([]byte("x")))
			return err
		}},
	}
	for _, c := range refused {
		err := c.call()
		if err == nil {
			t.Errorf("%s with a run token: allowed", c.name)
			continue
		}
		if !api.IsCode(err, api.CodePermissionDenied) {
			t.Errorf("%s with a run token: %v, want permission_denied", c.name, err)
		}
	}
	if j := f.srv.Store.View().Job(own); j.State != state.StateRunning {
		t.Fatalf("own job is %s after the run token's requests", j.State)
	}
	// What it may do: its namespace's blobs, its own job's files.
	if _, err := run.BlobsMissing(f.ctx, []string{cas.Sum([]byte("x"))}); err != nil {
		t.Errorf("blobs/missing with the run token: %v", err)
	}
	if _, err := run.JobFiles(f.ctx, fmt.Sprint(own)); err != nil {
		t.Errorf("own job's files with the run token: %v", err)
	}
}

// Users' blobs are apart: bob cannot read alice's staged job's files nor
// its blobs (403, JSON code), cannot learn whether alice has some content
// (his namespace reports it missing), and a blob of alice's that no
// manifest of the job lists cannot be read through the job (404).
func TestStagedFilesACL(t *testing.T) {
	f := newFilesFixture(t)
	in, _ := upload(t, f.ctx, f.alice, map[string]string{"data/in.txt": "alice's secret input\n"})
	secret := cas.Sum([]byte("unrelated"))
	if err := f.alice.PutBlob(f.ctx, secret, []byte("unrelated")); err != nil {
		t.Fatal(err)
	}
	id, err := f.submitStaged(f.alice, in)
	if err != nil {
		t.Fatal(err)
	}
	ref := fmt.Sprint(id)
	files, err := f.alice.JobFiles(f.ctx, ref)
	if err != nil || files.Input != in {
		t.Fatalf("alice's job files: %+v, %v", files, err)
	}
	m, err := cas.GetManifest(f.ctx, in, api.NewBlobRemote(f.alice, ref))
	if err != nil {
		t.Fatal(err)
	}
	chunk := m.Files[len(m.Files)-1].Chunks[0]

	if _, err := f.bob.JobFiles(f.ctx, ref); !api.IsCode(err, api.CodePermissionDenied) {
		t.Errorf("bob reads alice's job files: %v", err)
	}
	for _, d := range []string{in, chunk} {
		if _, err := f.bob.JobBlob(f.ctx, ref, d); !api.IsCode(err, api.CodePermissionDenied) {
			t.Errorf("bob reads alice's blob %s: %v", d, err)
		}
	}
	miss, err := f.bob.BlobsMissing(f.ctx, []string{in, chunk})
	if err != nil || len(miss) != 2 {
		t.Errorf("bob's namespace has alice's blobs: missing %v, %v", miss, err)
	}
	if _, err := f.alice.JobBlob(f.ctx, ref, secret); !api.IsCode(err, api.CodeNotFound) {
		t.Errorf("alice reads a blob her job does not list through it: %v", err)
	}
	if b, err := f.alice.JobBlob(f.ctx, ref, chunk); err != nil || cas.Verify(chunk, b) != nil {
		t.Errorf("alice reads her job's chunk: %v", err)
	}
	// Raw: the JSON code of a refusal, on an unknown job too.
	st, e, _ := raw(t, http.MethodGet, f.srv.URL+"/v1/job/"+ref+"/blobs/"+chunk, f.bobTok, nil)
	if st != http.StatusForbidden || e.Code != api.CodePermissionDenied {
		t.Errorf("bob GET blob: %d %+v", st, e)
	}
	st, e, _ = raw(t, http.MethodGet, f.srv.URL+"/v1/job/999/files", f.bobTok, nil)
	if st != http.StatusNotFound || e.Code != api.CodeNotFound {
		t.Errorf("GET files of no job: %d %+v", st, e)
	}
	// A run token of bob's job reads nothing of alice's.
	bobJob := f.submit(t, f.bob, hello)
	f.start(t, bobJob, state.NoTask)
	bobRun := f.srv.Client(t, f.srv.RunToken(t, bobJob))
	if _, err := bobRun.JobBlob(f.ctx, ref, chunk); !api.IsCode(err, api.CodePermissionDenied) {
		t.Errorf("bob's run token reads alice's blob: %v", err)
	}
}

// A staged partition's job needs its input, complete in the user's
// namespace; the partition list says which partitions are staged; the
// same inputs again upload nothing.
func TestStagedSubmit(t *testing.T) {
	f := newFilesFixture(t)
	parts, err := f.alice.Partitions(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range parts {
		got[p.Name] = p.Files
	}
	if got["batch"] != "shared" || got["remote"] != "staged" {
		t.Errorf("partitions' files: %v", got)
	}
	if _, err := f.submitStaged(f.alice, ""); !api.IsCode(err, api.CodeStagedInput) {
		t.Fatalf("staged submit without input: %v", err)
	}
	// A manifest whose chunks are not there.
	m := &cas.Manifest{Version: cas.ManifestVersion, Files: []cas.File{{Path: "a", Mode: 0o644, Size: 1, Chunks: []string{cas.Sum([]byte("a"))}}}}
	enc, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.alice.PutBlob(f.ctx, cas.Sum(enc), enc); err != nil {
		t.Fatal(err)
	}
	if _, err := f.submitStaged(f.alice, cas.Sum(enc)); !api.IsCode(err, api.CodeStagedInput) || !strings.Contains(err.Error(), "incomplete") {
		t.Fatalf("staged submit with an incomplete manifest: %v", err)
	}
	files := map[string]string{"in.txt": "input\n", "sub/more.dat": strings.Repeat("x", 100000)}
	in, st := upload(t, f.ctx, f.alice, files)
	if st.SentChunks == 0 {
		t.Fatalf("first upload sent nothing: %+v", st)
	}
	// Bob cannot submit alice's manifest: it is not in his namespace.
	if _, err := f.submitStaged(f.bob, in); !api.IsCode(err, api.CodeStagedInput) {
		t.Errorf("bob submits alice's input: %v", err)
	}
	id, err := f.submitStaged(f.alice, in)
	if err != nil {
		t.Fatal(err)
	}
	if j := f.srv.Store.View().Job(id); j.Files == nil || j.Files.Input != in {
		t.Fatalf("job files: %+v", j.Files)
	}
	in2, st2 := upload(t, f.ctx, f.alice, files)
	if in2 != in || st2.SentChunks != 0 || st2.SentBytes != 0 {
		t.Errorf("same inputs again: %s sent %+v", in2, st2)
	}
	// A shared partition's job ignores a staged input.
	resp, err := f.alice.Submit(f.ctx, &api.SubmitRequest{Script: []byte(hello), ScriptName: "job.sh", Cwd: "/home/u", StagedInput: in})
	if err != nil {
		t.Fatal(err)
	}
	if j := f.srv.Store.View().Job(resp.JobID); j.Files != nil {
		t.Errorf("shared partition's job has files %+v", j.Files)
	}
}

// Outputs come only from the job's current run's token, complete in the
// store; the owner then reads them.
func TestJobOutput(t *testing.T) {
	f := newFilesFixture(t)
	in, id := f.runningStaged(t)
	ref := fmt.Sprint(id)
	runTok := f.srv.RunToken(t, id)
	run := f.srv.Client(t, runTok)
	out, _ := upload(t, f.ctx, run, map[string]string{"result.txt": "42\n"})
	if _, err := f.alice.PostOutput(f.ctx, ref, out); !api.IsCode(err, api.CodePermissionDenied) {
		t.Errorf("the owner posts outputs: %v", err)
	}
	incomplete := &cas.Manifest{Version: cas.ManifestVersion, Files: []cas.File{{Path: "b", Mode: 0o644, Size: 1, Chunks: []string{cas.Sum([]byte("b"))}}}}
	enc, _ := incomplete.Encode()
	if err := run.PutBlob(f.ctx, cas.Sum(enc), enc); err != nil {
		t.Fatal(err)
	}
	if _, err := run.PostOutput(f.ctx, ref, cas.Sum(enc)); !api.IsCode(err, api.CodeStagedInput) {
		t.Errorf("incomplete outputs: %v", err)
	}
	if _, err := run.PostOutput(f.ctx, ref, out); err != nil {
		t.Fatal(err)
	}
	files, err := f.alice.JobFiles(f.ctx, ref)
	if err != nil || files.Output != out || files.Input != in {
		t.Fatalf("files: %+v, %v", files, err)
	}
	dir := t.TempDir()
	if _, err := cas.Restore(f.ctx, out, dir, api.NewBlobRemote(f.alice, ref)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "result.txt")); string(b) != "42\n" {
		t.Errorf("restored output %q", b)
	}
	// Cancelled: the token still sends outputs within its grace; once the
	// run's end is seen it is gone.
	f.apply(t, state.CmdJobCancel, state.JobCancelCmd{Time: time.Now(), By: state.Actor{User: "alice"}, Refs: []state.JobRef{{JobID: id, Task: state.AllTasks}}})
	if _, err := run.PostOutput(f.ctx, ref, out); err != nil {
		t.Errorf("outputs after cancel, within the grace: %v", err)
	}
	f.apply(t, state.CmdJobFinish, state.JobFinishCmd{Time: time.Now(), JobID: id, State: state.StateCompleted})
	if _, err := run.BlobsMissing(f.ctx, []string{out}); !api.IsCode(err, api.CodeUnauthenticated) {
		t.Errorf("run token after the run's end: %v", err)
	}
}

// A node cannot make its job's outputs a decompression bomb: a manifest
// that lists one stored 4 MiB chunk over and over, adding up to more than
// api.MaxOutputBytes, is refused (hpcbridge fetch would write all of it on
// the submitter's machine).
func TestJobOutputBounded(t *testing.T) {
	f := newFilesFixture(t)
	_, id := f.runningStaged(t)
	run := f.srv.Client(t, f.srv.RunToken(t, id))
	chunk := bytes.Repeat([]byte{7}, cas.MaxChunk)
	cd := cas.Sum(chunk)
	if err := run.PutBlob(f.ctx, cd, chunk); err != nil {
		t.Fatal(err)
	}
	bomb := func(files int) string {
		t.Helper()
		const per = 1024 // chunks per file: 4 GiB each
		refs := make([]string, per)
		for i := range refs {
			refs[i] = cd
		}
		m := &cas.Manifest{Version: cas.ManifestVersion}
		for i := 0; i < files; i++ {
			m.Files = append(m.Files, cas.File{Path: fmt.Sprintf("f%03d", i), Mode: 0o644, Size: per * cas.MaxChunk, Chunks: refs})
		}
		enc, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if err := run.PutBlob(f.ctx, cas.Sum(enc), enc); err != nil {
			t.Fatal(err)
		}
		return cas.Sum(enc)
	}
	over := int(api.MaxOutputBytes/(1024*cas.MaxChunk)) + 1
	if _, err := run.PostOutput(f.ctx, fmt.Sprint(id), bomb(over)); !api.IsCode(err, api.CodeTooLarge) {
		t.Fatalf("outputs of %d GiB from one 4 MiB chunk: %v, want too_large", over*4, err)
	}
	if j := f.srv.Store.View().Job(id); j.Files.Output != "" {
		t.Fatalf("the bomb was recorded as the job's outputs: %+v", j.Files)
	}
	// At the limit it is taken (what a job may honestly send back).
	if _, err := run.PostOutput(f.ctx, fmt.Sprint(id), bomb(over-1)); err != nil {
		t.Fatalf("outputs of %d GiB: %v", (over-1)*4, err)
	}
}

// countingStore is a real store that counts the reads of each blob.
type countingStore struct {
	cas.Store
	mu    sync.Mutex
	reads map[string]int
}

func (c *countingStore) Get(ctx context.Context, ns, digest string) ([]byte, error) {
	c.mu.Lock()
	c.reads[digest]++
	c.mu.Unlock()
	return c.Store.Get(ctx, ns, digest)
}

// Reading a job's blobs decodes each of its manifests once, however many
// jobs' files are read at the same time (several fetches, or a user going
// round their jobs): a 100000-file manifest takes the coordinator over a
// second of CPU and ~100 MB to decode, and a restore asks for every chunk
// in turn. A digest the job does not list does not decode them again.
func TestJobBlobDecodesManifestsOnce(t *testing.T) {
	dir, err := cas.Open("dir:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	store := &countingStore{Store: dir, reads: map[string]int{}}
	srv := bridgetest.Start(t, bridgetest.Options{Now: time.Now, Partitions: []string{"remote"}, Blobs: store, PartitionFiles: map[string]string{"remote": "staged"}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	alice := srv.Client(t, srv.UserToken(t, "alice"))
	type job struct {
		ref       string
		manifests []string
		chunks    []string
	}
	var jobs []job
	for i := range 4 {
		in, _ := upload(t, ctx, alice, map[string]string{"in.txt": fmt.Sprintf("input %d\n", i)})
		resp, err := alice.Submit(ctx, &api.SubmitRequest{Script: []byte(hello), ScriptName: "job.sh", Args: []string{"-p", "remote"}, Cwd: "/home/u", StagedInput: in})
		if err != nil {
			t.Fatal(err)
		}
		cmd, _ := state.Encode(state.CmdJobStart, state.JobStartCmd{Time: time.Now(), JobID: resp.JobID, Task: state.NoTask})
		if _, _, err := srv.Raft.Apply(ctx, cmd); err != nil {
			t.Fatal(err)
		}
		ref := fmt.Sprint(resp.JobID)
		run := srv.Client(t, srv.RunToken(t, resp.JobID))
		out, _ := upload(t, ctx, run, map[string]string{"a.txt": fmt.Sprintf("a %d\n", i), "b.txt": fmt.Sprintf("b %d\n", i)})
		if _, err := run.PostOutput(ctx, ref, out); err != nil {
			t.Fatal(err)
		}
		m, err := cas.GetManifest(ctx, out, cas.StoreRemote(dir, "alice"))
		if err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, job{ref: ref, manifests: []string{in, out}, chunks: []string{m.Files[0].Chunks[0], m.Files[1].Chunks[0]}})
	}
	store.mu.Lock()
	clear(store.reads)
	store.mu.Unlock()
	unlisted := cas.Sum([]byte("not listed"))
	for round := range 3 {
		for _, j := range jobs {
			if _, err := alice.JobBlob(ctx, j.ref, j.chunks[round%2]); err != nil {
				t.Fatal(err)
			}
			if _, err := alice.JobBlob(ctx, j.ref, unlisted); !api.IsCode(err, api.CodeNotFound) {
				t.Fatalf("an unlisted blob: %v", err)
			}
		}
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	for _, j := range jobs {
		for _, m := range j.manifests {
			if n := store.reads[m]; n > 1 {
				t.Errorf("job %s's manifest %s was read %d times for 6 blob reads", j.ref, m, n)
			}
		}
	}
}

// A run token whose run Slurm ended works for state.RunTokenGrace (the
// node sends the last outputs back), then every route refuses it, even
// before a sweep deletes it.
func TestRunTokenGraceEnds(t *testing.T) {
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	store, err := cas.Open("dir:" + t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := bridgetest.Start(t, bridgetest.Options{Now: clock, Partitions: []string{"remote"}, Blobs: store, PartitionFiles: map[string]string{"remote": "staged"}})
	f := &fixture{srv: srv}
	f.ctx, f.cancel = context.WithTimeout(context.Background(), 30*time.Second)
	defer f.cancel()
	alice := srv.Client(t, srv.UserToken(t, "alice"))
	in, _ := upload(t, f.ctx, alice, map[string]string{"in.txt": "input\n"})
	resp, err := alice.Submit(f.ctx, &api.SubmitRequest{Script: []byte(hello), ScriptName: "job.sh", Args: []string{"-p", "remote"}, Cwd: "/home/u", StagedInput: in})
	if err != nil {
		t.Fatal(err)
	}
	id, ref := resp.JobID, fmt.Sprint(resp.JobID)
	f.start(t, id, state.NoTask)
	run := srv.Client(t, srv.RunToken(t, id))
	f.apply(t, state.CmdJobCancel, state.JobCancelCmd{Time: t0, By: state.Actor{User: "alice"}, Refs: []state.JobRef{{JobID: id, Task: state.AllTasks}}})
	set(t0.Add(state.RunTokenGrace - time.Second))
	if _, err := run.JobFiles(f.ctx, ref); err != nil {
		t.Fatalf("within the grace: %v", err)
	}
	set(t0.Add(state.RunTokenGrace))
	if _, err := run.JobFiles(f.ctx, ref); !api.IsCode(err, api.CodeUnauthenticated) {
		t.Errorf("job files a grace after the run ended: %v", err)
	}
	if _, err := run.BlobsMissing(f.ctx, []string{in}); !api.IsCode(err, api.CodeUnauthenticated) {
		t.Errorf("blobs/missing a grace after the run ended: %v", err)
	}
	if _, err := run.JobBlob(f.ctx, ref, in); !api.IsCode(err, api.CodeUnauthenticated) {
		t.Errorf("a job blob a grace after the run ended: %v", err)
	}
}

// A run token (a node's) cannot probe its job owner's namespace: content
// the owner has that its job does not list is answered missing (the node
// uploads it again, which is harmless); the job's own files are present.
func TestRunTokenCannotProbeNamespace(t *testing.T) {
	f := newFilesFixture(t)
	in, _ := upload(t, f.ctx, f.alice, map[string]string{"in.txt": "input\n"})
	private := []byte("alice's unpublished draft\n")
	if err := f.alice.PutBlob(f.ctx, cas.Sum(private), private); err != nil {
		t.Fatal(err)
	}
	id, err := f.submitStaged(f.alice, in)
	if err != nil {
		t.Fatal(err)
	}
	f.start(t, id, state.NoTask)
	run := f.srv.Client(t, f.srv.RunToken(t, id))
	m, err := cas.GetManifest(f.ctx, in, api.NewBlobRemote(f.alice, fmt.Sprint(id)))
	if err != nil {
		t.Fatal(err)
	}
	chunk := m.Files[0].Chunks[0]
	miss, err := run.BlobsMissing(f.ctx, []string{cas.Sum(private), in, chunk})
	if err != nil {
		t.Fatal(err)
	}
	if len(miss) != 1 || miss[0] != cas.Sum(private) {
		t.Errorf("the run token was told %v missing of [private, input manifest, input chunk], want only the private blob", miss)
	}
	// The owner's own token still sees all of it.
	if miss, err := f.alice.BlobsMissing(f.ctx, []string{cas.Sum(private), in, chunk}); err != nil || len(miss) != 0 {
		t.Errorf("alice's namespace: missing %v, %v", miss, err)
	}
}

// Another user sees a staged job in the lists (squeue shows every job)
// but not its manifests' digests, which would tell him whether alice
// staged some tree he knows; the owner and a management token see them.
func TestStagedDigestsOwnerOnly(t *testing.T) {
	f := newFilesFixture(t)
	in, _ := upload(t, f.ctx, f.alice, map[string]string{"in.txt": "input\n"})
	id, err := f.submitStaged(f.alice, in)
	if err != nil {
		t.Fatal(err)
	}
	ref := fmt.Sprint(id)
	for name, c := range map[string]*api.Client{"alice": f.alice, "management": f.mgmt} {
		j, _, err := c.Job(f.ctx, ref, nil)
		if err != nil || j.Files == nil || j.Files.Input != in {
			t.Errorf("%s reads the job: files %+v, %v", name, j.Files, err)
		}
	}
	j, _, err := f.bob.Job(f.ctx, ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	if j.Files != nil {
		t.Errorf("bob reads alice's job's files %+v", j.Files)
	}
	jobs, _, err := f.bob.Jobs(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.ID == id && j.Files != nil {
			t.Errorf("bob lists alice's job with files %+v", j.Files)
		}
	}
}

// Blob uploads are bounded and checked: the digest must match, a blob
// over MaxChunk must be a manifest, and at most MaxMissingDigests digests
// are asked about at once.
func TestBlobBounds(t *testing.T) {
	f := newFilesFixture(t)
	if err := f.alice.PutBlob(f.ctx, cas.Sum([]byte("a")), []byte("b")); !api.IsCode(err, api.CodeInvalidRequest) {
		t.Errorf("mismatched digest: %v", err)
	}
	big := bytes.Repeat([]byte("z"), cas.MaxChunk+1)
	if err := f.alice.PutBlob(f.ctx, cas.Sum(big), big); !api.IsCode(err, api.CodeTooLarge) {
		t.Errorf("a chunk over MaxChunk: %v", err)
	}
	huge := bytes.Repeat([]byte("z"), api.MaxBlobBytes+1)
	if err := f.alice.PutBlob(f.ctx, cas.Sum(huge), huge); !api.IsCode(err, api.CodeTooLarge) {
		t.Errorf("a blob over the body limit: %v", err)
	}
	many := make([]string, api.MaxMissingDigests+1)
	for i := range many {
		many[i] = cas.Sum([]byte(fmt.Sprint(i)))
	}
	if _, err := f.alice.BlobsMissing(f.ctx, many); err == nil {
		t.Error("too many digests asked about")
	}
	st, e, _ := raw(t, http.MethodPut, f.srv.URL+"/v1/blobs/sha256:nothex", f.aliceTok, strings.NewReader("x"))
	if st != http.StatusBadRequest || e.Code != api.CodeInvalidRequest {
		t.Errorf("bad digest: %d %+v", st, e)
	}
}

// A management token stores and submits a staged job as another user
// (sbatch submitting as the local user): the files go to that user's
// namespace. Another token may not name another user's namespace.
func TestBlobsAsUser(t *testing.T) {
	f := newFilesFixture(t)
	data := []byte("carol's input\n")
	d := cas.Sum(data)
	if err := f.bob.PutBlobAs(f.ctx, "alice", d, data); !api.IsCode(err, api.CodePermissionDenied) {
		t.Errorf("bob stores a blob as alice: %v", err)
	}
	if _, err := f.bob.BlobsMissingAs(f.ctx, "alice", []string{d}); !api.IsCode(err, api.CodePermissionDenied) {
		t.Errorf("bob asks alice's namespace: %v", err)
	}
	m := &cas.Manifest{Version: cas.ManifestVersion, Files: []cas.File{{Path: "in.txt", Mode: 0o644, Size: int64(len(data)), Chunks: []string{d}}}}
	enc, _ := m.Encode()
	for dg, b := range map[string][]byte{d: data, cas.Sum(enc): enc} {
		if err := f.mgmt.PutBlobAs(f.ctx, "carol", dg, b); err != nil {
			t.Fatal(err)
		}
	}
	if miss, err := f.mgmt.BlobsMissingAs(f.ctx, "carol", []string{d, cas.Sum(enc)}); err != nil || len(miss) != 0 {
		t.Fatalf("carol's namespace: missing %v, %v", miss, err)
	}
	if miss, _ := f.mgmt.BlobsMissing(f.ctx, []string{d}); len(miss) != 1 {
		t.Errorf("the management token's own namespace has carol's blob")
	}
	resp, err := f.mgmt.Submit(f.ctx, &api.SubmitRequest{Script: []byte(hello), ScriptName: "job.sh", Args: []string{"-p", "remote"}, Cwd: "/home/carol", User: "carol", StagedInput: cas.Sum(enc)})
	if err != nil {
		t.Fatal(err)
	}
	if j := f.srv.Store.View().Job(resp.JobID); j.User != "carol" || j.Files == nil {
		t.Errorf("job %+v", j)
	}
}
