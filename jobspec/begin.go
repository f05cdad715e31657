package jobspec

// The --begin value parser.
// See values.go for how these rules were settled.

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

const beginForms = "use HH:MM[:SS] [AM|PM], midnight, noon, fika, teatime, today, tomorrow, " +
	"MMDD[YY], MM/DD[/YY], MM.DD[.YY], YYYY-MM-DD[THH:MM[:SS]] or now[+COUNT[seconds|minutes|hours|days|weeks]]"

// beginUnits are the time units of now+COUNT, plural before singular, as
// they are matched against the start of the text.
var beginUnits = []struct {
	name string
	secs int64
}{
	{"seconds", 1}, {"second", 1}, {"minutes", 60}, {"minute", 60}, {"hours", 3600}, {"hour", 3600},
	{"days", 86400}, {"day", 86400}, {"weeks", 604800}, {"week", 604800},
}

// beginWords are the named days and times of --begin.
var beginWords = []struct {
	word   string
	day    int // days from today, for today and tomorrow
	hour   int // for the times of day
	isDay  bool
	lowerT bool // must start with a lower-case t, as 'T' is a separator
}{
	{word: "today", isDay: true, lowerT: true},
	{word: "tomorrow", day: 1, isDay: true, lowerT: true},
	{word: "teatime", hour: 16, lowerT: true},
	{word: "midnight", hour: 0},
	{word: "noon", hour: 12},
	{word: "fika", hour: 15},
}

// ParseBegin parses a --begin value and resolves it against now, in now's
// location. It never reads the clock.
//
// A value is a sequence of parts, each setting the date, the time of day or
// both, later parts overriding earlier ones; white space between parts is
// optional ("midnight9:05", "18:30:1512/25" and "noon tomorrow" are all
// read), and an upper-case 'T' or a '-' between parts is only a separator:
//
//   - HH:MM[:SS] with an optional AM or PM (any case, white space allowed
//     before it); the hour has one or two digits, minutes and seconds two;
//   - midnight, noon, fika (15:00) and teatime (16:00), in any case;
//   - today and tomorrow (the words starting with t need a lower-case t);
//   - MMDD, MMDDYY, MM/DD[/YY], MM/DDYY and MM.DD[.YY] (YY is 20YY; 00
//     means none);
//     YYYY-MM-DD, e.g. followed by T and a time;
//   - now, only at the very start, alone or followed by +COUNT or -COUNT
//     and an optional unit (seconds, the default, minutes, hours, days or
//     weeks, singular or plural, any case); it sets both date and time. A
//     COUNT without a unit must end the value.
//
// now, today, tomorrow and the dates with a year fix the year, which a
// later date without one keeps ("today 11/20" is this year's, even though
// past). A time of day without any date is today's, or tomorrow's when its
// hour and minute are not after now's (18:10:59 given at 18:10:21 is
// tomorrow). A month and day without any year are this year's, or next
// year's when month, day, hour and minute are not after now's. Days roll
// over as in C's mktime (2027-02-30 is March 2), but a day above 31 or a
// month above 12 is an error. A value that resolves to the Unix epoch is
// an error, because Slurm reads time 0 as failure, and so is one outside
// the years 1 to 9999 (BeginInRange), which Slurm wraps around.
//
// Slurm reads some nonsensical values in ways not reproduced here: "now"
// after another part ("23:59:59todaynow", "18:30 now-2days") and a '/'
// after a date ("1120/") are errors here, and "112/25" (Slurm: 2025-11-02)
// is one too.
func ParseBegin(s string, now time.Time) (*Begin, error) {
	b := beginParser{s: s, now: now.Truncate(time.Second)}
	if err := b.parse(); err != nil {
		return nil, badValue("begin time", s, "%s", err.Error())
	}
	at, err := b.resolve()
	if err != nil {
		return nil, badValue("begin time", s, "%s", err.Error())
	}
	return &Begin{At: at, Raw: s}, nil
}

type beginParser struct {
	s   string
	pos int
	now time.Time

	haveYear, haveDay  bool
	year, month, day   int
	haveTime           bool
	hour, minute, secs int
}

var errBeginSyntax = errors.New(beginForms)

func (b *beginParser) parse() error {
	if b.hasPrefixFold("now") {
		b.pos = 3
		if err := b.nowOffset(); err != nil {
			return err
		}
	}
	for {
		b.skipSpace()
		if b.pos == len(b.s) {
			break
		}
		c := b.s[b.pos]
		var err error
		switch {
		case c == 'T' || c == '-':
			b.pos++ // separators
			continue
		case isDigit(c):
			err = b.number()
		default:
			err = b.word()
		}
		if err != nil {
			return err
		}
	}
	if !b.haveDay && !b.haveTime {
		return errors.New("no date or time; " + beginForms)
	}
	return nil
}

