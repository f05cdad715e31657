package apiserver

import (
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Defaults of the HTTP limits in Config.
const (
	// DefaultReadHeaderTimeout bounds reading a request's headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds reading a whole request, body included: a
	// 16 MB submit at 300 kB/s.
	DefaultReadTimeout = time.Minute
	// DefaultWriteTimeout bounds writing a reply, from the end of its
	// request's headers. Blocking queries get their wait on top; output
	// streams instead get it afresh for every write.
	DefaultWriteTimeout = 2 * time.Minute
	// DefaultIdleTimeout closes keep-alive connections idle this long.
	DefaultIdleTimeout = 2 * time.Minute
	// DefaultMaxHeaderBytes bounds a request's headers (tokens are 36
	// bytes; nothing the API reads is long).
	DefaultMaxHeaderBytes = 64 << 10
	// DefaultMaxConnsPerIP bounds the connections one remote address may
	// hold open at once.
	DefaultMaxConnsPerIP = 128
)

// perIPListener hands out at most max connections per remote IP at once,
// so that one client (or a crowd of trickling ones from one host) cannot
// use up the server's file descriptors. At the bound, a new connection
// from an address takes the place of one of its idle keep-alive
// connections (which its client would reopen), or, when every one is busy
// (reading a request, or answering one), is closed as soon as it is
// accepted. connState must be the http.Server's ConnState hook.
type perIPListener struct {
	net.Listener
	max int
	log *slog.Logger

	mu    sync.Mutex
	addrs map[string]*addrConns
}

// addrConns are one remote address's connections.
type addrConns struct {
	n    int
	idle map[*countedConn]bool
	// full: a connection was refused since the address last had room
	// (logged once).
	full bool
}

func newPerIPListener(ln net.Listener, max int, log *slog.Logger) *perIPListener {
	return &perIPListener{Listener: ln, max: max, log: log, addrs: map[string]*addrConns{}}
}

// Accept returns the next connection whose address has room.
func (l *perIPListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		l.mu.Lock()
		a := l.addrs[ip]
		if a == nil {
			a = &addrConns{idle: map[*countedConn]bool{}}
			l.addrs[ip] = a
		}
		if a.n >= l.max {
			for idle := range a.idle {
				delete(a.idle, idle)
				l.mu.Unlock()
				_ = idle.Close() // gives its place back
				l.mu.Lock()
				break
			}
		}
		if a.n >= l.max {
			first := !a.full
			a.full = true
			l.mu.Unlock()
			_ = c.Close()
			if first {
				l.log.Warn("refusing connections: too many busy ones from one address", "remote", ip, "max", l.max)
			}
			continue
		}
		a.n++
		l.mu.Unlock()
		cc := &countedConn{Conn: c, ip: ip}
		cc.release = sync.OnceFunc(func() { l.release(cc) })
		return cc, nil
	}
}

func (l *perIPListener) release(c *countedConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c.gone = true
	a := l.addrs[c.ip]
	delete(a.idle, c)
	a.full = false
	if a.n--; a.n <= 0 {
		delete(l.addrs, c.ip)
	}
}

// connState follows which connections are idle between requests.
func (l *perIPListener) connState(c net.Conn, st http.ConnState) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	cc, ok := c.(*countedConn)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.addrs[cc.ip]
	if cc.gone || a == nil {
		return // closed already
	}
	if st == http.StateIdle {
		a.idle[cc] = true
	} else {
		delete(a.idle, cc)
	}
}

func remoteIP(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}

// countedConn gives its address's place back when closed.
type countedConn struct {
	net.Conn
	ip      string
	release func()
	gone    bool // released; guarded by the listener's mu
}

func (c *countedConn) Close() error {
	c.release()
	return c.Conn.Close()
}

// blocking gives a blocking query (?index=) the time it may wait on top of
// the read and write timeouts, so that neither cuts it short: the read
// deadline, once past, would end the request's context.
func (s *Server) blocking(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		if q.Get("index") != "" {
			if b, err := parseBlocking(q); err == nil && b.index > 0 {
				now := time.Now()
				rc := http.NewResponseController(w)
				if !hasBody(r) {
					// A body keeps its deadline: else one trickled
					// after the query would hold the connection.
					_ = rc.SetReadDeadline(now.Add(s.cfg.ReadTimeout + b.wait))
				}
				// Not every ResponseWriter has deadlines (httptest's has
				// none): then there is nothing to extend.
				_ = rc.SetWriteDeadline(now.Add(s.cfg.WriteTimeout + b.wait))
			}
		}
		return h(w, r)
	}
}

// streaming serves a reply that may last as long as a job runs (job
// output, followed or archived): no read deadline once the request is in
// (a client that goes away still ends the request), and a write deadline
// of WriteTimeout from each write, so a client that stops reading is cut
// off but a slow one is not.
func (s *Server) streaming(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		rc := http.NewResponseController(w)
		if !hasBody(r) {
			_ = rc.SetReadDeadline(time.Time{})
		}
		return h(&rollingWriter{ResponseWriter: w, rc: rc, d: s.cfg.WriteTimeout}, r)
	}
}

// hasBody reports whether r came with a body.
func hasBody(r *http.Request) bool { return r.ContentLength != 0 || len(r.TransferEncoding) > 0 }

// rollingWriter sets the write deadline d ahead before every write.
type rollingWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
	d  time.Duration
}

func (w *rollingWriter) Write(p []byte) (int, error) {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.d))
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *rollingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
