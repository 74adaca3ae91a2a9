package shipping

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/waybill-app/waybill/app"
)

// pushSlotTTL is how long a push may hold one of its shop's slots: longer
// than a push can run (its task times out at 2 minutes).
const pushSlotTTL = 3 * time.Minute

// Push makes a shipment a Shopify fulfillment (or updates the one it already
// is) and settles its state. lastTry says no retry follows: a failure then is
// recorded as final on the shipment.
//
// The error's code tells the caller what to do: nil done (also when there was
// nothing to do), ErrRateLimited try again soon without counting it as a
// failure, ErrInvalid/ErrForbidden/ErrNeedsReauth/ErrNotFound final, anything
// else retry later.
func (svc *Service) Push(ctx context.Context, shipmentID string, lastTry bool) error {
	s, err := svc.Shipments.ShipmentByID(ctx, shipmentID)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return nil // deleted (shop redacted)
	}
	if err != nil {
		return err
	}
	if s.State != app.ShipmentPending && s.State != app.ShipmentSyncing {
		return nil // synced, failed or waiting for the merchant: nothing to push
	}
	shop := svc.activeShop(ctx, s.ShopID)
	if shop == nil {
		return nil // stays pending until the shop is back
	}
	limit := svc.PushesPerShop
	if limit <= 0 {
		limit = DefaultPushesPerShop
	}
	release, ok, err := svc.Limiter.Acquire(ctx, "push:"+shop.Domain, limit, pushSlotTTL)
	if err != nil {
		return err
	}
	if !ok {
		// Not a failure: the shop has its share of workers busy.
		return app.Errorf(app.ErrRateLimited, "shop %s already has %d pushes running", shop.Domain, limit)
	}
	defer release()

	if err := svc.Shipments.SetShipmentState(ctx, s.ID, app.ShipmentSyncing, "", "", ""); err != nil {
		return err
	}
	return svc.settle(ctx, shop, s, svc.push(ctx, shop, s), lastTry)
}

// push does the Shopify side. Errors carry the code that decides the
// shipment's fate (see settle).
func (svc *Service) push(ctx context.Context, shop *app.Shop, s *app.Shipment) error {
	order, err := svc.Admin.FindOrder(ctx, shop.Domain, s.OrderID, s.OrderName)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return needsAttention(fmt.Sprintf("Shopify has no order %s in this store.", orderLabel(s)))
	}
	if err != nil {
		return err
	}
	if s.OrderID != order.ID || s.OrderName != order.Name {
		if err := svc.Shipments.ResolveShipmentOrder(ctx, s.ID, order.ID, order.Name, nil); err != nil {
			return err
		}
		s.OrderID, s.OrderName = order.ID, order.Name
		// Waybill had not seen the order: keep what the customer email needs
		// (an older copy never overwrites a newer one).
		if _, err := svc.Orders.SaveOrder(ctx, app.Order{ID: order.ID, ShopID: shop.ID, Name: order.Name, Email: order.Email,
			CustomerLocale: order.CustomerLocale, CustomerFirstName: order.CustomerFirstName, ShopifyUpdatedAt: order.UpdatedAt, LineItems: order.LineItems}); err != nil {
			return err
		}
	}
	notify := s.NotifyCustomer && shop.CustomerEmails == app.CustomerEmailsShopify

	// Look before creating: a retry after a timeout finds the fulfillment the
	// first attempt made, and a number fulfilled in the admin is not repeated.
	for _, f := range order.Fulfillments {
		if slices.Contains(f.TrackingNumbers, s.TrackingNumber) {
			if synced, err := svc.Shipments.MarkShipmentSynced(ctx, s.ID, s.TrackingNumber, f.ID, "Already a fulfillment in Shopify with this tracking number."); err != nil || !synced {
				return err
			}
			svc.shipped(ctx, shop, s, app.NotifyShipped) // once: a first attempt may have stopped before telling
			return nil
		}
	}
	if s.ShopifyFulfillmentID != 0 {
		// The number changed after the fulfillment was made.
		if err := svc.Admin.UpdateFulfillmentTracking(ctx, shop.Domain, s.ShopifyFulfillmentID, s.TrackingNumber, s.Carrier, s.TrackingURL, notify); err != nil {
			return err
		}
		if synced, err := svc.Shipments.MarkShipmentSynced(ctx, s.ID, s.TrackingNumber, s.ShopifyFulfillmentID, "Tracking number updated in Shopify."); err != nil || !synced {
			return err
		}
		svc.shipped(ctx, shop, s, app.NotifyTrackingUpdated)
		return nil
	}
	plan, problem := PlanFulfillment(order, s.LineItems)
	if problem != "" {
		// Nothing (or not this) left to fulfil: a fulfillment made without
		// a number (automatic fulfilment, another app) may be this parcel.
		done, err := svc.trackUntrackedFulfillment(ctx, shop, order, s, notify)
		if err != nil || done {
			return err
		}
		return needsAttention(problem)
	}
	id, status, err := svc.Admin.CreateFulfillment(ctx, shop.Domain, app.FulfillmentRequest{
		Lines: plan.Lines, TrackingNumber: s.TrackingNumber, Company: s.Carrier, URL: s.TrackingURL, NotifyCustomer: notify,
	})
	if err != nil {
		return err
	}
	if err := svc.Shipments.ResolveShipmentOrder(ctx, s.ID, order.ID, order.Name, plan.Resolved); err != nil {
		return err
	}
	synced, err := svc.Shipments.MarkShipmentSynced(ctx, s.ID, s.TrackingNumber, id, fmt.Sprintf("Fulfillment created in Shopify from %s.", plan.Location))
	if err != nil || !synced {
		// Edited while this push ran: the fulfillment carries the old number
		// and the shipment stays pending, so the change is pushed next.
		return err
	}
	s.LineItems = plan.Resolved
	if status == "" || status == "SUCCESS" {
		svc.shipped(ctx, shop, s, app.NotifyShipped)
	}
	// Otherwise a fulfillment service has it (PENDING, OPEN): the customer
	// is told when fulfillments/update reports it successful.
	return nil
}

