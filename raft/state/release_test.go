package state_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hpcbridge/hpcbridge/raft/state"
)

// A replicated log is a file format: the entries and snapshots that a
// released build wrote must replay to the state that build reached.
// testdata/release-*/ holds a log made by such a build (see its README):
// every command type, the older versions of hold, update and finish,
// submissions carrying the release's jobspec.Spec JSON (arrays, both
// dependency forms, --begin, --hold, UNLIMITED), with each entry's result,
// a snapshot taken after snapshotAt entries, and the final state.

const releaseDir = "testdata/release-7ff40b4"

// releaseSnapshotAt is the number of entries the release had applied when
// it wrote snapshot.jsonl.
const releaseSnapshotAt = 38

type releaseEntry struct {
	Index  uint64          `json:"index"`
	Note   string          `json:"note"`
	Data   []byte          `json:"data"`
	Result json.RawMessage `json:"result"`
	Error  string          `json:"error"`
}

func releaseLog(t *testing.T) []releaseEntry {
	t.Helper()
	f, err := os.Open(filepath.Join(releaseDir, "log.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []releaseEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e releaseEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) <= releaseSnapshotAt {
		t.Fatalf("release log has %d entries", len(out))
	}
	return out
}

func releaseFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(releaseDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// applyRelease applies entries and checks each result against the one the
// release recorded.
func applyRelease(t *testing.T, s *state.Store, entries []releaseEntry) {
	t.Helper()
	for _, e := range entries {
		res := s.Apply(e.Index, e.Data)
		errs := ""
		if res.Err != nil {
			errs = res.Err.Error()
		}
		if errs != e.Error {
			t.Errorf("entry %d (%s): error %q, the release's %q", e.Index, e.Note, errs, e.Error)
		}
		got, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, e.Result) {
			t.Errorf("entry %d (%s): result %s, the release's %s", e.Index, e.Note, got, e.Result)
		}
	}
}

func assertState(t *testing.T, s *state.Store, want []byte, what string) {
	t.Helper()
	got := snapshotBytes(t, s)
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range max(len(gl), len(wl)) {
		var g, w []byte
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if !bytes.Equal(g, w) {
			t.Fatalf("%s differs from the release's at line %d:\n got %s\nwant %s", what, i+1, g, w)
		}
	}
}

// TestReleaseLogReplays replays the release's log from the start.
func TestReleaseLogReplays(t *testing.T) {
	s := state.New()
	applyRelease(t, s, releaseLog(t))
	assertState(t, s, releaseFile(t, "state.jsonl"), "replayed state")
}

// TestReleaseSnapshotRestores restores the release's snapshot, checks that
// it persists to the same bytes, and applies the rest of the log after it.
func TestReleaseSnapshotRestores(t *testing.T) {
	snap := releaseFile(t, "snapshot.jsonl")
	s := state.New()
	if err := s.Restore(bytes.NewReader(snap)); err != nil {
		t.Fatal(err)
	}
	assertState(t, s, snap, "restored snapshot")
	applyRelease(t, s, releaseLog(t)[releaseSnapshotAt:])
	assertState(t, s, releaseFile(t, "state.jsonl"), "state after snapshot and log")
}
