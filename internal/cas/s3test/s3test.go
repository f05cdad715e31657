// Package s3test starts a real S3-compatible server for tests: SeaweedFS's
// weed (bin/weed, built by `make s3` from tools/seaweedfs) on free ports of
// 127.0.0.1, with a data directory under the test's temporary directory and
// an S3 API that requires the keys it returns. Tests skip with a message
// saying how to get the binary when it is missing, and fail instead when
// HPCBRIDGE_REQUIRE_S3=1 (`make test` sets it).
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/cas"
)

// EnvBinary names an environment variable holding the weed executable to use.
const EnvBinary = "WEED_BIN"

// EnvRequire turns a skip for a missing binary into a failure.
const EnvRequire = "HPCBRIDGE_REQUIRE_S3"

// ErrNoBinary is returned by Binary when no weed executable is found.
var ErrNoBinary = errors.New("no weed binary: run `make s3` (builds SeaweedFS from its Go module into bin/weed) or set " + EnvBinary)

// Binary returns the weed executable: $WEED_BIN, else bin/weed of the
// nearest directory above the working directory that has a go.mod and one,
// else weed on $PATH.
func Binary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if err := executable(p); err != nil {
			return "", fmt.Errorf("%s=%s: %v (%w)", EnvBinary, p, err, ErrNoBinary)
		}
		return filepath.Abs(p)
	}
	if wd, err := os.Getwd(); err == nil {
		for d := filepath.Clean(wd); ; d = filepath.Dir(d) {
			if fi, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !fi.IsDir() {
				if p := filepath.Join(d, "bin", "weed"); executable(p) == nil {
					return p, nil
				}
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if p, err := exec.LookPath("weed"); err == nil {
		return filepath.Abs(p)
	}
	return "", ErrNoBinary
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

// Server is a running weed with its S3 gateway.
type Server struct {
	Endpoint  string // host:port of the S3 API (plain HTTP)
	AccessKey string
	SecretKey string
	Bucket    string // created before Start returns
	Dir       string // data directory and weed.log

	cmd    *exec.Cmd
	ports  []int
	exited chan struct{}
	err    error // the process's exit, valid once exited is closed
	once   sync.Once
}

// Spec returns the cas.Open spec of the bucket under prefix ("" for none).
func (s *Server) Spec(prefix string) string {
	p := s.Bucket
	if prefix != "" {
		p += "/" + prefix
	}
	return "s3://" + s.AccessKey + ":" + s.SecretKey + "@" + s.Endpoint + "/" + p + "?tls=false"
}

// LogPath is weed's combined output.
func (s *Server) LogPath() string { return filepath.Join(s.Dir, "weed.log") }

// LogTail returns the last n lines of weed's output.
func (s *Server) LogTail(n int) string {
	b, _ := os.ReadFile(s.LogPath())
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Start starts a server for t (skipping t when there is no weed binary,
// unless HPCBRIDGE_REQUIRE_S3=1) and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%v (%s=1)", err, EnvRequire)
		}
		t.Skipf("S3 tests skipped: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, err := StartServer(ctx, bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Logf("s3test: %v", err)
		}
	})
	return s
}

// StartServer starts bin ("weed") with its data in dir and returns once its
// S3 API answers and the bucket exists, or fails when ctx ends first (then
// the process is stopped). The caller must Stop the server.
func StartServer(ctx context.Context, bin, dir string) (*Server, error) {
	s := &Server{Dir: dir, AccessKey: "hb" + randHex(8), SecretKey: randHex(20), Bucket: "hpcbridge-test", exited: make(chan struct{})}
	conf, err := json.Marshal(map[string]any{"identities": []map[string]any{{
		"name":        "hpcbridge",
		"credentials": []map[string]string{{"accessKey": s.AccessKey, "secretKey": s.SecretKey}},
		"actions":     []string{"Admin", "Read", "Write", "List", "Tagging"},
	}}})
	if err != nil {
		return nil, err
	}
	confPath := filepath.Join(dir, "s3.json")
	if err := os.WriteFile(confPath, conf, 0o600); err != nil {
		return nil, fmt.Errorf("s3test: %w", err)
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, fmt.Errorf("s3test: %w", err)
	}
	s.ports, err = freePorts(8)
	if err != nil {
		return nil, err
	}
	p := func(i int) string { return strconv.Itoa(s.ports[i]) }
	s.Endpoint = "127.0.0.1:" + p(6)
	args := []string{"server",
		"-dir=" + data, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port=" + p(0), "-master.port.grpc=" + p(1), "-master.volumeSizeLimitMB=64",
		"-volume.port=" + p(2), "-volume.port.grpc=" + p(3), "-volume.preStopSeconds=0", "-volume.max=0",
		"-filer", "-filer.port=" + p(4), "-filer.port.grpc=" + p(5), "-filer.localSocket=" + filepath.Join(dir, "filer.sock"),
		"-s3", "-s3.port=" + p(6), "-s3.port.grpc=" + p(7), "-s3.config=" + confPath,
		"-s3.localSocket=" + filepath.Join(dir, "s3.sock"), "-s3.port.iceberg=0", "-s3.port.lance=0",
	}
	logf, err := os.OpenFile(s.LogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("s3test: %w", err)
	}
	defer logf.Close()
	s.cmd = exec.Command(bin, args...)
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("s3test: start %s: %w", bin, err)
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, fmt.Errorf("s3test: weed on %s: %w\n%s", s.Endpoint, err, s.LogTail(30))
	}
	return s, nil
}

