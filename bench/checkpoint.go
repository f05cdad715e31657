package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/raft/state"
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
//     fsyncs each blob), which is what a checkpoint without deltas moves;
//   - then the same two commits made the way a job makes them: a job on a
//     Nomad dev agent with hpcbridge's task driver, and one coordinator,
//     runs `hpcbridge checkpoint` (the file helper scans as the job's user,
//     the driver uploads with the run's token and signs the receipt, the
//     coordinator checks it and commits it through Raft).
//
// The file is random bytes (nothing compresses or dedups by accident).

// checkpointOptions are the checkpoint section's flags.
type checkpointOptions struct {
	mib      int
	store    string
	dir      string
	noDriver bool
}

func (o *checkpointOptions) register(fs *flag.FlagSet) {
	fs.IntVar(&o.mib, "checkpoint-mib", 1024, "checkpoint: the file's size in MiB")
	fs.StringVar(&o.store, "checkpoint-store", "", "checkpoint: the blob store (cas.Open spec: dir:PATH or s3://...); default a dir: store in a temp dir")
	fs.StringVar(&o.dir, "checkpoint-dir", "", "checkpoint: where the file and the default store go (default: a temp dir under $TMPDIR)")
	fs.BoolVar(&o.noDriver, "checkpoint-no-driver", false, "checkpoint: skip the commit through a job on Nomad (the task driver and a coordinator)")
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
	fmt.Printf("  1%% changed in one place: the commit moves %.0fx fewer bytes than the copy, in %.1fx its time (it reads and hashes the whole file)\n",
		float64(size)/float64(max(d.st.SentBytes, 1)), d.took.Seconds()/copied.Seconds())
	if c.checkpoint.noDriver {
		fmt.Println()
		return nil
	}
	return checkpointThroughDriver(ctx, c)
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

// driverCheckpointScript writes a file of $1 MiB into its checkpoint
// directory, commits it with `hpcbridge checkpoint`, overwrites 1% of it in
// one place, commits again, and prints each commit's time (ms) and the
// command's own line ("checkpoint N committed: F files, SIZE, SENT uploaded
// (digest)").
const driverCheckpointScript = `#!/bin/bash
set -eu
cd "${HPCBRIDGE_CHECKPOINT_DIR:?this node offers no checkpoint service}"
mkdir -p ckpt
head -c $(($1 << 20)) /dev/urandom >ckpt/model.bin
ms() { date +%s%3N; }
t0=$(ms); line1=$(hpcbridge checkpoint ckpt); t1=$(ms)
dd if=/dev/urandom of=ckpt/model.bin bs=1M count=$(($1 / 100)) seek=$(($1 / 2)) conv=notrunc status=none
t2=$(ms); line2=$(hpcbridge checkpoint ckpt); t3=$(ms)
echo "first $((t1 - t0)) $line1"
echo "delta $((t3 - t2)) $line2"
`

// checkpointThroughDriver runs driverCheckpointScript as a job on a Nomad
// dev agent with hpcbridge's task driver and one coordinator: the whole
// path of a commit (the job's request on its socket, the file helper's scan
// as the job's user, the driver's uploads with the run's token, the signed
// receipt, the coordinator's checks and Raft commit).
func checkpointThroughDriver(ctx context.Context, c config) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := startNomadStack(ctx, c.bin, c.nomad, stackSetup{goal: 1})
	if err != nil {
		return err
	}
	defer st.stop()
	mib := c.checkpoint.mib
	req := &api.SubmitRequest{
		Script: []byte(driverCheckpointScript), ScriptName: "ckpt-bench.sh", Cwd: st.work,
		Args: []string{"-J", "ckpt-bench", "--mem=4096M", "-o", "ckpt-bench.out"}, ScriptArgs: []string{strconv.Itoa(mib)},
		Env: []string{"PATH=/usr/local/bin:/usr/bin:/bin"},
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Minute)
	defer cancel()
	resp, err := st.srv.client.Submit(wctx, req)
	if err != nil {
		return fmt.Errorf("checkpoint: submit: %w", err)
	}
	ref := strconv.FormatUint(resp.JobID, 10)
	var j *state.Job
	var idx uint64
	for j == nil || !j.State.Terminal() {
		var meta *api.QueryMeta
		j, meta, err = st.srv.client.Job(wctx, ref, &api.QueryOptions{WaitIndex: idx, WaitTime: 10 * time.Second})
		if err != nil {
			return fmt.Errorf("checkpoint: job %s: %w", ref, err)
		}
		idx = meta.LastIndex
	}
	out, _ := os.ReadFile(filepath.Join(st.work, "ckpt-bench.out"))
	if j.State != state.StateCompleted {
		return fmt.Errorf("checkpoint: job %s ended %s %s:\n%s", ref, j.State, j.ExitString(), out)
	}
	fmt.Printf("  through the driver (a job on a Nomad dev agent runs `hpcbridge checkpoint`; scan as the job's user, upload with the run token, signed receipt, Raft commit):\n")
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 {
			continue
		}
		msec, _ := strconv.Atoi(f[1])
		what := "first commit (all new)"
		if f[0] == "delta" {
			what = "commit, 1% changed in one place"
		}
		fmt.Printf("    %-32s : %8v  %s\n", what, (time.Duration(msec) * time.Millisecond).Round(time.Millisecond), f[2])
	}
	fmt.Println()
	return nil
}
