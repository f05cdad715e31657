#!/bin/bash
# donate-node.sh: lend one node of your Slurm cluster to an hpcbridge federation, as a pilot job.
#
# For a university's cluster admin (docs/donors.md, "Pilot job on your own Slurm cluster").
# Slurm gives this job a node (or part of one); the job starts `hpcbridge agent` inside the
# allocation, which joins the federation as a Nomad client of your donor organisation and
# runs federation jobs with exactly the allocation's CPUs, memory and GPUs. Before the time
# limit, on the --signal below, the node leaves: its running jobs get their own --signal,
# checkpoint and move to other nodes, and this job ends COMPLETED (exit 0), not TIMEOUT.
# Its per-job directory (Nomad's state, the node key, the jobs' sandboxes) is removed.
#
# Give it a join token (single use: one per pilot job, issued by someone holding your
# donor-admin or a management token) and the coordinator's address, through the
# environment (sbatch passes it on):
#
#   hpcbridge node join-token --donor uni-a --ttl 24h > ~/.hpcbridge/join-token  # chmod 600
#   export HPCBRIDGE_JOIN_TOKEN_FILE=~/.hpcbridge/join-token
#   export HPCBRIDGE_COORDINATOR=https://coordinator.example.org:4747
#   sbatch --time=08:00:00 --signal=B:USR1@600 donate-node.sh
#   sbatch --gres=gpu:4 --cpus-per-task=32 --mem=256G donate-node.sh   # lend 4 GPUs
#
# The token may also be in HPCBRIDGE_JOIN_TOKEN (not on the command line: every user of the
# node can read a process's arguments). Its expiry must cover the time this job waits in
# the queue. The coordinator may also be the first argument.
#
# Settings (environment):
#   HPCBRIDGE_BIN             hpcbridge (default: the one on PATH); Nomad (`nomad`) and the
#                             plugins (plugins/hpcbridge-driver, plugins/hpcbridge-gpu) are
#                             looked up beside it, as `hpcbridge agent --help` says
#   HPCBRIDGE_PILOT_DIR       the per-job directory (default: ${SLURM_TMPDIR:-${TMPDIR:-/tmp}}
#                             /hpcbridge-pilot-<jobid>); keep it short (sockets live in it)
#   HPCBRIDGE_NODE_NAME       the node's name in the federation (default: <host>-slurm-<jobid>)
#   HPCBRIDGE_LEAVE_DEADLINE  how long the node's jobs get to checkpoint and end when it leaves
#                             (default 5m; a Go duration: 90s, 5m)
#   HPCBRIDGE_AGENT_FLAGS     more flags for `hpcbridge agent` (split at spaces), e.g.
#                             "--sandbox-uids 61184-65519" or "--plugin-dir /opt/hpcbridge/plugins"
#
# The --signal lead (USR1@SECONDS) must cover the leave deadline plus 2 minutes: jobs still
# running at the deadline are stopped (the coordinator's KillWait, their last checkpoint's
# upload), for which the agent waits up to 90 s more, then Nomad stops and this directory
# goes. Past the time limit Slurm kills what is left and the job ends TIMEOUT. Slurm sends
# the signal up to about 30 s earlier than asked, never later. To end a pilot early and
# cleanly: `scancel --batch --signal=USR1 JOBID` (a plain scancel also works: SIGTERM starts
# the same leave, but Slurm kills what is left KillWait, often 30 s, later, so the node's
# jobs may lose their last checkpoint).
#
# Submit it as root: the agent's Nomad client and the sandbox its jobs run in (a uid of
# their own, mount namespaces, cgroups) need it.
#
# Output: hpcbridge-donor-<jobid>.out: what the allocation gave (CPUs, memory, GPUs), the
# agent's own output (what it joined as, the jobs it ran), "leaving: ..." with the signal and
# the deadline, and "pilot done: ..." with the agent's exit status.
#
#SBATCH --job-name=hpcbridge-donor
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=8
#SBATCH --mem=32G
#SBATCH --time=08:00:00
#SBATCH --signal=B:USR1@600
#SBATCH --no-requeue
#SBATCH --output=%x-%j.out

set -uo pipefail

stamp() { date -u +%FT%TZ; }
say() { echo "$(stamp) donate-node: $*"; }
die() {
	say "error: $*" >&2
	exit 1
}

job=${SLURM_JOB_ID:-local-$$}

# --- what to join ---------------------------------------------------------------------
coordinator=${1:-${HPCBRIDGE_COORDINATOR:-${HPCBRIDGE_ADDR:-}}}
[[ -n $coordinator ]] || die "no coordinator: set HPCBRIDGE_COORDINATOR (or give it as the first argument)"
token=${HPCBRIDGE_JOIN_TOKEN:-}
if [[ -z $token && -n ${HPCBRIDGE_JOIN_TOKEN_FILE:-} ]]; then
	[[ -r $HPCBRIDGE_JOIN_TOKEN_FILE ]] || die "cannot read HPCBRIDGE_JOIN_TOKEN_FILE=$HPCBRIDGE_JOIN_TOKEN_FILE"
	read -r token <"$HPCBRIDGE_JOIN_TOKEN_FILE"
