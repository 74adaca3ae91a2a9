package app

import (
	"context"
	"time"
)

// Order is what Waybill keeps of a Shopify order: enough to match tracking
// numbers to line items and to write to the customer in their language.
type Order struct {
	ID                int64 // Shopify's id
	ShopID            string
	Name              string // "#1001"
	Email             string
	CustomerID        int64
	CustomerLocale    string
	CustomerFirstName string
	ShippingCountry   string
	LineItems         []LineItem
	ShopifyUpdatedAt  time.Time
	RedactedAt        *time.Time
}

// LineItem is an order line.
type LineItem struct {
	ID                  int64
	SKU                 string
	Title               string
	Quantity            int
	FulfillableQuantity int
}

// OrderStore keeps orders.
type OrderStore interface {
	// SaveOrder stores o unless the stored version is newer (by Shopify's
	// updated_at): out-of-order webhooks never overwrite newer data. It
	// reports whether it wrote.
	SaveOrder(ctx context.Context, o Order) (bool, error)
	// OrderByID returns the order or ErrNotFound.
	OrderByID(ctx context.Context, shopID string, id int64) (*Order, error)
}
