#!/bin/bash
# multi-task-srun.sh: one job, four tasks started with srun.
#
# Shows: --ntasks=4 and `srun`, which starts one copy of the command per
# task, each with its own SLURM_PROCID (0-3). Where no srun exists (a plain
# Linux box) the script starts the four copies itself, so the output is
# the same.
#
# Output: multi-task-<jobid>.out with "ntasks: 4", then four lines
# "task <procid> of 4 on <host>" sorted by task number, then "all tasks done".
#
#   sbatch multi-task-srun.sh
#
#SBATCH --job-name=multi-task
#SBATCH --ntasks=4
#SBATCH --cpus-per-task=1
#SBATCH --time=00:02:00
#SBATCH --output=multi-task-%j.out

ntasks=${SLURM_NTASKS:-4}
echo "ntasks: $ntasks"
task_cmd='echo "task ${SLURM_PROCID} of ${SLURM_NTASKS} on $(uname -n)"'
if command -v srun >/dev/null 2>&1 && [[ -n ${SLURM_JOB_ID:-} ]]; then
	srun bash -c "$task_cmd" | sort -k2,2n
else
	for ((i = 0; i < ntasks; i++)); do
		SLURM_PROCID=$i SLURM_NTASKS=$ntasks bash -c "$task_cmd" &
	done | sort -k2,2n
fi
echo "all tasks done"
