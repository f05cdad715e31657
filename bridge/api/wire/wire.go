// Package wire is the part of the hpcbridge API client that needs neither
// net/http nor encoding/gob: where the coordinator is and how to
// authenticate (read from the environment), TLS settings, the submit
// request and reply, error codes, and Post, one request over one HTTP/1.1
// connection.
//
// bridge/api builds its client on it. cmd/sbatch uses it alone: a process
// that submits one job and exits pays for initialising every package it
// links, and net/http, gob and what they import cost more than the
// request itself.
package wire

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultAddress is where a coordinator listens when nothing else is said.
const DefaultAddress = "http://127.0.0.1:4747"

// Environment variables FromEnv reads.
const (
	EnvAddress    = "HPCBRIDGE_ADDR"
	EnvToken      = "HPCBRIDGE_TOKEN"
	EnvTokenFile  = "HPCBRIDGE_TOKEN_FILE"
	EnvCACert     = "HPCBRIDGE_CACERT"
	EnvClientCert = "HPCBRIDGE_CLIENT_CERT"
	EnvClientKey  = "HPCBRIDGE_CLIENT_KEY"
)

// HeaderToken carries the ACL secret ("Authorization: Bearer" works too).
const HeaderToken = "X-Hpcbridge-Token"

// Settings say how to reach a coordinator: its address and token, and the
// PEM files of TLS.
type Settings struct {
	// Address is the API's URL, e.g. https://coord1:4747; without a
	// scheme, http (https when TLS files are given).
	Address string
	// Token is the ACL secret sent with every request.
	Token string
	// CACert is a PEM file of the CAs that sign the servers' certificates.
	CACert string
	// ClientCert and ClientKey are PEM files of a client certificate, for
	// servers that require mutual TLS.
	ClientCert, ClientKey string
}

// FromEnv reads Settings from an environment ("NAME=value"; the last
// occurrence wins): the address from HPCBRIDGE_ADDR (DefaultAddress when
// unset), the token from HPCBRIDGE_TOKEN or else from the token file (see
// TokenFile), the TLS files from HPCBRIDGE_CACERT, HPCBRIDGE_CLIENT_CERT
// and HPCBRIDGE_CLIENT_KEY. A missing token file means no token.
func FromEnv(env []string) Settings {
	get := lookup(env)
	s := Settings{
		Address:    get(EnvAddress),
		Token:      strings.TrimSpace(get(EnvToken)),
		CACert:     get(EnvCACert),
		ClientCert: get(EnvClientCert),
		ClientKey:  get(EnvClientKey),
	}
	if s.Address == "" {
		s.Address = DefaultAddress
	}
	if s.Token == "" {
		if f := tokenFile(get); f != "" {
			if b, err := os.ReadFile(f); err == nil {
				s.Token = strings.TrimSpace(string(b))
			}
		}
	}
	return s
}

// TokenFile is where the token is kept when HPCBRIDGE_TOKEN is unset:
// $HPCBRIDGE_TOKEN_FILE, else $XDG_CONFIG_HOME/hpcbridge/token, else
// $HOME/.config/hpcbridge/token ("" when none of these is set).
func TokenFile(env []string) string { return tokenFile(lookup(env)) }

func tokenFile(get func(string) string) string {
	if f := get(EnvTokenFile); f != "" {
		return f
	}
	if d := get("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "hpcbridge", "token")
	}
	if h := get("HOME"); h != "" {
		return filepath.Join(h, ".config", "hpcbridge", "token")
	}
	return ""
}

// lookup returns a getter over env in which the last occurrence wins.
func lookup(env []string) func(string) string {
	return func(k string) string {
		for i := len(env) - 1; i >= 0; i-- {
			if name, v, ok := strings.Cut(env[i], "="); ok && name == k {
				return v
			}
		}
		return ""
	}
}

// UsesTLS reports whether s names TLS files.
func (s Settings) UsesTLS() bool { return s.CACert != "" || s.ClientCert != "" }

// TLS loads the TLS files s names: the CAs (the system's when none) and
// the client certificate.
func (s Settings) TLS() (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.CACert != "" {
		pem, err := os.ReadFile(s.CACert)
		if err != nil {
			return nil, fmt.Errorf("api: CA certificate: %w", err)
		}
		t.RootCAs = x509.NewCertPool()
		if !t.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("api: CA certificate %s: no PEM certificate in it", s.CACert)
		}
	}
	if s.ClientCert != "" || s.ClientKey != "" {
		cert, err := tls.LoadX509KeyPair(s.ClientCert, s.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("api: client certificate: %w", err)
		}
		t.Certificates = []tls.Certificate{cert}
	}
	return t, nil
}
