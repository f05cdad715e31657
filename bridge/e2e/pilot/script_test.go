package pilot

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
)

// TestPilotRefusesAnExistingDir: the pilot's per-job directory has a
// guessable name (/tmp/hpcbridge-pilot-<job id>); one that exists already
// may be a local user's, made to be handed to root's agent, so the pilot
// stops instead of taking it over (it used to mkdir -p and chmod it).
func TestPilotRefusesAnExistingDir(t *testing.T) {
	root, err := slurmoracle.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	planted := filepath.Join(t.TempDir(), "hpcbridge-pilot-42")
	if err := os.Mkdir(planted, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(planted, 0o777); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(root, "examples", "slurm", "donate-node.sh"))
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HPCBRIDGE_COORDINATOR=http://127.0.0.1:1",
		"HPCBRIDGE_JOIN_TOKEN=hbj_x", "HPCBRIDGE_BIN=/bin/true", "HPCBRIDGE_PILOT_DIR=" + planted}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "must not exist yet") {
		t.Fatalf("the pilot took over a directory that existed (err %v):\n%s", err, out)
	}
	fi, err := os.Stat(planted)
	if err != nil || fi.Mode().Perm() != 0o777 {
		t.Errorf("the planted directory was changed: %v %v", fi, err)
	}
}