// waitReady polls until an anonymous request is refused (the API is up and
// requires keys) and the bucket can be made with the keys.
func (s *Server) waitReady(ctx context.Context) error {
	cfg, err := cas.ParseS3Spec(s.Spec(""))
	if err != nil {
		return err
	}
	st, err := cas.NewS3(cfg)
	if err != nil {
		return err
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	anonRefused := false
	for {
		if !anonRefused {
			anonRefused, last = refusesAnonymous(ctx, s.Endpoint, s.Bucket)
		} else if last = st.EnsureBucket(ctx); last == nil {
			// The first write grows the volumes (seconds): do it here,
			// so that the tests' first Put is not the slow one.
			warm := []byte("s3test ready")
			if last = st.Put(ctx, "s3test", cas.Sum(warm), warm); last == nil {
				return nil
			}
		}
		select {
		case <-s.exited:
			if s.err == nil {
				return errors.New("exited with status 0 before it was ready")
			}
			return fmt.Errorf("exited: %w", s.err)
		case <-ctx.Done():
			return fmt.Errorf("not ready: %w (last: %v)", ctx.Err(), last)
		case <-tick.C:
		}
	}
}

// refusesAnonymous reports whether an unsigned PUT of a bucket is refused
// with 403: the API is up and it wants keys.
func refusesAnonymous(ctx context.Context, endpoint, bucket string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, "http://"+endpoint+"/"+bucket+"-anon", bytes.NewReader(nil))
	if err != nil {
		return false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		return false, fmt.Errorf("anonymous PUT answered %s, want 403 Forbidden", resp.Status)
	}
	return true, nil
}

// Stop kills the server's process group and waits for it; idempotent.
func (s *Server) Stop() error {
	var err error
	s.once.Do(func() {
		if s.cmd == nil || s.cmd.Process == nil {
			return
		}
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			err = fmt.Errorf("weed (pid %d) did not exit after SIGKILL", s.cmd.Process.Pid)
		}
		// weed puts its other unix sockets in /tmp, named by port.
		for _, port := range s.ports {
			matches, _ := filepath.Glob(fmt.Sprintf("/tmp/seaweedfs-*-%d.sock", port))
			for _, m := range matches {
				os.Remove(m)
			}
		}
	})
	return err
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	out := make([]int, n)
	for i := range out {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("s3test: finding a free port: %w", err)
		}
		ls = append(ls, l)
		out[i] = l.Addr().(*net.TCPAddr).Port
	}
	return out, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
