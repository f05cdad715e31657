package bridge

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	hbraft "github.com/hpcbridge/hpcbridge/raft"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// nodeID returns the server's id: the flag, else the one kept in the data
// dir, else a new one (written there).
func nodeID(dataDir, flag string) (string, error) {
	path := filepath.Join(dataDir, "node-id")
	if b, err := os.ReadFile(path); err == nil {
		kept := strings.TrimSpace(string(b))
		if flag != "" && flag != kept {
			return "", fmt.Errorf("--node-id %q differs from %q kept in %s", flag, kept, path)
		}
		return kept, nil
	}
	id := flag
	if id == "" {
		host, _ := os.Hostname()
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		id = fmt.Sprintf("%s-%s", host, hex.EncodeToString(b[:]))
	}
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", err
	}
	return id, nil
}

// loadTLS builds the API server config and the client config used to
// reach other servers, from --tls-cert/--tls-key/--tls-ca.
func loadTLS(o Config) (server, client *tls.Config, err error) {
	if o.TLSCert == "" && o.TLSKey == "" && o.TLSCA == "" {
		return nil, nil, nil
	}
	if o.TLSCert == "" || o.TLSKey == "" || o.TLSCA == "" {
		return nil, nil, errors.New("TLS needs --tls-cert, --tls-key and --tls-ca together")
	}
	cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
	if err != nil {
		return nil, nil, err
	}
	pem, err := os.ReadFile(o.TLSCA)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("--tls-ca %s: no certificate found", o.TLSCA)
	}
	server = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, RootCAs: pool,
		ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS12}
	client = &tls.Config{Certificates: []tls.Certificate{cert}, RootCAs: pool, MinVersion: tls.VersionTLS12}
	return server, client, nil
}

// raftTLS is the mutual-TLS configuration for Raft traffic.
func raftTLS(server *tls.Config) *tls.Config {
	if server == nil {
		return nil
	}
	c := server.Clone()
	c.ClientAuth = tls.RequireAndVerifyClientCert
	return c
}

// serversOf lists the Raft configuration with each server's API URL.
func serversOf(node *hbraft.Node, store *state.Store) func() ([]api.RaftServer, error) {
	return func() ([]api.RaftServer, error) {
		list, err := node.Servers()
		if err != nil {
			return nil, err
		}
		v := store.View()
		out := make([]api.RaftServer, len(list))
		for i, sv := range list {
			out[i] = api.RaftServer{ID: sv.ID, Address: sv.Address, Voter: sv.Voter, Leader: sv.Leader,
				APIAddress: v.Meta(apiserver.APIAddrKey(sv.ID))}
		}
		return out, nil
	}
}
