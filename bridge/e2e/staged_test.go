package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	nomadapi "github.com/hashicorp/nomad/api"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/internal/cas/s3test"
	"github.com/hpcbridge/hpcbridge/internal/e2etest"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent"
	"github.com/hpcbridge/hpcbridge/internal/nomadagent/nomadtest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// The staged-files and checkpoint tests (issue 13) run on `hpcbridge dev
// --nodes 2 --staged`: a Nomad server and two clients (127.0.1.101 and
// 127.0.1.102, fake GPUs) whose partition is staged, so that a job's files
// travel with it instead of being read from the submit directory, and its
// checkpoints leave the node when committed. The same flows run again with
// the blob store on a real S3-compatible server (internal/cas/s3test).

// donorDev is `hpcbridge dev --nodes 2 --staged` run by the test, with the
// Slurm commands pointed at it.
type donorDev struct {
	*stack
	dataDir string
	nomad   *nomadapi.Client
	nodes   []string // the Nomad client nodes' names
	blobs   string   // the local blob store's directory ("" on another store)
	// lastInput is the input manifest of the last staged job the flows
	// checked (set by otherUserReadsNothing).
	lastInput *string
	log       *lockedLog
}

// lockedLog is a process's output as it comes, safe to read while written.
type lockedLog = e2etest.Log

// startDonorDev starts `hpcbridge dev --nodes 2 --staged` with flags added,
// on free ports, and waits for its banner (dev prints it once both nodes
// offer their GPUs).
func startDonorDev(t *testing.T, flags ...string) *donorDev {
	t.Helper()
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	nomadtest.Require(t)
	nomadBin, err := nomadagent.Binary()
	if err != nil {
		t.Skip(err)
	}
	binDir, plugins := buildGPUTools(t)
	d := &donorDev{dataDir: filepath.Join(searchableDir(t), "dev"), log: &lockedLog{}, lastInput: new(string)}
	bind := freePort(t)
	args := append([]string{"dev", "--nodes", "2", "--staged", "--gpu-backend", "fake", "--gpus", "2", "--log-level", "info",
		"--data-dir", d.dataDir, "--bind", bind, "--raft-bind", freePort(t), "--plugin-dir", plugins}, flags...)
	cmd := exec.Command(filepath.Join(binDir, "hpcbridge"), args...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), nomadagent.EnvBinary+"="+nomadBin)
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	running, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		ran := false
		for sc.Scan() {
			d.log.Add(sc.Text() + "\n")
			// The banner comes in one write; its last line is "Try: ...".
			if !ran && strings.HasPrefix(sc.Text(), "Try: ") {
				ran = true
				close(running)
			}
		}
		io.Copy(io.Discard, pipe)
		cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(90 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("hpcbridge dev:\n%s", tail(d.log.String(), 200))
		}
	})
	select {
	case <-running:
	case <-exited:
		t.Fatalf("hpcbridge dev exited:\n%s", d.log.String())
	case <-time.After(5 * time.Minute):
		t.Fatalf("hpcbridge dev did not start in 5 minutes:\n%s", d.log.String())
	}
	m := regexp.MustCompile(`(?m)^\s*Nomad API:\s+(\S+)`).FindStringSubmatch(d.log.String())
	if m == nil {
		t.Fatalf("hpcbridge dev's banner names no Nomad API:\n%s", d.log.String())
	}
	nc, err := nomadapi.NewClient(&nomadapi.Config{Address: m[1]})
	if err != nil {
		t.Fatal(err)
	}
	d.nomad = nc
	d.nodes = devNodeNames[:2]
	tok, err := os.ReadFile(filepath.Join(d.dataDir, "management-token"))
	if err != nil {
		t.Fatal(err)
	}
	st := &stack{t: t, binDir: binDir, plugins: plugins, token: strings.TrimSpace(string(tok)), work: sharedDir(t)}
	st.api = client(t, "http://"+bind, st.token)
	st.env = append(os.Environ(), api.EnvAddress+"=http://"+bind, api.EnvToken+"="+st.token, "PATH="+binDir+":"+os.Getenv("PATH"))
	d.stack = st
	if !slices.Contains(flags, "--blob-store") {
		d.blobs = filepath.Join(d.dataDir, "coordinator", "blobs")
	}
	return d
}

