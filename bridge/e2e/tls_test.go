package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
)

// writePEM writes a PEM block to dir/name and returns the path.
func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// testPKI makes a CA and one certificate for 127.0.0.1 usable as server
// and client, and returns the PEM paths.
func testPKI(t *testing.T) (caFile, certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hpcbridge test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "server"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caTmpl, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER), writePEM(t, dir, "server.pem", "CERTIFICATE", der),
		writePEM(t, dir, "server.key", "EC PRIVATE KEY", keyDER)
}

// TestTLSCluster runs two servers with HTTPS and mutual TLS for Raft; a
// write sent to the follower is forwarded to the leader over HTTPS.
func TestTLSCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test: skipped with -short")
	}
	bin := buildBinary(t)
	ca, cert, key := testPKI(t)
	tlsFlags := []string{"--tls-cert", cert, "--tls-key", key, "--tls-ca", ca}
	ctx := context.Background()
	a, b := newServer(t, bin), newServer(t, bin)
	defer a.kill(9)
	defer b.kill(9)
	a.start(nil, append([]string{"--bootstrap"}, tlsFlags...)...)
	newClient := func(addr, token string) *api.Client {
		c, err := api.NewClient(&api.Config{Address: "https://" + addr, Token: token, CACert: ca})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	var token string
	eventually(t, "ACL bootstrap over HTTPS", 30*time.Second, func() error {
		tok, err := newClient(a.api, "").ACLBootstrap(ctx, nil)
		if err != nil {
			return err
		}
		token = tok.SecretID
		return nil
	})
	b.start([]string{api.EnvToken + "=" + token, api.EnvCACert + "=" + ca}, append([]string{"--join", "https://" + a.api}, tlsFlags...)...)
	eventually(t, "two voters", 60*time.Second, func() error {
		peers, err := newClient(a.api, token).RaftPeers(ctx)
		if err != nil {
			return err
		}
		if len(peers) != 2 {
			return fmt.Errorf("%d peers", len(peers))
		}
		return nil
	})
	var id uint64
	eventually(t, "submit through the follower", 30*time.Second, func() error {
		res, err := newClient(b.api, token).Submit(ctx, &api.SubmitRequest{Script: []byte("#!/bin/sh\ntrue\n"), ScriptName: "job.sh", Cwd: "/tmp"})
		if err != nil {
			return err
		}
		id = res.JobID
		return nil
	})
	if j, _, err := newClient(a.api, token).Job(ctx, fmt.Sprint(id), nil); err != nil || j.ID != id {
		t.Fatalf("job %d on the leader: %v %v", id, j, err)
	}
	// Plain HTTP is not served.
	if _, err := client(t, "http://"+a.api, token).Leader(ctx); err == nil {
		t.Error("a plain-HTTP client reached the HTTPS API")
	}
}
