package cas

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Remote is where Upload sends blobs and Restore reads them: the
// coordinator's API (with a user's or a run's token), or a Store namespace
// (StoreRemote). Get need not verify digests: Restore does. Upload and
// Restore call Put and Get from several goroutines at once.
type Remote interface {
	// Missing returns those of digests the remote does not have.
	Missing(ctx context.Context, digests []string) ([]string, error)
	Put(ctx context.Context, digest string, data []byte) error
	Get(ctx context.Context, digest string) ([]byte, error)
}

// UploadParallel is how many chunks Upload reads and sends at once.
const UploadParallel = 4

// MissingBatch is the most digests Upload asks about in one Missing call
// (the coordinator's route takes up to 10000).
const MissingBatch = 1000

// StoreRemote returns namespace ns of s seen as a Remote.
func StoreRemote(s Store, ns string) Remote { return storeRemote{s, ns} }

type storeRemote struct {
	s  Store
	ns string
}

func (r storeRemote) Missing(ctx context.Context, digests []string) ([]string, error) {
	has := make([]bool, len(digests))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, d := range digests {
		g.Go(func() error {
			ok, err := r.s.Has(gctx, r.ns, d)
			has[i] = ok
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []string
	for i, d := range digests {
		if !has[i] {
			out = append(out, d)
		}
	}
	return out, nil
}

func (r storeRemote) Put(ctx context.Context, digest string, data []byte) error {
	return r.s.Put(ctx, r.ns, digest, data)
}

func (r storeRemote) Get(ctx context.Context, digest string) ([]byte, error) {
	return r.s.Get(ctx, r.ns, digest)
}

// Stats say what an Upload moved.
type Stats struct {
	Files  int   // entries in the manifest
	Bytes  int64 // bytes in its regular files
	Chunks int   // distinct chunks
	// SentChunks and SentBytes count the chunks the remote lacked and
	// Upload sent; SentBytes includes the manifest blob when it was sent.
	SentChunks int
	SentBytes  int64
}

// Upload sends to r the chunks of m that r lacks (asking Missing in batches
// of MissingBatch, reading each chunk back from the files l points at, up to
// UploadParallel at once: Remote.Put must be safe for concurrent use), then
// the encoded manifest, and returns the manifest's digest.
func Upload(ctx context.Context, m *Manifest, l *Layout, r Remote) (string, Stats, error) {
	var st Stats
	enc, err := m.Encode()
	if err != nil {
		return "", st, fmt.Errorf("upload: %w", err)
	}
	md := Sum(enc)
	seen := map[string]bool{}
	var all []string
	for _, f := range m.Files {
		st.Files++
		st.Bytes += f.Size
		for _, c := range f.Chunks {
			if !seen[c] {
				seen[c] = true
				all = append(all, c)
			}
		}
	}
	st.Chunks = len(all)
	for i := 0; i < len(all); i += MissingBatch {
		batch := all[i:min(i+MissingBatch, len(all))]
		miss, err := r.Missing(ctx, batch)
		if err != nil {
			return "", st, fmt.Errorf("upload: ask which chunks are missing: %w", err)
		}
		for _, d := range miss {
			if !seen[d] {
				return "", st, fmt.Errorf("upload: the remote reports %q missing, which was not asked about", d)
			}
		}
		if len(miss) > 0 && l == nil {
			return "", st, fmt.Errorf("upload: chunk %s is missing and there is no scan layout to read it from", miss[0])
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(UploadParallel)
		var mu sync.Mutex
		for _, d := range miss {
			g.Go(func() error {
				b, err := l.read(d)
				if err != nil {
					return fmt.Errorf("upload: %w", err)
				}
				if err := r.Put(gctx, d, b); err != nil {
					return fmt.Errorf("upload chunk %s: %w", d, err)
				}
				mu.Lock()
				st.SentChunks++
				st.SentBytes += int64(len(b))
				mu.Unlock()
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return "", st, err
		}
	}
	miss, err := r.Missing(ctx, []string{md})
	if err != nil {
		return "", st, fmt.Errorf("upload: ask whether the manifest is there: %w", err)
	}
	if len(miss) > 0 {
		if err := r.Put(ctx, md, enc); err != nil {
			return "", st, fmt.Errorf("upload manifest %s: %w", md, err)
		}
		st.SentBytes += int64(len(enc))
	}
	return md, st, nil
}

// PutManifest encodes m and puts it to r (when missing), returning its
// digest; for manifests whose chunks are already there (cas.Changed).
func PutManifest(ctx context.Context, m *Manifest, r Remote) (string, error) {
	d, _, err := Upload(ctx, m, nil, r)
	return d, err
}

// GetManifest reads, verifies and decodes the manifest digest from r.
func GetManifest(ctx context.Context, digest string, r Remote) (*Manifest, error) {
	b, err := r.Get(ctx, digest)
	if err != nil {
		return nil, fmt.Errorf("manifest %s: %w", digest, err)
	}
	if err := Verify(digest, b); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	return Decode(b)
}
