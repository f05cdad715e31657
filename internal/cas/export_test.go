package cas

// SetAfterLimitCheck sets the hook Scan runs between its size check and its
// reading of the files; the returned func unsets it.
func SetAfterLimitCheck(f func()) func() {
	afterLimitCheck = f
	return func() { afterLimitCheck = nil }
}
