package apiserver

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// Files modes of a partition (Config.PartitionFiles, GET /v1/partitions).
const (
	// FilesShared: the partition's nodes see the submit directory.
	FilesShared = "shared"
	// FilesStaged: they do not; sbatch uploads it (docs/files.md).
	FilesStaged = "staged"
)

// filesOf is a partition's files mode.
func (s *Server) filesOf(partition string) string {
	if s.cfg.PartitionFiles[partition] == FilesStaged {
		return FilesStaged
	}
	return FilesShared
}

// stagedPartition reports whether a job of partition list (comma
// separated, as --partition) is staged: one of them is.
func (s *Server) stagedPartition(list string) bool {
	for _, p := range strings.Split(list, ",") {
		if s.filesOf(strings.TrimSpace(p)) == FilesStaged {
			return true
		}
	}
	return false
}

// blobs is the store, or the error of a coordinator without one.
func (s *Server) blobs() (cas.Store, error) {
	if s.cfg.Blobs == nil {
		e := api.Errorf(api.CodeInternal, "this coordinator has no blob store (hpcbridge server --blob-store)")
		e.Status = http.StatusNotImplemented
		return nil, e
	}
	return s.cfg.Blobs, nil
}

// blobNamespace is the namespace a token's blobs live in: its user's, or
// for a run token its job owner's; as (when not "") names another user's,
// for a management token only (sbatch submitting as the local user).
func (s *Server) blobNamespace(tok *state.ACLToken, as string) (string, error) {
	user := tok.User
	if as != "" && as != tok.User {
		if !isManagement(tok) {
			return "", denied("only a management token may store files for another user: this token is %s's, not %s's", tok.User, as)
		}
		if err := checkName("user", as); err != nil {
			return "", err
		}
		user = as
	} else if tok.Type == state.TokenRun {
		j := s.cfg.Store.View().Job(tok.JobID)
		if j == nil {
			return "", api.Errorf(api.CodeNotFound, "the run token's job %d: %v", tok.JobID, state.ErrNotFound)
		}
		user = j.User
	}
	if !cas.ValidNamespace(user) {
		return "", denied("token %q has no user whose files it could hold", tok.Name)
	}
	return user, nil
}

// isRunTokenOf reports whether tok is the run token of j's current run.
func isRunTokenOf(tok *state.ACLToken, j *state.Job) bool {
	return tok.Type == state.TokenRun && tok.JobID == j.ID && tok.Run == j.RestartCount
}

// fileJob finds the job of a files route and checks that tok may read its
// files: its owner, a management token, or its current run's token.
func (s *Server) fileJob(r *http.Request, tok *state.ACLToken) (*state.Job, error) {
	ref, err := api.ParseJobRef(r.PathValue("ref"))
	if err != nil {
		return nil, badRequest("%v", err)
	}
	j, _ := lookup(s.cfg.Store.View(), ref)
	if j == nil || j.IsArrayBase() {
		return nil, api.Errorf(api.CodeNotFound, "job %s: %v", ref, state.ErrNotFound)
	}
	if !mayTouch(tok, j) && !isRunTokenOf(tok, j) {
		if tok.Type == state.TokenRun {
			return nil, denied("a run token of job %d may not read job %s's files", tok.JobID, j.SlurmID())
		}
		return nil, denied("job %s belongs to %s", j.SlurmID(), j.User)
	}
	return j, nil
}

