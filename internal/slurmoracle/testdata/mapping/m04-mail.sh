#!/bin/bash
# KiB memory, MM:SS time, mail types accumulate and ALL expands
#SBATCH --mem=1500000K
#SBATCH --time=1:1
#SBATCH --gpus=2
#SBATCH -J
#SBATCH name
#SBATCH --mail-type=ALL,BEGIN
#SBATCH --mail-type=end
#SBATCH --mail-user=a@b
echo hi
