package jobspec

import (
	"strings"
	"testing"
)

// parseScript parses a script with no command-line options or environment.
func parseScript(t *testing.T, script string) (*Spec, Diagnostics) {
	t.Helper()
	return Parse(Input{File: "job.sh", Script: []byte(script)})
}

func jobName(s *Spec) string {
	if s == nil || s.JobName == nil {
		return "<nil>"
	}
	return *s.JobName
}

func TestWholeFileChecks(t *testing.T) {
	tests := []struct {
		name, script string
		want         []string // diagnostics, one-line form
	}{
		{"empty", "", []string{"job.sh:1:1: error: batch script is empty"}},
		{"whitespace", "  \n\t\n", []string{"job.sh:1:1: error: batch script contains only whitespace"}},
		{"no shebang", "echo hi\n", []string{"job.sh:1:1: error: this does not look like a batch script"}},
		{"NUL", "#!/bin/sh\necho \x00\n", []string{"job.sh:2:6: error: the script contains a NUL character"}},
		{"DOS", "#!/bin/sh\r\n#SBATCH -J x\r\n", []string{"job.sh:1:10: error: batch script contains DOS line breaks"}},
		{"all at once", "echo\x00\r\n", []string{
			"job.sh:1:1: error: this does not look",
			"job.sh:1:5: error: the script contains a NUL",
			"job.sh:1:6: error: batch script contains DOS",
		}},
		{"shebang only", "#!/bin/bash\n", nil},
		{"shebang alone without newline", "#!", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, diags := parseScript(t, tt.script)
			if len(diags) != len(tt.want) {
				t.Fatalf("got %d diagnostics, want %d:\n%s", len(diags), len(tt.want), diags.Render())
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(diags[i].Error(), w) {
					t.Errorf("diagnostic %d = %q, want prefix %q", i, diags[i].Error(), w)
				}
			}
			if (spec == nil) != (len(tt.want) > 0) {
				t.Errorf("spec = %v with %d errors", spec, len(tt.want))
			}
		})
	}
}

