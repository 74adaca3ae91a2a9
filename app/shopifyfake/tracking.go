package shopifyfake

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/waybill-app/waybill/app"
)

// Shopify's own carrier tracking: a fulfillment's events (added by apps
// with fulfillmentEventCreate, or by Shopify for the carriers it tracks)
// make its shipment status, display status and delivery times.
//
// What Shopify sends when an event is added, as the fake does: the
// fulfillment_events/create webhook (the event, shaped like the sample of
// Shopify's webhook reference, 2026-07: webhooks/testdata/shopify/
// fulfillment_events_create.json) and fulfillments/update (the fulfillment
// with its new shipment_status), one event id for both. Not confirmed from
// Shopify's documentation: that fulfillments/update accompanies every
// event (the fake sends it; apps report it arriving as parcels travel), that
// no orders/updated does, and how Shopify derives displayStatus,
// estimatedDeliveryAt, inTransitAt and deliveredAt from the events (the
// fake: the newest event's status, the newest estimate given, the first
// IN_TRANSIT event, the last DELIVERED one).

// countryNames are the names Shopify gives the fake's usual countries.
var countryNames = map[string]string{
	"ES": "Spain", "MX": "Mexico", "AR": "Argentina", "CO": "Colombia", "CL": "Chile", "PE": "Peru", "PT": "Portugal",
	"FR": "France", "DE": "Germany", "IT": "Italy", "GB": "United Kingdom", "US": "United States", "CA": "Canada",
}

// latestEvent is the event recorded last (nil when none).
func (f *Fulfillment) latestEvent() *FulfillmentEvent {
	if len(f.Events) == 0 {
		return nil
	}
	return &f.Events[len(f.Events)-1]
}

// DisplayStatus is the fulfillment's displayStatus in the Admin API
// (FULFILLED, IN_TRANSIT, DELIVERED…).
func (f *Fulfillment) DisplayStatus() string { return f.displayStatus() }

// displayStatus is the Fulfillment.displayStatus the fake shows.
func (f *Fulfillment) displayStatus() string {
	switch {
	case f.Status == "CANCELLED":
		return "CANCELED"
	case f.Status == "FAILURE" || f.Status == "ERROR":
		return "FAILURE"
	case f.Status == "PENDING" || f.Status == "OPEN":
		return "SUBMITTED"
	case len(f.Events) > 0:
		return f.latestEvent().Status // every FulfillmentEventStatus is a FulfillmentDisplayStatus
	}
	return "FULFILLED"
}

// shipmentStatus is the REST shipment_status: the latest event's, or nil.
func (f *Fulfillment) shipmentStatus() any {
	if ev := f.latestEvent(); ev != nil {
		return nullIfEmpty(shipmentStatuses[ev.Status])
	}
	return nil
}

// estimatedDeliveryAt is the newest estimate an event gave.
func (f *Fulfillment) estimatedDeliveryAt() *time.Time {
	for i := len(f.Events) - 1; i >= 0; i-- {
		if f.Events[i].EstimatedDeliveryAt != nil {
			return f.Events[i].EstimatedDeliveryAt
		}
	}
	return nil
}

// firstHappened and lastHappened are the earliest and latest times an
// event of that status happened.
func (f *Fulfillment) firstHappened(status string) *time.Time {
	var at *time.Time
	for i := range f.Events {
		if ev := &f.Events[i]; ev.Status == status && (at == nil || ev.HappenedAt.Before(*at)) {
			at = &ev.HappenedAt
		}
	}
	return at
}

func (f *Fulfillment) lastHappened(status string) *time.Time {
	var at *time.Time
	for i := range f.Events {
		if ev := &f.Events[i]; ev.Status == status && (at == nil || ev.HappenedAt.After(*at)) {
			at = &ev.HappenedAt
		}
	}
	return at
}

// eventsConnection is Fulfillment.events(first, after, sortKey, reverse):
// sorted by ID (the default) or HAPPENED_AT.
func (f *Fulfillment) eventsConnection(args map[string]any) any {
	events := append([]FulfillmentEvent(nil), f.Events...)
	if key, _ := args["sortKey"].(string); key == "HAPPENED_AT" {
		sort.SliceStable(events, func(i, j int) bool { return events[i].HappenedAt.Before(events[j].HappenedAt) })
	} else {
		sort.SliceStable(events, func(i, j int) bool { return events[i].ID < events[j].ID })
	}
	if rev, _ := args["reverse"].(bool); rev {
		for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
			events[i], events[j] = events[j], events[i]
		}
	}
	nodes := make([]obj, len(events))
	for i, ev := range events {
		nodes[i] = fulfillmentEventObj(ev)
	}
	return connection(nodes)(args)
}

