package jobspec

// The --mail-type value parser.
// See values.go for how these rules were settled.

import "strings"

// mailTypeOrder is the order in which Slurm prints mail types.
var mailTypeOrder = []string{
	"ARRAY_TASKS", "INVALID_DEPEND", "BEGIN", "END", "FAIL", "REQUEUE", "STAGE_OUT",
	"TIME_LIMIT_50", "TIME_LIMIT_80", "TIME_LIMIT_90", "TIME_LIMIT",
}

// mailAll is what ALL stands for.
var mailAll = []string{"INVALID_DEPEND", "BEGIN", "END", "FAIL", "REQUEUE", "STAGE_OUT"}

// mailNone is the canonical form of a --mail-type=NONE.
const mailNone = "NONE"

// ParseMailType parses a --mail-type value: a comma-separated list of
// NONE, BEGIN, END, FAIL, REQUEUE, ALL, INVALID_DEPEND, STAGE_OUT,
// TIME_LIMIT, TIME_LIMIT_90, TIME_LIMIT_80, TIME_LIMIT_50 and ARRAY_TASKS
// in any case. It returns the canonical names in Slurm's order (ARRAY_TASKS,
// INVALID_DEPEND, BEGIN, END, FAIL, REQUEUE, STAGE_OUT, TIME_LIMIT_50,
// TIME_LIMIT_80, TIME_LIMIT_90, TIME_LIMIT), ALL expanded.
//
// As in Slurm: NONE anywhere in the list wins and gives []string{"NONE"};
// empty items are skipped; unknown names are silently ignored as long as
// one name is known; a list with no known name is an error. White space is
// not trimmed ("BEGIN " is unknown).
func ParseMailType(s string) ([]string, error) {
	set := map[string]bool{}
	known, none := false, false
	for _, item := range strings.Split(s, ",") {
		switch {
		case strings.EqualFold(item, mailNone):
			known, none = true, true
		case strings.EqualFold(item, "ALL"):
			known = true
			for _, n := range mailAll {
				set[n] = true
			}
		default:
			for _, n := range mailTypeOrder {
				if strings.EqualFold(item, n) {
					known, set[n] = true, true
				}
			}
		}
	}
	if !known {
		return nil, badValue("mail type", s,
			"use a comma-separated list of NONE, BEGIN, END, FAIL, REQUEUE, ALL, INVALID_DEPEND, "+
				"STAGE_OUT, TIME_LIMIT, TIME_LIMIT_90, TIME_LIMIT_80, TIME_LIMIT_50 or ARRAY_TASKS")
	}
	if none {
		return []string{mailNone}, nil
	}
	return orderedMailTypes(set), nil
}

func orderedMailTypes(set map[string]bool) []string {
	var out []string
	for _, n := range mailTypeOrder {
		if set[n] {
			out = append(out, n)
		}
	}
	return out
}

// MergeMailTypes combines the mail types of two --mail-type occurrences the
// way sbatch does: the flags are ORed, so a later NONE adds nothing
// (BEGIN then NONE is BEGIN) and NONE stays only when neither adds a type.
// Both arguments are canonical lists as ParseMailType returns; the result
// is canonical too (nil when both are empty).
func MergeMailTypes(a, b []string) []string {
	set := map[string]bool{}
	none := false
	for _, list := range [][]string{a, b} {
		for _, n := range list {
			if n == mailNone {
				none = true
			} else {
				set[n] = true
			}
		}
	}
	if out := orderedMailTypes(set); out != nil {
		return out
	}
	if none {
		return []string{mailNone}
	}
	return nil
}
