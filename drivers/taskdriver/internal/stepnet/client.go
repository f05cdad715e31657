package stepnet

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"
)

// HandshakeTimeout bounds a connection's TLS handshake (and a ping).
const HandshakeTimeout = 10 * time.Second

// Dial connects to a node's step service and completes the authenticated
// handshake.
func Dial(ctx context.Context, a *Auth, addr string) (*tls.Conn, error) {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: HandshakeTimeout}, Config: a.ClientConfig()}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return c.(*tls.Conn), nil
}

// Ping asks the step service at addr who it is.
func Ping(ctx context.Context, a *Auth, addr string) (Pong, error) {
	ctx, cancel := context.WithTimeout(ctx, HandshakeTimeout)
	defer cancel()
	c, err := Dial(ctx, a, addr)
	if err != nil {
		return Pong{}, err
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	if err := NewConn(c).Write(KindPing, 0, nil); err != nil {
		return Pong{}, err
	}
	f, err := ReadFrame(c)
	if err != nil {
		return Pong{}, err
	}
	var p Pong
	if f.Kind != KindPong {
		return p, fmt.Errorf("step service at %s: answered a ping with frame kind %d", addr, f.Kind)
	}
	return p, f.Decode(&p)
}
