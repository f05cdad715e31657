// Package stepnet is the step service's wire protocol: how srun (the job's
// user) and the stepd of every node of a multi-node job (root) talk over
// the network. Both ends are authenticated by the job run's step key (32
// random bytes the coordinator made for this run, hex-encoded): each end
// presents a TLS 1.3 certificate whose Ed25519 key is derived from the step
// key and accepts only a peer presenting that same public key. A process
// without the key (another job, anyone on the network) cannot complete the
// handshake, so it can neither start a step nor read one's output.
package stepnet

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// KeyHexLen is the length of a step key as written in its file.
const KeyHexLen = 64

// ParseKey reads a step key file's contents: 64 hex digits (32 bytes),
// surrounding white space ignored.
func ParseKey(b []byte) ([]byte, error) {
	s := bytes.TrimSpace(b)
	if len(s) != KeyHexLen {
		return nil, fmt.Errorf("step key: want %d hex digits, got %d characters", KeyHexLen, len(s))
	}
	key := make([]byte, KeyHexLen/2)
	if _, err := hex.Decode(key, s); err != nil {
		return nil, fmt.Errorf("step key: %w", err)
	}
	return key, nil
}

// Auth holds the TLS identity derived from one step key.
type Auth struct {
	cert tls.Certificate
	pub  ed25519.PublicKey
}

// NewAuth derives the TLS identity of the job run whose step key is key
// (the raw bytes, see ParseKey).
func NewAuth(key []byte) (*Auth, error) {
	if len(key) < 16 {
		return nil, errors.New("step key too short")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("hpcbridge step service ed25519 v1"))
	priv := ed25519.NewKeyFromSeed(mac.Sum(nil))
	pub := priv.Public().(ed25519.PublicKey)
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "hpcbridge-step"},
		NotBefore:    time.Now().Add(-24 * time.Hour),
		NotAfter:     time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		return nil, fmt.Errorf("step key certificate: %w", err)
	}
	return &Auth{cert: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv}, pub: pub}, nil
}

// verify accepts only a peer certificate carrying the job run's key. The
// TLS handshake has already checked that the peer holds the private key.
func (a *Auth) verify(raw [][]byte, _ [][]*x509.Certificate) error {
	if len(raw) != 1 {
		return errors.New("step service: want exactly one peer certificate")
	}
	c, err := x509.ParseCertificate(raw[0])
	if err != nil {
		return fmt.Errorf("step service: peer certificate: %w", err)
	}
	pub, ok := c.PublicKey.(ed25519.PublicKey)
	if !ok || !pub.Equal(a.pub) {
		return errors.New("step service: the peer does not hold this job's step key")
	}
	return nil
}

// ServerConfig is the listening stepd's TLS configuration: TLS 1.3 only,
// client certificate required and checked against the key.
func (a *Auth) ServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion:            tls.VersionTLS13,
		Certificates:          []tls.Certificate{a.cert},
		ClientAuth:            tls.RequireAnyClientCert,
		VerifyPeerCertificate: a.verify,
	}
}

// ClientConfig is a dialling end's (srun, or a stepd's ping) TLS
// configuration. The chain is not checked against any CA (there is none):
// the peer's key is pinned by verify instead.
func (a *Auth) ClientConfig() *tls.Config {
	return &tls.Config{
		MinVersion:            tls.VersionTLS13,
		Certificates:          []tls.Certificate{a.cert},
		InsecureSkipVerify:    true, //nolint:gosec // the peer's key is pinned in VerifyPeerCertificate
		VerifyPeerCertificate: a.verify,
		ServerName:            "hpcbridge-step",
	}
}
