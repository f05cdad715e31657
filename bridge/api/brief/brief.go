package brief

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hpcbridge/hpcbridge/jobspec"
	"github.com/hpcbridge/hpcbridge/raft/state"
)

// ContentType is the media type of the packed brief list, version 1.
// A server answers in it only to clients that accept this exact type, so
// that a later version never reaches an older client.
const ContentType = "application/x-hpcbridge-brief-v1"

// Submission returns the part of a submission the brief view keeps:
// the script's name and arguments, the directory and host it was
// submitted from, and of the spec the resources, paths, constraints and
// array (without its ranges) that squeue can print. sub is not modified; nil stays
// nil.
func Submission(sub *state.Submission) *state.Submission {
	if sub == nil {
		return nil
	}
	return &state.Submission{
		ScriptName: sub.ScriptName,
		ScriptArgs: sub.ScriptArgs,
		Cwd:        sub.Cwd,
		SubmitHost: sub.SubmitHost,
		Spec:       briefSpec(sub.Spec),
	}
}

func briefSpec(s *jobspec.Spec) *jobspec.Spec {
	if s == nil {
		return nil
	}
	b := &jobspec.Spec{
		NodesMin: s.NodesMin, NodesMax: s.NodesMax, Ntasks: s.Ntasks, NtasksPerNode: s.NtasksPerNode,
		CPUsPerTask: s.CPUsPerTask, CPUsPerGPU: s.CPUsPerGPU,
		GPUsPerJob: s.GPUsPerJob, GPUsPerNode: s.GPUsPerNode, GPUsPerTask: s.GPUsPerTask, GPUType: s.GPUType,
		Gres:          s.Gres,
		MemPerNodeMiB: s.MemPerNodeMiB, MemPerCPUMiB: s.MemPerCPUMiB, MemPerGPUMiB: s.MemPerGPUMiB,
		Other:      s.Other,
		Constraint: s.Constraint, Comment: s.Comment, Nodelist: s.Nodelist, Exclude: s.Exclude,
		Chdir: s.Chdir, Wrap: s.Wrap, Output: s.Output, Error: s.Error, Input: s.Input,
	}
	if s.Exclusive != nil {
		b.Exclusive = &jobspec.Exclusive{Mode: s.Exclusive.Mode}
	}
	if s.TimeMin != nil {
		b.TimeMin = &jobspec.TimeLimit{Minutes: s.TimeMin.Minutes, Unlimited: s.TimeMin.Unlimited}
	}
	if s.Array != nil {
		b.Array = &jobspec.Array{Spec: s.Array.Spec, Count: s.Array.Count, Throttle: s.Array.Throttle}
	}
	return b
}

// The packed form: the magic, then frames of whole records, each as
// uvarint length and bytes, so that a reader decodes one frame while the
// next is on its way. A record is the job's fields in a fixed order:
// integers as (zigzag) varints, strings as uvarint(len+1) then the bytes,
// or 0 for "the same as this field of the previous record", times as a
// byte with one bit per time that is set (begin, submit, start, end) and
// for each varint seconds since 1970 and uvarint nanoseconds, then the
// submission: 0 none, 1 the same as the previous record's, 2 a new one
// follows, as uvarint length and the script name, arguments, directory,
// host and the spec's presence mask (one bit per kept field, plus one; 0
// for no spec) and fields.
const briefMagic = "HBB1"

// The string fields of a record, in order; the encoder and decoder keep
// the previous record's value of each.
const (
	bsName = iota
	bsUser
	bsAccount
	bsPartition
	bsQOS
	bsState
	bsReason
	bsHold
	bsDependency
	bsNodeList
	bsCount
)

// Submission tags.
const (
	subNone = iota
	subSame
	subNew
)

