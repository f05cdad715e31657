package jobspec

import (
	"bytes"
	"fmt"
	"strings"
)

// directiveWord starts a directive line. It must sit at column 1 and is
// case-sensitive; no space is needed after it ("#SBATCH-N2" is read).
const directiveWord = "#SBATCH"

// token is one argument taken from a directive, the command line or the
// environment, with where it came from.
type token struct {
	text string
	pos  Pos
	src  string // the whole source line, for rendering
	// origin is the layer the token comes from.
	origin origin
	// valueCol, when set, is the column of an option's value in src (for
	// environment variables, where the token is synthesised from NAME=value).
	valueCol int
	// broken marks the rest of a line with an unclosed quote: it may serve
	// as an option's argument, but it is not reported again as a stray word.
	broken bool
}

// origin says which layer an option came from; later layers win.
type origin int

const (
	fromScript origin = iota
	fromEnv
	fromCommandLine
)

// scanned is what the script contributes: its directive tokens, the
// directives Slurm would not read, and whole-file problems.
type scanned struct {
	tokens  []token
	ignored []Ignored
	diags   Diagnostics
}

// scanScript applies Slurm's whole-file checks and collects the #SBATCH
// tokens of the script's leading comment block.
func scanScript(file string, script []byte) scanned {
	var s scanned
	if !checkScript(file, script, &s.diags) {
		return s
	}
	word := []byte(directiveWord)
	lineNo := 0
	rest := script
	for len(rest) > 0 {
		var line []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			line, rest = rest, nil
		}
		lineNo++
		if bytes.HasPrefix(line, word) {
			s.tokens = append(s.tokens, tokenizeDirective(file, lineNo, string(line), len(directiveWord), &s.diags)...)
			continue
		}
		if isCommand(line) {
			break
		}
		if mayBeNearMiss(line) {
			warnNearMiss(file, lineNo, string(line), &s.diags)
		}
	}
	// Directives after the first command are reported, never applied.
	// rest starts at line lineNo+1; jump from directive to directive.
	nl := []byte("\n" + directiveWord)
	for len(rest) > 0 {
		if !bytes.HasPrefix(rest, word) {
			i := bytes.Index(rest, nl)
			if i < 0 {
				break
			}
			lineNo += bytes.Count(rest[:i+1], []byte{'\n'})
			rest = rest[i+1:]
		}
		lineNo++
		line := rest
		if end := bytes.IndexByte(rest, '\n'); end >= 0 {
			line, rest = rest[:end], rest[end+1:]
		} else {
			rest = nil
		}
		text := string(line)
		s.ignored = append(s.ignored, Ignored{Line: lineNo, Text: text})
		s.diags = append(s.diags, Diagnostic{
			Pos: Pos{file, lineNo, 1}, Severity: SeverityWarning, Source: text,
			Msg: "directive ignored: Slurm stops reading #SBATCH lines at the first command",
		})
	}
	return s
}

// checkScript makes the checks sbatch makes on the whole file before it
// reads any directive. It reports whether directives should be read.
func checkScript(file string, script []byte, diags *Diagnostics) bool {
	errAt := func(off int, msg string) {
		line, col, src := locate(script, off)
		*diags = append(*diags, Diagnostic{Pos: Pos{file, line, col}, Severity: SeverityError, Msg: msg, Source: src})
	}
	if len(script) == 0 {
		errAt(0, "batch script is empty")
		return false
	}
	if len(bytes.TrimSpace(script)) == 0 {
		errAt(0, "batch script contains only whitespace")
		return false
	}
	ok := true
	if !bytes.HasPrefix(script, []byte("#!")) {
		errAt(0, "this does not look like a batch script: the first line must start with #! followed by the path to an interpreter, for instance #!/bin/sh")
		ok = false
	}
	if i := bytes.IndexByte(script, 0); i >= 0 {
		errAt(i, `the script contains a NUL character '\0', which Slurm does not allow`)
		ok = false
	}
	if i := bytes.Index(script, []byte("\r\n")); i >= 0 {
		errAt(i, `batch script contains DOS line breaks (\r\n) instead of the expected UNIX line breaks (\n)`)
		ok = false
	}
	return ok
}

// locate turns a byte offset into a 1-based line and column and the line's text.
func locate(b []byte, off int) (line, col int, src string) {
	start := bytes.LastIndexByte(b[:off], '\n') + 1
	end := bytes.IndexByte(b[off:], '\n')
	if end < 0 {
		end = len(b)
	} else {
		end += off
	}
	return bytes.Count(b[:off], []byte("\n")) + 1, off - start + 1, string(b[start:end])
}

