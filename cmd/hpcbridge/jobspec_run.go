package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurmcli"
	"github.com/hpcbridge/hpcbridge/jobspec"
)

const jobspecUsage = `usage: hpcbridge jobspec [sbatch options...] SCRIPT [script args...]
       sbatch --parse-only [sbatch options...] SCRIPT [script args...]

Parses an sbatch submission exactly as Slurm reads it (#SBATCH directives, then
SBATCH_* environment variables, then command-line options) and prints the
resulting job spec as one JSON object. Exits 0 when Slurm would accept it, 1
with diagnostics (file:line:col) on stderr when it would reject it, 2 for usage
errors. SCRIPT "-" (or none, without --wrap) reads the script from stdin.
HPCBRIDGE_MAX_ARRAY_SIZE sets the array size limit (default 1000001).
`

// jobspecOptions are the inputs of one jobspec run.
type jobspecOptions struct {
	args []string // sbatch's argv without the program name
	now  time.Time
}

// runJobspec parses a submission and prints its spec; it returns the exit status.
func runJobspec(opts jobspecOptions, s streams) int {
	sbatchOpts, script, scriptArgs := jobspec.SplitCommandLine(opts.args)
	for _, a := range sbatchOpts {
		if a == "-h" || a == "--help" || a == "--usage" {
			fmt.Fprint(s.out, jobspecUsage)
			return exitOK
		}
	}
	in := jobspec.Input{
		File:         script,
		Args:         sbatchOpts,
		ScriptArgs:   scriptArgs,
		Env:          s.env,
		Now:          opts.now,
		MaxArraySize: slurmcli.MaxArraySize,
	}
	if v, ok := lookupEnv(s.env, "HPCBRIDGE_MAX_ARRAY_SIZE"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			fmt.Fprintf(s.err, "jobspec: HPCBRIDGE_MAX_ARRAY_SIZE=%q is not a positive number\n", v)
			return exitUsage
		}
		in.MaxArraySize = n
	}
	if !slurmcli.HasWrap(sbatchOpts) {
		body, name, err := readScript(script, s.in)
		if err != nil {
			fmt.Fprintf(s.err, "jobspec: %v\n", err)
			if errors.Is(err, errNoScript) {
				fmt.Fprint(s.err, jobspecUsage)
				return exitUsage
			}
			return exitRejected
		}
		in.Script, in.File = body, name
	}
	spec, diags := jobspec.Parse(in)
	if len(diags) > 0 {
		fmt.Fprintln(s.err, diags.Render())
	}
	if spec == nil {
		return exitRejected
	}
	b, err := spec.ContractJSON()
	if err == nil {
		var buf bytes.Buffer
		if err = json.Indent(&buf, b, "", "  "); err == nil {
			buf.WriteByte('\n')
			_, err = s.out.Write(buf.Bytes())
		}
	}
	if err != nil {
		fmt.Fprintf(s.err, "jobspec: %v\n", err)
		return exitRejected
	}
	return exitOK
}

var errNoScript = errors.New("no batch script given")

// readScript reads the named script, or stdin for "-"; "" is a usage error
// when stdin is a terminal.
func readScript(path string, stdin io.Reader) ([]byte, string, error) {
	if path == "" || path == "-" {
		if f, ok := stdin.(*os.File); path == "" && ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				return nil, "", errNoScript
			}
		}
		if stdin == nil {
			return nil, "", errNoScript
		}
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, "", fmt.Errorf("reading the script from stdin: %w", err)
		}
		return b, "<stdin>", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("unable to open the batch script: %w", err)
	}
	return b, path, nil
}
