package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/waybill-app/waybill/app"
)

// allowScript is a sliding-window log: the key holds the times of the calls
// it allowed in the last window, so no window of that length — wherever it
// starts — ever holds more than limit calls. (A fixed window lets twice the
// limit through around its edge, which a provider's own limiter answers
// with 429.) Refused calls are not logged, so a key tried more often than
// its limit still gets its limit in each window. Time is Redis's own, the
// same for every worker.
var allowScript = goredis.NewScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[1])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now - window)
if redis.call("ZCARD", KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call("ZADD", KEYS[1], now, ARGV[3])
redis.call("PEXPIRE", KEYS[1], math.ceil(window / 1000))
return 1`)

// Allow implements app.RateLimiter: at most limit calls in any window.
func (c *Client) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	ok, err := allowScript.Run(ctx, c.rdb, []string{"waybill:rate:" + key}, window.Microseconds(), limit, app.NewID()).Int64()
	if err != nil {
		return false, app.WrapError(app.ErrUnavailable, err, "rate limiter unavailable")
	}
	return ok == 1, nil
}

var _ app.RateLimiter = (*Client)(nil)
