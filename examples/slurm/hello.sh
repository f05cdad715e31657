#!/bin/bash
# hello.sh: the smallest useful batch job.
#
# Shows: a job name, an explicit output file and a short time limit.
# Output: hello-<jobid>.out in the submit directory, four lines: the host
# the job ran on, SLURM_JOB_ID, SLURM_JOB_NAME and the submit directory.
#
#   sbatch hello.sh
#
#SBATCH --job-name=hello
#SBATCH --output=hello-%j.out
#SBATCH --ntasks=1
#SBATCH --time=00:01:00

echo "Hello from $(uname -n)"
echo "job id:     ${SLURM_JOB_ID:-unset}"
echo "job name:   ${SLURM_JOB_NAME:-unset}"
echo "submit dir: ${SLURM_SUBMIT_DIR:-$PWD}"
