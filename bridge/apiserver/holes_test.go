package apiserver_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// An administrator's hold stays until an administrator releases it: the
// owner cannot swap it for a user hold by holding again and then release.
func TestAdminHoldNotLiftedByOwner(t *testing.T) {
	f := newFixture(t)
	j := f.submit(t, f.alice, hello)
	arr := f.submit(t, f.alice, hello, "--array=0-3")
	for _, ref := range []string{fmt.Sprint(j), fmt.Sprintf("%d_2", arr)} {
		refs := &api.RefsRequest{Refs: []string{ref}}
		hold := func() state.Hold {
			r, _ := api.ParseJobRef(ref)
			return f.srv.Store.View().Job(r.JobID).Hold
		}
		if _, err := f.mgmt.Hold(f.ctx, refs); err != nil || hold() != state.HoldAdmin {
			t.Fatalf("%s: admin hold: %v, hold %q", ref, err, hold())
		}
		_, _ = f.alice.Hold(f.ctx, refs) // the exploit: a user hold over the admin hold
		_, err := f.alice.Release(f.ctx, refs)
		wantCode(t, err, api.CodePermissionDenied)
		if got := hold(); got != state.HoldAdmin {
			t.Fatalf("%s: the owner lifted the admin hold: hold %q", ref, got)
		}
		// scontrol uhold by an administrator: a user hold the owner releases.
		if _, err := f.mgmt.Hold(f.ctx, &api.RefsRequest{Refs: refs.Refs, UserHold: true}); err != nil || hold() != state.HoldUser {
			t.Fatalf("%s: uhold: %v, hold %q", ref, err, hold())
		}
		if _, err := f.alice.Release(f.ctx, refs); err != nil || hold() != state.HoldNone {
			t.Fatalf("%s: owner's release of a user hold: %v, hold %q", ref, err, hold())
		}
	}
	_, err := f.alice.Release(f.ctx, &api.RefsRequest{Refs: []string{fmt.Sprint(j)}, UserHold: true})
	wantCode(t, err, api.CodeInvalidRequest) // user_hold is for hold only
}

// Only administrators set a negative nice, at submit as in update; values
// out of Slurm's range are refused with the reason.
func TestSubmitNice(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		name   string
		script string
		args   []string
		env    []string
	}{
		{"option", hello, []string{"--nice=-2147483645"}, nil},
		{"directive", "#!/bin/sh\n#SBATCH --nice=-100\ntrue\n", nil, nil},
		{"environment", hello, nil, []string{"SBATCH_NICE=-5"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, err := f.alice.Submit(f.ctx, &api.SubmitRequest{Script: []byte(c.script), ScriptName: "job.sh", Args: c.args, Env: c.env, Cwd: "/home/alice"})
			if c.env != nil && err == nil {
				// sbatch reads no SBATCH_NICE: nothing to refuse, and no negative nice.
				if j := f.srv.Store.View().Job(resp.JobID); j.Nice < 0 {
					t.Errorf("job %d has nice %d", j.ID, j.Nice)
				}
				return
			}
			e := wantCode(t, err, api.CodePermissionDenied)
			if !strings.Contains(e.Message, "nice") {
				t.Errorf("message %q does not say why", e.Message)
			}
		})
	}
	// The administrator may; users may raise nice.
	resp, err := f.mgmt.Submit(f.ctx, &api.SubmitRequest{Script: []byte(hello), User: "alice", Args: []string{"--nice=-100"}, Cwd: "/"})
	if err != nil || f.srv.Store.View().Job(resp.JobID).Nice != -100 {
		t.Fatalf("admin negative nice: %v", err)
	}
	if id := f.submit(t, f.alice, hello, "--nice=2147483645"); f.srv.Store.View().Job(id).Nice != 2147483645 {
		t.Fatal("positive nice lost")
	}
	for _, v := range []string{"2147483646", "-2147483646", "99999999999999999999999"} {
		_, err := f.mgmt.Submit(f.ctx, &api.SubmitRequest{Script: []byte(hello), User: "alice", Args: []string{"--nice=" + v}, Cwd: "/"})
		e := wantCode(t, err, api.CodeInvalidScript)
		if e.Status != http.StatusBadRequest || !strings.Contains(e.Message, "between -2147483645 and 2147483645") {
			t.Errorf("--nice=%s: %d %q", v, e.Status, e.Message)
		}
	}
}

