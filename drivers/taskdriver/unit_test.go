package taskdriver

import (
	"maps"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	version "github.com/hashicorp/go-version"
	"github.com/hashicorp/nomad/client/lib/cpustats"
	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/drivers"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

func TestInterpreter(t *testing.T) {
	cases := []struct {
		script string
		want   []string
	}{
		{"#!/bin/bash\necho", []string{"/bin/bash"}},
		{"#!/bin/bash -l\n", []string{"/bin/bash", "-l"}},
		{"#! /usr/bin/env python3\n", []string{"/usr/bin/env", "python3"}},
		{"#!/usr/bin/env  -S  python3 -u \n", []string{"/usr/bin/env", "-S  python3 -u"}},
		{"#!/bin/sh\t-e\n", []string{"/bin/sh", "-e"}},
		{"#!/bin/bash", []string{"/bin/bash"}},
		{"echo no shebang\n", []string{"/bin/sh"}},
		{"#!\necho", []string{"/bin/sh"}},
		{"\n#!/bin/bash\n", []string{"/bin/sh"}},
		{"#!/bin/bash\r\n", []string{"/bin/bash\r"}}, // as the kernel: a DOS script fails
	}
	for _, c := range cases {
		if got := interpreter(c.script); !reflect.DeepEqual(got, c.want) {
			t.Errorf("interpreter(%q) = %q, want %q", c.script, got, c.want)
		}
	}
}

func TestFileNames(t *testing.T) {
	env := map[string]string{"SLURM_JOB_ID": "107", "SLURM_JOB_NAME": "sim", "SLURM_JOB_USER": "alice"}
	array := map[string]string{"SLURM_JOB_ID": "108", "SLURM_ARRAY_JOB_ID": "100", "SLURM_ARRAY_TASK_ID": "8"}
	cases := []struct {
		env              map[string]string
		tc               TaskConfig
		out, errName, in string
	}{
		{env, TaskConfig{}, "slurm-107.out", "", ""},
		{array, TaskConfig{}, "slurm-100_8.out", "", ""},
		{env, TaskConfig{Output: "%x-%j.%N.log", Error: "%u/%j.err", Input: "in-%j"}, "sim-107.n1.log", "alice/107.err", "in-107"},
		{array, TaskConfig{Output: "r_%A_%4a_%s"}, "r_100_0008_batch", "", ""},
	}
	for _, c := range cases {
		out, errName, in := fileNames(&c.tc, patternVars(c.env, "n1"))
		if out != c.out || errName != c.errName || in != c.in {
			t.Errorf("fileNames(%+v, %v) = %q %q %q, want %q %q %q", c.tc, c.env, out, errName, in, c.out, c.errName, c.in)
		}
	}
	if v := patternVars(map[string]string{}, "n"); v.ArrayTaskID != -1 || v.StepID != jobspec.BatchStepID {
		t.Errorf("patternVars without array: %+v", v)
	}
}

func TestAllocatedCPUs(t *testing.T) {
	compute := cpustats.Compute{TotalCompute: 8000, NumCores: 4} // 2000 MHz a core
	res := func(shares int64, cores ...uint16) *drivers.Resources {
		return &drivers.Resources{NomadResources: &structs.AllocatedTaskResources{
			Cpu: structs.AllocatedCpuResources{CpuShares: shares, ReservedCores: cores}}}
	}
	coordinator := map[string]string{"SLURM_CPUS_ON_NODE": "6"}
	cases := []struct {
		r    *drivers.Resources
		env  map[string]string
		want int
	}{
		{nil, nil, 1},
		{res(100), nil, 1},
		{res(2000), nil, 1},
		{res(2001), nil, 2},
		{res(8000), nil, 4},
		{res(500, 0, 1, 2), nil, 3},
		{res(3000), coordinator, 6},
		{nil, coordinator, 6},
		{res(500, 0, 1), coordinator, 2}, // reserved cores are a fact
	}
	for _, c := range cases {
		if got := allocatedCPUs(c.r, compute, c.env); got != c.want {
			t.Errorf("allocatedCPUs(%v, %v) = %d, want %d", c.r, c.env, got, c.want)
		}
	}
}

func TestTaskConfigValidate(t *testing.T) {
	bad := []TaskConfig{
		{Script: " \n"},
		{Script: "x", ScriptName: "../x"},
		{Script: "x", ScriptName: "hpcbridge"},
		{Script: "x", Workdir: "relative/dir"},
		{Script: "x", OpenMode: "overwrite"},
		{Script: "x", TimeLimitMin: -1},
	}
	for _, tc := range bad {
		if err := tc.validate(); err == nil {
			t.Errorf("validate(%+v) accepted it", tc)
		}
	}
	tc := TaskConfig{Script: "x", OpenMode: "a"}
	if err := tc.validate(); err != nil || tc.OpenMode != "append" || tc.ScriptName != "slurm_script" {
		t.Errorf("validate normalised to %+v, %v", tc, err)
	}
}

func TestBatchEnvKeepsCoordinatorValuesAndDropsStepVars(t *testing.T) {
	task := map[string]string{
		"SLURM_JOB_ID": "5", "SLURM_TASKS_PER_NODE": "2(x1)", "SLURM_STEP_ID": "3", "PATH": "/opt/bin",
		"HOME": "/home/alice",
	}
	env := batchEnv(task, nodeFacts{node: "n1", cpus: 2, account: account{name: "nobody", home: "/nonexistent"}})
	if env["SLURM_TASKS_PER_NODE"] != "2(x1)" || env["SLURM_JOBID"] != "5" || env["HOME"] != "/home/alice" {
		t.Errorf("coordinator values or defaults wrong: %v", env)
	}
	if _, ok := env["SLURM_STEP_ID"]; ok {
		t.Error("SLURM_STEP_ID leaked into the batch environment")
	}
	if _, ok := env["SLURM_JOB_END_TIME"]; ok {
		t.Error("SLURM_JOB_END_TIME set without a time limit")
	}
	if !strings.HasSuffix(env["PATH"], ":/opt/bin") || !strings.HasPrefix(env["PATH"], "hpcbridge/bin") {
		t.Errorf("PATH=%q", env["PATH"])
	}
}

func TestVersionIsSemver(t *testing.T) {
	// Nomad refuses a plugin whose version does not parse.
	for _, v := range []string{Version, Version + "+904f0a9-dirty"} {
		if _, err := version.NewVersion(v); err != nil {
			t.Errorf("version %q: %v", v, err)
		}
	}
}

// The executor looks for its command below the task directory first; the
// path the driver gives it must resolve to the plugin binary itself there.
func TestExecutorPathNeverResolvesIntoTheTaskDir(t *testing.T) {
	for _, taskDir := range []string{"/a/alloc/0f/batch", "/var/lib/nomad/alloc/1234/batch/", "/t"} {
		bin := "/usr/lib/hpcbridge/plugins/hpcbridge-driver"
		p := executorPath(taskDir, bin)
		for _, joined := range []string{filepath.Join(taskDir, "local", p), filepath.Join(taskDir, p)} {
			if joined != bin {
				t.Errorf("executorPath(%q) = %q: joined to the task dir it is %q, want %q", taskDir, p, joined, bin)
			}
		}
	}
}

func TestConfigNormalize(t *testing.T) {
	c, err := Config{}.normalize()
	if err != nil || c.RunAs != RunAsPool || c.PoolUIDs != DefaultPoolUIDs || c.PoolDir != DefaultPoolDir || c.AllowRoot {
		t.Errorf("defaults: %+v %v", c, err)
	}
	for _, bad := range []Config{
		{RunAs: "nobody"},
		{RunAs: RunAsPool, PoolUIDs: "5-10"},
		{RunAs: RunAsPool, PoolUIDs: "62010-62000"},
		{RunAs: RunAsPool, PoolUIDs: "62000"},
		{RunAs: RunAsPool, PoolDir: "rel/dir"},
	} {
		if _, err := bad.normalize(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestJobEnv: the job's environment is the coordinator's (the task
// config's env), not the Nomad agent's own that Nomad adds to a task's
// env; Nomad's NOMAD_* variables stay.
func TestJobEnv(t *testing.T) {
	task := map[string]string{"HOME": "/root", "PATH": "/agent/bin", "AWS_SECRET": "agent's", "NOMAD_ALLOC_ID": "a1", "FOO": "interpolated"}
	config := map[string]string{"FOO": "${literal}", "SLURM_JOB_ID": "7"}
	got := jobEnv(task, config)
	want := map[string]string{"FOO": "${literal}", "SLURM_JOB_ID": "7", "NOMAD_ALLOC_ID": "a1"}
	if !maps.Equal(got, want) {
		t.Errorf("jobEnv = %v, want %v", got, want)
	}
	if got := jobEnv(task, nil); !maps.Equal(got, task) {
		t.Errorf("without a config env: %v, want the task's %v", got, task)
	}
}