// on is d seen from a subtest.
func (d *donorDev) on(t *testing.T) *donorDev {
	c := *d
	c.stack = d.stack.on(t)
	return &c
}

// tail is the last n lines of s.
func tail(s string, n int) string { return e2etest.Tail(s, n) }

// TestStagedDev is issue 13's "what it must show" on `hpcbridge dev
// --nodes 2 --staged` with the coordinator's own blob store.
func TestStagedDev(t *testing.T) {
	d := startDonorDev(t)
	runDonorFlows(t, d)
}

// TestStagedDevS3 is the same on the S3-compatible store: `hpcbridge dev
// --blob-store s3://...` on a real SeaweedFS server (internal/cas/s3test),
// whose bucket then holds the staged files and checkpoints.
func TestStagedDevS3(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	s3 := s3test.Start(t)
	d := startDonorDev(t, "--blob-store", s3.Spec("e2e"))
	runDonorFlows(t, d)
	// The blobs went to the bucket, not to the coordinator's data dir.
	if n := countFiles(t, filepath.Join(d.dataDir, "coordinator", "blobs")); n != 0 {
		t.Errorf("with an S3 blob store, %d blob files in the coordinator's data dir", n)
	}
	store, err := cas.Open(s3.Spec("e2e"))
	if err != nil {
		t.Fatal(err)
	}
	if *d.lastInput == "" {
		return // the flow that sets it failed or skipped
	}
	ok, err := store.Has(context.Background(), "root", *d.lastInput)
	if err != nil || !ok {
		t.Errorf("the S3 bucket lacks the staged job's input manifest %s in namespace root: %v, %v", *d.lastInput, ok, err)
	}
}

// runDonorFlows runs every flow that one staged dev shows, in an order that
// leaves the reclaim (which takes a node away) for last.
func runDonorFlows(t *testing.T, d *donorDev) {
	t.Run("files travel and come back with fetch", func(t *testing.T) { stagedFilesTravel(d.on(t)) })
	t.Run("sbatch --wait fetches", func(t *testing.T) { stagedWaitFetches(d.on(t)) })
	t.Run("another user reads nothing", func(t *testing.T) { otherUserReadsNothing(d.on(t)) })
	t.Run("a checkpoint in the job's first second", func(t *testing.T) { firstSecondCheckpoint(d.on(t)) })
	t.Run("forged receipts", func(t *testing.T) { forgedReceipts(d.on(t)) })
	t.Run("reclaimed mid-run resumes on the other node", func(t *testing.T) { reclaimResumesElsewhere(d.on(t)) })
}

// stagedJob reads inputs from its working directory, writes outputs there
// (a new directory, an executable file, a symlink) and prints what it saw.
// It starts with the usual cd to $SLURM_SUBMIT_DIR, which on a staged node
// is the restored copy.
const stagedJob = `#!/bin/bash
#SBATCH -J staged
#SBATCH -o staged-%j.out
cd "$SLURM_SUBMIT_DIR" || exit 1
echo "cwd=$PWD"
echo "submit=$SLURM_SUBMIT_DIR"
echo "origin=$HPCBRIDGE_SUBMIT_DIR_ORIGIN"
echo "node=$SLURMD_NODENAME"
echo "input=$(cat input.txt)"
echo "link=$(readlink in-link) $(cat in-link)"
echo "mode=$(stat -c %a tool.sh)"
mkdir -p results
./tool.sh data/numbers.txt >results/sum.txt
printf '#!/bin/sh\necho rerun\n' >results/rerun.sh
chmod 750 results/rerun.sh
ln -s results/sum.txt latest
echo done
`

