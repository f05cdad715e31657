#!/usr/bin/env bash
# Install the MPI implementations the multi-node examples and tests launch through srun: Debian's
# Open MPI (openmpi-bin, libopenmpi-dev: mpicc, mpirun) and MPICH beside it (mpich, libmpich-dev:
# mpicc.mpich, mpiexec.mpich; Debian installs both at once, and its alternatives keep the plain
# names on Open MPI). Idempotent: with every package installed it only asks dpkg (milliseconds).
# Installing needs root; one `apt-get update` only if the install fails without it.
set -euo pipefail
pkgs=(openmpi-bin libopenmpi-dev mpich libmpich-dev)
need=()
for p in "${pkgs[@]}"; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || need+=("$p")
done
[ ${#need[@]} -eq 0 ] && exit 0
command -v apt-get >/dev/null 2>&1 || { echo "install-mpi: missing ${need[*]}, and no apt-get here (not Debian): install Open MPI and MPICH by hand" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "install-mpi: missing ${need[*]}; installing them needs root (sudo $0)" >&2; exit 1; }
echo "install-mpi: installing ${need[*]}" >&2
log=$(mktemp "${TMPDIR:-/tmp}/install-mpi.XXXXXX")
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${need[@]}" >"$log" 2>&1; then
	echo "install-mpi: apt-get update (package lists missing or stale)" >&2
	apt-get update >>"$log" 2>&1 || { cat "$log" >&2; echo "install-mpi: apt-get update failed" >&2; exit 1; }
	apt-get install -y --no-install-recommends "${need[@]}" >>"$log" 2>&1 || { tail -n 30 "$log" >&2; echo "install-mpi: apt-get install ${need[*]} failed" >&2; exit 1; }
fi
rm -f "$log"
command -v mpicc >/dev/null && command -v mpirun >/dev/null && command -v mpiexec.mpich >/dev/null \
	|| { echo "install-mpi: installed ${need[*]}, but mpicc, mpirun or mpiexec.mpich is not on PATH" >&2; exit 1; }
