package slurmoracle

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// parseTimeout bounds one Parse call (parse.sh itself gives sbatch 30 s).
const parseTimeout = 2 * time.Minute

func TestMatchesDevExpected(t *testing.T) {
	Require(t)
	corpus, err := CorpusDir()
	if err != nil {
		t.Fatal(err)
	}
	scripts, err := filepath.Glob(filepath.Join(corpus, "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Skipf("skipping: no *.sh scripts in %s (set $%s)", corpus, EnvCorpus)
	}
	expectedDir := ExpectedDir(corpus)
	for _, script := range scripts {
		name := filepath.Base(script)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want := readExpected(t, filepath.Join(expectedDir, name+".json"))
			ctx, cancel := context.WithTimeout(context.Background(), parseTimeout)
			defer cancel()
			res, err := Parse(ctx, script, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range diffContract(want, normalize(t, res.Contract())) {
				t.Error(d)
			}
		})
	}
}

func readExpected(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("expected answer: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// normalize round-trips v through JSON so that it compares with decoded
// files.
func normalize(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// diffContract compares two contract documents the way
// dev-expected/README.md prescribes: exact, except that nice 0 equals
// null, mail_type is a set, two relative begin values ("now...") are
// equal (the relative form is a heuristic) and the error message of a
// rejected script is compared loosely.
func diffContract(want, got map[string]any) []string {
	var diffs []string
	for k := range want {
		if !slices.Contains(keys, k) && k != "accepted" && k != "_oracle" {
			diffs = append(diffs, fmt.Sprintf("expected file has unknown key %q", k))
		}
	}
	accepted, _ := want["accepted"].(bool)
	if got["accepted"] != want["accepted"] {
		diffs = append(diffs, fmt.Sprintf("accepted = %v, want %v (error %q); an unknown partition, feature, "+
			"GPU type or reservation means the oracle was started without ORACLE_SCAN_DIRS covering these "+
			"scripts: run `make oracle`", got["accepted"], want["accepted"], got["error"]))
		return diffs
	}
	for _, k := range keys {
		w, g := want[k], got[k]
		switch {
		case k == "error" && !accepted:
			if !sameMessage(w, g) {
				diffs = append(diffs, fmt.Sprintf("error message = %q, want %q", g, w))
			}
		case k == "begin" && isRelative(w) && isRelative(g):
		default:
			if !Equivalent(k, w, g) {
				diffs = append(diffs, fmt.Sprintf("%s = %s, want %s", k, js(g), js(w)))
			}
		}
	}
	wo, _ := want["_oracle"].(map[string]any)
	gotOracle, _ := got["_oracle"].(map[string]any)
	for _, k := range []string{"defaulted", "test_only", "sbatch_options_before_error", "artifact"} {
		if !reflect.DeepEqual(wo[k], gotOracle[k]) {
			diffs = append(diffs, fmt.Sprintf("_oracle.%s = %s, want %s", k, js(gotOracle[k]), js(wo[k])))
		}
	}
	return diffs
}

// sameMessage compares sbatch messages loosely: the first line, with
// runs of white space collapsed.
func sameMessage(want, got any) bool {
	w, _ := want.(string)
	g, _ := got.(string)
	first := func(s string) string {
		line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
		return strings.Join(strings.Fields(line), " ")
	}
	return w != "" && g != "" && first(w) == first(g)
}

func isRelative(v any) bool {
	s, ok := v.(string)
	return ok && strings.HasPrefix(s, "now")
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func TestExamplesAccepted(t *testing.T) {
	Require(t)
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "examples", "slurm")
	var scripts []string
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ok, err := isBatchScript(path)
		if ok {
			scripts = append(scripts, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Fatalf("no batch scripts under %s", dir)
	}
	for _, script := range scripts {
		rel, _ := filepath.Rel(dir, script)
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), parseTimeout)
			defer cancel()
			res, err := Parse(ctx, script, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Accepted {
				t.Fatalf("real Slurm rejects %s: %s", rel, res.Error)
			}
			// The oracle has one node: a multi-node example (mpi-hello.sh,
			// rendezvous.sh) is accepted but cannot be placed, and says so.
			if n, _ := res.Fields["nodes_min"].(float64); n > 1 && res.TestOnly != nil && !res.TestOnly.OK &&
				strings.Contains(res.TestOnly.Message, "Requested node configuration is not available") {
				return
			}
			if res.TestOnly == nil || !res.TestOnly.OK {
				t.Errorf("real Slurm could not place %s on the one-node oracle: %+v", rel, res.TestOnly)
			}
		})
	}
}

// isBatchScript reports whether path starts with "#!" and has an #SBATCH
// directive before its first command, which is what makes a file under
// examples/slurm a batch script rather than a helper.
func isBatchScript(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() || !strings.HasPrefix(sc.Text(), "#!") {
		return false, sc.Err()
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#SBATCH"):
			return true, nil
		case strings.TrimSpace(line) == "", strings.HasPrefix(line, "#"):
			continue
		default:
			return false, nil
		}
	}
	return false, sc.Err()
}
