#!/bin/bash
# gpu-train-checkpoint.sh: a "GPU training run" that survives its node and its time limit.
#
# Shows: one GPU (--gres=gpu:1), --signal=B:USR1@60 (USR1 to this batch
# shell 60 s before the time limit, or at once when hpcbridge's donor takes
# the node back), --requeue and --open-mode=append. The job saves its epoch
# after every epoch; a requeued run (SLURM_RESTART_COUNT > 0) resumes from
# the last saved epoch instead of starting over. Epochs are simulated with
# `sleep 1`, so it runs on any Linux box: without a GPU it says so and
# carries on.
#
# Checkpoint protocol (docs/checkpoints.md): the state lives in
# ${HPCBRIDGE_CHECKPOINT_DIR:-.}/ckpt. Under hpcbridge the job commits it
# with `hpcbridge checkpoint` after each epoch (it is then off the node), and
# on USR1 exits 85 ("checkpointed, requeue me"); a requeued run may start on
# another node, with the checkpoint restored before the script starts. Under
# plain Slurm the state stays in the submit directory and the USR1 handler
# requeues the job with `scontrol requeue`.
#
# Output: train-ckpt-<jobid>.out (appended across requeues): "== job J run R
# on NODE", the GPUs seen (or "no GPU visible"), "resumed from epoch E (run
# R)" after a restart, one "epoch i/N loss=..." line per epoch, then
# "training complete: N epochs, R run(s)". Files: ckpt/state (last finished
# epoch) and ckpt/model.txt when training completes; delete ckpt/ to train
# from scratch.
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
run=$((${SLURM_RESTART_COUNT:-0} + 1))
ckpt_dir=${HPCBRIDGE_CHECKPOINT_DIR:-.}/ckpt
state=$ckpt_dir/state
mkdir -p "$ckpt_dir"

echo "== job ${SLURM_JOB_ID:-local} run $run on $(uname -n) at $(date -u +%FT%TZ)"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null; then
	:
else
	echo "no GPU visible (no working nvidia-smi): training on CPU"
fi
echo "CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-<unset>}"

# save EPOCH: write the state atomically (a stop never leaves half a file),
# then, under hpcbridge, commit it off the node.
save() {
	printf '%s\n' "$1" >"$state.tmp" && mv -f "$state.tmp" "$state" || return
	if [[ -n ${HPCBRIDGE_CHECKPOINT_SOCKET:-} ]] && command -v hpcbridge >/dev/null 2>&1; then
		hpcbridge checkpoint || echo "checkpoint of epoch $1 not committed: the last committed one stays" >&2
	fi
}

done_epochs=0
if [[ -s $state ]]; then
	read -r done_epochs <"$state"
	echo "resumed from epoch $done_epochs (run $run)"
fi

on_usr1() {
	echo "caught USR1: stopping after epoch $done_epochs"
	save "$done_epochs"
	if [[ -n ${HPCBRIDGE_CHECKPOINT_SOCKET:-} ]]; then
		exit 85 # hpcbridge: checkpointed, requeue me
	fi
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
	save "$done_epochs"
done

echo "trained $epochs epochs" >"$ckpt_dir/model.txt"
echo "training complete: $epochs epochs, $run run(s)"
