package jobspec_test

import (
	"fmt"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

func ExampleParse() {
	script := []byte(`#!/bin/bash
#SBATCH --job-name=train --time=1-12:00:00
#SBATCH --gres=gpu:a100:2 --mem=64G
#SBATCH --array=0-99%10
python train.py
`)
	spec, diags := jobspec.Parse(jobspec.Input{
		File:   "train.sh",
		Script: script,
		Args:   []string{"--partition=gpu"}, // the command line beats the script
		Now:    time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC),
	})
	if spec == nil {
		fmt.Println(diags.Render())
		return
	}
	fmt.Println(*spec.JobName, *spec.Partition, spec.TimeLimit.Minutes, "min")
	fmt.Println(*spec.GPUsPerNode, *spec.GPUType, *spec.MemPerNodeMiB, "MiB")
	fmt.Println(spec.Array.Count, "tasks,", *spec.Array.Throttle, "at a time")
	// Output:
	// train gpu 2160 min
	// 2 a100 65536 MiB
	// 100 tasks, 10 at a time
}

func ExampleParse_diagnostics() {
	script := []byte("#!/bin/bash\n#SBATCH --time=10 --nodes=2 --partiton=gpu\n")
	_, diags := jobspec.Parse(jobspec.Input{File: "job.sh", Script: script})
	fmt.Println(diags.Render())
	// Output:
	// job.sh:2:29: error: unrecognized option --partiton (did you mean --partition?)
	//     #SBATCH --time=10 --nodes=2 --partiton=gpu
	//                                 ^
}

func ExampleFormat() {
	spec, _ := jobspec.Parse(jobspec.Input{File: "job.sh", Script: []byte("#!/bin/sh\n#SBATCH -J 'my job' -t 90 -N1\n")})
	fmt.Print(string(jobspec.Format(spec)))
	// Output:
	// #!/bin/sh
	// #SBATCH --job-name="my job"
	// #SBATCH --nodes=1
	// #SBATCH --time=90
	// true
}