// handleBlobsMissing answers POST /v1/blobs/missing: which of the digests
// the token's namespace lacks.
func (s *Server) handleBlobsMissing(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	store, err := s.blobs()
	if err != nil {
		return err
	}
	var req api.BlobsMissingRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	ns, err := s.blobNamespace(tok, req.User)
	if err != nil {
		return err
	}
	if len(req.Digests) > api.MaxMissingDigests {
		return api.Errorf(api.CodeTooLarge, "%d digests: ask about at most %d at a time", len(req.Digests), api.MaxMissingDigests)
	}
	// A run token (a node's) learns only about its job's files: anything
	// else of the owner's namespace is answered missing (uploading it
	// again is harmless), so that a node cannot probe which content the
	// user has (docs/files.md).
	var runJob *state.Job
	if tok.Type == state.TokenRun {
		if runJob = s.cfg.Store.View().Job(tok.JobID); runJob == nil {
			return api.Errorf(api.CodeNotFound, "the run token's job %d: %v", tok.JobID, state.ErrNotFound)
		}
	}
	out := api.BlobsMissingResponse{Missing: []string{}}
	for _, d := range req.Digests {
		if !cas.ValidDigest(d) {
			return badRequest("digest %q: want sha256:<64 lower-case hex>", d)
		}
		ok, err := store.Has(r.Context(), ns, d)
		if err != nil {
			return fmt.Errorf("blob store: %w", err)
		}
		if ok && runJob != nil {
			if ok, err = s.reachable(r.Context(), store, runJob, d); err != nil {
				return err
			}
		}
		if !ok {
			out.Missing = append(out.Missing, d)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleBlobPut stores PUT /v1/blobs/{digest} in the token's namespace: a
// chunk (at most cas.MaxChunk bytes) or a manifest (at most
// cas.MaxManifest, and it must decode as one).
func (s *Server) handleBlobPut(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	store, err := s.blobs()
	if err != nil {
		return err
	}
	ns, err := s.blobNamespace(tok, r.URL.Query().Get("user"))
	if err != nil {
		return err
	}
	digest := r.PathValue("digest")
	if !cas.ValidDigest(digest) {
		return badRequest("digest %q: want sha256:<64 lower-case hex>", digest)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, cas.MaxManifest+1))
	if err != nil {
		return asBodyError(err)
	}
	if len(data) > cas.MaxManifest {
		return api.Errorf(api.CodeTooLarge, "blob is over %d bytes", cas.MaxManifest)
	}
	if err := cas.Verify(digest, data); err != nil {
		return badRequest("%v", err)
	}
	if len(data) > cas.MaxChunk {
		if _, err := cas.Decode(data); err != nil {
			return api.Errorf(api.CodeTooLarge, "blob %s is %d bytes: a chunk is at most %d, and it is not a manifest (%v)", digest, len(data), cas.MaxChunk, err)
		}
	}
	if err := store.Put(r.Context(), ns, digest, data); err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// asBodyError turns a body read error into the API's (too large, or bad).
func asBodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return api.Errorf(api.CodeTooLarge, "request body is over the %d byte limit", mbe.Limit)
	}
	return badRequest("read body: %v", err)
}

// jobFiles is what GET /v1/job/{ref}/files shows of j.
func jobFiles(j *state.Job) *api.JobFiles {
	out := &api.JobFiles{}
	if f := j.Files; f != nil {
		out.Input, out.Output, out.OutputRun, out.OutputTime = f.Input, f.Output, f.OutputRun, f.OutputTime
	}
	if cp := j.Checkpoints; cp != nil && cp.Digest != "" {
		// The last checkpoint (what a requeued run restores); earlier
		// ones are listed by GET /v1/receipts.
		out.Checkpoints = []api.FileCheckpoint{{Run: cp.Run, Seq: cp.Seq, Digest: cp.Digest, Size: cp.Size, Time: cp.Time}}
	}
	return out
}

// JobManifests are the manifests of j whose blobs its readers may fetch
// (and every server keeps: bridge's blob mirror).
func JobManifests(j *state.Job) []string {
	var out []string
	if f := j.Files; f != nil {
		for _, d := range []string{f.Input, f.Output} {
			if d != "" {
				out = append(out, d)
			}
		}
	}
	for _, c := range jobFiles(j).Checkpoints {
		out = append(out, c.Digest)
	}
	return out
}

// MetaBlobPeerSecret is the replicated key holding the secret servers
// present to each other's peer blob route (GET /v1/peer/blobs/{ns}/{digest},
// header HeaderBlobPeer) to mirror blob stores: the leader makes it once.
const MetaBlobPeerSecret = "blob_peer_secret"

// HeaderBlobPeer carries the peer secret.
const HeaderBlobPeer = "X-Hpcbridge-Blob-Peer"

// localStore is a store that can name the part of it on this server
// (bridge's blob mirror, which reads through to the other servers).
type localStore interface{ Local() cas.Store }

// ensurePeerSecret commits the peer secret when the cluster has none
// (the leader, at the start of its term).
func (s *Server) ensurePeerSecret(ctx context.Context) error {
	if s.cfg.Blobs == nil || s.cfg.Store.View().Meta(MetaBlobPeerSecret) != "" {
		return nil
	}
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
	if _, _, err := s.apply(ctx, state.CmdSetMeta, state.SetMetaCmd{Key: MetaBlobPeerSecret, Value: hex.EncodeToString(b[:])}); err != nil {
		return fmt.Errorf("apiserver: blob peer secret: %w", err)
	}
	return nil
}

// handlePeerBlob serves another server's mirror: a blob of this server's
// own store (never read through), for the cluster's peer secret only.
func (s *Server) handlePeerBlob(w http.ResponseWriter, r *http.Request) error {
	secret := s.cfg.Store.View().Meta(MetaBlobPeerSecret)
	got := r.Header.Get(HeaderBlobPeer)
	if secret == "" || subtle.ConstantTimeCompare([]byte(secret), []byte(got)) != 1 {
		return denied("the peer blob route is for the coordinator's servers")
	}
	store, err := s.blobs()
	if err != nil {
		return err
	}
	if l, ok := store.(localStore); ok {
		store = l.Local()
	}
	ns, digest := r.PathValue("ns"), r.PathValue("digest")
	if !cas.ValidNamespace(ns) || !cas.ValidDigest(digest) {
		return badRequest("namespace %q, digest %q", ns, digest)
	}
	data, err := store.Get(r.Context(), ns, digest)
	if errors.Is(err, cas.ErrNotFound) {
		return api.Errorf(api.CodeNotFound, "blob %s not on server %s", digest, s.cfg.NodeID)
	}
	if err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
	return nil
}

// handleJobFiles answers GET /v1/job/{ref}/files.
func (s *Server) handleJobFiles(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	j, err := s.fileJob(r, tok)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, jobFiles(j))
	return nil
}

