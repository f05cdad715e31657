package wire

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// replyWith serves one connection: it reads a request and answers raw.
func replyWith(t *testing.T, raw string) (addr string, got chan *http.Request) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	got = make(chan *http.Request, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		req, err := http.ReadRequest(bufio.NewReader(conn))
		if err != nil {
			t.Error(err)
			return
		}
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(strings.NewReader(string(body)))
		got <- req
		conn.Write([]byte(raw))
	}()
	return "http://" + l.Addr().String(), got
}

func TestPost(t *testing.T) {
	cases := []struct {
		name   string
		raw    string
		status int
		body   string
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{\"job_id\":1}\nextra", 200, "{\"job_id\":1}\n"},
		{"chunked", "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n", 400, "hello world"},
		{"to the end", "HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\n\r\n{\"error\":{}}", 503, "{\"error\":{}}"},
		{"continue first", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, "ok"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr, got := replyWith(t, c.raw)
			status, body, err := Post(context.Background(), Settings{Address: addr + "/prefix/", Token: "tok"}, "/v1/jobs", []byte(`{"a":1}`))
			if err != nil || status != c.status || string(body) != c.body {
				t.Fatalf("Post = %d %q %v, want %d %q", status, body, err, c.status, c.body)
			}
			req := <-got
			b, _ := io.ReadAll(req.Body)
			if req.Method != "POST" || req.URL.Path != "/prefix/v1/jobs" || req.Header.Get(HeaderToken) != "tok" ||
				req.Header.Get("Content-Type") != "application/json" || string(b) != `{"a":1}` || !req.Close {
				t.Errorf("request %s %s %v %q", req.Method, req.URL, req.Header, b)
			}
		})
	}
}

func TestPostFails(t *testing.T) {
	for _, raw := range []string{
		"",
		"garbage\r\n\r\n",
		"HTTP/1.1 abc OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX",
		"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
	} {
		addr, _ := replyWith(t, raw)
		_, _, err := Post(context.Background(), Settings{Address: addr}, "/v1/jobs", nil)
		var notSent *NotSentError
		if err == nil || errors.As(err, &notSent) {
			t.Errorf("reply %q: err %v, want a failure after sending", raw, err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for _, s := range []Settings{{Address: "http://" + addr}, {Address: "ftp://x"}, {Address: addr, CACert: "/nonexistent/ca.pem"}} {
		_, _, err := Post(context.Background(), s, "/v1/jobs", nil)
		var notSent *NotSentError
		if !errors.As(err, &notSent) {
			t.Errorf("%+v: err %v, want a NotSentError", s, err)
		}
	}
}

func TestFromEnv(t *testing.T) {
	dir := t.TempDir()
	s := FromEnv([]string{"HOME=" + dir, EnvAddress + "=h:1", EnvAddress + "=h:2", EnvCACert + "=ca", "BROKEN"})
	if s.Address != "h:2" || s.Token != "" || s.CACert != "ca" || !s.UsesTLS() {
		t.Errorf("%+v", s)
	}
	if s := FromEnv(nil); s.Address != DefaultAddress || s.UsesTLS() {
		t.Errorf("%+v", s)
	}
	if f := TokenFile([]string{"HOME=/h", "XDG_CONFIG_HOME=/x"}); f != "/x/hpcbridge/token" {
		t.Error(f)
	}
}

func FuzzReadReply(f *testing.F) {
	f.Add("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	f.Add("HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
	f.Add("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 503 x\r\n\r\nrest")
	f.Fuzz(func(t *testing.T, raw string) {
		status, body, err := readReply(bufio.NewReader(strings.NewReader(raw)))
		if err == nil && (status < 200 || status > 999 || len(body) > len(raw)) {
			t.Fatalf("status %d, %d bytes of body from %d", status, len(body), len(raw))
		}
	})
}