// trackUntrackedFulfillment gives the shipment's number to a successful
// fulfillment that has none and covers the shipment's items — or, when the
// shipment names no items, to the order's only such fulfillment. It reports
// whether it did.
func (svc *Service) trackUntrackedFulfillment(ctx context.Context, shop *app.Shop, order *app.ShopifyOrder, s *app.Shipment, notify bool) (bool, error) {
	untracked := false
	for _, f := range order.Fulfillments {
		untracked = untracked || (f.Status == "SUCCESS" && len(f.TrackingNumbers) == 0)
	}
	if !untracked {
		return false, nil // the order read already says there is none: no second read
	}
	fulfillments, err := svc.Admin.OrderFulfillments(ctx, shop.Domain, order.ID)
	if err != nil {
		return false, err
	}
	var candidates []app.ExistingFulfillment
	for _, f := range fulfillments {
		if f.Status == "SUCCESS" && len(f.TrackingNumbers) == 0 && covers(f, order, s.LineItems) {
			candidates = append(candidates, f)
		}
	}
	if len(candidates) == 0 || (len(s.LineItems) == 0 && len(candidates) > 1) {
		return false, nil // none, or several and nothing says which: the merchant chooses
	}
	f := candidates[0]
	if err := svc.Admin.UpdateFulfillmentTracking(ctx, shop.Domain, f.ID, s.TrackingNumber, s.Carrier, s.TrackingURL, notify); err != nil {
		return false, err
	}
	// A shipment that named no items takes the fulfillment's; one that did
	// keeps its own (nil leaves them).
	var lines []app.ShipmentLineItem
	if len(s.LineItems) == 0 {
		for _, l := range f.Lines {
			line := app.ShipmentLineItem{LineItemID: l.LineItemID, Quantity: l.Quantity}
			for _, li := range order.LineItems {
				if li.ID == l.LineItemID {
					line.SKU, line.Title = li.SKU, li.Title
				}
			}
			lines = append(lines, line)
		}
	}
	if err := svc.Shipments.ResolveShipmentOrder(ctx, s.ID, order.ID, order.Name, lines); err != nil {
		return false, err
	}
	synced, err := svc.Shipments.MarkShipmentSynced(ctx, s.ID, s.TrackingNumber, f.ID, "Tracking number added to a fulfillment made in Shopify without one.")
	if err != nil || !synced {
		return false, err
	}
	if lines != nil {
		s.LineItems = lines
	}
	svc.shipped(ctx, shop, s, app.NotifyShipped)
	return true, nil
}

