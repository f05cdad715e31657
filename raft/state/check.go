package state

import "fmt"

// Check makes every check Apply makes before it changes anything: the
// header, a known type and version, and a payload that decodes into the
// type's struct. The leader calls it before an entry enters the log, so
// that an entry that would stop every replica is never written.
func Check(data []byte) error {
	c, _, err := lookup(data)
	if err != nil {
		return err
	}
	if _, err := c.decode(data[2:]); err != nil {
		return fmt.Errorf("state: %s payload: %w", c.name, err)
	}
	return nil
}