// Bits of the spec's presence mask, one per kept field.
const (
	spNodesMin = 1 << iota
	spNodesMax
	spNtasks
	spNtasksPerNode
	spCPUsPerTask
	spCPUsPerGPU
	spGPUsPerJob
	spGPUsPerNode
	spGPUsPerTask
	spGPUType
	spGres
	spMemPerNode
	spMemPerCPU
	spMemPerGPU
	spOther
	spConstraint
	spComment
	spNodelist
	spExclude
	spExclusive
	spChdir
	spWrap
	spOutput
	spError
	spInput
	spTimeMin
	spArray
	spThrottle
	spAll = spThrottle<<1 - 1
)

// Frame sizes of the packed form: the encoder closes a frame past
// briefFrame bytes; a reader refuses frames over maxBriefFrame.
const (
	briefFrame    = 64 << 10
	maxBriefFrame = 64 << 20
)

// Encoder writes a job list in the packed brief form.
type Encoder struct {
	w       io.Writer
	err     error
	buf     []byte // the current frame
	prev    [bsCount]string
	hasPrev bool
	// prevSub is the previous record's submission, prevSubBytes its
	// encoding; sub is scratch space.
	prevSub           *state.Submission
	prevSubBytes, sub []byte
}

// NewEncoder returns an encoder that writes to w, starting with the
// magic. Close writes the last frame.
func NewEncoder(w io.Writer) *Encoder {
	e := &Encoder{w: w, buf: make([]byte, 0, briefFrame+4<<10)}
	_, e.err = io.WriteString(w, briefMagic)
	return e
}

// Close writes what is left and returns the first write error.
func (e *Encoder) Close() error {
	e.flush()
	return e.err
}

func (e *Encoder) flush() {
	if len(e.buf) == 0 || e.err != nil {
		return
	}
	var n [binary.MaxVarintLen64]byte
	if _, e.err = e.w.Write(binary.AppendUvarint(n[:0], uint64(len(e.buf)))); e.err == nil {
		_, e.err = e.w.Write(e.buf)
	}
	e.buf = e.buf[:0]
}

// Encode appends j with sub as its submission (an array task's is its
// array's); of sub only what Submission keeps is written.
func (e *Encoder) Encode(j *state.Job, sub *state.Submission) {
	b := e.buf
	b = binary.AppendUvarint(b, j.ID)
	b = binary.AppendUvarint(b, j.ArrayJobID)
	b = binary.AppendVarint(b, int64(j.ArrayTaskID))
	if j.Pending == nil {
		b = append(b, 0)
	} else {
		b = binary.AppendUvarint(b, uint64(len(j.Pending.Ranges))+1)
		for _, r := range j.Pending.Ranges {
			b = binary.AppendVarint(b, int64(r.First))
			b = binary.AppendVarint(b, int64(r.Last))
			b = binary.AppendVarint(b, int64(r.Step))
		}
	}
	for i, s := range [bsCount]string{j.Name, j.User, j.Account, j.Partition, j.QOS, string(j.State), j.Reason,
		string(j.Hold), j.Dependency, j.NodeList} {
		if e.hasPrev && s == e.prev[i] {
			b = append(b, 0)
			continue
		}
		e.prev[i] = s
		b = appendString(b, s)
	}
	b = binary.AppendVarint(b, int64(j.Nice))
	b = binary.AppendVarint(b, int64(j.TimeLimitMin))
	b = append(b, boolByte(j.KillOnInvalidDep)|boolByte(j.Requeue)<<1)
	b = binary.AppendVarint(b, int64(j.RestartCount))
	times := [4]time.Time{j.Begin, j.SubmitTime, j.StartTime, j.EndTime}
	var set byte
	for i, t := range times {
		if !t.IsZero() {
			set |= 1 << i
		}
	}
	b = append(b, set)
	for _, t := range times {
		if !t.IsZero() {
			b = binary.AppendVarint(b, t.Unix())
			b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
		}
	}
	b = binary.AppendVarint(b, int64(j.ExitCode))
	b = binary.AppendVarint(b, int64(j.ExitSignal))
	b = binary.AppendUvarint(b, j.CreateIndex)
	b = binary.AppendUvarint(b, j.ModifyIndex)
	switch {
	case sub == nil:
		b = append(b, subNone)
		e.prevSubBytes = e.prevSubBytes[:0]
	case e.hasPrev && sub == e.prevSub:
		b = append(b, subSame)
	default:
		// Jobs submitted alike have equal submissions in distinct
		// records: compare what would be sent.
		e.sub = appendSubmission(e.sub[:0], sub)
		if e.hasPrev && e.prevSub != nil && bytes.Equal(e.sub, e.prevSubBytes) {
			b = append(b, subSame)
			break
		}
		b = append(b, subNew)
		b = binary.AppendUvarint(b, uint64(len(e.sub)))
		b = append(b, e.sub...)
		e.sub, e.prevSubBytes = e.prevSubBytes, e.sub
	}
	e.prevSub, e.hasPrev = sub, true
	e.buf = b
	if len(e.buf) >= briefFrame {
		e.flush()
	}
}