// A dependency that closes a cycle is refused at update with Slurm's
// "job dependency problem" (400); at submit a job can only name jobs that
// exist, so it can never wait for itself.
func TestDependencyCycles(t *testing.T) {
	f := newFixture(t)
	str := func(s string) *string { return &s }
	a := f.submit(t, f.alice, hello, "--kill-on-invalid-dep=yes")
	b := f.submit(t, f.alice, hello, fmt.Sprintf("--dependency=afterok:%d", a))
	for _, c := range []struct{ ref, dep string }{
		{fmt.Sprint(a), fmt.Sprintf("afterok:%d", a)},
		{fmt.Sprint(a), fmt.Sprintf("afterany:%d", b)},
	} {
		_, err := f.alice.Update(f.ctx, &api.UpdateRequest{Refs: []string{c.ref}, Dependency: str(c.dep)})
		e := wantCode(t, err, api.CodeInvalidRequest)
		if !strings.Contains(e.Error(), "dependency") {
			t.Errorf("update %s to %s: %q", c.ref, c.dep, e.Error())
		}
	}
	if j := f.srv.Store.View().Job(a); j.Dependency != "" {
		t.Fatalf("job %d depends on %q", a, j.Dependency)
	}
	next := f.srv.Store.View().Meta(state.MetaNextJobID)
	_, err := f.alice.Submit(f.ctx, &api.SubmitRequest{Script: []byte(hello), Args: []string{"--dependency=afterok:" + next}, Cwd: "/"})
	wantCode(t, err, api.CodeInvalidRequest)
}

// --begin beyond what can be written is a 400 that says why (it was a 500
// "Time.MarshalJSON: year outside of range"), with the directive's
// position when a script set it.
func TestBeginOutOfRange(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		name, script, arg, pos string
	}{
		{"option", hello, "--begin=now+99999999999days", ""},
		{"past", hello, "--begin=now-99999999999days", ""},
		{"directive", "#!/bin/sh\n#SBATCH --begin=now+99999999999days\ntrue\n", "", "job.sh:2:17"},
	} {
		var args []string
		if c.arg != "" {
			args = []string{c.arg}
		}
		_, err := f.alice.Submit(f.ctx, &api.SubmitRequest{Script: []byte(c.script), ScriptName: "job.sh", Args: args, Cwd: "/"})
		e := wantCode(t, err, api.CodeInvalidScript)
		if e.Status != http.StatusBadRequest || !strings.Contains(e.Error(), "years 1 to 9999") || !strings.Contains(e.Error(), c.pos) {
			t.Errorf("%s: %d %q", c.name, e.Status, e.Error())
		}
	}
	f.submit(t, f.alice, hello, "--begin=9999-12-30")
}

// Submit refuses the names update refuses (one check for both), and the
// other free text that squeue prints: control characters, and lengths
// over Slurm's limits.
func TestJobTextFields(t *testing.T) {
	f := newFixture(t)
	long := strings.Repeat("n", 100000)
	for _, c := range []struct {
		name string
		req  api.SubmitRequest
	}{
		{"NUL in the name", api.SubmitRequest{Args: []string{"-J", "a\x00b"}}},
		{"newline in the name", api.SubmitRequest{Args: []string{"-J", "a\nb"}}},
		{"100k name", api.SubmitRequest{Args: []string{"-J", long}}},
		{"newline in the name from SBATCH_JOB_NAME", api.SubmitRequest{Env: []string{"SBATCH_JOB_NAME=x\ny"}}},
		{"newline in the comment", api.SubmitRequest{Args: []string{"--comment=a\nb"}}},
		{"newline in the wckey", api.SubmitRequest{Args: []string{"--wckey=a\nb"}}},
		{"newline in the account", api.SubmitRequest{Args: []string{"-A", "a\nb"}}},
		{"newline in the script name", api.SubmitRequest{ScriptName: "a\nb.sh"}},
		{"newline in the directory", api.SubmitRequest{Cwd: "/home/a\nb"}},
		{"newline in the submit host", api.SubmitRequest{SubmitHost: "a\nb"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := c.req
			req.Script = []byte(hello)
			if req.ScriptName == "" {
				req.ScriptName = "job.sh"
			}
			if req.Cwd == "" {
				req.Cwd = "/home/alice"
			}
			_, err := f.mgmt.Submit(f.ctx, &req)
			var e *api.Error
			if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
				t.Fatalf("reply %v, want a 400", err)
			}
			if len(e.Error()) > 2*len(long)+2000 {
				t.Errorf("error of %d bytes", len(e.Error()))
			}
		})
	}
	j := f.submit(t, f.alice, hello)
	for _, name := range []string{"a\x00b", "a\nb", long, "a\tb"} {
		_, err := f.alice.Update(f.ctx, &api.UpdateRequest{Refs: []string{fmt.Sprint(j)}, Name: &name})
		wantCode(t, err, api.CodeInvalidRequest)
	}
	ok := "fine name ✓"
	if _, err := f.alice.Update(f.ctx, &api.UpdateRequest{Refs: []string{fmt.Sprint(j)}, Name: &ok}); err != nil {
		t.Fatal(err)
	}
}

