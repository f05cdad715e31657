package slurm

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds what the Slurm commands share to print values: Slurm's
// duration, timestamp and memory spellings, and the format-string engines
// of squeue -o (letters), squeue -O (names) and sacct --format.

// NullString is what Slurm prints for a string that was never set (the C
// library's rendering of a NULL pointer).
const NullString = "(null)"

// DurationShort is squeue's spelling of a duration (%M, %l, %L): M:SS,
// H:MM:SS or D-HH:MM:SS; negative durations are "INVALID".
func DurationShort(secs int64) string {
	if secs < 0 {
		return "INVALID"
	}
	d, h, m, s := secs/86400, secs/3600%24, secs/60%60, secs%60
	switch {
	case d > 0:
		return fmt.Sprintf("%d-%02d:%02d:%02d", d, h, m, s)
	case h > 0:
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// DurationLong is the spelling of scontrol and sacct: HH:MM:SS or
// D-HH:MM:SS.
func DurationLong(secs int64) string {
	if secs < 0 {
		return "INVALID"
	}
	d, h, m, s := secs/86400, secs/3600%24, secs/60%60, secs%60
	if d > 0 {
		return fmt.Sprintf("%d-%02d:%02d:%02d", d, h, m, s)
	}
	return fmt.Sprintf("%02d:%02d:%02d", h, m, s)
}

// LimitShort is a time limit in minutes as squeue prints it (0: UNLIMITED).
func LimitShort(min int) string {
	if min <= 0 {
		return "UNLIMITED"
	}
	return DurationShort(int64(min) * 60)
}

// LimitLong is a time limit in minutes as scontrol and sacct print it.
func LimitLong(min int) string {
	if min <= 0 {
		return "UNLIMITED"
	}
	return DurationLong(int64(min) * 60)
}

// timeFormat renders timestamps as SLURM_TIME_FORMAT asks: "standard" (the
// default, 2026-11-21T12:00:00), "relative", or a strftime(3) format.
type timeFormat struct {
	loc    *time.Location
	layout string // a Go layout; "" with relative
	rel    bool
	now    time.Time
}

// NewTimeFormat reads SLURM_TIME_FORMAT from env.
func NewTimeFormat(env []string, loc *time.Location, now time.Time) timeFormat {
	tf := timeFormat{loc: loc, layout: "2006-01-02T15:04:05", now: now.In(loc)}
	v, _ := LookupEnv(env, "SLURM_TIME_FORMAT")
	switch {
	case v == "" || v == "standard":
	case v == "relative":
		tf.rel, tf.layout = true, ""
	default:
		tf.layout = strftimeLayout(v)
	}
	return tf
}

// format renders t, or none when t is zero.
func (tf timeFormat) format(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	t = t.In(tf.loc)
	if !tf.rel {
		return t.Format(tf.layout)
	}
	y, m, d := t.Date()
	ny, nm, nd := tf.now.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, tf.loc)
	today := time.Date(ny, nm, nd, 0, 0, 0, 0, tf.loc)
	switch days := int(day.Sub(today).Hours() / 24); {
	case days == 0:
		return t.Format("15:04:05")
	case days == 1:
		return "Tomorr " + t.Format("15:04")
	case days == -1:
		return "Ystday " + t.Format("15:04")
	case days > 1 && days < 7:
		return t.Format("Mon 15:04")
	case y == ny:
		return t.Format("2 Jan 15:04")
	}
	return t.Format("2 Jan 2006")
}

// strftimeLayout converts the common strftime(3) conversions to a Go
// layout; others are kept as written.
func strftimeLayout(f string) string {
	repl := map[byte]string{
		'Y': "2006", 'y': "06", 'm': "01", 'd': "02", 'e': "_2", 'H': "15", 'I': "03",
		'M': "04", 'S': "05", 'p': "PM", 'a': "Mon", 'A': "Monday", 'b': "Jan", 'h': "Jan",
		'B': "January", 'T': "15:04:05", 'R': "15:04", 'F': "2006-01-02", 'D': "01/02/06",
		'j': "002", 'Z': "MST", 'z': "-0700", 'n': "\n", 't': "\t", '%': "%",
	}
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] == '%' && i+1 < len(f) {
			if r, ok := repl[f[i+1]]; ok {
				b.WriteString(r)
				i++
				continue
			}
		}
		b.WriteByte(f[i])
	}
	return b.String()
}

// MemString renders a size in MiB as Slurm does: the unit grows while the
// value divides by 512 (1536 is 1.50G, 1500 stays 1500M).
func MemString(mib int64) string {
	if mib <= 0 {
		return "0"
	}
	units := "MGTPE"
	v, u := float64(mib), 0
	for v >= 1024 && u < len(units)-1 && int64(v)%512 == 0 && v == float64(int64(v)) {
		v /= 1024
		u++
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d%c", int64(v), units[u])
	}
	return fmt.Sprintf("%.2f%c", v, units[u])
}

