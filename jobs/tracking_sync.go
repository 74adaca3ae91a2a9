package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/tracking"
)

// TypeTrackingSync pushes one shipment to Shopify: it becomes a fulfillment
// carrying its tracking info, or updates the fulfillment it already is.
const TypeTrackingSync = "tracking:sync"

// TrackingSyncPayload names the shipment.
type TrackingSyncPayload struct {
	Shop       string `json:"shop"`
	ShipmentID string `json:"shipment_id"`
}

const trackingSyncMaxRetry = 10

// NewTrackingSyncTask returns the task; its id makes it unique per shipment
// while queued or running.
func NewTrackingSyncTask(shop, shipmentID string) (*asynq.Task, []asynq.Option) {
	b, _ := json.Marshal(TrackingSyncPayload{Shop: shop, ShipmentID: shipmentID})
	return asynq.NewTask(TypeTrackingSync, b), []asynq.Option{
		asynq.Queue(QueueDefault), asynq.MaxRetry(trackingSyncMaxRetry), asynq.Timeout(2 * time.Minute),
		asynq.TaskID(TypeTrackingSync + ":" + shipmentID),
	}
}

// SyncShipment implements app.Dispatcher.
func (c *Client) SyncShipment(ctx context.Context, shop, shipmentID string) error {
	t, opts := NewTrackingSyncTask(shop, shipmentID)
	return c.enqueue(ctx, t, opts...)
}

// DefaultPushesPerShop bounds a shop's concurrent pushes.
const DefaultPushesPerShop = 4

func (d Deps) handleTrackingSync(ctx context.Context, t *asynq.Task) error {
	var p TrackingSyncPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return final(fmt.Errorf("tracking:sync payload: %w", err))
	}
	s, err := d.Shipments.ShipmentByID(ctx, p.ShipmentID)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return nil // deleted (shop redacted)
	}
	if err != nil {
		return err
	}
	if s.State != app.ShipmentPending && s.State != app.ShipmentSyncing {
		return nil // synced, failed or waiting for the merchant: nothing to push
	}
	shop, err := d.Shops.ShopByDomain(ctx, p.Shop)
	if err != nil || !shop.Active() {
		return nil // uninstalled or awaiting re-authorisation: stays pending for later
	}

	limit := d.PushesPerShop
	if limit <= 0 {
		limit = DefaultPushesPerShop
	}
	release, ok, err := d.Limiter.Acquire(ctx, "push:"+shop.Domain, limit, 3*time.Minute)
	if err != nil {
		return err
	}
	if !ok {
		// Not a failure: the shop has its share of workers busy.
		return app.Errorf(app.ErrRateLimited, "shop %s already has %d pushes running", shop.Domain, limit)
	}
	defer release()

	if err := d.Shipments.SetShipmentState(ctx, s.ID, app.ShipmentSyncing, "", "", ""); err != nil {
		return err
	}
	err = d.push(ctx, shop, s)
	return d.settle(ctx, t, s, err)
}

// push does the Shopify side. Errors carry the code that decides the
// shipment's fate (see settle).
func (d Deps) push(ctx context.Context, shop *app.Shop, s *app.Shipment) error {
	order, err := d.Admin.FindOrder(ctx, shop.Domain, s.OrderID, s.OrderName)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return needsAttention(fmt.Sprintf("Shopify has no order %s in this store.", orderLabel(s)))
	}
	if err != nil {
		return err
	}
	if s.OrderID != order.ID || s.OrderName != order.Name {
		if err := d.Shipments.ResolveShipmentOrder(ctx, s.ID, order.ID, order.Name, nil); err != nil {
			return err
		}
		s.OrderID, s.OrderName = order.ID, order.Name
		// Waybill had not seen the order: keep what the customer email needs
		// (an older copy never overwrites a newer one).
		d.Orders.SaveOrder(ctx, app.Order{ID: order.ID, ShopID: shop.ID, Name: order.Name, Email: order.Email,
			CustomerLocale: order.CustomerLocale, CustomerFirstName: order.CustomerFirstName, ShopifyUpdatedAt: order.UpdatedAt, LineItems: order.LineItems})
	}
	notify := s.NotifyCustomer && shop.CustomerEmails == app.CustomerEmailsShopify

	// Look before creating: a retry after a timeout finds the fulfillment the
	// first attempt made, and a number fulfilled in the admin is not repeated.
	for _, f := range order.Fulfillments {
		if slices.Contains(f.TrackingNumbers, s.TrackingNumber) {
			if synced, err := d.Shipments.MarkShipmentSynced(ctx, s.ID, s.TrackingNumber, f.ID, "Already a fulfillment in Shopify with this tracking number."); err != nil || !synced {
				return err
			}
			d.notify(ctx, shop, s, app.NotifyShipped) // once: a first attempt may have stopped before telling
			return nil
		}
	}
	if s.ShopifyFulfillmentID != 0 {
		// The number changed after the fulfillment was made.
		if err := d.Admin.UpdateFulfillmentTracking(ctx, shop.Domain, s.ShopifyFulfillmentID, s.TrackingNumber, s.Carrier, s.TrackingURL, notify); err != nil {
			return err
		}
		if synced, err := d.Shipments.MarkShipmentSynced(ctx, s.ID, s.TrackingNumber, s.ShopifyFulfillmentID, "Tracking number updated in Shopify."); err != nil || !synced {
			return err
		}
		d.notify(ctx, shop, s, app.NotifyTrackingUpdated)
		return nil
	}
	plan, problem := tracking.PlanFulfillment(order, s.LineItems)
	if problem != "" {
		return needsAttention(problem)
	}
	id, err := d.Admin.CreateFulfillment(ctx, shop.Domain, app.FulfillmentRequest{
		Lines: plan.Lines, TrackingNumber: s.TrackingNumber, Company: s.Carrier, URL: s.TrackingURL, NotifyCustomer: notify,
	})
	if err != nil {
		return err
	}
	if err := d.Shipments.ResolveShipmentOrder(ctx, s.ID, order.ID, order.Name, plan.Resolved); err != nil {
		return err
	}
	synced, err := d.Shipments.MarkShipmentSynced(ctx, s.ID, s.TrackingNumber, id, fmt.Sprintf("Fulfillment created in Shopify from %s.", plan.Location))
	if err != nil || !synced {
		// Edited while this push ran: the fulfillment carries the old number
		// and the shipment stays pending, so the change is pushed next.
		return err
	}
	s.LineItems = plan.Resolved
	d.notify(ctx, shop, s, app.NotifyShipped)
	return nil
}

