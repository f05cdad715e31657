package jobspec_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/slurmoracle"
)

// oracleCases are small submissions that pin down one rule each. Every case
// is parsed by real Slurm and by hpcbridge and the two readings must agree
// (see TestLiveCases). Lines are #SBATCH directive bodies; args are sbatch
// command-line options.
var oracleCases = []struct {
	name  string
	lines []string
	args  []string
}{
	{"time minutes", []string{"-t 90"}, nil},
	{"time m:s rounds up", []string{"-t 2:30"}, nil},
	{"time h:m:s", []string{"--time=1:00:01"}, nil},
	{"time d-h", []string{"-t 2-3"}, nil},
	{"time d-h:m", []string{"-t 1-0:30"}, nil},
	{"time d-h:m:s", []string{"-t 1-02:03:04"}, nil},
	{"time unlimited", []string{"-t UNLIMITED"}, nil},
	{"time bad", []string{"-t 1:2:3:4"}, nil},
	{"time-min", []string{"-t 60 --time-min=30"}, nil},
	{"mem suffixes", []string{"--mem=4G"}, nil},
	{"mem tera", []string{"--mem-per-cpu=1T"}, nil},
	{"mem kilo", []string{"--mem=2048K"}, nil},
	{"mem zero", []string{"--mem=0"}, nil},
	{"mem bad", []string{"--mem=lots"}, nil},
	{"mem exclusive", []string{"--mem=1G", "--mem-per-cpu=1G"}, nil},
	{"mem per gpu", []string{"--gpus=2 --mem-per-gpu=8G"}, nil},
	{"nodes range", []string{"-N 2-4"}, nil},
	{"nodes attached", []string{"-N2"}, nil},
	{"tasks fewer than nodes", []string{"-N 4 -n 2"}, nil},
	{"tasks clip node range", []string{"-N 2-4 -n 3"}, nil},
	{"ntasks zero", []string{"-n 0"}, nil},
	{"gres typed", []string{"--gres=gpu:a100:2"}, nil},
	{"gres list", []string{"--gres=gpu:a100:2,gpu:v100:1"}, nil},
	{"gres bare gpu", []string{"--gres=gpu"}, nil},
	{"gpus typed per node", []string{"--gpus-per-node=a100:4"}, nil},
	{"gpus list", []string{"--gpus=a100:2,v100:1"}, nil},
	{"gpus per node list and gres", []string{"--gpus-per-node=a100:2,v100:1 --gres=gpu:h100:1"}, nil},
	{"gpus per task with ntasks", []string{"-n 2 --gpus-per-task=1"}, nil},
	{"gpus per task alone", []string{"--gpus-per-task=1 -c 2"}, nil},
	{"array range", []string{"--array=1-10"}, nil},
	{"array step", []string{"--array=1-10:4"}, nil},
	{"array list throttle", []string{"--array=[1-3,5]%2"}, nil},
	{"array unsorted", []string{"-a 5,1-3,2"}, nil},
	{"array too big", []string{"--array=0-200000"}, nil},
	{"array bad step", []string{"--array=1-10:0"}, nil},
	{"dependency afterok", []string{"-d afterok:1:2"}, nil},
	{"dependency any", []string{"--dependency=afterok:1?afternotok:2"}, nil},
	{"dependency delay", []string{"--dependency=after:5+10"}, nil},
	{"dependency singleton", []string{"--dependency=singleton"}, nil},
	{"dependency array element", []string{"--dependency=aftercorr:7,afterany:8_3"}, nil},
	{"dependency bad", []string{"--dependency=afterfoo:1"}, nil},
	{"signal default time", []string{"--signal=USR1"}, nil},
	{"signal batch number", []string{"--signal=B:10@120"}, nil},
	{"signal SIG prefix", []string{"--signal=SIGTERM@30"}, nil},
	{"signal bad", []string{"--signal=NOPE"}, nil},
	{"exclusive user", []string{"--exclusive=user"}, nil},
	{"exclusive bad", []string{"--exclusive=topo"}, nil},
	{"nice bare", []string{"--nice"}, nil},
	{"nice value", []string{"--nice=50"}, nil},
	{"nice needs =", []string{"--nice 5"}, nil},
	{"mail types accumulate", []string{"--mail-type=begin", "--mail-type=END,fail"}, nil},
	{"mail all", []string{"--mail-type=ALL"}, nil},
	{"open mode", []string{"--open-mode=append"}, nil},
	{"open mode bad", []string{"--open-mode=junk"}, nil},
	{"begin absolute", []string{"--begin=2030-01-02T03:04:05"}, nil},
	{"begin date only", []string{"--begin=2030-01-02"}, nil},
	{"hold", []string{"-H"}, nil},
	{"requeue last wins", []string{"--requeue --no-requeue"}, nil},
	{"export none", []string{"--export=NONE"}, nil},
	{"output pattern", []string{"-o out-%x-%j_%a.log -e err-%A.log"}, nil},
	{"chdir", []string{"-D /tmp"}, nil},
	{"quotes and comment", []string{`-J "my job" --comment='a b' # trailing`}, nil},
	{"backslash", []string{`-J a\"b`}, nil},
	{"unmatched quote", []string{`-J 'abc`}, nil},
	{"stray word", []string{"-J a b"}, nil},
	{"argument on next line", []string{"-J", "name"}, nil},
	{"unknown option", []string{"--job-nmae=x"}, nil},
	{"ambiguous option", []string{"--tim=10"}, nil},
	{"prefix option", []string{"--job=x --partit=debug"}, nil},
	{"kept options", []string{"--overcommit --contiguous --hint=nomultithread --reservation=gpuprimer"}, nil},
	{"command line wins", []string{"-J script -t 10"}, []string{"-J", "cli", "--time=20"}},
	{"command line short attached", []string{"-t 10"}, []string{"-t5", "-N2"}},
	{"command line mail accumulates", []string{"--mail-type=BEGIN"}, []string{"--mail-type=END"}},
	{"command line bad value", []string{"-t 10"}, []string{"--time=junk"}},
	{"script bad value under good command line", []string{"-t junk"}, []string{"-t", "5"}},
}

// TestLiveCases runs each case through real Slurm and hpcbridge.
func TestLiveCases(t *testing.T) {
	slurmoracle.Require(t)
	dir := t.TempDir()
	ctx := context.Background()
	for _, c := range oracleCases {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString("#!/bin/bash\n")
			for _, l := range c.lines {
				b.WriteString("#SBATCH " + l + "\n")
			}
			b.WriteString("echo hello\n")
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".sh")
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := slurmoracle.Parse(ctx, path, c.args)
			if err != nil {
				t.Fatal(err)
			}
			got, spec := ours(t, path, c.args)
			for field, why := range disagreements(got, spec, expectedFromOracle(r)) {
				t.Errorf("%s: %s\nscript:\n%s", field, why, b.String())
			}
		})
	}
}
