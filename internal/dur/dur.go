// Package dur is a time.Duration that scenario files, fault rules and the admin API write as Go
// duration text ("2s", "1m30s").
package dur

import (
	"fmt"
	"strings"
	"time"
)

// Duration is a time.Duration written as Go duration text ("2s", "1m30s") in JSON and YAML.
type Duration time.Duration

// D is the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes "2s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads Go duration text.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("invalid duration %q: want Go duration text such as 500ms, 2s, 10m, 1h30m", string(b))
	}
	*d = Duration(v)
	return nil
}
