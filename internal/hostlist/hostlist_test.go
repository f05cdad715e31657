package hostlist

import (
	"reflect"
	"strings"
	"testing"
)

// TestCompress folds node names as Slurm's hostlists do.
func TestCompress(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"a":                  "a",
		"n1,n2,n3":           "n[1-3]",
		"n01,n02,n04,n10":    "n[01-02,04,10]",
		"gpu2,n1,gpu1,login": "gpu[1-2],login,n1",
		"n9,n10":             "n[9-10]",
		// Widths as Slurm 22.05 folds them (scontrol show hostlistsorted).
		"n9,n10,n02":            "n[9-10,02]",
		"n1,n02,n3":             "n[1,3,02]",
		"n8,n9,n10,n011":        "n[8-10,011]",
		"n010,n9,n11":           "n[9,11,010]",
		"n99,n100,n101":         "n[99-101]",
		"n0,n1,n2":              "n[0-2]",
		"a1,b2,a2":              "a[1-2],b2",
		"x,n1,y":                "n1,x,y",
		"n007,n8,n9":            "n[8-9,007]",
		"n10,n9,n009":           "n[9-10,009]",
		"n1,n3,n2,n10":          "n[1-3,10]",
		"n09,n10,n11":           "n[09-11]",
		"n09,n10,n5":            "n[5,09-10]",
		"n5,n10,n010":           "n[5,10,010]",
		"n1,n10,n100,n0100":     "n[1,10,100,0100]",
		"n9,n10,n11,n12":        "n[9-12]",
		"n2,n01":                "n[2,01]",
		"a01,a2,a03":            "a[2,01,03]",
		"r1n1,r1n2":             "r1n[1-2]",
		"n1,n1":                 "n[1,1]",
		"node-a1,node-a2,x":     "node-a[1-2],x",
		"host,host1,host3,host": "host,host,host[1,3]",
	} {
		var names []string
		if in != "" {
			names = strings.Split(in, ",")
		}
		if got := Compress(names); got != want {
			t.Errorf("Compress(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestExpand expands Slurm hostlists, and refuses malformed ones.
func TestExpand(t *testing.T) {
	for in, want := range map[string][]string{
		"n1":             {"n1"},
		"n[1-3],gpu01":   {"n1", "n2", "n3", "gpu01"},
		"r[1-2]n[08-09]": {"r1n08", "r1n09", "r2n08", "r2n09"},
		"a[1,3-4]b, c":   {"a1b", "a3b", "a4b", "c"},
	} {
		got, err := Expand(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "n[1-", "n[3-1]", "n]"} {
		if _, err := Expand(bad); err == nil {
			t.Errorf("Expand(%q) accepted", bad)
		}
	}
}

// TestRoundTrip checks that Compress writes what Expand reads back.
func TestRoundTrip(t *testing.T) {
	names := []string{"gpu1", "gpu2", "n01", "n02", "n04", "login"}
	got, err := Expand(Compress(names))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"gpu1", "gpu2", "login", "n01", "n02", "n04"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Expand(Compress(%q)) = %q, want %q", names, got, want)
	}
}

// A host list cannot expand to more than MaxNames hosts, however its
// ranges multiply.
func TestExpandBounded(t *testing.T) {
	for _, s := range []string{"n[0-99999][0-99999]", "a[0-60000],b[0-60000]", "n[0-99999]x[1-2]"} {
		if names, err := Expand(s); err == nil {
			t.Errorf("Expand(%q) = %d names, want an error", s, len(names))
		}
	}
	if names, err := Expand("n[1-99999]"); err != nil || len(names) != 99999 {
		t.Errorf("Expand(n[1-99999]) = %d names, %v", len(names), err)
	}
}
