// Package runtimediff is the runtime differential suite: it runs the same
// batch scripts, with the same sbatch options and the same submitter
// environment, through real Slurm 22.05 (the oracle in ../shared/slurm-oracle,
// whose slurmd really runs jobs) and through `hpcbridge dev` (a coordinator
// and a Nomad dev agent with the hpcbridge task driver), and compares what a
// user sees: the files the jobs wrote (output names and contents, the
// environments they recorded), the jobs' states and exit codes, and the exit
// status of `sbatch --wait`.
//
// Each scenario is a directory in testdata: a file named scenario holding the
// commands to run (see parseScenario) and the scripts and input files it
// needs. What differs between the two runs by nature — job ids, the node's
// and the cluster's names, the working directory, times, pids — is
// normalised before comparing. A difference that is known and explained in
// docs/runtime-differences.md is declared in the scenario with a `known`
// line; one that no longer shows up fails the test, so the list stays true.
//
// The scenarios whose jobs run the user's login shell (--export other than
// ALL) run as a local user the suite creates with a profile of its own
// (`user login`, see parseScenario), never as root, whose profile is the
// host's.
//
// The suite needs the oracle, a nomad binary and root (and useradd and
// userdel); without them it skips, or fails when HPCBRIDGE_REQUIRE_ORACLE=1,
// HPCBRIDGE_REQUIRE_NOMAD=1 or HPCBRIDGE_REQUIRE_ROOT=1 (as `make test` sets).
package runtimediff