func orderLabel(s *app.Shipment) string {
	if s.OrderName != "" {
		return s.OrderName
	}
	return fmt.Sprintf("with id %d", s.OrderID)
}

// attention is a problem only the merchant can solve.
type attention struct{ reason string }

func (a attention) Error() string { return a.reason }

func needsAttention(reason string) error { return attention{reason} }

// settle records the outcome on the shipment and tells Asynq what to do.
func (d Deps) settle(ctx context.Context, t *asynq.Task, s *app.Shipment, err error) error {
	if err == nil {
		d.Log.InfoContext(ctx, "shipment pushed", "shop", payloadShop(t), "shipment_id", s.ID)
		return nil
	}
	var a attention
	if ok := asAttention(err, &a); ok {
		return d.Shipments.SetShipmentState(ctx, s.ID, app.ShipmentNeedsAttention, a.reason, app.EventNeedsAttention, a.reason)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	switch app.ErrorCodeOf(err) {
	case app.ErrRateLimited:
		d.Shipments.SetShipmentState(ctx, s.ID, app.ShipmentPending, "", "", "")
		return err // waits without using up a retry
	case app.ErrInvalid, app.ErrForbidden, app.ErrNeedsReauth:
		// Shopify's userErrors and refusals: final, with Shopify's message.
		msg := app.ErrorMessageOf(err)
		if serr := d.Shipments.SetShipmentState(ctx, s.ID, app.ShipmentFailed, msg, app.EventFailed, msg); serr != nil {
			return serr
		}
		return final(err)
	}
	if retried >= trackingSyncMaxRetry {
		msg := "Shopify could not be reached after several attempts: " + app.ErrorMessageOf(err)
		d.Shipments.SetShipmentState(ctx, s.ID, app.ShipmentFailed, msg, app.EventFailed, msg)
		return err
	}
	d.Shipments.SetShipmentState(ctx, s.ID, app.ShipmentPending, "", "", "")
	return err
}

func asAttention(err error, target *attention) bool {
	a, ok := err.(attention)
	if ok {
		*target = a
	}
	return ok
}

// TypeTrackingResync re-queues pushes of shipments left pending (a queueing
// failure at intake, a lost task, a shop back from re-authorisation).
const TypeTrackingResync = "tracking:resync"

// NewTrackingResyncTask is the scheduler's task.
func NewTrackingResyncTask() *asynq.Task {
	return asynq.NewTask(TypeTrackingResync, nil, asynq.Queue(QueueLow), asynq.MaxRetry(0),
		asynq.Unique(50*time.Second), asynq.Timeout(time.Minute))
}

func (d Deps) handleTrackingResync(ctx context.Context, _ *asynq.Task) error {
	stalled, err := d.Shipments.StalledShipments(ctx, d.Clock.Now().Add(-time.Minute), 1000)
	if err != nil {
		return err
	}
	shops := map[string]*app.Shop{}
	activeShop := func(id string) *app.Shop {
		shop, ok := shops[id]
		if !ok {
			shop, _ = d.Shops.ShopByID(ctx, id)
			shops[id] = shop
		}
		if shop == nil || !shop.Active() {
			return nil
		}
		return shop
	}
	queued := 0
	for _, s := range stalled {
		if shop := activeShop(s.ShopID); shop != nil && d.Dispatch.SyncShipment(ctx, shop.Domain, s.ID) == nil {
			queued++
		}
	}
	if d.Notifications != nil {
		emails, err := d.Notifications.StalledNotifications(ctx, d.Clock.Now().Add(-2*time.Minute), 1000)
		if err != nil {
			return err
		}
		for _, n := range emails {
			if shop := activeShop(n.ShopID); shop != nil && d.Dispatch.QueueEmail(ctx, shop.Domain, n.ID) == nil {
				queued++
			}
		}
	}
	if queued > 0 {
		d.Log.InfoContext(ctx, "stalled shipments and emails re-queued", "count", queued)
	}
	return nil
}
