package api

import (
	"errors"
	"fmt"
	"math/big"
	"testing"
)

func TestParseTokens(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"1", "1000000000000000000"},
		{"0.6", "600000000000000000"},
		{".5", "500000000000000000"},
		{"0.01", "10000000000000000"},
		{"0", "0"},
		{"0.000000000000000001", "1"},
		{"123456789012345678901234567890.123456789012345678", "123456789012345678901234567890123456789012345678"},
		{"007", "7000000000000000000"},
	} {
		got, err := ParseTokens(tc.in)
		if err != nil || got.String() != tc.want {
			t.Errorf("ParseTokens(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", ".", "1.", "-1", "+1", "1e18", "1,5", "1.5.5", " 1", "0x10", "1.0000000000000000001", "NaN", "Inf", "1_000",
		"1" + string(make([]byte, 100))} {
		if got, err := ParseTokens(in); !errors.Is(err, ErrBadAmount) {
			t.Errorf("ParseTokens(%q) = %v, %v; want ErrBadAmount", in, got, err)
		}
	}
}

func TestFormatTokens(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0", "0"}, {"1", "0.000000000000000001"}, {"1000000000000000000", "1"}, {"1500000000000000000", "1.5"},
		{"10000000000000000", "0.01"}, {"-2500000000000000000", "-2.5"}, {"123000000000000000000", "123"},
	} {
		n, _ := new(big.Int).SetString(tc.in, 10)
		if got := FormatTokens(n); got != tc.want {
			t.Errorf("FormatTokens(%s) = %q, want %q", tc.in, got, tc.want)
		}
		if got := FormatTokenString(tc.in); got != tc.want {
			t.Errorf("FormatTokenString(%s) = %q, want %q", tc.in, got, tc.want)
		}
		if tc.in[0] != '-' {
			back, err := ParseTokens(tc.want)
			if err != nil || back.String() != tc.in {
				t.Errorf("ParseTokens(FormatTokens(%s)) = %v, %v", tc.in, back, err)
			}
		}
	}
	if got := FormatTokens(nil); got != "0" {
		t.Errorf("FormatTokens(nil) = %q", got)
	}
	if got := FormatTokenString(""); got != "0" {
		t.Errorf("FormatTokenString(\"\") = %q", got)
	}
}

func FuzzParseTokens(f *testing.F) {
	for _, s := range []string{"1", "0.6", ".5", "1e18", "-1", "0.000000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseTokens(s)
		if err != nil {
			return
		}
		if n.Sign() < 0 {
			t.Fatalf("ParseTokens(%q) = %v < 0", s, n)
		}
		back, err := ParseTokens(FormatTokens(n))
		if err != nil || back.Cmp(n) != 0 {
			t.Fatalf("round trip of %q: %v, %v", s, back, err)
		}
	})
}

// Token amounts are parsed and written exactly: 0.6 token is 6×10^17
// base units, never a float's 0.59999....
func ExampleParseTokens() {
	units, err := ParseTokens("0.6")
	if err != nil {
		panic(err)
	}
	fmt.Println(units)
	fmt.Println(FormatTokens(units.Mul(units, big.NewInt(3))))
	// Output:
	// 600000000000000000
	// 1.8
}
