package apiserver_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
)

// fuzzServer is a handler with a few jobs and alice's token, served
// without a network.
type fuzzServer struct {
	h     http.Handler
	alice string
}

func newFuzzServer(t testing.TB) *fuzzServer {
	n := bridgetest.NewCluster().Add("s1", "s1:1")
	srv, err := apiserver.New(apiserver.Config{Raft: n, Store: n.Store(), NodeID: "s1", Partitions: []string{"batch", "gpu"},
		Signaller: &bridgetest.Signaller{}, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	fs := &fuzzServer{h: srv.Handler()}
	var boot api.ACLToken
	fs.mustDo(t, "POST", "/v1/acl/bootstrap", "", "", &boot)
	var tok api.ACLToken
	fs.mustDo(t, "POST", "/v1/acl/tokens", boot.SecretID, `{"user":"alice","accounts":["physics"]}`, &tok)
	fs.alice = tok.SecretID
	for _, args := range []string{`[]`, `["--array=0-9%2"]`, `["-H"]`, `["-p","gpu"]`} {
		fs.mustDo(t, "POST", "/v1/jobs", fs.alice, `{"script":"IyEvYmluL3NoCmVjaG8K","cwd":"/","args":`+args+`}`, nil)
	}
	return fs
}

func (fs *fuzzServer) do(method, path, token, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		req.Header.Set(api.HeaderToken, token)
	}
	rec := httptest.NewRecorder()
	fs.h.ServeHTTP(rec, req)
	return rec
}

func (fs *fuzzServer) mustDo(t testing.TB, method, path, token, body string, out any) {
	t.Helper()
	rec := fs.do(method, path, token, body)
	if rec.Code != 200 {
		t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatal(err)
		}
	}
}

// check fails on a server error (a recovered panic is a 500) and on error
// replies that are not a JSON error with a known code.
func (fs *fuzzServer) check(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code == http.StatusInternalServerError {
		t.Fatalf("server error: %s", rec.Body)
	}
	if rec.Code < 300 {
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%d reply is not JSON: %q", rec.Code, rec.Body)
		}
		return
	}
	var er api.ErrorResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &er); err != nil || er.Error == nil || er.Error.Message == "" {
		t.Fatalf("%d reply is not a JSON error: %q", rec.Code, rec.Body)
	}
	if api.StatusOf(er.Error.Code) != rec.Code {
		t.Fatalf("code %q with status %d", er.Error.Code, rec.Code)
	}
}

func fuzzRoute(f *testing.F, path string, seeds ...string) {
	for _, s := range seeds {
		f.Add(s)
	}
	fs := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, body string) {
		fs.check(t, fs.do("POST", path, fs.alice, body))
	})
}

func FuzzSubmitRequest(f *testing.F) {
	fuzzRoute(f, "/v1/jobs",
		`{"script":"IyEvYmluL2Jhc2gKI1NCQVRDSCAtLWFycmF5PTEtMyAtdCAxMAplY2hvCg==","script_name":"a.sh","cwd":"/home/a","env":["SBATCH_PARTITION=gpu"]}`,
		`{"script":"IyEvYmluL3NoCg==","cwd":"/","args":["--dependency=afterok:1_3","--begin=now+1hour"],"time_zone":"+02:00"}`,
		`{"script":"IyEvYmluL3NoCg==","cwd":"/","args":["--wrap","echo"],"user":"bob"}`,
		`{"script":"not base64","cwd":"/"}`,
		`{"script":null,"cwd":7}`,
		`[]`, ``, `{}`, `{"cwd":"/"}{}`,
	)
}

func FuzzCancelRequest(f *testing.F) {
	fuzzRoute(f, "/v1/jobs/cancel",
		`{"refs":["1","2_[1-3]","2_7"]}`,
		`{"refs":["4"],"signal":"USR1"}`,
		`{"users":["alice"],"states":["PD","R"],"names":["x"],"partitions":["gpu"],"accounts":["physics"]}`,
		`{"states":["all"]}`,
		`{"refs":["1_[0-999]"]}`,
		`{"refs":[1]}`, `{}`, `null`,
	)
}

func FuzzUpdateRequest(f *testing.F) {
	fuzzRoute(f, "/v1/jobs/update",
		`{"refs":["1"],"time_limit":"1-00:00:00","partition":"gpu","nice":5,"name":"x"}`,
		`{"refs":["2_3"],"dependency":"afterok:1?afterany:3"}`,
		`{"refs":["3"],"dependency":""}`,
		`{"refs":["1"],"nice":-2147483648}`,
		`{"refs":["1"],"time_limit":"-1"}`,
	)
}

func FuzzListQuery(f *testing.F) {
	for _, s := range []string{
		"jobs=1,2_[1-3]&state=PD,R&user=alice&array=true&per_page=2",
		"history&next_token=2.5&start=2026-11-21T12:00:00Z&script=1",
		"index=3&wait=1ms", "state=all&partition=gpu", "next_token=-1", "per_page=-3",
	} {
		f.Add(s)
	}
	fs := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, query string) {
		if strings.Contains(query, "index=") && !strings.Contains(query, "wait=") {
			query += "&wait=1ms" // do not block the fuzzer
		}
		for _, path := range []string{"/v1/jobs?", "/v1/accounting?"} {
			req := httptest.NewRequest("GET", "/", nil)
			req.URL.RawQuery = query
			req.URL.Path = strings.TrimSuffix(path, "?")
			req.Header.Set(api.HeaderToken, fs.alice)
			rec := httptest.NewRecorder()
			fs.h.ServeHTTP(rec, req)
			fs.check(t, rec)
		}
	})
}
