#!/bin/bash
# array-throttle.sh: a job array of 20 tasks, at most 4 running at once.
#
# Shows: --array=1-20%4 (the %4 throttle), SLURM_ARRAY_TASK_ID and friends,
# and per-task output files named with %A (array job id) and %a (task id).
# Each task squares its task id and takes ~3 s, so the throttle is visible
# in the start/end timestamps.
#
# Output: one slurm-<arrayjobid>_<taskid>.out per task with the task's ids,
# epoch seconds at start and end, and "result: <id>^2 = <square>".
#
#   sbatch array-throttle.sh
#
#SBATCH --job-name=array-throttle
#SBATCH --array=1-20%4
#SBATCH --output=slurm-%A_%a.out
#SBATCH --ntasks=1
#SBATCH --time=00:02:00

task=${SLURM_ARRAY_TASK_ID:-1}
echo "array job ${SLURM_ARRAY_JOB_ID:-local} task $task" \
	"(tasks ${SLURM_ARRAY_TASK_MIN:-1}-${SLURM_ARRAY_TASK_MAX:-1}, count ${SLURM_ARRAY_TASK_COUNT:-1})"
echo "job id ${SLURM_JOB_ID:-local} on $(uname -n)"
echo "start: $(date +%s)"
sleep 3
echo "result: ${task}^2 = $((task * task))"
echo "end: $(date +%s)"