// isCommand reports whether a line ends the directive block: anything that is
// not blank and not a comment (after optional leading white space).
func isCommand(line []byte) bool {
	for _, c := range line {
		if !isSpace(c) {
			return c != '#'
		}
	}
	return false
}

// mayBeNearMiss is a cheap filter for warnNearMiss.
func mayBeNearMiss(line []byte) bool {
	return bytes.Contains(line, []byte("BATCH")) || bytes.Contains(line, []byte("batch")) || bytes.Contains(line, []byte("#PBS"))
}

// warnNearMiss warns about comment lines that look like directives but that
// Slurm treats as plain comments.
func warnNearMiss(file string, lineNo int, line string, diags *Diagnostics) {
	t := strings.TrimLeft(line, " \t")
	col := len(line) - len(t) + 1
	var msg string
	switch {
	case col > 1 && strings.HasPrefix(t, directiveWord):
		msg = "indented #SBATCH is a comment: directives must start at column 1"
	case strings.HasPrefix(t, "#PBS"):
		msg = "#PBS directives are not applied by hpcbridge (Slurm would translate them); use #SBATCH"
	case looksLikeDirective(t):
		msg = fmt.Sprintf("%q is a comment, not a directive: write #SBATCH at column 1", firstWords(t, 2))
	default:
		return
	}
	*diags = append(*diags, Diagnostic{Pos: Pos{file, lineNo, col}, Severity: SeverityWarning, Msg: msg, Source: line})
}

// looksLikeDirective reports whether a comment is a misspelt directive
// followed by an option: "# SBATCH -N 2", "##SBATCH -N 2", "#sbatch -N 2".
// Prose such as "#   sbatch job.sh" is not.
func looksLikeDirective(t string) bool {
	rest := strings.TrimLeft(t, "#")
	hashes := len(t) - len(rest)
	word := strings.TrimLeft(rest, " \t")
	spaced := len(word) != len(rest)
	if len(word) < 6 || !(word[:6] == "SBATCH" || !spaced && hashes == 1 && strings.EqualFold(word[:6], "SBATCH")) {
		return false
	}
	after := strings.TrimLeft(word[6:], " \t")
	return strings.HasPrefix(after, "-")
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	return strings.Join(f, " ")
}

// tokenizeDirective splits the rest of a directive line into arguments the
// way sbatch does: white space separates, single and double quotes group and
// are removed, a backslash takes the next character literally (but cannot
// escape white space), an unquoted # starts a comment, and an empty argument
// ends the line.
func tokenizeDirective(file string, lineNo int, line string, from int, diags *Diagnostics) []token {
	var toks []token
	i := from
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return toks
		}
		start := i
		// Fast path: a plain word needs no copy.
		j := i
		for j < len(line) && !isSpace(line[j]) && line[j] != '"' && line[j] != '\'' && line[j] != '\\' && line[j] != '#' {
			j++
		}
		if j > i && (j == len(line) || isSpace(line[j])) {
			toks = append(toks, token{text: line[i:j], pos: Pos{file, lineNo, start + 1}, src: line, origin: fromScript})
			i = j
			continue
		}
		var b strings.Builder
		var quote byte
		quoteAt := 0
		escaped := false
	scan:
		for i < len(line) && (quote != 0 || !isSpace(line[i])) {
			c := line[i]
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
				i++
				continue
			case quote != 0:
				if c == quote {
					quote = 0
					i++
					continue
				}
			case c == '"' || c == '\'':
				quote, quoteAt = c, i
				i++
				continue
			case c == '#':
				break scan
			}
			b.WriteByte(c)
			i++
		}
		if quote != 0 {
			*diags = append(*diags, Diagnostic{
				Pos: Pos{file, lineNo, quoteAt + 1}, Severity: SeverityError, Source: line,
				Msg: fmt.Sprintf("unmatched %c: the quote is never closed on this line", quote),
			})
			// Keep what was read so that the option before it does not
			// also report a missing argument.
			return append(toks, token{text: b.String(), pos: Pos{file, lineNo, start + 1}, src: line, origin: fromScript, broken: true})
		}
		if b.Len() == 0 {
			// sbatch stops reading the line at a comment or an empty argument.
			return toks
		}
		toks = append(toks, token{text: b.String(), pos: Pos{file, lineNo, start + 1}, src: line, origin: fromScript})
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
