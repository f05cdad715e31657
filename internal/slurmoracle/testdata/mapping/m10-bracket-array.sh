#!/bin/bash
# bracketed array with throttle, D-H time, quoted constraint, negative nice, mem-per-gpu, node range
#SBATCH --array=[1-3,5]%2
#SBATCH -t
#SBATCH 1-0
#SBATCH --time-min=90
#SBATCH --constraint="gpu&a100"
#SBATCH --nice=-5
#SBATCH --mem-per-gpu=2T
#SBATCH --gpus=1
#SBATCH -N
#SBATCH 1-3
#SBATCH --open-mode=append
echo hi
