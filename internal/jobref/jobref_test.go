package jobref

import (
	"errors"
	"reflect"
	"testing"
)

func TestNumber(t *testing.T) {
	for s, want := range map[string]bool{"0": true, "007": true, "4294967295": true, "4294967296": false, "": false, "+1": false, "-0": false, " 1": false, "1 ": false, "1e3": false} {
		if _, ok := Number(s, MaxJobID); ok != want {
			t.Errorf("Number(%q) ok = %v, want %v", s, ok, want)
		}
	}
}

func TestParseRange(t *testing.T) {
	for r, want := range map[string]Range{"3": {3, 3, 1}, "1-5": {1, 5, 1}, "2-9:3": {2, 9, 3}, "0-2147483646": {0, MaxTaskIndex, 1}} {
		if got, err := ParseRange(r); err != nil || got != want {
			t.Errorf("ParseRange(%q) = %+v, %v; want %+v", r, got, err, want)
		}
	}
	for r, want := range map[string]error{"": ErrRange, "5-1": ErrRange, "-1": ErrRange, "1-": ErrRange, "1-2147483647": ErrRange, "1:2": ErrStep, "1-5:0": ErrStep, "1-5:x": ErrStep} {
		if _, err := ParseRange(r); !errors.Is(err, want) {
			t.Errorf("ParseRange(%q) = %v, want %v", r, err, want)
		}
	}
}

func TestSplit(t *testing.T) {
	got, err := Split("1,2_[1,3],4")
	if want := []string{"1", "2_[1,3]", "4"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Split = %q, %v", got, err)
	}
	for s, msg := range map[string]string{"": "empty job list", "1_[[1]]": "nested '['", "1]": "']' without '['", "1_[1": "'[' without ']'"} {
		if _, err := Split(s); err == nil || err.Error() != msg {
			t.Errorf("Split(%q) = %v, want %q", s, err, msg)
		}
	}
	if got, want := Fields("1,2_[3,x]],4,5_[6"), []string{"1", "2_[3,x]]", "4", "5_[6"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Fields = %q, want %q", got, want)
	}
}