fi
[[ -n $token ]] || die "no join token: set HPCBRIDGE_JOIN_TOKEN_FILE (or HPCBRIDGE_JOIN_TOKEN)"
hpcbridge=${HPCBRIDGE_BIN:-$(command -v hpcbridge)}
[[ -x $hpcbridge ]] || die "hpcbridge not found: put it on PATH or set HPCBRIDGE_BIN"

# --- what Slurm gave this job ---------------------------------------------------------
cpus=${SLURM_CPUS_ON_NODE:-$(nproc)}
if [[ -n ${SLURM_MEM_PER_NODE:-} ]]; then
	mem_mib=$SLURM_MEM_PER_NODE
elif [[ -n ${SLURM_MEM_PER_CPU:-} ]]; then
	mem_mib=$((SLURM_MEM_PER_CPU * cpus))
else
	mem_mib=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024))
fi
# The GPUs of the job's GRES, as this job sees them: CUDA_VISIBLE_DEVICES is in the numbering
# NVML gives inside the job (0.. when Slurm confines devices, ConstrainDevices=yes; the
# node's own indices otherwise); SLURM_JOB_GPUS (the node's indices) when it is not set.
gpus=${CUDA_VISIBLE_DEVICES:-${SLURM_JOB_GPUS:-}}
[[ $gpus == NoDevFiles ]] && gpus=

host=$(hostname -s 2>/dev/null || uname -n)
name=${HPCBRIDGE_NODE_NAME:-$host-slurm-$job}
name=$(printf '%s' "${name,,}" | tr -c 'a-z0-9.-' '-')
name=${name:0:63}
dir=${HPCBRIDGE_PILOT_DIR:-${SLURM_TMPDIR:-${TMPDIR:-/tmp}}/hpcbridge-pilot-$job}
deadline=${HPCBRIDGE_LEAVE_DEADLINE:-5m}

# When the time limit falls (epoch seconds): said at the start, checked at the signal.
end=
if [[ -n ${SLURM_JOB_ID:-} ]] && command -v scontrol >/dev/null 2>&1; then
	e=$(scontrol show job "$SLURM_JOB_ID" 2>/dev/null | grep -o 'EndTime=[0-9T:-]*' | cut -d= -f2)
	[[ -n $e ]] && end=$(date -d "$e" +%s 2>/dev/null)
fi

# --- the per-job directory ------------------------------------------------------------
# 0711: the jobs' users (the sandbox's own uids) pass through it to their task directories.
# Made here, never taken over: a directory that exists already (its name is guessable) may be
# someone else's.
mkdir -m 0711 -- "$dir" || die "cannot create $dir (it must not exist yet)"
cleanup() {
	# The agent is gone; what its jobs left (sandboxes, Nomad's state) goes with it. Nomad
	# mounts a tmpfs in each task directory (secrets/): unmount those first, deepest first.
	awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts 2>/dev/null | sort -r |
		while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
	rm -rf --one-file-system "$dir" && say "removed $dir"
}
trap cleanup EXIT

say "job $job on $host: lending $cpus CPUs, $mem_mib MiB, GPUs [${gpus:-none}] as node $name"
limit=unknown
[[ -n $end ]] && limit=$(date -u -d "@$end" +%FT%TZ)
say "coordinator $coordinator; directory $dir; leave deadline $deadline; time limit at $limit"

# --- leaving on the signal ------------------------------------------------------------
agent=
leaving=
leave() {
	[[ -n $leaving ]] && return
	leaving=$1
	say "leaving: caught $1${end:+ with $((end - $(date +%s)))s left}: the node's jobs have $deadline to checkpoint and move"
	[[ -n $agent ]] && kill -TERM "$agent" 2>/dev/null
}
# Any signal Slurm may be asked to send (--signal=B:SIG@T, scancel --signal) means leave: an
# untrapped one would end this shell and orphan the agent, which Slurm's process tracking
# (proctrack/linuxproc) then no longer finds.
for sig in USR1 USR2 TERM INT HUP QUIT ALRM; do
	trap "leave $sig" "$sig"
done

if [[ -n $leaving ]]; then
	say "pilot done: caught $leaving before the agent started"
	exit 0
fi

# The token reaches the agent in its environment, never on its command line (which every
# user of the node can read).
HPCBRIDGE_JOIN_TOKEN=$token "$hpcbridge" agent --coordinator "$coordinator" \
	--name "$name" --data-dir "$dir/agent" --cpus "$cpus" --memory "$mem_mib" \
	${gpus:+--gpus "$gpus"} --leave-deadline "$deadline" ${HPCBRIDGE_AGENT_FLAGS:-} &
agent=$!
unset token HPCBRIDGE_JOIN_TOKEN
# A signal that came while the agent was being started: it leaves at once.
[[ -n $leaving ]] && kill -TERM "$agent" 2>/dev/null

# wait returns early when a trapped signal arrives: wait again until the agent has ended.
while :; do
	wait "$agent"
	rc=$?
	kill -0 "$agent" 2>/dev/null || break
done
if ((rc > 128)); then
	# The last wait was cut short by a signal as the agent ended: ask for its own status.
	wait "$agent" 2>/dev/null
	r=$?
	((r != 127)) && rc=$r
fi

if [[ -n $leaving ]]; then
	say "pilot done: left after $leaving; agent exit status $rc"
else
	say "pilot done: the agent ended by itself; exit status $rc"
fi
exit "$rc"
