package slurmoracle

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
)

// Equivalent reports whether two JSON-decoded values of contract field key
// mean the same, with the loosening dev-expected/README.md prescribes: nice
// 0 equals null and mail_type is a set; everything else must be equal.
// (Relative begin values are the caller's to judge: only it knows both
// submit times.)
func Equivalent(key string, want, got any) bool {
	switch {
	case key == "nice" && isZeroOrNil(want) && isZeroOrNil(got):
		return true
	case key == "mail_type" && sameSet(want, got):
		return true
	}
	return reflect.DeepEqual(want, got)
}

func isZeroOrNil(v any) bool { return v == nil || v == 0.0 }

func sameSet(a, b any) bool {
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if !aok || !bok || len(as) != len(bs) {
		return false
	}
	sorted := func(xs []any) []string {
		out := make([]string, len(xs))
		for i, x := range xs {
			out[i] = fmt.Sprint(x)
		}
		sort.Strings(out)
		return out
	}
	return slices.Equal(sorted(as), sorted(bs))
}
