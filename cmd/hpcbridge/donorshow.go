package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hpcbridge/hpcbridge/bridge/api"
)

// apiFailure is a command's error from the API, with the error's code so
// that a script (and a person reporting it) can tell refusals apart:
// "donor show uni-b: only a management token ... (permission_denied)".
func apiFailure(what string, err error) error {
	var e *api.Error
	if errors.As(err, &e) && e.Code != "" {
		return &exitError{code: exitRejected, err: fmt.Errorf("%s: %s (%s)", what, e.Error(), e.Code)}
	}
	return &exitError{code: exitRejected, err: fmt.Errorf("%s: %w", what, err)}
}

// positional returns c's arguments with the flags among them set on c:
// urfave/cli stops parsing flags at the first argument, and "donor
// register NAME --wallet 0x..." is the usage. "--" ends the flags.
func positional(c *cli.Context) ([]string, error) {
	args := c.Args().Slice()
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i+1:]...), nil
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			out = append(out, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var flag cli.Flag
		for _, f := range c.Command.Flags {
			if slices.Contains(f.Names(), name) {
				flag = f
			}
		}
		if flag == nil {
			return nil, fmt.Errorf("%s: unknown flag %s", c.Command.HelpName, a)
		}
		if _, isBool := flag.(*cli.BoolFlag); isBool {
			if !hasVal {
				val = "true"
			}
		} else if !hasVal {
			if i+1 == len(args) {
				return nil, fmt.Errorf("%s: flag %s needs a value", c.Command.HelpName, a)
			}
			i++
			val = args[i]
		}
		if err := c.Set(name, val); err != nil {
			return nil, fmt.Errorf("%s: %s %q: %w", c.Command.HelpName, a, val, err)
		}
	}
	return out, nil
}

// donorShowCommand is hpcbridge donor show NAME [--days N] [--json].
func donorShowCommand(s streams) *cli.Command {
	return &cli.Command{
		Name: "show",
		Usage: "what a donor gave: its nodes, the jobs run on them, the GPU-seconds credited per day and in all, " +
			"and the receipts clamped, with why (a management token, or the donor's donor-admin token)",
		ArgsUsage: "NAME",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "days", Usage: fmt.Sprintf("how many UTC days (today included) the daily credit, recent jobs and clamps cover (at most %d)", api.MaxDonorDays), Value: api.DefaultDonorDays},
			&cli.BoolFlag{Name: "json", Usage: "print JSON (every day, also those without credit)"},
		},
		Action: func(c *cli.Context) error {
			name, err := oneName(c, "donor show")
			if err != nil {
				return err
			}
			days := c.Int("days")
			if days < 1 || days > api.MaxDonorDays {
				return &exitError{code: exitUsage, err: fmt.Errorf("--days %d: want 1 to %d", days, api.MaxDonorDays)}
			}
			client, err := adminClient(s)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			sum, err := client.DonorSummary(c.Context, name, days)
			if err != nil {
				return apiFailure("donor show "+name, err)
			}
			if c.Bool("json") {
				return writeAdminJSON(s, sum)
			}
			return printDonorSummary(s.out, sum)
		},
	}
}

