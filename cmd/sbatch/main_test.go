package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// result is one run of the lean sbatch.
type result struct {
	code     int
	out, err string
	// handedOff are the arguments hpcbridge got, nil when it was not run.
	handedOff []string
}

// runSbatch runs the lean sbatch in dir with env, hpcbridge replaced by a
// recorder.
func runSbatch(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	var r result
	d := deps{
		now:         func() time.Time { return time.Date(2026, 11, 21, 18, 41, 55, 0, time.UTC) },
		getwd:       func() (string, error) { return dir, nil },
		hostname:    func() (string, error) { return "login1", nil },
		currentUser: func() (string, error) { return "alice", nil },
		handOff: func(args []string, s streams) int {
			r.handedOff = append([]string{}, args...)
			return 77
		},
	}
	t.Chdir(dir)
	r.code = run(args, streams{out: &out, err: &errb, env: env}, d)
	r.out, r.err = out.String(), errb.String()
	return r
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSubmits submits through a coordinator and checks what it recorded:
// what the full sbatch would have sent.
func TestSubmits(t *testing.T) {
	srv := bridgetest.Start(t, bridgetest.Options{})
	dir := t.TempDir()
	writeFile(t, dir, "job.sh", "#!/bin/bash\n#SBATCH -J fromscript -t 10\necho hi\n")
	env := []string{api.EnvAddress + "=" + srv.URL, api.EnvToken + "=" + srv.ManagementToken, "HOME=/home/alice",
		"SLURM_X=1", "SECRET=x", "TZ=Europe/Berlin"}
	cases := []struct {
		args []string
		out  string
	}{
		{[]string{"job.sh", "a", "b"}, "Submitted batch job 1\n"},
		{[]string{"--parsable", "--export=NONE", "-t", "5", "job.sh", "arg1"}, "2\n"},
		{[]string{"-Q", "job.sh"}, ""},
		{[]string{"--hold", "--wrap", "hostname", "-J", "w", "--parsable"}, "4\n"},
		{[]string{"--array=1-3%2", "job.sh"}, "Submitted batch job 5\n"},
	}
	for _, c := range cases {
		r := runSbatch(t, dir, env, c.args...)
		if r.code != 0 || r.out != c.out || r.err != "" || r.handedOff != nil {
			t.Errorf("sbatch %q: exit %d, stdout %q, stderr %q, handed off %q; want stdout %q", c.args, r.code, r.out, r.err, r.handedOff, c.out)
		}
	}
	v := srv.Store.View()
	j := v.Job(2)
	sub := v.Submission(j)
	if !slices.Equal(sub.Args, []string{"--parsable", "--export=NONE", "-t", "5"}) || !slices.Equal(sub.ScriptArgs, []string{"arg1"}) ||
		sub.ScriptName != "job.sh" || !strings.Contains(string(sub.Script), "echo hi") || sub.Cwd != dir || sub.SubmitHost != "login1" {
		t.Errorf("submission = %+v", sub)
	}
	// --export=NONE: the SLURM_* variables, and sbatch's umask.
	if len(sub.Env) != 2 || sub.Env[0] != "SLURM_X=1" || !strings.HasPrefix(sub.Env[1], "SLURM_UMASK=0") || j.TimeLimitMin != 5 || j.Name != "fromscript" {
		t.Errorf("job = %+v, env %q", j, sub.Env)
	}
	// The local caller owns the job, whose token is a management token.
	if j.User != "alice" {
		t.Errorf("job owner %q, want the local caller alice", j.User)
	}
	// The coordinator stores the script sbatch generates for --wrap.
	if w := v.Job(4); w.Name != "w" || w.Hold != state.HoldUser || string(v.Submission(w).Script) != string(jobspec.WrapScript("hostname")) {
		t.Errorf("--wrap job = %+v", w)
	}
	if a := v.Job(5); a.Pending.Len() != 3 || a.Throttle() != 2 {
		t.Errorf("array = %+v", a)
	}
}

// TestHandsOff checks what the lean sbatch leaves to hpcbridge: before
// anything was committed, with the arguments as given.
func TestHandsOff(t *testing.T) {
	srv := bridgetest.Start(t, bridgetest.Options{Partitions: []string{"debug", "gpu"}})
	dir := t.TempDir()
	writeFile(t, dir, "job.sh", "#!/bin/bash\necho hi\n")
	writeFile(t, dir, "warn.sh", "#!/bin/bash\n#SBATCH --bogus-option\necho hi\n")
	env := []string{api.EnvAddress + "=" + srv.URL, api.EnvToken + "=" + srv.ManagementToken}
	for _, args := range [][]string{
		{"--help"}, {"--usage"}, {"-V"}, {"--version"}, {"--parse-only", "job.sh"},
		{}, {"-"}, {"-t", "5"},
		{"missing.sh"},
		{"-t", "bogus", "job.sh"}, {"warn.sh"},
		{"--wait", "job.sh"}, {"--test-only", "job.sh"},
		{"-p", "nosuch", "job.sh"},
	} {
		r := runSbatch(t, dir, env, args...)
		if r.code != 77 || !slices.Equal(r.handedOff, args) || r.out != "" || r.err != "" {
			t.Errorf("sbatch %q: exit %d, handed off %q, stdout %q, stderr %q", args, r.code, r.handedOff, r.out, r.err)
		}
	}
	jobs, _, err := srv.Client(t, srv.ManagementToken).JobsAll(context.Background(), &api.JobsQuery{States: []string{"all"}})
	if err != nil || len(jobs) != 0 {
		t.Errorf("a handed-off submission was committed: %v %v", ids(jobs), err)
	}
	// Nothing listens there: nothing was sent, hpcbridge reports it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if r := runSbatch(t, dir, []string{api.EnvAddress + "=http://" + addr}, "job.sh"); r.code != 77 {
		t.Errorf("unreachable coordinator: %+v", r)
	}
}

