#!/bin/bash
# export-none.sh: a job that starts with a clean environment.
#
# Shows: --export=NONE. Only SLURM_* variables come from the submitting
# shell; everything else the caller had set (try
# `MY_SETTING=42 sbatch export-none.sh`) is absent. Slurm may load the
# user's login environment on the node instead, so HOME or USER can still
# appear: they are reported, not asserted. The default (--export=ALL)
# would have passed MY_SETTING through.
#
# Output: export-none-<jobid>.out: "MY_SETTING: unset", whether HOME, USER
# and PATH are set, the names of the SLURM_* variables present and the
# number of environment variables.
#
#   MY_SETTING=42 sbatch export-none.sh
#
#SBATCH --job-name=export-none
#SBATCH --export=NONE
#SBATCH --ntasks=1
#SBATCH --time=00:01:00
#SBATCH --output=export-none-%j.out

# With --export=NONE, PATH may be unset: use builtins and a fixed PATH.
PATH=${PATH:-/usr/bin:/bin}

report() {
	if [[ -n ${!1+set} ]]; then echo "$1: set"; else echo "$1: unset"; fi
}
report MY_SETTING
report HOME
report USER
report PATH
slurm_vars=() count=0
for name in $(compgen -e); do
	count=$((count + 1))
	[[ $name == SLURM_* ]] && slurm_vars+=("$name")
done
echo "SLURM variables: ${slurm_vars[*]}"
echo "environment variables: $count"
