package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api/wire"
)

// DefaultAddress is where a coordinator listens when nothing else is said.
const DefaultAddress = wire.DefaultAddress

// Environment variables DefaultConfig reads.
const (
	EnvAddress    = wire.EnvAddress
	EnvToken      = wire.EnvToken
	EnvTokenFile  = wire.EnvTokenFile
	EnvCACert     = wire.EnvCACert
	EnvClientCert = wire.EnvClientCert
	EnvClientKey  = wire.EnvClientKey
)

// Config says how to reach a coordinator.
type Config struct {
	// Address is the API's URL, e.g. https://coord1:4747; without a scheme,
	// http (https when TLS is configured).
	Address string
	// Token is the ACL secret sent with every request.
	Token string
	// TLSConfig is used for https; when nil, CACert, ClientCert and
	// ClientKey are loaded instead.
	TLSConfig *tls.Config
	// CACert is a PEM file of the CAs that sign the servers' certificates.
	CACert string
	// ClientCert and ClientKey are PEM files of a client certificate, for
	// servers that require mutual TLS.
	ClientCert, ClientKey string
	// HTTPClient, when set, is used as is (TLS settings above are ignored).
	HTTPClient *http.Client
	// Signer, for a run token, signs every request as the node running
	// the job (runsign.go); nil for other tokens.
	Signer *RunSigner
}

// DefaultConfig reads the process environment: see ConfigFromEnv.
func DefaultConfig() *Config { return ConfigFromEnv(os.Environ()) }

// ConfigFromEnv builds a Config from an environment ("NAME=value"; the last
// occurrence wins): the address from HPCBRIDGE_ADDR (DefaultAddress when
// unset), the token from HPCBRIDGE_TOKEN or else from the token file (see
// TokenFile), the TLS files from HPCBRIDGE_CACERT, HPCBRIDGE_CLIENT_CERT and
// HPCBRIDGE_CLIENT_KEY. A missing token file means no token.
func ConfigFromEnv(env []string) *Config {
	w := wire.FromEnv(env)
	return &Config{Address: w.Address, Token: w.Token, CACert: w.CACert, ClientCert: w.ClientCert, ClientKey: w.ClientKey}
}

// TokenFile is where the token is kept when HPCBRIDGE_TOKEN is unset:
// $HPCBRIDGE_TOKEN_FILE, else $XDG_CONFIG_HOME/hpcbridge/token, else
// $HOME/.config/hpcbridge/token ("" when none of these is set).
func TokenFile(env []string) string { return wire.TokenFile(env) }

// Client calls the hpcbridge API. It is safe for concurrent use.
type Client struct {
	base   *url.URL
	token  string
	http   *http.Client
	signer *RunSigner
}

// NewClient returns a client for cfg (DefaultConfig when nil).
func NewClient(cfg *Config) (*Client, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	hc := cfg.HTTPClient
	tlsCfg := cfg.TLSConfig
	if hc == nil && tlsCfg == nil && (cfg.CACert != "" || cfg.ClientCert != "") {
		var err error
		if tlsCfg, err = loadTLS(cfg); err != nil {
			return nil, err
		}
	}
	addr := cfg.Address
	if addr == "" {
		addr = DefaultAddress
	}
	if !strings.Contains(addr, "://") {
		scheme := "http://"
		if tlsCfg != nil {
			scheme = "https://"
		}
		addr = scheme + addr
	}
	base, err := url.Parse(addr)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("api: bad address %q: want http[s]://host:port", cfg.Address)
	}
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tlsCfg
		hc = &http.Client{Transport: tr}
	}
	return &Client{base: base, token: cfg.Token, http: hc, signer: cfg.Signer}, nil
}

func loadTLS(cfg *Config) (*tls.Config, error) {
	return wire.Settings{CACert: cfg.CACert, ClientCert: cfg.ClientCert, ClientKey: cfg.ClientKey}.TLS()
}

// Address is the URL the client talks to.
func (c *Client) Address() string { return c.base.String() }

// do sends one request: in (when not nil) as the JSON body, the reply's
// JSON into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) (*QueryMeta, error) {
	resp, meta, err := c.open(ctx, method, path, q, in, out != nil)
	if err != nil {
		return meta, err
	}
	defer resp.Body.Close()
	if out != nil {
		if err := decodeBody(resp, out); err != nil {
			return meta, fmt.Errorf("api: decode %s %s reply: %w", method, path, err)
		}
	}
	return meta, nil
}

// open sends a request and returns the successful reply with its body
// unread (the caller closes it), so that a client can ask for the next
// page while it decodes this one.
func (c *Client) open(ctx context.Context, method, path string, q url.Values, in any, wantBody bool) (*http.Response, *QueryMeta, error) {
	accept := ""
	if method == http.MethodGet && wantBody {
		accept = gobOrJSON
	}
	return c.openAccept(ctx, method, path, q, in, accept)
}

// openAccept is open with the Accept header given ("" for none).
func (c *Client) openAccept(ctx context.Context, method, path string, q url.Values, in any, accept string) (*http.Response, *QueryMeta, error) {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawPath = ""
	u.RawQuery = q.Encode()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, nil, fmt.Errorf("api: encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, nil, fmt.Errorf("api: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set(HeaderToken, c.token)
		c.signer.sign(req, c.token)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("hpcbridge at %s: %w", c.base.Host, err)
	}
	meta := &QueryMeta{
		NextToken:   resp.Header.Get(HeaderNextToken),
		KnownLeader: resp.Header.Get(HeaderKnownLeader) == "true",
	}
	meta.LastIndex, _ = strconv.ParseUint(resp.Header.Get(HeaderIndex), 10, 64)
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, meta, decodeError(resp)
	}
	return resp, meta, nil
}

// decodeBody decodes a reply as gob or JSON, by its content type.
func decodeBody(resp *http.Response, out any) error {
	if resp.Header.Get("Content-Type") == ContentTypeGob {
		return gob.NewDecoder(resp.Body).Decode(out)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// decodeError turns an error reply into an *Error.
func decodeError(resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var er ErrorResponse
	if err := json.Unmarshal(raw, &er); err == nil && er.Error != nil && er.Error.Code != "" {
		er.Error.Status = resp.StatusCode
		return er.Error
	}
	msg := strings.TrimSpace(string(raw))
	if len(msg) > 200 {
		msg = msg[:200]
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &Error{Status: resp.StatusCode, Code: codeOfStatus(resp.StatusCode), Message: msg}
}

// values renders query options.
func (o *QueryOptions) values(q url.Values) {
	if o.WaitIndex > 0 {
		q.Set("index", strconv.FormatUint(o.WaitIndex, 10))
		if o.WaitTime > 0 {
			q.Set("wait", o.WaitTime.String())
		}
	}
	if o.Consistent {
		q.Set("consistent", "true")
	}
	if o.PerPage > 0 {
		q.Set("per_page", strconv.Itoa(o.PerPage))
	}
	if o.NextToken != "" {
		q.Set("next_token", o.NextToken)
	}
}

// errNilRequest guards methods against a nil request.
var errNilRequest = errors.New("api: nil request")
