package apiserver_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// served is a Server run by Serve on a local port, as hpcbridge server
// runs it (bridgetest uses only the Handler, without Serve's limits).
type served struct {
	addr, url string
	srv       *apiserver.Server
	store     *state.Store
	mgmt      string // management token
}

// serve runs a single server with cfg's limits until the test ends.
func serve(t *testing.T, cfg apiserver.Config) *served {
	t.Helper()
	s := serveNode(t, bridgetest.NewCluster(), "s1", cfg)
	s.lead(t)
	return s
}

// serveNode runs one server of cluster c until the test ends.
func serveNode(t *testing.T, c *bridgetest.Cluster, id string, cfg apiserver.Config) *served {
	t.Helper()
	n := c.Add(id, id+":1")
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &served{addr: ln.Addr().String(), url: "http://" + ln.Addr().String(), store: n.Store()}
	cfg.Raft, cfg.Store, cfg.NodeID, cfg.APIAddr, cfg.Servers = n, n.Store(), id, s.url, n.Servers
	if s.srv, err = apiserver.New(cfg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Error(err)
		}
	})
	return s
}

// lead makes s the leader (the cluster's first server leads) and
// bootstraps its ACLs.
func (s *served) lead(t *testing.T) {
	t.Helper()
	if err := s.srv.EstablishLeadership(t.Context()); err != nil {
		t.Fatal(err)
	}
	c, err := api.NewClient(&api.Config{Address: s.url})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.ACLBootstrap(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	s.mgmt = tok.SecretID
}

// trickle writes head, then one byte of tail every tick until tail ends,
// a write fails or stop closes. wait waits for it.
func trickle(conn net.Conn, head, tail string, tick time.Duration) (stop, wait func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if _, err := io.WriteString(conn, head); err != nil || tail == "" {
			return
		}
		t := time.NewTicker(tick)
		defer t.Stop()
		for i := 0; i < len(tail); i++ {
			select {
			case <-done:
				return
			case <-t.C:
			}
			if _, err := conn.Write([]byte{tail[i]}); err != nil {
				return
			}
		}
	}()
	return sync.OnceFunc(func() { close(done) }), wg.Wait
}

// cutOff reads what the server sends on conn until it closes it, and
// fails the test if it has not within a minute: the server never let go.
func cutOff(t *testing.T, conn net.Conn) string {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server still holds a trickling connection after a minute (read %q)", got)
	}
	return string(got)
}