// stagedFilesTravel: a staged job reads its inputs from the submit
// directory as it was at submit (the test changes it before the job runs,
// and the job sees the old content: the node does not read the directory),
// runs elsewhere than the submit directory, leaves that directory untouched,
// and its new files (output file, a directory, modes, a symlink) come back
// with `hpcbridge fetch`, into the submit directory by default or --into a
// directory. Resubmitting the same inputs stores nothing new.
func stagedFilesTravel(d *donorDev) {
	t := d.t
	sub := d.in("files")
	sub.script("input.txt", "alpha\n")
	var nums strings.Builder
	for i := 1; i <= 100; i++ {
		fmt.Fprintln(&nums, i)
	}
	if err := os.Mkdir(filepath.Join(sub.work, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	sub.script("data/numbers.txt", nums.String())
	sub.script("tool.sh", "#!/bin/sh\nawk '{s+=$1} END {print \"sum \" s}' \"$1\"\n")
	if err := os.Chmod(filepath.Join(sub.work, "tool.sh"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("input.txt", filepath.Join(sub.work, "in-link")); err != nil {
		t.Fatal(err)
	}
	script := sub.script("job.sh", stagedJob)

	// Held, so that the submit directory changes before the job can run.
	id := sub.submit("--hold", script)
	if d.blobs != "" {
		before := countFiles(t, d.blobs)
		again := sub.submit("--hold", script)
		if after := countFiles(t, d.blobs); after != before {
			t.Errorf("resubmitting the same inputs stored %d new blob files (%d -> %d), want none", after-before, before, after)
		}
		sub.must("scancel", again)
	}
	sub.script("input.txt", "beta: changed after submit\n")
	sub.must("scontrol", "release", id)
	j := sub.wait(id, 3*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
	if j.State != state.StateCompleted || j.ExitString() != "0:0" {
		t.Fatalf("staged job %s: %s %s, want COMPLETED 0:0 (%s)", id, j.State, j.ExitString(), j.Reason)
	}
	// Nothing came back by itself: the node never wrote the submit directory.
	for _, f := range []string{"staged-" + id + ".out", "results", "latest"} {
		if _, err := os.Lstat(filepath.Join(sub.work, f)); err == nil {
			t.Errorf("%s is in the submit directory before hpcbridge fetch: the staged job wrote there", f)
		}
	}

	into := filepath.Join(sub.work, "fetched")
	sub.must("hpcbridge", "fetch", id, "--into", into)
	got := listTree(t, into)
	want := []string{"latest -> results/sum.txt", "results/ 755", "results/rerun.sh 750", "results/sum.txt 644", "staged-" + id + ".out 644"}
	if !slices.Equal(got, want) {
		t.Errorf("fetch --into: %q, want the job's new files only, %q", got, want)
	}
	if b, _ := os.ReadFile(filepath.Join(into, "results/sum.txt")); string(b) != "sum 5050\n" {
		t.Errorf("results/sum.txt: %q, want \"sum 5050\\n\"", b)
	}
	out, _ := os.ReadFile(filepath.Join(into, "staged-"+id+".out"))
	vars := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			vars[k] = v
		}
	}
	if vars["input"] != "alpha" || vars["link"] != "input.txt alpha" || vars["mode"] != "750" || !strings.HasSuffix(string(out), "done\n") {
		t.Errorf("the job did not see the inputs as submitted (input alpha, in-link -> input.txt, tool.sh 750):\n%s", out)
	}
	if vars["submit"] != vars["cwd"] {
		t.Errorf("SLURM_SUBMIT_DIR=%q, want the node's copy the job runs in, %q", vars["submit"], vars["cwd"])
	}
	if vars["origin"] != sub.work {
		t.Errorf("HPCBRIDGE_SUBMIT_DIR_ORIGIN=%q, want the submit directory %s", vars["origin"], sub.work)
	}
	if cwd := vars["cwd"]; cwd == "" || cwd == sub.work || strings.HasPrefix(cwd, sub.work+"/") {
		t.Errorf("the staged job ran in %q, want a directory of its node's, not the submit directory %s", cwd, sub.work)
	}
	if !slices.Contains(d.nodes, vars["node"]) {
		t.Errorf("the job ran on %q, want one of %v", vars["node"], d.nodes)
	}

	// By default, into the submit directory (it exists here).
	sub.must("hpcbridge", "fetch", id)
	if b, err := os.ReadFile(filepath.Join(sub.work, "staged-"+id+".out")); err != nil || !bytes.Equal(b, out) {
		t.Errorf("hpcbridge fetch %s into the submit directory: staged-%s.out %q (%v), want %q", id, id, b, err, out)
	}
	if b, _ := os.ReadFile(filepath.Join(sub.work, "input.txt")); string(b) != "beta: changed after submit\n" {
		t.Errorf("fetch rewrote input.txt, which the job did not change: %q", b)
	}
}

// stagedWaitFetches: `sbatch --wait` on a staged partition returns with the
// job's outputs in the submit directory.
func stagedWaitFetches(d *donorDev) {
	t := d.t
	sub := d.in("wait")
	sub.script("in.txt", "7\n")
	out := sub.must("sbatch", "--wait", "-o", "wait-%j.out", sub.script("w.sh", "#!/bin/sh\necho $(( $(cat in.txt) * 6 )) >answer.txt\necho waited\n"))
	if b, err := os.ReadFile(filepath.Join(sub.work, "answer.txt")); err != nil || string(b) != "42\n" {
		t.Errorf("after sbatch --wait (%q): answer.txt %q, %v; want 42 fetched", out, b, err)
	}
	id := ""
	if m := regexp.MustCompile(`Submitted batch job (\d+)`).FindStringSubmatch(out); m != nil {
		id = m[1]
	}
	if b, err := os.ReadFile(filepath.Join(sub.work, "wait-"+id+".out")); err != nil || string(b) != "waited\n" {
		t.Errorf("after sbatch --wait (%q): wait-%s.out %q, %v; want \"waited\"", out, id, b, err)
	}
}

// jobFiles is GET /v1/job/{ref}/files.
type jobFiles struct {
	Input       string `json:"input"`
	Output      string `json:"output"`
	Checkpoints []struct {
		Run    int       `json:"run"`
		Seq    int       `json:"seq"`
		Digest string    `json:"digest"`
		Size   int64     `json:"size"`
		Time   time.Time `json:"time"`
	} `json:"checkpoints"`
}

// apiCall makes one request to d's coordinator with token, and returns the
// status and body.
func (d *donorDev) apiCall(token, method, path string, body any) (int, []byte) {
	d.t.Helper()
	var in io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			d.t.Fatal(err)
		}
		in = bytes.NewReader(b)
	}
	addr := ""
	for _, e := range d.env {
		if v, ok := strings.CutPrefix(e, api.EnvAddress+"="); ok {
			addr = v
		}
	}
	req, err := http.NewRequest(method, addr+path, in)
	if err != nil {
		d.t.Fatal(err)
	}
	req.Header.Set(api.HeaderToken, token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	return res.StatusCode, b
}

// files is the job's files as its owner (management) reads them.
func (d *donorDev) files(id string) jobFiles {
	d.t.Helper()
	code, b := d.apiCall(d.token, "GET", "/v1/job/"+id+"/files", nil)
	var f jobFiles
	if code != http.StatusOK || json.Unmarshal(b, &f) != nil {
		d.t.Fatalf("GET /v1/job/%s/files: %d %s", id, code, b)
	}
	return f
}

// userToken makes a client token of user.
func (d *donorDev) userToken(user string) string {
	d.t.Helper()
	tok, err := d.api.ACLCreateToken(context.Background(), &api.ACLTokenRequest{Name: user, User: user})
	if err != nil {
		d.t.Fatal(err)
	}
	return tok.SecretID
}

// otherUserReadsNothing: a user reads neither another user's staged files
// nor their checkpoints, through fetch or the routes, and cannot even learn
// whether the store holds some content of theirs.
func otherUserReadsNothing(d *donorDev) {
	t := d.t
	sub := d.in("private")
	sub.script("secret.txt", "the owner's unpublished data\n")
	id := sub.submit("-o", "p-%j.out", sub.script("p.sh", `#!/bin/bash
cat secret.txt >copy.txt
echo 1 >state
# Retried: this flow is about who reads what (see firstSecondCheckpoint).
until hpcbridge checkpoint; do sleep 1; done
echo committed
`))
	j := sub.wait(id, 3*time.Minute, "ended", func(j *state.Job) bool { return j.State.Terminal() })
	if j.State != state.StateCompleted {
		t.Fatalf("job %s: %s %s (%s), want COMPLETED", id, j.State, j.ExitString(), j.Reason)
	}
	f := d.files(id)
	*d.lastInput = f.Input
	if f.Input == "" || f.Output == "" || len(f.Checkpoints) == 0 {
		t.Fatalf("job %s's files %+v: want an input, an output and a checkpoint; its output:\n%s", id, f, sub.fetched(id, "p-"+id+".out"))
	}
	mallory := d.userToken("mallory")
	owner := d.userToken("root") // the job's user: sbatch with the management token submits as the local user
	digests := []string{f.Input, f.Output, f.Checkpoints[0].Digest}

	if code, b := d.apiCall(owner, "GET", "/v1/job/"+id+"/files", nil); code != http.StatusOK {
		t.Errorf("the owner's GET /v1/job/%s/files: %d %s, want 200", id, code, b)
	}
	if code, b := d.apiCall(mallory, "GET", "/v1/job/"+id+"/files", nil); code == http.StatusOK {
		t.Errorf("another user's GET /v1/job/%s/files: 200 %s, want refused", id, b)
	}
	for _, dg := range digests {
		if code, _ := d.apiCall(owner, "GET", "/v1/job/"+id+"/blobs/"+dg, nil); code != http.StatusOK {
			t.Errorf("the owner's GET /v1/job/%s/blobs/%s: %d, want 200", id, dg, code)
		}
		if code, b := d.apiCall(mallory, "GET", "/v1/job/"+id+"/blobs/"+dg, nil); code == http.StatusOK {
			t.Errorf("another user's GET /v1/job/%s/blobs/%s: 200 (%d bytes), want refused", id, dg, len(b))
		}
	}
	// Her namespace is hers: the owner's blobs are missing there.
	code, b := d.apiCall(mallory, "POST", "/v1/blobs/missing", map[string]any{"digests": digests})
	var miss struct{ Missing []string }
	if code != http.StatusOK || json.Unmarshal(b, &miss) != nil {
		t.Fatalf("another user's POST /v1/blobs/missing: %d %s", code, b)
	}
	slices.Sort(miss.Missing)
	slices.Sort(digests)
	if !slices.Equal(miss.Missing, digests) {
		t.Errorf("another user asks which of the owner's digests are missing: %v, want all of %v (no user learns what another stored)", miss.Missing, digests)
	}
	// fetch as her fails and writes nothing.
	into := filepath.Join(sub.work, "mallory")
	as := *sub
	as.env = append(slices.Clip(sub.env), api.EnvToken+"="+mallory)
	if out, err := as.run("hpcbridge", "fetch", id, "--into", into); err == nil {
		t.Errorf("hpcbridge fetch %s as another user succeeded: %s", id, out)
	}
	if n := countFiles(t, into); n != 0 {
		t.Errorf("hpcbridge fetch as another user wrote %d files into %s", n, into)
	}
}

// submit is sbatch --parsable's job id, read from its standard output
// alone: on a staged partition sbatch says on stderr what it uploaded.
func (st *stack) submit(args ...string) string {
	st.t.Helper()
	cmd := exec.Command(filepath.Join(st.binDir, "sbatch"), append([]string{"--parsable"}, args...)...)
	cmd.Dir, cmd.Env = st.work, st.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		st.t.Fatalf("sbatch %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.Bytes())
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		st.t.Fatalf("sbatch --parsable %s printed %q on stdout, want a job id", strings.Join(args, " "), out)
	}
	return id
}

// fetched is file name of job id's outputs, fetched into a new directory
// (what went wrong instead, when it cannot be had): for failure messages.
func (st *stack) fetched(id, name string) string {
	st.t.Helper()
	dir, err := os.MkdirTemp(st.work, "fetched-")
	if err != nil {
		return err.Error()
	}
	if out, err := st.run("hpcbridge", "fetch", id, "--into", dir); err != nil {
		return fmt.Sprintf("hpcbridge fetch %s: %v: %s", id, err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// countFiles counts the regular files under dir (0 when it does not exist).
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type().IsRegular() {
			n++
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return n
}

// listTree lists dir's entries below it: "path perm" for files and
// directories ("path/ perm"), "path -> target" for symlinks, sorted.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := e.Info()
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out = append(out, rel+" -> "+target)
		case info.IsDir():
			out = append(out, fmt.Sprintf("%s/ %o", rel, info.Mode().Perm()))
		default:
			out = append(out, fmt.Sprintf("%s %o", rel, info.Mode().Perm()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}