// An action over many refs that fail answers with a summary: the failures
// of one array's tasks in one entry, and at most MaxRefErrors entries.
func TestActionErrorsSummarised(t *testing.T) {
	f := newFixture(t)
	status, e, body := raw(t, http.MethodPost, f.srv.URL+"/v1/jobs/cancel", f.aliceTok, strings.NewReader(`{"refs":["999999_[0-99999]"]}`))
	if status != http.StatusNotFound || len(body) > 2000 {
		t.Fatalf("%d, %d bytes: %.300s", status, len(body), body)
	}
	t.Logf("cancel 999999_[0-99999]: %d-byte reply", len(body))
	if len(e.Refs) != 1 || e.Refs[0].Ref != "999999_[0-99999]" || e.Refs[0].Code != api.CodeNotFound || e.Message != "999999_[0-99999]: invalid job id specified" {
		t.Fatalf("error %+v", e)
	}
	// Many single jobs: the first MaxRefErrors, then how many more.
	var refs []string
	for i := range 500 {
		refs = append(refs, fmt.Sprint(900000+2*i))
	}
	arr := f.submit(t, f.alice, hello, "--array=0-9")
	refs = append(refs, fmt.Sprintf("%d_[0-4]", arr), fmt.Sprintf("%d_[20-29]", arr))
	status, e, body = raw(t, http.MethodPost, f.srv.URL+"/v1/jobs/hold", f.bobTok, jsonBody(t, api.RefsRequest{Refs: refs}))
	if status != http.StatusNotFound || len(body) > 20000 {
		t.Fatalf("%d, %d bytes", status, len(body))
	}
	if len(e.Refs) != api.MaxRefErrors+1 || len(e.Diagnostics) != len(e.Refs) {
		t.Fatalf("%d refs, %d diagnostics", len(e.Refs), len(e.Diagnostics))
	}
	if last := e.Refs[api.MaxRefErrors]; last.Ref != "" || !strings.Contains(last.Message, "and 415 more") {
		t.Errorf("last entry %+v", last)
	}
	if !strings.HasPrefix(e.Message, "515 jobs failed; first: 900000: ") {
		t.Errorf("message %q", e.Message)
	}
	// A partial success lists the failures the same way.
	resp, err := f.alice.Hold(f.ctx, &api.RefsRequest{Refs: []string{fmt.Sprintf("%d_[0-2]", arr), fmt.Sprintf("%d_[20-29]", arr), "999998"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, re := range resp.Errors {
		got = append(got, re.Ref+" "+re.Code)
	}
	if want := fmt.Sprintf("[%d_[20-29] not_found 999998 not_found]", arr); fmt.Sprint(got) != want {
		t.Errorf("errors %s, want %s", got, want)
	}
}

// A rejected script's reply lists at most 100 diagnostics, then how many
// more there were: 20,000 bad directives do not make a reply of megabytes.
func TestScriptDiagnosticsBounded(t *testing.T) {
	f := newFixture(t)
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "#SBATCH --bogus%d\n", i)
	}
	status, e, body := raw(t, http.MethodPost, f.srv.URL+"/v1/jobs", f.aliceTok, jsonBody(t, api.SubmitRequest{Script: []byte(b.String()), ScriptName: "job.sh", Cwd: "/"}))
	t.Logf("%d-byte script: %d-byte reply", b.Len(), len(body))
	if status != http.StatusBadRequest || e.Code != api.CodeInvalidScript {
		t.Fatalf("%d %+v", status, e)
	}
	if len(e.Diagnostics) != 101 || !strings.Contains(e.Diagnostics[100], "and 19900 more") || len(body) > 50000 {
		t.Fatalf("%d diagnostics, %d bytes; last %q", len(e.Diagnostics), len(body), e.Diagnostics[len(e.Diagnostics)-1])
	}
}
