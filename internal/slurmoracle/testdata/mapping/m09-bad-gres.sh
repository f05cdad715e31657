#!/bin/bash
# rejected: gres with and without type
#SBATCH -o
#SBATCH %x.out
#SBATCH --gres=gpu,gpu:a100:2
echo hi
