package slurmoracle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// SubmitDirToken replaces the temporary submit directory in error messages
// and in Result.Options, so that answers do not depend on where they ran.
const SubmitDirToken = "$SUBMIT_DIR"

// Result is real Slurm's reading of one script in contract form.
type Result struct {
	// Accepted is true when sbatch --hold queued the job.
	Accepted bool
	// Error is sbatch's message when the script was rejected (its error
	// lines, the temp dir replaced by SubmitDirToken); empty otherwise.
	Error string
	// Fields holds every contract key (see Keys) with JSON-decoded values:
	// float64, string, bool, nil, []any or map[string]any. All nil when the
	// script was rejected.
	Fields map[string]any
	// Defaulted lists, in Keys order, the fields whose value is the
	// controller's default rather than something the script set.
	Defaulted []string
	// TestOnly is the outcome of the sbatch --test-only pass (node
	// feasibility); nil when that pass did not run (rejected scripts).
	TestOnly *TestOnly
	// Options is sbatch's own -v dump of the options the script and
	// arguments set, the submit dir replaced by SubmitDirToken. For a
	// rejected script it holds what sbatch had parsed before the error.
	Options map[string]string
	// Artifact says why a rejection is the oracle's fault, not the
	// script's (for example --clusters, which needs slurmdbd); usually "".
	Artifact string
}

// TestOnly is the result of `sbatch --test-only` with the same arguments.
type TestOnly struct {
	// OK is true when a real submission could be placed on the oracle.
	OK bool
	// Message is sbatch's message (the reason when !OK).
	Message string
}

// report is the JSON parse.sh prints (the parts this package reads).
type report struct {
	Error         string            `json:"error"`
	JobID         int64             `json:"job_id"`
	SubmitDir     string            `json:"submit_dir"`
	Job           map[string]string `json:"job"`
	SbatchOptions map[string]string `json:"sbatch_options"`
	JSONRaw       map[string]any    `json:"json_raw"`
	TestOnly      *struct {
		OK            bool              `json:"ok"`
		Message       string            `json:"message"`
		SbatchOptions map[string]string `json:"sbatch_options"`
	} `json:"test_only"`
}

// Parse asks the oracle how real Slurm reads the script at scriptPath
// when submitted with args (sbatch options, then optionally "--" and the
// script's own arguments). The script is copied into a fresh temporary
// directory under its own base name and parse.sh runs there, so the
// default job name is the base name and relative paths resolve against
// that directory. An error means the oracle could not answer; a script
// Slurm rejects is a Result with Accepted false.
func Parse(ctx context.Context, scriptPath string, args []string) (Result, error) {
	run, err := runParse(ctx, scriptPath, args)
	if err != nil {
		return Result{}, err
	}
	return run.result()
}

// parseRun is one raw answer of parse.sh.
type parseRun struct {
	Script    string          `json:"script"`     // base name
	SubmitDir string          `json:"submit_dir"` // the temp dir it ran in
	Submitted time.Time       `json:"submitted"`  // just before sbatch ran
	Report    json.RawMessage `json:"report"`     // parse.sh's stdout
}

// runParse copies the script into a fresh temp dir and runs parse.sh there.
func runParse(ctx context.Context, scriptPath string, args []string) (*parseRun, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "slurmoracle-")
	if err != nil {
		return nil, fmt.Errorf("slurmoracle: %w", err)
	}
	defer os.RemoveAll(tmp)
	if tmp, err = filepath.EvalSymlinks(tmp); err != nil {
		return nil, fmt.Errorf("slurmoracle: %w", err)
	}
	base := filepath.Base(scriptPath)
	if err := copyFile(scriptPath, filepath.Join(tmp, base)); err != nil {
		return nil, fmt.Errorf("slurmoracle: copy script: %w", err)
	}

	cmd := exec.CommandContext(ctx, filepath.Join(dir, "parse.sh"), append([]string{base}, args...)...)
	cmd.Dir = tmp
	cmd.Env = parseEnv(os.Environ())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	run := &parseRun{Script: base, SubmitDir: tmp, Submitted: time.Now()}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("slurmoracle: parse.sh %s: %w: %s", base, err, strings.TrimSpace(stderr.String()))
	}
	if !json.Valid(stdout.Bytes()) {
		return nil, fmt.Errorf("slurmoracle: parse.sh %s printed no JSON: %s", base, stdout.String())
	}
	run.Report = stdout.Bytes()
	return run, nil
}

// result decodes and maps the report.
func (run *parseRun) result() (Result, error) {
	var rep report
	if err := json.Unmarshal(run.Report, &rep); err != nil {
		return Result{}, fmt.Errorf("slurmoracle: parse.sh %s: %w", run.Script, err)
	}
	if strings.HasPrefix(rep.Error, "harness:") {
		return Result{}, fmt.Errorf("slurmoracle: parse.sh %s: %s", run.Script, rep.Error)
	}
	if rep.SubmitDir == "" {
		rep.SubmitDir = run.SubmitDir
	}
	res, err := fromReport(&rep, run.Submitted)
	if err != nil {
		return Result{}, fmt.Errorf("slurmoracle: %s: %w", run.Script, err)
	}
	if tmp := run.SubmitDir; tmp != rep.SubmitDir {
		res.Error = strings.ReplaceAll(res.Error, tmp, SubmitDirToken)
		for k, v := range res.Options {
			res.Options[k] = strings.ReplaceAll(v, tmp, SubmitDirToken)
		}
	}
	return res, nil
}

// parseEnv is the caller's environment without the oracle knobs that
// would change what parse.sh reports: Parse always uses hold mode with
// the test-only pass and the default environment stripping.
func parseEnv(environ []string) []string {
	drop := map[string]bool{"ORACLE_MODE": true, "ORACLE_KEEP_ENV": true, "ORACLE_NO_TESTONLY": true, "ORACLE_FULL": true}
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !drop[name] {
			out = append(out, kv)
		}
	}
	return out
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm()|0o400)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
