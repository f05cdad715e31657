package jobspec_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
	"github.com/hpcbridge/hpcbridge/jobspec"
)

// oracleMaxArraySize is the oracle cluster's MaxArraySize.
const oracleMaxArraySize = 100001

// exceptionsFile lists the disagreements with real Slurm that are known and
// explained: "SCRIPT FIELD REASON..." per line.
const exceptionsFile = "testdata/slurm-exceptions.txt"

// verdict is one script's reading in the contract form.
type verdict struct {
	accepted  bool
	fields    map[string]any
	defaulted map[string]bool
	message   string
}

// ours parses a script file with jobspec as `hpcbridge jobspec` does and
// returns the contract form.
func ours(t testing.TB, path string, args []string) (verdict, *jobspec.Spec) {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	opts, _, scriptArgs := jobspec.SplitCommandLine(append(append([]string(nil), args...), filepath.Base(path)))
	spec, diags := jobspec.Parse(jobspec.Input{
		File: filepath.Base(path), Script: body, Args: opts, ScriptArgs: scriptArgs,
		Now: time.Now().UTC(), MaxArraySize: oracleMaxArraySize,
	})
	if spec == nil {
		return verdict{message: diags.Error()}, nil
	}
	b, err := spec.ContractJSON()
	if err != nil {
		t.Fatalf("%s: marshal: %v", path, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return verdict{accepted: true, fields: m}, spec
}

// expectedFromFile reads a dev-expected document.
func expectedFromFile(t testing.TB, path string) verdict {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	v := verdict{fields: doc, defaulted: map[string]bool{}}
	v.accepted, _ = doc["accepted"].(bool)
	if !v.accepted {
		v.message, _ = doc["error"].(string)
	}
	if side, ok := doc["_oracle"].(map[string]any); ok {
		if def, ok := side["defaulted"].([]any); ok {
			for _, k := range def {
				v.defaulted[k.(string)] = true
			}
		}
	}
	return v
}

func expectedFromOracle(r slurmoracle.Result) verdict {
	v := verdict{accepted: r.Accepted, fields: r.Fields, defaulted: map[string]bool{}, message: r.Error}
	for _, k := range r.Defaulted {
		v.defaulted[k] = true
	}
	return v
}

// disagreements compares our reading with Slurm's, field by field, with the
// loosening the corpus README prescribes.
func disagreements(got verdict, spec *jobspec.Spec, want verdict) map[string]string {
	out := map[string]string{}
	if got.accepted != want.accepted {
		out["accepted"] = fmt.Sprintf("hpcbridge accepted=%v (%s), Slurm accepted=%v (%s)",
			got.accepted, firstLine(got.message), want.accepted, firstLine(want.message))
		return out
	}
	if !want.accepted {
		return out
	}
	for _, k := range slurmoracle.Keys() {
		g, w := got.fields[k], want.fields[k]
		switch {
		case want.defaulted[k] && (g == nil || reflect.DeepEqual(g, w)):
		case k == "begin" && g != nil && w != nil && !absoluteBegin(spec):
			// Relative forms resolve against each side's own clock.
		case k == "begin" && spec != nil && spec.Begin != nil && nearNow(spec.Begin.At, w):
			// Slurm's reading is written relative to its submit time.
		case slurmoracle.Equivalent(k, w, g):
		default:
			out[k] = fmt.Sprintf("hpcbridge %s, Slurm %s", js(g), js(w))
		}
	}
	return out
}

func absoluteBegin(s *jobspec.Spec) bool {
	if s == nil || s.Begin == nil {
		return true
	}
	r := s.Begin.Raw
	return r != "" && r[0] >= '0' && r[0] <= '9' && strings.ContainsAny(r, "-/.") && len(r) >= 8
}

// nearNow reports whether at matches a "now" or "now+Ns" reading within a
// few seconds (the two sides submit at slightly different times).
func nearNow(at time.Time, want any) bool {
	w, ok := want.(string)
	if !ok || !strings.HasPrefix(w, "now") {
		return false
	}
	secs := 0
	if rest := strings.TrimPrefix(w, "now"); rest != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rest, "+"), "s"))
		if err != nil {
			return false
		}
		secs = n
	}
	d := time.Until(at) - time.Duration(secs)*time.Second
	return d > -5*time.Second && d < 5*time.Second
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// exceptions reads the checked-in list of explained disagreements.
func exceptions(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(exceptionsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ex := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) < 3 {
			t.Fatalf("%s:%d: want SCRIPT FIELD REASON", exceptionsFile, n)
		}
		ex[fs[0]+" "+fs[1]] = strings.Join(fs[2:], " ")
	}
	return ex
}

// judge reports every unexplained disagreement and marks used exceptions.
func judge(t *testing.T, name string, got verdict, spec *jobspec.Spec, want verdict, ex map[string]string, used map[string]bool) {
	t.Helper()
	for field, why := range disagreements(got, spec, want) {
		key := name + " " + field
		if _, ok := ex[key]; ok {
			used[key] = true
			continue
		}
		t.Errorf("%s: %s: %s", name, field, why)
	}
}

// TestCorpusAgainstSlurm compares hpcbridge's reading of every real script
// in the corpus with real Slurm 22.05's stored answer.
func TestCorpusAgainstSlurm(t *testing.T) {
	dir := slurmoracle.RequireCorpus(t)
	scripts, _ := filepath.Glob(filepath.Join(dir, "*.sh"))
	if len(scripts) == 0 {
		t.Fatalf("no scripts in %s", dir)
	}
	ex := exceptions(t)
	used := map[string]bool{}
	for _, path := range scripts {
		name := filepath.Base(path)
		want := expectedFromFile(t, filepath.Join(slurmoracle.ExpectedDir(dir), name+".json"))
		got, spec := ours(t, path, nil)
		judge(t, name, got, spec, want, ex, used)
	}
	for key := range ex {
		if strings.HasPrefix(key, "0") || strings.HasPrefix(key, "1") {
			if !used[key] {
				t.Errorf("%s: exception %q no longer needed: remove it", exceptionsFile, key)
			}
		}
	}
}

// TestLiveSlurm runs real Slurm (the oracle) and hpcbridge side by side on the
// example scripts and the corpus, with and without command-line options.
func TestLiveSlurm(t *testing.T) {
	slurmoracle.Require(t)
	root, err := slurmoracle.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	var scripts []string
	for _, pat := range []string{"examples/slurm/*.sh", "examples/slurm/*.py", "examples/slurm/*/*.sh"} {
		m, _ := filepath.Glob(filepath.Join(root, pat))
		scripts = append(scripts, m...)
	}
	if dir, err := slurmoracle.CorpusDir(); err == nil && !testing.Short() {
		m, _ := filepath.Glob(filepath.Join(dir, "*.sh"))
		scripts = append(scripts, m...)
	}
	ex := exceptions(t)
	used := map[string]bool{}
	ctx := context.Background()
	for _, path := range scripts {
		name := filepath.Base(path)
		r, err := slurmoracle.Parse(ctx, path, nil)
		if err != nil {
			t.Fatalf("%s: oracle: %v", name, err)
		}
		got, spec := ours(t, path, nil)
		judge(t, name, got, spec, expectedFromOracle(r), ex, used)
	}
}
