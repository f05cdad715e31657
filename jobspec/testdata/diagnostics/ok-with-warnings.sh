#!/bin/bash
  #SBATCH --job-name=indented
#SBATCH -J real -N 4 -n 2
module load cuda
#SBATCH --gres=gpu:1
