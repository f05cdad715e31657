package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	dir := t.TempDir()
	write := func(path, s string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	xdg := filepath.Join(dir, "xdg")
	home := filepath.Join(dir, "home")
	write(filepath.Join(xdg, "hpcbridge", "token"), "xdg-token\n")
	write(filepath.Join(home, ".config", "hpcbridge", "token"), " home-token ")
	explicit := write(filepath.Join(dir, "tok"), "file-token")
	for _, c := range []struct {
		name        string
		env         []string
		addr, token string
	}{
		{"nothing", nil, DefaultAddress, ""},
		{"env", []string{"HPCBRIDGE_ADDR=https://c:1", "HPCBRIDGE_TOKEN=t1", "HOME=" + home}, "https://c:1", "t1"},
		{"last wins", []string{"HPCBRIDGE_TOKEN=a", "HPCBRIDGE_TOKEN=b"}, DefaultAddress, "b"},
		{"token file", []string{"HPCBRIDGE_TOKEN_FILE=" + explicit, "XDG_CONFIG_HOME=" + xdg}, DefaultAddress, "file-token"},
		{"xdg", []string{"XDG_CONFIG_HOME=" + xdg, "HOME=" + home}, DefaultAddress, "xdg-token"},
		{"home", []string{"HOME=" + home}, DefaultAddress, "home-token"},
		{"missing file", []string{"HPCBRIDGE_TOKEN_FILE=" + filepath.Join(dir, "none")}, DefaultAddress, ""},
	} {
		cfg := ConfigFromEnv(c.env)
		if cfg.Address != c.addr || cfg.Token != c.token {
			t.Errorf("%s: address %q token %q, want %q %q", c.name, cfg.Address, cfg.Token, c.addr, c.token)
		}
	}
}

func TestNewClientAddress(t *testing.T) {
	for in, want := range map[string]string{
		"":                      DefaultAddress,
		"127.0.0.1:4747":        "http://127.0.0.1:4747",
		"https://coord:4747":    "https://coord:4747",
		"http://coord:4747/sub": "http://coord:4747/sub",
	} {
		c, err := NewClient(&Config{Address: in})
		if err != nil || c.Address() != want {
			t.Errorf("NewClient(%q) = %v, %v; want %s", in, c, err, want)
		}
	}
	for _, bad := range []string{"ftp://x", "http://", "://"} {
		if _, err := NewClient(&Config{Address: bad}); err == nil {
			t.Errorf("NewClient(%q) accepted", bad)
		}
	}
	if _, err := NewClient(&Config{CACert: filepath.Join(t.TempDir(), "none.pem")}); err == nil {
		t.Error("missing CA file accepted")
	}
}

func TestClientErrors(t *testing.T) {
	var gotToken, gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotToken, gotPath = r.Header.Get(HeaderToken), r.URL.String()
		switch {
		case strings.HasPrefix(r.URL.Path, "/sub/v1/job/"):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(404)
			w.Write([]byte(`{"error":{"code":"not_found","message":"job 9: invalid job id specified"}}`))
		case r.URL.Path == "/sub/v1/jobs":
			w.WriteHeader(502)
			w.Write([]byte("bad gateway\n"))
		default:
			w.Header().Set(HeaderIndex, "42")
			w.Header().Set(HeaderNextToken, "7")
			w.Header().Set(HeaderKnownLeader, "true")
			w.Write([]byte(`[]`))
		}
	}))
	defer srv.Close()
	c, err := NewClient(&Config{Address: srv.URL + "/sub/", Token: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, _, err = c.Job(ctx, "9_1", nil)
	var e *Error
	if !errors.As(err, &e) || e.Status != 404 || e.Code != CodeNotFound || !IsCode(err, CodeNotFound) || gotToken != "s3cret" {
		t.Fatalf("Job: %#v (token %q)", err, gotToken)
	}
	_, err = c.Submit(ctx, &SubmitRequest{})
	if !errors.As(err, &e) || e.Status != 502 || e.Code != CodeNotLeader || e.Message != "bad gateway" {
		t.Fatalf("Submit: %#v", err)
	}
	_, meta, err := c.Accounting(ctx, &JobsQuery{
		Users: []string{"a", "b"}, States: []string{"PD"}, History: true, ExpandArrays: true,
		Start:        time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		QueryOptions: QueryOptions{WaitIndex: 5, WaitTime: time.Second, PerPage: 10, NextToken: "3", Consistent: true},
	})
	if err != nil || meta.LastIndex != 42 || meta.NextToken != "7" || !meta.KnownLeader {
		t.Fatalf("Accounting: %v %+v", err, meta)
	}
	want := "/sub/v1/accounting?array=true&consistent=true&history=true&index=5&next_token=3&per_page=10&start=2026-01-02T03%3A04%3A05Z&state=PD&user=a&user=b&wait=1s"
	if gotPath != want {
		t.Errorf("query\n got %s\nwant %s", gotPath, want)
	}
	if _, err := c.Submit(ctx, nil); err == nil {
		t.Error("nil request sent")
	}
}