// TestTricklingClientsCutOff is the regression test for slow requests
// that held connections for ever: a client that sends its headers, or its
// body, a byte at a time is cut off after the read timeouts, with or
// without a token.
func TestTricklingClientsCutOff(t *testing.T) {
	s := serve(t, apiserver.Config{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 600 * time.Millisecond})
	endless := strings.Repeat("a", 1<<20) // more than the test would ever send
	c, err := api.NewClient(&api.Config{Address: s.url, Token: s.mgmt})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(t.Context(), &api.SubmitRequest{Script: []byte(hello), Cwd: "/", User: "alice"}); err != nil {
		t.Fatal(err)
	}

	t.Run("headers", func(t *testing.T) {
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		stop, wait := trickle(conn, "GET /v1/jobs HTTP/1.1\r\nHost: x\r\nX-Slow: ", endless, 20*time.Millisecond)
		defer wait()
		defer stop()
		if got := cutOff(t, conn); got != "" && !strings.HasPrefix(got, "HTTP/1.1 408") {
			t.Errorf("reply to trickled headers: %q", got)
		}
	})
	for _, tok := range []string{"", s.mgmt} {
		t.Run(fmt.Sprintf("body token=%t", tok != ""), func(t *testing.T) {
			conn, err := net.Dial("tcp", s.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			head := "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
				"X-Hpcbridge-Token: " + tok + "\r\nContent-Length: 1000000\r\n\r\n{\"script\":\""
			stop, wait := trickle(conn, head, endless, 20*time.Millisecond)
			defer wait()
			defer stop()
			got := cutOff(t, conn)
			t.Logf("reply: %.120q", got)
			// Without a token the server answers at once and drops the
			// rest; with one, the body times out.
			want := "HTTP/1.1 401"
			if tok != "" {
				want = "HTTP/1.1 408"
			}
			if got != "" && !strings.HasPrefix(got, want) {
				t.Errorf("reply to a trickled body: %.200q, want %s or nothing", got, want)
			}
		})
	}
	t.Run("body on a blocking query", func(t *testing.T) {
		// The query's wait extends the write deadline, never the body's:
		// index=1 answers at once, then the server reads the body to
		// reuse the connection.
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		head := "GET /v1/jobs?index=1&wait=10m HTTP/1.1\r\nHost: x\r\nX-Hpcbridge-Token: " + s.mgmt + "\r\nContent-Length: 1000000\r\n\r\n"
		stop, wait := trickle(conn, head, endless, 20*time.Millisecond)
		defer wait()
		defer stop()
		if got := cutOff(t, conn); !strings.HasPrefix(got, "HTTP/1.1 200") {
			t.Errorf("reply: %.200q", got)
		}
	})
	t.Run("huge headers", func(t *testing.T) {
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// Written whole in the background: the server may stop reading.
		stop, wait := trickle(conn, "GET /v1/jobs HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("b", 2*apiserver.DefaultMaxHeaderBytes)+"\r\n\r\n", "", 0)
		defer wait()
		defer stop()
		if got := cutOff(t, conn); !strings.HasPrefix(got, "HTTP/1.1 431") {
			t.Errorf("reply to %d bytes of headers: %.100q", 2*apiserver.DefaultMaxHeaderBytes, got)
		}
	})
	// The server still serves others.
	if _, err := c.Leader(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestConnsPerIP checks the bound on connections from one address: past
// it, the server closes new connections from that address at once, while
// other addresses are served, and the address gets its room back as its
// connections close.
func TestConnsPerIP(t *testing.T) {
	const max = 3
	s := serve(t, apiserver.Config{MaxConnsPerIP: max, ReadHeaderTimeout: time.Minute})
	dialFrom := func(ip string) (net.Conn, error) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
		return d.Dial("tcp", s.addr)
	}
	// max idle connections from 127.0.0.1 that sent half a request.
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for i := 0; i < max; i++ {
		c, err := dialFrom("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		if _, err := io.WriteString(c, "GET /v1/status/leader HTTP/1.1\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	// One more from the same address is closed unanswered.
	extra, err := dialFrom("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if got := cutOff(t, extra); got != "" {
		t.Errorf("connection over the bound got %q", got)
	}
	extra.Close()

	// Another address is served meanwhile.
	get := func(from string) error {
		tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext, DisableKeepAlives: true}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: time.Minute}).Get(s.url + "/v1/status/leader")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	if err := get("127.0.0.2"); err != nil {
		t.Fatalf("a request from another address failed: %v", err)
	}
	// The held connections still work: finish one request.
	if _, err := io.WriteString(held[0], "Host: x\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(held[0]), nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("held connection: %v %v", resp, err)
	}
	resp.Body.Close()
	// That connection closed, so 127.0.0.1 has room again (as soon as the
	// server has seen it close).
	deadline := time.Now().Add(time.Minute)
	for err := get("127.0.0.1"); err != nil; err = get("127.0.0.1") {
		if time.Now().After(deadline) {
			t.Fatalf("127.0.0.1 never got its room back: %v", err)
		}
	}
}

// TestConnsPerIPIdle checks that idle keep-alive connections do not hold
// an address's places: clients that leave them open (a new Go client per
// request) still get new connections past the bound.
func TestConnsPerIPIdle(t *testing.T) {
	const max = 3
	s := serve(t, apiserver.Config{MaxConnsPerIP: max})
	get := func(tr *http.Transport) error {
		resp, err := (&http.Client{Transport: tr, Timeout: time.Minute}).Get(s.url + "/v1/status/leader")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	for i := 0; i < 3*max; i++ {
		tr := &http.Transport{} // keeps its connection open, idle
		t.Cleanup(tr.CloseIdleConnections)
		// The server marks a connection idle just after its reply: until
		// then, the next one may find every place busy.
		deadline := time.Now().Add(time.Minute)
		for err := get(tr); err != nil; err = get(tr) {
			if time.Now().After(deadline) {
				t.Fatalf("connection %d past %d idle ones: %v", i+1, i, err)
			}
		}
	}
}

// oneShot GETs url with token on a connection of its own, which the
// client does not retry on.
func oneShot(t *testing.T, url, token string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(api.HeaderToken, token)
	tr := &http.Transport{DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return (&http.Client{Transport: tr}).Do(req)
}

// pacedOutput is an OutputSource for the streaming test: it writes the
// first line, waits for more (or the request's end), then writes the
// second. (Real job output needs a Nomad agent; the nomadexec tests read
// it from one.)
type pacedOutput struct{ more chan struct{} }

func (p *pacedOutput) WriteOutput(ctx context.Context, _ *state.Job, _ string, _ bool, w io.Writer) error {
	if _, err := io.WriteString(w, "first\n"); err != nil {
		return err
	}
	select {
	case <-p.more:
	case <-ctx.Done():
		return ctx.Err()
	}
	_, err := io.WriteString(w, "second\n")
	return err
}

// TestLongRequestsOutliveTimeouts checks that the read and write timeouts
// do not cut short what is meant to last: a blocking query answers the
// change that ends its wait, and a followed output keeps streaming, both
// long after the timeouts, on the leader and through a follower that
// forwards them.
func TestLongRequestsOutliveTimeouts(t *testing.T) {
	const timeout = 200 * time.Millisecond
	limits := apiserver.Config{ReadHeaderTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout}
	for _, follower := range []bool{false, true} {
		t.Run(fmt.Sprintf("follower=%t", follower), func(t *testing.T) {
			c := bridgetest.NewCluster()
			out := &pacedOutput{more: make(chan struct{})}
			cfg := limits
			cfg.Outputs = out
			s := serveNode(t, c, "s1", cfg)
			target := s
			if follower {
				target = serveNode(t, c, "s2", limits)
			}
			s.lead(t)
			query := ""
			if follower {
				query = "&consistent=true" // read on the leader, through the follower
			}
			longRequests(t, target, s.mgmt, query, out, timeout)
		})
	}
}

// longRequests runs the checks of TestLongRequestsOutliveTimeouts on
// server s: query is added to the blocking query's.
func longRequests(t *testing.T, s *served, token, query string, out *pacedOutput, timeout time.Duration) {
	c, err := api.NewClient(&api.Config{Address: s.url, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	submit := func() {
		if _, err := c.Submit(context.Background(), &api.SubmitRequest{Script: []byte(hello), Cwd: "/", User: "alice", Args: []string{"--hold"}}); err != nil {
			t.Error(err)
		}
	}
	submit()
	idx := s.store.View().LatestIndex()

	t.Run("blocking query", func(t *testing.T) {
		// The change comes after five timeouts: the query must still be
		// waiting for it, then answer it.
		timer := time.AfterFunc(5*timeout, submit)
		defer timer.Stop()
		// A fresh connection, so that a cut-off query is not retried.
		resp, err := oneShot(t, s.url+fmt.Sprintf("/v1/jobs?index=%d&wait=1m", idx)+query, token)
		if err != nil {
			t.Fatalf("blocking query: %v", err)
		}
		defer resp.Body.Close()
		var jobs []*state.Job
		if err := json.NewDecoder(resp.Body).Decode(&jobs); err != nil {
			t.Fatal(err)
		}
		got, _ := strconv.ParseUint(resp.Header.Get(api.HeaderIndex), 10, 64)
		if got <= idx || len(jobs) != 2 {
			t.Fatalf("blocking query answered at index %d (waited on %d) with %d jobs: cut short", got, idx, len(jobs))
		}
	})
	t.Run("followed output", func(t *testing.T) {
		resp, err := oneShot(t, s.url+"/v1/job/1/output?follow=true", token)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		r := bufio.NewReader(resp.Body)
		if line, err := r.ReadString('\n'); line != "first\n" {
			t.Fatalf("first line %q, %v", line, err)
		}
		timer := time.AfterFunc(5*timeout, func() { close(out.more) })
		defer timer.Stop()
		rest, err := io.ReadAll(r)
		if string(rest) != "second\n" || err != nil {
			t.Fatalf("after the timeouts the stream gave %q, %v", rest, err)
		}
	})
}
