package apiserver_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/api/brief"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// TestOtherUsersSeeNoSecrets is the regression test for wrap commands,
// --export values, script arguments, scripts and environments that other
// users could read: bob reads alice's jobs through every route, view,
// encoding and array expansion, and finds none of her secrets in any
// reply, yet still sees what squeue shows anyone (name, user, comment,
// directory). alice and a management token still see everything.
func TestOtherUsersSeeNoSecrets(t *testing.T) {
	f := newFixture(t)
	const secret = "s3cr3t"
	script := "#!/bin/bash\n#SBATCH --job-name=visible-name\n#SBATCH --comment=visible-comment\n" +
		"echo " + secret + "-script\n#SBATCH --comment=" + secret + "-ignored\n"
	submit := func(req api.SubmitRequest) uint64 {
		t.Helper()
		req.Cwd, req.SubmitHost = "/home/alice/visible-dir", "login1"
		resp, err := f.alice.Submit(f.ctx, &req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.JobID
	}
	wrap := submit(api.SubmitRequest{Args: []string{"--hold", "--comment=visible-comment", "--wrap=echo " + secret + "-wrap",
		"--export=ALL,TOKEN=" + secret + "-export"}, Env: []string{"PASSWORD=" + secret + "-env"}})
	plain := submit(api.SubmitRequest{Script: []byte(script), ScriptName: "job.sh", ScriptArgs: []string{"--key=" + secret + "-arg"},
		Args: []string{"--hold", "--export=NONE,KEY=" + secret + "-export2"}, Env: []string{"KEY=" + secret + "-env2"}})
	array := submit(api.SubmitRequest{Script: []byte(script), ScriptName: "job.sh", ScriptArgs: []string{secret + "-arg2"},
		Args: []string{"--array=0-3", "--export=ALL,A=" + secret + "-export3"}, Env: []string{"B=" + secret + "-env3"}})
	started := f.start(t, array, 1) // a materialised task beside the pending remainder

	routes := []string{
		fmt.Sprintf("/v1/job/%d", wrap), fmt.Sprintf("/v1/job/%d?script=true", wrap),
		fmt.Sprintf("/v1/job/%d", plain), fmt.Sprintf("/v1/job/%d?script=true", plain),
		fmt.Sprintf("/v1/job/%d", array), fmt.Sprintf("/v1/job/%d_2?script=true", array),
		fmt.Sprintf("/v1/job/%d?script=true", started),
	}
	for _, list := range []string{"/v1/jobs", "/v1/accounting"} {
		for _, q := range []string{"", "script=true", "array=true", "array=true&script=true", "view=brief", "view=brief&array=true",
			"view=full&script=true", "state=all&history=true", fmt.Sprintf("jobs=%d_[0-3]&array=true&script=true", array)} {
			routes = append(routes, list+"?"+q)
		}
	}
	accepts := []string{"application/json", api.ContentTypeGob, brief.ContentType}
	for _, route := range routes {
		for _, accept := range accepts {
			code, _, body := raw(t, http.MethodGet, f.srv.URL+route, f.bobTok, nil, "Accept", accept)
			var err error
			if code != http.StatusOK {
				t.Fatalf("bob GET %s (%s): %d %s", route, accept, code, body)
			}
			if i := bytes.Index(body, []byte(secret)); i >= 0 {
				t.Errorf("bob GET %s (%s) reads alice's secret: ...%q...", route, accept, body[max(0, i-60):min(len(body), i+30)])
			}
			if accept == "application/json" && !strings.Contains(route, "brief") {
				// JSON carries scripts in base64: look at the records.
				var jobs []*state.Job
				if strings.HasPrefix(route, "/v1/job/") {
					jobs = append(jobs, new(state.Job))
					err = json.Unmarshal(body, jobs[0])
				} else {
					err = json.Unmarshal(body, &jobs)
				}
				if err != nil {
					t.Fatalf("bob GET %s: %v", route, err)
				}
				for _, j := range jobs {
					if sub := j.Submission; sub == nil || sub.Script != nil || sub.Env != nil || sub.Args != nil || sub.ScriptArgs != nil {
						t.Errorf("bob GET %s: job %s submission %+v", route, j.SlurmID(), sub)
					}
				}
			}
			for _, visible := range []string{"visible-name", "visible-dir", "alice"} {
				if strings.HasPrefix(route, "/v1/job/") && visible == "visible-name" {
					continue // the wrap job's name is "wrap"
				}
				if !bytes.Contains(body, []byte(visible)) {
					t.Errorf("bob GET %s (%s) lacks %q, which squeue shows anyone", route, accept, visible)
				}
			}
			if !bytes.Contains(body, []byte("visible-comment")) {
				t.Errorf("bob GET %s (%s) lacks the comment, which Slurm shows anyone", route, accept)
			}
		}
	}

	// The owner and management still see their own: the wrap command and
	// export list in every view, the script and environment when asked.
	for _, tok := range []string{f.aliceTok, f.srv.ManagementToken} {
		for route, want := range map[string]string{
			fmt.Sprintf("/v1/job/%d", wrap):                           secret + "-wrap",
			fmt.Sprintf("/v1/job/%d", plain):                          secret + "-export2",
			fmt.Sprintf("/v1/job/%d?script=true", plain):              secret + "-env2",
			fmt.Sprintf("/v1/jobs?jobs=%d&script=true", array):        base64.StdEncoding.EncodeToString([]byte(script)),
			fmt.Sprintf("/v1/accounting?jobs=%d_2&array=true", array): secret + "-arg2",
		} {
			code, _, body := raw(t, http.MethodGet, f.srv.URL+route, tok, nil)
			if code != http.StatusOK || !bytes.Contains(body, []byte(want)) {
				t.Errorf("owner/management GET %s: %d, want %q in %s", route, code, want, body)
			}
		}
	}
}