// addFulfillmentEvent records ev on f now (an id, the time it was
// recorded, happenedAt defaulting to now) and returns it.
func (s *Store) addFulfillmentEvent(o *Order, f *Fulfillment, ev FulfillmentEvent) FulfillmentEvent {
	now := s.clock.Now()
	ev.ID, ev.CreatedAt = s.id(), now
	if ev.HappenedAt.IsZero() {
		ev.HappenedAt = now
	}
	f.Events = append(f.Events, ev)
	f.UpdatedAt = now
	return ev
}

// fulfillmentEventWebhooks sends what Shopify sends when an event is added
// to a fulfillment: fulfillment_events/create and fulfillments/update, with
// one event id.
func (s *Store) fulfillmentEventWebhooks(sh *Shop, o *Order, f *Fulfillment, ev FulfillmentEvent) {
	c := copyOrder(o)
	for _, x := range c.Fulfillments {
		if x.ID == f.ID {
			event := app.NewID()
			s.sendToSubscriptions(sh.Domain, "fulfillment_events/create", restFulfillmentEvent(sh, o, ev, f.ID), event)
			s.sendToSubscriptions(sh.Domain, "fulfillments/update", restFulfillment(&c, x), event)
		}
	}
}

// restFulfillmentEvent is the fulfillment_events/create body (Shopify's
// REST FulfillmentEvent): status in lower case, the place as given (null
// where none), shop_id and order_id as numbers.
func restFulfillmentEvent(sh *Shop, o *Order, ev FulfillmentEvent, fulfillmentID int64) map[string]any {
	var eta, lat, long any
	if ev.EstimatedDeliveryAt != nil {
		eta = ts(*ev.EstimatedDeliveryAt)
	}
	if ev.Latitude != nil {
		lat = *ev.Latitude
	}
	if ev.Longitude != nil {
		long = *ev.Longitude
	}
	return map[string]any{
		"id": ev.ID, "fulfillment_id": fulfillmentID, "status": strings.ToLower(ev.Status), "message": nullIfEmpty(ev.Message),
		"happened_at": ts(ev.HappenedAt), "city": nullIfEmpty(ev.City), "province": nullIfEmpty(ev.Province),
		"country": nullIfEmpty(ev.Country), "zip": nullIfEmpty(ev.Zip), "address1": nullIfEmpty(ev.Address1),
		"latitude": lat, "longitude": long, "shop_id": sh.id, "created_at": ts(ev.CreatedAt), "updated_at": ts(ev.CreatedAt),
		"estimated_delivery_at": eta, "order_id": o.ID, "admin_graphql_api_id": gid("FulfillmentEvent", ev.ID),
	}
}

// TrackFulfillment simulates Shopify's own carrier tracking adding an
// event to a fulfillment: status is a FulfillmentEventStatus
// ("IN_TRANSIT", "OUT_FOR_DELIVERY", "DELIVERED"…), happenedAt the scan's
// time (zero: now), eta the carrier's estimate (nil: none). The
// fulfillment's shipment status, display status and times follow, and
// fulfillment_events/create and fulfillments/update go to the shop's
// subscriptions, as Shopify sends them — whatever Options.DeliverWebhooks
// says (Wait waits for the deliveries).
func (s *Store) TrackFulfillment(shop string, fulfillmentID int64, status string, happenedAt time.Time, message string, eta *time.Time) error {
	_, err := s.TrackFulfillmentEvent(shop, fulfillmentID, FulfillmentEvent{Status: status, HappenedAt: happenedAt, Message: message, EstimatedDeliveryAt: eta})
	return err
}

// TrackFulfillmentEvent is TrackFulfillment with the whole event (its
// place too); ID and CreatedAt are the fake's. It returns the event recorded.
func (s *Store) TrackFulfillmentEvent(shop string, fulfillmentID int64, ev FulfillmentEvent) (FulfillmentEvent, error) {
	ev.Status = strings.ToUpper(ev.Status)
	if !FulfillmentEventStatuses[ev.Status] {
		return FulfillmentEvent{}, fmt.Errorf("shopifyfake: %q is not a FulfillmentEventStatus", ev.Status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shops[shop]
	o, f := s.findFulfillment(shop, fulfillmentID)
	if f == nil {
		return FulfillmentEvent{}, fmt.Errorf("shopifyfake: %s has no fulfillment %d", shop, fulfillmentID)
	}
	ev = s.addFulfillmentEvent(o, f, ev)
	s.fulfillmentEventWebhooks(sh, o, f, ev)
	return ev, nil
}
