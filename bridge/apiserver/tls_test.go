package apiserver_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
)

// pki writes a CA, a server certificate for 127.0.0.1 and a client
// certificate, all PEM, into dir.
func pki(t *testing.T, dir string) {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	caKey := key()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	write("ca.pem", "CERTIFICATE", caDER)
	for i, c := range []struct {
		name  string
		usage x509.ExtKeyUsage
	}{{"server", x509.ExtKeyUsageServerAuth}, {"client", x509.ExtKeyUsageClientAuth}} {
		k := key()
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: c.name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{c.usage}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		write(c.name+".pem", "CERTIFICATE", der)
		write(c.name+"-key.pem", "EC PRIVATE KEY", kder)
	}
}

func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	pki(t, dir)
	p := func(name string) string { return filepath.Join(dir, name) }
	tlsCfg, err := apiserver.ServerTLS(p("server.pem"), p("server-key.pem"), p("ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	n := bridgetest.NewCluster().Add("s1", "s1:1")
	srv, err := apiserver.New(apiserver.Config{Raft: n, Store: n.Store(), NodeID: "s1", TLS: tlsCfg})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()
	addr := ln.Addr().String() // no scheme: https, because TLS is configured

	// Without a client certificate the handshake fails.
	noCert, err := api.NewClient(&api.Config{Address: addr, CACert: p("ca.pem")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := noCert.Leader(t.Context()); err == nil {
		t.Fatal("mutual TLS let a client without a certificate in")
	}
	// With one (loaded the way HPCBRIDGE_CLIENT_CERT says), it works.
	env := []string{"HPCBRIDGE_ADDR=" + addr, "HPCBRIDGE_CACERT=" + p("ca.pem"),
		"HPCBRIDGE_CLIENT_CERT=" + p("client.pem"), "HPCBRIDGE_CLIENT_KEY=" + p("client-key.pem")}
	c, err := api.NewClient(api.ConfigFromEnv(env))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ACLBootstrap(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := apiserver.ServerTLS(p("server.pem"), p("server-key.pem"), p("server-key.pem")); err == nil {
		t.Error("a key file accepted as a CA file")
	}
}