func (b *beginParser) hasPrefixFold(w string) bool {
	return len(b.s)-b.pos >= len(w) && strings.EqualFold(b.s[b.pos:b.pos+len(w)], w)
}

func (b *beginParser) skipSpace() {
	for b.pos < len(b.s) && isCSpace(b.s[b.pos]) {
		b.pos++
	}
}

// nowOffset reads what follows a leading "now": nothing, or +COUNT[unit].
func (b *beginParser) nowOffset() error {
	b.skipSpace()
	t := b.now
	if b.pos < len(b.s) {
		sign := int64(1)
		switch b.s[b.pos] {
		case '+':
		case '-':
			sign = -1
		default:
			return errors.New("now may only be followed by +COUNT or -COUNT")
		}
		b.pos++
		b.skipSpace()
		start := b.pos
		for b.pos < len(b.s) && isDigit(b.s[b.pos]) {
			b.pos++
		}
		n, err := strconv.ParseInt(b.s[start:b.pos], 10, 64)
		if err != nil {
			return errors.New("now+ needs a count; " + beginForms)
		}
		b.skipSpace()
		unit := int64(0)
		for _, u := range beginUnits {
			if b.hasPrefixFold(u.name) {
				unit = u.secs
				b.pos += len(u.name)
				break
			}
		}
		if unit == 0 {
			if b.pos < len(b.s) {
				return errors.New("unknown time unit; use seconds, minutes, hours, days or weeks")
			}
			unit = 1
		}
		if n > math.MaxInt64/unit/2 {
			return errors.New("the offset is too large")
		}
		t = time.Unix(b.now.Unix()+sign*n*unit, 0).In(b.now.Location())
	}
	b.haveYear, b.haveDay = true, true
	b.year, b.month, b.day = t.Year(), int(t.Month()), t.Day()
	b.setTime(t.Hour(), t.Minute(), t.Second())
	return nil
}

// word reads today, tomorrow, midnight, noon, fika or teatime.
func (b *beginParser) word() error {
	for _, w := range beginWords {
		if !b.hasPrefixFold(w.word) || (w.lowerT && b.s[b.pos] != 't') {
			continue
		}
		b.pos += len(w.word)
		if w.isDay {
			t := time.Date(b.now.Year(), b.now.Month(), b.now.Day()+w.day, 0, 0, 0, 0, b.now.Location())
			b.haveYear, b.haveDay = true, true
			b.year, b.month, b.day = t.Year(), int(t.Month()), t.Day()
		} else {
			b.setTime(w.hour, 0, 0)
		}
		return nil
	}
	if b.hasPrefixFold("now") {
		return errors.New("now must come first")
	}
	return fmt.Errorf("unexpected %q; %s", b.s[b.pos:], beginForms)
}

func (b *beginParser) setTime(h, m, s int) {
	b.haveTime, b.hour, b.minute, b.secs = true, h, m, s
}

// digits reads a run of digits and returns it.
func (b *beginParser) digits() string {
	start := b.pos
	for b.pos < len(b.s) && isDigit(b.s[b.pos]) {
		b.pos++
	}
	return b.s[start:b.pos]
}

// number reads a part that starts with a digit: a time, or a date.
func (b *beginParser) number() error {
	start := b.pos
	d := b.digits()
	next := byte(0)
	if b.pos < len(b.s) {
		next = b.s[b.pos]
	}
	switch {
	case next == ':' && len(d) <= 2:
		b.pos = start
		return b.timeOfDay()
	case (next == '/' || next == '.') && len(d) <= 2:
		return b.slashDate(d, next)
	case next == '-' && len(d) == 4:
		return b.isoDate(d)
	case len(d) == 4 || len(d) == 6:
		return b.setDate(atoiDigits(d[2:4]), atoiDigits(d[:2]), d[4:])
	}
	return fmt.Errorf("unexpected %q; %s", d, beginForms)
}