func appendSubmission(b []byte, sub *state.Submission) []byte {
	b = appendString(b, sub.ScriptName)
	b = appendStrings(b, sub.ScriptArgs)
	b = appendString(b, sub.Cwd)
	b = appendString(b, sub.SubmitHost)
	s := sub.Spec
	if s == nil {
		return append(b, 0)
	}
	mask := specMask(s)
	b = binary.AppendUvarint(b, mask+1)
	for _, p := range []*int{s.NodesMin, s.NodesMax, s.Ntasks, s.NtasksPerNode, s.CPUsPerTask, s.CPUsPerGPU,
		s.GPUsPerJob, s.GPUsPerNode, s.GPUsPerTask} {
		if p != nil {
			b = binary.AppendVarint(b, int64(*p))
		}
	}
	if s.GPUType != nil {
		b = appendString(b, *s.GPUType)
	}
	if s.Gres != nil {
		b = appendStrings(b, s.Gres)
	}
	for _, p := range []*int64{s.MemPerNodeMiB, s.MemPerCPUMiB, s.MemPerGPUMiB} {
		if p != nil {
			b = binary.AppendVarint(b, *p)
		}
	}
	if s.Other != nil {
		keys := slices.Sorted(maps.Keys(s.Other))
		b = binary.AppendUvarint(b, uint64(len(keys)))
		for _, k := range keys {
			b = appendString(appendString(b, k), s.Other[k])
		}
	}
	for _, p := range []*string{s.Constraint, s.Comment, s.Nodelist, s.Exclude} {
		if p != nil {
			b = appendString(b, *p)
		}
	}
	if s.Exclusive != nil {
		b = appendString(b, s.Exclusive.Mode)
	}
	for _, p := range []*string{s.Chdir, s.Wrap, s.Output, s.Error, s.Input} {
		if p != nil {
			b = appendString(b, *p)
		}
	}
	if s.TimeMin != nil {
		b = binary.AppendVarint(b, int64(s.TimeMin.Minutes))
		b = append(b, boolByte(s.TimeMin.Unlimited))
	}
	if s.Array != nil {
		b = appendString(b, s.Array.Spec)
		b = binary.AppendVarint(b, int64(s.Array.Count))
		if s.Array.Throttle != nil {
			b = binary.AppendVarint(b, int64(*s.Array.Throttle))
		}
	}
	return b
}