// handleJobBlob answers GET /v1/job/{ref}/blobs/{digest}: a blob of the
// job owner's namespace that is one of the job's manifests or a chunk one
// of them lists. Nothing else of the namespace can be read this way.
func (s *Server) handleJobBlob(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	store, err := s.blobs()
	if err != nil {
		return err
	}
	j, err := s.fileJob(r, tok)
	if err != nil {
		return err
	}
	digest := r.PathValue("digest")
	if !cas.ValidDigest(digest) {
		return badRequest("digest %q: want sha256:<64 lower-case hex>", digest)
	}
	ok, err := s.reachable(r.Context(), store, j, digest)
	if err != nil {
		return err
	}
	if !ok {
		return api.Errorf(api.CodeNotFound, "job %s has no file blob %s", j.SlurmID(), digest)
	}
	data, err := store.Get(r.Context(), j.User, digest)
	if errors.Is(err, cas.ErrNotFound) {
		return api.Errorf(api.CodeNotFound, "blob %s of job %s is not in the store", digest, j.SlurmID())
	}
	if err != nil {
		return fmt.Errorf("blob store: %w", err)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
	return nil
}

// reachable reports whether digest is one of j's manifests or a chunk
// one of them lists.
func (s *Server) reachable(ctx context.Context, store cas.Store, j *state.Job, digest string) (bool, error) {
	ms := JobManifests(j)
	for _, m := range ms {
		if m == digest {
			return true, nil
		}
	}
	for _, m := range ms {
		chunks, err := s.chunks.of(ctx, store, j.User, m)
		if err != nil {
			if errors.Is(err, cas.ErrNotFound) {
				continue
			}
			return false, err
		}
		if _, ok := chunks[digestKey(digest)]; ok {
			return true, nil
		}
	}
	return false, nil
}

// chunkCache keeps the chunk sets of the manifests read last (a restore
// asks for every chunk of one manifest in turn, and several restores run
// at once). Manifests never change: a digest names its content. Decoding
// one is dear (a 100000-file manifest: over a second of CPU and ~100 MB),
// so a set is made once however many requests want it, one decode runs at
// a time, and the sets kept are bounded by the chunks they hold (least
// recently used go first), not by their number: with a few sets kept, a
// user going round more jobs than that made every blob read decode again.
type chunkCache struct {
	mu     sync.Mutex
	sets   map[string]*chunkSet // by namespace + "/" + digest
	chunks int                  // held by the sets made
	tick   uint64
}

// chunkSet is one manifest's chunks; ready is closed once set or err is.
type chunkSet struct {
	ready chan struct{}
	set   map[[32]byte]struct{}
	err   error
	used  uint64
}

// Bounds of the chunk cache: the chunks its sets hold (at ~40 bytes each,
// about 80 MB; a 16 MiB manifest lists at most about 240000), and sets.
const (
	chunkCacheChunks = 2 << 20
	chunkCacheSets   = 256
)

// manifestDecodes bounds the manifests decoded at once (CPU and memory).
var manifestDecodes = make(chan struct{}, 1)

// digestKey is a digest's 32 bytes (a valid digest's; zero otherwise).
func digestKey(d string) [32]byte {
	var k [32]byte
	_, _ = hex.Decode(k[:], []byte(strings.TrimPrefix(d, "sha256:")))
	return k
}

func (c *chunkCache) of(ctx context.Context, store cas.Store, ns, manifest string) (map[[32]byte]struct{}, error) {
	key := ns + "/" + manifest
	c.mu.Lock()
	if c.sets == nil {
		c.sets = map[string]*chunkSet{}
	}
	c.tick++
	e, ok := c.sets[key]
	if ok {
		e.used = c.tick
		c.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err != nil {
			if ctx.Err() == nil && (errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded)) {
				return c.of(ctx, store, ns, manifest) // the request that made it went away
			}
			return nil, e.err
		}
		return e.set, nil
	}
	e = &chunkSet{ready: make(chan struct{}), used: c.tick}
	c.sets[key] = e
	c.mu.Unlock()

	e.set, e.err = decodeChunkSet(ctx, store, ns, manifest)
	c.mu.Lock()
	if e.err != nil {
		delete(c.sets, key) // not kept: the next request tries again
	} else {
		c.chunks += len(e.set)
		c.evict(key)
	}
	c.mu.Unlock()
	close(e.ready)
	if e.err != nil {
		return nil, e.err
	}
	return e.set, nil
}

