package donation

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseWindowErrors(t *testing.T) {
	for _, s := range []string{
		"", "Sat-Sun 19:00-07:00 extra", "Funday", "Mon-Xyz", "Mon 19:00", "Mon 19:00-", "Mon 25:00-07:00",
		"Mon 19:60-07:00", "Mon 24:00-07:00", "Mon 24:01", "Mon 19:00-19:00", "Mon 7:0-8:00", "Mon -1:00-02:00",
		"Mon,,Tue",
	} {
		if _, err := ParseWindow(s); err == nil {
			t.Errorf("ParseWindow(%q): no error", s)
		}
	}
	if _, err := Parse(make([]string, MaxWindows+1), ""); err == nil {
		t.Error("too many windows: no error")
	}
	for _, z := range []string{"Mars/Olympus", "UTC+25:00", "a b", "Europe/Berlin;x"} {
		if _, err := Parse([]string{"Sat"}, z); err == nil {
			t.Errorf("zone %q: no error", z)
		}
	}
	if _, err := Parse([]string{"Sat;tz=UTC"}, ""); err == nil {
		t.Error("a window with ';': no error")
	}
}

func TestOpen(t *testing.T) {
	// 2026-12-05 is a Saturday.
	at := func(day int, hh, mm int) time.Time { return time.Date(2026, 11, 30+day, hh, mm, 0, 0, time.UTC) } // day 0 = Mon 30 Nov
	for _, tc := range []struct {
		specs []string
		t     time.Time
		open  bool
	}{
		{nil, at(0, 12, 0), true},
		{[]string{"Sat-Sun"}, at(5, 0, 0), true},
		{[]string{"Sat-Sun"}, at(6, 23, 59), true},
		{[]string{"Sat-Sun"}, at(4, 23, 59), false},
		{[]string{"Sat-Sun"}, at(7, 0, 0), false}, // Monday
		{[]string{"Mon-Fri 19:00-07:00"}, at(0, 19, 0), true},
		{[]string{"Mon-Fri 19:00-07:00"}, at(0, 18, 59), false},
		{[]string{"Mon-Fri 19:00-07:00"}, at(1, 6, 59), true}, // Tue morning, from Monday night
		{[]string{"Mon-Fri 19:00-07:00"}, at(1, 7, 0), false},
		{[]string{"Mon-Fri 19:00-07:00"}, at(5, 6, 0), true},  // Sat morning, from Friday night
		{[]string{"Mon-Fri 19:00-07:00"}, at(0, 6, 0), false}, // Mon morning: Sunday night is not listed
		{[]string{"Mon-Fri 19:00-07:00"}, at(5, 20, 0), false},
		{[]string{"Sat-Sun", "Mon-Fri 19:00-07:00"}, at(5, 20, 0), true},
		{[]string{"Sat-Sun", "Mon-Fri 19:00-07:00"}, at(2, 12, 0), false},
		{[]string{"Fri-Mon"}, at(0, 12, 0), true},
		{[]string{"Fri-Mon"}, at(1, 12, 0), false},
		{[]string{"Mon,Wed 09:00-17:00"}, at(2, 16, 59), true},
		{[]string{"Mon,Wed 09:00-17:00"}, at(2, 17, 0), false},
		{[]string{"daily 22:00-24:00"}, at(3, 23, 30), true},
		{[]string{"daily 22:00-24:00"}, at(4, 0, 0), false},
	} {
		ws, err := Parse(tc.specs, "")
		if err != nil {
			t.Fatalf("%q: %v", tc.specs, err)
		}
		if got := ws.Open(tc.t); got != tc.open {
			t.Errorf("%q at %s: open %v, want %v", tc.specs, tc.t.Format("Mon 15:04"), got, tc.open)
		}
	}
}

// TestOpenInZone: the node's local time decides, not the leader's.
func TestOpenInZone(t *testing.T) {
	ws, err := Parse([]string{"Mon-Fri 19:00-07:00"}, "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	// Monday 18:30 UTC is 19:30 in Berlin (CET, UTC+1): open.
	if !ws.Open(time.Date(2026, 11, 30, 18, 30, 0, 0, time.UTC)) {
		t.Error("Mon 19:30 Berlin: closed, want open")
	}
	if ws.Open(time.Date(2026, 11, 30, 17, 30, 0, 0, time.UTC)) {
		t.Error("Mon 18:30 Berlin: open, want closed")
	}
	fixed, err := Parse([]string{"Sat"}, "UTC-05:00")
	if err != nil {
		t.Fatal(err)
	}
	// Sunday 03:00 UTC is Saturday 22:00 at UTC-5.
	if !fixed.Open(time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)) {
		t.Error("Sat 22:00 at UTC-5: closed, want open")
	}
}

func TestEncodeDecode(t *testing.T) {
	ws, err := Parse([]string{"Sat-Sun", "  Mon-Fri   19:00-07:00 "}, "Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	attr := ws.Encode()
	if attr != "Sat-Sun;Mon-Fri 19:00-07:00;tz=Europe/Berlin" {
		t.Fatalf("Encode = %q", attr)
	}
	back, err := Decode(attr)
	if err != nil {
		t.Fatal(err)
	}
	if back.Encode() != attr || back.Loc.String() != "Europe/Berlin" || len(back.List) != 2 {
		t.Fatalf("Decode(%q) = %+v", attr, back)
	}
	if _, err := Decode(""); !errors.Is(err, ErrNone) {
		t.Fatalf("Decode(\"\") = %v, want ErrNone", err)
	}
	if _, err := Decode(strings.Repeat("Sat;", MaxAttr)); err == nil {
		t.Fatal("an attribute over MaxAttr: no error")
	}
	if none, _ := Parse(nil, "Europe/Berlin"); none.Encode() != "" {
		t.Fatalf("no windows encode as %q, want empty", none.Encode())
	}
}

func TestLocalZone(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.FixedZone("X", -(3*3600+30*60)))
	for _, tc := range []struct{ tz, link, want string }{
		{"Europe/Berlin", "", "Europe/Berlin"},
		{":Asia/Tokyo", "", "Asia/Tokyo"},
		{"", "/usr/share/zoneinfo/America/New_York", "America/New_York"},
		{"Nowhere/Else", "/etc/weird", "UTC-03:30"},
	} {
		if got := LocalZone(tc.tz, tc.link, now); got != tc.want {
			t.Errorf("LocalZone(%q, %q) = %q, want %q", tc.tz, tc.link, got, tc.want)
		}
	}
	if _, err := Parse([]string{"Sat"}, LocalZone("", "", now)); err != nil {
		t.Errorf("the offset zone does not parse: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{"Sat-Sun;Mon-Fri 19:00-07:00;tz=Europe/Berlin", "daily 22:00-24:00;tz=UTC+01:00", "Fri-Mon", "Mon,Wed 09:00-17:00;tz=UTC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, attr string) {
		ws, err := Decode(attr)
		if err != nil {
			return
		}
		ws.Open(time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC))
		if len(ws.List) == 0 {
			return // "tz=X" alone: no windows, encoded as nothing
		}
		again, err := Decode(ws.Encode())
		if err != nil || again.Encode() != ws.Encode() {
			t.Fatalf("Decode(Encode(%q)) = %v, %v", attr, again, err)
		}
	})
}
