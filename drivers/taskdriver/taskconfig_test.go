package taskdriver

import (
	"reflect"
	"slices"
	"testing"

	"github.com/hpcbridge/hpcbridge/internal/taskspec"
)

// TestTaskConfigSpecMatchesContract: the task config's schema names
// exactly the fields of taskspec.Config (by their codec tags), the type the
// coordinator writes, and the driver decodes into that type's fields.
func TestTaskConfigSpecMatchesContract(t *testing.T) {
	var keys []string
	for k := range taskConfigSpec.GetObject().GetAttributes() {
		keys = append(keys, k)
	}
	var tags []string
	for f := range reflect.TypeFor[taskspec.Config]().Fields() {
		tags = append(tags, f.Tag.Get("codec"))
	}
	slices.Sort(keys)
	slices.Sort(tags)
	if !slices.Equal(keys, tags) {
		t.Errorf("hclspec keys %v, taskspec.Config codec tags %v", keys, tags)
	}
	if !reflect.TypeFor[TaskConfig]().ConvertibleTo(reflect.TypeFor[taskspec.Config]()) {
		t.Error("TaskConfig is not taskspec.Config")
	}
}
