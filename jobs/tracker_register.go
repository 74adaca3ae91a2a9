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

// NewTrackerRegisterTask returns the task: one per shipment at a time.
func NewTrackerRegisterTask(shop, shipmentID string) (*asynq.Task, []asynq.Option, error) {
	b, err := json.Marshal(TrackerRegisterPayload{Shop: shop, ShipmentID: shipmentID})
	return asynq.NewTask(TypeTrackerRegister, b), []asynq.Option{
		asynq.Queue(QueueDefault), asynq.MaxRetry(12), asynq.Timeout(time.Minute),
		asynq.TaskID(TypeTrackerRegister + ":" + shipmentID), asynq.Retention(time.Hour),
	}, err
}

// QueueTrackerRegister implements app.Dispatcher.
func (c *Client) QueueTrackerRegister(ctx context.Context, shop, shipmentID string) error {
	return c.enqueue(ctx)(NewTrackerRegisterTask(shop, shipmentID))
}

func (d Deps) handleTrackerRegister(ctx context.Context, t *asynq.Task) error {
	var p TrackerRegisterPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return outcome(d.Shipping.RegisterTracker(ctx, p.ShipmentID))
}
