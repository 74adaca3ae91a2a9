package jobs

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hibiken/asynq"
)

// TypeTrackerRegister registers a shipment's number with the shop's
// aggregator (17TRACK, AfterShip, EasyPost), paced within its rate limit.
const TypeTrackerRegister = "tracker:register"

// TrackerRegisterPayload names the shipment.
type TrackerRegisterPayload struct {
	Shop       string `json:"shop"`
	ShipmentID string `json:"shipment_id"`
}

// NewTrackerRegisterTask returns the task: one per shipment at a time,
// run after delay. A task that ended (registered, or given up and recorded
// as refused) frees its id.
func NewTrackerRegisterTask(shop, shipmentID string, delay time.Duration) (*asynq.Task, []asynq.Option, error) {
	b, err := json.Marshal(TrackerRegisterPayload{Shop: shop, ShipmentID: shipmentID})
	return asynq.NewTask(TypeTrackerRegister, b), []asynq.Option{
		asynq.Queue(QueueDefault), asynq.MaxRetry(12), asynq.Timeout(time.Minute), asynq.ProcessIn(delay),
		asynq.TaskID(TypeTrackerRegister + ":" + shipmentID),
	}, err
}

// QueueTrackerRegister implements app.Dispatcher.
func (c *Client) QueueTrackerRegister(ctx context.Context, shop, shipmentID string, delay time.Duration) error {
	return c.enqueue(ctx)(NewTrackerRegisterTask(shop, shipmentID, delay))
}

func (d Deps) handleTrackerRegister(ctx context.Context, t *asynq.Task) error {
	var p TrackerRegisterPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return outcome(d.Shipping.RegisterTracker(ctx, p.ShipmentID, lastTry(ctx)))
}

// TypeSourceConnected registers the parcels already on their way with a
// newly connected aggregator (spread within its rate).
const TypeSourceConnected = "source:connected"

// SourceConnectedPayload names the shop and the source.
type SourceConnectedPayload struct {
	Shop     string `json:"shop"`
	SourceID string `json:"source_id"`
}

// NewSourceConnectedTask returns the task: one per source.
func NewSourceConnectedTask(shop, sourceID string) (*asynq.Task, []asynq.Option, error) {
	b, err := json.Marshal(SourceConnectedPayload{Shop: shop, SourceID: sourceID})
	return asynq.NewTask(TypeSourceConnected, b), []asynq.Option{
		asynq.Queue(QueueDefault), asynq.MaxRetry(8), asynq.Timeout(5 * time.Minute),
		asynq.TaskID(TypeSourceConnected + ":" + sourceID), asynq.Retention(24 * time.Hour),
	}, err
}

// QueueSourceConnected implements app.Dispatcher.
func (c *Client) QueueSourceConnected(ctx context.Context, shop, sourceID string) error {
	return c.enqueue(ctx)(NewSourceConnectedTask(shop, sourceID))
}

func (d Deps) handleSourceConnected(ctx context.Context, t *asynq.Task) error {
	var p SourceConnectedPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	_, err := d.Shipping.SourceConnected(ctx, p.Shop, p.SourceID)
	return outcome(err)
}
