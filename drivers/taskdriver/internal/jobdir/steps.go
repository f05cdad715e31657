package jobdir

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// counterFile holds the next step id of the job.
const counterFile = "next_step_id"

// stepPrefix starts the name of a running step's file: step-<id> holds the
// process group of its tasks.
const stepPrefix = "step-"

// NextStepID allocates the job's next step id (0, 1, 2, ...) from the
// counter in stepsDir, under an exclusive lock so that concurrent sruns
// get distinct ids.
func NextStepID(stepsDir string) (int, error) {
	f, err := os.OpenFile(filepath.Join(stepsDir, counterFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return 0, fmt.Errorf("open step counter: %w", err)
	}
	defer f.Close()
	if err := flock(f); err != nil {
		return 0, fmt.Errorf("lock step counter: %w", err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return 0, fmt.Errorf("read step counter: %w", err)
	}
	id := 0
	if s := strings.TrimSpace(string(b)); s != "" {
		if id, err = strconv.Atoi(s); err != nil || id < 0 {
			return 0, fmt.Errorf("step counter %s holds %q, not a step id", f.Name(), s)
		}
	}
	if _, err := f.WriteAt([]byte(strconv.Itoa(id+1)+"\n"), 0); err != nil {
		return 0, fmt.Errorf("write step counter: %w", err)
	}
	return id, nil
}

func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// Step is a running srun step as srun registered it.
type Step struct {
	ID   int
	PGID int
}

// RegisterStep records that step id runs its tasks in process group pgid.
func RegisterStep(stepsDir string, id, pgid int) error {
	path := filepath.Join(stepsDir, stepPrefix+strconv.Itoa(id))
	if err := os.WriteFile(path, []byte(strconv.Itoa(pgid)+"\n"), 0o600); err != nil {
		return fmt.Errorf("register step %d: %w", id, err)
	}
	return nil
}

// UnregisterStep forgets step id (its tasks have ended).
func UnregisterStep(stepsDir string, id int) {
	_ = os.Remove(filepath.Join(stepsDir, stepPrefix+strconv.Itoa(id)))
}

// Steps lists the registered steps in id order. The directory belongs to
// the job's user, so entries are claims, not facts: whoever signals a
// step's process group must first check that its processes belong to the
// job. Entries that do not parse are skipped.
func Steps(stepsDir string) ([]Step, error) {
	names, err := filepath.Glob(filepath.Join(stepsDir, stepPrefix+"*"))
	if err != nil {
		return nil, err
	}
	var steps []Step
	for _, name := range names {
		id, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(name), stepPrefix))
		if err != nil {
			continue
		}
		b, err := readSmallRegular(name)
		if err != nil {
			continue
		}
		pgid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pgid <= 1 {
			continue
		}
		steps = append(steps, Step{ID: id, PGID: pgid})
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].ID < steps[j].ID })
	return steps, nil
}

// readSmallRegular reads the start of a file the job's user controls
// without following a symbolic link or blocking on a FIFO.
func readSmallRegular(name string) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	b := make([]byte, 32)
	n, err := f.Read(b)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b[:n], nil
}
