package jobspec_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
	"github.com/hpcbridge/hpcbridge/jobspec"
)

var fuzzNow = time.Date(2026, 11, 21, 10, 30, 0, 0, time.UTC)

// corpusScripts returns the shared corpus and the examples, read in place.
func corpusScripts(tb testing.TB) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	var paths []string
	if dir, err := slurmoracle.CorpusDir(); err == nil {
		m, _ := filepath.Glob(filepath.Join(dir, "*.sh"))
		paths = append(paths, m...)
	}
	if root, err := slurmoracle.RepoRoot(); err == nil {
		for _, pat := range []string{"examples/slurm/*.sh", "examples/slurm/*.py", "examples/slurm/*/*.sh", "jobspec/testdata/diagnostics/*.sh"} {
			m, _ := filepath.Glob(filepath.Join(root, pat))
			paths = append(paths, m...)
		}
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.Base(p)] = b
	}
	return out
}

// FuzzParse checks, for any script and command line: no panic, every
// diagnostic points inside its source, and an accepted spec survives
// Parse(Format(spec)).
func FuzzParse(f *testing.F) {
	for _, b := range corpusScripts(f) {
		f.Add(b, "")
	}
	f.Add([]byte("#!/bin/sh\n#SBATCH -J 'x y' -t 1-2:3 --array=1-9:2%3 -d afterok:1?afterany:2\n"), "--mem=1G -N 2-3")
	f.Add([]byte("#!/bin/sh\n#SBATCH --gres=gpu:a100:2 --signal=B:USR1@90 --begin=2027-01-02T03:04:05\n"), "--exclusive=user")
	f.Fuzz(func(t *testing.T, script []byte, args string) {
		in := jobspec.Input{File: "f.sh", Script: script, Args: strings.Fields(args), Now: fuzzNow, MaxArraySize: 100001}
		spec, diags := jobspec.Parse(in)
		lines := strings.Split(string(script), "\n")
		for _, d := range diags {
			checkPosition(t, d, lines)
		}
		if spec == nil {
			if !diags.HasErrors() {
				t.Fatal("rejected without an error")
			}
			return
		}
		again, diags2 := jobspec.Parse(jobspec.Input{File: "f.sh", Script: jobspec.Format(spec), Now: fuzzNow, MaxArraySize: 100001})
		if again == nil {
			t.Fatalf("Format output rejected:\n%s\n%s", jobspec.Format(spec), diags2.Render())
		}
		if a, b := comparable(t, spec), comparable(t, again); !bytes.Equal(a, b) {
			t.Fatalf("round trip changed the spec:\n%s\n%s\n%s", jobspec.Format(spec), a, b)
		}
	})
}

func checkPosition(t *testing.T, d jobspec.Diagnostic, lines []string) {
	t.Helper()
	p := d.Pos
	if p.Line < 1 || p.Col < 1 {
		t.Fatalf("diagnostic outside its source: %s", d.Error())
	}
	src := d.Source
	if p.File == "f.sh" {
		if p.Line > len(lines) {
			t.Fatalf("diagnostic line %d beyond the script's %d lines: %s", p.Line, len(lines), d.Error())
		}
		src = lines[p.Line-1]
		if d.Source != "" && d.Source != src {
			t.Fatalf("diagnostic source %q is not line %d %q", d.Source, p.Line, src)
		}
	}
	if p.Col > len(src)+1 {
		t.Fatalf("diagnostic column %d beyond the line's %d bytes: %s", p.Col, len(src), d.Error())
	}
}

// comparable is the spec's JSON without what a script cannot carry.
func comparable(t *testing.T, s *jobspec.Spec) []byte {
	t.Helper()
	c := *s
	c.ScriptArgs, c.Ignored, c.Warnings = nil, nil, nil
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// BenchmarkParseCorpus measures parse throughput over the corpus and the
// examples; it reports scripts per second (per core: run with -cpu 1).
func BenchmarkParseCorpus(b *testing.B) {
	scripts := corpusScripts(b)
	names := make([]string, 0, len(scripts))
	var bytesTotal int64
	for n, s := range scripts {
		names = append(names, n)
		bytesTotal += int64(len(s))
	}
	b.SetBytes(bytesTotal / int64(len(names)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := names[i%len(names)]
		jobspec.Parse(jobspec.Input{File: n, Script: scripts[n], Now: fuzzNow, MaxArraySize: 100001})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "scripts/s")
}
