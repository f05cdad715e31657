package jobspec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file holds the JSON forms of the value types and their String
// methods. Each String method renders a value as an sbatch option argument
// that the matching Parse function reads back to an equal value, which is
// what Format relies on.

// beginLayout is the form Begin takes in JSON and in String; sbatch --begin
// accepts it (YYYY-MM-DDTHH:MM:SS).
const beginLayout = "2006-01-02T15:04:05"

// unlimitedText is how Slurm prints an infinite time limit.
const unlimitedText = "UNLIMITED"

// jsonNull reports whether data is the JSON literal null.
func jsonNull(data []byte) bool {
	return string(bytes.TrimSpace(data)) == "null"
}

// String renders the limit as an sbatch --time argument: whole minutes, or
// UNLIMITED. Minute counts above 35791393 cannot be written in any form
// sbatch reads back unchanged (Slurm's 32-bit seconds arithmetic overflows;
// such limits only come from that overflow) and are rendered as plain
// minutes all the same.
func (t TimeLimit) String() string {
	if t.Unlimited {
		return unlimitedText
	}
	return strconv.Itoa(t.Minutes)
}

// MarshalJSON encodes the limit as its number of minutes, or as the string
// "UNLIMITED".
func (t TimeLimit) MarshalJSON() ([]byte, error) {
	if t.Unlimited {
		return json.Marshal(unlimitedText)
	}
	return json.Marshal(t.Minutes)
}

// UnmarshalJSON accepts a whole number of minutes (0 meaning unlimited, as
// in Slurm) or a string that ParseTime accepts, such as "UNLIMITED" or
// "1-00:00:00".
func (t *TimeLimit) UnmarshalJSON(data []byte) error {
	if jsonNull(data) {
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		v, err := ParseTime(s)
		if err != nil {
			return fmt.Errorf("time limit: %w", err)
		}
		*t = v
		return nil
	}
	var n int64
	if err := json.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("time limit: want a number of minutes or %q: %w", unlimitedText, err)
	}
	if n < 0 || n > maxUint32 {
		return fmt.Errorf("time limit: %d minutes is out of range", n)
	}
	*t = timeLimitFromMinutes(uint32(n))
	return nil
}

// String renders the mode as the --exclusive argument: "" for the bare
// flag, otherwise the mode.
func (e Exclusive) String() string { return e.Mode }

// MarshalJSON encodes the bare flag as true and a mode as its name.
func (e Exclusive) MarshalJSON() ([]byte, error) {
	if e.Mode == "" {
		return []byte("true"), nil
	}
	return json.Marshal(e.Mode)
}

// UnmarshalJSON accepts true (the bare flag) or one of the mode names
// "user", "mcs" and "topo".
func (e *Exclusive) UnmarshalJSON(data []byte) error {
	if jsonNull(data) {
		return nil
	}
	var b bool
	if err := json.Unmarshal(data, &b); err == nil {
		if !b {
			return fmt.Errorf("exclusive: false cannot be represented; omit the field instead")
		}
		*e = Exclusive{}
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("exclusive: want true or a mode name: %w", err)
	}
	switch s {
	case "user", "mcs", "topo":
		*e = Exclusive{Mode: s}
		return nil
	}
	return fmt.Errorf("exclusive: unknown mode %q: use user, mcs or topo", s)
}

// String renders the resolved start time as an absolute --begin argument
// (YYYY-MM-DDTHH:MM:SS in At's location). Raw is not used: a relative form
// such as "now+1hour" would mean another time when read again.
func (b Begin) String() string { return b.At.Format(beginLayout) }

// MarshalJSON encodes the resolved start time as "YYYY-MM-DDTHH:MM:SS" in
// At's location.
func (b Begin) MarshalJSON() ([]byte, error) {
	return json.Marshal(b.At.Format(beginLayout))
}

// UnmarshalJSON reads "YYYY-MM-DDTHH:MM:SS" in the local time zone, the
// zone sbatch itself reads --begin in; Raw becomes that string.
func (b *Begin) UnmarshalJSON(data []byte) error {
	if jsonNull(data) {
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("begin: want a string: %w", err)
	}
	at, err := time.ParseInLocation(beginLayout, s, time.Local)
	if err != nil {
		return fmt.Errorf("begin: want YYYY-MM-DDTHH:MM:SS: %w", err)
	}
	*b = Begin{At: at, Raw: s}
	return nil
}

// String returns the expression as written.
func (d Dependency) String() string { return d.Raw }

// MarshalJSON encodes the expression as written.
func (d Dependency) MarshalJSON() ([]byte, error) { return json.Marshal(d.Raw) }

// UnmarshalJSON parses the string with ParseDependency.
func (d *Dependency) UnmarshalJSON(data []byte) error {
	if jsonNull(data) {
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("dependency: want a string: %w", err)
	}
	v, err := ParseDependency(s)
	if err != nil {
		return fmt.Errorf("dependency: %w", err)
	}
	*d = *v
	return nil
}

// String renders the signal as a --signal argument, e.g. "B:USR1@120". The
// "@60" of the default is left out, as sbatch -v prints it.
func (s Signal) String() string {
	var b strings.Builder
	switch {
	case s.Reservation && s.BatchOnly:
		b.WriteString("RB:")
	case s.Reservation:
		b.WriteString("R:")
	case s.BatchOnly:
		b.WriteString("B:")
	}
	b.WriteString(s.Signal)
	if s.Seconds != defaultSignalSeconds {
		b.WriteString("@")
		b.WriteString(strconv.Itoa(s.Seconds))
	}
	return b.String()
}

// String returns the index expression as Slurm prints it (Spec).
func (a Array) String() string { return a.Spec }
