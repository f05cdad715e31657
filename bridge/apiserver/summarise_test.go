package apiserver

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/bridge/api"
)

func TestTaskList(t *testing.T) {
	for _, c := range []struct {
		in   []int
		want string
	}{
		{[]int{0, 1, 2, 3}, "0-3"},
		{[]int{0, 2, 4, 6}, "0-6:2"},
		{[]int{0, 2, 3, 4}, "0,2-4"},
		{[]int{5, 9}, "5,9"},
		{[]int{5, 6}, "5-6"},
		{[]int{7, 3, 4}, "7,3-4"},
		{[]int{0, 3, 6, 1, 4, 7}, "0-6:3,1-7:3"},
	} {
		if got, ok := taskList(c.in); got != c.want || !ok {
			t.Errorf("taskList(%v) = %q %v, want %q", c.in, got, ok, c.want)
		}
	}
	// An irregular list is cut short.
	var odd []int
	for i := range 10000 {
		odd = append(odd, 3*i+i%2)
	}
	if got, ok := taskList(odd); ok || len(got) > maxTaskList+20 || !strings.HasSuffix(got, ",...") {
		t.Errorf("irregular list: %d bytes, complete %v", len(got), ok)
	}
}

func TestSummarise(t *testing.T) {
	e := func(ref, code string) api.RefError { return api.RefError{Ref: ref, Code: code, Message: code} }
	in := []api.RefError{e("5_0", "a"), e("5_1", "a"), e("5_2", "b"), e("5_3", "b"), e("6", "a"), e("5_4", "b"), e("", "c")}
	var got []string
	for _, re := range summarise(in) {
		got = append(got, re.Ref+" "+re.Code)
	}
	if want := []string{"5_[0-1] a", "5_[2-3] b", "6 a", "5_4 b", " c"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("summarise = %q, want %q", got, want)
	}
	var many []api.RefError
	for i := range 3 * api.MaxRefErrors {
		many = append(many, e(fmt.Sprint(i), "a"))
	}
	out := summarise(many)
	if len(out) != api.MaxRefErrors+1 || out[api.MaxRefErrors].Message != fmt.Sprintf("and %d more jobs failed (not listed)", 2*api.MaxRefErrors) {
		t.Errorf("%d entries, last %+v", len(out), out[len(out)-1])
	}
}
