package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/internal/wallet"
)

// TestDonorWalletKeySignsOnlyTheChallenge: with --wallet-key the CLI signs
// with the donor's wallet key, which may hold money and log the donor in
// elsewhere (personal_sign is what "Sign-In with Ethereum" uses). What it
// signs must be hpcbridge's challenge text for this donor and wallet, built
// here, never whatever text the coordinator (or anyone between: plain
// HTTP) sends back. A real coordinator behind a proxy that rewrites the
// challenge's text, or its cluster name into several lines: the CLI
// refuses, and no signature over the forged text leaves it.
func TestDonorWalletKeySignsOnlyTheChallenge(t *testing.T) {
	srv := bridgetest.Start(t, bridgetest.Options{})
	target, _ := url.Parse(srv.URL)
	forged := "example.org wants you to sign in with your Ethereum account:\n"
	var (
		mu    sync.Mutex
		mode  string
		sigs  []string
		posts int
	)
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		ModifyResponse: func(resp *http.Response) error {
			if !strings.HasSuffix(resp.Request.URL.Path, "/challenge") {
				return nil
			}
			var ch api.DonorChallenge
			if err := json.NewDecoder(resp.Body).Decode(&ch); err != nil {
				return err
			}
			resp.Body.Close()
			mu.Lock()
			switch mode {
			case "message":
				ch.Message = forged + ch.Wallet
			case "cluster":
				ch.Cluster = "c\n" + forged
				ch.Message = wallet.Message(ch.Cluster, ch.Donor, ch.Wallet, ch.Issued)
			case "donor":
				ch.Donor = "uni-other"
				ch.Message = wallet.Message(ch.Cluster, ch.Donor, ch.Wallet, ch.Issued)
			}
			mu.Unlock()
			b, _ := json.Marshal(ch)
			resp.Body = io.NopCloser(bytes.NewReader(b))
			resp.ContentLength = int64(len(b))
			resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
			return nil
		},
	}
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			var req struct{ Signature string }
			_ = json.Unmarshal(body, &req)
			mu.Lock()
			posts++
			sigs = append(sigs, req.Signature)
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		proxy.ServeHTTP(w, r)
	}))
	defer hostile.Close()

	keyHex := strings.Repeat("5c", 32)
	key, err := wallet.LoadKey(keyHex)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "wallet.key")
	if err := os.WriteFile(keyFile, []byte(keyHex+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=" + t.TempDir(), api.EnvAddress + "=" + hostile.URL, api.EnvToken + "=" + srv.ManagementToken}
	for _, m := range []string{"message", "cluster", "donor"} {
		mu.Lock()
		mode, posts, sigs = m, 0, nil
		mu.Unlock()
		code, out, errs := invoke(t, "hpcbridge", env, "", "donor", "register", "uni-x", "--wallet-key", keyFile)
		mu.Lock()
		p := posts
		mu.Unlock()
		if code == 0 || p != 0 {
			t.Errorf("forged %s: exit %d, %d register requests sent (signatures %q)\n%s%s", m, code, p, sigs, out, errs)
		}
		if !strings.Contains(errs, "challenge") {
			t.Errorf("forged %s: the refusal does not say the challenge is wrong: %s", m, errs)
		}
		// 'donor challenge' does not print a forged text for a wallet
		// to sign either.
		code, out, errs = invoke(t, "hpcbridge", env, "", "donor", "challenge", "uni-x", "--wallet", strings.ToLower(wallet.Address(key)))
		if code == 0 || out != "" {
			t.Errorf("donor challenge, forged %s: exit %d, printed %q\n%s", m, code, out, errs)
		}
	}
	// The same proxy passing the challenge as it is: registered.
	mu.Lock()
	mode = ""
	mu.Unlock()
	code, out, errs := invoke(t, "hpcbridge", env, "", "donor", "challenge", "uni-x", "--wallet", strings.ToLower(wallet.Address(key)))
	if code != 0 || !strings.HasPrefix(out, "hpcbridge donor registration\n") {
		t.Fatalf("honest challenge printed: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = invoke(t, "hpcbridge", env, "", "donor", "register", "uni-x", "--wallet-key", keyFile)
	if code != 0 || !strings.Contains(out, "Registered donor uni-x with wallet "+wallet.Address(key)) {
		t.Fatalf("honest challenge: exit %d\n%s%s", code, out, errs)
	}
}
