package stepnet

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/internal/hostlist"
)

// Peer is one node of a multi-node job, as Nomad's template lists the
// job's step service instances: "<node name> <address> <port> <alloc id>".
type Peer struct {
	Name  string `json:"name"`
	Addr  string `json:"addr"`
	Port  int    `json:"port"`
	Alloc string `json:"alloc,omitempty"`
}

// HostPort is the peer's step service address.
func (p Peer) HostPort() string { return net.JoinHostPort(p.Addr, strconv.Itoa(p.Port)) }

// MaxPeersFile bounds the peers file.
const MaxPeersFile = 1 << 20

// ParsePeers reads a peers file. Blank lines are skipped; a line that
// does not parse is an error. A node listed twice with different
// addresses (a stale registration beside a new one) makes the list not
// ready (error): Nomad re-renders it once the stale one is gone.
func ParsePeers(b []byte) ([]Peer, error) {
	byName := map[string]Peer{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 4 {
			return nil, fmt.Errorf("peers line %d: want \"NODE ADDRESS PORT ALLOC\", got %q", line, sc.Text())
		}
		port, err := strconv.Atoi(f[2])
		if err != nil || port < 1 || port > 65535 || net.ParseIP(f[1]) == nil || !validName(f[0]) {
			return nil, fmt.Errorf("peers line %d: bad node, address or port in %q", line, sc.Text())
		}
		p := Peer{Name: f[0], Addr: f[1], Port: port, Alloc: f[3]}
		if old, ok := byName[p.Name]; ok && old.HostPort() != p.HostPort() {
			return nil, fmt.Errorf("node %s is listed twice (%s and %s)", p.Name, old.HostPort(), p.HostPort())
		}
		byName[p.Name] = p
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return SortPeers(byName), nil
}

// SortPeers orders the peers as Slurm's hostlist orders node names: node
// ids (SLURM_NODEID) are indexes in this order, and the first runs the
// batch script.
func SortPeers(byName map[string]Peer) []Peer {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sorted, err := hostlist.Expand(hostlist.Compress(names))
	if err != nil || len(sorted) != len(names) {
		sorted = names
	}
	out := make([]Peer, 0, len(sorted))
	for _, n := range sorted {
		out = append(out, byName[n])
	}
	return out
}

// Names lists the peers' node names, in order.
func Names(peers []Peer) []string {
	out := make([]string, len(peers))
	for i, p := range peers {
		out[i] = p.Name
	}
	return out
}

// validName accepts a node name that a hostlist can carry.
func validName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, r := range s {
		ok := r == '-' || r == '.' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}