func ids(jobs []*state.Job) []string {
	var s []string
	for _, j := range jobs {
		s = append(s, j.SlurmID())
	}
	return s
}

// TestUnknownOutcome checks the failures after the request left: reported
// here, never submitted again.
func TestUnknownOutcome(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "job.sh", "#!/bin/bash\necho hi\n")
	cases := []struct {
		name    string
		handler http.HandlerFunc
		err     string
	}{
		{"leader lost", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(api.ErrorResponse{Error: &api.Error{Code: api.CodeOutcomeUnknown, Message: "leadership lost while committing"}})
		}, "sbatch: error: Batch job submission failed: Leadership lost while committing\n"},
		{"internal", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}, "sbatch: error: Batch job submission failed: HTTP status 500: \"boom\\n\"\n"},
		{"connection lost", func(w http.ResponseWriter, r *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure): hpcbridge at "},
		{"bad reply", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("not json"))
		}, "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure): hpcbridge: submit reply \"not json\"\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hs := httptest.NewServer(c.handler)
			defer hs.Close()
			r := runSbatch(t, dir, []string{api.EnvAddress + "=" + hs.URL}, "job.sh")
			if r.code != 1 || r.handedOff != nil || r.out != "" || !strings.HasPrefix(r.err, c.err) {
				t.Errorf("exit %d, handed off %q, stdout %q, stderr %q; want stderr %q", r.code, r.handedOff, r.out, r.err, c.err)
			}
		})
	}
}

// TestTLS submits over HTTPS with the CA named in the environment.
func TestTLS(t *testing.T) {
	var got api.SubmitRequest
	hs := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/jobs" || r.Header.Get(api.HeaderToken) != "secret" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		json.NewDecoder(r.Body).Decode(&got)
		w.Write([]byte(`{"job_id":42,"index":7}`))
	}))
	defer hs.Close()
	dir := t.TempDir()
	writeFile(t, dir, "job.sh", "#!/bin/bash\necho hi\n")
	ca := filepath.Join(dir, "ca.pem")
	writeFile(t, dir, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw})))
	env := []string{api.EnvAddress + "=" + hs.URL, api.EnvToken + "=secret", api.EnvCACert + "=" + ca}
	if r := runSbatch(t, dir, env, "--parsable", "job.sh"); r.code != 0 || r.out != "42\n" || got.ScriptName != "job.sh" {
		t.Errorf("%+v, request %+v", r, got)
	}
	// Without the CA the server is not trusted: nothing was sent.
	if r := runSbatch(t, dir, env[:2], "job.sh"); r.code != 77 {
		t.Errorf("untrusted server: %+v", r)
	}
}