// covers reports whether fulfillment f took at least the shipment's lines
// (by line item id, or by SKU through the order's lines); no lines: anything.
func covers(f app.ExistingFulfillment, order *app.ShopifyOrder, lines []app.ShipmentLineItem) bool {
	taken := map[int64]int{}
	for _, l := range f.Lines {
		taken[l.LineItemID] += l.Quantity
	}
	for _, l := range lines {
		id := l.LineItemID
		for _, li := range order.LineItems {
			if id == 0 && l.SKU != "" && strings.EqualFold(li.SKU, l.SKU) {
				id = li.ID
			}
		}
		if taken[id] < l.Quantity {
			return false
		}
	}
	return true
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

// settle records a push's outcome on the shipment and returns the error
// whose code tells the caller whether to retry.
func (svc *Service) settle(ctx context.Context, shop *app.Shop, s *app.Shipment, err error, lastTry bool) error {
	if err == nil {
		svc.Log.InfoContext(ctx, "shipment pushed", "shop", shop.Domain, "shipment_id", s.ID)
		return nil
	}
	var a attention
	if errors.As(err, &a) {
		return svc.Shipments.SetShipmentState(ctx, s.ID, app.ShipmentNeedsAttention, a.reason, app.EventNeedsAttention, a.reason)
	}
	state, reason := app.ShipmentPending, ""
	switch app.ErrorCodeOf(err) {
	case app.ErrRateLimited:
		// Waits without using up a retry: back to pending.
	case app.ErrInvalid, app.ErrForbidden, app.ErrNeedsReauth, app.ErrNotFound:
		// Shopify's userErrors and refusals: final, with Shopify's message.
		state, reason = app.ShipmentFailed, app.ErrorMessageOf(err)
	default:
		if lastTry {
			state, reason = app.ShipmentFailed, "Shopify could not be reached after several attempts: "+app.ErrorMessageOf(err)
		}
	}
	event := ""
	if state == app.ShipmentFailed {
		event = app.EventFailed
	}
	if serr := svc.Shipments.SetShipmentState(ctx, s.ID, state, reason, event, reason); serr != nil {
		return errors.Join(err, serr)
	}
	return err
}

// stalledAfter is how long a shipment may sit pending, or an email queued,
// before the sweep queues it again (a queueing failure at intake, a lost
// task, a shop back from re-authorisation).
const (
	stalledShipmentAfter = time.Minute
	stalledEmailAfter    = 2 * time.Minute
	stalledBatch         = 1000
)

// RequeueStalled queues again the pushes and emails that should be moving
// but are not, and returns how many it queued.
func (svc *Service) RequeueStalled(ctx context.Context) (int, error) {
	now := svc.Clock.Now()
	stalled, err := svc.Shipments.StalledShipments(ctx, now.Add(-stalledShipmentAfter), stalledBatch)
	if err != nil {
		return 0, err
	}
	shops := map[string]*app.Shop{}
	active := func(id string) *app.Shop {
		shop, seen := shops[id]
		if !seen {
			shop = svc.activeShop(ctx, id)
			shops[id] = shop
		}
		return shop
	}
	queued, failed := 0, 0
	count := func(err error) {
		if err != nil {
			failed++
			return
		}
		queued++
	}
	for _, s := range stalled {
		if shop := active(s.ShopID); shop != nil {
			count(svc.Dispatch.QueueTrackingSync(ctx, shop.Domain, s.ID))
		}
	}
	emails, err := svc.Notifications.StalledNotifications(ctx, now.Add(-stalledEmailAfter), stalledBatch)
	if err != nil {
		return queued, err
	}
	for _, n := range emails {
		if shop := active(n.ShopID); shop != nil {
			count(svc.Dispatch.QueueNotificationEmail(ctx, shop.Domain, n.ID))
		}
	}
	if failed > 0 {
		// The next sweep tries again; the queue being down is the likely cause.
		return queued, app.Errorf(app.ErrUnavailable, "%d stalled pushes or emails could not be queued", failed)
	}
	return queued, nil
}
