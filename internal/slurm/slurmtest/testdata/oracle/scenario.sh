#!/bin/bash
# Builds a queue on the Slurm oracle (../../../../../shared/slurm-oracle,
# started with its start.sh) and records how squeue, scontrol and sinfo
# print it: the files next to this script. It submits ten small jobs (three
# of them run for a few seconds) and cancels all of them at the end.
# The Go tests rebuild the same queue in fixture_test.go (scenarioJobs).
set -u
. "${SLURM_ORACLE_STATE:-/tmp/slurm-oracle-state}/env.sh"
O=${1:-/tmp/oracle/sc}
mkdir -p "$O" /tmp/sj
cat > /tmp/sj/train.sh <<'SCRIPT'
#!/bin/bash
#SBATCH -J train -N 1 -n 4 -c 2 --mem=8G --gres=gpu:2 -t 1-02:03:04
#SBATCH -o out-%j.txt -e err-%j.txt --nice=5 --comment="hello world" -A physics
echo hi
SCRIPT
cd /tmp
A=$(sbatch --parsable --hold --wrap 'sleep 100')
B=$(sbatch --parsable --hold -J arrjob --array=5-999%10 --wrap 'sleep 100')
C=$(sbatch --parsable --hold -J averyveryverylongjobname -t 90 -p gpu --wrap 'sleep 100')
D=$(cd /tmp/sj && sbatch --parsable --hold --dependency=afterok:$A --begin=2026-12-01T10:00:00 train.sh a b)
E=$(sbatch --parsable -J runner -t 5 --mem=100 --wrap 'sleep 300')
F=$(sbatch --parsable -J arr2 --array=1-6%2 -t 3 --mem=100 --wrap 'sleep 300')
G=$(sbatch --parsable -J quick --mem=100 --wrap 'exit 3')
H=$(sbatch --parsable -J ok --mem=100 --wrap 'true')
I=$(sbatch --parsable -J waiter --mem=100 -t 2-00:00:00 --dependency=afterany:$E --wrap 'true')
J=$(sbatch --parsable --hold -J gone --wrap 'true')
scancel $J
echo "A=$A B=$B C=$C D=$D E=$E F=$F G=$G H=$H I=$I J=$J" > $O/ids
sleep 6
ALL="$A,$B,$C,$D,$E,$F,$G,$H,$I,$J"
squeue --json > $O/json-before.json
date +%s > $O/now-before
squeue -j $ALL > $O/default.txt
squeue -j $ALL -l > $O/long.txt
squeue -j $ALL -r > $O/array.txt
squeue -j $ALL -t all > $O/all.txt
squeue -j $ALL -t all -o "%.18i %.9P %.8j %.8u %.2t %.10M %.9l %.6D %R %A %F %K %a %E %C %m %S %e %V %T %r %y %q" > $O/fmt1.txt
squeue -j $ALL -t all -O "JobID,JobArrayID,ArrayJobID,ArrayTaskID,Name:12,UserName:.8,StateCompact:4,State,Reason:20,ReasonList:25,TimeUsed:.10,TimeLimit:.12,TimeLeft:12,NumNodes:6,NumCPUs:5,Partition:10,Dependency:30,MinMemory:8,exit_code:10,NodeList:10,StartTime,EndTime" > $O/fmtO.txt
squeue -j $ALL -h -t R,PD -o "%i|%T|%R|%M|%L" > $O/noheader.txt
squeue -u root -p gpu,long -j $ALL > $O/filter.txt
squeue -j $ALL -t all -S "-i" -o "%i %T" > $O/sort-id-desc.txt
squeue -j $ALL -t all -S "j,-M" -o "%i %j %M" > $O/sort-name.txt
squeue -j $ALL -o "%all" > $O/all-fields.txt
for x in $A $B $C $D $E $F $G $H $I $J ${F}_1 ${B}_7; do scontrol show job $x > $O/show-$x.txt 2>&1; done
scontrol -o show job $D > $O/show-oneline-$D.txt
sinfo -p debug,gpu > $O/sinfo.txt
sinfo -s -p debug,gpu > $O/sinfo-s.txt
sinfo -l -p debug,gpu > $O/sinfo-l.txt
scontrol show partition debug > $O/part-debug.txt
squeue --json > $O/json-after.json
date +%s > $O/now-after
scancel $A $B $C $D $E $F $G $H $I $J
