#!/bin/bash
# gpu-train-checkpoint.sh: a "GPU training run" that survives its time limit.
#
# Shows: one GPU (--gres=gpu:1), --signal=B:USR1@60 (Slurm sends USR1 to
# this batch shell 60 s before the time limit), --requeue and
# --open-mode=append. The job traps USR1, writes a checkpoint and asks to be
# requeued; the next run (SLURM_RESTART_COUNT > 0) resumes from the
# checkpoint instead of starting over. Epochs are simulated with `sleep 1`,
# so it runs on any Linux box: without a GPU it says so and carries on.
#
# Output: train-ckpt-<jobid>.out (appended across requeues): the GPUs seen
# (nvidia-smi -L, or "no GPU visible"), "resuming from epoch N" after a
# restart, one "epoch i/N loss=..." line per epoch, then "training complete".
# Files: ${CHECKPOINT_DIR:-$SLURM_SUBMIT_DIR/ckpt}/state (last finished
# epoch) and .../model.txt when training completes; delete that directory
# to train from scratch.
#
#   sbatch gpu-train-checkpoint.sh [EPOCHS]      # default 30 epochs
#   sbatch --time=2 gpu-train-checkpoint.sh 300  # see USR1 arrive after ~60 s
#
#SBATCH --job-name=train-ckpt
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=00:10:00
#SBATCH --signal=B:USR1@60
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=%x-%j.out

set -uo pipefail

epochs=${1:-${EPOCHS:-30}}
ckpt_dir=${CHECKPOINT_DIR:-${SLURM_SUBMIT_DIR:-$PWD}/ckpt}
state=$ckpt_dir/state
mkdir -p "$ckpt_dir"

echo "== job ${SLURM_JOB_ID:-local} run $((${SLURM_RESTART_COUNT:-0} + 1)) on $(uname -n) at $(date -u +%FT%TZ)"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null; then
	:
else
	echo "no GPU visible (no working nvidia-smi): training on CPU"
fi
echo "CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-<unset>}"

# save EPOCH: write the checkpoint atomically (a crash never leaves half a file).
save() {
	printf '%s\n' "$1" >"$state.tmp" && mv -f "$state.tmp" "$state"
}

done_epochs=0
if [[ -s $state ]]; then
	read -r done_epochs <"$state"
	echo "resuming from epoch $done_epochs (restart count ${SLURM_RESTART_COUNT:-0})"
fi

on_usr1() {
	echo "caught USR1: time limit is near, checkpointing after epoch $done_epochs"
	save "$done_epochs"
	if [[ -n ${SLURM_JOB_ID:-} ]] && command -v scontrol >/dev/null 2>&1 &&
		scontrol requeue "$SLURM_JOB_ID"; then
		echo "requeued job $SLURM_JOB_ID: the next run resumes from the checkpoint"
		exit 0
	fi
	echo "could not requeue: resubmit to resume from the checkpoint"
	exit 75 # EX_TEMPFAIL: stopped early, not finished
}
trap on_usr1 USR1

for ((epoch = done_epochs + 1; epoch <= epochs; epoch++)); do
	# Sleep in the background and wait, so USR1 is handled at once.
	sleep 1 &
	wait $!
	loss=$((1000000 / (epoch * epoch + 99)))
	printf 'epoch %d/%d loss=%d.%04d\n' "$epoch" "$epochs" $((loss / 10000)) $((loss % 10000))
	done_epochs=$epoch
	if ((epoch % 5 == 0)); then
		save "$done_epochs"
		echo "checkpoint saved at epoch $epoch"
	fi
done

save "$done_epochs"
echo "trained $epochs epochs" >"$ckpt_dir/model.txt"
echo "training complete: $epochs epochs, $((${SLURM_RESTART_COUNT:-0} + 1)) run(s)"
