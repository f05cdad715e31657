package srun

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// report prints srun's summary of failed tasks and returns srun's exit
// status: 128+N when a task was killed by signal N (the highest such N),
// else the highest exit code (checked against Slurm 22.05: a killed task
// outranks any exit code).
func (st *step) report(states []*os.ProcessState, stderr io.Writer) int {
	ws := make([]syscall.WaitStatus, len(states))
	for i, ps := range states {
		ws[i] = ps.Sys().(syscall.WaitStatus)
	}
	return st.reportStatus(ws, func(int) string { return st.node }, stderr)
}

// reportStatus is report for tasks whose wait statuses are known; nodeOf
// names each rank's node. Failed tasks are reported per node.
func (st *step) reportStatus(statuses []syscall.WaitStatus, nodeOf func(rank int) string, stderr io.Writer) int {
	byCode := map[reportKey][]int{}
	bySignal := map[reportKey][]int{}
	maxCode, maxSig := 0, syscall.Signal(0)
	for rank, ws := range statuses {
		switch {
		case ws.Signaled():
			sig := ws.Signal()
			k := reportKey{nodeOf(rank), int(sig)}
			bySignal[k] = append(bySignal[k], rank)
			maxSig = max(maxSig, sig)
		case ws.ExitStatus() != 0:
			code := ws.ExitStatus()
			k := reportKey{nodeOf(rank), code}
			byCode[k] = append(byCode[k], rank)
			maxCode = max(maxCode, code)
		}
	}
	for _, k := range sortedKeys(byCode) {
		fmt.Fprintf(stderr, "srun: error: %s: %s: Exited with exit code %d\n", k.node, tasks(byCode[k]), k.n)
	}
	for _, k := range sortedKeys(bySignal) {
		fmt.Fprintf(stderr, "srun: error: %s: %s: %s\n", k.node, tasks(bySignal[k]), strsignal(syscall.Signal(k.n)))
	}
	if maxSig != 0 {
		fmt.Fprintf(stderr, "srun: Force Terminated StepId=%s.%d\n", st.job, st.id)
		return 128 + int(maxSig)
	}
	return maxCode
}

// reportKey groups failed tasks: their node and exit code or signal.
type reportKey struct {
	node string
	n    int
}

// sortedKeys orders the report's groups by code or signal, then node.
func sortedKeys(m map[reportKey][]int) []reportKey {
	keys := make([]reportKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].n != keys[j].n {
			return keys[i].n < keys[j].n
		}
		return keys[i].node < keys[j].node
	})
	return keys
}

// tasks names ranks as srun does: "task 1", "tasks 0,2", "tasks 0-3".
func tasks(ranks []int) string {
	sort.Ints(ranks)
	var parts []string
	for i := 0; i < len(ranks); {
		j := i
		for j+1 < len(ranks) && ranks[j+1] == ranks[j]+1 {
			j++
		}
		if j > i+1 {
			parts = append(parts, fmt.Sprintf("%d-%d", ranks[i], ranks[j]))
		} else {
			for k := i; k <= j; k++ {
				parts = append(parts, strconv.Itoa(ranks[k]))
			}
		}
		i = j + 1
	}
	word := "task"
	if len(ranks) > 1 {
		word = "tasks"
	}
	return word + " " + strings.Join(parts, ",")
}

// strsignal describes sig as the C library does ("Terminated").
func strsignal(sig syscall.Signal) string {
	s := sig.String()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
