package app

import (
	"context"
	"time"
)

// AwaitingOrder is an order waiting for a tracking number: it has items left
// to fulfil and no shipment (other than cancelled ones) in Waybill.
type AwaitingOrder struct {
	ID              int64  `json:"id"`
	Name            string `json:"name"`
	ShippingCountry string `json:"shipping_country"`
	// CreatedAt: when the order was placed (Shopify's createdAt for
	// orders read at install, else when Waybill first saw it).
	CreatedAt time.Time `json:"created_at"`
	// AgeDays: whole days from CreatedAt to now.
	AgeDays   int                `json:"age_days"`
	LineItems []AwaitingLineItem `json:"line_items"`
	// Fulfilled: some of its items are fulfilled already (a partial
	// fulfillment, perhaps without a number): a number entered for them
	// goes onto that fulfillment.
	Fulfilled bool `json:"fulfilled"`
}

// AwaitingLineItem is a line of an awaiting order, with the supplier that
// last sent a number for its SKU.
type AwaitingLineItem struct {
	ID                  int64  `json:"id"`
	SKU                 string `json:"sku"`
	Title               string `json:"title"`
	Quantity            int    `json:"quantity"`
	FulfillableQuantity int    `json:"fulfillable_quantity"`
	// Supplier is the name of the supplier API key that most recently sent
	// a tracking number for this SKU ("" when none did).
	Supplier string `json:"supplier"`
}

// AwaitingPage is one page of awaiting orders, oldest first.
type AwaitingPage struct {
	Orders  []AwaitingOrder `json:"orders"`
	Total   int64           `json:"total"`
	Page    int             `json:"page"`
	PerPage int             `json:"per_page"`
}

// AwaitingOrders lists the orders waiting for a tracking number. The
// dashboard's awaiting_tracking counts the same rule.
type AwaitingOrders interface {
	// AwaitingOrders is a page (from 1) of the shop's orders with
	// unfulfilled items and no shipment that is not cancelled, oldest first.
	AwaitingOrders(ctx context.Context, shopID string, page, perPage int) (AwaitingPage, error)
}

// ShipmentSuppliers records which supplier API key sent shipments.
type ShipmentSuppliers interface {
	// RecordShipmentsAPIKey marks the shop's shipments as sent with the
	// supplier key whose SHA-256 is keyHash (app.HashAPIKey).
	RecordShipmentsAPIKey(ctx context.Context, shopID string, shipmentIDs []string, keyHash string) error
}

// OrderBackfillPage is one page of a store's open, unfulfilled orders, read
// from Shopify (orders placed before Waybill was installed).
type OrderBackfillPage struct {
	Orders []BackfilledOrder
	// Next is the cursor of the next page; "" when this was the last.
	Next string
}

// BackfilledOrder is an order read from Shopify with when it was placed.
type BackfilledOrder struct {
	Order     Order
	CreatedAt time.Time
}

// OrderBackfiller reads open orders from Shopify, page by page.
type OrderBackfiller interface {
	// OpenOrders reads the page of open orders with items left to fulfil
	// after cursor ("" for the first).
	OpenOrders(ctx context.Context, shopDomain, cursor string) (OrderBackfillPage, error)
}

// BackfillStore keeps orders read at install.
type BackfillStore interface {
	// SaveBackfilledOrder saves the order as an orders/create webhook
	// would (an older updated_at never overwrites) and dates it from when
	// it was placed. It reports whether it wrote.
	SaveBackfilledOrder(ctx context.Context, o Order, placedAt time.Time) (bool, error)
}

// AwaitingStore is the store's side of the awaiting list: part of
// ShipmentStore, so every workflow that stores shipments has it.
type AwaitingStore interface {
	AwaitingOrders
	ShipmentSuppliers
	BackfillStore
}
