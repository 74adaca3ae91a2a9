package redis

import (
	"context"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/waybill-app/waybill/app"
)

// slotLease is how long a slot outlives its holder's last heartbeat. The
// holder renews it every slotLease/3 while it works, so a process that dies
// (kill -9, a lost host) frees its slots this soon instead of at the end of
// the caller's ttl (minutes for a push). 7 s: a restarted worker pushes
// within 10 s of a crash even when the dead process held every slot of a shop.
const slotLease = 7 * time.Second

// The semaphore is a sorted set: members are holder tokens scored by when
// their lease ends (Redis's own clock, so processes on hosts whose clocks
// disagree still agree on expiry). Every acquire first drops lapsed leases.
//
// acquireScript: KEYS[1] the set; ARGV[1] limit, ARGV[2] token, ARGV[3] lease (ms).
var acquireScript = goredis.NewScript(`
local t = redis.call("time")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call("zremrangebyscore", KEYS[1], "-inf", now)
if redis.call("zcard", KEYS[1]) < tonumber(ARGV[1]) then
  redis.call("zadd", KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  if redis.call("pttl", KEYS[1]) < tonumber(ARGV[3]) then
    redis.call("pexpire", KEYS[1], ARGV[3])
  end
  return 1
end
return 0`)

// renewScript extends a lease that is still held; a lapsed one is not
// brought back (its slot may have been given to someone else): 0.
//
// KEYS[1] the set; ARGV[1] token, ARGV[2] lease (ms).
var renewScript = goredis.NewScript(`
local t = redis.call("time")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ = redis.call("zscore", KEYS[1], ARGV[1])
if not until_ or tonumber(until_) <= now then
  return 0
end
redis.call("zadd", KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
if redis.call("pttl", KEYS[1]) < tonumber(ARGV[2]) then
  redis.call("pexpire", KEYS[1], ARGV[2])
end
return 1`)

const limitPrefix = "waybill:limit:"

// Acquire implements app.Limiter: the slot is a short lease (slotLease)
// renewed in the background until release, the end of ctx, or ttl.
func (c *Client) Acquire(ctx context.Context, key string, limit int, ttl time.Duration) (func(), bool, error) {
	return c.acquire(ctx, key, limit, ttl, slotLease)
}

func (c *Client) acquire(ctx context.Context, key string, limit int, ttl, lease time.Duration) (func(), bool, error) {
	lease = max(min(lease, ttl), time.Millisecond)
	token := randomToken(12)
	ok, err := acquireScript.Run(ctx, c.rdb, []string{limitPrefix + key}, limit, token, lease.Milliseconds()).Int()
	if err != nil {
		return nil, false, app.WrapError(app.ErrUnavailable, err, "cannot take a slot of %s", key)
	}
	if ok == 0 {
		return nil, false, nil
	}
	// The heartbeat stops at release, when the holder's context ends, or at
	// ttl (the most the caller may hold it); the lease then runs out.
	hold, stop := context.WithTimeout(context.WithoutCancel(ctx), ttl)
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.renew(hold, ctx.Done(), key, token, lease)
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			stop()
			<-done // no renewal lands after the release
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if err := c.rdb.ZRem(ctx, limitPrefix+key, token).Err(); err != nil {
				c.log.WarnContext(ctx, "redis: cannot release a slot; it frees itself when its lease runs out",
					"key", key, "lease", lease.String(), "error", err)
			}
		})
	}, true, nil
}

// renew extends the lease every lease/3 until hold ends or holderDone
// closes. A failed renewal is tried again at the next beat (two more before
// the lease lapses); a lapsed lease is not taken back.
func (c *Client) renew(hold context.Context, holderDone <-chan struct{}, key, token string, lease time.Duration) {
	tick := time.NewTicker(lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-hold.Done():
			return
		case <-holderDone:
			return
		case <-tick.C:
		}
		// Never past ttl: the caller's bound holds even for a live holder.
		deadline, _ := hold.Deadline()
		next := min(lease, time.Until(deadline))
		if next < time.Millisecond {
			return
		}
		ctx, cancel := context.WithTimeout(hold, lease/3)
		held, err := renewScript.Run(ctx, c.rdb, []string{limitPrefix + key}, token, next.Milliseconds()).Int()
		cancel()
		switch {
		case hold.Err() != nil:
			return // released meanwhile
		case err != nil:
			c.log.Warn("redis: cannot renew a slot; trying again", "key", key, "error", err)
		case held == 0:
			c.log.Warn("redis: a slot lapsed before it was renewed (the process stalled longer than its lease)",
				"key", key, "lease", lease.String())
			return
		}
	}
}

var _ app.Limiter = (*Client)(nil)
