// Package slurmtest is the Slurm commands' test fixture: the queue real
// Slurm 22.05 printed in testdata/oracle (ScenarioJobs), a FakeClient that
// answers the commands as the coordinator would, Run to run a command
// in-process, and Golden for the golden files under testdata.
package slurmtest