// specMask is the presence mask of the spec's kept fields.
func specMask(s *jobspec.Spec) uint64 {
	var m uint64
	for i, set := range [...]bool{
		s.NodesMin != nil, s.NodesMax != nil, s.Ntasks != nil, s.NtasksPerNode != nil, s.CPUsPerTask != nil,
		s.CPUsPerGPU != nil, s.GPUsPerJob != nil, s.GPUsPerNode != nil, s.GPUsPerTask != nil, s.GPUType != nil,
		s.Gres != nil, s.MemPerNodeMiB != nil, s.MemPerCPUMiB != nil, s.MemPerGPUMiB != nil, s.Other != nil,
		s.Constraint != nil, s.Comment != nil, s.Nodelist != nil, s.Exclude != nil, s.Exclusive != nil,
		s.Chdir != nil, s.Wrap != nil, s.Output != nil, s.Error != nil, s.Input != nil,
		s.TimeMin != nil, s.Array != nil, s.Array != nil && s.Array.Throttle != nil,
	} {
		if set {
			m |= 1 << i
		}
	}
	return m
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s))+1)
	return append(b, s...)
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(ss))+1)
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// errBrief reports a malformed packed list.
var errBrief = errors.New("brief: malformed job list")

// Decode decodes a packed brief list (see Read).
func Decode(b []byte) ([]*state.Job, error) { return Read(bytes.NewReader(b)) }

// Read reads a packed brief list to its end, decoding each frame as
// it arrives. Jobs with equal submissions share one record.
func Read(r io.Reader) ([]*state.Job, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var magic [len(briefMagic)]byte
	if _, err := io.ReadFull(br, magic[:]); err != nil || string(magic[:]) != briefMagic {
		return nil, fmt.Errorf("%w: no %s header", errBrief, briefMagic)
	}
	d := briefDecoder{subs: map[string]*state.Submission{}}
	var jobs []*state.Job
	var block []state.Job
	for {
		n, err := binary.ReadUvarint(br)
		if errors.Is(err, io.EOF) {
			return jobs, nil
		}
		if err == nil && (n == 0 || n > maxBriefFrame) {
			err = fmt.Errorf("frame of %d bytes", n)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: after job %d: %v", errBrief, len(jobs), err)
		}
		// Strings of the jobs are slices of the frame.
		var frame strings.Builder
		frame.Grow(int(n))
		if _, err := io.CopyN(&frame, br, int64(n)); err != nil {
			return nil, fmt.Errorf("%w: after job %d: %v", errBrief, len(jobs), err)
		}
		d.data, d.off = frame.String(), 0
		for d.off < len(d.data) {
			if len(block) == 0 {
				block = make([]state.Job, min(1024, 1+(len(d.data)-d.off)/32))
			}
			j := &block[0]
			block = block[1:]
			if err := d.job(j); err != nil {
				return nil, fmt.Errorf("%w: job %d: %v", errBrief, len(jobs)+1, err)
			}
			jobs = append(jobs, j)
		}
	}
}

// briefDecoder reads the records of a frame held as a string, so that the
// strings it returns are slices of it; what refers to previous records
// carries over from frame to frame.
type briefDecoder struct {
	data    string
	off     int
	err     error
	prev    [bsCount]string
	hasPrev bool
	prevSub *state.Submission
	subs    map[string]*state.Submission
}

var errShort = errors.New("truncated")

func (d *briefDecoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.off = len(d.data)
}

func (d *briefDecoder) uvarint() uint64 {
	if d.off < len(d.data) && d.data[d.off] < 0x80 {
		// Most numbers fit one byte.
		c := d.data[d.off]
		d.off++
		return uint64(c)
	}
	var x uint64
	var s uint
	for i := 0; i < binary.MaxVarintLen64; i++ {
		if d.off >= len(d.data) {
			d.fail(errShort)
			return 0
		}
		c := d.data[d.off]
		d.off++
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				d.fail(errors.New("varint overflows 64 bits"))
				return 0
			}
			return x | uint64(c)<<s
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	d.fail(errors.New("varint overflows 64 bits"))
	return 0
}

