#!/bin/bash
# derived nodes and tasks, exclusive then oversubscribe, bare gpu gres, time-min
#SBATCH --tasks-per-node=3
#SBATCH --cpus-per-gpu=4
#SBATCH --gpus=2
#SBATCH --exclusive
#SBATCH --oversubscribe
#SBATCH --time-min=5
#SBATCH --gres=gpu
echo hi