// evict drops the least recently used made sets (never keep) until the
// cache is within its bounds. c.mu is held.
func (c *chunkCache) evict(keep string) {
	for c.chunks > chunkCacheChunks || len(c.sets) > chunkCacheSets {
		oldest, at := "", uint64(0)
		for k, e := range c.sets {
			if k == keep || e.set == nil {
				continue // kept, or still being made
			}
			if oldest == "" || e.used < at {
				oldest, at = k, e.used
			}
		}
		if oldest == "" {
			return
		}
		c.chunks -= len(c.sets[oldest].set)
		delete(c.sets, oldest)
	}
}

// getManifest reads and decodes manifest of namespace ns, one decode at a
// time (manifestDecodes).
func getManifest(ctx context.Context, store cas.Store, ns, manifest string) (*cas.Manifest, error) {
	select {
	case manifestDecodes <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-manifestDecodes }()
	return cas.GetManifest(ctx, manifest, cas.StoreRemote(store, ns))
}

// decodeChunkSet reads manifest and returns the set of its chunks.
func decodeChunkSet(ctx context.Context, store cas.Store, ns, manifest string) (map[[32]byte]struct{}, error) {
	m, err := getManifest(ctx, store, ns, manifest)
	if err != nil {
		return nil, err
	}
	set := map[[32]byte]struct{}{}
	for _, f := range m.Files {
		for _, ch := range f.Chunks {
			set[digestKey(ch)] = struct{}{}
		}
	}
	return set, nil
}

// complete checks that manifest and every chunk it lists are in
// namespace ns; the error says what is missing.
func complete(ctx context.Context, store cas.Store, ns, manifest string) error {
	_, err := completeManifest(ctx, store, ns, manifest)
	return err
}

