package raft

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"

	hraft "github.com/hashicorp/raft"
)

// Transport tuning: connections pooled per peer and the I/O deadline of
// one RPC (InstallSnapshot scales it with the snapshot size).
const (
	transportMaxPool = 3
	transportTimeout = 10 * time.Second
)

// streamLayer is an hraft.StreamLayer over TCP, optionally wrapped in
// mutual TLS. It listens on the bind address and reports the advertised
// one, which is what the other servers dial.
type streamLayer struct {
	net.Listener
	advertise net.Addr
	// client is the TLS configuration for dialling peers; nil for plaintext.
	client *tls.Config
}

var _ hraft.StreamLayer = (*streamLayer)(nil)

// newStreamLayer listens on bind. With tlsCfg set, accepted connections
// must present a certificate the CA pool verifies, and dialled peers must
// present a server certificate it verifies.
func newStreamLayer(bind, advertise string, tlsCfg *tls.Config) (*streamLayer, error) {
	ln, err := net.Listen("tcp", bind)
	if err != nil {
		return nil, fmt.Errorf("raft: listen on %s: %w", bind, err)
	}
	adv, err := advertiseAddr(ln.Addr(), advertise)
	if err != nil {
		ln.Close()
		return nil, err
	}
	s := &streamLayer{Listener: ln, advertise: adv}
	if tlsCfg != nil {
		server := tlsCfg.Clone()
		server.ClientAuth = tls.RequireAndVerifyClientCert
		if server.ClientCAs == nil {
			server.ClientCAs = server.RootCAs
		}
		server.MinVersion = max(server.MinVersion, tls.VersionTLS13)
		s.Listener = tls.NewListener(ln, server)
		s.client = tlsCfg.Clone()
		s.client.MinVersion = max(s.client.MinVersion, tls.VersionTLS13)
	}
	return s, nil
}

// advertiseAddr resolves the address peers dial: advertise if given, else
// the bound one; either way it must name a specific host.
func advertiseAddr(bound net.Addr, advertise string) (net.Addr, error) {
	addr, ok := bound.(*net.TCPAddr)
	if advertise != "" {
		a, err := net.ResolveTCPAddr("tcp", advertise)
		if err != nil {
			return nil, fmt.Errorf("%w: Advertise %q: %v", ErrInvalidConfig, advertise, err)
		}
		addr, ok = a, true
	}
	if !ok || addr.IP == nil || addr.IP.IsUnspecified() || addr.Port == 0 {
		return nil, fmt.Errorf("%w: %s cannot be dialled by other servers: set Advertise", ErrInvalidConfig, bound)
	}
	return addr, nil
}

// Addr is the advertised address.
func (s *streamLayer) Addr() net.Addr { return s.advertise }

// Dial connects to a peer; with TLS the handshake completes (and the
// peer's certificate is verified) before Dial returns.
func (s *streamLayer) Dial(address hraft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	d := &net.Dialer{}
	if s.client == nil {
		return d.DialContext(ctx, "tcp", string(address))
	}
	cfg := s.client
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(string(address))
		if err != nil {
			return nil, fmt.Errorf("raft: dial %s: %w", address, err)
		}
		cfg = cfg.Clone()
		cfg.ServerName = host
	}
	td := &tls.Dialer{NetDialer: d, Config: cfg}
	return td.DialContext(ctx, "tcp", string(address))
}
