#!/bin/bash
# rendezvous.sh: two nodes meet over TCP, as torchrun's processes do.
#
# Shows: -N 2 --ntasks-per-node=1, the torchrun recipe for the master
# address (the first name of `scontrol show hostnames "$SLURM_JOB_NODELIST"`,
# which the other node must reach) and a port derived from the job id, and
# srun starting one Python process per node (rendezvous.py, standard library
# only: rank 0 listens at MASTER_ADDR:MASTER_PORT, rank 1 connects and the
# two exchange their ranks and nodes). Outside Slurm both run here.
#
# Output: rendezvous-<jobid>.out with "nodes: <hostlist>", "master: ADDR:PORT",
# then one line per rank, sorted: "rank R of 2 on NODE: met rank 0 on N0,
# rank 1 on N1", and "rendezvous done".
#
#   sbatch rendezvous.sh
#
#SBATCH --job-name=rendezvous
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --time=00:05:00
#SBATCH --output=rendezvous-%j.out

set -e
cd "${SLURM_SUBMIT_DIR:-.}"
if command -v srun >/dev/null 2>&1 && [[ -n ${SLURM_JOB_ID:-} ]]; then
	MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
	MASTER_PORT=$((10000 + SLURM_JOB_ID % 10000))
	export MASTER_ADDR MASTER_PORT WORLD_SIZE=$SLURM_NTASKS
	echo "nodes: $SLURM_JOB_NODELIST"
	echo "master: $MASTER_ADDR:$MASTER_PORT"
	srun python3 rendezvous.py | sort -k2,2n
else
	export MASTER_ADDR=127.0.0.1 MASTER_PORT=$((10000 + $$ % 10000)) WORLD_SIZE=2
	echo "nodes: $(uname -n)"
	echo "master: $MASTER_ADDR:$MASTER_PORT"
	for r in 0 1; do RANK=$r python3 rendezvous.py & done | sort -k2,2n
fi
echo "rendezvous done"