// completeManifest is complete, returning the manifest.
func completeManifest(ctx context.Context, store cas.Store, ns, manifest string) (*cas.Manifest, error) {
	m, err := getManifest(ctx, store, ns, manifest)
	if errors.Is(err, cas.ErrNotFound) {
		return nil, api.Errorf(api.CodeStagedInput, "manifest %s is not in the store: upload it first", manifest)
	}
	if err != nil {
		return nil, badRequest("manifest %s: %v", manifest, err)
	}
	missing, seen := 0, map[string]bool{}
	first := ""
	for _, f := range m.Files {
		for _, ch := range f.Chunks {
			if seen[ch] {
				continue
			}
			seen[ch] = true
			ok, err := store.Has(ctx, ns, ch)
			if err != nil {
				return nil, fmt.Errorf("blob store: %w", err)
			}
			if !ok {
				if missing == 0 {
					first = f.Path
				}
				missing++
			}
		}
	}
	if missing > 0 {
		return nil, api.Errorf(api.CodeStagedInput, "manifest %s is incomplete: %d chunks are not in the store (the first of %s): upload them first", manifest, missing, first)
	}
	return m, nil
}

// handleJobOutput takes POST /v1/job/{ref}/output from the job's current
// run's token: the manifest of what the run created or changed, complete
// in the store, committed as the job's outputs.
func (s *Server) handleJobOutput(w http.ResponseWriter, r *http.Request, tok *state.ACLToken) error {
	store, err := s.blobs()
	if err != nil {
		return err
	}
	ref, err := api.ParseJobRef(r.PathValue("ref"))
	if err != nil {
		return badRequest("%v", err)
	}
	j, _ := lookup(s.cfg.Store.View(), ref)
	if j == nil || j.IsArrayBase() {
		return api.Errorf(api.CodeNotFound, "job %s: %v", ref, state.ErrNotFound)
	}
	if !isRunTokenOf(tok, j) {
		return denied("only the run token of job %s's current run may send its outputs", j.SlurmID())
	}
	var req api.OutputRequest
	if err := decodeBody(r, &req, false); err != nil {
		return err
	}
	if !cas.ValidDigest(req.Manifest) {
		return badRequest("manifest %q: want sha256:<64 lower-case hex>", req.Manifest)
	}
	m, err := completeManifest(r.Context(), store, j.User, req.Manifest)
	if err != nil {
		return err
	}
	// The manifest may list one stored chunk many times: 16 MiB of
	// references to one 4 MiB chunk would make hpcbridge fetch write
	// close to a TiB on the submitter's machine. What a node sends back
	// is bounded as the driver bounds it.
	var total int64
	for _, f := range m.Files {
		total += f.Size
	}
	if total > api.MaxOutputBytes {
		return api.Errorf(api.CodeTooLarge, "outputs %s of job %s add up to %d bytes, over the %d-byte limit of a job's outputs", req.Manifest, j.SlurmID(), total, int64(api.MaxOutputBytes))
	}
	res, idx, err := s.apply(r.Context(), state.CmdJobFiles, state.JobFilesCmd{Time: s.now().UTC(), JobID: j.ID, Run: tok.Run, Output: req.Manifest})
	if err != nil {
		return err
	}
	if res.Err != nil {
		return resultError(res.Err)
	}
	setIndex(w, idx)
	writeJSON(w, http.StatusOK, api.WriteResponse{Index: idx})
	return nil
}

// checkStagedInput checks a submission's staged input: required for a
// staged partition's job, complete in the user's namespace. It returns
// the digest to record ("" for a shared partition's job).
func (s *Server) checkStagedInput(ctx context.Context, user, partition, digest string) (string, error) {
	if !s.stagedPartition(partition) {
		return "", nil
	}
	if digest == "" {
		return "", api.Errorf(api.CodeStagedInput, "partition %s is staged: its nodes do not see the submit directory; submit with hpcbridge's sbatch, which uploads it", partition)
	}
	if !cas.ValidDigest(digest) {
		return "", badRequest("staged_input %q: want sha256:<64 lower-case hex>", digest)
	}
	store, err := s.blobs()
	if err != nil {
		return "", err
	}
	if !cas.ValidNamespace(user) {
		return "", badRequest("user %q cannot own staged files", user)
	}
	if err := complete(ctx, store, user, digest); err != nil {
		return "", err
	}
	return digest, nil
}
