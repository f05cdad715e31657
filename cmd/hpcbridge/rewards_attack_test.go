package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/contracts"
	"github.com/hpcbridge/hpcbridge/internal/chain"
	"github.com/hpcbridge/hpcbridge/internal/merkle"
)

// hostileCoordinator is a coordinator in front of a real one that lies:
// tip (when set) is the chain's answer to eth_maxPriorityFeePerGas on its
// embedded RPC route; rewrite (when set) changes its rewards status and
// proof answers.
type hostileCoordinator struct {
	mu      sync.Mutex
	tip     *big.Int
	rewrite func(path string, v map[string]any)
}

func (h *hostileCoordinator) handler(t *testing.T, real string) http.Handler {
	u, err := url.Parse(real)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.ModifyResponse = func(r *http.Response) error {
		h.mu.Lock()
		rewrite := h.rewrite
		h.mu.Unlock()
		p := r.Request.URL.Path
		if rewrite == nil || r.StatusCode != http.StatusOK || (p != "/v1/rewards" && !strings.HasPrefix(p, "/v1/rewards/proof/")) {
			return nil
		}
		var v map[string]any
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
			return err
		}
		r.Body.Close()
		rewrite(p, v)
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
		r.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		tip := h.tip
		h.mu.Unlock()
		if r.URL.Path == "/v1/rewards/rpc" && tip != nil {
			body, _ := io.ReadAll(r.Body)
			var call struct {
				ID     json.RawMessage `json:"id"`
				Method string          `json:"method"`
			}
			if json.Unmarshal(body, &call) == nil && call.Method == "eth_maxPriorityFeePerGas" {
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": call.ID, "result": hexutil.EncodeBig(tip)})
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		proxy.ServeHTTP(w, r)
	})
}

// rewards claim does not take the coordinator's word for what it signs:
// a fee that would drain the key (a coordinator could relay the signed
// transaction to a chain where the key holds ether) is refused before
// anything is sent; a proof from another contract than --contract is
// refused; a proof that is not the wallet's under its root is refused
// before the chain is asked.
func TestRewardsClaimHostileCoordinator(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	donor, _ := crypto.GenerateKey()
	sim := startSimRewards(ctx, t, donor)
	ch, publisher, contract, srv := sim.ch, sim.publisher, sim.contract, sim.srv
	admin := []string{"HOME=" + t.TempDir(), api.EnvAddress + "=" + srv.URL, api.EnvToken + "=" + srv.ManagementToken}
	hostile := &hostileCoordinator{}
	hsrv := httptest.NewServer(hostile.handler(t, srv.URL))
	t.Cleanup(hsrv.Close)
	env := []string{"HOME=" + t.TempDir(), api.EnvAddress + "=" + hsrv.URL, api.EnvToken + "=" + srv.UserToken(t, "donor")}

	keystore, password := writeKeystore(t, t.TempDir(), "key", donor, "s3cret", "s3cret\n")
	wallet := chain.KeyAddress(donor)
	other, _ := crypto.GenerateKey()
	srv.Donate(t, bridgetest.Donation{Donor: "uni-a", Wallet: wallet.Hex(), Node: "a1", GPUs: 2, Seconds: 3600})
	srv.Donate(t, bridgetest.Donation{Donor: "uni-b", Wallet: chain.KeyAddress(other).Hex(), Node: "b1", GPUs: 1, Seconds: 1800})
	runCLI(t, admin, 0, "Closed epoch 1", "rewards", "close")
	publishEpoch(ctx, t, srv, ch, publisher, contract, 1)
	claimArgs := []string{"rewards", "claim", "--keystore", keystore, "--password-file", password}
	nothingSent := func(what string) {
		t.Helper()
		if n, err := ch.NonceAt(ctx, wallet, nil); err != nil || n != 0 {
			t.Fatalf("%s: the key sent %d transactions (%v)", what, n, err)
		}
	}

	// A tip of 10,000 gwei: about 0.6 ether for a claim.
	hostile.tip = big.NewInt(1e13)
	runCLI(t, env, exitRejected, "more than --max-fee 0.01", claimArgs...)
	nothingSent("a draining fee")
	hostile.tip = nil

	// The attacker's own RewardDistributor, holding a root under which the
	// donor's wallet has a proof: named by the coordinator, refused when the
	// donor names its contract.
	fake, _, err := contracts.Deploy(ctx, ch, publisher, chain.KeyAddress(publisher), chain.KeyAddress(publisher))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := merkle.Build([]merkle.Leaf{{Account: wallet, Amount: big.NewInt(5)}, {Account: chain.KeyAddress(other), Amount: big.NewInt(7)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := contracts.Publish(ctx, ch, publisher, fake, 1, tree.Root()); err != nil {
		t.Fatal(err)
	}
	_, fakeProof, err := tree.Proof(wallet)
	if err != nil {
		t.Fatal(err)
	}
	hostile.rewrite = func(path string, v map[string]any) {
		if path == "/v1/rewards" {
			v["chain"].(map[string]any)["contract"] = fake.Hex()
			return
		}
		root := tree.Root()
		v["contract"], v["root"], v["cumulative_amount"] = fake.Hex(), hexutil.Encode(root[:]), "5"
		var ps []string
		for _, p := range fakeProof {
			ps = append(ps, hexutil.Encode(p[:]))
		}
		v["proof"] = ps
	}
	runCLI(t, env, exitRejected, "the proof is for contract "+fake.Hex()+", not "+contract.Hex(), append(claimArgs, "--contract", contract.Hex())...)
	nothingSent("another contract")

	// Another wallet's proof, or an amount its proof does not hold.
	hostile.rewrite = func(path string, v map[string]any) {
		if path != "/v1/rewards" {
			v["cumulative_amount"] = "3000000000000000000"
		}
	}
	runCLI(t, env, exitRejected, "does not verify under its root", claimArgs...)
	nothingSent("an inflated amount")

	// A chain RPC that is a local IPC socket (go-ethereum's client dials a
	// bare path as one): not dialled.
	sock := filepath.Join(t.TempDir(), "geth.ipc")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	contacted := make(chan struct{}, 1)
	acceptDone := make(chan struct{})
	go func() {
		defer close(acceptDone)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case contacted <- struct{}{}:
			default:
			}
			conn.Close()
		}
	}()
	hostile.rewrite = func(path string, v map[string]any) {
		if path == "/v1/rewards" {
			c := v["chain"].(map[string]any)
			delete(c, "embedded")
			c["rpc_url"] = sock
		}
	}
	runCLI(t, env, exitRejected, "not an http(s) or ws(s) URL", claimArgs...)
	ln.Close()
	<-acceptDone
	select {
	case <-contacted:
		t.Fatal("the claim dialled the local IPC socket the coordinator named")
	default:
	}

	// The honest coordinator's claim still goes through the guard.
	hostile.rewrite = nil
	runCLI(t, env, 0, "Claimed 2 HPCB for "+wallet.Hex(), append(claimArgs, "--contract", contract.Hex())...)
}
