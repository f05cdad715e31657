package jobspec_test

// The "slurm" fields record what real Slurm 22.05.8 said for each case;
// see values_test.go.

import (
	"reflect"
	"testing"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

type signalCase struct {
	in        string
	name      string
	num, secs int
	b, r      bool
	bad       bool
	slurm     string
}

func TestParseSignal(t *testing.T) {
	tests := []signalCase{
		{in: "USR1", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "SIGUSR1", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "usr1", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "sigusr1", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "SigUsr1", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "SIGusr1", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "SIGKILL", name: "KILL", num: 9, secs: 60, slurm: "signal=KILL"},
		{in: "10", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "010", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "+10", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: " 10", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "10 ", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "USR1 ", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: " USR1", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "1", name: "HUP", num: 1, secs: 60, slurm: "signal=HUP"},
		{in: "2", name: "INT", num: 2, secs: 60, slurm: "signal=INT"},
		{in: "3", name: "QUIT", num: 3, secs: 60, slurm: "signal=QUIT"},
		{in: "6", name: "ABRT", num: 6, secs: 60, slurm: "signal=ABRT"},
		{in: "12", name: "USR2", num: 12, secs: 60, slurm: "signal=USR2"},
		{in: "13", name: "13", num: 13, secs: 60, slurm: "signal=13 (PIPE is not a name sbatch knows)"},
		{in: "14", name: "ALRM", num: 14, secs: 60, slurm: "signal=ALRM"},
		{in: "15", name: "TERM", num: 15, secs: 60, slurm: "signal=TERM"},
		{in: "17", name: "17", num: 17, secs: 60, slurm: "signal=17"},
		{in: "18", name: "CONT", num: 18, secs: 60, slurm: "signal=CONT"},
		{in: "19", name: "STOP", num: 19, secs: 60, slurm: "signal=STOP"},
		{in: "20", name: "TSTP", num: 20, secs: 60, slurm: "signal=TSTP"},
		{in: "21", name: "TTIN", num: 21, secs: 60, slurm: "signal=TTIN"},
		{in: "22", name: "TTOU", num: 22, secs: 60, slurm: "signal=TTOU"},
		{in: "23", name: "URG", num: 23, secs: 60, slurm: "signal=URG"},
		{in: "24", name: "XCPU", num: 24, secs: 60, slurm: "signal=XCPU"},
		{in: "25", name: "25", num: 25, secs: 60, slurm: "signal=25"},
		{in: "64", name: "64", num: 64, secs: 60, slurm: "signal=64"},
		{in: "99", name: "99", num: 99, secs: 60, slurm: "signal=99"},
		{in: "65535", name: "65535", num: 65535, secs: 60, slurm: "signal=65535"},
		{in: "65537", name: "HUP", num: 1, secs: 60, slurm: "signal=HUP (16 bits)"},
		{in: "131082", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "4294967306", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "99999999999", name: "59391", num: 59391, secs: 60, slurm: "signal=59391"},
		{in: "-1", name: "65535", num: 65535, secs: 60, slurm: "signal=65535"},
		{in: "-10", name: "65526", num: 65526, secs: 60, slurm: "signal=65526"},
		{in: "TERM", name: "TERM", num: 15, secs: 60, slurm: "signal=TERM"},
		{in: "KILL", name: "KILL", num: 9, secs: 60, slurm: "signal=KILL"},
		{in: "HUP", name: "HUP", num: 1, secs: 60, slurm: "signal=HUP"},
		{in: "INT", name: "INT", num: 2, secs: 60, slurm: "signal=INT"},
		{in: "QUIT", name: "QUIT", num: 3, secs: 60, slurm: "signal=QUIT"},
		{in: "CONT", name: "CONT", num: 18, secs: 60, slurm: "signal=CONT"},
		{in: "STOP", name: "STOP", num: 19, secs: 60, slurm: "signal=STOP"},
		{in: "TSTP", name: "TSTP", num: 20, secs: 60, slurm: "signal=TSTP"},
		{in: "USR2", name: "USR2", num: 12, secs: 60, slurm: "signal=USR2"},
		{in: "ALRM", name: "ALRM", num: 14, secs: 60, slurm: "signal=ALRM"},
		{in: "URG", name: "URG", num: 23, secs: 60, slurm: "signal=URG"},
		{in: "XCPU", name: "XCPU", num: 24, secs: 60, slurm: "signal=XCPU"},
		{in: "ABRT", name: "ABRT", num: 6, secs: 60, slurm: "signal=ABRT"},
		{in: "TTIN", name: "TTIN", num: 21, secs: 60, slurm: "signal=TTIN"},
		{in: "TTOU", name: "TTOU", num: 22, secs: 60, slurm: "signal=TTOU"},
		{in: "B:USR1", name: "USR1", num: 10, secs: 60, b: true, slurm: "signal=B:USR1"},
		{in: "b:USR1", name: "USR1", num: 10, secs: 60, b: true, slurm: "signal=B:USR1"},
		{in: "R:USR1", name: "USR1", num: 10, secs: 60, r: true, slurm: "signal=R:USR1"},
		{in: "r:usr1", name: "USR1", num: 10, secs: 60, r: true, slurm: "signal=R:USR1"},
		{in: "RB:USR1", name: "USR1", num: 10, secs: 60, b: true, r: true, slurm: "signal=RB:USR1"},
		{in: "BR:USR1", name: "USR1", num: 10, secs: 60, b: true, r: true, slurm: "signal=RB:USR1"},
		{in: "rb:usr1", name: "USR1", num: 10, secs: 60, b: true, r: true, slurm: "signal=RB:USR1"},
		{in: "Rb:1", name: "HUP", num: 1, secs: 60, b: true, r: true, slurm: "signal=RB:HUP"},
		{in: "RR:USR1", name: "USR1", num: 10, secs: 60, r: true, slurm: "signal=R:USR1"},
		{in: "RBR:USR1", name: "USR1", num: 10, secs: 60, b: true, r: true, slurm: "signal=RB:USR1"},
		{in: ":USR1", name: "USR1", num: 10, secs: 60, slurm: "signal=USR1"},
		{in: "B: USR1", name: "USR1", num: 10, secs: 60, b: true, slurm: "signal=B:USR1"},
		{in: "USR1@120", name: "USR1", num: 10, secs: 120, slurm: "signal=USR1@120"},
		{in: "B:USR1@120", name: "USR1", num: 10, secs: 120, b: true, slurm: "signal=B:USR1@120"},
		{in: "B:10@5", name: "USR1", num: 10, secs: 5, b: true, slurm: "signal=B:USR1@5"},
		{in: "10@5", name: "USR1", num: 10, secs: 5, slurm: "signal=USR1@5"},
		{in: "R:1@5", name: "HUP", num: 1, secs: 5, r: true, slurm: "signal=R:HUP@5"},
		{in: "USR1@0", name: "USR1", num: 10, secs: 0, slurm: "signal=USR1@0"},
		{in: "USR1@", name: "USR1", num: 10, secs: 0, slurm: "signal=USR1@0"},
		{in: "USR1@65535", name: "USR1", num: 10, secs: 65535, slurm: "signal=USR1@65535"},
		{in: "USR1@+5", name: "USR1", num: 10, secs: 5, slurm: "signal=USR1@5"},
		{in: "USR1@ 5", name: "USR1", num: 10, secs: 5, slurm: "signal=USR1@5"},
		{in: "USR1@05", name: "USR1", num: 10, secs: 5, slurm: "signal=USR1@5"},
		{in: "USR1 @5", name: "USR1", num: 10, secs: 5, slurm: "signal=USR1@5"},
		{in: "R6", name: "ABRT", num: 6, secs: 60, r: true, slurm: "signal=R:ABRT (no ':' needed)"},
		{in: "B95", name: "95", num: 95, secs: 60, b: true, slurm: "signal=B:95"},
		{in: "rTERM", name: "TERM", num: 15, secs: 60, r: true, slurm: "signal=R:TERM"},
		{in: "r usr1", name: "USR1", num: 10, secs: 60, r: true, slurm: "signal=R:USR1"},
		{in: "RBusr1", name: "USR1", num: 10, secs: 60, b: true, r: true, slurm: "signal=RB:USR1"},
		{in: "RKILL", name: "KILL", num: 9, secs: 60, r: true, slurm: "signal=R:KILL"},
		{in: "r655366", name: "ABRT", num: 6, secs: 60, r: true, slurm: "signal=R:ABRT"},
		{in: "B-1@", name: "65535", num: 65535, secs: 0, b: true, slurm: "signal=B:65535@0"},
	}
	for _, in := range []string{
		"USR1@-1", "USR1@65536", "USR1@99999", "USR1@4294967296", "USR1@4294967306", "@60", "B:", "B:@5",
		"FOO", "0", "65536", "2147483648", "RTMIN", "SIGRTMIN", "PIPE", "CHLD", "IO", "POLL", "WINCH", "PWR",
		"SYS", "SEGV", "BUS", "FPE", "ILL", "TRAP", "PROF", "VTALRM", "XFSZ", "STKFLT", "IOT", "CLD", "EMT",
		"SIG", "0x10", "USR1@1x", "USR1@5 ", "USR1@@5", "B:USR1@5@6", "X:USR1", "BB:USR1", "bB:1", "BRB:1",
		"RBB:1", "RRR:1", "RRRR:1", "BRR:1", "RRB:1", "RRRB:1", "B:R:USR1", "B:B:USR1", "Bx:USR1",
		"B :USR1", " B:USR1", "USR1:5", "US R1", "sig usr1", "SIG USR1", "-USR1", "- 10", "+ 10", "1 0",
		"10x", "1-0", "",
	} {
		tests = append(tests, signalCase{in: in, bad: true, slurm: "Invalid --signal specification"})
	}
	for _, tt := range tests {
		got, err := jobspec.ParseSignal(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseSignal(%q) = %+v, want an error (slurm: %s)", tt.in, got, tt.slurm)
			}
			continue
		}
		want := &jobspec.Signal{Signal: tt.name, Number: tt.num, Seconds: tt.secs, BatchOnly: tt.b, Reservation: tt.r}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseSignal(%q) = %+v, %v; want %+v (slurm: %s)", tt.in, got, err, want, tt.slurm)
		}
	}
}
