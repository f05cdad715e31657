// Package sshare is hpcbridge's sshare: each account's shares, usage and
// fair-share factor as the coordinator's scheduler computes them
// (bridge/fairshare: Slurm's classic fair share, NO_FAIR_TREE, over a
// flat tree root → accounts → users), in Slurm 22.05's layouts.
//
// Main is the command as cmd/hpcbridge runs it (by a link named sshare or
// "hpcbridge sshare"); the command logic runs over the coordinator's
// client (slurm.Deps), so tests run it in-process.
package sshare

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/fairshare"
	"github.com/hpcbridge/hpcbridge/internal/slurm"
)

const sshareUsage = `Usage:  sshare [OPTION]                                                    
  Valid OPTIONs are:                                                       
    -a or --all            list all users                                  
    -A or --accounts=      display specific accounts (comma separated list)
    -e or --helpformat     Print a list of fields that can be specified    
                           with the '--format' option                      
    -l or --long           include normalized usage in output              
    -m or --partition      print the partition part of the association     
    -M or --cluster=names  clusters to issue commands to.                  
                           NOTE: SlurmDBD must be up.                      
    -n or --noheader       omit header from output                         
    -o or --format=        Comma separated list of fields (use             
                           "--helpformat" for a list of available fields).
    -p or --parsable       '|' delimited output with a trailing '|'        
    -P or --parsable2      '|' delimited output without a trailing '|'     
    -u or --users=         display specific users (comma separated list)   
    -U or --Users          display only user information                   
    -v or --verbose        display more information                        
    -V or --version        display tool version number                     
          --help           display this usage description                  
          --usage          display this usage description                  
                                                                           
`

// Lister is what sshare reads from the coordinator (*api.Client is one).
type Lister interface {
	Shares(ctx context.Context, q *api.SharesQuery) (*api.ShareList, error)
}

var _ Lister = (*api.Client)(nil)

// Options are the inputs of one sshare run.
type Options struct {
	Client   Lister
	Accounts []string
	Users    []string
	// All lists every user; without it (and without Users) only Me's
	// rows are listed under the accounts, as Slurm does.
	All       bool
	Me        string
	UsersOnly bool
	Long      bool
	NoHeader  bool
	// Parsable is 1 for -p ('|' after every field), 2 for -P.
	Parsable int
	Format   string
}

// Main runs sshare with args.
func Main(args []string, s slurm.Streams, d slurm.Deps) int {
	var o Options
	var info slurm.InfoFlags
	var helpFormat bool
	fs := &slurm.FlagSet{Prog: "sshare", Defs: []slurm.FlagDef{
		{Short: 'a', Long: "all", Arg: slurm.NoArg, Set: slurm.SetBool(&o.All)},
		{Short: 'A', Long: "accounts", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Accounts)},
		{Short: 'e', Long: "helpformat", Arg: slurm.NoArg, Set: slurm.SetBool(&helpFormat)},
		{Short: 0, Long: "help", Arg: slurm.NoArg, Set: slurm.SetBool(&info.Help)},
		{Short: 'l', Long: "long", Arg: slurm.NoArg, Set: slurm.SetBool(&o.Long)},
		{Short: 'm', Long: "partition", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'M', Long: "cluster", Arg: slurm.RequiredArg, Set: slurm.IgnoreFlag},
		{Short: 0, Long: "clusters", Arg: slurm.RequiredArg, Set: slurm.IgnoreFlag},
		{Short: 'n', Long: "noheader", Arg: slurm.NoArg, Set: slurm.SetBool(&o.NoHeader)},
		{Short: 'o', Long: "format", Arg: slurm.RequiredArg, Set: slurm.SetString(&o.Format)},
		{Short: 'p', Long: "parsable", Arg: slurm.NoArg, Set: func(string, bool) error { o.Parsable = 1; return nil }},
		{Short: 'P', Long: "parsable2", Arg: slurm.NoArg, Set: func(string, bool) error { o.Parsable = 2; return nil }},
		{Short: 'u', Long: "users", Arg: slurm.RequiredArg, Set: slurm.AppendList(&o.Users)},
		{Short: 'U', Long: "Users", Arg: slurm.NoArg, Set: slurm.SetBool(&o.UsersOnly)},
		{Short: 0, Long: "usage", Arg: slurm.NoArg, Set: slurm.SetBool(&info.Usage)},
		{Short: 'v', Long: "verbose", Arg: slurm.NoArg, Set: slurm.IgnoreFlag},
		{Short: 'V', Long: "version", Arg: slurm.NoArg, Set: slurm.SetBool(&info.Version)},
	}}
	if _, err := fs.Parse(args); err != nil {
		return slurm.ReportUsage(s, "sshare", err)
	}
	if info.Answer(s, sshareUsage, sshareUsage) {
		return slurm.ExitOK
	}
	if helpFormat {
		printHelpFormat(s.Out)
		return slurm.ExitOK
	}
	if me, err := d.CurrentUser(); err == nil {
		o.Me = me
	}
	l, ok := slurm.OpenFor[Lister](s, d, "sshare", "slurm_associations_get_shares", "read shares")
	if !ok {
		return slurm.ExitRejected
	}
	o.Client = l
	return Run(slurm.Context(), o, s)
}

