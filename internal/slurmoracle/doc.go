// Package slurmoracle asks a live Slurm 22.05 installation (the "oracle" in
// ../shared/slurm-oracle) how real Slurm reads a batch script, and returns
// the answer in the project's contract form: the same keys and units as
// the JSON files in ../shared/corpus/dev-expected.
//
// It is test support. Parsers in this repository (jobspec above all) are
// judged against real Slurm by running a script through both and comparing
// the contract fields. The oracle's parse.sh submits the script held,
// reads the job back and cancels it, so nothing ever runs.
//
// The mapping from parse.sh's report to the contract follows
// ../shared/corpus/dev-expected/README.md: values come from sbatch's own -v
// option dump (exactly what the script and arguments set) and fall back to
// the controller's job record only for fields whose default is the
// controller's; those fields are listed in Result.Defaulted.
// TestMatchesDevExpected proves the mapping against the stored answers.
//
// Two values are readings, not facts: a --begin that sbatch resolved to
// within 2 s of the submit time (or of a whole number of minutes after
// it) is written "now" or "now+<N>s", as dev-expected does; and gpu_type
// lists GPU types in sbatch's option order (gpus, gpus-per-node,
// gpus-per-socket, gpus-per-task, gres), since the order they were
// written in is not reported.
//
// Locations are never hard-wired: Dir honours $HPCBRIDGE_SLURM_ORACLE and
// CorpusDir honours $HPCBRIDGE_CORPUS, otherwise both are found next to the
// repository root. Tests that need the oracle call Available first and skip
// with its message when the oracle is not running (start it with
// `make oracle`).
package slurmoracle
