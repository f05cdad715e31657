package slurm

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDurations(t *testing.T) {
	cases := []struct {
		secs        int64
		short, long string
	}{
		{0, "0:00", "00:00:00"},
		{6, "0:06", "00:00:06"},
		{59*60 + 59, "59:59", "00:59:59"},
		{3600, "1:00:00", "01:00:00"},
		{90 * 60, "1:30:00", "01:30:00"},
		{86400, "1-00:00:00", "1-00:00:00"},
		{86400 + 2*3600 + 4*60, "1-02:04:00", "1-02:04:00"},
		{400 * 86400, "400-00:00:00", "400-00:00:00"},
		{-1, "INVALID", "INVALID"},
	}
	for _, c := range cases {
		if got := DurationShort(c.secs); got != c.short {
			t.Errorf("durationShort(%d) = %q, want %q", c.secs, got, c.short)
		}
		if got := DurationLong(c.secs); got != c.long {
			t.Errorf("durationLong(%d) = %q, want %q", c.secs, got, c.long)
		}
	}
	if LimitShort(0) != "UNLIMITED" || LimitLong(0) != "UNLIMITED" || LimitShort(5) != "5:00" || LimitLong(5) != "00:05:00" {
		t.Error("time limits")
	}
}

// TestMemString checks the sizes Slurm 22.05 printed for --mem values
// (squeue %m, scontrol MinMemoryNode).
func TestMemString(t *testing.T) {
	cases := map[int64]string{
		0: "0", 100: "100M", 1000: "1000M", 1024: "1G", 1025: "1025M", 1280: "1280M", 1500: "1500M",
		1536: "1.50G", 2047: "2047M", 2048: "2G", 8192: "8G", 1048576: "1T", 1572864: "1.50T",
	}
	for mib, want := range cases {
		if got := MemString(mib); got != want {
			t.Errorf("memString(%d) = %q, want %q", mib, got, want)
		}
	}
}

func TestTimeFormat(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	ts := time.Date(2026, 11, 21, 9, 30, 5, 0, time.UTC)
	cases := []struct{ env, want string }{
		{"", "2026-11-21T09:30:05"},
		{"standard", "2026-11-21T09:30:05"},
		{"relative", "09:30:05"},
		{"%a %T", "Sat 09:30:05"},
		{"%Y/%m/%d %H:%M", "2026/11/21 09:30"},
	}
	for _, c := range cases {
		tf := NewTimeFormat([]string{"SLURM_TIME_FORMAT=" + c.env}, time.UTC, now)
		if got := tf.format(ts, "N/A"); got != c.want {
			t.Errorf("SLURM_TIME_FORMAT=%q: %q, want %q", c.env, got, c.want)
		}
	}
	tf := NewTimeFormat(nil, time.UTC, now)
	if tf.format(time.Time{}, "Unknown") != "Unknown" {
		t.Error("zero time")
	}
	rel := NewTimeFormat([]string{"SLURM_TIME_FORMAT=relative"}, time.UTC, now)
	for ts, want := range map[time.Time]string{
		now.Add(24 * time.Hour):        "Tomorr 12:00",
		now.Add(-24 * time.Hour):       "Ystday 12:00",
		now.Add(3 * 24 * time.Hour):    "Tue 12:00",
		now.Add(-40 * 24 * time.Hour):  "12 Oct 12:00",
		now.Add(-400 * 24 * time.Hour): "17 Oct 2025",
	} {
		if got := rel.format(ts, ""); got != want {
			t.Errorf("relative %v = %q, want %q", ts, got, want)
		}
	}
}

// TestCellRender checks squeue's width rules as Slurm 22.05 applies them
// (observed with %.2X, %2X and %X for each letter).
func TestCellRender(t *testing.T) {
	cases := []struct {
		c     Cell
		width int
		right bool
		want  string
	}{
		{Str("train"), 2, false, "tr"},
		{Str("train"), 2, true, "tr"},
		{Str("train"), 8, true, "   train"},
		{Str("train"), 8, false, "train   "},
		{Str("train"), 0, false, "train"},
		{Cell{Text: "1-02:04:00", Keep: true}, 2, true, "1-02:04:00"},
		{Cell{Text: "1-02:04:00", Keep: true}, 2, false, "1-"},
		{OrNull(""), 2, false, "  "},
		{OrNull(""), 2, true, "(n"},
		{OrNull(""), 8, false, "(null)  "},
		{Str("añejo"), 3, false, "añe"},
	}
	for _, c := range cases {
		if got := c.c.Render(c.width, c.right); got != c.want {
			t.Errorf("%+v width %d right %v: %q, want %q", c.c, c.width, c.right, got, c.want)
		}
	}
}

func TestParseLetterFormat(t *testing.T) {
	valid := func(c byte) bool { return c != 'Q' }
	cases := []struct {
		format string
		want   string // fields as literal:"..." or %[.]W letter +suffix
		errs   string
	}{
		{"%.18i %.9P %.8j", "%.18i+' ' %.9P+' ' %.8j+''", ""},
		{"x%iy", "lit'x' %0i+'y'", ""},
		{"%%i", "%0i+''", ""},
		{"%i%", "%0i+''", ""},
		{"%-5i|", "lit'%-5i|'", "-"},
		{"%3.5i|", "lit'%3.5i|'", "."},
		{"%05i|", "%5i+'|'", ""},
		{"%i %!", "%0i+' ' lit'%!'", "!"},
		{"%Q", "lit'%Q'", "Q"},
		{"a b", "lit'a b'", ""},
		{"%.i", "%.0i+''", ""},
		{"%5", "lit'%5'", "5"},
	}
	for _, c := range cases {
		fields, errs := ParseLetterFormat(c.format, valid)
		var parts []string
		for _, f := range fields {
			if f.Literal != "" {
				parts = append(parts, fmt.Sprintf("lit%q", f.Literal))
				continue
			}
			dot := ""
			if f.Right {
				dot = "."
			}
			parts = append(parts, fmt.Sprintf("%%%s%d%c+%q", dot, f.Width, f.Letter, f.Suffix))
		}
		got := strings.ReplaceAll(strings.Join(parts, " "), `"`, "'")
		if got != c.want || strings.Join(errs, ",") != c.errs {
			t.Errorf("%q: %s errs %v\nwant %s errs %s", c.format, got, errs, c.want, c.errs)
		}
	}
}
