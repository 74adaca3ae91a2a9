package app

import (
	"context"
	"time"
)

// ShipmentState is where a shipment is on its way into Shopify.
type ShipmentState string

const (
	ShipmentPending        ShipmentState = "pending"
	ShipmentSyncing        ShipmentState = "syncing"
	ShipmentSynced         ShipmentState = "synced"
	ShipmentFailed         ShipmentState = "failed"
	ShipmentNeedsAttention ShipmentState = "needs_attention"
)

// ShipmentSource is where a tracking number came from.
type ShipmentSource string

const (
	SourceAPI     ShipmentSource = "api"
	SourceCSV     ShipmentSource = "csv"
	SourceManual  ShipmentSource = "manual"
	SourceShopify ShipmentSource = "shopify" // a fulfillment made in the admin, by a 3PL or another app
)

// Shipment is one tracking number for (some of) an order's items.
type Shipment struct {
	ID                   string
	ShopID               string
	OrderID              int64
	OrderName            string
	TrackingNumber       string
	Carrier              string
	TrackingURL          string
	Source               ShipmentSource
	State                ShipmentState
	StateReason          string
	ShopifyFulfillmentID int64
	LineItems            []ShipmentLineItem
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

// ShipmentLineItem is a quantity of an order line in a shipment.
type ShipmentLineItem struct {
	LineItemID int64
	SKU        string
	Title      string
	Quantity   int
}

// ShipmentEvent is a line of a shipment's history.
type ShipmentEvent struct {
	ID         string
	ShipmentID string
	Kind       string // received, tracking_changed, pushed, failed …
	Detail     string
	CreatedAt  time.Time
}

// Shipment history kinds.
const (
	EventReceived        = "received"
	EventTrackingChanged = "tracking_changed"
)

// ShopifyFulfillment is a fulfillment as Shopify reports it in a webhook.
type ShopifyFulfillment struct {
	ID             int64
	OrderID        int64
	OrderName      string
	TrackingNumber string
	Carrier        string
	TrackingURL    string
	LineItems      []ShipmentLineItem
}

// FulfillmentChange says what recording a Shopify fulfillment did.
type FulfillmentChange string

const (
	FulfillmentNew             FulfillmentChange = "new"
	FulfillmentTrackingChanged FulfillmentChange = "tracking_changed"
	FulfillmentUnchanged       FulfillmentChange = "unchanged"
)

// ShipmentStore keeps shipments.
type ShipmentStore interface {
	// RecordShopifyFulfillment creates or updates the shipment of a
	// fulfillment made in Shopify, matching it by fulfillment id, then by
	// (order, tracking number). A changed number is recorded as a change.
	RecordShopifyFulfillment(ctx context.Context, shopID string, f ShopifyFulfillment) (*Shipment, FulfillmentChange, error)
	// ShipmentsByOrder lists an order's shipments, oldest first.
	ShipmentsByOrder(ctx context.Context, shopID string, orderID int64) ([]Shipment, error)
	// ShipmentEvents is a shipment's history, oldest first.
	ShipmentEvents(ctx context.Context, shipmentID string) ([]ShipmentEvent, error)
}
