package state_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Apply must not depend on the parser: the log carries parsed records in
// this package's types. jobspec may be imported only by legacy.go (which
// reads entries and snapshots older releases wrote) and job.go
// (Submission keeps the spec the executor and the Slurm commands read;
// Apply stores it as it came and does not read it).
func TestParserImportedOnlyWhereAllowed(t *testing.T) {
	allowed := map[string]bool{"legacy.go": true, "job.go": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "github.com/hpcbridge/hpcbridge/jobspec" && !allowed[name] {
				t.Errorf("%s imports jobspec: the log's records must not depend on the parser (convert at the leader: raft/state/fromspec)", name)
			}
		}
	}
}
