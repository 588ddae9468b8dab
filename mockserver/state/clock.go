package state

import (
	"sync"
	"time"
)

// Clock is a tenant's time source: real time shifted by an offset, or frozen. Scenarios advance it
// to expire UserSigs and mute times without waiting.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
	frozen *time.Time
	now    func() time.Time
}

// NewClock returns a clock that follows real time.
func NewClock() *Clock { return &Clock{now: time.Now} }

// Now is the tenant's current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen != nil {
		return *c.frozen
	}
	return c.now().Add(c.offset)
}

// Advance moves the clock forward (or back, with a negative d).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen != nil {
		t := c.frozen.Add(d)
		c.frozen = &t
		return
	}
	c.offset += d
}

// Freeze stops the clock at t (zero t: at the current instant).
func (c *Clock) Freeze(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.IsZero() {
		t = c.now().Add(c.offset)
	}
	c.frozen = &t
}

// Unfreeze lets the clock run again from where it stood.
func (c *Clock) Unfreeze() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen != nil {
		c.offset = c.frozen.Sub(c.now())
		c.frozen = nil
	}
}

// Frozen reports whether the clock is stopped.
func (c *Clock) Frozen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frozen != nil
}
