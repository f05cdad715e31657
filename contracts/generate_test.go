package contracts_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// requireNPM skips the test when contracts/node_modules (make npm-deps) is missing, and fails
// it instead under HPCBRIDGE_REQUIRE_NPM=1 (make test).
func requireNPM(t *testing.T) {
	t.Helper()
	_, err := os.Stat(filepath.Join("node_modules", "solc", "package.json"))
	_, nodeErr := exec.LookPath("node")
	if err == nil && nodeErr == nil {
		return
	}
	msg := "contracts/node_modules or node missing (run make npm-deps)"
	if os.Getenv("HPCBRIDGE_REQUIRE_NPM") == "1" {
		t.Fatalf("%s; HPCBRIDGE_REQUIRE_NPM=1", msg)
	}
	t.Skip(msg)
}

// TestGeneratedUpToDate rebuilds the artifacts and the bindings into a temporary directory
// (contracts/generate.sh, what make generate runs) and fails when the committed ones differ:
// edit a contract or solc-settings.json, then run make generate.
func TestGeneratedUpToDate(t *testing.T) {
	requireNPM(t)
	out := t.TempDir()
	cmd := exec.Command("bash", "generate.sh", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generate.sh: %v\n%s", err, b)
	}
	for _, dir := range []string{"artifacts", "bindings"} {
		fresh := listDir(t, filepath.Join(out, dir))
		committed := listDir(t, dir)
		if !slices.Equal(fresh, committed) {
			t.Errorf("contracts/%s holds %v, make generate makes %v: run make generate", dir, committed, fresh)
			continue
		}
		for _, name := range fresh {
			want, err := os.ReadFile(filepath.Join(out, dir, name))
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("contracts/%s/%s is stale: run make generate", dir, name)
			}
		}
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}
