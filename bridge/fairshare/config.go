package fairshare

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
)

// The priority plugins, as Slurm's PriorityType names them.
const (
	// Multifactor orders pending jobs by weighted factors (age, fair
	// share, partition) minus nice: what this package computes.
	Multifactor = "priority/multifactor"
	// Basic orders them by submit order and nice (state.Job.Priority),
	// as Slurm's priority/basic does; sprio and sshare then refuse.
	Basic = "priority/basic"
)

// Defaults, as the server's flags print them.
const (
	// DefaultHalfLife is Slurm's PriorityDecayHalfLife default (7-0).
	DefaultHalfLife = 7 * 24 * time.Hour
	// DefaultMaxAge is Slurm's PriorityMaxAge default (7-0).
	DefaultMaxAge = 7 * 24 * time.Hour
	// DefaultCalcPeriod is Slurm's PriorityCalcPeriod default (5
	// minutes): how often shares and usage are computed again.
	DefaultCalcPeriod = 5 * time.Minute
	// DefaultWeightAge and DefaultWeightFairShare make fair share the
	// main factor and age the tie-breaker that keeps a backlog moving.
	DefaultWeightAge       = 1000
	DefaultWeightFairShare = 10000
	// DefaultShareGPUHours is how many donated GPU-hours (decayed) add
	// one share to an affiliated account's default one.
	DefaultShareGPUHours = 1.0
	// DefaultBillingWeights is Slurm's TRESBillingWeights syntax for
	// what a second of a job's allocation costs in usage.
	DefaultBillingWeights = "CPU=1.0,GRES/gpu=1.0"
)

// Bounds on the configuration (a weight past MaxWeight would overflow the
// 32-bit priority Slurm shows).
const (
	MaxWeight = 1 << 24
	// MaxRawShares bounds an account's raw shares (a huge donation).
	MaxRawShares = 1 << 30
)

// Weights are Slurm's PriorityWeight* values: what a factor of 1.0 adds
// to a job's priority.
type Weights struct {
	Age       uint32 `json:"age"`
	FairShare uint32 `json:"fairshare"`
	Partition uint32 `json:"partition"`
	JobSize   uint32 `json:"jobsize"`
	QOS       uint32 `json:"qos"`
	Assoc     uint32 `json:"assoc"`
}

// Config is how priorities are computed. The zero value is not valid;
// start from DefaultConfig.
type Config struct {
	// Type is Multifactor or Basic.
	Type string
	// HalfLife is PriorityDecayHalfLife: usage and donations lose half
	// their weight every HalfLife (0: they never decay).
	HalfLife time.Duration
	// MaxAge is PriorityMaxAge: a job pending this long has age factor 1.
	MaxAge time.Duration
	// CalcPeriod is PriorityCalcPeriod: shares and usage are computed as
	// of the last multiple of it (every server the same).
	CalcPeriod time.Duration
	Weights    Weights
	// BillingCPU and BillingGPU are TRESBillingWeights' CPU and GRES/gpu:
	// the usage one allocated CPU or GPU costs per second.
	BillingCPU, BillingGPU float64
	// ShareGPUHours is how many donated GPU-hours (decayed) are worth one
	// share.
	ShareGPUHours float64
}

// DefaultConfig is the server's default configuration.
func DefaultConfig() Config {
	return Config{
		Type: Multifactor, HalfLife: DefaultHalfLife, MaxAge: DefaultMaxAge, CalcPeriod: DefaultCalcPeriod,
		Weights:    Weights{Age: DefaultWeightAge, FairShare: DefaultWeightFairShare},
		BillingCPU: 1, BillingGPU: 1, ShareGPUHours: DefaultShareGPUHours,
	}
}

// Enabled reports whether the multifactor plugin orders jobs.
func (c Config) Enabled() bool { return c.Type == Multifactor }

// Check reports what is wrong with c.
func (c Config) Check() error {
	var errs []error
	switch c.Type {
	case Multifactor, Basic:
	default:
		errs = append(errs, fmt.Errorf("priority type %q: want %s or %s", c.Type, Multifactor, Basic))
	}
	if c.HalfLife < 0 {
		errs = append(errs, fmt.Errorf("priority decay half-life %v is negative", c.HalfLife))
	}
	if c.MaxAge <= 0 {
		errs = append(errs, fmt.Errorf("priority max age %v: want more than 0", c.MaxAge))
	}
	if c.CalcPeriod <= 0 {
		errs = append(errs, fmt.Errorf("priority calc period %v: want more than 0", c.CalcPeriod))
	}
	for name, w := range map[string]uint32{"age": c.Weights.Age, "fairshare": c.Weights.FairShare, "partition": c.Weights.Partition,
		"jobsize": c.Weights.JobSize, "qos": c.Weights.QOS, "assoc": c.Weights.Assoc} {
		if w > MaxWeight {
			errs = append(errs, fmt.Errorf("priority weight %s %d: at most %d", name, w, MaxWeight))
		}
	}
	if !finite(c.BillingCPU) || !finite(c.BillingGPU) || c.BillingCPU < 0 || c.BillingGPU < 0 || c.BillingCPU > 1e6 || c.BillingGPU > 1e6 {
		errs = append(errs, fmt.Errorf("billing weights CPU=%g GRES/gpu=%g: want 0 to 1e6", c.BillingCPU, c.BillingGPU))
	}
	if !finite(c.ShareGPUHours) || c.ShareGPUHours <= 0 || c.ShareGPUHours > 1e9 {
		errs = append(errs, fmt.Errorf("GPU-hours per share %g: want more than 0, at most 1e9", c.ShareGPUHours))
	}
	return errors.Join(errs...)
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// ParseTime reads a duration in Slurm's time syntax as slurm.conf's
// PriorityDecayHalfLife and PriorityMaxAge take it ("7-0", "14-0",
// "12:00:00", "90" minutes; "0" or "UNLIMITED": none), or a Go duration
// ("168h").
func ParseTime(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, err := time.ParseDuration(s); err == nil && strings.ContainsAny(s, "hmsµun") {
		if d < 0 {
			return 0, fmt.Errorf("%q is negative", s)
		}
		return d, nil
	}
	tl, err := jobspec.ParseTime(s)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	if tl.Unlimited {
		return 0, nil
	}
	return time.Duration(tl.Minutes) * time.Minute, nil
}

// FormatTime writes d in Slurm's days-hours:minutes:seconds form, as
// scontrol show config prints PriorityDecayHalfLife.
func FormatTime(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%d-%02d:%02d:%02d", s/86400, s%86400/3600, s%3600/60, s%60)
}

// ParseBillingWeights reads TRESBillingWeights ("CPU=1.0,GRES/gpu=2.0");
// a TRES it leaves out weighs 0. Only CPU and GRES/gpu are known (Mem and
// the rest: an error, so that a typo is not silently free).
func ParseBillingWeights(s string) (cpu, gpu float64, err error) {
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return 0, 0, fmt.Errorf("billing weight %q: want TRES=WEIGHT", part)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || !finite(f) || f < 0 || f > 1e6 {
			return 0, 0, fmt.Errorf("billing weight %q: want a number from 0 to 1e6", part)
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "cpu":
			cpu = f
		case "gres/gpu", "gpu":
			gpu = f
		default:
			return 0, 0, fmt.Errorf("billing weight %q: hpcbridge bills CPU and GRES/gpu only", part)
		}
	}
	return cpu, gpu, nil
}
