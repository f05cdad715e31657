package apiserver_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
)

// TestAccessControl checks every route against no token, an unknown
// token, a user token and a management token.
func TestAccessControl(t *testing.T) {
	f := newFixture(t)
	id := f.submit(t, f.alice, hello)
	ref := strconv.FormatUint(id, 10)
	const (
		none  = ""
		bogus = "00000000-0000-4000-8000-000000000000"
	)
	user, mgmt := f.bobTok, f.srv.ManagementToken
	routes := []struct {
		method, path, body string
		// status with a user token (bob, who owns nothing) and with the
		// management token.
		userStatus, mgmtStatus int
		open                   bool // needs no token
	}{
		{"POST", "/v1/jobs", `{"script":"IyEvYmluL3NoCg==","cwd":"/"}`, 200, 200, false},
		{"GET", "/v1/jobs", "", 200, 200, false},
		{"GET", "/v1/job/" + ref, "", 200, 200, false},
		{"POST", "/v1/jobs/hold", `{"refs":["` + ref + `"]}`, 403, 200, false},
		{"POST", "/v1/jobs/release", `{"refs":["` + ref + `"]}`, 403, 200, false},
		{"POST", "/v1/jobs/update", `{"refs":["` + ref + `"],"nice":5}`, 403, 200, false},
		{"POST", "/v1/jobs/requeue", `{"refs":["` + ref + `"]}`, 403, 409, false},
		{"POST", "/v1/jobs/cancel", `{"refs":["` + ref + `"]}`, 403, 200, false},
		{"GET", "/v1/accounting", "", 200, 200, false},
		{"GET", "/v1/partitions", "", 200, 200, false},
		{"GET", "/v1/nodes", "", 200, 200, false},
		{"GET", "/v1/node/nosuch", "", 404, 404, false},
		{"GET", "/v1/acl/token/self", "", 200, 200, false},
		{"GET", "/v1/acl/tokens", "", 403, 200, false},
		{"POST", "/v1/acl/tokens", `{"user":"carol"}`, 403, 200, false},
		{"DELETE", "/v1/acl/token/nope", "", 403, 404, false},
		{"GET", "/v1/operator/raft/peers", "", 403, 200, false},
		{"POST", "/v1/operator/raft/peers", `{"id":"server2","raft_addr":"127.0.0.1:9"}`, 403, 200, false},
		{"DELETE", "/v1/operator/raft/peers?id=server2", "", 403, 200, false},
		{"GET", "/v1/status/leader", "", 200, 200, true},
		{"GET", "/v1/status/peers", "", 200, 200, true},
		{"POST", "/v1/acl/bootstrap", "", 409, 409, true},
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			for _, c := range []struct {
				who, token string
				status     int
				code       string
			}{
				{"none", none, http.StatusUnauthorized, api.CodeUnauthenticated},
				{"bogus", bogus, http.StatusUnauthorized, api.CodeUnauthenticated},
				{"user", user, rt.userStatus, ""},
				{"management", mgmt, rt.mgmtStatus, ""},
			} {
				if rt.open && (c.who == "none" || c.who == "bogus") {
					c.status, c.code = rt.userStatus, ""
				}
				status, e, body := raw(t, rt.method, f.srv.URL+rt.path, c.token, strings.NewReader(rt.body))
				if status != c.status {
					t.Errorf("%s: status %d, want %d (%s)", c.who, status, c.status, body)
					continue
				}
				if c.code != "" && e.Code != c.code {
					t.Errorf("%s: code %q, want %q", c.who, e.Code, c.code)
				}
				if status == http.StatusForbidden && e.Code != api.CodePermissionDenied {
					t.Errorf("%s: 403 with code %q", c.who, e.Code)
				}
			}
		})
	}
}

func TestAuthorizationBearer(t *testing.T) {
	f := newFixture(t)
	status, _, body := raw(t, "GET", f.srv.URL+"/v1/acl/token/self", "", nil, "Authorization", "Bearer "+f.aliceTok)
	if status != 200 || !strings.Contains(string(body), `"user":"alice"`) {
		t.Fatalf("%d %s", status, body)
	}
}

func TestBootstrapOnce(t *testing.T) {
	srv := bridgetest.Start(t, bridgetest.Options{NoBootstrap: true})
	c := srv.Client(t, "")
	ctx := t.Context()
	// Before bootstrap nothing is authorised.
	_, err := c.ACLSelf(ctx)
	wantCode(t, err, api.CodeUnauthenticated)

	const secret = "6f1c2b1e-8d0a-4c55-9a7e-0b1f2e3d4c5b"
	_, err = c.ACLBootstrap(ctx, &api.ACLBootstrapRequest{Secret: "not-a-uuid"})
	wantCode(t, err, api.CodeInvalidRequest)
	tok, err := c.ACLBootstrap(ctx, &api.ACLBootstrapRequest{Secret: secret, User: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	if tok.SecretID != secret || tok.Type != "management" || tok.User != "admin" || tok.AccessorID == "" {
		t.Fatalf("bootstrap token %+v", tok)
	}
	_, err = c.ACLBootstrap(ctx, nil)
	wantCode(t, err, api.CodeConflict)

	self, err := srv.Client(t, secret).ACLSelf(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if self.SecretID != "" || self.AccessorID != tok.AccessorID {
		t.Fatalf("self = %+v", self)
	}
	// Only the hash is stored.
	for _, st := range srv.Store.View().Tokens() {
		if strings.Contains(st.SecretHash, secret) || st.SecretHash == "" {
			t.Fatalf("stored token %+v", st)
		}
	}
}

func TestTokens(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx
	for _, bad := range []api.ACLTokenRequest{
		{Type: "client"},                    // no user
		{User: "bad user"},                  // bad name
		{User: "x", Type: "superuser"},      // bad type
		{User: "x", Accounts: []string{""}}, // bad account
	} {
		_, err := f.mgmt.ACLCreateToken(ctx, &bad)
		wantCode(t, err, api.CodeInvalidRequest)
	}
	tok, err := f.mgmt.ACLCreateToken(ctx, &api.ACLTokenRequest{Name: "ops", Type: "management"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.SecretID) != 36 || tok.SecretID == tok.AccessorID {
		t.Fatalf("token %+v", tok)
	}
	list, err := f.mgmt.ACLListTokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 4 { // bootstrap, alice, bob, ops
		t.Fatalf("%d tokens", len(list))
	}
	for _, l := range list {
		if l.SecretID != "" {
			t.Fatalf("list shows a secret: %+v", l)
		}
	}
	if err := f.mgmt.ACLDeleteToken(ctx, tok.AccessorID); err != nil {
		t.Fatal(err)
	}
	_, err = f.srv.Client(t, tok.SecretID).ACLSelf(ctx)
	wantCode(t, err, api.CodeUnauthenticated)
	wantCode(t, f.mgmt.ACLDeleteToken(ctx, tok.AccessorID), api.CodeNotFound)
	// A management token without a user cannot submit.
	tok, err = f.mgmt.ACLCreateToken(ctx, &api.ACLTokenRequest{Type: "management"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.srv.Client(t, tok.SecretID).Submit(ctx, &api.SubmitRequest{Script: []byte(hello), Cwd: "/"})
	wantCode(t, err, api.CodeInvalidRequest)
}
