// Package cas is hpcbridge's content-addressed store: blobs named by their
// SHA-256 digest, kept in a namespace per user, with the chunker, manifests and
// the scan/upload/restore steps that move a directory tree between a submit
// host, the coordinator and a node.
//
// A file is cut into content-defined chunks (MinChunk..MaxChunk bytes, about
// AvgChunk on average), each stored once per namespace; a Manifest lists the
// files of a tree with their chunks and is itself stored as a blob, so a tree
// is named by one digest. A changed file costs only the chunks that changed.
//
// Every read checks the digest of what it read: a Store never hands out bytes
// that do not match the name they were asked for.
package cas

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Limits on what the store and the manifests accept.
const (
	// MaxChunk is the largest chunk the chunker cuts and the largest data
	// blob a store keeps.
	MaxChunk = 4 << 20
	// MaxManifest is the largest encoded manifest (and so the largest blob).
	MaxManifest = 16 << 20
	// MaxFiles is the most entries a manifest may list.
	MaxFiles = 100000
	// MaxPath is the longest path (and symlink target) a manifest may hold.
	MaxPath = 4096
)

// Sentinel errors; compare with errors.Is.
var (
	// ErrNotFound: the store has no blob of that digest in that namespace.
	ErrNotFound = errors.New("blob not found")
	// ErrDigestMismatch: data does not hash to the digest it was stored or
	// asked for under (a corrupt blob, or a Put of the wrong bytes).
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrInvalid: a malformed digest, namespace, spec or manifest.
	ErrInvalid = errors.New("invalid")
)

// Sum returns the digest of b: "sha256:" and 64 lower-case hex digits.
func Sum(b []byte) string {
	h := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(h[:])
}

// ValidDigest reports whether d is "sha256:" and 64 lower-case hex digits.
func ValidDigest(d string) bool {
	h, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Verify checks that data is a blob of at most MaxManifest bytes whose digest
// is digest; the error wraps ErrInvalid or ErrDigestMismatch.
func Verify(digest string, data []byte) error {
	if !ValidDigest(digest) {
		return fmt.Errorf("%w digest %q: want sha256:<64 lower-case hex>", ErrInvalid, digest)
	}
	if len(data) > MaxManifest {
		return fmt.Errorf("%w: blob %s is %d bytes, over the %d-byte limit", ErrInvalid, digest, len(data), MaxManifest)
	}
	if got := Sum(data); got != digest {
		return fmt.Errorf("%w: blob %s hashes to %s", ErrDigestMismatch, digest, got)
	}
	return nil
}

// Store is a blob store. ns is a namespace (the owning user's name): a blob
// put in one namespace is invisible in every other.
//
// Put must refuse data that does not hash to digest, and Get must verify the
// digest of what it read on every call, returning an error wrapping
// ErrDigestMismatch rather than corrupt bytes. A missing blob is ErrNotFound.
// Implementations are safe for concurrent use.
type Store interface {
	Has(ctx context.Context, ns, digest string) (bool, error)
	Put(ctx context.Context, ns, digest string, data []byte) error
	Get(ctx context.Context, ns, digest string) ([]byte, error)
}

// Open opens the store a spec names:
//
//	dir:/path                                          files under /path (created 0700)
//	s3://ACCESS:SECRET@host:port/bucket[/prefix][?tls=false]   an S3-compatible bucket
func Open(spec string) (Store, error) {
	switch {
	case strings.HasPrefix(spec, "dir:"):
		return NewDir(strings.TrimPrefix(spec, "dir:"))
	case strings.HasPrefix(spec, "s3://"):
		return openS3(spec)
	}
	return nil, fmt.Errorf("%w blob store %q: want dir:PATH or s3://ACCESS:SECRET@HOST:PORT/BUCKET[/PREFIX][?tls=false]", ErrInvalid, redact(spec))
}

// redact hides the secret of a URL-like spec ("s3://KEY:SECRET@...") in
// error messages, also in a mistyped one ("s3:/KEY:SECRET@...",
// "s3//KEY:SECRET@..."): whatever stands before the last '@' after the
// scheme is hidden but for a key before a ':' of a well-formed "://".
func redact(spec string) string {
	at := strings.LastIndex(spec, "@")
	if at < 0 {
		return spec
	}
	if i := strings.Index(spec, "://"); i >= 0 && i < at {
		cred := spec[i+3 : at]
		if j := strings.Index(cred, ":"); j >= 0 {
			return spec[:i+3] + cred[:j] + ":***" + spec[at:]
		}
		return spec[:i+3] + "***" + spec[at:]
	}
	if i := strings.Index(spec, ":"); i >= 0 && i < at {
		return spec[:i+1] + "***" + spec[at:]
	}
	return "***" + spec[at:]
}

// ValidNamespace reports whether ns can name a namespace: 1 to 64 of
// [A-Za-z0-9._-], not starting with '.' or '-'.
func ValidNamespace(ns string) bool {
	if ns == "" || len(ns) > 64 || ns[0] == '.' || ns[0] == '-' {
		return false
	}
	for i := 0; i < len(ns); i++ {
		c := ns[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

func checkKey(ns, digest string) error {
	if !ValidNamespace(ns) {
		return fmt.Errorf("%w namespace %q: want 1-64 of [A-Za-z0-9._-], not starting with '.' or '-'", ErrInvalid, ns)
	}
	if !ValidDigest(digest) {
		return fmt.Errorf("%w digest %q: want sha256:<64 lower-case hex>", ErrInvalid, digest)
	}
	return nil
}