// field is one sshare column: its name, its width (negative: left
// justified) and its text for a row.
type field struct {
	name  string
	width int
	value func(r row) string
}

// row is a line of the report: the root, an account, or a user under an
// account.
type row struct {
	root    bool
	account *fairshare.Account
	user    *fairshare.User
	list    *api.ShareList
}

// fields are sshare's columns; "" is a field with no value (printed as
// blanks), as Slurm prints an unset number.
var fields = []field{
	{"Account", -20, func(r row) string {
		switch {
		case r.root:
			return "root"
		case r.user != nil:
			return "  " + acctName(r.account.Name)
		}
		return " " + acctName(r.account.Name)
	}},
	{"Cluster", 10, func(row) string { return "" }},
	{"EffectvUsage", 13, func(r row) string {
		if r.root {
			return dbl(1)
		}
		if r.user != nil {
			return dbl(r.user.NormUsage)
		}
		return dbl(r.account.NormUsage)
	}},
	{"FairShare", 10, func(r row) string {
		if r.root {
			return dbl(math.Exp2(-1))
		}
		return dbl(r.account.FairShare)
	}},
	{"GrpTRESMins", 30, func(row) string { return "" }},
	{"GrpTRESRaw", 30, func(row) string { return "" }},
	{"ID", 6, func(row) string { return "" }},
	{"LevelFS", 10, func(r row) string {
		if r.root || r.user != nil || r.account.NormUsage == 0 {
			return ""
		}
		return dbl(r.account.NormShares / r.account.NormUsage)
	}},
	{"NormShares", 11, func(r row) string {
		if r.root {
			return dbl(1)
		}
		return dbl(r.account.NormShares)
	}},
	{"NormUsage", 11, func(r row) string {
		if r.root {
			return dbl(1)
		}
		if r.user != nil {
			return dbl(r.user.NormUsage)
		}
		return dbl(r.account.NormUsage)
	}},
	{"Partition", 12, func(row) string { return "" }},
	{"RawShares", 10, func(r row) string {
		switch {
		case r.root:
			return ""
		case r.user != nil:
			return "parent"
		}
		return strconv.FormatUint(uint64(r.account.RawShares), 10)
	}},
	{"RawUsage", 11, func(r row) string {
		switch {
		case r.root:
			return usage(r.list.TotalUsage)
		case r.user != nil:
			return usage(r.user.RawUsage)
		}
		return usage(r.account.RawUsage)
	}},
	{"TRESRunMins", 30, func(row) string { return "" }},
	{"User", 10, func(r row) string {
		if r.user != nil {
			return r.user.Name
		}
		return ""
	}},
}

// Formats are classic fair share's (PriorityFlags=NO_FAIR_TREE): the
// long one adds NormUsage, GrpTRESMins and TRESRunMins.
const (
	DefaultFormat = "Account,User,RawShares,NormShares,RawUsage,EffectvUsage,FairShare"
	LongFormat    = "Account,User,RawShares,NormShares,RawUsage,NormUsage,EffectvUsage,FairShare,GrpTRESMins,TRESRunMins"
)

func acctName(a string) string {
	if a == fairshare.NullAccount {
		return slurm.NullString
	}
	return a
}

func dbl(f float64) string   { return strconv.FormatFloat(f, 'f', 6, 64) }
func usage(f float64) string { return strconv.FormatUint(uint64(math.Max(f, 0)), 10) }

