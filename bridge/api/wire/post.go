package wire

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// MaxReplyBytes bounds the reply Post reads.
const MaxReplyBytes = 16 << 20

// NotSentError is a Post that failed before any byte of the request left:
// the coordinator cannot have acted on it.
type NotSentError struct{ Err error }

func (e *NotSentError) Error() string { return e.Err.Error() }
func (e *NotSentError) Unwrap() error { return e.Err }

// Post sends body, JSON, to path on the coordinator s names, over a
// connection of its own that it closes after the reply, and returns the
// reply's status and body. It speaks just enough HTTP/1.1 for the API's
// replies: a status line, headers, and a body of Content-Length bytes,
// chunked, or up to the end of the connection. Errors before the request
// was sent are *NotSentError; errors after it leave open whether the
// coordinator acted on it.
func Post(ctx context.Context, s Settings, path string, body []byte) (status int, reply []byte, err error) {
	u, err := parseAddress(s)
	if err != nil {
		return 0, nil, &NotSentError{err}
	}
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return 0, nil, &NotSentError{fmt.Errorf("hpcbridge at %s: %w", u.Host, err)}
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	if u.Scheme == "https" {
		cfg, err := s.TLS()
		if err != nil {
			return 0, nil, &NotSentError{err}
		}
		cfg.ServerName = u.Hostname()
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return 0, nil, &NotSentError{fmt.Errorf("hpcbridge at %s: %w", u.Host, err)}
		}
		conn = tc
	}
	var req strings.Builder
	req.Grow(256)
	req.WriteString("POST " + strings.TrimSuffix(u.EscapedPath(), "/") + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\n")
	if s.Token != "" {
		req.WriteString(HeaderToken + ": " + s.Token + "\r\n")
	}
	req.WriteString("Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n")
	if _, err := (&net.Buffers{[]byte(req.String()), body}).WriteTo(conn); err != nil {
		return 0, nil, fmt.Errorf("hpcbridge at %s: %w", u.Host, err)
	}
	status, reply, err = readReply(bufio.NewReader(conn))
	if err != nil {
		return 0, nil, fmt.Errorf("hpcbridge at %s: reply: %w", u.Host, err)
	}
	return status, reply, nil
}

// parseAddress reads the address as bridge/api does: without a scheme,
// http (https when TLS files are given).
func parseAddress(s Settings) (*url.URL, error) {
	addr := s.Address
	if addr == "" {
		addr = DefaultAddress
	}
	if !strings.Contains(addr, "://") {
		scheme := "http://"
		if s.UsesTLS() {
			scheme = "https://"
		}
		addr = scheme + addr
	}
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api: bad address %q: want http[s]://host:port", s.Address)
	}
	return u, nil
}

var errReply = errors.New("malformed HTTP reply")

// readReply reads an HTTP/1.1 response: status, headers, body.
func readReply(r *bufio.Reader) (int, []byte, error) {
	for {
		line, err := readLine(r)
		if err != nil {
			return 0, nil, err
		}
		proto, rest, _ := strings.Cut(line, " ")
		code, _, _ := strings.Cut(rest, " ")
		status, err := strconv.Atoi(code)
		if !strings.HasPrefix(proto, "HTTP/1.") || err != nil || status < 100 || status > 999 {
			return 0, nil, fmt.Errorf("%w: status line %q", errReply, line)
		}
		length, chunked := int64(-1), false
		for {
			h, err := readLine(r)
			if err != nil {
				return 0, nil, err
			}
			if h == "" {
				break
			}
			name, value, ok := strings.Cut(h, ":")
			if !ok {
				return 0, nil, fmt.Errorf("%w: header %q", errReply, h)
			}
			value = strings.TrimSpace(value)
			switch {
			case strings.EqualFold(name, "Content-Length"):
				if length, err = strconv.ParseInt(value, 10, 64); err != nil || length < 0 {
					return 0, nil, fmt.Errorf("%w: Content-Length %q", errReply, value)
				}
			case strings.EqualFold(name, "Transfer-Encoding"):
				chunked = strings.EqualFold(value, "chunked")
			}
		}
		if status < 200 {
			continue // 1xx: the reply follows
		}
		var body []byte
		switch {
		case chunked:
			body, err = readChunked(r)
		case length > MaxReplyBytes:
			err = fmt.Errorf("reply of %d bytes is over %d", length, MaxReplyBytes)
		case length >= 0:
			body = make([]byte, length)
			_, err = io.ReadFull(r, body)
		default:
			body, err = readAtMost(r, MaxReplyBytes)
		}
		return status, body, err
	}
}

// readLine reads one CRLF-terminated line, without the terminator.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return "", fmt.Errorf("%w: line over %d bytes", errReply, r.Size())
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return "", err
	}
	return strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r"), nil
}

// readChunked reads a chunked body (and its trailers).
func readChunked(r *bufio.Reader) ([]byte, error) {
	var body []byte
	for {
		line, err := readLine(r)
		if err != nil {
			return nil, err
		}
		size, _, _ := strings.Cut(line, ";")
		n, err := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%w: chunk size %q", errReply, line)
		}
		if n == 0 {
			for {
				if t, err := readLine(r); err != nil || t == "" {
					return body, err
				}
			}
		}
		if int64(len(body))+n > MaxReplyBytes {
			return nil, fmt.Errorf("reply over %d bytes", MaxReplyBytes)
		}
		start := len(body)
		body = append(body, make([]byte, n)...)
		if _, err := io.ReadFull(r, body[start:]); err != nil {
			return nil, err
		}
		if crlf, err := readLine(r); err != nil || crlf != "" {
			return nil, fmt.Errorf("%w: chunk not followed by CRLF", errReply)
		}
	}
}

// readAtMost reads to the end, failing past max bytes.
func readAtMost(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err == nil && int64(len(b)) > max {
		err = fmt.Errorf("reply over %d bytes", max)
	}
	return b, err
}
