package sshare

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
)

type fixed struct {
	list *api.ShareList
	q    *api.SharesQuery
}

func (f *fixed) Shares(_ context.Context, q *api.SharesQuery) (*api.ShareList, error) {
	f.q = q
	return f.list, nil
}

func sample() *api.ShareList {
	return &api.ShareList{Type: fairshare.Multifactor, TotalShares: 4, TotalUsage: 2400, Accounts: []*fairshare.Account{
		{Name: "chem-b", RawShares: 1, NormShares: 0.25, RawUsage: 600, NormUsage: 0.25, FairShare: 0.5,
			Users: []*fairshare.User{{Name: "bob", RawUsage: 600, NormUsage: 0.25}}},
		{Name: "phys-a", Donor: "uni-a", RawShares: 3, NormShares: 0.75, RawUsage: 1800, NormUsage: 0.75, FairShare: 0.5,
			Users: []*fairshare.User{{Name: "alice", RawUsage: 1200.7, NormUsage: 0.5}, {Name: "carol", RawUsage: 600, NormUsage: 0.25}}},
	}}
}

func run(t *testing.T, o Options) string {
	t.Helper()
	f := &fixed{list: sample()}
	o.Client = f
	var out, errs bytes.Buffer
	if code := Run(context.Background(), o, slurm.Streams{Out: &out, Err: &errs}); code != 0 || errs.Len() > 0 {
		t.Fatalf("exit %d: %s", code, errs.String())
	}
	return out.String()
}

func TestFormats(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"default: the caller's user rows", Options{Me: "alice"}, "" +
			"Account                    User  RawShares  NormShares    RawUsage  EffectvUsage  FairShare \n" +
			"-------------------- ---------- ---------- ----------- ----------- ------------- ---------- \n" +
			"root                                          1.000000        2400      1.000000   0.500000 \n" +
			" chem-b                                  1    0.250000         600      0.250000   0.500000 \n" +
			" phys-a                                  3    0.750000        1800      0.750000   0.500000 \n" +
			"  phys-a                  alice     parent    0.750000        1200      0.500000   0.500000 \n"},
		{"long, all users", Options{Long: true, All: true}, "" +
			"Account                    User  RawShares  NormShares    RawUsage   NormUsage  EffectvUsage  FairShare                    GrpTRESMins                    TRESRunMins \n" +
			"-------------------- ---------- ---------- ----------- ----------- ----------- ------------- ---------- ------------------------------ ------------------------------ \n" +
			"root                                          1.000000        2400    1.000000      1.000000   0.500000                                                               \n" +
			" chem-b                                  1    0.250000         600    0.250000      0.250000   0.500000                                                               \n" +
			"  chem-b                    bob     parent    0.250000         600    0.250000      0.250000   0.500000                                                               \n" +
			" phys-a                                  3    0.750000        1800    0.750000      0.750000   0.500000                                                               \n" +
			"  phys-a                  alice     parent    0.750000        1200    0.500000      0.500000   0.500000                                                               \n" +
			"  phys-a                  carol     parent    0.750000         600    0.250000      0.250000   0.500000                                                               \n"},
		{"parsable, users only", Options{Parsable: 2, UsersOnly: true, Users: []string{"bob"}}, "" +
			"Account|User|RawShares|NormShares|RawUsage|EffectvUsage|FairShare\n" +
			"  chem-b|bob|parent|0.250000|600|0.250000|0.500000\n"},
		{"-p -o with a width and prefixes", Options{Parsable: 1, Format: "Acc%30,Raw,Fair", NoHeader: true, Accounts: []string{"phys-a"}}, "" +
			" chem-b|1|0.500000|\n" +
			" phys-a|3|0.500000|\n"},
		{"-o width cuts with a plus", Options{Format: "Account%4,User%-3", Me: "carol"}, "" +
			"Acco Use \n" +
			"---- --- \n" +
			"root     \n" +
			" ch+     \n" +
			" ph+     \n" +
			"  p+ ca+ \n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if out := run(t, tc.o); out != tc.want {
				t.Errorf("got\n%s\nwant\n%s", strings.ReplaceAll(out, " ", "·"), strings.ReplaceAll(tc.want, " ", "·"))
			}
		})
	}
}

// Under priority/basic sshare prints its header and no association, as
// Slurm's does without an accounting database (the oracle's answer).
func TestBasic(t *testing.T) {
	var out bytes.Buffer
	code := Run(context.Background(), Options{Client: &fixed{list: &api.ShareList{Type: fairshare.Basic}}}, slurm.Streams{Out: &out, Err: &out})
	want := "Account                    User  RawShares  NormShares    RawUsage  EffectvUsage  FairShare \n" +
		"-------------------- ---------- ---------- ----------- ----------- ------------- ---------- \n"
	if code != 0 || out.String() != want {
		t.Errorf("%d %q", code, out.String())
	}
}

func TestBadFieldAndHelpFormat(t *testing.T) {
	var out, errs bytes.Buffer
	s := slurm.Streams{Out: &out, Err: &errs}
	if code := Run(context.Background(), Options{Client: &fixed{list: sample()}, Format: "bogus"}, s); code != 1 ||
		errs.String() != "sshare: error: Invalid field requested: \"bogus\"\n" {
		t.Errorf("bogus: %d %q", code, errs.String())
	}
	printHelpFormat(&out)
	want := "Account           Cluster           EffectvUsage      FairShare        \n" +
		"GrpTRESMins       GrpTRESRaw        ID                LevelFS          \n" +
		"NormShares        NormUsage         Partition         RawShares        \n" +
		"RawUsage          TRESRunMins       User             \n"
	if out.String() != want {
		t.Errorf("--helpformat:\n%q\nwant\n%q", out.String(), want)
	}
}
