package nvml

import (
	"fmt"

	gonvml "github.com/NVIDIA/go-nvml/pkg/nvml"
)

// OpenReal loads the NVML library and initialises it. NVML's Init is the
// first and, when it fails, the only call made: without a driver any other
// call would crash the process, and Shutdown is not called after a failed
// Init. A missing library is reported as an error wrapping ErrNoLibrary.
func OpenReal() (Backend, error) {
	lib := gonvml.New()
	ret := lib.Init()
	switch ret {
	case gonvml.SUCCESS:
		return &library{lib: lib, name: BackendNVML}, nil
	case gonvml.ERROR_LIBRARY_NOT_FOUND:
		return nil, fmt.Errorf("nvml: init: %s: %w", ret.Error(), ErrNoLibrary)
	}
	return nil, fmt.Errorf("nvml: init: %s (is the NVIDIA driver loaded, and may this user open /dev/nvidia*?)", ret.Error())
}
