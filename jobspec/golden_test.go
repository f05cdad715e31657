package jobspec

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGoldenDiagnostics renders the diagnostics for each script under
// testdata/diagnostics and compares them with the .golden file beside it
// (go test -run TestGoldenDiagnostics -update rewrites them).
func TestGoldenDiagnostics(t *testing.T) {
	scripts, _ := filepath.Glob("testdata/diagnostics/*.sh")
	if len(scripts) == 0 {
		t.Fatal("no scripts under testdata/diagnostics")
	}
	for _, path := range scripts {
		t.Run(filepath.Base(path), func(t *testing.T) {
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, diags := Parse(Input{File: filepath.Base(path), Script: body, MaxArraySize: DefaultMaxArraySize})
			got := diags.Render() + "\n"
			golden := strings.TrimSuffix(path, ".sh") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("diagnostics differ from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}
