package apiserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// t0 is the servers' clock in tests.
var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

const hello = "#!/bin/bash\n#SBATCH --job-name=hello\necho hello\n"

// fixture is a server with a management client and two users' clients.
type fixture struct {
	srv              *bridgetest.Server
	mgmt, alice, bob *api.Client
	aliceTok, bobTok string
	ctx              context.Context
	cancel           context.CancelFunc
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := bridgetest.Start(t, bridgetest.Options{Now: func() time.Time { return t0 }})
	f := &fixture{srv: srv}
	f.ctx, f.cancel = context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(f.cancel)
	f.mgmt = srv.Client(t, srv.ManagementToken)
	f.aliceTok = srv.UserToken(t, "alice", "physics", "chem")
	f.bobTok = srv.UserToken(t, "bob")
	f.alice = srv.Client(t, f.aliceTok)
	f.bob = srv.Client(t, f.bobTok)
	return f
}

// submit submits a script as c and returns the job id.
func (f *fixture) submit(t *testing.T, c *api.Client, script string, args ...string) uint64 {
	t.Helper()
	resp, err := c.Submit(f.ctx, &api.SubmitRequest{Script: []byte(script), ScriptName: "job.sh", Args: args, Cwd: "/home/u"})
	if err != nil {
		t.Fatalf("submit %v: %v", args, err)
	}
	if resp.JobID == 0 || resp.Index == 0 {
		t.Fatalf("submit reply %+v", resp)
	}
	return resp.JobID
}

// apply commits a command straight through the fake Raft (what the
// scheduler does: start and finish jobs).
func (f *fixture) apply(t *testing.T, ct state.CommandType, payload any) *state.Result {
	t.Helper()
	cmd, err := state.Encode(ct, payload)
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := f.srv.Raft.Apply(f.ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	if res.Err != nil {
		t.Fatalf("apply %d: %v", ct, res.Err)
	}
	return res
}

func (f *fixture) start(t *testing.T, id uint64, task int) uint64 {
	t.Helper()
	res := f.apply(t, state.CmdJobStart, state.JobStartCmd{Time: t0, JobID: id, Task: task, NodeList: "n1"})
	return res.Value.(state.JobStartResult).JobID
}

// wantCode checks that err is an *api.Error with code and status.
func wantCode(t *testing.T, err error, code string) *api.Error {
	t.Helper()
	var e *api.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want an *api.Error %s", err, err, code)
	}
	if e.Code != code || e.Status != api.StatusOf(code) && code != api.CodeInvalidRequest {
		t.Fatalf("err = %d %s %q, want %s", e.Status, e.Code, e.Message, code)
	}
	return e
}

// raw sends a request without the client and returns the status and the
// decoded error (nil for 2xx). Error replies must be JSON.
func raw(t *testing.T, method, url, token string, body io.Reader, hdr ...string) (int, *api.Error, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set(api.HeaderToken, token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode < 300 {
		return resp.StatusCode, nil, b
	}
	var er api.ErrorResponse
	if err := json.Unmarshal(b, &er); err != nil || er.Error == nil {
		t.Fatalf("%s %s: %d reply is not a JSON error: %q", method, url, resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q", method, url, ct)
	}
	return resp.StatusCode, er.Error, b
}

func jsonBody(t *testing.T, v any) io.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

func ids(jobs []*state.Job) string {
	var s []string
	for _, j := range jobs {
		s = append(s, j.SlurmID())
	}
	return strings.Join(s, " ")
}
