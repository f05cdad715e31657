package nomadagent

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// hclWriter renders the small subset of HCL the agent configuration needs:
// attributes with literal values, and blocks. Maps become blocks (`meta {
// ... }`), a list of maps becomes repeated blocks, as Nomad's documentation
// writes them.
type hclWriter struct {
	b     strings.Builder
	depth int
	err   error // the first value that could not be written
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func hclKey(k string) string {
	if identRE.MatchString(k) {
		return k
	}
	return strconv.Quote(k)
}

func (w *hclWriter) line(format string, args ...any) {
	w.b.WriteString(strings.Repeat("  ", w.depth))
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteByte('\n')
}

// open starts a block: name "label" ... {.
func (w *hclWriter) open(name string, labels ...string) {
	head := hclKey(name)
	for _, l := range labels {
		head += " " + strconv.Quote(l)
	}
	w.line("%s {", head)
	w.depth++
}

func (w *hclWriter) close() {
	w.depth--
	w.line("}")
}

// set writes key = value, or a block for a map value; the first error is
// kept in w.err.
func (w *hclWriter) set(key string, v any) {
	if err := w.attr(key, v); err != nil && w.err == nil {
		w.err = err
	}
}

// attr writes key = value, or a block for a map value.
func (w *hclWriter) attr(key string, v any) error {
	rv := reflect.ValueOf(v)
	switch {
	case !rv.IsValid():
		return fmt.Errorf("%s: nil value", key)
	case rv.Kind() == reflect.Map:
		return w.block(key, rv)
	case (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array) && rv.Len() > 0 && isMap(rv.Index(0)):
		for i := 0; i < rv.Len(); i++ {
			if !isMap(rv.Index(i)) {
				return fmt.Errorf("%s: a list mixes blocks and values", key)
			}
			if err := w.block(key, reflect.ValueOf(rv.Index(i).Interface())); err != nil {
				return err
			}
		}
		return nil
	}
	s, err := hclValue(v)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	w.line("%s = %s", hclKey(key), s)
	return nil
}

func isMap(v reflect.Value) bool {
	for v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	return v.Kind() == reflect.Map
}

// block writes a map as a block with its keys in sorted order.
func (w *hclWriter) block(key string, m reflect.Value) error {
	if m.Type().Key().Kind() != reflect.String {
		return fmt.Errorf("%s: map keys must be strings", key)
	}
	keys := make([]string, 0, m.Len())
	for _, k := range m.MapKeys() {
		keys = append(keys, k.String())
	}
	sort.Strings(keys)
	w.open(key)
	for _, k := range keys {
		if err := w.attr(k, m.MapIndex(reflect.ValueOf(k).Convert(m.Type().Key())).Interface()); err != nil {
			w.close()
			return fmt.Errorf("%s.%w", key, err)
		}
	}
	w.close()
	return nil
}

// hclValue renders a literal: string, bool, number, duration, or a list of
// those.
func hclValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x), nil
	case time.Duration:
		return strconv.Quote(x.String()), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(rv.Float(), 'g', -1, 64), nil
	case reflect.String:
		return strconv.Quote(rv.String()), nil
	case reflect.Slice, reflect.Array:
		parts := make([]string, rv.Len())
		for i := range parts {
			s, err := hclValue(rv.Index(i).Interface())
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	return "", fmt.Errorf("unsupported value %v (%T)", v, v)
}
