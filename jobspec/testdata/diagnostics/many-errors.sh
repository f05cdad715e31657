#!/bin/bash
#SBATCH --job-name=train
#SBATCH --tim=10
#SBATCH -N 2 --ntasks=zero
#SBATCH --mem=4G --mem-per-cpu=1G
#SBATCH --array=1-10:0
#SBATCH --signal=NOPE@30 --partition "gpu
# SBATCH --comment=this-is-a-comment
echo start
#SBATCH --time=5
