package jobs

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app"
)

// TypeStatusEvent tells Shopify a parcel's new status (fulfillmentEventCreate,
// shown on the store's order status page) and, for out for delivery,
// delivered and exception, emails the customer.
const TypeStatusEvent = "tracking:event"

// StatusEventPayload names the shipment and status.
type StatusEventPayload struct {
	Shop       string           `json:"shop"`
	ShipmentID string           `json:"shipment_id"`
	Status     app.ParcelStatus `json:"status"`
}

// NewStatusEventTask returns the task: one per (shipment, status).
func NewStatusEventTask(shop, shipmentID string, status app.ParcelStatus) (*asynq.Task, []asynq.Option, error) {
	b, err := json.Marshal(StatusEventPayload{Shop: shop, ShipmentID: shipmentID, Status: status})
	return asynq.NewTask(TypeStatusEvent, b), []asynq.Option{
		asynq.Queue(QueueDefault), asynq.MaxRetry(10), asynq.Timeout(time.Minute),
		asynq.TaskID(TypeStatusEvent + ":" + shipmentID + ":" + string(status)), asynq.Retention(24 * time.Hour),
	}, err
}

// QueueTrackingEvent implements app.Dispatcher.
func (c *Client) QueueTrackingEvent(ctx context.Context, shop, shipmentID string, status app.ParcelStatus) error {
	return c.enqueue(ctx)(NewStatusEventTask(shop, shipmentID, status))
}

func (d Deps) handleStatusEvent(ctx context.Context, t *asynq.Task) error {
	var p StatusEventPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return outcome(d.Shipping.PublishStatus(ctx, p.ShipmentID, p.Status))
}
