package api_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/bridge/bridgetest"
)

func Example() {
	// An in-process coordinator; a real one is at api.DefaultConfig().Address.
	srv, err := bridgetest.New(bridgetest.Options{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ctx := context.Background()
	c, err := api.NewClient(&api.Config{Address: srv.URL, Token: srv.ManagementToken})
	if err != nil {
		panic(err)
	}
	script := []byte("#!/bin/bash\n#SBATCH --job-name=hello --array=1-3\necho hello\n")
	resp, err := c.Submit(ctx, &api.SubmitRequest{Script: script, ScriptName: "hello.sh", Cwd: "/home/root"})
	if err != nil {
		panic(err)
	}
	fmt.Println("Submitted batch job", resp.JobID)

	jobs, _, err := c.Jobs(ctx, &api.JobsQuery{ExpandArrays: true})
	if err != nil {
		panic(err)
	}
	for _, j := range jobs {
		fmt.Println(j.SlurmID(), j.Name, j.State.Short())
	}

	_, err = c.Cancel(ctx, &api.CancelRequest{Refs: []string{"99"}})
	var e *api.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Code, e.Message)
	}
	// Output:
	// Submitted batch job 1
	// 1_1 hello PD
	// 1_2 hello PD
	// 1_3 hello PD
	// 404 not_found 99: invalid job id specified
}

func ExampleParseJobRefs() {
	refs, err := api.ParseJobRefs("123,124_[1-3],125_7")
	if err != nil {
		panic(err)
	}
	fmt.Println(refs)
	// Output: [123 124_1 124_2 124_3 125_7]
}
