package app

import (
	"context"
	"time"
)

// InsightGrouping is what the admin's analytics group shipments by.
type InsightGrouping string

const (
	ByCarrier InsightGrouping = "carrier"
	// BySupplier: the supplier API key that sent the tracking number, by
	// its name; numbers no key sent (CSV, manual, Shopify, a deleted key)
	// are grouped by their source.
	BySupplier InsightGrouping = "supplier"
	ByCountry  InsightGrouping = "country" // the order's shipping country
)

// InsightGroupings are all groupings, in the order the admin shows them.
var InsightGroupings = []InsightGrouping{ByCarrier, BySupplier, ByCountry}

// InsightQuery selects the shipments analysed: those created in [From, To)
// (the shipment list's dates), grouped By.
type InsightQuery struct {
	From, To time.Time
	By       InsightGrouping
}

// DaysSpread is the median and 90th percentile of a duration, in days
// (nil when no shipment of the group has that duration yet). The median of
// an even count is the mean of the two middle values; the 90th percentile
// is the nearest rank (the ⌈0.9·n⌉-th smallest).
type DaysSpread struct {
	Median *float64 `json:"median"`
	P90    *float64 `json:"p90"`
}

// InsightRow is one carrier's, supplier's or country's figures. Every count
// is of the shipments in the period.
type InsightRow struct {
	// Key is the carrier's name, the supplier API key's name or the
	// two-letter country code; empty when unknown.
	Key string `json:"key"`
	// KeyIsSource: a supplier row for numbers no API key sent; Key is then
	// their source (api — a key deleted since —, csv, manual, shopify).
	KeyIsSource bool  `json:"key_is_source"`
	Shipments   int64 `json:"shipments"`
	// OrderToFulfillmentDays: from the order (when Waybill first saw it,
	// by orders/create) to the fulfillment in Shopify.
	OrderToFulfillmentDays DaysSpread `json:"order_to_fulfillment_days"`
	// FulfillmentToDeliveryDays: from the fulfillment to the carrier's
	// delivered time, for delivered parcels.
	FulfillmentToDeliveryDays DaysSpread `json:"fulfillment_to_delivery_days"`
	Delivered                 int64      `json:"delivered"`
	// DeliveredOnTimeShare is the share (0–1) of the delivered parcels that
	// had an estimate — the carrier's ETA day, else the merchant's window —
	// delivered by its end; nil when none had one.
	DeliveredOnTimeShare *float64 `json:"delivered_on_time_share"`
	// Exceptions: parcels whose carrier reported an exception at some point.
	Exceptions int64 `json:"exceptions"`
	// Stalled: parcels that stalled at some point (no news for too long, or
	// past their estimate), stalled now or not.
	Stalled            int64 `json:"stalled"`
	EmailsSent         int64 `json:"emails_sent"`
	TrackingPageVisits int64 `json:"tracking_page_visits"`
}

// InsightPeriods are the admin's preset periods, in days ending today on
// the shop's calendar: the ones kept as snapshots.
var InsightPeriods = []int{30, 90, 365}

// InsightSnapshot is a preset period's figures for one grouping, computed
// in the background (a year at a million shipments takes too long to
// compute while the merchant waits).
type InsightSnapshot struct {
	ShopID     string
	PeriodDays int // one of InsightPeriods, ending on ComputedAt's day (the shop's calendar)
	By         InsightGrouping
	ComputedAt time.Time // when the computation started: changes after it are not in Rows
	Rows       []InsightRow
}

// ShipmentExportRow is a line of the shipments CSV.
type ShipmentExportRow struct {
	OrderName      string
	TrackingNumber string
	Carrier        string
	State          ShipmentState
	Status         ParcelStatus
	Source         ShipmentSource
	Country        string // the order's shipping country
	CreatedAt      time.Time
	ShippedAt      *time.Time
	DeliveredAt    *time.Time
	StalledAt      *time.Time
}

// Insights serves the admin's export and analytics (always for one shop).
type Insights interface {
	// ShipmentInsights computes the figures per group, biggest group first.
	ShipmentInsights(ctx context.Context, shopID string, q InsightQuery) ([]InsightRow, error)
	// ExportShipments calls each for every shipment the filter selects
	// (Page and PerPage ignored), newest first, streaming from the database.
	ExportShipments(ctx context.Context, shopID string, f ShipmentFilter, each func(ShipmentExportRow) error) error
	// RecordTrackingVisits counts a tracking page view of each shipment on
	// day (UTC).
	RecordTrackingVisits(ctx context.Context, shopID string, shipmentIDs []string, at time.Time) error
	// SaveInsightSnapshot stores a snapshot, replacing the one of the same
	// shop, period and grouping.
	SaveInsightSnapshot(ctx context.Context, s InsightSnapshot) error
	// InsightSnapshot reads a snapshot; ErrNotFound when there is none.
	InsightSnapshot(ctx context.Context, shopID string, periodDays int, by InsightGrouping) (*InsightSnapshot, error)
	// ShopsWithInsightChanges returns up to limit active shops (domains)
	// with a shipment changed since their oldest snapshot, or with
	// shipments and no snapshot, the longest waiting first.
	ShopsWithInsightChanges(ctx context.Context, limit int) ([]string, error)
}