func TestDirectiveScanning(t *testing.T) {
	tests := []struct {
		name     string
		body     string // after the shebang line
		wantName string
		ignored  []int // lines of ignored directives
		warnings int
	}{
		{"plain", "#SBATCH -J a\n", "a", nil, 0},
		{"no space after the word", "#SBATCH-Ja\n", "a", nil, 0},
		{"tab separator", "#SBATCH\t-J\ta\n", "a", nil, 0},
		{"last wins", "#SBATCH -J a\n#SBATCH --job-name=b\n", "b", nil, 0},
		{"space inside the word is a comment", "# SBATCH -J a\n", "job.sh", nil, 1},
		{"double hash is a comment", "##SBATCH -J a\n", "job.sh", nil, 1},
		{"indented is a comment", "  #SBATCH -J a\n", "job.sh", nil, 1},
		{"lower case is a comment", "#sbatch -J a\n", "job.sh", nil, 1},
		{"blank lines and comments keep the block open", "\n# hello\n   # indented comment\n\n#SBATCH -J a\n", "a", nil, 0},
		{"first command ends the block", "#SBATCH -J a\necho hi\n#SBATCH -J b\n#SBATCH -p x\n", "a", []int{4, 5}, 2},
		{"indented command ends the block", "   module load x\n#SBATCH -J b\n", "job.sh", []int{3}, 1},
		{"option argument on the next directive", "#SBATCH -J\n#SBATCH a\n", "a", nil, 0},
		{"PBS directive is warned about", "#PBS -N x\n", "job.sh", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, diags := parseScript(t, "#!/bin/bash\n"+tt.body)
			if spec == nil {
				t.Fatalf("rejected:\n%s", diags.Render())
			}
			if got := jobName(spec); got != tt.wantName {
				t.Errorf("job name = %q, want %q", got, tt.wantName)
			}
			var lines []int
			for _, ig := range spec.Ignored {
				lines = append(lines, ig.Line)
			}
			if !equalInts(lines, tt.ignored) {
				t.Errorf("ignored lines = %v, want %v", lines, tt.ignored)
			}
			if n := len(diags.Warnings()); n != tt.warnings {
				t.Errorf("%d warnings, want %d:\n%s", n, tt.warnings, diags.Render())
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTokenizing(t *testing.T) {
	tests := []struct {
		name, line string
		wantName   string
		wantErr    string // substring of the first error, "" for none
	}{
		{"double quotes group", `#SBATCH -J "a b"`, "a b", ""},
		{"single quotes group", `#SBATCH -J 'a b'`, "a b", ""},
		{"quotes join with neighbours", `#SBATCH -J "a"b"c d"`, "abc d", ""},
		{"backslash escapes a quote", `#SBATCH -J a\"b`, `a"b`, ""},
		{"backslash escapes a hash", `#SBATCH -J a\#b`, "a#b", ""},
		{"backslash cannot escape a space", `#SBATCH -J a\ b`, "", `invalid directive "b"`},
		{"trailing backslash is dropped", `#SBATCH -J a\`, "a", ""},
		{"hash starts a comment", `#SBATCH -J a # the name`, "a", ""},
		{"hash inside a word ends it", `#SBATCH -J a#b -p x`, "a", ""},
		{"quoted hash is kept", `#SBATCH -J "a#b"`, "a#b", ""},
		{"empty argument ends the line", `#SBATCH -J x "" -J y`, "x", ""},
		{"empty value for a required option", `#SBATCH -J ""`, "", "option -J requires an argument"},
		{"unmatched quote", `#SBATCH -J 'abc`, "", "unmatched '"},
		{"stray word", `#SBATCH -J a extra`, "", `invalid directive "extra"`},
		{"double dash ends options", `#SBATCH -J a -- -p x`, "", `invalid directive "-p"`},
		{"several options on one line", `#SBATCH -J a --comment=b -p c`, "a", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, diags := parseScript(t, "#!/bin/sh\n"+tt.line+"\n")
			if tt.wantErr == "" {
				if spec == nil {
					t.Fatalf("rejected:\n%s", diags.Render())
				}
				if got := jobName(spec); got != tt.wantName {
					t.Errorf("job name = %q, want %q", got, tt.wantName)
				}
				return
			}
			errs := diags.Errors()
			if len(errs) == 0 || !strings.Contains(errs[0].Msg, tt.wantErr) {
				t.Fatalf("errors = %v, want one containing %q", errs, tt.wantErr)
			}
		})
	}
}

func TestGetopt(t *testing.T) {
	tests := []struct {
		name     string
		line     string
		check    func(*Spec) bool
		wantErr  string
		wantDiag string // position of the first error
	}{
		{"long with =", "#SBATCH --job-name=a", func(s *Spec) bool { return jobName(s) == "a" }, "", ""},
		{"long with space", "#SBATCH --job-name a", func(s *Spec) bool { return jobName(s) == "a" }, "", ""},
		{"unique prefix", "#SBATCH --job=a --partit=p", func(s *Spec) bool { return jobName(s) == "a" && *s.Partition == "p" }, "", ""},
		{"short attached", "#SBATCH -Ja", func(s *Spec) bool { return jobName(s) == "a" }, "", ""},
		{"short with = keeps it", "#SBATCH -J=a", func(s *Spec) bool { return jobName(s) == "=a" }, "", ""},
		{"bundled flags", "#SBATCH -HQ", func(s *Spec) bool { return s.Hold && s.Quiet }, "", ""},
		{"bundled flag then argument", "#SBATCH -HJa", func(s *Spec) bool { return s.Hold && jobName(s) == "a" }, "", ""},
		{"repeated verbose", "#SBATCH -vvv", func(s *Spec) bool { return s.Verbose == 3 }, "", ""},
		{"optional argument needs =", "#SBATCH --no-kill off", nil, `invalid directive "off"`, "job.sh:2:19"},
		{"optional argument attached to short", "#SBATCH -koff", func(s *Spec) bool { return s.Other["no-kill"] == "off" }, "", ""},
		{"flag with a value", "#SBATCH --hold=yes", nil, "does not take an argument", "job.sh:2:9"},
		{"unknown with suggestion", "#SBATCH --job-nmae=x", nil, "unrecognized option --job-nmae (did you mean --job-name?)", "job.sh:2:9"},
		{"unknown short", "#SBATCH -r 1", nil, "invalid option -r", "job.sh:2:10"},
		{"ambiguous prefix", "#SBATCH --mem-per=1", nil, "option --mem-per is ambiguous; possibilities: --mem-per-cpu --mem-per-gpu", "job.sh:2:9"},
		{"missing argument", "#SBATCH --comment", nil, "option --comment requires an argument", "job.sh:2:9"},
		{"kept but not modelled", "#SBATCH --reservation=r --overcommit", func(s *Spec) bool {
			return s.Other["reservation"] == "r" && s.Other["overcommit"] == ""
		}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, diags := parseScript(t, "#!/bin/sh\n"+tt.line+"\n")
			if tt.wantErr == "" {
				if spec == nil {
					t.Fatalf("rejected:\n%s", diags.Render())
				}
				if !tt.check(spec) {
					t.Errorf("unexpected spec %+v", spec)
				}
				return
			}
			errs := diags.Errors()
			if len(errs) == 0 {
				t.Fatalf("accepted, want error %q", tt.wantErr)
			}
			if !strings.Contains(errs[0].Msg, tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", errs[0].Msg, tt.wantErr)
			}
			if got := errs[0].Pos.String(); got != tt.wantDiag {
				t.Errorf("error at %s, want %s", got, tt.wantDiag)
			}
		})
	}
}

func TestPrecedence(t *testing.T) {
	script := []byte("#!/bin/sh\n#SBATCH -J script -p script --comment script\n")
	tests := []struct {
		name          string
		args, env     []string
		wantName      string
		wantPartition string
	}{
		{"script only", nil, nil, "script", "script"},
		{"environment beats script", nil, []string{"SBATCH_JOB_NAME=env", "SBATCH_PARTITION=env"}, "env", "env"},
		{"command line beats environment", []string{"-J", "cli"}, []string{"SBATCH_JOB_NAME=env"}, "cli", "script"},
		{"last on the command line wins", []string{"-J", "a", "--job-name=b"}, nil, "b", "script"},
		{"other variables are ignored", nil, []string{"SBATCH_NOT_AN_OPTION=x", "JOB_NAME=x", "PATH=/bin"}, "script", "script"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, diags := Parse(Input{File: "job.sh", Script: script, Args: tt.args, Env: tt.env})
			if spec == nil {
				t.Fatalf("rejected:\n%s", diags.Render())
			}
			if jobName(spec) != tt.wantName || *spec.Partition != tt.wantPartition {
				t.Errorf("job name %q partition %q, want %q %q", jobName(spec), *spec.Partition, tt.wantName, tt.wantPartition)
			}
		})
	}
}

func TestSplitCommandLine(t *testing.T) {
	tests := []struct {
		argv       []string
		opts       []string
		script     string
		scriptArgs []string
	}{
		{[]string{"-J", "x", "job.sh", "-J", "arg"}, []string{"-J", "x"}, "job.sh", []string{"-J", "arg"}},
		{[]string{"--time=5", "--hold", "job.sh"}, []string{"--time=5", "--hold"}, "job.sh", []string{}},
		{[]string{"-N2", "--", "job.sh", "a"}, []string{"-N2"}, "job.sh", []string{"a"}},
		{[]string{"--wrap", "echo hi"}, []string{"--wrap", "echo hi"}, "", nil},
		{[]string{"--nice", "job.sh"}, []string{"--nice"}, "job.sh", []string{}},
	}
	for _, tt := range tests {
		opts, script, args := SplitCommandLine(tt.argv)
		if strings.Join(opts, "|") != strings.Join(tt.opts, "|") || script != tt.script || strings.Join(args, "|") != strings.Join(tt.scriptArgs, "|") {
			t.Errorf("SplitCommandLine(%q) = %q %q %q", tt.argv, opts, script, args)
		}
	}
}

func TestDiagnosticsCarryPositions(t *testing.T) {
	_, diags := Parse(Input{
		File:   "job.sh",
		Script: []byte("#!/bin/sh\n#SBATCH --bogus -J ok\n#SBATCH 'open\n"),
		Args:   []string{"--also-bogus"},
		Env:    []string{"SBATCH_WAIT_ALL_NODES=7"},
	})
	want := []string{
		"job.sh:2:9: error: unrecognized option --bogus",
		"job.sh:3:9: error: unmatched '",
		"<environment>:1:23: error: invalid --wait-all-nodes",
		"<command line>:1:8: error: unrecognized option --also-bogus",
	}
	if len(diags) != len(want) {
		t.Fatalf("got %d diagnostics, want %d:\n%s", len(diags), len(want), diags.Render())
	}
	for i, w := range want {
		if !strings.HasPrefix(diags[i].Error(), w) {
			t.Errorf("diagnostic %d = %q, want prefix %q", i, diags[i].Error(), w)
		}
	}
}

// TestDefaultJobName: the script's base name; "sbatch" for a script read
// from standard input and "wrap" for --wrap, as slurmctld names them
// (checked against Slurm 22.05 by bridge/e2e/runtimediff).
func TestDefaultJobName(t *testing.T) {
	for file, want := range map[string]string{"/home/a/run/job.sh": "job.sh", "": "sbatch"} {
		s, _ := Parse(Input{File: file, Script: []byte("#!/bin/sh\ntrue\n")})
		if got := jobName(s); got != want {
			t.Errorf("file %q: job name %q, want %q", file, got, want)
		}
	}
	s, _ := Parse(Input{Args: []string{"--wrap", "true"}})
	if got := jobName(s); got != "wrap" {
		t.Errorf("--wrap: job name %q, want wrap", got)
	}
}
