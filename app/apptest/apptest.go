// Package apptest has test doubles for the domain's small interfaces: a clock
// that moves only when told and a sealer with a fixed key. Databases, Redis
// and SMTP are never doubled: tests use the real ones.
package apptest

import (
	"bytes"
	"sync"
	"time"

	"github.com/waybill-app/waybill/app/seal"
)

// Clock is an app.Clock that tests move by hand.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts at t (UTC).
func NewClock(t time.Time) *Clock { return &Clock{now: t.UTC()} }

func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t.UTC()
	c.mu.Unlock()
}

// Sealer returns a real AES-GCM sealer with a fixed test key.
func Sealer() *seal.Sealer {
	s, err := seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
	if err != nil {
		panic(err)
	}
	return s
}

// Logs collects what a test's Waybill logs, from every goroutine (workers,
// servers), for assertions on what an operator would read.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String is everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
