package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// TrackerState is where a shipment's registration with an aggregator is.
type TrackerState string

const (
	TrackerNone       TrackerState = ""           // no aggregator: Shopify's own tracking only
	TrackerQueued     TrackerState = "queued"     // to be registered
	TrackerRegistered TrackerState = "registered" // the provider tracks it and pushes
	TrackerRejected   TrackerState = "rejected"   // the provider refused the number (TrackerDetail says why)
	TrackerStopped    TrackerState = "stopped"    // delivered, or past the provider's window
)

// Why a provider refused a shipment's number (Shipment.TrackerDetail): a code
// the admin puts into the merchant's language, never the provider's English.
const (
	TrackerKeyRefused     = "key_refused"     // the key is wrong or revoked
	TrackerNoQuota        = "no_quota"        // the account's quota is used up or the plan lacks the feature
	TrackerRequestRefused = "request_refused" // the provider refused the request as invalid
	TrackerNumberRefused  = "number_refused"  // the provider refused this number
	TrackerGaveUp         = "gave_up"         // still failing after every retry
)

// Why a shipment stalled.
const (
	StallNoEvents     = "no_events"     // no carrier news for the shop's number of days
	StallPastEstimate = "past_estimate" // past the carrier's ETA or the merchant's window
)

// TransitWindow is how long parcels to a country take, in business days,
// as the merchant knows it ("España 3–5, México 10–20"); Carrier narrows
// it to one carrier (empty: any).
type TransitWindow struct {
	Country string `json:"country"` // ISO 3166-1 alpha-2
	Carrier string `json:"carrier"`
	MinDays int    `json:"min_days"`
	MaxDays int    `json:"max_days"`
}

// TrackingSettings are a shop's status choices.
type TrackingSettings struct {
	ShopID string `json:"-"`
	// ShopifyTracking feeds Shopify's own carrier tracking into statuses
	// (on by default).
	ShopifyTracking bool `json:"shopify_tracking"`
	// Days without carrier news after which a parcel is stalled.
	StallDaysDomestic    int             `json:"stall_days_domestic"`
	StallDaysCrossBorder int             `json:"stall_days_cross_border"`
	TransitWindows       []TransitWindow `json:"transit_windows"`
}

// Default stall thresholds: a domestic parcel is usually scanned daily; a
// cross-border one (a UPU post, a consolidator) may go a week between
// scans while it crosses and clears customs.
const (
	DefaultStallDaysDomestic    = 4
	DefaultStallDaysCrossBorder = 10
	MaxTransitWindows           = 200
	MaxTransitDays              = 120
)

// DefaultTrackingSettings are a shop's settings until it saves its own.
func DefaultTrackingSettings(shopID string) TrackingSettings {
	return TrackingSettings{ShopID: shopID, ShopifyTracking: true, StallDaysDomestic: DefaultStallDaysDomestic,
		StallDaysCrossBorder: DefaultStallDaysCrossBorder, TransitWindows: []TransitWindow{}}
}

// Validate names what is wrong, field by field, and normalises countries.
func (s *TrackingSettings) Validate() error {
	var problems []string
	for _, d := range []struct {
		name string
		v    int
	}{{"stall_days_domestic", s.StallDaysDomestic}, {"stall_days_cross_border", s.StallDaysCrossBorder}} {
		if d.v < 1 || d.v > MaxTransitDays {
			problems = append(problems, fmt.Sprintf("%s must be between 1 and %d days", d.name, MaxTransitDays))
		}
	}
	if len(s.TransitWindows) > MaxTransitWindows {
		problems = append(problems, fmt.Sprintf("at most %d transit windows", MaxTransitWindows))
	}
	seen := map[string]bool{}
	for i := range s.TransitWindows {
		w := &s.TransitWindows[i]
		w.Country, w.Carrier = strings.ToUpper(strings.TrimSpace(w.Country)), strings.TrimSpace(w.Carrier)
		if len(w.Country) != 2 || strings.Trim(w.Country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			problems = append(problems, fmt.Sprintf("transit_windows[%d].country must be a two-letter country code (ES, MX…)", i))
		}
		if msg := TextProblem(fmt.Sprintf("transit_windows[%d].carrier", i), w.Carrier, MaxNameLength); msg != "" {
			problems = append(problems, msg)
		}
		if w.MinDays < 0 || w.MaxDays < w.MinDays || w.MaxDays > MaxTransitDays || w.MaxDays == 0 {
			problems = append(problems, fmt.Sprintf("transit_windows[%d] needs 0 ≤ min_days ≤ max_days ≤ %d and max_days ≥ 1", i, MaxTransitDays))
		}
		key := w.Country + "\x00" + strings.ToLower(w.Carrier)
		if seen[key] {
			problems = append(problems, fmt.Sprintf("transit_windows[%d] repeats %s %s", i, w.Country, w.Carrier))
		}
		seen[key] = true
	}
	if len(problems) > 0 {
		return Errorf(ErrInvalid, "%s", strings.Join(problems, "; "))
	}
	return nil
}

