package redis

import (
	"context"
	"time"

	"github.com/waybill-app/waybill/app"
)

// Allow implements app.RateLimiter: a fixed window counter per key.
func (c *Client) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	k := "waybill:rate:" + key
	pipe := c.rdb.TxPipeline()
	n := pipe.Incr(ctx, k)
	pipe.Expire(ctx, k, window)
	if _, err := pipe.Exec(ctx); err != nil {
		return false, app.WrapError(app.ErrUnavailable, err, "rate limiter unavailable")
	}
	return n.Val() <= int64(limit), nil
}

var _ app.RateLimiter = (*Client)(nil)
