#!/bin/bash
# long-requeue.sh: a long job that keeps its progress across requeues.
#
# Shows: --requeue (the job may be stopped and put back in the queue, e.g.
# when its node is reclaimed), --open-mode=append (each run adds to the
# same output file instead of truncating it) and a state file, so a
# requeued run continues counting where the last one stopped. Progress is
# saved after every step and again on SIGTERM, which Slurm sends before
# killing a job.
#
# Output: long-requeue-<jobid>.out (appended): "run R (restart count C)
# starting at step S" per run, "step i/N" lines, and finally
# "finished: counted to N in R run(s)". State: ${STATE_FILE:-
# $SLURM_SUBMIT_DIR/long-requeue.state} (removed when finished).
#
#   sbatch long-requeue.sh [STEPS]      # default 60 steps of 1 s
#
#SBATCH --job-name=long-requeue
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --time=00:30:00
#SBATCH --output=long-requeue-%j.out

set -uo pipefail

steps=${1:-60}
state=${STATE_FILE:-${SLURM_SUBMIT_DIR:-$PWD}/long-requeue.state}

step=0 runs=0
if [[ -s $state ]]; then
	read -r step runs <"$state"
fi
runs=$((runs + 1))
echo "run $runs (restart count ${SLURM_RESTART_COUNT:-0}) starting at step $step on $(uname -n)"

save() {
	printf '%s %s\n' "$step" "$runs" >"$state.tmp" && mv -f "$state.tmp" "$state"
}
trap 'echo "caught TERM at step $step: saving and stopping"; save; exit 143' TERM

save
while ((step < steps)); do
	sleep 1 &
	wait $!
	step=$((step + 1))
	save
	echo "step $step/$steps"
done

rm -f "$state"
echo "finished: counted to $steps in $runs run(s)"
