package jobs

import (
	"context"
	"encoding/json"
	"fmt"
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
func NewStatusEventTask(shop, shipmentID string, status app.ParcelStatus) (*asynq.Task, []asynq.Option) {
	b, _ := json.Marshal(StatusEventPayload{Shop: shop, ShipmentID: shipmentID, Status: status})
	return asynq.NewTask(TypeStatusEvent, b), []asynq.Option{
		asynq.Queue(QueueDefault), asynq.MaxRetry(10), asynq.Timeout(time.Minute),
		asynq.TaskID(TypeStatusEvent + ":" + shipmentID + ":" + string(status)), asynq.Retention(24 * time.Hour),
	}
}

// PublishStatus implements app.Dispatcher.
func (c *Client) PublishStatus(ctx context.Context, shop, shipmentID string, status app.ParcelStatus) error {
	t, opts := NewStatusEventTask(shop, shipmentID, status)
	return c.enqueue(ctx, t, opts...)
}

func (d Deps) handleStatusEvent(ctx context.Context, t *asynq.Task) error {
	var p StatusEventPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return final(fmt.Errorf("tracking:event payload: %w", err))
	}
	shop, err := d.Shops.ShopByDomain(ctx, p.Shop)
	if err != nil || !shop.Active() {
		return nil
	}
	// One status at a time per shipment, and only the current one: tasks run
	// concurrently, and a late "out for delivery" after "delivered" would
	// show the store a parcel going backwards and confuse the customer.
	unlock, err := d.Locker.Lock(ctx, "status-event:"+p.ShipmentID, time.Minute)
	if err != nil {
		return err
	}
	defer unlock()
	s, err := d.Shipments.ShipmentByID(ctx, p.ShipmentID)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return nil // deleted (shop redacted)
	}
	if err != nil {
		return err
	}
	if s.Status != p.Status {
		d.Log.InfoContext(ctx, "stale status not published", "shop", shop.Domain, "shipment_id", s.ID, "status", p.Status, "current", s.Status)
		return nil
	}
	if e, ok := p.Status.Notification(); ok {
		d.notify(ctx, shop, s, e) // once per (shipment, event), whatever the retries below
	}
	if s.ShopifyFulfillmentID == 0 || p.Status.FulfillmentEventStatus() == "" {
		return nil // not in Shopify yet, or a status Shopify has no event for
	}
	at := d.Clock.Now()
	if s.StatusAt != nil {
		at = *s.StatusAt
	}
	err = d.Admin.CreateFulfillmentEvent(ctx, shop.Domain, s.ShopifyFulfillmentID, p.Status.FulfillmentEventStatus(), at, s.EstimatedDeliveryAt, "")
	return outcome(err)
}
