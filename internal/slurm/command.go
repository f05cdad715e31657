package slurm

import (
	"context"
	"fmt"
	"time"
)

// What every Slurm command does the same way: connect to the coordinator,
// print against one clock, time zone and user database, and repeat itself
// with -i/--iterate.

// Open connects to the coordinator for the command prog. When it cannot,
// it prints the failure as Slurm's command does (ConnectError: "prog:
// error: what: Unable to contact slurm controller ...") and returns false.
func Open(s Streams, d Deps, prog, what string) (Client, bool) {
	client, err := d.Connect(s.Env)
	if err != nil {
		fmt.Fprintln(s.Err, ConnectError(prog, what, err))
		return nil, false
	}
	return client, true
}

// OpenFor connects as Open does and returns the client as T, the part of
// the coordinator's API the command reads. A client without it is
// reported as "prog: error: this coordinator client cannot " and then
// cannot (what T does: "read shares"), and OpenFor returns false.
func OpenFor[T any](s Streams, d Deps, prog, what, cannot string) (T, bool) {
	var none T
	client, ok := Open(s, d, prog, what)
	if !ok {
		return none, false
	}
	t, ok := client.(T)
	if !ok {
		fmt.Fprintf(s.Err, "%s: error: this coordinator client cannot %s\n", prog, cannot)
		return none, false
	}
	return t, true
}

// Locale is what a command prints with: the clock reading its report
// is made at, the time zone (nil: UTC), the environment (SLURM_TIME_FORMAT)
// and the user database (nil: names resolve to nothing). The options of
// the commands that print jobs embed it.
type Locale struct {
	Now   time.Time
	Loc   *time.Location
	Env   []string
	Users *UserInfo
	// Priorities are the scheduler's priorities by job id
	// (SchedulerPriorities); nil: priority/basic's.
	Priorities map[uint64]int64
}

// NewLocale is the locale of a command run with s and d.
func NewLocale(s Streams, d Deps) Locale {
	return Locale{Now: d.Now(), Loc: d.Loc, Env: s.Env, Users: NewUserInfo(d.LookupUser)}
}

// Location is the time zone times are printed in.
func (l Locale) Location() *time.Location {
	if l.Loc == nil {
		return time.UTC
	}
	return l.Loc
}

// UserDB resolves user names.
func (l Locale) UserDB() *UserInfo {
	if l.Users == nil {
		return NewUserInfo(nil)
	}
	return l.Users
}

// ViewCtx is the context jobs are viewed in, at now.
func (l Locale) ViewCtx(now time.Time) *ViewCtx {
	return &ViewCtx{Now: now, TF: NewTimeFormat(l.Env, l.Location(), now), Users: l.UserDB(), Priorities: l.Priorities}
}

// Iterate runs once, and with every > 0 runs it again every so many
// seconds (squeue -i, sinfo -i), with an empty line between the reports,
// until once fails or sleep returns an error (the context ended). first
// tells once whether it makes the first report. It returns once's last
// status, ExitOK when sleep ended the loop.
func Iterate(ctx context.Context, s Streams, every int, sleep func(context.Context, time.Duration) error, once func(ctx context.Context, first bool) int) int {
	for first := true; ; first = false {
		code := once(ctx, first)
		if every <= 0 || code != ExitOK {
			return code
		}
		fmt.Fprintln(s.Out)
		if err := sleep(ctx, time.Duration(every)*time.Second); err != nil {
			return ExitOK
		}
	}
}
