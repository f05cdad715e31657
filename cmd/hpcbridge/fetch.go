package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/hpcbridge/hpcbridge/bridge/api"
	"github.com/hpcbridge/hpcbridge/internal/cas"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

func fetchCommand(s streams) *cli.Command {
	return &cli.Command{
		Name:      "fetch",
		Usage:     "bring a staged job's outputs (what it created or changed, -o/-e files among them) back from the coordinator",
		ArgsUsage: "JOBID[_INDEX]",
		Description: "Writes the files into DIR (--into), by default into the job's submit directory when it exists on\n" +
			"this host; nothing is written outside that directory, and files of the same name in it are replaced.\n" +
			"For an array, every task's outputs. Prints each file it wrote.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "into", Usage: "directory to write the outputs into (created when missing)", DefaultText: "the job's submit directory"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only the summary line"},
		},
		Action: func(c *cli.Context) error {
			o := fetchOptions{Into: c.String("into"), Quiet: c.Bool("quiet"), Out: s.out}
			if err := o.parseArgs(c.Args().Slice()); err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("fetch: %w", err)}
			}
			client, err := adminClient(s)
			if err != nil {
				return &exitError{code: exitRejected, err: err}
			}
			o.Client = client
			if err := runFetch(c.Context, o); err != nil {
				return &exitError{code: exitRejected, err: fmt.Errorf("fetch: %w", err)}
			}
			return nil
		},
	}
}

// fetchClient is what fetch needs of the API client (*api.Client).
type fetchClient interface {
	JobsAll(ctx context.Context, q *api.JobsQuery) ([]*state.Job, *api.QueryMeta, error)
	JobFiles(ctx context.Context, ref string) (*api.JobFiles, error)
	FetchOutputs(ctx context.Context, ref, dir string) (*cas.Manifest, error)
	ACLSelf(ctx context.Context) (*api.ACLToken, error)
}

// fetchOptions are hpcbridge fetch's inputs.
type fetchOptions struct {
	Client fetchClient
	Ref    string
	// Into is the directory to write into ("": the submit directory).
	Into  string
	Quiet bool
	Out   io.Writer
}

// parseArgs reads the job id and the options given after it (hpcbridge
// fetch JOBID --into DIR: the command line parser stops at the first
// argument).
func (o *fetchOptions) parseArgs(args []string) error {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--into" || a == "-into":
			if i+1 == len(args) {
				return errors.New("--into needs a directory")
			}
			i++
			o.Into = args[i]
		case strings.HasPrefix(a, "--into="):
			o.Into = strings.TrimPrefix(a, "--into=")
		case a == "-q" || a == "--quiet":
			o.Quiet = true
		case strings.HasPrefix(a, "-") && a != "-":
			return fmt.Errorf("unknown option %q", a)
		case o.Ref != "":
			return errors.New("want one job id, as JOBID or JOBID_INDEX")
		default:
			o.Ref = a
		}
	}
	if o.Ref == "" {
		return errors.New("want one job id, as JOBID or JOBID_INDEX")
	}
	return nil
}

// runFetch restores the staged outputs of the job (or its array's
// tasks) that Ref names.
func runFetch(ctx context.Context, o fetchOptions) error {
	jobs, _, err := o.Client.JobsAll(ctx, &api.JobsQuery{Jobs: []string{o.Ref}, States: []string{"all"}})
	if err != nil {
		return err
	}
	var runs []*state.Job
	for _, j := range jobs {
		if !j.IsArrayBase() {
			runs = append(runs, j)
		}
	}
	if len(runs) == 0 {
		return fmt.Errorf("job %s has not run (or is not yours)", o.Ref)
	}
	// Another user's job (fetched with a management token by someone who
	// is not its owner) goes only where --into says, never into the
	// directory its record names, which its owner chose (it could name
	// someone else's directory). The job of the token's user, or of the
	// local user (hpcbridge dev's management token), goes there.
	var mine func(j *state.Job) bool
	me := ""
	if o.Into == "" {
		tok, err := o.Client.ACLSelf(ctx)
		if err != nil {
			return err
		}
		local := ""
		if u, err := user.Current(); err == nil {
			local = u.Username
		}
		me = tok.User
		mine = func(j *state.Job) bool { return j.User == tok.User || (local != "" && j.User == local) }
	}
	fetched := 0
	var errs []error
	for _, j := range runs {
		files, err := o.Client.JobFiles(ctx, j.SlurmID())
		if err != nil {
			errs = append(errs, err) // another user's job: permission denied
			continue
		}
		if files.Input == "" {
			errs = append(errs, fmt.Errorf("job %s ran in partition %s, which is not staged: its files are where it ran", j.SlurmID(), j.Partition))
			continue
		}
		if o.Into == "" && !mine(j) {
			return fmt.Errorf("job %s is %s's, not yours (%s): say where its outputs go with --into DIR", j.SlurmID(), j.User, me)
		}
		dir, err := o.dir(j)
		if err != nil {
			return err
		}
		m, err := o.Client.FetchOutputs(ctx, j.SlurmID(), dir)
		if errors.Is(err, api.ErrNoOutputs) {
			if !j.State.Terminal() {
				err = fmt.Errorf("job %s is %s: its outputs come back when it ends", j.SlurmID(), j.State)
			} else if j.NodeList == "" {
				err = fmt.Errorf("job %s ended (%s) without running on a node: it has no outputs", j.SlurmID(), j.State)
			} else if files.Input != "" {
				err = fmt.Errorf("job %s ended (%s) and its node did not send its outputs back: they are lost (the Nomad task's events say why)", j.SlurmID(), j.State)
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fetched++
		o.report(j, dir, m)
	}
	if fetched == 0 {
		return errors.Join(errs...)
	}
	for _, err := range errs {
		fmt.Fprintf(o.Out, "hpcbridge fetch: %v\n", err)
	}
	return nil
}

// dir is where j's outputs go: Into, else its submit directory when it
// exists on this host.
func (o fetchOptions) dir(j *state.Job) (string, error) {
	if o.Into != "" {
		return filepath.Abs(o.Into)
	}
	cwd := ""
	if j.Submission != nil {
		cwd = j.Submission.Cwd
	}
	if cwd == "" {
		return "", fmt.Errorf("job %s: its submit directory is not known here: use --into DIR", j.SlurmID())
	}
	if fi, err := os.Stat(cwd); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("job %s's submit directory %s does not exist on this host: use --into DIR", j.SlurmID(), cwd)
	}
	return cwd, nil
}

// report says what was written.
func (o fetchOptions) report(j *state.Job, dir string, m *cas.Manifest) {
	n, bytes := 0, int64(0)
	for _, f := range m.Files {
		if f.FileMode().IsDir() {
			continue
		}
		n++
		bytes += f.Size
		if !o.Quiet {
			if f.Link != "" {
				fmt.Fprintf(o.Out, "  %s -> %s\n", filepath.Join(dir, f.Path), f.Link)
			} else {
				fmt.Fprintf(o.Out, "  %s (%s)\n", filepath.Join(dir, f.Path), cas.HumanBytes(f.Size))
			}
		}
	}
	fmt.Fprintf(o.Out, "job %s: %d files (%s) written into %s\n", j.SlurmID(), n, cas.HumanBytes(bytes), dir)
}
