package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAgentUsage: wrong flags exit 2 with a message, before anything is
// written or started.
func TestAgentUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"agent"}, "--coordinator is required"},
		{[]string{"agent", "--coordinator", "http://127.0.0.1:1", "--memory", "lots"}, `--memory "lots"`},
		{[]string{"agent", "--coordinator", "http://127.0.0.1:1", "stray"}, "unexpected argument"},
	} {
		var out, errb bytes.Buffer
		code := run(append([]string{"hpcbridge"}, c.args...), strings.NewReader(""), &out, &errb, []string{"HOME=" + t.TempDir()})
		if code != exitUsage || !strings.Contains(errb.String(), c.want) {
			t.Errorf("hpcbridge %v: exit %d, %q; want %d and %q", c.args, code, errb.String(), exitUsage, c.want)
		}
	}
}

// TestAgentPlainHTTPRefused: a plain-HTTP coordinator on another machine
// is a usage error (the join token would cross the network in the clear)
// that names the ways out.
func TestAgentPlainHTTPRefused(t *testing.T) {
	plugins := t.TempDir()
	if err := os.WriteFile(filepath.Join(plugins, driverBinaryName), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	args := []string{"hpcbridge", "agent", "--coordinator", "http://coord.example.org:4747", "--plugin-dir", plugins, "--data-dir", t.TempDir(), "--gpu-backend", "none"}
	code := run(args, strings.NewReader(""), &out, &errb, []string{"HOME=" + t.TempDir(), "HPCBRIDGE_JOIN_TOKEN=hbj_x"})
	if code != exitUsage || !strings.Contains(errb.String(), "plain HTTP") || !strings.Contains(errb.String(), "--ca-file") || !strings.Contains(errb.String(), "--insecure-http") {
		t.Errorf("plain HTTP: exit %d, %q", code, errb.String())
	}
}

// TestAgentJoinOnCommandLineWarned: a join token given as --join is
// visible to every local user (ps): the agent says so and names the
// environment variable.
func TestAgentJoinOnCommandLineWarned(t *testing.T) {
	plugins := t.TempDir()
	if err := os.WriteFile(filepath.Join(plugins, driverBinaryName), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	// Refused later (plain HTTP to another machine): the warning comes first.
	args := []string{"hpcbridge", "agent", "--join", "hbj_x", "--coordinator", "http://coord.example.org:4747", "--plugin-dir", plugins, "--data-dir", t.TempDir(), "--gpu-backend", "none"}
	run(args, strings.NewReader(""), &out, &errb, []string{"HOME=" + t.TempDir()})
	if !strings.Contains(errb.String(), "--join on the command line is visible to every user") || !strings.Contains(errb.String(), envJoinToken) {
		t.Errorf("--join on the command line: %q", errb.String())
	}
}

// TestAgentUntrustedPluginNotProbed: the agent's command runs the GPU
// plugin (as root) to see whether NVML initialises; a plugin dir that
// anyone may write to is refused before anything in it runs.
func TestAgentUntrustedPluginNotProbed(t *testing.T) {
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(t.TempDir(), "ran")
	if err := os.WriteFile(filepath.Join(open, driverBinaryName), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(open, gpuPluginName), []byte("#!/bin/sh\ntouch "+marker+"\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	args := []string{"hpcbridge", "agent", "--coordinator", "http://127.0.0.1:1", "--plugin-dir", open, "--data-dir", t.TempDir()}
	code := run(args, strings.NewReader(""), &out, &errb, []string{"HOME=" + t.TempDir()})
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("the GPU plugin of a plugin dir writable by all ran")
	}
	if code == exitOK || !strings.Contains(errb.String(), open+" is writable by others") {
		t.Errorf("a plugin dir writable by all: exit %d, %q", code, errb.String())
	}
}
