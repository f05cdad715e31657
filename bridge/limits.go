package bridge

import (
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

// perIPListener hands out at most max connections per remote IP at once;
// it closes the others as soon as they are accepted, so that one client
// (or a crowd of trickling ones from one host) cannot use up the server's
// file descriptors.
type perIPListener struct {
	net.Listener
	max int
	log *slog.Logger

	mu    sync.Mutex
	conns map[string]int
	// full: addresses refused since they last had room (logged once).
	full map[string]bool
}

func newPerIPListener(ln net.Listener, max int, log *slog.Logger) *perIPListener {
	return &perIPListener{Listener: ln, max: max, log: log, conns: map[string]int{}, full: map[string]bool{}}
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
		if l.conns[ip] >= l.max {
			first := !l.full[ip]
			l.full[ip] = true
			l.mu.Unlock()
			_ = c.Close()
			if first {
				l.log.Warn("refusing connections: too many from one address", "remote", ip, "max", l.max)
			}
			continue
		}
		l.conns[ip]++
		l.mu.Unlock()
		return &countedConn{Conn: c, release: sync.OnceFunc(func() { l.release(ip) })}, nil
	}
}

func (l *perIPListener) release(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conns[ip]--; l.conns[ip] <= 0 {
		delete(l.conns, ip)
	}
	delete(l.full, ip)
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
	release func()
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
