package runtimediff

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// scenarioFile is the name of a scenario's command file in its directory.
const scenarioFile = "scenario"

// defaultEnvVars are the variables outside Slurm's own that every recorded
// environment (*.env) is compared on, besides every SLURM_* variable.
var defaultEnvVars = []string{"HOSTNAME", "HOME", "USER", "LOGNAME", "PWD", "TMPDIR", "SHELL", "SLURM_GET_USER_ENV"}

// scenario is one directory of testdata.
type scenario struct {
	name string
	dir  string
	// needs names the work another change must land for the scenario to
	// pass ("" when it needs none); a failure says so.
	needs string
	steps []step
	// envVars are the non-Slurm variables compared in *.env files.
	envVars []string
	// ignore drops matching lines from output files on both sides.
	ignore []*regexp.Regexp
	// known maps a difference key to the reason it is expected
	// (docs/runtime-differences.md).
	known map[string]string
	// inputs are the scenario's own files (paths relative to its
	// directory), copied into the work dir and not compared.
	inputs []string
	// user is who runs the scenario's commands: "" for the test's own
	// user (root), userLogin for the test's login user.
	user string
	// expectEnv are what recorded environments must hold on each side.
	expectEnv []expectation
}

// expectation is one expect-env line: every recorded environment whose
// path matches files (a filepath.Match pattern over the path with job ids
// as {NAME}) holds each NAME=VALUE of vars, and one at least matches.
type expectation struct {
	files string
	vars  []string
}

// step is one command line of a scenario.
type step struct {
	line int
	verb string
	args []string
}

