package shipping

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
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
	// One push of a shipment at a time, whoever runs it (its task, a
	// recovered copy of it, the merchant's retry): a lease, renewed while
	// the push runs and freed within seconds if its process dies. The
	// shipment is read under it, so a second push sees what the first did.
	releaseShipment, ok, err := svc.Limiter.Acquire(ctx, "push-shipment:"+shipmentID, 1, pushSlotTTL)
	if err != nil {
		return err
	}
	if !ok {
		return app.Errorf(app.ErrRateLimited, "shipment %s is being pushed by another worker", shipmentID)
	}
	defer releaseShipment()
	s, err := svc.Shipments.ShipmentByID(ctx, shipmentID)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return nil // deleted (shop redacted)
	}
	if err != nil {
		return err
	}
	if s.State == app.ShipmentSynced && s.ShopifyFulfillmentID != 0 {
		return svc.finishInterruptedPush(ctx, s)
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

	if err := svc.Shipments.MoveShipment(ctx, s.ID, app.ShipmentSyncing, app.Message{}, "", app.Message{}); err != nil {
		return err
	}
	start := time.Now() // a measurement, not a decision: the real clock
	err = svc.push(ctx, shop, s)
	svc.Metrics.PushDone(pushOutcome(err, lastTry), time.Since(start), svc.Clock.Now().Sub(received(s)))
	return svc.settle(ctx, shop, s, err, lastTry)
}

// finishInterruptedPush finishes a push that recorded its fulfillment and
// then died (kill -9, a lost host) before the shipment was shipped or the
// customer told: the task Asynq or the orphan recovery runs again finds it
// synced, and without this the email would never go. Shipped a moment ago:
// the customer is told (the notification row makes a second telling a
// no-op). Not shipped: the fulfillment is read, and a SUCCESS one ships it;
// one a fulfillment service still holds is left to fulfillments/update, as
// when the push first made it. A synced shipment's task runs again only
// after such a crash or a duplicate, and an old one is left alone: a rerun
// never sends an email about a parcel shipped long ago.
func (svc *Service) finishInterruptedPush(ctx context.Context, s *app.Shipment) error {
	shop := svc.activeShop(ctx, s.ShopID)
	if shop == nil {
		return nil
	}
	if s.ShippedAt != nil {
		if svc.Clock.Now().Sub(*s.ShippedAt) < interruptedPushWindow {
			svc.notify(ctx, shop, s, app.NotifyShipped)
		}
		return nil
	}
	order, err := svc.findOrder(ctx, shop, s)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	for _, f := range order.Fulfillments {
		if f.ID == s.ShopifyFulfillmentID && (f.Status == "" || f.Status == "SUCCESS") {
			svc.Log.InfoContext(ctx, "interrupted push finished", "shop", shop.Domain, "shipment_id", s.ID)
			svc.shipped(ctx, shop, s, app.NotifyShipped)
		}
	}
	return nil
}

// interruptedPushWindow: how long after a shipment shipped a rerun of its
// push may still tell the customer (crash recoveries take seconds to two
// minutes).
const interruptedPushWindow = time.Hour

// pushAgainIfEdited is what a push whose shipment was edited while it ran
// (synced false) returns: a throttle, so this same task runs again in a second
// or two and pushes the change. The edit's own queueing was a no-op — this
// task held the shipment's task id — and without this the change would wait
// for the resync sweep.
func pushAgainIfEdited(synced bool, err error) error {
	if err != nil || synced {
		return err
	}
	return app.Errorf(app.ErrRateLimited, "edited while it was pushed: pushing the change")
}

// received is when Waybill got the shipment's current number: created, or
// its number changed since.
func received(s *app.Shipment) time.Time {
	if s.TrackingSince != nil && s.TrackingSince.After(s.CreatedAt) {
		return *s.TrackingSince
	}
	return s.CreatedAt
}

// pushOutcome names how a push ended, for the metrics; the cases are
// settle's.
func pushOutcome(err error, lastTry bool) string {
	var a attention
	switch code := app.ErrorCodeOf(err); {
	case err == nil:
		return app.PushOK
	case errors.As(err, &a):
		return app.PushNeedsAttention
	case code == app.ErrRateLimited:
		return app.PushThrottled
	case code == app.ErrInvalid, code == app.ErrForbidden, code == app.ErrNeedsReauth, code == app.ErrNotFound, lastTry:
		return app.PushFailed
	}
	return app.PushRetry
}

