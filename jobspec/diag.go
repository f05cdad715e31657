package jobspec

import (
	"fmt"
	"strings"
)

// Severity tells whether a diagnostic rejects the submission.
type Severity int

const (
	// SeverityError means Slurm would reject the submission.
	SeverityError Severity = iota
	// SeverityWarning reports input that is accepted but ignored or suspect.
	SeverityWarning
)

func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Pos is a 1-based position in a source: a script, the command line
// (File "<command line>") or an environment variable (File "<environment>").
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Diagnostic is one problem found in the input.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Msg      string
	// Source is the text of the line Pos points into, for rendering; it may
	// be empty.
	Source string
}

// Error renders the diagnostic on one line: "file:line:col: error: msg".
func (d Diagnostic) Error() string {
	return fmt.Sprintf("%s: %s: %s", d.Pos, d.Severity, d.Msg)
}

// Render returns the one-line form followed by the offending source line and
// a caret under the column, as compilers print it.
func (d Diagnostic) Render() string {
	var b strings.Builder
	b.WriteString(d.Error())
	if d.Source == "" {
		return b.String()
	}
	src := strings.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, d.Source)
	b.WriteString("\n    ")
	b.WriteString(src)
	b.WriteString("\n    ")
	col := d.Pos.Col
	if col < 1 {
		col = 1
	}
	// Columns count bytes; the caret line pads with as many runes as there
	// are runes before the column.
	prefix := src
	if col-1 < len(prefix) {
		prefix = prefix[:col-1]
	}
	b.WriteString(strings.Repeat(" ", len([]rune(prefix))))
	b.WriteString("^")
	return b.String()
}

// Diagnostics is every problem found in one pass, in input order.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Errors returns only the errors.
func (ds Diagnostics) Errors() Diagnostics { return ds.filter(SeverityError) }

// Warnings returns only the warnings.
func (ds Diagnostics) Warnings() Diagnostics { return ds.filter(SeverityWarning) }

func (ds Diagnostics) filter(s Severity) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == s {
			out = append(out, d)
		}
	}
	return out
}

// Err returns the diagnostics as an error when there is at least one error,
// else nil. The returned error is the Diagnostics value (use errors.As).
func (ds Diagnostics) Err() error {
	if !ds.HasErrors() {
		return nil
	}
	return ds.Errors()
}

// Error joins the one-line forms.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.Error()
	}
	return strings.Join(lines, "\n")
}

// Render joins the rendered forms (with source lines and carets).
func (ds Diagnostics) Render() string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Render()
	}
	return strings.Join(parts, "\n")
}
