package srun

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestStartRecordName: a long name cut at maxRecordName bytes stays valid
// UTF-8 of at most that many bytes once written (a cut in a character came
// back as U+FFFD, 258 bytes, and the driver refused the step's record).
func TestStartRecordName(t *testing.T) {
	for _, name := range []string{
		strings.Repeat("a", maxRecordName-1) + "é",
		strings.Repeat("a", maxRecordName-2) + "\xff\xfe",
		"job-é",
	} {
		dir := t.TempDir()
		writeStart(dir, 3, name, "n1", 1, 1)
		b, err := os.ReadFile(filepath.Join(dir, "3.start.json"))
		if err != nil {
			t.Fatal(err)
		}
		var r startRecord
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if len(r.Name) > maxRecordName || !utf8.ValidString(r.Name) || !strings.HasPrefix(name, r.Name[:min(len(r.Name), 4)]) {
			t.Errorf("name %q recorded as %q (%d bytes)", name, r.Name, len(r.Name))
		}
	}
}
