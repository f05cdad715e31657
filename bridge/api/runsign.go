package api

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// A run token's requests are bound to the node that runs the job: the
// driver signs each one with the node's ed25519 key (the key it registers
// with the coordinator for its receipts), naming the Nomad node and the
// allocation. The coordinator takes a run token only with a signature
// that verifies with the key registered for that node, a timestamp within
// RunRequestSkew of its clock, and an allocation that is one of the run's
// and on that node (docs/files.md, "Run tokens and the blob routes"). The
// token alone, which is in the Nomad job spec, is of no use.
const (
	HeaderRunNode  = "X-Hpcbridge-Node"
	HeaderRunAlloc = "X-Hpcbridge-Alloc"
	HeaderRunTime  = "X-Hpcbridge-Time"
	HeaderRunSig   = "X-Hpcbridge-Signature"
	// RunRequestSkew is how far a signed request's time may be from the
	// coordinator's clock, either way.
	RunRequestSkew = 5 * time.Minute
)

// RunSigner signs a run token's requests as the node NodeID (its Nomad
// node id) running allocation AllocID, with the node's key.
type RunSigner struct {
	NodeID, AllocID string
	Key             ed25519.PrivateKey
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// RunRequestMessage is what a run token's request signature covers: the
// method, the request URI (path and query as sent), the time (Unix
// seconds), the node and allocation, and the token's hash (hex SHA-256 of
// the secret, as the coordinator stores it) — not the body, so that a
// blob upload is not read twice.
func RunRequestMessage(method, uri, unix, nodeID, allocID, tokenHash string) []byte {
	return []byte("hpcbridge-run-request-v1\n" + method + "\n" + uri + "\n" + unix + "\n" + nodeID + "\n" + allocID + "\n" + tokenHash)
}

// sign adds the signature headers to req for token (nil s: none).
func (s *RunSigner) sign(req *http.Request, token string) {
	if s == nil || s.Key == nil || token == "" {
		return
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	h := sha256.Sum256([]byte(token))
	msg := RunRequestMessage(req.Method, req.URL.RequestURI(), ts, s.NodeID, s.AllocID, hex.EncodeToString(h[:]))
	req.Header.Set(HeaderRunNode, s.NodeID)
	req.Header.Set(HeaderRunAlloc, s.AllocID)
	req.Header.Set(HeaderRunTime, ts)
	req.Header.Set(HeaderRunSig, base64.StdEncoding.EncodeToString(ed25519.Sign(s.Key, msg)))
}
