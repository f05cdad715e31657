#!/usr/bin/env bash
# The embedded default: start `hpcbridge dev` (a one-node coordinator and a Nomad dev agent with
# the hpcbridge task driver), submit the example scripts with sbatch, watch them with squeue
# until they finish, and print the sacct summary and the Nomad UI address. The two GPU examples
# run on the GPU device plugin's fake backend (go-nvml's mock GPUs) when the machine has no
# working NVIDIA driver: hpcbridge dev says which backend runs in its banner. Then it restarts
# dev with two nodes (--nodes 2) and runs the multi-node examples: an MPI job (mpirun) and a
# torchrun-style rendezvous, with their steps in sacct. Last, on two staged nodes (--staged: they
# do not read the submit directory), a job whose files travel with it and come back with
# hpcbridge fetch, and gpu-train-checkpoint.sh reclaimed mid-run, resuming on the other node from
# its last checkpoint (docs/files.md, docs/checkpoints.md). It ends with rewards on the embedded
# chain (docs/rewards.md): a donor registers its wallet, its machine joins with `hpcbridge agent`
# and runs a checkpointing job, an epoch closes and is published, and the donor claims its
# tokens with its keystore (made with `geth account import`), its balance shown.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bin=$repo/bin
export PATH="$bin:$PATH"

state=$(mktemp -d "${TMPDIR:-/tmp}/hpcbridge-demo.XXXXXX")
# The submit directory: jobs run as their submitter (hpcbridge dev's run-as policy) and write
# their outputs here, as they would on a shared filesystem.
work=$state/jobs
mkdir -p "$work" && chmod 1777 "$state" "$work"
cp -r examples/slurm/. "$work/"
chmod -R a+rX "$work"
# The CLI's token file for this demo (hpcbridge dev leaves the management token there).
export HPCBRIDGE_TOKEN_FILE=$state/token
dev=
agent=
# (A failed wait must not end the trap early under set -e: the agent's or dev's, when it failed.)
trap 'if [ -n "$agent" ]; then kill -TERM $agent 2>/dev/null; wait $agent 2>/dev/null || true; fi; if [ -n "$dev" ]; then kill -INT $dev 2>/dev/null; wait $dev 2>/dev/null || true; fi; rm -rf "$state"' EXIT
# start_dev LOG ARGS...: start hpcbridge dev in the background (its pid in $dev), wait for its
# banner and show it.
start_dev() {
	local log=$1
	shift
	hpcbridge dev "$@" >"$log" 2>&1 &
	dev=$!
	for _ in $(seq 900); do
		grep -q "hpcbridge dev is running" "$log" && break
		kill -0 $dev 2>/dev/null || { cat "$log"; exit 1; }
		sleep 0.2
	done
	grep -q "hpcbridge dev is running" "$log" || { cat "$log"; echo "hpcbridge dev did not start"; exit 1; }
	sed -n '/hpcbridge dev is running/,$p' "$log"
	echo
}
# wait_queue: show squeue every 4 s until nothing runs and nothing pending can still start.
wait_queue() {
	for _ in $(seq 150); do
		out=$(squeue -o "%.10i %.9P %.18j %.8u %.2t %.10M %.6D %.14b %R")
		echo "$(date +%T)"
		echo "$out"
		[ -z "$(echo "$out" | tail -n +2 | grep -v DependencyNeverSatisfied)" ] && break
		sleep 4
	done
}
log=$state/dev.log
start_dev "$log" --data-dir "$state/data"

echo "== sbatch (from $work) =="
cd "$work"
for f in hello.sh array-throttle.sh multi-task-srun.sh python-job.py export-none.sh mem-and-time.sh long-requeue.sh; do
	printf '%-22s ' "$f"
	MY_SETTING=from-the-caller sbatch "$f"
done
printf '%-22s ' "pipeline (3 steps)"
./pipeline/run-pipeline 100 | tr '\n' ' '
echo
# The GPU examples: 10 epochs of simulated training on one GPU, and two srun tasks with one GPU each.
printf '%-22s ' "gpu-train-checkpoint.sh 10"
sbatch gpu-train-checkpoint.sh 10
printf '%-22s ' "gpu-per-task.sh"
sbatch gpu-per-task.sh
echo

echo "== sinfo: the node's GPUs (GRES) =="
sinfo -N -o "%N %.6t %.4c %.8m %G"
echo

echo "== squeue, until the queue is empty =="
wait_queue
echo

