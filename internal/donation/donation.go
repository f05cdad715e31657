// Package donation parses and evaluates a node's donation windows: when its
// owner lends it to hpcbridge (e.g. "Sat-Sun", "Mon-Fri 19:00-07:00", in the
// node's local time). The task driver publishes them as a node attribute
// (Encode); the coordinator's leader reads it back (Decode) and, with its
// own clock, reclaims a node whose window closed and keeps jobs off it
// until one opens again.
package donation

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the leader evaluates any node's zone, whatever its own system has
)

// Bounds on what a node may declare.
const (
	// MaxWindows is how many windows one node may declare.
	MaxWindows = 32
	// MaxAttr bounds the attribute's length.
	MaxAttr = 1024
)

// Window is one "DAYS[ HH:MM-HH:MM]": the days it starts on and, unless
// it spans whole days, the minutes of the day it starts and ends at. An
// end before the start runs past midnight into the next day.
type Window struct {
	Days       [7]bool // by time.Weekday
	Start, End int     // minutes since midnight; both 0 for whole days
	Whole      bool
}

// Windows are a node's windows in its zone. No windows: always donated.
type Windows struct {
	List []Window
	Loc  *time.Location
	// Specs are the windows as written, Zone the zone's name (Encode).
	Specs []string
	Zone  string
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseWindow parses one window: DAYS is a day ("Sat"), a range ("Mon-Fri",
// "Fri-Mon" wraps over the week's end), a comma list of either, or "daily";
// the optional HH:MM-HH:MM is the time of day (24:00 may end it; an end
// before the start runs past midnight).
func ParseWindow(s string) (Window, error) {
	var w Window
	f := strings.Fields(s)
	if len(f) == 0 || len(f) > 2 {
		return w, fmt.Errorf("donation window %q: want DAYS or DAYS HH:MM-HH:MM (e.g. \"Sat-Sun\", \"Mon-Fri 19:00-07:00\")", s)
	}
	if err := parseDays(f[0], &w.Days); err != nil {
		return w, fmt.Errorf("donation window %q: %w", s, err)
	}
	if len(f) == 1 {
		w.Whole = true
		return w, nil
	}
	from, to, ok := strings.Cut(f[1], "-")
	if !ok {
		return w, fmt.Errorf("donation window %q: time %q: want HH:MM-HH:MM", s, f[1])
	}
	var err error
	if w.Start, err = parseClock(from, false); err != nil {
		return w, fmt.Errorf("donation window %q: %w", s, err)
	}
	if w.End, err = parseClock(to, true); err != nil {
		return w, fmt.Errorf("donation window %q: %w", s, err)
	}
	if w.Start == w.End {
		return w, fmt.Errorf("donation window %q: it starts and ends at the same time (leave the time out for whole days)", s)
	}
	return w, nil
}

func parseDays(s string, days *[7]bool) error {
	if strings.EqualFold(s, "daily") {
		*days = [7]bool{true, true, true, true, true, true, true}
		return nil
	}
	for part := range strings.SplitSeq(s, ",") {
		a, b, isRange := strings.Cut(part, "-")
		from, ok := dayNames[strings.ToLower(a)]
		if !ok {
			return fmt.Errorf("day %q: want Mon, Tue, Wed, Thu, Fri, Sat, Sun, a range such as Mon-Fri, or daily", a)
		}
		to := from
		if isRange {
			if to, ok = dayNames[strings.ToLower(b)]; !ok {
				return fmt.Errorf("day %q: want Mon, Tue, Wed, Thu, Fri, Sat or Sun", b)
			}
		}
		for d := from; ; d = (d + 1) % 7 {
			days[d] = true
			if d == to {
				break
			}
		}
	}
	return nil
}

// parseClock reads HH:MM as minutes since midnight; 24:00 only as an end.
func parseClock(s string, end bool) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(h) == 0 || len(h) > 2 || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && (mm != 0 || !end)) {
		return 0, fmt.Errorf("time %q: want HH:MM from 00:00 to 23:59 (24:00 may end a window)", s)
	}
	return hh*60 + mm, nil
}