// printDonorSummary writes a donor's summary for people: the donor, its
// nodes, its jobs, its credit by day (days without credit left out) and
// its clamped receipts. Node names and notes pass termSafe.
func printDonorSummary(out io.Writer, d *api.DonorSummary) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	accounts := "-"
	if len(d.Accounts) > 0 {
		accounts = strings.Join(d.Accounts, ",")
	}
	fmt.Fprintf(w, "Donor\t%s\n", d.Donor)
	fmt.Fprintf(w, "Wallet\t%s\n", d.Wallet)
	fmt.Fprintf(w, "Accounts\t%s\n", accounts)
	fmt.Fprintf(w, "Registered\t%s\n", receiptTime(d.Registered))
	fmt.Fprintf(w, "Nodes\t%s\n", nodeCounts(d.Nodes))
	fmt.Fprintf(w, "Jobs\t%d runs of %d jobs, %d running; %d runs started since %s\n",
		d.Jobs.Runs, d.Jobs.Jobs, d.Jobs.Running, d.Jobs.RecentRuns, d.Since.Format(time.DateOnly))
	fmt.Fprintf(w, "Credited\t%d GPU-seconds (%s GPU-hours), %d CPU-seconds, %d receipts\n",
		d.Credit.GPUSeconds, gpuHours(d.Credit.GPUSeconds), d.Credit.CPUSeconds, d.Credit.Receipts)
	fmt.Fprintf(w, "Clamped\t%d receipts, %d GPU-seconds claimed and not credited\n", d.Credit.Clamped, d.Credit.ClampedGPUSeconds)
	if err := w.Flush(); err != nil {
		return err
	}
	if d.NodeError != "" {
		fmt.Fprintf(out, "(node states unknown: %s)\n", termSafe(d.NodeError))
	}

	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NODE\tSTATUS\tSTATE\tCPUS\tGPUS\tJOBS\tJOINED\tLEFT\tRECEIPTS\tGPU-SEC\tREASON")
	for _, n := range d.Nodes {
		st := n.State
		if len(n.Flags) > 0 {
			st += "+" + strings.Join(n.Flags, "+")
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\t%d\t%d\t%s\n", termSafe(n.Name), n.Status, dash(termSafe(st)), n.CPUs,
			termSafe(nodeGPUs(n.GPUs)), n.Jobs, receiptTime(n.Joined), receiptTime(n.Left), n.Receipts, n.GPUSeconds, dash(termSafe(n.Reason)))
	}
	if err := w.Flush(); err != nil {
		return err
	}

	if len(d.Jobs.Recent) > 0 {
		fmt.Fprintln(out)
		w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "JOBID\tRUN\tUSER\tACCOUNT\tNAME\tSTATE\tNODES\tGPUS\tSTART\tEND")
		for _, r := range d.Jobs.Recent {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.JobID, r.Run, termSafe(r.User), dash(termSafe(r.Account)),
				termSafe(r.Name), r.State, termSafe(strings.Join(r.Nodes, ",")), r.GPUs, receiptTime(r.Start), receiptTime(r.End))
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if d.Jobs.Truncated {
			fmt.Fprintf(out, "(the latest %d of %d runs since %s)\n", len(d.Jobs.Recent), d.Jobs.RecentRuns, d.Since.Format(time.DateOnly))
		}
	}
	if len(d.Jobs.ByState) > 0 {
		var parts []string
		for _, st := range slices.Sorted(maps.Keys(d.Jobs.ByState)) {
			parts = append(parts, fmt.Sprintf("%s %d", st, d.Jobs.ByState[st]))
		}
		fmt.Fprintf(out, "Runs by state (all time): %s\n", strings.Join(parts, ", "))
	}

	fmt.Fprintln(out)
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "DAY (UTC)\tRECEIPTS\tGPU-SEC\tGPU-HOURS\tCPU-SEC")
	shown := 0
	for _, day := range d.Credit.Days {
		if day.Receipts == 0 && day.GPUSeconds == 0 && day.CPUSeconds == 0 {
			continue
		}
		shown++
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%d\n", day.Day, day.Receipts, day.GPUSeconds, gpuHours(day.GPUSeconds), day.CPUSeconds)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "(%d of the %d days since %s had credit; the others are not shown)\n", shown, d.Days, d.Since.Format(time.DateOnly))

	if len(d.Clamps) > 0 {
		fmt.Fprintln(out)
		w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "JOBID\tRUN\tSEQ\tNODE\tTIME\tCLAIMED GPU-SEC\tCREDITED GPU-SEC\tWHY")
		for _, c := range d.Clamps {
			fmt.Fprintf(w, "%d\t%d\t%d\t%s\t%s\t%d\t%d\t%s\n", c.JobID, c.Run, c.Seq, termSafe(c.Node), receiptTime(c.Time),
				c.ClaimedGPUSeconds, c.GPUSeconds, termSafe(c.Note))
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if d.ClampsTruncated {
			fmt.Fprintf(out, "(the latest %d clamped receipts since %s)\n", len(d.Clamps), d.Since.Format(time.DateOnly))
		}
	}
	return nil
}

// nodeCounts is "3 (2 up, 1 reclaimed)".
func nodeCounts(nodes []api.DonorNodeView) string {
	by := map[string]int{}
	for _, n := range nodes {
		by[n.Status]++
	}
	var parts []string
	for _, st := range []string{api.DonorNodeUp, api.DonorNodeDown, api.DonorNodeReclaimed, api.DonorNodeMissing, api.DonorNodeLeft} {
		if by[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", by[st], st))
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", len(nodes), strings.Join(parts, ", "))
}

// nodeGPUs is a node's GPUs by model: "4 x NVIDIA A100-SXM4-40GB (fake)".
func nodeGPUs(gpus []api.NodeGPU) string {
	if len(gpus) == 0 {
		return "-"
	}
	var parts []string
	for _, g := range gpus {
		p := fmt.Sprintf("%d x %s", g.Count, cmp.Or(g.Model, g.Type))
		if g.Fake {
			p += " (fake)"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// gpuHours is GPU-seconds as hours with one decimal.
func gpuHours(secs int64) string { return fmt.Sprintf("%.1f", float64(secs)/3600) }

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
