// Package slurm is what hpcbridge's Slurm commands share: a job as Slurm
// shows it (JobView: states, reasons, times, TRES, memory), Slurm's time,
// duration and memory formats, the cell and format-string machinery of
// squeue/sinfo/sacct output, job references as the commands read them
// (ParseJobArg, ParseSqueueJobs), the getopt_long emulation
// the commands parse their options with (FlagSet), Slurm's wording of
// errors (ConnectError, APIMessage), and the coordinator as the commands
// see it (Client and its consumer-side slices, Deps, Streams), with what
// every command does the same way (Open, Locale, Iterate). Host lists are
// package internal/hostlist.
//
// Each command is a package of its own below this one (sbatch, squeue,
// scancel, sacct, sinfo, scontrol, srun) with a Main(args, Streams, Deps)
// that cmd/hpcbridge dispatches to; a command's logic is a run function
// over an options struct, so tests run it in-process (slurmtest). What the
// lean cmd/sbatch shares with them lives in internal/slurmcli, which
// imports neither this package nor bridge/api.
package slurm
