package getopt

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

var table = []Option{
	{Short: 'n', Long: "ntasks", Kind: Required},
	{Short: 'l', Long: "label", Kind: NoArg},
	{Short: 'K', Long: "kill-on-bad-exit", Kind: Optional},
	{Short: 'j', Long: "jobs", Kind: OptionalNext},
	{Long: "name", Kind: Required},
	{Long: "nodes", Kind: Required},
	{Short: 'J', Long: "job-name", Kind: Required},
	{Short: 'J', Long: "jobname", Kind: Required},
}

// trace parses args and writes what was found, one item per option.
func trace(c Config, args []string) (string, Result, error) {
	var b strings.Builder
	res, err := c.Parse(args, func(o Opt) error {
		fmt.Fprintf(&b, "%s", o.Name)
		if o.HasValue {
			fmt.Fprintf(&b, "=%s@%d:%d", o.Value, o.ValWord, o.ValCol)
		}
		fmt.Fprintf(&b, "[%d:%d] ", o.Word, o.Col)
		return nil
	}, nil)
	return strings.TrimSpace(b.String()), res, err
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		args     []string
		inOrder  bool
		want     string
		operands []string
		rest     int
		err      string
	}{
		{args: []string{"-ln4", "x", "--ntasks=2", "y"}, want: "-l[0:1] -n=4@0:3[0:2] --ntasks=2@2:9[2:0]", operands: []string{"x", "y"}, rest: 4},
		{args: []string{"-n", "4", "--ntasks", "5"}, want: "-n=4@1:0[0:1] --ntasks=5@3:0[2:0]", rest: 4},
		{args: []string{"--nt=3", "--lab"}, want: "--ntasks=3@0:5[0:0] --label[1:0]", rest: 2},
		{args: []string{"-K", "-K0", "--kill-on-bad-exit", "x"}, want: "-K[0:1] -K=0@1:2[1:1] --kill-on-bad-exit[2:0]", operands: []string{"x"}, rest: 4},
		{args: []string{"-j", "12", "--jobs", "-l", "-j5"}, want: "-j=12@1:0[0:1] --jobs[2:0] -l[3:1] -j=5@4:2[4:1]", rest: 5},
		{args: []string{"-l", "cmd", "-n", "2"}, inOrder: true, want: "-l[0:1]", rest: 1},
		{args: []string{"-l", "--", "-n"}, inOrder: true, want: "-l[0:1]", rest: 2},
		{args: []string{"-l", "--", "-n"}, want: "-l[0:1]", operands: []string{"-n"}, rest: 0},
		{args: []string{"--jobn=x"}, want: "--jobname=x@0:7[0:0]", rest: 1},
		{args: []string{"--n=1"}, err: "option '--n' is ambiguous; possibilities: '--ntasks' '--name' '--nodes'"},
		{args: []string{"--bogus=1"}, err: "unrecognized option '--bogus'"},
		{args: []string{"-x"}, err: "invalid option -- 'x'"},
		{args: []string{"-ln"}, err: "option requires an argument -- 'n'"},
		{args: []string{"--ntasks"}, err: "option '--ntasks' requires an argument"},
		{args: []string{"--lab=1"}, err: "option '--label' doesn't allow an argument"},
	} {
		got, res, err := trace(Config{Options: table, InOrder: c.inOrder}, c.args)
		if c.err != "" {
			var ge *Error
			if !errors.As(err, &ge) || err.Error() != c.err {
				t.Errorf("%q: error %v, want %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want || !reflect.DeepEqual(res.Operands, c.operands) || c.inOrder && res.Rest != c.rest {
			t.Errorf("%q: got %q %q rest %d, %v; want %q %q rest %d", c.args, got, res.Operands, res.Rest, err, c.want, c.operands, c.rest)
		}
	}
}

func TestExact(t *testing.T) {
	_, _, err := trace(Config{Options: table, Exact: true}, []string{"--lab"})
	var ge *Error
	if !errors.As(err, &ge) || ge.Kind != Unrecognized || ge.Text != "--lab" {
		t.Errorf("Exact accepted an abbreviation: %v", err)
	}
}

// TestKeepGoing checks that a caller collecting errors sees each of them
// and the options after them.
func TestKeepGoing(t *testing.T) {
	var errs []string
	var found []string
	c := Config{Options: table}
	_, err := c.Parse([]string{"-x", "-l", "--nope", "-ln"}, func(o Opt) error {
		found = append(found, o.Name)
		return nil
	}, func(e *Error) bool {
		errs = append(errs, fmt.Sprintf("%d:%d %s", e.Word, e.Col, e.Error()))
		return true
	})
	want := []string{"0:1 invalid option -- 'x'", "2:0 unrecognized option '--nope'", "3:2 option requires an argument -- 'n'"}
	if err != nil || !reflect.DeepEqual(errs, want) || !reflect.DeepEqual(found, []string{"-l", "-l"}) {
		t.Errorf("errors %q, found %q, %v", errs, found, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"-ln4 x --ntasks=2", "--n=1", "-j -K0 -- -x", "--jobn"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Config{Options: table}
		args := strings.Fields(s)
		_, _ = c.Parse(args, func(o Opt) error {
			if o.Index < 0 || o.Index >= len(table) || o.ValWord >= len(args) {
				t.Fatalf("bad option %+v", o)
			}
			return nil
		}, func(*Error) bool { return true })
	})
}
