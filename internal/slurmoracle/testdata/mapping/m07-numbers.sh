#!/bin/bash
# numeric signal, explicit nice 0, INFINITE time, single-task array, script hold
#SBATCH -d
#SBATCH afterany:1
#SBATCH --requeue
#SBATCH --hold
#SBATCH --gpus-per-task=1
#SBATCH -n
#SBATCH 2
#SBATCH --mem-per-cpu=100
#SBATCH --time=INFINITE
#SBATCH --nice=0
#SBATCH --array=3
#SBATCH --signal=9
#SBATCH --open-mode=truncate
echo hi
