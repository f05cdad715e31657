package stepnet

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"reflect"
	"strings"
	"testing"
)

func TestParsePeers(t *testing.T) {
	in := "127.0.1.102 127.0.0.1 2002 a2\n\n127.0.1.101 127.0.0.1 2001 a1\n127.0.1.101 127.0.0.1 2001 a1\n"
	peers, err := ParsePeers([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := Names(peers); !reflect.DeepEqual(got, []string{"127.0.1.101", "127.0.1.102"}) {
		t.Errorf("order %v", got)
	}
	if peers[1].HostPort() != "127.0.0.1:2002" {
		t.Errorf("host port %s", peers[1].HostPort())
	}
	bad := []string{
		"n1 127.0.0.1 2001",                          // a field short
		"n1 example.org 2001 a",                      // not an address
		"n1 127.0.0.1 99999 a",                       // not a port
		"n;1 127.0.0.1 2001 a",                       // not a node name
		"n1 127.0.0.1 2001 a\nn1 127.0.0.2 2001 b\n", // one node, two addresses
	}
	for _, b := range bad {
		if _, err := ParsePeers([]byte(b)); err == nil {
			t.Errorf("%q: no error", b)
		}
	}
	// Nodes sort as a hostlist does: n2 before n10.
	peers, _ = ParsePeers([]byte("n10 10.0.0.1 1 a\nn2 10.0.0.2 1 b\n"))
	if got := Names(peers); !reflect.DeepEqual(got, []string{"n2", "n10"}) {
		t.Errorf("order %v", got)
	}
}

func TestCounts(t *testing.T) {
	cases := []struct {
		ntasks, nodes, per int
		want               string
	}{
		{4, 2, 2, "2(x2)"}, {3, 2, 0, "2,1"}, {5, 3, 0, "2(x2),1"}, {2, 2, 0, "1(x2)"}, {3, 2, 2, "2,1"},
		// More than per x nodes: dealt round from the first node.
		{7, 2, 1, "4,3"}, {8, 3, 1, "3(x2),2"}, {9, 3, 2, "3(x3)"},
		// A count from the job's environment is not dealt one by one.
		{1 << 62, 2, 1, "2305843009213693952(x2)"},
	}
	for _, c := range cases {
		if got := CountList(BlockCounts(c.ntasks, c.nodes, c.per)); got != c.want {
			t.Errorf("%d tasks on %d nodes (%d per node): %s, want %s", c.ntasks, c.nodes, c.per, got, c.want)
		}
	}
}

func TestParseKey(t *testing.T) {
	if _, err := ParseKey([]byte(strings.Repeat("ab", 32) + "\n")); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", strings.Repeat("ab", 31), strings.Repeat("zz", 32)} {
		if _, err := ParseKey([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestAuthPinsTheKey: a handshake completes only between ends of one key.
func TestAuthPinsTheKey(t *testing.T) {
	a, _ := NewAuth(bytes.Repeat([]byte{1}, 32))
	a2, _ := NewAuth(bytes.Repeat([]byte{1}, 32)) // same key, another process
	b, _ := NewAuth(bytes.Repeat([]byte{2}, 32))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s := tls.Server(c, a.ServerConfig())
			if s.Handshake() == nil {
				if f, err := ReadFrame(s); err == nil && f.Kind == KindPing {
					_ = NewConn(s).WriteJSON(KindPong, 0, Pong{Node: "n1"})
				}
			}
			c.Close()
		}
	}()
	if p, err := Ping(context.Background(), a2, ln.Addr().String()); err != nil || p.Node != "n1" {
		t.Errorf("same key: %+v, %v", p, err)
	}
	if p, err := Ping(context.Background(), b, ln.Addr().String()); err == nil {
		t.Errorf("another key was answered: %+v", p)
	}
	ln.Close()
	<-done
}

func TestFrameBound(t *testing.T) {
	var buf bytes.Buffer
	if err := NewConn(&buf).Write(KindStdout, 3, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFrame(&buf)
	if err != nil || f.Kind != KindStdout || f.Rank != 3 || string(f.Data) != "hi" {
		t.Errorf("%+v %v", f, err)
	}
	huge := []byte{0xff, 0xff, 0xff, 0xff, byte(KindLaunch), 0, 0, 0, 0}
	if _, err := ReadFrame(bytes.NewReader(huge)); err == nil {
		t.Error("a 4 GiB frame was accepted")
	}
}