// parseFormat reads -o: names (any case, a unique prefix) with an
// optional %width.
func parseFormat(spec string) ([]field, error) {
	var out []field
	for _, item := range slurm.SplitList(spec) {
		name, width, hasWidth := strings.Cut(item, "%")
		var f *field
		for i := range fields {
			if strings.HasPrefix(strings.ToLower(fields[i].name), strings.ToLower(name)) {
				f = &fields[i]
				break
			}
		}
		if f == nil || name == "" {
			return nil, fmt.Errorf("Invalid field requested: \"%s\"", item)
		}
		c := *f
		if hasWidth {
			if n, err := strconv.Atoi(width); err == nil && n != 0 && n > -slurm.MaxFieldWidth && n < slurm.MaxFieldWidth {
				c.width = n
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// Run asks the coordinator and prints the report.
func Run(ctx context.Context, o Options, s slurm.Streams) int {
	format := o.Format
	if format == "" {
		format = DefaultFormat
		if o.Long {
			format = LongFormat
		}
	}
	cols, err := parseFormat(format)
	if err != nil {
		fmt.Fprintf(s.Err, "sshare: error: %v\n", err)
		return slurm.ExitRejected
	}
	list, err := o.Client.Shares(ctx, &api.SharesQuery{Accounts: o.Accounts, Users: o.Users})
	if err != nil {
		fmt.Fprintf(s.Err, "Couldn't get shares from controller: %s\n", slurm.APIMessage(err))
		return slurm.ExitRejected
	}
	if !o.NoHeader {
		header(s.Out, cols, o.Parsable)
	}
	if list.Type != fairshare.Multifactor {
		return slurm.ExitOK // no associations to show, as Slurm without its accounting database
	}
	for _, r := range rows(o, list) {
		printRow(s.Out, cols, o.Parsable, r)
	}
	return slurm.ExitOK
}

// rows are the report's lines: root, then each account and its users
// (all with -a, those of -u, else the caller's).
func rows(o Options, list *api.ShareList) []row {
	var out []row
	if !o.UsersOnly && len(o.Accounts) == 0 {
		out = append(out, row{root: true, list: list})
	}
	for _, a := range list.Accounts {
		if !o.UsersOnly {
			out = append(out, row{account: a, list: list})
		}
		for _, u := range a.Users {
			if o.All || slices.Contains(o.Users, u.Name) || (len(o.Users) == 0 && u.Name == o.Me) {
				out = append(out, row{account: a, user: u, list: list})
			}
		}
	}
	return out
}

// printHelpFormat lists the field names, four to a line.
func printHelpFormat(out io.Writer) {
	var b strings.Builder
	for i, f := range fields {
		b.WriteString(fmt.Sprintf("%-17s", f.name))
		if i%4 == 3 || i == len(fields)-1 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	io.WriteString(out, b.String())
}

func header(out io.Writer, cols []field, parsable int) {
	var b strings.Builder
	for i, c := range cols {
		if parsable == 0 {
			// The header is cut to the width without the '+' (%*.*s).
			b.WriteString(slurm.PadTo(slurm.CutRunes(c.name, abs(c.width)), abs(c.width), c.width > 0) + " ")
			continue
		}
		b.WriteString(cell(c.name, c.width, parsable, i == len(cols)-1))
	}
	b.WriteByte('\n')
	if parsable == 0 {
		for _, c := range cols {
			b.WriteString(strings.Repeat("-", abs(c.width)) + " ")
		}
		b.WriteByte('\n')
	}
	io.WriteString(out, b.String())
}

func printRow(out io.Writer, cols []field, parsable int, r row) {
	var b strings.Builder
	for i, c := range cols {
		b.WriteString(cell(c.value(r), c.width, parsable, i == len(cols)-1))
	}
	b.WriteByte('\n')
	io.WriteString(out, b.String())
}

// cell is one value as Slurm's print_fields prints it: cut to the width
// with a '+' marking the cut, padded, a space after; or, parsable, the
// value and '|' (none after the last with -P).
func cell(v string, width, parsable int, last bool) string {
	switch {
	case parsable == 2 && last:
		return v
	case parsable != 0:
		return v + "|"
	}
	w := abs(width)
	if len([]rune(v)) > w {
		v = string([]rune(v)[:w-1]) + "+"
	}
	return slurm.PadTo(v, w, width > 0) + " "
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
