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
	byCode := map[int][]int{}
	bySignal := map[syscall.Signal][]int{}
	maxCode, maxSig := 0, syscall.Signal(0)
	for rank, ps := range states {
		ws := ps.Sys().(syscall.WaitStatus)
		switch {
		case ws.Signaled():
			sig := ws.Signal()
			bySignal[sig] = append(bySignal[sig], rank)
			maxSig = max(maxSig, sig)
		case ws.ExitStatus() != 0:
			code := ws.ExitStatus()
			byCode[code] = append(byCode[code], rank)
			maxCode = max(maxCode, code)
		}
	}
	for _, code := range sortedKeys(byCode) {
		fmt.Fprintf(stderr, "srun: error: %s: %s: Exited with exit code %d\n", st.node, tasks(byCode[code]), code)
	}
	for _, sig := range sortedKeys(bySignal) {
		fmt.Fprintf(stderr, "srun: error: %s: %s: %s\n", st.node, tasks(bySignal[sig]), strsignal(sig))
	}
	if maxSig != 0 {
		fmt.Fprintf(stderr, "srun: Force Terminated StepId=%s.%d\n", st.job, st.id)
		return 128 + int(maxSig)
	}
	return maxCode
}

func sortedKeys[K ~int](m map[K][]int) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
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