func atoiDigits(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// timeOfDay reads H[H]:MM[:SS] [AM|PM].
func (b *beginParser) timeOfDay() error {
	h := b.digits()
	b.pos++ // ':'
	start := b.pos
	for b.pos < len(b.s) && b.pos < start+2 && isDigit(b.s[b.pos]) {
		b.pos++
	}
	m := b.s[start:b.pos]
	sec := "00"
	if len(m) == 2 && b.pos < len(b.s) && b.s[b.pos] == ':' {
		b.pos++
		start = b.pos
		for b.pos < len(b.s) && b.pos < start+2 && isDigit(b.s[b.pos]) {
			b.pos++
		}
		sec = b.s[start:b.pos]
	}
	if len(m) != 2 || len(sec) != 2 {
		return errors.New("minutes and seconds need two digits; " + beginForms)
	}
	hour, minute, second := atoiDigits(h), atoiDigits(m), atoiDigits(sec)
	if hour > 23 || minute > 59 || second > 59 {
		return errors.New("the time of day is out of range")
	}
	// An optional AM or PM, possibly after white space.
	p := b.pos
	for p < len(b.s) && isCSpace(b.s[p]) {
		p++
	}
	if p+2 <= len(b.s) {
		switch ampm := strings.ToLower(b.s[p : p+2]); ampm {
		case "am", "pm":
			if hour > 12 {
				return fmt.Errorf("hour %d cannot have %s", hour, strings.ToUpper(ampm))
			}
			if ampm == "am" && hour == 12 {
				hour = 0
			}
			if ampm == "pm" && hour < 12 {
				hour += 12
			}
			b.pos = p + 2
		}
	}
	b.setTime(hour, minute, second)
	return nil
}

// slashDate reads MM/DD[/YY] or MM.DD[.YY] (also MM/DDYY); month is
// already read.
func (b *beginParser) slashDate(month string, sep byte) error {
	b.pos++
	day := b.digits()
	year := ""
	switch len(day) {
	case 1, 2:
	case 4:
		day, year = day[:2], day[2:]
	default:
		return errBeginSyntax
	}
	if year == "" && b.pos < len(b.s) && b.s[b.pos] == sep {
		b.pos++
		start := b.pos
		for b.pos < len(b.s) && b.pos < start+2 && isDigit(b.s[b.pos]) {
			b.pos++
		}
		year = b.s[start:b.pos]
		if len(year) != 2 {
			return errors.New("the year needs two digits (YY); " + beginForms)
		}
	}
	return b.setDate(atoiDigits(day), atoiDigits(month), year)
}

// setDate records a month and day with a two-digit year ("" or "00" for
// none, which keeps a year set before).
func (b *beginParser) setDate(day, month int, yy string) error {
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return errors.New("the month or day is out of range")
	}
	b.haveDay, b.month, b.day = true, month, day
	if y := atoiDigits(yy); y != 0 {
		b.haveYear, b.year = true, 2000+y
	}
	return nil
}

// isoDate reads YYYY-MM-DD; the year is already read.
func (b *beginParser) isoDate(year string) error {
	b.pos++
	m := b.digits()
	if len(m) != 2 || b.pos >= len(b.s) || b.s[b.pos] != '-' {
		return errBeginSyntax
	}
	b.pos++
	start := b.pos
	for b.pos < len(b.s) && b.pos < start+2 && isDigit(b.s[b.pos]) {
		b.pos++
	}
	d := b.s[start:b.pos]
	if len(d) != 2 {
		return errBeginSyntax
	}
	if err := b.setDate(atoiDigits(d), atoiDigits(m), ""); err != nil {
		return err
	}
	b.haveYear, b.year = true, atoiDigits(year)
	return nil
}

// resolve turns the parts read into a time.
func (b *beginParser) resolve() (time.Time, error) {
	now := b.now
	loc := now.Location()
	h, m, s := 0, 0, 0
	if b.haveTime {
		h, m, s = b.hour, b.minute, b.secs
	}
	// notAfterNow compares the trailing fields of (month, day, hour,
	// minute) with now's.
	notAfterNow := func(fields ...int) bool {
		nowFields := []int{int(now.Month()), now.Day(), now.Hour(), now.Minute()}
		nowFields = nowFields[len(nowFields)-len(fields):]
		for i := range fields {
			if fields[i] != nowFields[i] {
				return fields[i] < nowFields[i]
			}
		}
		return true
	}
	var t time.Time
	switch {
	case b.haveYear:
		t = time.Date(b.year, time.Month(b.month), b.day, h, m, s, 0, loc)
	case b.haveDay:
		year := now.Year()
		if notAfterNow(b.month, b.day, h, m) {
			year++
		}
		t = time.Date(year, time.Month(b.month), b.day, h, m, s, 0, loc)
	default:
		day := now.Day()
		if notAfterNow(h, m) {
			day++
		}
		t = time.Date(now.Year(), now.Month(), day, h, m, s, 0, loc)
	}
	if t.Unix() == 0 {
		return time.Time{}, errors.New("it resolves to the Unix epoch, which Slurm reads as an error")
	}
	if !BeginInRange(t) {
		return time.Time{}, fmt.Errorf("it resolves to the year %d; the begin time must be in the years 1 to 9999", t.Year())
	}
	return t, nil
}

// BeginInRange reports whether a --begin time is one hpcbridge keeps: in
// the years 1 to 9999 both where it was given and in UTC (the years that
// RFC 3339 can write). Slurm 22.05 computes far offsets in 64-bit seconds
// and wraps around (now+99999999999days is the year 273792727,
// now+999999999999999days a negative year); such values are refused here.
// A coordinator checks again in the zone it stores the time in.
func BeginInRange(t time.Time) bool {
	ok := func(y int) bool { return y >= 1 && y <= 9999 }
	return ok(t.Year()) && ok(t.UTC().Year())
}
