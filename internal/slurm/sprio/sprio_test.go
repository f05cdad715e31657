package sprio

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
)

// fixed answers one PriorityList and records the query.
type fixed struct {
	list *api.PriorityList
	err  error
	q    *api.PrioritiesQuery
}

func (f *fixed) Priorities(_ context.Context, q *api.PrioritiesQuery) (*api.PriorityList, error) {
	f.q = q
	return f.list, f.err
}

func sample() *api.PriorityList {
	return &api.PriorityList{Type: fairshare.Multifactor, Weights: fairshare.Weights{Age: 1000, FairShare: 10000},
		Jobs: []fairshare.Factors{
			{JobID: 12, User: "bob", Account: "chem-b", Partition: "debug", Priority: 2609, Age: 0.0017857, FairShare: 0.2604, WAge: 2, WFairShare: 2604, PartPrio: 1, Nice: 0},
			{JobID: 7, User: "alice", Account: "phys-a", Partition: "debug", Priority: 9440, Age: 0.0023810, FairShare: 0.9438, WAge: 2, WFairShare: 9438, PartPrio: 1, Nice: 0},
		}}
}

func run(t *testing.T, list *api.PriorityList, o Options) (int, string, string) {
	t.Helper()
	f := &fixed{list: list}
	o.Client = f
	var out, errs bytes.Buffer
	code := Run(context.Background(), o, slurm.Streams{Out: &out, Err: &errs})
	return code, out.String(), errs.String()
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"default: the non-zero weights", Options{}, "" +
			"          JOBID PARTITION   PRIORITY       SITE        AGE  FAIRSHARE\n" +
			"              7 debug           9440          0          2       9438\n" +
			"             12 debug           2609          0          2       2604\n"},
		{"long", Options{Long: true}, "" +
			"          JOBID PARTITION     USER   PRIORITY       SITE        AGE      ASSOC  FAIRSHARE    JOBSIZE  PARTITION        QOS        NICE                 TRES\n" +
			"              7 debug        alice       9440          0          2          0       9438          0          0          0           0                     \n" +
			"             12 debug          bob       2609          0          2          0       2604          0          0          0           0                     \n"},
		{"normalised", Options{Norm: true}, "" +
			"          JOBID PARTITION PRIORITY   AGE        FAIRSHARE \n" +
			"              7 debug     0.00000219 0.0023810  0.9438000 \n" +
			"             12 debug     0.00000060 0.0017857  0.2604000 \n"},
		{"users add the user", Options{Users: []string{"bob", "alice"}}, "" +
			"          JOBID PARTITION     USER   PRIORITY       SITE        AGE  FAIRSHARE\n" +
			"              7 debug        alice       9440          0          2       9438\n" +
			"             12 debug          bob       2609          0          2       2604\n"},
		{"weights", Options{Weights: true}, "" +
			"          JOBID PARTITION   PRIORITY       SITE        AGE  FAIRSHARE\n" +
			"        Weights                               1       1000      10000\n"},
		{"-o and -S", Options{Format: "%i|%u|%Y|%f", Sort: "-Y", NoHeader: true}, "7|alice|9440|0.9438000\n12|bob|2609|0.2604000\n"},
		{"-S u", Options{Format: "%.3i %.5u", Sort: "-u"}, "JOB  USER\n 12   bob\n  7 alice\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := run(t, sample(), tc.o)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if out != tc.want {
				t.Errorf("got\n%s\nwant\n%s", strings.ReplaceAll(out, " ", "·"), strings.ReplaceAll(tc.want, " ", "·"))
			}
		})
	}
}

// The normalised priority is the priority over 2^32-1 with 14 decimals,
// cut to the field (Slurm: %16.14f in a 10-wide field).
func TestNormalisedPriority(t *testing.T) {
	if got := columns['y'].value(fairshare.Factors{Priority: 9440}); got != "0.00000219792128" {
		t.Errorf("%%y: %q", got)
	}
}

func TestQueryAndErrors(t *testing.T) {
	f := &fixed{list: &api.PriorityList{Type: fairshare.Multifactor}}
	var out, errs bytes.Buffer
	s := slurm.Streams{Out: &out, Err: &errs}
	if code := Run(context.Background(), Options{Client: f, Jobs: []string{"3", "4_1"}, JobsGiven: true, Users: []string{"u"}, Partitions: []string{"p"}}, s); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if q := f.q; q == nil || strings.Join(q.Jobs, ",") != "3,4_1" || q.Users[0] != "u" || q.Partitions[0] != "p" {
		t.Errorf("query %+v", f.q)
	}
	if out.String() != "Unable to find jobs matching user/id(s) specified\n" {
		t.Errorf("no jobs: %q", out.String())
	}
	out.Reset()
	code := Run(context.Background(), Options{Client: &fixed{list: &api.PriorityList{Type: fairshare.Basic}}}, s)
	if code != 1 || errs.String() != "You are not running a supported priority plugin\n(priority/basic).\nOnly 'priority/multifactor' is supported.\n" {
		t.Errorf("basic: %d %q", code, errs.String())
	}
	errs.Reset()
	if code := Run(context.Background(), Options{Client: &fixed{err: errors.New("down")}}, s); code != 1 || !strings.Contains(errs.String(), "Couldn't get priority factors from controller") {
		t.Errorf("error: %d %q", code, errs.String())
	}
	errs.Reset()
	if code := Run(context.Background(), Options{Client: &fixed{list: sample()}, Format: "%i %Z"}, s); code != 0 || !strings.Contains(errs.String(), "Invalid job format specification: Z") {
		t.Errorf("bad format: %d %q", code, errs.String())
	}
}

func TestCommandLine(t *testing.T) {
	var out, errs bytes.Buffer
	s := slurm.Streams{Out: &out, Err: &errs}
	if code := Main([]string{"--usage"}, s, slurm.Deps{}); code != 0 || out.String() != sprioUsage {
		t.Errorf("--usage: %d %q", code, out.String())
	}
	out.Reset()
	if code := Main([]string{"-x"}, s, slurm.Deps{}); code != 1 || !strings.Contains(errs.String(), "sprio: invalid option -- 'x'") ||
		!strings.Contains(errs.String(), `Try "sprio --help" for more information`) {
		t.Errorf("-x: %d %q", code, errs.String())
	}
}
