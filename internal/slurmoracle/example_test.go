package slurmoracle_test

import (
	"context"
	"fmt"

	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
)

// Ask real Slurm how it reads a script, with one extra sbatch option.
func ExampleParse() {
	if err := slurmoracle.Available(); err != nil {
		fmt.Println(err) // says how to start the oracle
		return
	}
	res, err := slurmoracle.Parse(context.Background(), "job.sh", []string{"--time=10"})
	if err != nil {
		fmt.Println(err)
		return
	}
	if !res.Accepted {
		fmt.Println("rejected:", res.Error)
		return
	}
	fmt.Println(res.Fields["job_name"], res.Fields["time_limit_min"], res.Defaulted)
}
