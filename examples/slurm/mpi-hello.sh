#!/bin/bash
# mpi-hello.sh: an MPI job on two nodes, launched with a plain `mpirun`.
#
# Shows: -N 2 --ntasks-per-node=2 and Open MPI's mpirun, which finds the
# allocation in the SLURM_* environment and starts its daemons on the nodes
# through srun, as on any Slurm cluster. The program (mpi-hello.c) is built
# with mpicc in the submit directory first when ./mpi-hello is missing or
# older than its source. Open MPI refuses to run as root unless told: a job
# that runs as root (hpcbridge dev's jobs run as their submitter) says so.
#
# Output: mpi-hello-<jobid>.out with "nodes: <hostlist>", one line
# "rank R of 4 on <node>" per rank (R = 0..3, sorted), two ranks on each
# of the two nodes, then "sum of ranks: 6" and "mpi done".
#
#   sbatch mpi-hello.sh
#
#SBATCH --job-name=mpi-hello
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=2
#SBATCH --time=00:05:00
#SBATCH --output=mpi-hello-%j.out

set -e
cd "${SLURM_SUBMIT_DIR:-.}"
if [[ ! -x mpi-hello || mpi-hello.c -nt mpi-hello ]]; then
	mpicc -O2 -o mpi-hello mpi-hello.c
fi
if [[ $(id -u) == 0 ]]; then
	echo "running as root: OMPI_ALLOW_RUN_AS_ROOT=1"
	export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
echo "nodes: ${SLURM_JOB_NODELIST:-$(uname -n)}"
# Rank lines first, sorted by rank; the sum after them.
mpirun ./mpi-hello >"mpi-hello-${SLURM_JOB_ID:-local}.ranks"
grep '^rank ' "mpi-hello-${SLURM_JOB_ID:-local}.ranks" | sort -k2,2n
grep -v '^rank ' "mpi-hello-${SLURM_JOB_ID:-local}.ranks"
rm -f "mpi-hello-${SLURM_JOB_ID:-local}.ranks"
echo "mpi done"
