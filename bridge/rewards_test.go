package bridge

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/rewards"
	"github.com/hpcbridge/hpcbridge/internal/chain"
	"github.com/hpcbridge/hpcbridge/internal/wallet"
)

// lockedBuffer is the coordinator's banner, read while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRunWithRewards: a coordinator with Config.Rewards on the embedded
// chain deploys the contract, serves it through the API (GET
// /v1/rewards, the chain's JSON-RPC, a close refused while no wallet has
// credit), runs its leader tasks, and leaves no goroutine behind when it
// stops; a restart finds the same contract.
func TestRunWithRewards(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(),
		// go-ethereum's process-wide sender cache, started once.
		goleak.IgnoreTopFunction("github.com/ethereum/go-ethereum/core.(*txSenderCacher).cache"),
		// A goleveldb database the simulated chain's Close leaves open
		// (internal/chain; reported to its owner).
		goleak.IgnoreTopFunction("github.com/syndtr/goleveldb/leveldb.(*DB).mpoolDrain"))
	dir := t.TempDir()
	key, err := wallet.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ks, pw := filepath.Join(dir, "publisher.json"), filepath.Join(dir, "password")
	if err := os.WriteFile(pw, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := chain.WriteKeystore(ks, key, ""); err != nil {
		t.Fatal(err)
	}
	rcfg := &rewards.Config{Chain: chain.Config{Kind: chain.KindSimulated, DataDir: filepath.Join(dir, "chain")},
		ContractFile: filepath.Join(dir, "contract"), KeystoreFile: ks, PasswordFile: pw}
	run := func() string {
		out := &lockedBuffer{}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c := New(Config{DataDir: filepath.Join(dir, "data"), Bind: "127.0.0.1:0", RaftBind: "127.0.0.1:0", Bootstrap: true,
			LogLevel: "error", Log: io.Discard, Out: out, Rewards: rcfg})
		errc := make(chan error, 1)
		go func() { errc <- c.Run(ctx) }()
		apiRE := regexp.MustCompile(`API:  (http://\S+)`)
		var addr string
		eventually(t, "the banner", func() bool {
			select {
			case err := <-errc:
				t.Fatalf("Run returned early: %v", err)
			default:
			}
			m := apiRE.FindStringSubmatch(out.String())
			if m != nil {
				addr = m[1]
			}
			return m != nil
		})
		anon, err := api.NewClient(&api.Config{Address: addr})
		if err != nil {
			t.Fatal(err)
		}
		var secret string
		if b, err := os.ReadFile(filepath.Join(dir, "token")); err == nil {
			secret = string(b)
		} else {
			var tok *api.ACLToken
			eventually(t, "the ACL bootstrap", func() bool { tok, err = anon.ACLBootstrap(ctx, nil); return err == nil })
			secret = tok.SecretID
			if err := os.WriteFile(filepath.Join(dir, "token"), []byte(secret), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		mgmt, err := api.NewClient(&api.Config{Address: addr, Token: secret})
		if err != nil {
			t.Fatal(err)
		}
		var st *api.RewardsStatus
		eventually(t, "GET /v1/rewards", func() bool { st, err = mgmt.Rewards(ctx); return err == nil })
		if st.Chain == nil || !st.Chain.Embedded || st.Chain.Kind != chain.KindSimulated || st.Chain.ChainID == "" {
			t.Fatalf("chain %+v: want the embedded one", st.Chain)
		}
		_, err = mgmt.RewardsClose(ctx)
		var ae *api.Error
		if !errors.As(err, &ae) || ae.Code != api.CodeNothingToClose {
			t.Errorf("close with no credit: %v, want %s", err, api.CodeNothingToClose)
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, mgmt.RewardsRPCURL(), strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(api.HeaderToken, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"result"`) {
			t.Errorf("the embedded chain's eth_chainId: %d %s", resp.StatusCode, body)
		}
		cancel()
		if err := <-errc; err != nil {
			t.Fatalf("Run: %v", err)
		}
		return st.Chain.Contract
	}
	first := run()
	if got := run(); got != first {
		t.Errorf("restarted on contract %s, want %s", got, first)
	}
}
