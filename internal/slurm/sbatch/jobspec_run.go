package sbatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurm"
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

// JobspecOptions are the inputs of one jobspec run.
type JobspecOptions struct {
	Args []string // sbatch's argv without the program name
	Now  time.Time
}

// RunJobspec parses a submission and prints its spec; it returns the exit status.
func RunJobspec(opts JobspecOptions, s slurm.Streams) int {
	sbatchOpts, script, scriptArgs := jobspec.SplitCommandLine(opts.Args)
	for _, a := range sbatchOpts {
		if a == "-h" || a == "--help" || a == "--usage" {
			fmt.Fprint(s.Out, jobspecUsage)
			return slurm.ExitOK
		}
	}
	in := jobspec.Input{
		File:         script,
		Args:         sbatchOpts,
		ScriptArgs:   scriptArgs,
		Env:          s.Env,
		Now:          opts.Now,
		MaxArraySize: slurmcli.MaxArraySize,
	}
	if v, ok := slurm.LookupEnv(s.Env, "HPCBRIDGE_MAX_ARRAY_SIZE"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			fmt.Fprintf(s.Err, "jobspec: HPCBRIDGE_MAX_ARRAY_SIZE=%q is not a positive number\n", v)
			return slurm.ExitUsage
		}
		in.MaxArraySize = n
	}
	if !slurmcli.HasWrap(sbatchOpts) {
		body, name, err := readScript(script, s.In)
		if err != nil {
			fmt.Fprintf(s.Err, "jobspec: %v\n", err)
			if errors.Is(err, errNoScript) {
				fmt.Fprint(s.Err, jobspecUsage)
				return slurm.ExitUsage
			}
			return slurm.ExitRejected
		}
		in.Script, in.File = body, name
	}
	spec, diags := jobspec.Parse(in)
	if len(diags) > 0 {
		fmt.Fprintln(s.Err, diags.Render())
	}
	if spec == nil {
		return slurm.ExitRejected
	}
	b, err := spec.ContractJSON()
	if err == nil {
		var buf bytes.Buffer
		if err = json.Indent(&buf, b, "", "  "); err == nil {
			buf.WriteByte('\n')
			_, err = s.Out.Write(buf.Bytes())
		}
	}
	if err != nil {
		fmt.Fprintf(s.Err, "jobspec: %v\n", err)
		return slurm.ExitRejected
	}
	return slurm.ExitOK
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
