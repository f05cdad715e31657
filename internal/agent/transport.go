package agent

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/api/wire"
)

// maxAnswerBytes bounds one answer of the coordinator (a join's, with 64
// servers and 64 meta entries, is a few tens of KiB).
const maxAnswerBytes = 1 << 20

// usesTLS reports whether the coordinator client will speak TLS.
func (o *Options) usesTLS() bool {
	a := o.API
	if strings.HasPrefix(a.Address, "https://") {
		return true
	}
	if strings.Contains(a.Address, "://") {
		return false
	}
	return a.TLSConfig != nil || a.CACert != "" || a.ClientCert != ""
}

// checkTransport refuses plain HTTP to a coordinator on another machine
// unless InsecureHTTP: the join secret goes out in the clear, and the
// answer (which Nomad servers this machine's root-run Nomad client obeys)
// could be anyone's.
func (o *Options) checkTransport() error {
	if o.usesTLS() || o.InsecureHTTP {
		return nil
	}
	addr := o.API.Address
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || u.Hostname() == "" {
		return fmt.Errorf("--coordinator %.100q: want https://host:port", o.API.Address)
	}
	h := u.Hostname()
	if ip := net.ParseIP(h); h == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("--coordinator %s: plain HTTP to another machine: the join token, and the answer that says which Nomad servers this machine's Nomad client (root) obeys, would travel unprotected; use https:// (--ca-file for a private CA), or --insecure-http on a network you trust", o.API.Address)
}

// apiConfig is the coordinator client's configuration: no ACL token (the
// join secret and the node key are the credentials), TLS loaded here,
// and answers bounded (maxAnswerBytes).
func (o *Options) apiConfig() (*api.Config, error) {
	c := *o.API
	c.Token = ""
	if c.HTTPClient != nil {
		return &c, nil
	}
	tlsCfg := c.TLSConfig
	if tlsCfg == nil && (c.CACert != "" || c.ClientCert != "") {
		var err error
		if tlsCfg, err = (wire.Settings{CACert: c.CACert, ClientCert: c.ClientCert, ClientKey: c.ClientKey}).TLS(); err != nil {
			return nil, err
		}
		c.TLSConfig = tlsCfg
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	if tr.TLSClientConfig == nil && o.usesTLS() {
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	c.HTTPClient = &http.Client{Transport: boundedAnswers{tr},
		// A redirect would carry the join secret (a 307 keeps the body)
		// or a node-signed request to another address, over plain HTTP
		// too: the coordinator's address is the one given, or none.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &c, nil
}

// boundedAnswers fails a reply body longer than maxAnswerBytes, so that a
// coordinator (or anyone between) cannot fill root's memory.
type boundedAnswers struct{ base http.RoundTripper }

func (b boundedAnswers) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := b.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = boundedBody{&boundedReader{r: resp.Body, n: maxAnswerBytes, tooLong: errAnswerTooLong}, resp.Body}
	return resp, nil
}

// boundedBody is a reply body read through a boundedReader.
type boundedBody struct {
	*boundedReader
	io.Closer
}

// errAnswerTooLong ends the reading of an answer over maxAnswerBytes.
var errAnswerTooLong = fmt.Errorf("the coordinator's answer is longer than %d bytes", maxAnswerBytes)
