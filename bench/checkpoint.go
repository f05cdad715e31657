package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/cas"
)

// The checkpoint section measures what a checkpoint commit costs when a big
// file changed a little, as a training job's model does between epochs,
// with the same code a node's driver commits with (internal/cas: Scan
// chunks the checkpoint directory, Upload sends the chunks the store lacks
// and the manifest), into a blob store on this machine (the coordinator's
// default, dir:DATA_DIR/blobs) or the one -checkpoint-store names:
//
//   - the first commit of a file of -checkpoint-mib MiB (everything is new);
//   - the commit after 1% of it was overwritten, in one place (a layer of
//     a model) and then in 100 places spread over the file (each touches a
//     chunk or two of about 1 MiB): its time, the chunks and bytes sent;
//   - next to copying the whole file (written and fsynced, as the store
//     fsyncs each blob), which is what a checkpoint without deltas moves.
//
// The file is random bytes (nothing compresses or dedups by accident).

// checkpointOptions are the checkpoint section's flags.
type checkpointOptions struct {
	mib   int
	store string
	dir   string
}

func (o *checkpointOptions) register(fs *flag.FlagSet) {
	fs.IntVar(&o.mib, "checkpoint-mib", 1024, "checkpoint: the file's size in MiB")
	fs.StringVar(&o.store, "checkpoint-store", "", "checkpoint: the blob store (cas.Open spec: dir:PATH or s3://...); default a dir: store in a temp dir")
	fs.StringVar(&o.dir, "checkpoint-dir", "", "checkpoint: where the file and the default store go (default: a temp dir under $TMPDIR)")
}

// checkpointReport runs the checkpoint section.
func checkpointReport(ctx context.Context, c config) error {
	o := c.checkpoint
	if o.mib < 1 {
		return fmt.Errorf("-checkpoint-mib %d: want at least 1", o.mib)
	}
	base, err := os.MkdirTemp(o.dir, "hpcbridge-bench-ckpt-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	work := filepath.Join(base, "job")
	if err := os.Mkdir(work, 0o755); err != nil {
		return err
	}
	spec := o.store
	if spec == "" {
		spec = "dir:" + filepath.Join(base, "blobs")
	}
	store, err := cas.Open(spec)
	if err != nil {
		return err
	}
	remote := cas.StoreRemote(store, "bench")
	size := int64(o.mib) << 20
	model := filepath.Join(work, "model.bin")
	rng := rand.New(rand.NewChaCha8([32]byte{'h', 'p', 'c', 'b'}))
	if err := writeRandom(model, size, rng); err != nil {
		return err
	}
	fmt.Printf("checkpoint: a %d MiB file (random bytes), committed with internal/cas (Scan + Upload) into %s\n", o.mib, storeKind(spec))

	commit := func() (time.Duration, cas.Stats, error) {
		start := time.Now()
		m, l, err := cas.Scan(work, nil, 2*size)
		if err != nil {
			return 0, cas.Stats{}, err
		}
		_, st, err := cas.Upload(ctx, m, l, remote)
		return time.Since(start), st, err
	}
	full, fullStats, err := commit()
	if err != nil {
		return fmt.Errorf("checkpoint: first commit: %w", err)
	}
	type deltaRun struct {
		places  int
		changed int64
		took    time.Duration
		st      cas.Stats
	}
	var deltas []deltaRun
	for _, places := range []int{1, 100} {
		changed, err := overwrite(model, size, places, rng)
		if err != nil {
			return err
		}
		took, st, err := commit()
		if err != nil {
			return fmt.Errorf("checkpoint: commit after a change in %d places: %w", places, err)
		}
		deltas = append(deltas, deltaRun{places, changed, took, st})
	}
	copied, err := copyFile(model, filepath.Join(base, "copy.bin"))
	if err != nil {
		return err
	}
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	rate := func(b int64, d time.Duration) float64 { return mib(b) / d.Seconds() }
	fmt.Printf("  first commit (all new)               : %8v  sent %4d chunks, %8.1f MiB (%.0f MiB/s)\n", full.Round(time.Millisecond), fullStats.SentChunks, mib(fullStats.SentBytes), rate(fullStats.SentBytes, full))
	for _, d := range deltas {
		fmt.Printf("  commit, %.2f%% changed in %3d places  : %8v  sent %4d of %d chunks, %8.1f MiB (%.2f%% of the file)\n",
			100*float64(d.changed)/float64(size), d.places, d.took.Round(time.Millisecond), d.st.SentChunks, d.st.Chunks, mib(d.st.SentBytes), 100*float64(d.st.SentBytes)/float64(size))
	}
	fmt.Printf("  copying the whole file (fsync)       : %8v  moved %14.1f MiB (%.0f MiB/s)\n", copied.Round(time.Millisecond), mib(size), rate(size, copied))
	d := deltas[0]
	fmt.Printf("  1%% changed in one place: the commit moves %.0fx fewer bytes than the copy, in %.1fx its time (it reads and hashes the whole file)\n\n",
		float64(size)/float64(max(d.st.SentBytes, 1)), d.took.Seconds()/copied.Seconds())
	return nil
}

// storeKind names a store spec without its credentials.
func storeKind(spec string) string {
	if len(spec) > 4 && spec[:4] == "dir:" {
		return "a local blob store (" + spec + ", the coordinator's default)"
	}
	return "an S3 blob store"
}

// writeRandom writes size random bytes to path.
func writeRandom(path string, size int64, rng *rand.Rand) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	buf := make([]byte, 4<<20)
	for left := size; left > 0; {
		n := min(left, int64(len(buf)))
		fillRandom(buf[:n], rng)
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			return err
		}
		left -= n
	}
	return f.Close()
}

func fillRandom(b []byte, rng *rand.Rand) {
	for i := 0; i+8 <= len(b); i += 8 {
		v := rng.Uint64()
		for k := range 8 {
			b[i+k] = byte(v >> (8 * k))
		}
	}
}

// overwrite replaces 1% of the file, in places spots spread over it, with
// new random bytes, in place (the size stays), and returns the bytes
// changed.
func overwrite(path string, size int64, places int, rng *rand.Rand) (int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	each := max(size/100/int64(places), 1)
	buf := make([]byte, each+8)
	var changed int64
	for i := range places {
		off := int64(i)*(size/int64(places)) + rng.Int64N(max(size/int64(places)-each, 1))
		fillRandom(buf, rng)
		if _, err := f.WriteAt(buf[:each], off); err != nil {
			return 0, err
		}
		changed += each
	}
	return changed, f.Sync()
}

// copyFile copies src to dst and fsyncs it, and returns the time taken.
func copyFile(src, dst string) (time.Duration, error) {
	start := time.Now()
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return 0, err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return 0, err
	}
	if err := out.Close(); err != nil {
		return 0, err
	}
	return time.Since(start), os.Remove(dst)
}