echo "== sacct -X =="
sacct -X --format=JobID,JobName%18,Partition,State,ExitCode,Elapsed,NodeList
echo
echo "== sacct: the GPU jobs' TRES =="
sacct -X --name=train-ckpt,gpu-per-task --format=JobID,JobName%14,State,Elapsed,AllocTRES%50,GPUSeconds
echo
echo "== outputs =="
for f in hello-*.out multi-task-*.out py-stats-*.out report-*.out train-ckpt-*.out gpu-per-task-*.out; do
	echo "--- $f"
	cat "$f"
done
echo "--- hpcbridge output <first array task> (from the coordinator's archive)"
first=$(sacct -X -n -P --format=JobID | grep '_' | head -1)
hpcbridge output "$first"
echo
grep "Nomad UI" "$log"

# Multi-node: the same commands on `hpcbridge dev --nodes 2`, a Nomad server and two clients
# whose node names (127.0.1.101, 127.0.1.102) are addresses each node reaches. The MPI job runs a
# plain `mpirun` (Open MPI starts its daemons through srun) after building mpi-hello.c with
# mpicc; the rendezvous job meets at the first node's name, torchrun's MASTER_ADDR recipe.
echo
echo "== multi-node: hpcbridge dev --nodes 2 =="
kill -INT $dev 2>/dev/null
wait $dev 2>/dev/null || true
dev=
cd "$repo"
start_dev "$state/dev-nodes.log" --nodes 2 --gpu-backend none --data-dir "$state/data-nodes"
cd "$work"
printf '%-22s ' "mpi-hello.sh"
mpi=$(sbatch --parsable mpi-hello.sh)
echo "$mpi"
printf '%-22s ' "rendezvous.sh"
rdv=$(sbatch --parsable rendezvous.sh)
echo "$rdv"
echo
echo "== squeue, until the queue is empty =="
wait_queue
echo
echo "== sacct: the jobs and their steps =="
sacct -j "$mpi,$rdv" --format=JobID%14,JobName%12,NodeList%20,NNodes,NTasks,State,ExitCode
echo
echo "== outputs =="
for f in "mpi-hello-$mpi.out" "rendezvous-$rdv.out"; do
	echo "--- $f"
	cat "$f"
done
echo
grep "Nomad UI" "$state/dev-nodes.log"

# Staged files and checkpoints: `hpcbridge dev --nodes 2 --staged`, whose nodes never read the
# submit directory. sbatch uploads the directory's files; `sbatch --wait` fetches what the job
# wrote. The training job commits a checkpoint every epoch (hpcbridge checkpoint); its node is
# reclaimed mid-run, and the job resumes on the other node from its last checkpoint.
echo
echo "== staged files and checkpoints: hpcbridge dev --nodes 2 --staged =="
kill -INT $dev 2>/dev/null
wait $dev 2>/dev/null || true
dev=
cd "$repo"
start_dev "$state/dev-staged.log" --nodes 2 --staged --gpu-backend fake --gpus 1 --data-dir "$state/data-staged"
staged=$state/staged
mkdir -p "$staged"
cp examples/slurm/gpu-train-checkpoint.sh "$staged/"
cd "$staged"
seq 1 100 >numbers.txt
cat >sum.sh <<'SCRIPT'
#!/bin/sh
#SBATCH -o sum-%j.out
echo "summing on $(hostname) in $PWD (submitted from ${HPCBRIDGE_SUBMIT_DIR_ORIGIN:-$SLURM_SUBMIT_DIR})"
awk '{ s += $1 } END { print s }' numbers.txt >sum.txt
SCRIPT
echo "sbatch --wait sum.sh      (from $staged: numbers.txt and sum.sh go up, sum.txt and the output come back)"
sbatch --wait sum.sh
echo "--- $(ls sum-*.out)"
cat sum-*.out
echo "--- sum.txt: $(cat sum.txt)"
echo
echo "sbatch gpu-train-checkpoint.sh 15"
train=$(sbatch --parsable gpu-train-checkpoint.sh 15)
echo "Submitted batch job $train"
n=0
for _ in $(seq 300); do
	n=$(scontrol show job "$train" | grep -o 'Checkpoints=[0-9]*' | cut -d= -f2 || true)
	[ "${n:-0}" -ge 3 ] && break
	sleep 0.2