// parseScenario reads a scenario directory. The scenario file holds one
// command per line (# starts a comment; words are split as a shell would,
// with '...' and "..." quoting):
//
//	needs WHO: WHAT          another change this scenario waits for
//	env NAME=VALUE           the submitter's environment for what follows
//	umask MODE               the submitter's umask (octal) for what follows
//	stdin FILE               the next sbatch reads its standard input from FILE
//	sbatch NAME ARGS...      sbatch --parsable ARGS; NAME names the job
//	sbatch-wait NAME ARGS... sbatch --wait ARGS; its exit status is compared
//	await-file FILE          wait until FILE exists in the work dir
//	await-state NAME STATE   wait until every record of NAME is in STATE
//	scancel ARGS...          scancel ARGS
//	scontrol ARGS...         scontrol ARGS (requeue, hold, release, ...)
//	envvars NAMES...         non-Slurm variables to compare in *.env files
//	ignore REGEXP            drop matching lines of output files
//	known KEY -- REASON      an expected difference (KEY as a failure prints it)
//	user login               run every command as the test's login user
//	expect-env FILES NAME=VALUE...  each run recorded an environment in a file matching
//	                         FILES (a pattern, job ids as {NAME}), and each has NAME=VALUE
//
// A scenario whose jobs run the user's login shell (--export other than
// ALL, --get-user-env) must say `user login`: its commands then run as a
// local user that the test creates, with a bash login shell and a profile
// of the test's (loginProfile: it sets PATH and FROM_PROFILE=1), in its own
// environment and a work dir it owns, so that the login shells of both
// clusters' jobs read that profile and not root's, whose time and effects
// are the host's. `expect-env FROM_PROFILE=1` then checks that the profile
// ran on both sides (a variable missing on both would not differ).
// A scenario without it that would run a login shell is refused
// (runsLoginShell).
//
// In sbatch, scancel and scontrol arguments, {NAME} is the job id of NAME on the
// cluster that runs the command, and {WORKDIR} the run's work dir. At the end, every job must have ended.
func parseScenario(dir string) (*scenario, error) {
	b, err := os.ReadFile(filepath.Join(dir, scenarioFile))
	if err != nil {
		return nil, err
	}
	sc := &scenario{name: filepath.Base(dir), dir: dir, envVars: defaultEnvVars, known: map[string]string{}}
	file := filepath.Join(dir, scenarioFile)
	for i, raw := range strings.Split(string(b), "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pos := fmt.Sprintf("%s:%d:1", file, i+1)
		if verb, rest, _ := strings.Cut(line, " "); verb == "known" {
			key, reason, ok := strings.Cut(rest, " -- ")
			if !ok || strings.TrimSpace(key) == "" || strings.TrimSpace(reason) == "" {
				return nil, fmt.Errorf("%s: known needs KEY -- REASON", pos)
			}
			sc.known[strings.TrimSpace(key)] = strings.TrimSpace(reason)
			continue
		} else if verb == "needs" {
			sc.needs = strings.TrimSpace(rest)
			continue
		} else if verb == "user" {
			if strings.TrimSpace(rest) != userLogin {
				return nil, fmt.Errorf("%s: user must be %q (the test's login user)", pos, userLogin)
			}
			sc.user = userLogin
			continue
		} else if verb == "expect-env" {
			f := strings.Fields(rest)
			if len(f) < 2 {
				return nil, fmt.Errorf("%s: expect-env needs FILES NAME=VALUE...", pos)
			}
			if _, err := filepath.Match(f[0], ""); err != nil {
				return nil, fmt.Errorf("%s: expect-env pattern %q: %v", pos, f[0], err)
			}
			for _, kv := range f[1:] {
				if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
					return nil, fmt.Errorf("%s: expect-env needs NAME=VALUE, not %q", pos, kv)
				}
			}
			sc.expectEnv = append(sc.expectEnv, expectation{files: f[0], vars: f[1:]})
			continue
		} else if verb == "ignore" {
			re, err := regexp.Compile(strings.TrimSpace(rest))
			if err != nil {
				return nil, fmt.Errorf("%s: %v", pos, err)
			}
			sc.ignore = append(sc.ignore, re)
			continue
		}
		words, err := splitWords(line)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", pos, err)
		}
		st := step{line: i + 1, verb: words[0], args: words[1:]}
		min := map[string]int{"env": 1, "umask": 1, "stdin": 1, "sbatch": 2, "sbatch-wait": 2, "await-file": 1, "await-state": 2, "scancel": 1, "scontrol": 2, "envvars": 1}
		n, ok := min[st.verb]
		if !ok {
			return nil, fmt.Errorf("%s: unknown command %q", pos, st.verb)
		}
		if len(st.args) < n {
			return nil, fmt.Errorf("%s: %s needs at least %d argument(s)", pos, st.verb, n)
		}
		if st.verb == "envvars" {
			sc.envVars = st.args
			continue
		}
		sc.steps = append(sc.steps, st)
	}
	err = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		if rel, _ := filepath.Rel(dir, p); rel != scenarioFile {
			sc.inputs = append(sc.inputs, rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if sc.user != userLogin {
		if why := runsLoginShell(sc); why != "" {
			return nil, fmt.Errorf("%s: %s makes the job run its user's login shell: say `user login` (root's profile is the host's)", file, why)
		}
	}
	return sc, nil
}

// runsLoginShell names what in sc makes a job run its user's login shell
// (SLURM_GET_USER_ENV=1): an --export other than ALL or a --get-user-env,
// in sbatch's arguments, in SBATCH_EXPORT or SBATCH_GET_USER_ENV of an env
// line, or in an #SBATCH line of one of its files; "" when nothing does.
func runsLoginShell(sc *scenario) string {
	for _, st := range sc.steps {
		switch st.verb {
		case "sbatch", "sbatch-wait":
			if opt := loginOption(st.args[1:]); opt != "" {
				return fmt.Sprintf("line %d: %s", st.line, opt)
			}
		case "env":
			for _, kv := range st.args {
				k, v, _ := strings.Cut(kv, "=")
				if k == "SBATCH_GET_USER_ENV" || (k == "SBATCH_EXPORT" && !strings.EqualFold(v, "ALL")) {
					return fmt.Sprintf("line %d: %s", st.line, kv)
				}
			}
		}
	}
	for _, name := range sc.inputs {
		b, err := os.ReadFile(filepath.Join(sc.dir, name))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "#SBATCH"); ok {
				if opt := loginOption(strings.Fields(rest)); opt != "" {
					return name + ": " + opt
				}
			}
		}
	}
	return ""
}

// loginOption returns the sbatch option of args that asks for the login
// environment ("" when none does).
func loginOption(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "--get-user-env"):
			return a
		case a == "--export" && i+1 < len(args):
			if !strings.EqualFold(args[i+1], "ALL") {
				return a + " " + args[i+1]
			}
			i++
		case strings.HasPrefix(a, "--export="):
			if !strings.EqualFold(strings.TrimPrefix(a, "--export="), "ALL") {
				return a
			}
		}
	}
	return ""
}

// splitWords splits a line into words as a shell would for simple quoting:
// blanks separate words, '...' keeps everything literally, "..." keeps
// blanks, and a backslash outside single quotes keeps the next character.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated '")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated \"")
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
