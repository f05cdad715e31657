package jobspec_test

import (
	"fmt"
	"testing"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

// TestExpandPattern checks filename patterns against the files real jobs
// wrote under Slurm 22.05 (sbatch -o PATTERN, job run on the oracle node
// "vm" as root, job name "myjob"); the job ids are those of the runs.
func TestExpandPattern(t *testing.T) {
	batch := func(id int64) jobspec.PatternVars {
		return jobspec.PatternVars{JobID: id, ArrayTaskID: -1, JobName: "myjob", User: "root", Node: "vm",
			StepID: jobspec.BatchStepID}
	}
	task := func(master, id int64, idx int) jobspec.PatternVars {
		v := batch(id)
		v.ArrayJobID, v.ArrayTaskID = master, idx
		return v
	}
	step := func(id int64, stepID, taskID int) jobspec.PatternVars {
		v := batch(id)
		v.StepID, v.TaskID = stepID, taskID
		return v
	}
	named := batch(2853)
	named.JobName = "%j"
	tests := []struct {
		pattern string
		vars    jobspec.PatternVars
		want    string
	}{
		{"a-%j-%A-%a-%x-%u-%N-%n-%t-%s-%%-%J-%b.out", batch(2439),
			"a-2439-2439-4294967294-myjob-root-vm-0-0-batch-%-2439-%b.out"},
		{"slurm-%j.out", batch(229), "slurm-229.out"},
		{"%5j", batch(2440), "02440"},
		{"%10j", batch(2441), "0000002441"},
		{"%0j", batch(2442), "2442"},
		{"%09j", batch(2454), "000002454"},
		{"%00005j", batch(2963), "02963"},
		{"%11j", batch(2720), "0000002720"},
		{"%12j", batch(2721), "0000002721"},
		{"%20j", batch(2722), "0000002722"},
		{"%99j", batch(2468), "0000002468"},
		{"%123j", batch(2472), "0000002472"},
		{"%012j", batch(2962), "0000002962"},
		{"%3A", batch(2640), "2640"},
		{"%3J", batch(2656), "2656"},
		{"%5a", batch(2673), "4294967294"},
		{"%3x", batch(2474), "myjob"},
		{"%19x", batch(2969), "myjob"},
		{"%5N", batch(2596), "vm"},
		{"%5u", batch(2597), "root"},
		{"%3t%3n", batch(2614), "000000"},
		{"%3s", batch(2626), "batch"},
		{"%x_%j", named, "%j_2853"},
		// Unknown symbols and stray percent signs.
		{"%q", batch(2479), "%q"},
		{"%b", batch(2689), "%b"},
		{"%b%5b", batch(2965), "%b5b"},
		{"a%", batch(2504), "a%"},
		{"%-3j", batch(2587), "%-3j"},
		{"%2%", batch(2473), "2%"},
		{"%5%", batch(2556), "5%"},
		{"x%3", batch(2527), "x3"},
		{"%2q", batch(2723), "2q"},
		{"%12q", batch(2966), "2q"},
		{"%123q", batch(2967), "3q"},
		{"%007q", batch(2960), "7q"},
		{"%0q", batch(2961), "0q"},
		{"%10", batch(2964), "0"},
		{"%25", batch(2968), "5"},
		{"%2%j", batch(2724), "22724"},
		{"%%j", batch(2725), "%j"},
		{"%%", batch(2726), "%"},
		{"%%%j", batch(2731), "%2731"},
		// A backslash turns expansion off.
		{`a\%j`, batch(2752), "a%j"},
		{`a\\%j`, batch(2772), `a\%j`},
		{`a%j\b`, batch(2794), "a%jb"},
		{`\`, batch(2817), ""},
		{`%\j`, batch(2834), "%j"},
		{`%5\j`, batch(2845), "%5j"},
		// Array tasks (--array=7,12: task 12 ran as the master id).
		{"%A_%a_%4a_%b_%j_%J_%12a", task(2850, 2850, 12), "2850_12_0012_%b_2850_2850_0000000012"},
		{"%A_%a_%4a_%b_%j_%J_%12a", task(2850, 2851, 7), "2850_7_0007_%b_2851_2851_0000000007"},
		// srun steps inside a job.
		{"s-%J-%s-%5J-%3s-%t-%2t-%n-%N", step(2855, 0, 0), "s-2855.0-0-02855.0-000-0-00-0-vm"},
		{"s-%J-%s-%5J-%3s-%t-%2t-%n-%N", step(2855, 0, 1), "s-2855.0-0-02855.0-000-1-01-0-vm"},
		{"y-%J", step(2855, 1, 0), "y-2855.1"},
	}
	for _, tt := range tests {
		if got := jobspec.ExpandPattern(tt.pattern, tt.vars); got != tt.want {
			t.Errorf("ExpandPattern(%q) = %q, want %q", tt.pattern, got, tt.want)
		}
	}
}

func ExampleExpandPattern() {
	v := jobspec.PatternVars{
		JobID: 128, ArrayJobID: 120, ArrayTaskID: 8, JobName: "train", User: "ada", Node: "n01",
		StepID: jobspec.BatchStepID,
	}
	fmt.Println(jobspec.ExpandPattern("%x-%A_%3a.out", v))
	fmt.Println(jobspec.ExpandPattern("job%4j.%s.err", v))
	fmt.Println(jobspec.ExpandPattern(`literal\%j`, v))
	// Output:
	// train-120_008.out
	// job0128.batch.err
	// literal%j
}
