package bridge

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/apiserver"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// blobMirror keeps a server's own blob store (dir:, one per server) holding
// every job's files, as the output archive keeps every job's output: after
// a failover the new leader serves what the old one took in. It is the
// store the API uses: Get falls back to the other servers (their peer blob
// route, with the cluster's peer secret) and keeps what it fetched; Has
// and Put are this server's. Run copies the manifests of every job (and
// their chunks) as their records change. A shared store (S3) needs none
// of this.
type blobMirror struct {
	local   cas.Store
	store   *state.Store
	self    string
	servers func() ([]api.RaftServer, error)
	client  *http.Client
	logger  *slog.Logger

	mu sync.Mutex
	// done: manifests (namespace/digest) whose blobs are all here.
	done map[string]bool
	// mirrored is closed (and replaced) when a manifest is done
	// (watch).
	mirrored chan struct{}
}

// watch returns a channel closed the next time a manifest's blobs are
// all here.
func (m *blobMirror) watch() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mirrored
}

var _ cas.Store = (*blobMirror)(nil)

// mirrorRetry is how often Run looks again at manifests it could not
// complete (a peer down, a blob not yet uploaded).
const mirrorRetry = 10 * time.Second

// maxMirrorDone bounds the completed manifests remembered (then forgotten
// all at once: checking one again is cheap).
const maxMirrorDone = 100000

func newBlobMirror(local cas.Store, store *state.Store, self string, servers func() ([]api.RaftServer, error), tlsCfg *tls.Config, logger *slog.Logger) *blobMirror {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsCfg
	// A redirect is not followed: Go would send the peer secret (a header
	// of ours, not one it knows to drop) to wherever it points.
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &blobMirror{local: local, store: store, self: self, servers: servers, logger: logger,
		client: &http.Client{Transport: tr, Timeout: 2 * time.Minute, CheckRedirect: noRedirect}, done: map[string]bool{},
		mirrored: make(chan struct{})}
}

// Local is this server's store (apiserver's peer route serves only it).
func (m *blobMirror) Local() cas.Store { return m.local }

func (m *blobMirror) Has(ctx context.Context, ns, digest string) (bool, error) {
	return m.local.Has(ctx, ns, digest)
}

func (m *blobMirror) Put(ctx context.Context, ns, digest string, data []byte) error {
	return m.local.Put(ctx, ns, digest, data)
}

// Get reads the blob here, else from the other servers (keeping it).
func (m *blobMirror) Get(ctx context.Context, ns, digest string) ([]byte, error) {
	b, err := m.local.Get(ctx, ns, digest)
	if !errors.Is(err, cas.ErrNotFound) {
		return b, err
	}
	b, perr := m.fetch(ctx, ns, digest)
	if perr != nil {
		m.logger.Debug("blob on no other server", "ns", ns, "digest", digest, "err", perr)
		return nil, err // not found, as far as this server can tell
	}
	if err := m.local.Put(ctx, ns, digest, b); err != nil {
		return nil, err
	}
	return b, nil
}

// peers are the other servers' API URLs, the leader's first.
func (m *blobMirror) peers() []string {
	list, err := m.servers()
	if err != nil {
		return nil
	}
	v := m.store.View()
	var lead, rest []string
	for _, s := range list {
		if s.ID == m.self {
			continue
		}
		addr := s.APIAddress
		if addr == "" {
			addr = v.Meta(apiserver.APIAddrKey(s.ID))
		}
		if addr == "" {
			continue
		}
		if s.Leader {
			lead = append(lead, addr)
		} else {
			rest = append(rest, addr)
		}
	}
	return append(lead, rest...)
}

// fetch reads a blob from the first other server that has it, checking
// its digest.
func (m *blobMirror) fetch(ctx context.Context, ns, digest string) ([]byte, error) {
	secret := m.store.View().Meta(apiserver.MetaBlobPeerSecret)
	if secret == "" {
		return nil, errors.New("no peer secret yet")
	}
	var errs []error
	for _, base := range m.peers() {
		b, err := m.fetchFrom(ctx, base, secret, ns, digest)
		if err == nil {
			return b, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, errors.New("no other server")
	}
	return nil, errors.Join(errs...)
}

func (m *blobMirror) fetchFrom(ctx context.Context, base, secret, ns, digest string) ([]byte, error) {
	u := strings.TrimSuffix(base, "/") + "/v1/peer/blobs/" + url.PathEscape(ns) + "/" + url.PathEscape(digest)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(apiserver.HeaderBlobPeer, secret)
	resp, err := m.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %d", base, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, cas.MaxManifest+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", base, err)
	}
	if err := cas.Verify(digest, b); err != nil {
		return nil, fmt.Errorf("%s: %w", base, err)
	}
	return b, nil
}

// Run mirrors the blobs of every job whose record changes (and, at the
// start, of every job), until ctx ends.
func (m *blobMirror) Run(ctx context.Context) {
	defer m.client.CloseIdleConnections()
	var seen uint64
	var pending []mirrorItem
	retry := time.NewTimer(mirrorRetry)
	defer retry.Stop()
	for {
		changed := m.store.WatchJobs()
		v := m.store.View()
		v.EachJobModifiedAfter(seen, func(j *state.Job) bool {
			for _, d := range apiserver.JobManifests(j) {
				pending = append(pending, mirrorItem{ns: j.User, manifest: d})
			}
			return true
		})
		seen = v.LatestIndex()
		var left []mirrorItem
		for _, it := range pending {
			if ctx.Err() != nil {
				return
			}
			if err := m.ensure(ctx, it); err != nil {
				left = append(left, it)
				m.logger.Debug("mirror job files", "ns", it.ns, "manifest", it.manifest, "err", err)
			}
		}
		pending = left
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-retry.C:
			retry.Reset(mirrorRetry)
		}
	}
}

// mirrorItem is a manifest to mirror.
type mirrorItem struct{ ns, manifest string }

// ensure makes the manifest and every chunk it lists present here.
func (m *blobMirror) ensure(ctx context.Context, it mirrorItem) error {
	key := it.ns + "/" + it.manifest
	m.mu.Lock()
	done := m.done[key]
	m.mu.Unlock()
	if done {
		return nil
	}
	man, err := cas.GetManifest(ctx, it.manifest, cas.StoreRemote(m, it.ns))
	if err != nil {
		return err
	}
	for _, f := range man.Files {
		for _, ch := range f.Chunks {
			ok, err := m.local.Has(ctx, it.ns, ch)
			if err != nil {
				return err
			}
			if !ok {
				if _, err := m.Get(ctx, it.ns, ch); err != nil {
					return fmt.Errorf("chunk %s of %s: %w", ch, f.Path, err)
				}
			}
		}
	}
	m.mu.Lock()
	if len(m.done) >= maxMirrorDone {
		m.done = map[string]bool{}
	}
	m.done[key] = true
	close(m.mirrored)
	m.mirrored = make(chan struct{})
	m.mu.Unlock()
	return nil
}