func (d *briefDecoder) varint() int64 {
	u := d.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

// int reads a varint that must fit an int.
func (d *briefDecoder) int() int {
	x := d.varint()
	if int64(int(x)) != x {
		d.fail(errors.New("integer out of range"))
		return 0
	}
	return int(x)
}

func (d *briefDecoder) byte() byte {
	if d.off >= len(d.data) {
		d.fail(errShort)
		return 0
	}
	c := d.data[d.off]
	d.off++
	return c
}

// rawString reads a string that has no "same as before" form: n is its
// length plus one (0 is refused).
func (d *briefDecoder) rawString() string {
	n := d.uvarint()
	if n == 0 {
		d.fail(errors.New("string without a length"))
		return ""
	}
	return d.take(n - 1)
}

func (d *briefDecoder) take(n uint64) string {
	if n > uint64(len(d.data)-d.off) {
		d.fail(errShort)
		return ""
	}
	s := d.data[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}

// strings reads a list of strings; nil stays nil.
func (d *briefDecoder) strings() []string {
	n := d.uvarint()
	if n == 0 {
		return nil
	}
	if n-1 > uint64(len(d.data)-d.off) {
		d.fail(errShort)
		return nil
	}
	out := make([]string, n-1)
	for i := range out {
		out[i] = d.rawString()
	}
	return out
}

func (d *briefDecoder) time() time.Time {
	sec := d.varint()
	nsec := d.uvarint()
	if nsec >= uint64(time.Second) {
		d.fail(errors.New("nanoseconds out of range"))
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

func (d *briefDecoder) job(j *state.Job) error {
	j.ID = d.uvarint()
	j.ArrayJobID = d.uvarint()
	j.ArrayTaskID = d.int()
	if n := d.uvarint(); n > 0 {
		if n-1 > uint64(len(d.data)-d.off)/3 {
			d.fail(errShort)
		} else {
			j.Pending = &state.IndexSet{}
			if n > 1 {
				j.Pending.Ranges = make([]state.ArrayRange, n-1)
			}
			for i := range j.Pending.Ranges {
				j.Pending.Ranges[i] = state.ArrayRange{First: d.int(), Last: d.int(), Step: d.int()}
			}
		}
	}
	var strs [bsCount]string
	for i := range strs {
		n := d.uvarint()
		switch {
		case n == 0 && !d.hasPrev:
			d.fail(errors.New("a first record refers to a previous one"))
		case n == 0:
			strs[i] = d.prev[i]
		default:
			strs[i] = d.take(n - 1)
		}
	}
	d.prev = strs
	j.Name, j.User, j.Account, j.Partition, j.QOS = strs[bsName], strs[bsUser], strs[bsAccount], strs[bsPartition], strs[bsQOS]
	j.State, j.Reason, j.Hold = state.JobState(strs[bsState]), strs[bsReason], state.Hold(strs[bsHold])
	j.Dependency, j.NodeList = strs[bsDependency], strs[bsNodeList]
	j.Nice = d.int()
	j.TimeLimitMin = d.int()
	flags := d.byte()
	j.KillOnInvalidDep, j.Requeue = flags&1 != 0, flags&2 != 0
	j.RestartCount = d.int()
	set := d.byte()
	for i, t := range [4]*time.Time{&j.Begin, &j.SubmitTime, &j.StartTime, &j.EndTime} {
		if set&(1<<i) != 0 {
			*t = d.time()
		}
	}
	j.ExitCode = d.int()
	j.ExitSignal = d.int()
	j.CreateIndex = d.uvarint()
	j.ModifyIndex = d.uvarint()
	switch tag := d.byte(); tag {
	case subNone:
	case subSame:
		if !d.hasPrev {
			d.fail(errors.New("a first record refers to a previous one"))
		}
		j.Submission = d.prevSub
	case subNew:
		// Equal submissions (a queue of jobs from one script) share one
		// record.
		key := d.take(d.uvarint())
		sub, ok := d.subs[key]
		if !ok && d.err == nil {
			sd := briefDecoder{data: key}
			if sub = sd.submission(); sd.err == nil && sd.off != len(key) {
				sd.err = errors.New("submission longer than its fields")
			}
			if sd.err != nil {
				d.fail(fmt.Errorf("submission: %w", sd.err))
			}
			d.subs[key] = sub
		}
		j.Submission = sub
	default:
		d.fail(fmt.Errorf("unknown submission tag %d", tag))
	}
	d.prevSub, d.hasPrev = j.Submission, true
	return d.err
}

func (d *briefDecoder) submission() *state.Submission {
	sub := &state.Submission{ScriptName: d.rawString(), ScriptArgs: d.strings(), Cwd: d.rawString(), SubmitHost: d.rawString()}
	m := d.uvarint()
	if m == 0 {
		return sub
	}
	mask := m - 1
	if mask&^spAll != 0 || mask&spThrottle != 0 && mask&spArray == 0 {
		d.fail(fmt.Errorf("unknown spec fields %#x", mask))
		return nil
	}
	s := &jobspec.Spec{}
	sub.Spec = s
	intp := func(bit uint64) *int {
		if mask&bit == 0 {
			return nil
		}
		v := d.int()
		return &v
	}
	int64p := func(bit uint64) *int64 {
		if mask&bit == 0 {
			return nil
		}
		v := d.varint()
		return &v
	}
	strp := func(bit uint64) *string {
		if mask&bit == 0 {
			return nil
		}
		v := d.rawString()
		return &v
	}
	s.NodesMin, s.NodesMax, s.Ntasks = intp(spNodesMin), intp(spNodesMax), intp(spNtasks)
	s.NtasksPerNode, s.CPUsPerTask, s.CPUsPerGPU = intp(spNtasksPerNode), intp(spCPUsPerTask), intp(spCPUsPerGPU)
	s.GPUsPerJob, s.GPUsPerNode, s.GPUsPerTask = intp(spGPUsPerJob), intp(spGPUsPerNode), intp(spGPUsPerTask)
	s.GPUType = strp(spGPUType)
	if mask&spGres != 0 {
		if s.Gres = d.strings(); s.Gres == nil {
			d.fail(errors.New("gres marked present but absent"))
		}
	}
	s.MemPerNodeMiB, s.MemPerCPUMiB, s.MemPerGPUMiB = int64p(spMemPerNode), int64p(spMemPerCPU), int64p(spMemPerGPU)
	if mask&spOther != 0 {
		n := d.uvarint()
		if n > uint64(len(d.data)-d.off)/2 {
			d.fail(errShort)
			return nil
		}
		s.Other = make(map[string]string, n)
		for range n {
			k := d.rawString()
			s.Other[k] = d.rawString()
		}
	}
	s.Constraint, s.Comment, s.Nodelist, s.Exclude = strp(spConstraint), strp(spComment), strp(spNodelist), strp(spExclude)
	if mask&spExclusive != 0 {
		s.Exclusive = &jobspec.Exclusive{Mode: d.rawString()}
	}
	s.Chdir, s.Wrap, s.Output, s.Error, s.Input = strp(spChdir), strp(spWrap), strp(spOutput), strp(spError), strp(spInput)
	if mask&spTimeMin != 0 {
		s.TimeMin = &jobspec.TimeLimit{Minutes: d.int(), Unlimited: d.byte() != 0}
	}
	if mask&spArray != 0 {
		s.Array = &jobspec.Array{Spec: d.rawString(), Count: d.int()}
		s.Array.Throttle = intp(spThrottle)
	}
	return sub
}

// Accepts reports whether a request's Accept header lists
// ContentType.
func Accepts(h http.Header) bool {
	for _, v := range h.Values("Accept") {
		for _, item := range strings.Split(v, ",") {
			mt, _, _ := strings.Cut(item, ";")
			if strings.TrimSpace(mt) == ContentType {
				return true
			}
		}
	}
	return false
}