done
node=$(squeue -h -j "$train" -o %N)
echo "== $(date +%T) job $train has committed ${n:-0} checkpoints on $node: the donor takes the node back =="
hpcbridge node reclaim --deadline 30s "$node"
wait_queue
echo
echo "== scontrol show job $train | restarts and checkpoints =="
scontrol show job "$train" | grep -E -o '(^|[[:space:]])(JobState|Restarts|NodeList|Checkpoints|LastCheckpoint|CheckpointSize)=[^ ]*' | tr '\n' ' '
echo
echo "== hpcbridge fetch $train; the output, appended across both runs =="
hpcbridge fetch "$train"
cat "train-ckpt-$train.out"
echo
echo "== hpcbridge receipts --job $train: the checkpointed work each node signed =="
hpcbridge receipts --job "$train"

# Rewards (docs/rewards.md): the same dev runs the embedded chain (go-ethereum's simulated chain
# inside the coordinator, with the RewardDistributor contract deployed on its first start). A
# donor registers with its wallet (a key it generates; `geth account import` makes the keystore
# its claim signs with), its machine joins with `hpcbridge agent` and a join token, and runs a
# checkpointing job on one (fake) H100: each checkpoint's receipt credits the donor's wallet at
# the H100's rate. `hpcbridge rewards close` closes epoch 1 (a Merkle root over every wallet's
# cumulative credit), the coordinator publishes the root on chain once (the dev faucet gives the
# wallet gas), and the donor claims exactly its credit.
echo
echo "== rewards: a donor's machine earns tokens, claimed on the embedded chain =="
donor=$state/donor
mkdir -p "$donor" && chmod 711 "$state" "$donor"
(umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$donor/wallet.key" && : >"$donor/password")
hpcbridge rewards rates set --gpu "NVIDIA H100=1" --gpu "NVIDIA A100=0.6" --cpu 0.01
hpcbridge donor register demo-uni --wallet-key "$donor/wallet.key"
wallet=0x$(geth account import --keystore "$donor/keystore" --password "$donor/password" "$donor/wallet.key" 2>&1 | sed -n 's/^Address: {\(.*\)}$/\1/p')
keystore=$(ls "$donor"/keystore/UTC--*)
echo "wallet $wallet, keystore $keystore"
HPCBRIDGE_JOIN_TOKEN=$(hpcbridge node join-token --donor demo-uni 2>/dev/null) hpcbridge agent \
	--coordinator "${HPCBRIDGE_ADDR:-http://127.0.0.1:4747}" --plugin-dir "$bin/plugins" \
	--gpu-backend fake --fake-gpus 1 --fake-gpu-model h100 --data-dir "$donor/agent" --name demo-uni-1 >"$donor/agent.log" 2>&1 &
agent=$!
for _ in $(seq 600); do
	grep -qs "Ctrl-C or SIGTERM leaves" "$donor/agent.log" && break
	kill -0 $agent 2>/dev/null || { cat "$donor/agent.log"; exit 1; }
	sleep 0.2
done
grep -q "Ctrl-C or SIGTERM leaves" "$donor/agent.log" || { cat "$donor/agent.log"; echo "hpcbridge agent did not start"; exit 1; }
grep "joined donor" "$donor/agent.log"
# A fresh submit directory: the one above holds the finished training's checkpoint.
mkdir -p "$donor/submit"
cd "$repo"
cp examples/slurm/gpu-train-checkpoint.sh "$donor/submit/"
cd "$donor/submit"
echo "sbatch --wait -w demo-uni-1 gpu-train-checkpoint.sh 5      (from $donor/submit)"
job=$(sbatch --wait --parsable -w demo-uni-1 gpu-train-checkpoint.sh 5)
echo "job $job ended"
echo
echo "== sacct: the job's credited GPU-seconds and reward (tokens) =="
sacct -X -j "$job" --format=JobID,JobName%12,NodeList%12,State,CreditGPUSeconds,Reward%24
echo
echo "== hpcbridge rewards close; the coordinator publishes epoch 1 =="
hpcbridge rewards close
for _ in $(seq 150); do
	hpcbridge rewards status --json | grep -q '"state": *"published"' && break
	sleep 0.2
done
hpcbridge rewards status
echo
echo "== hpcbridge rewards proof $wallet =="
hpcbridge rewards proof "$wallet"
echo
echo "== hpcbridge rewards verify 1: the root rebuilt from the export, next to the chain's =="
hpcbridge rewards verify 1
echo
echo "== hpcbridge rewards claim --keystore (the donor signs its claim) =="
hpcbridge rewards claim --keystore "$keystore" --password-file "$donor/password"
kill -TERM $agent 2>/dev/null
wait $agent 2>/dev/null || true
agent=
