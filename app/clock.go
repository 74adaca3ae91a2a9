package app

import "time"

// Clock tells the time. Everything that compares times takes one, so tests can
// move time instead of sleeping.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock, always in UTC.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now().UTC() }
