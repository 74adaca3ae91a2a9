package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/waybill-app/waybill/app"
)

// acquireScript is a counting semaphore in a sorted set: members are holder
// tokens scored by expiry, so a crashed holder's slot frees itself.
var acquireScript = goredis.NewScript(`
redis.call("zremrangebyscore", KEYS[1], "-inf", ARGV[1])
if redis.call("zcard", KEYS[1]) < tonumber(ARGV[3]) then
  redis.call("zadd", KEYS[1], ARGV[2], ARGV[4])
  redis.call("pexpire", KEYS[1], ARGV[5])
  return 1
end
return 0`)

const limitPrefix = "waybill:limit:"

// Acquire implements app.Limiter.
func (c *Client) Acquire(ctx context.Context, key string, limit int, ttl time.Duration) (func(), bool, error) {
	token := randomToken(12)
	now := time.Now()
	ok, err := acquireScript.Run(ctx, c.rdb, []string{limitPrefix + key},
		now.UnixMilli(), now.Add(ttl).UnixMilli(), limit, token, ttl.Milliseconds()).Int()
	if err != nil {
		return nil, false, app.WrapError(app.ErrUnavailable, err, "cannot take a slot of %s", key)
	}
	if ok == 0 {
		return nil, false, nil
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := c.rdb.ZRem(ctx, limitPrefix+key, token).Err(); err != nil {
			c.log.WarnContext(ctx, "redis: cannot release a slot; it frees itself when its TTL runs out",
				"key", key, "ttl", ttl, "error", err)
		}
	}, true, nil
}

var _ app.Limiter = (*Client)(nil)