// Parse parses a node's windows in zone (an IANA name such as
// "Europe/Berlin", or UTC±HH:MM; empty is UTC).
func Parse(specs []string, zone string) (*Windows, error) {
	if len(specs) > MaxWindows {
		return nil, fmt.Errorf("%d donation windows: at most %d", len(specs), MaxWindows)
	}
	loc, err := location(zone)
	if err != nil {
		return nil, err
	}
	ws := &Windows{Loc: loc, Zone: zone}
	for _, s := range specs {
		s = strings.Join(strings.Fields(s), " ")
		if strings.ContainsAny(s, ";=") {
			return nil, fmt.Errorf("donation window %q: ';' and '=' are not allowed", s)
		}
		w, err := ParseWindow(s)
		if err != nil {
			return nil, err
		}
		ws.List = append(ws.List, w)
		ws.Specs = append(ws.Specs, s)
	}
	if len(ws.Encode()) > MaxAttr {
		return nil, fmt.Errorf("donation windows: over %d bytes", MaxAttr)
	}
	return ws, nil
}

func location(zone string) (*time.Location, error) {
	if zone == "" || zone == "UTC" {
		return time.UTC, nil
	}
	if rest, ok := strings.CutPrefix(zone, "UTC"); ok && len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' {
		off, err := parseClock(rest[1:], false)
		if err != nil {
			return nil, fmt.Errorf("zone %q: %w", zone, err)
		}
		if rest[0] == '-' {
			off = -off
		}
		return time.FixedZone(zone, off*60), nil
	}
	if strings.ContainsAny(zone, " ;=") || len(zone) > 64 {
		return nil, fmt.Errorf("zone %q: want an IANA name such as Europe/Berlin, or UTC+HH:MM", zone)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("zone %q: %w", zone, err)
	}
	return loc, nil
}

// Open reports whether t falls in one of the windows (always, when there
// are none).
func (ws *Windows) Open(t time.Time) bool {
	if ws == nil || len(ws.List) == 0 {
		return true
	}
	t = t.In(ws.Loc)
	day, tod := t.Weekday(), t.Hour()*60+t.Minute()
	prev := (day + 6) % 7
	for _, w := range ws.List {
		switch {
		case w.Whole:
			if w.Days[day] {
				return true
			}
		case w.Start < w.End:
			if w.Days[day] && tod >= w.Start && tod < w.End {
				return true
			}
		default: // past midnight
			if (w.Days[day] && tod >= w.Start) || (w.Days[prev] && tod < w.End) {
				return true
			}
		}
	}
	return false
}

// zonePrefix marks the zone in the attribute.
const zonePrefix = "tz="

// Encode is the node attribute's value: the windows as written, then the
// zone, separated by ';' ("Sat-Sun;Mon-Fri 19:00-07:00;tz=Europe/Berlin").
// Empty when there are no windows.
func (ws *Windows) Encode() string {
	if ws == nil || len(ws.Specs) == 0 {
		return ""
	}
	zone := ws.Zone
	if zone == "" {
		zone = "UTC"
	}
	return strings.Join(ws.Specs, ";") + ";" + zonePrefix + zone
}

// ErrNone is Decode's answer for an empty attribute: the node declares no
// windows (always donated).
var ErrNone = errors.New("no donation windows")

// Decode reads an attribute Encode wrote.
func Decode(attr string) (*Windows, error) {
	if attr == "" {
		return nil, ErrNone
	}
	if len(attr) > MaxAttr {
		return nil, fmt.Errorf("donation windows attribute of %d bytes: at most %d", len(attr), MaxAttr)
	}
	parts := strings.Split(attr, ";")
	zone := ""
	if last := parts[len(parts)-1]; strings.HasPrefix(last, zonePrefix) {
		zone, parts = strings.TrimPrefix(last, zonePrefix), parts[:len(parts)-1]
	}
	return Parse(parts, zone)
}

// LocalZone is this machine's zone name, as Parse takes it: $TZ when it
// names a zone, else the name /etc/localtime links to, else the current
// UTC offset (which then does not follow daylight saving).
func LocalZone(tz string, localtimeLink string, now time.Time) string {
	tz = strings.TrimPrefix(tz, ":")
	if tz != "" {
		if _, err := location(tz); err == nil {
			return tz
		}
	}
	if _, name, ok := strings.Cut(localtimeLink, "zoneinfo/"); ok {
		if _, err := location(name); err == nil {
			return name
		}
	}
	_, off := now.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("UTC%c%02d:%02d", sign, off/3600, off/60%60)
}
