package slurm

import (
	"strings"
	"testing"
)

// TestCompressHostlist folds node names as Slurm's hostlists do.
func TestCompressHostlist(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "",
		"a":                     "a",
		"n1,n2,n3":              "n[1-3]",
		"n01,n02,n04,n10":       "n[01-02,04,10]",
		"gpu2,n1,gpu1,login":    "gpu[1-2],login,n1",
		"n9,n10":                "n9,n10",
		"node-a1,node-a2,x":     "node-a[1-2],x",
		"host,host1,host3,host": "host,host,host[1,3]",
	} {
		var names []string
		if in != "" {
			names = strings.Split(in, ",")
		}
		if got := CompressHostlist(names); got != want {
			t.Errorf("compressHostlist(%q) = %q, want %q", in, got, want)
		}
	}
}
