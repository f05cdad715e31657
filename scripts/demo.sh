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
# its last checkpoint (docs/files.md, docs/checkpoints.md).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bin=$repo/bin
export PATH="$bin:$PATH"

state=$(mktemp -d "${TMPDIR:-/tmp}/hpcbridge-demo.XXXXXX")
# The submit directory: jobs run as their submitter (hpcbridge dev's run-as policy) and write
# their outputs here, as they would on a shared filesystem.
work=$state/work
mkdir -p "$work" && chmod 1777 "$state" "$work"
cp -r examples/slurm/. "$work/"
chmod -R a+rX "$work"
# The CLI's token file for this demo (hpcbridge dev leaves the management token there).
export HPCBRIDGE_TOKEN_FILE=$state/token
dev=
trap 'if [ -n "$dev" ]; then kill -INT $dev 2>/dev/null; wait $dev 2>/dev/null; fi; rm -rf "$state"' EXIT
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
