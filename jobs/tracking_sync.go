package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app"
)

// TypeTrackingSync pushes one shipment to Shopify: it becomes a fulfillment
// carrying its tracking info, or updates the fulfillment it already is.
const TypeTrackingSync = "tracking:sync"

// TrackingSyncPayload names the shipment.
type TrackingSyncPayload struct {
	Shop       string `json:"shop"`
	ShipmentID string `json:"shipment_id"`
}

// NewTrackingSyncTask returns the task; its id makes it unique per shipment
// while queued or running.
func NewTrackingSyncTask(shop, shipmentID string) (*asynq.Task, []asynq.Option, error) {
	b, err := json.Marshal(TrackingSyncPayload{Shop: shop, ShipmentID: shipmentID})
	return asynq.NewTask(TypeTrackingSync, b), []asynq.Option{
		asynq.Queue(QueueDefault), asynq.MaxRetry(10), asynq.Timeout(2 * time.Minute),
		asynq.TaskID(TypeTrackingSync + ":" + shipmentID),
	}, err
}

// followUpDelay is when a push queued while the shipment's push is running
// runs: after that one has finished, to push what changed meanwhile.
const followUpDelay = 2 * time.Second

// QueueTrackingSync implements app.Dispatcher. While the shipment's push is
// running it holds the task id, so queueing under it would be a no-op, and a
// change that push has already read past (an edit, the merchant's retry)
// would wait for the resync sweep: it queues a follow-up push instead, under
// a second id, a moment later (a push that finds nothing to do does
// nothing; one follow-up at a time).
func (c *Client) QueueTrackingSync(ctx context.Context, shop, shipmentID string) error {
	task, opts, err := NewTrackingSyncTask(shop, shipmentID)
	if err != nil {
		return app.WrapError(app.ErrInternal, err, "cannot build the task")
	}
	held, err := c.enqueueHeld(ctx, task, opts)
	if err != nil || !held {
		return err
	}
	info, err := c.inspect.GetTaskInfo(QueueDefault, TypeTrackingSync+":"+shipmentID)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound):
		// It finished in between: the id is free.
		_, err = c.enqueueHeld(ctx, task, opts)
		return err
	case err != nil:
		return app.WrapError(app.ErrUnavailable, err, "cannot read the shipment's push task")
	case info.State != asynq.TaskStateActive:
		return nil // waiting to run: it will read the change
	}
	follow := append(opts, asynq.TaskID(TypeTrackingSync+":"+shipmentID+":again"), asynq.ProcessIn(followUpDelay))
	_, err = c.enqueueHeld(ctx, task, follow)
	return err
}

func (d Deps) handleTrackingSync(ctx context.Context, t *asynq.Task) error {
	var p TrackingSyncPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return outcome(d.Shipping.Push(ctx, p.ShipmentID, lastTry(ctx)))
}

// TypeTrackingResync queues again the pushes and emails that should be
// moving but are not (a queueing failure at intake, a lost task, a shop back
// from re-authorisation).
const TypeTrackingResync = "tracking:resync"

// NewTrackingResyncTask is the scheduler's task.
func NewTrackingResyncTask() *asynq.Task {
	return asynq.NewTask(TypeTrackingResync, nil, asynq.Queue(QueueLow), asynq.MaxRetry(0),
		asynq.Unique(50*time.Second), asynq.Timeout(time.Minute))
}

func (d Deps) handleTrackingResync(ctx context.Context, _ *asynq.Task) error {
	queued, err := d.Shipping.RequeueStalled(ctx)
	if queued > 0 {
		d.Log.InfoContext(ctx, "stalled shipments and emails re-queued", "count", queued)
	}
	return err
}