// Cell is one formatted value of a table: its text, and whether it stands
// for a string that was never set (the C library prints NULL as "(null)"
// only when at least six characters may be printed).
type Cell struct {
	Text string
	Null bool
	// Keep: a right-justified value is never cut (squeue's times).
	Keep bool
}

// Str is a plain cell.
func Str(s string) Cell { return Cell{Text: s} }

// OrNull is s, or the "(null)" cell when s is empty.
func OrNull(s string) Cell {
	if s == "" {
		return Cell{Text: NullString, Null: true}
	}
	return Cell{Text: s}
}

// Num is an integer cell.
func Num[T ~int | ~int64 | ~uint64 | ~uint32](n T) Cell { return Cell{Text: fmt.Sprint(n)} }

// Render fits a cell to width (0: as wide as it is) the way squeue's
// printf-based printing does: values are cut to the width and padded on
// the side away from the justification.
func (c Cell) Render(width int, right bool) string {
	if width <= 0 {
		return c.Text
	}
	t := c.Text
	if c.Null && !right && width < len(NullString) {
		t = ""
	}
	if !(right && c.Keep) {
		t = CutRunes(t, width)
	}
	return PadTo(t, width, right)
}

// CutRunes returns at most n runes of s.
func CutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := range s {
		if i == n {
			return s[:k]
		}
		i++
	}
	return s
}

// PadTo pads s with spaces to width runes.
func PadTo(s string, width int, right bool) string {
	n := utf8.RuneCountInString(s)
	if n >= width {
		return s
	}
	if right {
		return strings.Repeat(" ", width-n) + s
	}
	return s + strings.Repeat(" ", width-n)
}

// MaxFieldWidth bounds field widths, so that a typo cannot ask for a
// gigabyte of padding.
const MaxFieldWidth = 1 << 16

// LetterField is one item of an squeue or sinfo -o format: a literal, or a
// field letter with its width, justification and suffix.
type LetterField struct {
	Literal string // set for text outside fields and for invalid items
	Letter  byte
	Width   int
	Right   bool
	Suffix  string
}

// ParseLetterFormat parses an squeue/sinfo -o format, "%[[.]size]type[suffix]"
// items, as those commands do: text before the first % is a literal, "%%"
// and a trailing "%" are dropped, and an item whose type is not in valid is
// reported (as Slurm does, "Invalid job format specification: X") and kept
// as literal text. It never fails: the errors are for stderr.
func ParseLetterFormat(format string, valid func(byte) bool) (fields []LetterField, errs []string) {
	parts := strings.Split(format, "%")
	if parts[0] != "" {
		fields = append(fields, LetterField{Literal: parts[0]})
	}
	for _, tok := range parts[1:] {
		if tok == "" {
			continue
		}
		f, ok := parseLetterToken(tok)
		if !ok || !valid(f.Letter) {
			bad := tok
			if f.Letter != 0 {
				bad = string(f.Letter)
			}
			errs = append(errs, bad)
			fields = append(fields, LetterField{Literal: "%" + tok})
			continue
		}
		fields = append(fields, f)
	}
	return fields, errs
}

// parseLetterToken reads "[.]digits letter suffix".
func parseLetterToken(tok string) (LetterField, bool) {
	var f LetterField
	i := 0
	if tok[0] == '.' {
		f.Right = true
		i++
	}
	for i < len(tok) && tok[i] >= '0' && tok[i] <= '9' {
		f.Width = min(f.Width*10+int(tok[i]-'0'), MaxFieldWidth)
		i++
	}
	if i >= len(tok) {
		return f, false
	}
	c := tok[i]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return LetterField{Letter: c}, false
	}
	f.Letter, f.Suffix = c, tok[i+1:]
	return f, true
}

// NameField is one item of an squeue -O or sinfo -O format:
// "name[:[.][size][suffix]]".
type NameField struct {
	Name   string // canonical name
	Width  int
	Right  bool
	Suffix string
}

// ParseNameFormat parses a comma-separated -O format. canonical maps a
// name (any case) to its canonical spelling, or "" when unknown; unknown
// names are reported and skipped. Without a size a field is defWidth wide;
// "name:" with an empty size is as wide as its value.
func ParseNameFormat(format string, canonical func(string) string, defWidth int) (fields []NameField, errs []string) {
	for _, item := range strings.Split(format, ",") {
		if item == "" {
			continue
		}
		name, spec, hasSpec := strings.Cut(item, ":")
		c := canonical(name)
		if c == "" {
			errs = append(errs, name)
			continue
		}
		f := NameField{Name: c, Width: defWidth}
		if hasSpec {
			f.Width = 0
			i := 0
			if i < len(spec) && spec[i] == '.' {
				f.Right = true
				i++
			}
			for i < len(spec) && spec[i] >= '0' && spec[i] <= '9' {
				f.Width = min(f.Width*10+int(spec[i]-'0'), MaxFieldWidth)
				i++
			}
			f.Suffix = spec[i:]
		}
		fields = append(fields, f)
	}
	return fields, errs
}

// CtimeString is the date line of squeue -l and sinfo -l.
func CtimeString(t time.Time) string { return t.Format("Mon Jan _2 15:04:05 2006") }