// Window is the transit window for a parcel to country with carrier: the
// carrier's own for that country first, then the country's.
func (s TrackingSettings) Window(country, carrier string) (TransitWindow, bool) {
	country = strings.ToUpper(country)
	if country == "" {
		return TransitWindow{}, false
	}
	if i := slices.IndexFunc(s.TransitWindows, func(w TransitWindow) bool {
		return w.Country == country && w.Carrier != "" && strings.EqualFold(w.Carrier, carrier)
	}); i >= 0 {
		return s.TransitWindows[i], true
	}
	if i := slices.IndexFunc(s.TransitWindows, func(w TransitWindow) bool { return w.Country == country && w.Carrier == "" }); i >= 0 {
		return s.TransitWindows[i], true
	}
	return TransitWindow{}, false
}

// StallAfter is how long a parcel may go without carrier news.
func (s TrackingSettings) StallAfter(crossBorder bool) time.Duration {
	days := s.StallDaysDomestic
	if crossBorder {
		days = s.StallDaysCrossBorder
	}
	return time.Duration(days) * 24 * time.Hour
}

// AddBusinessDays moves n working days (Monday to Friday) from t's day in
// loc and returns the end of that day there. Public holidays differ by
// region and are not counted: the window is the merchant's promise, and
// they set its width.
func AddBusinessDays(t time.Time, loc *time.Location, n int) time.Time {
	d := t.In(loc)
	day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return day.AddDate(0, 0, 1).Add(-time.Second)
}

// DeliveryWindow is the days a parcel shipped at shippedAt should arrive
// within, by the window: from the end of the MinDays-th business day's
// start to the end of the MaxDays-th, in the shop's time zone.
func DeliveryWindow(shippedAt time.Time, loc *time.Location, w TransitWindow) (from, to time.Time) {
	to = AddBusinessDays(shippedAt, loc, w.MaxDays)
	end := AddBusinessDays(shippedAt, loc, w.MinDays)
	from = time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, loc)
	return from, to
}

// ShopifyShipmentStatus maps a fulfillment's shipment_status (webhooks,
// snake case) or displayStatus / event status (GraphQL, upper case) to a
// parcel status; ok false for values that say nothing of the parcel
// (fulfilled, marked as fulfilled, submitted, cancelled, label voided).
func ShopifyShipmentStatus(v string) (ParcelStatus, bool) {
	s, ok := map[string]ParcelStatus{
		"label_printed": StatusInfoReceived, "label_purchased": StatusInfoReceived, "confirmed": StatusInfoReceived,
		"carrier_picked_up": StatusInTransit, "in_transit": StatusInTransit, "delayed": StatusInTransit,
		"out_for_delivery": StatusOutForDelivery, "attempted_delivery": StatusAttemptedDelivery,
		"ready_for_pickup": StatusAvailableForPickup, "picked_up": StatusDelivered, "delivered": StatusDelivered,
		"failure": StatusException, "not_delivered": StatusException,
	}[strings.ToLower(strings.TrimSpace(v))]
	return s, ok
}

// FulfillmentTracking is what Shopify's own carrier tracking knows of a
// fulfillment (GraphQL Fulfillment).
type FulfillmentTracking struct {
	DisplayStatus       string // FulfillmentDisplayStatus, "IN_TRANSIT"
	EstimatedDeliveryAt *time.Time
	InTransitAt         *time.Time
	DeliveredAt         *time.Time
	Events              []FulfillmentTrackingEvent
}

// FulfillmentTrackingEvent is one of a fulfillment's events.
type FulfillmentTrackingEvent struct {
	Status     string // FulfillmentEventStatus, "OUT_FOR_DELIVERY"
	HappenedAt time.Time
	Message    string
	Province   string
	Country    string
}

