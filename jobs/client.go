package jobs

import (
	"context"
	"errors"

	"github.com/hibiken/asynq"
	goredis "github.com/redis/go-redis/v9"

	"github.com/waybill-app/waybill/app"
)

// Client enqueues tasks. It implements app.Dispatcher.
type Client struct {
	asynq *asynq.Client
}

// NewClient wraps a Redis connection.
func NewClient(rdb goredis.UniversalClient) *Client {
	return &Client{asynq: asynq.NewClientFromRedisClient(rdb)}
}

// Close releases the client (not the Redis connection it was given).
func (c *Client) Close() error { return c.asynq.Close() }

// enqueue queues t; a task already queued under the same id counts as
// queued (the point of task ids is that a repeat is a no-op).
func (c *Client) enqueue(ctx context.Context, t *asynq.Task, opts ...asynq.Option) error {
	_, err := c.asynq.EnqueueContext(ctx, t, opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return nil
	}
	if err != nil {
		return app.WrapError(app.ErrUnavailable, err, "cannot queue %s", t.Type())
	}
	return nil
}

// SetUpShop implements app.Dispatcher.
func (c *Client) SetUpShop(ctx context.Context, shopDomain string) error {
	t, opts := NewShopSetupTask(shopDomain)
	return c.enqueue(ctx, t, opts...)
}

var _ app.Dispatcher = (*Client)(nil)
