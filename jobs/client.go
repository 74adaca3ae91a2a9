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
	asynq   *asynq.Client
	inspect *asynq.Inspector
}

// NewClient wraps a Redis connection. The connection stays its owner's to
// close (Asynq refuses to close a connection it was given).
func NewClient(rdb goredis.UniversalClient) *Client {
	return &Client{asynq: asynq.NewClientFromRedisClient(rdb), inspect: asynq.NewInspectorFromRedisClient(rdb)}
}

// enqueue returns a function that queues a task built by a constructor; a
// task already queued under the same id counts as queued (the point of task
// ids is that a repeat is a no-op).
func (c *Client) enqueue(ctx context.Context) func(t *asynq.Task, opts []asynq.Option, err error) error {
	return func(t *asynq.Task, opts []asynq.Option, err error) error {
		if err != nil {
			return app.WrapError(app.ErrInternal, err, "cannot build the task")
		}
		_, err = c.enqueueHeld(ctx, t, opts)
		return err
	}
}

// enqueueHeld queues t and reports, when its id is held by a task queued,
// scheduled, retrying or running, that it was (held true, no error).
func (c *Client) enqueueHeld(ctx context.Context, t *asynq.Task, opts []asynq.Option) (held bool, err error) {
	_, err = c.asynq.EnqueueContext(ctx, t, opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) && c.freeArchivedID(opts) {
		// The id was held by a task that gave up (archived): this is new
		// work — the merchant's retry, a lost registration — not a repeat.
		_, err = c.asynq.EnqueueContext(ctx, t, opts...)
	}
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return true, nil
	}
	if err != nil {
		return false, app.WrapError(app.ErrUnavailable, err, "cannot queue %s", t.Type())
	}
	return false, nil
}

var _ app.Dispatcher = (*Client)(nil)

// freeArchivedID deletes the archived task holding the id in opts, if that is what
// holds it, and reports whether it did. A task queued, scheduled, retrying
// or running keeps its id: queueing it again is the no-op task ids exist for.
func (c *Client) freeArchivedID(opts []asynq.Option) bool {
	queue, id := "default", ""
	for _, o := range opts {
		switch o.Type() {
		case asynq.QueueOpt:
			queue, _ = o.Value().(string)
		case asynq.TaskIDOpt:
			id, _ = o.Value().(string)
		}
	}
	if id == "" {
		return false
	}
	info, err := c.inspect.GetTaskInfo(queue, id)
	if err != nil || info.State != asynq.TaskStateArchived {
		return false
	}
	return c.inspect.DeleteTask(queue, id) == nil
}
