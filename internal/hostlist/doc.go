// Package hostlist reads and writes Slurm's host lists ("n[01-03,07],gpu1"):
// Expand for the lists users give (--nodelist, --exclude, sinfo -n,
// scontrol show node), Compress for the lists the commands print. It
// imports nothing of the project, so the commands and the coordinator's
// Nomad translation share it.
package hostlist