// push does the Shopify side. Errors carry the code that decides the
// shipment's fate (see settle).
func (svc *Service) push(ctx context.Context, shop *app.Shop, s *app.Shipment) error {
	order, err := svc.findOrder(ctx, shop, s)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return needsAttention(app.NewMessage(app.MsgNoOrder, fmt.Sprintf("Shopify has no order %s in this store.", orderLabel(s)), "order", orderParam(s)))
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
			CustomerLocale: order.CustomerLocale, CustomerFirstName: order.CustomerFirstName, ShippingCountry: order.ShippingCountry,
			Phone: order.Phone, SMSConsent: order.SMSConsent, ShopifyUpdatedAt: order.UpdatedAt, LineItems: order.LineItems}); err != nil {
			return err
		}
	}
	notify := s.NotifyCustomer && shop.CustomerEmails == app.CustomerEmailsShopify

	// Look before creating: a retry after a timeout finds the fulfillment the
	// first attempt made, and a number fulfilled in the admin is not repeated.
	for _, f := range order.Fulfillments {
		if slices.Contains(f.TrackingNumbers, s.TrackingNumber) {
			if synced, err := svc.Shipments.MarkShipmentPushed(ctx, s.ID, s.TrackingNumber, f.ID,
				app.NewMessage(app.MsgPushedExisting, "Already a fulfillment in Shopify with this tracking number.")); err != nil || !synced {
				return pushAgainIfEdited(synced, err)
			}
			if len(s.LineItems) == 0 {
				svc.recordFulfilledLines(ctx, shop, order, s, f.ID)
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
		if synced, err := svc.Shipments.MarkShipmentPushed(ctx, s.ID, s.TrackingNumber, s.ShopifyFulfillmentID,
			app.NewMessage(app.MsgPushedUpdated, "Tracking number updated in Shopify.")); err != nil || !synced {
			return pushAgainIfEdited(synced, err)
		}
		svc.shipped(ctx, shop, s, app.NotifyTrackingUpdated)
		return nil
	}
	plan, problem := PlanFulfillment(order, s.LineItems)
	if problem.Code != "" {
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
	synced, err := svc.Shipments.MarkShipmentPushed(ctx, s.ID, s.TrackingNumber, id,
		app.NewMessage(app.MsgPushedCreated, fmt.Sprintf("Fulfillment created in Shopify from %s.", plan.Location), "location", plan.Location))
	if err != nil || !synced {
		// Edited while this push ran: the fulfillment carries the old number
		// and the shipment stays pending, so the change is pushed next.
		return pushAgainIfEdited(synced, err)
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
		lines = fulfilledLines(order, f)
	}
	if err := svc.Shipments.ResolveShipmentOrder(ctx, s.ID, order.ID, order.Name, lines); err != nil {
		return false, err
	}
	synced, err := svc.Shipments.MarkShipmentPushed(ctx, s.ID, s.TrackingNumber, f.ID,
		app.NewMessage(app.MsgPushedUntracked, "Tracking number added to a fulfillment made in Shopify without one."))
	if err != nil || !synced {
		return false, pushAgainIfEdited(synced, err)
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

// fulfilledLines are a fulfillment's lines as a shipment's (SKU and title
// from the order).
func fulfilledLines(order *app.ShopifyOrder, f app.ExistingFulfillment) []app.ShipmentLineItem {
	var lines []app.ShipmentLineItem
	for _, l := range f.Lines {
		line := app.ShipmentLineItem{LineItemID: l.LineItemID, Quantity: l.Quantity}
		for _, li := range order.LineItems {
			if li.ID == l.LineItemID {
				line.SKU, line.Title = li.SKU, li.Title
			}
		}
		lines = append(lines, line)
	}
	return lines
}

// recordFulfilledLines records, on a shipment that named no items (the
// whole order), the lines of the fulfillment it turned out to be already,
// so its detail shows what it holds. The order read does not carry a
// fulfillment's lines, so they are read; the shipment is in Shopify
// whatever happens here, so a failure is logged, not retried.
func (svc *Service) recordFulfilledLines(ctx context.Context, shop *app.Shop, order *app.ShopifyOrder, s *app.Shipment, fulfillmentID int64) {
	fulfillments, err := svc.Admin.OrderFulfillments(ctx, shop.Domain, order.ID)
	if err != nil {
		svc.Log.WarnContext(ctx, "lines of the existing fulfillment not recorded", "shop", shop.Domain, "shipment_id", s.ID, "err", err)
		return
	}
	for _, f := range fulfillments {
		if f.ID != fulfillmentID {
			continue
		}
		lines := fulfilledLines(order, f)
		if len(lines) == 0 {
			return
		}
		if err := svc.Shipments.ResolveShipmentOrder(ctx, s.ID, order.ID, order.Name, lines); err != nil {
			svc.Log.WarnContext(ctx, "lines of the existing fulfillment not recorded", "shop", shop.Domain, "shipment_id", s.ID, "err", err)
			return
		}
		s.LineItems = lines
		return
	}
}

// knownOrder is Waybill's copy of the shipment's order (from its webhooks),
// nil when it has none: the order read is sized to it.
func (svc *Service) knownOrder(ctx context.Context, shop *app.Shop, s *app.Shipment) (*app.Order, error) {
	if s.OrderID == 0 {
		return nil, nil
	}
	o, err := svc.Orders.OrderByID(ctx, shop.ID, s.OrderID)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return nil, nil
	}
	return o, err
}

// findOrder reads the shipment's order from Shopify, the read sized by
// Waybill's copy of it (ErrNotFound when Shopify has no such order).
func (svc *Service) findOrder(ctx context.Context, shop *app.Shop, s *app.Shipment) (*app.ShopifyOrder, error) {
	known, err := svc.knownOrder(ctx, shop, s)
	if err != nil {
		return nil, err
	}
	return svc.Admin.FindOrder(ctx, shop.Domain, s.OrderID, s.OrderName, known)
}

// orderParam names the order in a message: its name, or its Shopify id.
func orderParam(s *app.Shipment) string {
	if s.OrderName != "" {
		return s.OrderName
	}
	return strconv.FormatInt(s.OrderID, 10)
}

func orderLabel(s *app.Shipment) string {
	if s.OrderName != "" {
		return s.OrderName
	}
	return fmt.Sprintf("with id %d", s.OrderID)
}

// attention is a problem only the merchant can solve.
type attention struct{ reason app.Message }

func (a attention) Error() string { return a.reason.Text }

func needsAttention(reason app.Message) error { return attention{reason} }

// settle records a push's outcome on the shipment and returns the error
// whose code tells the caller whether to retry.
func (svc *Service) settle(ctx context.Context, shop *app.Shop, s *app.Shipment, err error, lastTry bool) error {
	if err == nil {
		svc.Log.InfoContext(ctx, "shipment pushed", "shop", shop.Domain, "shipment_id", s.ID)
		return nil
	}
	var a attention
	if errors.As(err, &a) {
		return svc.Shipments.MoveShipment(ctx, s.ID, app.ShipmentNeedsAttention, a.reason, app.EventNeedsAttention, a.reason)
	}
	state, reason := app.ShipmentPending, app.Message{}
	switch app.ErrorCodeOf(err) {
	case app.ErrRateLimited:
		// Waits without using up a retry: back to pending.
	case app.ErrInvalid, app.ErrForbidden, app.ErrNeedsReauth, app.ErrNotFound:
		// Shopify's userErrors and refusals: final, with Shopify's message
		// (its own words stay a parameter).
		msg, words := app.ErrorMessageOf(err), app.ErrorMessageOf(err)
		var refusal *app.ShopifyRefusal
		if errors.As(err, &refusal) {
			words = refusal.Words
		}
		state, reason = app.ShipmentFailed, app.NewMessage(app.MsgFailedShopify, msg, "message", words)
	default:
		if lastTry {
			msg := app.ErrorMessageOf(err)
			state, reason = app.ShipmentFailed, app.NewMessage(app.MsgFailedUnreachable, "Shopify could not be reached after several attempts: "+msg, "message", msg)
		}
	}
	event := ""
	if state == app.ShipmentFailed {
		event = app.EventFailed
	}
	if serr := svc.Shipments.MoveShipment(ctx, s.ID, state, reason, event, reason); serr != nil {
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
	texts, err := svc.Texts.StalledTexts(ctx, now.Add(-stalledEmailAfter), stalledBatch)
	if err != nil {
		return queued, err
	}
	for _, m := range texts {
		if shop := active(m.ShopID); shop != nil {
			count(svc.Dispatch.QueueCustomerText(ctx, shop.Domain, m.ID))
		}
	}
	if failed > 0 {
		// The next sweep tries again; the queue being down is the likely cause.
		return queued, app.Errorf(app.ErrUnavailable, "%d stalled pushes, emails or texts could not be queued", failed)
	}
	return queued, nil
}
