package raft

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	hraft "github.com/hashicorp/raft"
)

// testCA is a certificate authority made up for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// leaf issues a certificate for 127.0.0.1 usable as server and client.
func (ca *testCA) leaf(t *testing.T, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// config is a server's TLS configuration: a certificate from ca, trusting
// trusted.
func (ca *testCA) config(t *testing.T, name string, trusted *testCA) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, name)}, RootCAs: trusted.pool}
}

func TestStreamLayerMutualTLS(t *testing.T) {
	ours, theirs := newTestCA(t, "hpcbridge"), newTestCA(t, "intruder")
	sl, err := newStreamLayer("127.0.0.1:0", "", ours.config(t, "server", ours))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sl.Close() })
	go echo(sl)

	for _, tc := range []struct {
		name   string
		client *tls.Config // nil: plaintext
		ok     bool
	}{
		{"certificate from the cluster CA", ours.config(t, "peer", ours), true},
		{"plaintext", nil, false},
		{"no client certificate", &tls.Config{RootCAs: ours.pool}, false},
		{"client certificate from another CA", theirs.config(t, "peer", ours), false},
		{"server not trusted", theirs.config(t, "peer", theirs), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client := &streamLayer{client: tc.client}
			err := roundTrip(client, sl.Addr().String())
			if tc.ok && err != nil {
				t.Errorf("round trip failed: %v", err)
			}
			if !tc.ok && err == nil {
				t.Error("round trip succeeded; want the connection refused")
			}
		})
	}
}

// echo sends each connection's first 8 bytes back.
func echo(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(testWaitTimeout))
			b := make([]byte, 8)
			if _, err := io.ReadFull(conn, b); err == nil {
				conn.Write(b)
			}
		}()
	}
}

// roundTrip dials addr, sends 8 bytes (enough for a TLS server to see a
// record header, so plaintext fails fast) and expects them back.
func roundTrip(sl *streamLayer, addr string) error {
	conn, err := sl.Dial(hraft.ServerAddress(addr), testWaitTimeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(testWaitTimeout))
	msg := []byte("raft-rpc")
	if _, err := conn.Write(msg); err != nil {
		return err
	}
	b := make([]byte, len(msg))
	if _, err := io.ReadFull(conn, b); err != nil {
		return err
	}
	if string(b) != string(msg) {
		return errors.New("echo garbled")
	}
	return nil
}

func TestTLSCluster(t *testing.T) {
	ca := newTestCA(t, "hpcbridge")
	c := NewTestCluster(t, 3, TestClusterOptions{TLS: func(i int) *tls.Config { return ca.config(t, "server", ca) }})
	idx := submitN(t, c, 5)
	c.WaitForIndex(idx)
	assertSameState(t, c, nil)

	// A server whose certificate comes from another CA is added to the
	// configuration, but the others refuse to talk to it: it never
	// receives an entry, and the cluster goes on without it.
	other := newTestCA(t, "intruder")
	li := c.Leader()
	leader := c.Node(li)
	r := c.AddServer(other.config(t, "intruder", other), false)
	rogue := c.Node(r)
	ctx, cancel := context.WithTimeout(context.Background(), testWaitTimeout)
	defer cancel()
	if err := leader.AddVoter(ctx, rogue.ID(), rogue.Addr()); err != nil {
		t.Fatalf("AddVoter: %v", err)
	}
	res, idx, err := leader.Apply(ctx, submitCmd(t, "alice"))
	if err != nil || res.Err != nil {
		t.Fatalf("apply with an unreachable voter: %v %v", err, res.Err)
	}
	for i := range 3 {
		if err := c.Node(i).WaitForIndex(ctx, idx); err != nil {
			t.Fatalf("server %d: %v", i, err)
		}
	}
	short, stop := context.WithTimeout(ctx, time.Second)
	defer stop()
	if err := rogue.WaitForIndex(short, idx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("intruder WaitForIndex: err = %v, want DeadlineExceeded", err)
	}
	if got := rogue.AppliedIndex(); got != 0 {
		t.Errorf("intruder applied up to %d, want nothing", got)
	}
	if id, _ := rogue.Leader(); id != "" {
		t.Errorf("intruder knows leader %q", id)
	}
	if err := leader.RemoveServer(ctx, rogue.ID()); err != nil {
		t.Errorf("RemoveServer: %v", err)
	}
	c.Stop(r)
}
