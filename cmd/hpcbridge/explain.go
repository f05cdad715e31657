package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/internal/slurmcli"
	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/urfave/cli/v2"
)

func explainCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "explain",
		Usage:     "parse sbatch scripts and say in words what each asks for",
		ArgsUsage: "SCRIPT...",
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return &exitError{code: exitUsage, err: fmt.Errorf("usage: hpcbridge explain SCRIPT...")}
			}
			code := exitOK
			for _, path := range c.Args().Slice() {
				if rc := runExplain(path, time.Now(), s); rc != exitOK {
					code = rc
				}
			}
			if code != exitOK {
				return &exitError{code: code}
			}
			return nil
		},
	}
}

// runExplain parses one script with no command-line options and prints a
// summary of the request.
func runExplain(path string, now time.Time, s streams) int {
	body, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(s.err, "explain: %v\n", err)
		return exitRejected
	}
	spec, diags := jobspec.Parse(jobspec.Input{File: path, Script: body, Env: s.env, Now: now, MaxArraySize: slurmcli.MaxArraySize})
	if len(diags) > 0 {
		fmt.Fprintln(s.err, diags.Render())
	}
	if spec == nil {
		fmt.Fprintf(s.out, "%s: Slurm would reject this script (see above)\n", path)
		return exitRejected
	}
	fmt.Fprintf(s.out, "%s\n", path)
	for _, line := range describe(spec) {
		fmt.Fprintf(s.out, "  %s\n", line)
	}
	return exitOK
}

// describe lists a spec's request in plain words, one line per aspect.
func describe(s *jobspec.Spec) []string {
	var out []string
	add := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	where := "the default partition"
	if s.Partition != nil {
		where = "partition " + *s.Partition
	}
	add("job %q in %s%s", *s.JobName, where, suffix(", account ", s.Account)+suffix(", QOS ", s.QOS))

	nodes := "1 node"
	if s.NodesMin != nil {
		nodes = fmt.Sprintf("%d node(s)", *s.NodesMin)
		if s.NodesMax != nil && *s.NodesMax != *s.NodesMin {
			nodes = fmt.Sprintf("%d-%d nodes", *s.NodesMin, *s.NodesMax)
		}
	}
	shape := nodes + ", " + plural(valueOr(s.Ntasks, 1), "task")
	if s.NtasksPerNode != nil {
		shape += fmt.Sprintf(" (%d per node)", *s.NtasksPerNode)
	}
	shape += fmt.Sprintf(", %s per task", plural(valueOr(s.CPUsPerTask, 1), "CPU"))
	add("%s", shape)

	switch {
	case s.MemPerNodeMiB != nil && *s.MemPerNodeMiB == 0:
		add("memory: all of each node's memory (--mem=0)")
	case s.MemPerNodeMiB != nil:
		add("memory: %d MiB per node", *s.MemPerNodeMiB)
	case s.MemPerCPUMiB != nil:
		add("memory: %d MiB per CPU", *s.MemPerCPUMiB)
	case s.MemPerGPUMiB != nil:
		add("memory: %d MiB per GPU", *s.MemPerGPUMiB)
	}
	var gpus []string
	if s.GPUsPerJob != nil {
		gpus = append(gpus, fmt.Sprintf("%d for the job", *s.GPUsPerJob))
	}
	if s.GPUsPerNode != nil {
		gpus = append(gpus, fmt.Sprintf("%d per node", *s.GPUsPerNode))
	}
	if s.GPUsPerTask != nil {
		gpus = append(gpus, fmt.Sprintf("%d per task", *s.GPUsPerTask))
	}
	if len(gpus) > 0 {
		add("GPUs: %s%s", strings.Join(gpus, ", "), suffix(" of type ", s.GPUType))
	}
	switch {
	case s.TimeLimit == nil:
		add("time limit: the partition's default")
	case s.TimeLimit.Unlimited:
		add("time limit: unlimited")
	default:
		add("time limit: %d minute(s)", s.TimeLimit.Minutes)
	}
	if s.Array != nil {
		thr := ""
		if s.Array.Throttle != nil {
			thr = fmt.Sprintf(", at most %d running at once", *s.Array.Throttle)
		}
		add("array of %d tasks (%s)%s", s.Array.Count, s.Array.Spec, thr)
	}
	if s.Dependency != nil {
		add("waits for: %s", s.Dependency.Raw)
	}
	if s.Signal != nil {
		to := "all job steps"
		if s.Signal.BatchOnly {
			to = "the batch shell"
		}
		add("sends SIG%s to %s %d s before the time limit", s.Signal.Signal, to, s.Signal.Seconds)
	}
	if s.Requeue != nil {
		add("requeue on node failure: %v", *s.Requeue)
	}
	out = append(out, "output: "+valueOrString(s.Output, "slurm-%j.out")+errSuffix(s))
	if s.Export != nil {
		add("environment: --export=%s", *s.Export)
	}
	if s.Hold {
		add("submitted held (release with scontrol release)")
	}
	for _, ig := range s.Ignored {
		add("ignored (after the first command), line %d: %s", ig.Line, ig.Text)
	}
	return out
}

func errSuffix(s *jobspec.Spec) string {
	if s.Error == nil {
		return " (stderr too)"
	}
	return ", errors: " + *s.Error
}

func suffix(prefix string, v *string) string {
	if v == nil {
		return ""
	}
	return prefix + *v
}

func valueOr(v *int, def int) int {
	if v == nil {
		return def
	}
	return *v
}

func valueOrString(v *string, def string) string {
	if v == nil {
		return def
	}
	return *v
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