// Update turns Shopify's view of a fulfillment into a status update for
// one of its numbers; ok false when Shopify knows nothing of the parcel yet.
func (t FulfillmentTracking) Update(trackingNumber string) (StatusUpdate, bool) {
	u := StatusUpdate{Source: ProviderShopify, TrackingNumber: trackingNumber, EstimatedDelivery: t.EstimatedDeliveryAt}
	for _, e := range t.Events {
		st, ok := ShopifyShipmentStatus(e.Status)
		if !ok {
			continue
		}
		loc := strings.Trim(strings.Join([]string{strings.TrimSpace(e.Province), strings.TrimSpace(e.Country)}, ", "), ", ")
		u.Checkpoints = append(u.Checkpoints, Checkpoint{HappenedAt: e.HappenedAt.UTC(), Status: st, Location: loc, Message: e.Message})
	}
	if st, ok := ShopifyShipmentStatus(t.DisplayStatus); ok {
		u.Status = st
		switch {
		case st == StatusDelivered && t.DeliveredAt != nil:
			u.StatusAt = t.DeliveredAt.UTC()
		case st == StatusInTransit && t.InTransitAt != nil:
			u.StatusAt = t.InTransitAt.UTC()
		}
		for _, c := range u.Checkpoints {
			if c.Status == st && c.HappenedAt.After(u.StatusAt) {
				u.StatusAt = c.HappenedAt
			}
		}
	} else if n := len(u.Checkpoints); n > 0 {
		latest := u.Checkpoints[0]
		for _, c := range u.Checkpoints {
			if c.HappenedAt.After(latest.HappenedAt) {
				latest = c
			}
		}
		u.Status, u.StatusAt = latest.Status, latest.HappenedAt
	}
	return u, u.Status != "" || u.EstimatedDelivery != nil
}

// TrackingStart is what becoming a fulfillment starts for a shipment.
type TrackingStart struct {
	ShippedAt                            time.Time
	DeliveryWindowFrom, DeliveryWindowTo *time.Time
	// TrackerSourceID: the aggregator to register with ("" for none).
	TrackerSourceID string
	// NextPollAt: when to look for news if no push comes.
	NextPollAt time.Time
}

// TrackingStore keeps what follows a parcel once it is a fulfillment:
// registrations, the polling schedule, stalls, and the shop's settings.
type TrackingStore interface {
	TrackingSettings(ctx context.Context, shopID string) (TrackingSettings, error)
	SaveTrackingSettings(ctx context.Context, s TrackingSettings) error

	// StartTracking records that the shipment is a fulfillment: its status
	// becomes at least shipped, and its window, registration and polling
	// schedule are set where they were not. Running it twice changes
	// nothing more.
	StartTracking(ctx context.Context, shipmentID string, t TrackingStart) error
	// QueueTrackers marks the shop's synced, undelivered shipments shipped
	// since shippedAfter and registered with no aggregator as queued for
	// sourceID (at most limit), and returns their ids.
	QueueTrackers(ctx context.Context, shopID, sourceID string, shippedAfter time.Time, limit int) ([]string, error)
	// SetTracker records a registration's outcome.
	SetTracker(ctx context.Context, shipmentID string, state TrackerState, trackerID, detail string) error
	// ShipmentsToPoll lists synced, undelivered shipments due a poll
	// (next_poll_at ≤ now), at most perShop for each shop and limit in all.
	ShipmentsToPoll(ctx context.Context, now time.Time, perShop, limit int) ([]Shipment, error)
	// SchedulePoll sets the shipment's next poll (nil: never) and attempts.
	SchedulePoll(ctx context.Context, shipmentID string, next *time.Time, attempts int) error
	// ShipmentsToCheckForStall lists synced, undelivered, not yet stalled
	// shipments whose stall check is due (stall_check_at ≤ now).
	ShipmentsToCheckForStall(ctx context.Context, now time.Time, limit int) ([]Shipment, error)
	// ScheduleStallCheck sets when the shipment is next checked (nil: never).
	ScheduleStallCheck(ctx context.Context, shipmentID string, at *time.Time) error
	// MarkStalled marks the shipment stalled (with a history line); false
	// when it was already, or when news arrived since lastEventAt (as the
	// caller read it).
	MarkStalled(ctx context.Context, shipmentID, reason string, at time.Time, lastEventAt *time.Time) (bool, error)
	// ShopsWithStalledShipments lists the ids of active shops with stalled shipments.
	ShopsWithStalledShipments(ctx context.Context) ([]string, error)
	// ClaimDigest records the shop's digest of day (YYYY-MM-DD); false when
	// it was claimed already.
	ClaimDigest(ctx context.Context, shopID, day string) (bool, error)
	// ShopsWithoutProfile lists active shops whose time zone was never
	// read from Shopify (installed before Waybill read it).
	ShopsWithoutProfile(ctx context.Context) ([]string, error)
	// ReleaseDigest forgets a claim whose email could not be sent, so a
	// retry sends it.
	ReleaseDigest(ctx context.Context, shopID, day string) error
}
