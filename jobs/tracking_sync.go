package jobs

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hibiken/asynq"
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

// QueueTrackingSync implements app.Dispatcher.
func (c *Client) QueueTrackingSync(ctx context.Context, shop, shipmentID string) error {
	return c.enqueue(ctx)(NewTrackingSyncTask(shop, shipmentID))
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
