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

// NewClient wraps a Redis connection. The connection stays its owner's to
// close (Asynq refuses to close a connection it was given).
func NewClient(rdb goredis.UniversalClient) *Client {
	return &Client{asynq: asynq.NewClientFromRedisClient(rdb)}
}

// enqueue returns a function that queues a task built by a constructor; a
// task already queued under the same id counts as queued (the point of task
// ids is that a repeat is a no-op).
func (c *Client) enqueue(ctx context.Context) func(t *asynq.Task, opts []asynq.Option, err error) error {
	return func(t *asynq.Task, opts []asynq.Option, err error) error {
		if err != nil {
			return app.WrapError(app.ErrInternal, err, "cannot build the task")
		}
		_, err = c.asynq.EnqueueContext(ctx, t, opts...)
		if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
			return nil
		}
		if err != nil {
			return app.WrapError(app.ErrUnavailable, err, "cannot queue %s", t.Type())
		}
		return nil
	}
}

var _ app.Dispatcher = (*Client)(nil)
