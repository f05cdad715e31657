#!/usr/bin/env bash
# The embedded default, as far as it goes in this release: explain the example scripts, start a
# one-node coordinator, submit the examples through sbatch, and show them with squeue, scontrol
# and sacct. There is no execution backend yet (Nomad arrives next), so jobs stay pending with
# reason Resources while dependencies, holds and arrays are tracked.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$PWD/bin
export PATH="$bin:$PATH"

echo "== what each example asks for (hpcbridge explain) =="
for f in examples/slurm/*.sh examples/slurm/*.py examples/slurm/pipeline/*.sh; do
	hpcbridge explain "$f"
	echo
done

work=$(mktemp -d "${TMPDIR:-/tmp}/hpcbridge-demo.XXXXXX")
port=${HPCBRIDGE_DEMO_PORT:-14747}
export HPCBRIDGE_ADDR=http://127.0.0.1:$port HPCBRIDGE_TOKEN_FILE=$work/token
hpcbridge server --bootstrap --data-dir "$work/data" --bind 127.0.0.1:"$port" --raft-bind 127.0.0.1:$((port + 1)) \
	--partition debug --partition gpu --log-level warn >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
	hpcbridge acl bootstrap --save >"$work/bootstrap.txt" 2>/dev/null && break
	sleep 0.1
done
echo "== coordinator at $HPCBRIDGE_ADDR (management token saved for the CLI) =="
sed -n '1,4p' "$work/bootstrap.txt"
echo

echo "== sbatch =="
cd "$work"
sbatch "$OLDPWD/examples/slurm/hello.sh"
sbatch "$OLDPWD/examples/slurm/array-throttle.sh"
sbatch --hold "$OLDPWD/examples/slurm/gpu-train-checkpoint.sh"
"$OLDPWD/examples/slurm/pipeline/run-pipeline" 10
cd "$OLDPWD"
echo

echo "== squeue =="
squeue
echo
echo "== squeue -r -t PD -o '%.10i %.18j %.8T %r' (arrays expanded) | head =="
squeue -r -t PD -o '%.10i %.18j %.8T %r' | head -8
echo
echo "== scontrol show job 2 =="
scontrol show job 2
echo "== scancel 2 (the array) =="
scancel 2
echo "== sacct =="
sacct -X
