// Package jobspec reads an sbatch submission the way Slurm 22.05's sbatch
// reads it and returns its typed meaning.
//
// [Parse] takes an [Input] (the script bytes, the sbatch command-line
// options, the submitter's environment, the submit time and the cluster's
// MaxArraySize) and returns a [Spec] and [Diagnostics]. It is the only place
// in hpcbridge that interprets #SBATCH directives: the Slurm commands
// (sbatch, srun) and the coordinator's submit route take their Spec from
// here.
//
// # Precedence
//
// Options come in three layers: the script's #SBATCH directives (up to the
// first line that is neither blank nor a comment), then the SBATCH_*
// environment variables, then the command line. Each layer replaces what an
// earlier layer set, and within a layer the last occurrence wins;
// --mail-type accumulates, as Slurm ORs its flags. Every layer is
// validated, including values that a later layer replaces. Cluster
// defaults (partition, time limit, node count) are not filled in here; only
// the job name is defaulted.
//
// # Diagnostics
//
// Parse reports every problem it can find in one pass. Each [Diagnostic]
// carries a [Pos] (file:line:col, where the file is the script's name,
// [CommandLineFile] or [EnvironmentFile]), a [Severity] (errors reject the
// submission, warnings report input that is ignored or suspect) and the
// source line, so [Diagnostic.Render] can print it with a caret, as
// compilers do; unknown options get a "did you mean". The Spec is nil when
// there is an error. The value parsers ([ParseTime], [ParseMemory],
// [ParseArray], [ParseDependency], [ParseBegin], ...) are exported for the
// other commands that read the same values; their errors are [*ValueError]s
// that wrap [ErrInvalidValue].
//
// # Purity
//
// The package is pure: it does no I/O, reads no clock (the submit time comes
// in Input.Now) and imports nothing from this module but internal/getopt
// (the one getopt_long emulation, a leaf that imports nothing of the project
// either) and the standard library, so the parser can be fuzzed, tested
// against real Slurm (oracle_test.go) and reused without pulling in the
// coordinator. [Format] renders a Spec back as #SBATCH directives that Parse
// reads to the same Spec; the JSON form of a Spec is the contract printed by
// `hpcbridge jobspec`.
package jobspec
