package checkpoint

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadRequestBounds(t *testing.T) {
	many := make([]string, MaxPaths+1)
	for i := range many {
		many[i] = "f"
	}
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	}
	for _, tc := range []struct {
		name, body string
		ok         bool
	}{
		{"empty object", `{}`, true},
		{"paths", `{"paths":["a","b/c"]}`, true},
		{"at most MaxPaths", enc(Request{Paths: many[:MaxPaths]}), true},
		{"too many paths", enc(Request{Paths: many}), false},
		{"path too long", enc(Request{Paths: []string{strings.Repeat("a", MaxPathBytes+1)}}), false},
		{"empty path", `{"paths":[""]}`, false},
		{"NUL in path", `{"paths":["a\u0000b"]}`, false},
		{"unknown field", `{"paths":[],"run_token":"x"}`, false},
		{"not JSON", `paths=a`, false},
		{"over MaxRequestBytes", `{"paths":["` + strings.Repeat("a", MaxRequestBytes) + `"]}`, false},
	} {
		_, err := ReadRequest(strings.NewReader(tc.body))
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrRequest) {
			t.Errorf("%s: %v does not wrap ErrRequest", tc.name, err)
		}
	}
}

func TestRelPaths(t *testing.T) {
	job := filepath.Join(t.TempDir(), "job")
	dir := filepath.Join(job, "ckpt")
	got, err := RelPaths(dir, []string{filepath.Join(dir, "model.pt"), "state/", "./a/../b", dir, "b"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"model.pt", "state", "b", "."}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("RelPaths = %q, want %q", got, want)
	}
	if got, err := RelPaths(dir, nil); got != nil || err != nil {
		t.Errorf("no paths: %q %v", got, err)
	}
	for _, bad := range []string{"..", "../x", "a/../../x", job, filepath.Join(job, "ckpt2", "x"), "/etc/shadow", "../ckpt/../../x"} {
		if _, err := RelPaths(dir, []string{bad}); err == nil || !errors.Is(err, ErrRequest) {
			t.Errorf("RelPaths(%q) = %v, want an escape refused", bad, err)
		}
	}
}

func TestParseArgs(t *testing.T) {
	o, err := ParseArgs([]string{"-q", "--timeout", "90s", "a", "--", "-b"})
	if err != nil || !o.Quiet || o.Timeout != 90*time.Second || strings.Join(o.Paths, ",") != "a,-b" {
		t.Errorf("ParseArgs = %+v, %v", o, err)
	}
	if o, _ := ParseArgs(nil); o.Timeout != DefaultTimeout || o.Paths != nil {
		t.Errorf("defaults = %+v", o)
	}
	for _, bad := range [][]string{{"--timeout"}, {"--timeout=0s"}, {"--timeout=x"}, {"-x"}} {
		if _, err := ParseArgs(bad); err == nil {
			t.Errorf("ParseArgs(%q) accepted", bad)
		}
	}
}

// serveOnce answers one connection on a socket at path with rep, handing
// the request it read to got.
func serveOnce(t *testing.T, path string, rep *Reply) <-chan *Request {
	t.Helper()
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *Request, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(got)
		c, err := ln.AcceptUnix()
		if err != nil {
			return
		}
		defer c.Close()
		req, err := ReadRequest(c)
		if err != nil {
			_ = WriteReply(c, &Reply{Error: err.Error()})
			return
		}
		got <- req
		_ = WriteReply(c, rep)
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		os.Remove(path)
	})
	return got
}

// The client and Listen reach a socket whose path is too long for a
// socket address (deep Nomad data dirs) through /proc/self/fd.
func TestCommitLongSocketPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 60))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "checkpoint.sock")
	if len(path) <= maxSunPath {
		t.Fatalf("path %d bytes: not long enough for the test", len(path))
	}
	got := serveOnce(t, path, &Reply{Seq: 2, Digest: "sha256:" + strings.Repeat("a", 64), Files: 3, Size: 4096, Uploaded: 10})
	rep, err := Commit(context.Background(), path, []string{"/x/model.pt"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Seq != 2 || rep.Files != 3 {
		t.Errorf("reply %+v", rep)
	}
	if req := <-got; req == nil || len(req.Paths) != 1 || req.Paths[0] != "/x/model.pt" {
		t.Errorf("request %+v", req)
	}
}

// A failed commit reaches the command as its exit status and message.
func TestMainReportsFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.sock")
	serveOnce(t, path, &Reply{Error: "scan and upload /w: the checkpoint is over its limit"})
	var out, errw bytes.Buffer
	code := Main([]string{"model.pt"}, &out, &errw, []string{EnvSocket + "=" + path})
	if code != ExitFailed || !strings.Contains(errw.String(), "not committed: scan and upload /w: the checkpoint is over its limit") {
		t.Errorf("code %d, stderr %q", code, errw.String())
	}
	if code := Main(nil, &out, &errw, nil); code != ExitUsage {
		t.Errorf("without the socket: code %d", code)
	}
}

func TestMainPrintsCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.sock")
	got := serveOnce(t, path, &Reply{Seq: 4, Digest: "sha256:" + strings.Repeat("b", 64), Files: 12, Size: 3 << 30, Uploaded: 30 << 20})
	var out, errw bytes.Buffer
	wd, _ := os.Getwd()
	if code := Main([]string{"rel/model.pt"}, &out, &errw, []string{EnvSocket + "=" + path}); code != ExitOK {
		t.Fatalf("code %d: %s", code, errw.String())
	}
	want := "checkpoint 4 committed: 12 files, 3.0 GiB, 30.0 MiB uploaded (sha256:" + strings.Repeat("b", 64) + ")\n"
	if out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	// Relative paths go as absolute ones (the driver makes them relative
	// to the checkpoint directory).
	if req := <-got; req == nil || req.Paths[0] != filepath.Join(wd, "rel/model.pt") {
		t.Errorf("request %+v", req)
	}
}

// A reply bigger than MaxReplyBytes is not read past its bound.
func TestCommitBoundsReply(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.sock")
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(io.Discard, io.LimitReader(c, 100))
		_, _ = c.Write(bytes.Repeat([]byte{'x'}, MaxReplyBytes*2))
	}()
	defer func() { ln.Close(); <-done }()
	if _, err := Commit(context.Background(), path, nil); err == nil {
		t.Fatal("an oversized reply was accepted")
	}
}
