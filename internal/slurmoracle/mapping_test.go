package slurmoracle

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "re-run testdata/mapping/*.sh through the oracle and rewrite the recorded reports and golden files")

// TestMappingGolden maps recorded parse.sh reports (testdata/mapping/
// *.report.json) onto the contract and compares with golden files, so the
// mapping is checked without a running oracle. With -update the reports
// are recorded afresh from the *.sh probes (the oracle must run).
func TestMappingGolden(t *testing.T) {
	dir := filepath.Join("testdata", "mapping")
	scripts, err := filepath.Glob(filepath.Join(dir, "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) == 0 {
		t.Fatal("no probe scripts in testdata/mapping")
	}
	if *update {
		Require(t)
	}
	for _, script := range scripts {
		name := strings.TrimSuffix(filepath.Base(script), ".sh")
		t.Run(name, func(t *testing.T) {
			reportPath := filepath.Join(dir, name+".report.json")
			goldenPath := filepath.Join(dir, name+".golden.json")
			if *update {
				run, err := runParse(context.Background(), script, nil)
				if err != nil {
					t.Fatal(err)
				}
				writeJSON(t, reportPath, run)
			}
			var run parseRun
			if err := json.Unmarshal(readFile(t, reportPath), &run); err != nil {
				t.Fatalf("%s: %v", reportPath, err)
			}
			res, err := run.result()
			if err != nil {
				t.Fatal(err)
			}
			got := marshal(t, res.Contract())
			if *update {
				if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want := readFile(t, goldenPath); !bytes.Equal(got, want) {
				t.Errorf("contract differs from %s:\ngot:\n%s\nwant:\n%s", goldenPath, got, want)
			}
		})
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := os.WriteFile(path, marshal(t, v), 0o644); err != nil {
		t.Fatal(err)
	}
}
