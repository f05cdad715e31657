package checkpoint

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/cas"
)

// helperPipes runs HelperMain in a goroutine, as the driver runs the
// helper process: it returns the helper's output (the driver reads it)
// and input (the driver writes it), and waits for it at cleanup.
func helperPipes(t *testing.T) (fromHelper io.Reader, toHelper io.WriteCloser) {
	t.Helper()
	// OS pipes, as between the driver and the helper process.
	inR, inW, err := os.Pipe()
	must(t, err)
	outR, outW, err := os.Pipe()
	must(t, err)
	done := make(chan int, 1)
	go func() {
		code := HelperMain(inR, outW)
		outW.Close()
		done <- code
	}()
	t.Cleanup(func() {
		inW.Close()
		<-done
		inR.Close()
		outR.Close()
	})
	return outR, inW
}

func storeRemote(t *testing.T) cas.Remote {
	t.Helper()
	s, err := cas.NewDir(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return cas.StoreRemote(s, "alice")
}

// A checkpoint scanned and uploaded by the helper through the driver comes
// back by a restore, also through the driver; a second scan of the same
// files sends nothing.
func TestHelperScanAndRestore(t *testing.T) {
	remote := storeRemote(t)
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "ckpt"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "ckpt", "state"), []byte("epoch 7\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "model.bin"), bytes.Repeat([]byte("weights "), 100000), 0o600))
	// Random bytes: several chunks, which cas.Upload sends (and Restore
	// fetches) several at a time.
	noise := make([]byte, 12<<20)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(noise)
	must(t, os.WriteFile(filepath.Join(dir, "ckpt", "noise"), noise, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "other"), []byte("not named"), 0o644))

	scan := func(paths []string) *Result {
		r, w := helperPipes(t)
		res, err := Serve(context.Background(), r, w, &Job{Op: OpScan, Dir: dir, Paths: paths}, remote, 0)
		if err != nil {
			t.Fatal(err)
		}
		if res.Error != "" {
			t.Fatal(res.Error)
		}
		return res
	}
	first := scan([]string{"ckpt", "model.bin"})
	if first.Stats.Files != 4 || first.Stats.Chunks < 4 || first.Stats.SentBytes == 0 {
		t.Errorf("first scan %+v", first.Stats)
	}
	again := scan([]string{"ckpt", "model.bin"})
	if again.Digest != first.Digest || again.Stats.SentBytes != 0 {
		t.Errorf("unchanged scan: digest %s (was %s), sent %d bytes", again.Digest, first.Digest, again.Stats.SentBytes)
	}

	into := filepath.Join(t.TempDir(), "restored")
	r, w := helperPipes(t)
	res, err := Serve(context.Background(), r, w, &Job{Op: OpRestore, Dir: into, Digest: first.Digest}, remote, 0)
	if err != nil || res.Error != "" {
		t.Fatalf("restore: %v %s", err, res.Error)
	}
	if b, _ := os.ReadFile(filepath.Join(into, "ckpt", "noise")); !bytes.Equal(b, noise) {
		t.Error("restored noise differs")
	}
	if b, _ := os.ReadFile(filepath.Join(into, "ckpt", "state")); string(b) != "epoch 7\n" {
		t.Errorf("restored state %q", b)
	}
	if fi, err := os.Stat(filepath.Join(into, "model.bin")); err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 800000 {
		t.Errorf("restored model: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(into, "other")); !os.IsNotExist(err) {
		t.Errorf("a file not named was restored: %v", err)
	}
}

func TestHelperMissingDir(t *testing.T) {
	r, w := helperPipes(t)
	res, err := Serve(context.Background(), r, w, &Job{Op: OpScan, Dir: filepath.Join(t.TempDir(), "none")}, storeRemote(t), 0)
	if err != nil || !res.NoDir || !strings.Contains(res.Error, "does not exist") {
		t.Fatalf("%+v %v", res, err)
	}
}

// fakeHelper plays a helper that the job has tampered with: it sends
// frames, reads the driver's answers into answers.
type fakeHelper struct {
	t          *testing.T
	toDriver   *io.PipeWriter
	fromDriver *io.PipeReader
}

func newFake(t *testing.T, remote cas.Remote) (*fakeHelper, <-chan error) {
	aR, aW := io.Pipe() // helper -> driver
	bR, bW := io.Pipe() // driver -> helper
	errc := make(chan error, 1)
	go func() {
		_, err := Serve(context.Background(), aR, bW, &Job{Op: OpScan, Dir: "/x"}, remote, 0)
		bW.Close()
		aR.Close()
		errc <- err
	}()
	f := &fakeHelper{t: t, toDriver: aW, fromDriver: bR}
	if _, _, err := readFrame(bR); err != nil { // the job
		t.Fatal(err)
	}
	return f, errc
}

func (f *fakeHelper) ask(h *header, payload []byte) *header {
	f.t.Helper()
	if err := writeFrame(f.toDriver, h, payload); err != nil {
		f.t.Fatal(err)
	}
	a, _, err := readFrame(f.fromDriver)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

// The driver checks what a helper sends: a blob must match its digest,
// digests must be well formed and bounded in number, frames bounded.
func TestServeDistrustsTheHelper(t *testing.T) {
	remote := storeRemote(t)
	f, errc := newFake(t, remote)
	data := []byte("chunk")
	if a := f.ask(&header{Op: "put", Digest: cas.Sum([]byte("other"))}, data); a.Error == "" {
		t.Error("a blob under another blob's digest was stored")
	}
	if a := f.ask(&header{Op: "put", Digest: cas.Sum(data)}, data); a.Error != "" {
		t.Errorf("a good blob was refused: %s", a.Error)
	}
	if a := f.ask(&header{Op: "missing", Digests: []string{"../../etc/passwd"}}, nil); a.Error == "" {
		t.Error("a bad digest was asked about")
	}
	many := make([]string, maxDigestsPerAsk+1)
	for i := range many {
		many[i] = cas.Sum(data)
	}
	if a := f.ask(&header{Op: "missing", Digests: many}, nil); a.Error == "" {
		t.Error("an unbounded Missing question was answered")
	}
	if a := f.ask(&header{Op: "get", Digest: "sha256:zz"}, nil); a.Error == "" {
		t.Error("a bad digest was fetched")
	}
	if a := f.ask(&header{Op: "run_token"}, nil); a.Error == "" {
		t.Error("an unknown question was answered")
	}
	// An oversized frame ends the exchange.
	var n [8]byte
	binary.BigEndian.PutUint32(n[:4], maxHeader+1)
	_, _ = f.toDriver.Write(n[:])
	if err := <-errc; err == nil || !strings.Contains(err.Error(), "over the bounds") {
		t.Fatalf("oversized frame: %v", err)
	}
	f.toDriver.Close()
	f.fromDriver.Close()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
