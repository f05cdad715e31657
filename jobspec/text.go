package jobspec

import "unicode/utf8"

// Length limits of a job's free-text values, as slurmctld bounds them: a
// longer value is refused ("Pathname of a file, directory or other
// parameter too long"); Slurm 22.05 accepts 1024 bytes of a name and 4096
// of a path, and refuses one byte more.
const (
	MaxTextLen = 1024
	MaxPathLen = 4096
)

// textOptions are the options whose values are free text that squeue,
// sacct and scontrol print, with their length limits (0: none beyond the
// option's own syntax). CheckText applies to each.
var textOptions = map[string]int{
	"job-name": MaxTextLen, "account": MaxTextLen, "qos": MaxTextLen, "comment": MaxTextLen,
	"partition": MaxTextLen, "reservation": MaxTextLen, "wckey": MaxTextLen, "licenses": MaxTextLen,
	"constraint": MaxTextLen, "cluster-constraint": MaxTextLen, "prefer": MaxTextLen,
	"mail-user": MaxTextLen, "mcs-label": MaxTextLen, "network": MaxTextLen, "clusters": MaxTextLen,
	"container": MaxPathLen, "output": MaxPathLen, "error": MaxPathLen, "input": MaxPathLen,
	"chdir": MaxPathLen, "nodelist": 0, "exclude": 0,
}

// CheckText checks a free-text value that ends up in the rows of squeue,
// sacct or scontrol (a job name, comment, account, path): valid UTF-8,
// no control characters (a newline would split the job's row in two, a
// NUL cut it short), and at most max bytes when max > 0. Slurm itself
// takes control characters; hpcbridge refuses them everywhere a job's text
// is set (sbatch, the API, scontrol update).
func CheckText(what, value string, max int) error {
	if max > 0 && len(value) > max {
		return badValue(what, clip(value), "%d bytes; the limit is %d (Slurm: parameter too long)", len(value), max)
	}
	if !utf8.ValidString(value) {
		return badValue(what, clip(value), "not valid UTF-8")
	}
	for i, r := range value {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return badValue(what, clip(value), "control character %U at byte %d: tabs, newlines and other control characters are not allowed", r, i)
		}
	}
	return nil
}

// clip shortens a value for an error message.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// checkOptionText applies CheckText to a text option's value.
func checkOptionText(o occurrence) error {
	max, ok := textOptions[o.opt.long]
	if !ok || !o.hasVal {
		return nil
	}
	return CheckText(o.opt.long, o.value, max)
}
