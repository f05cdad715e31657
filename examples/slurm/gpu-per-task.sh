#!/bin/bash
# gpu-per-task.sh: two tasks, one GPU each.
#
# Shows: --ntasks=2 with --gpus-per-task=1: each task started by srun sees
# its own GPU in CUDA_VISIBLE_DEVICES, never its neighbour's. Without srun
# (a plain Linux box) the two tasks are started by the script and share
# whatever the job was given. Without a GPU it says so.
#
# Output: gpu-per-task-<jobid>.out: the job's GPUs (nvidia-smi -L or "no
# GPU visible"), then "task <procid>: CUDA_VISIBLE_DEVICES=<ids>" for tasks
# 0 and 1, sorted.
#
#   sbatch gpu-per-task.sh
#
#SBATCH --job-name=gpu-per-task
#SBATCH --ntasks=2
#SBATCH --gpus-per-task=1
#SBATCH --time=00:02:00
#SBATCH --output=gpu-per-task-%j.out

if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null; then
	:
else
	echo "no GPU visible (no working nvidia-smi)"
fi
task_cmd='echo "task ${SLURM_PROCID}: CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-<unset>}"'
if command -v srun >/dev/null 2>&1 && [[ -n ${SLURM_JOB_ID:-} ]]; then
	srun bash -c "$task_cmd" | sort
else
	for ((i = 0; i < ${SLURM_NTASKS:-2}; i++)); do
		SLURM_PROCID=$i bash -c "$task_cmd" &
	done | sort
fi
