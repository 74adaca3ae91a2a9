package app

import (
	"context"
	"time"
)

// Order is what Waybill keeps of a Shopify order: enough to match tracking
// numbers to line items and to write to the customer in their language.
type Order struct {
	ID                int64  `json:"id"` // Shopify's id
	ShopID            string `json:"-"`
	Name              string `json:"name"` // "#1001"
	Email             string `json:"email"`
	CustomerID        int64  `json:"customer_id"`
	CustomerLocale    string `json:"customer_locale"`
	CustomerFirstName string `json:"customer_first_name"`
	ShippingCountry   string `json:"shipping_country"`
	// Phone is the order's phone in E.164 (the order's, else the shipping
	// address's, else the customer's), "" when none could be read as a
	// number of its country. Protected customer data: erased on redact.
	Phone string `json:"phone"`
	// SMSConsent: Shopify's SMS consent on the order's customer was
	// "subscribed" when the order was last saved, and Phone is the phone
	// it is for (the customer's own): another number (a gift recipient's
	// on the shipping address) never has it.
	SMSConsent bool `json:"sms_consent"`
	// NotifyPhone is the phone the customer gave on the tracking page to
	// be told there (E.164); kept apart from Shopify's data, which
	// SaveOrder never overwrites it with. In JSON only in a customer data
	// report (the customer's own data).
	NotifyPhone      string     `json:"notify_phone,omitempty"`
	LineItems        []LineItem `json:"line_items"`
	ShopifyUpdatedAt time.Time  `json:"updated_at"`
	RedactedAt       *time.Time
}

// LineItem is an order line.
type LineItem struct {
	ID                  int64  `json:"id"`
	SKU                 string `json:"sku"`
	Title               string `json:"title"`
	Quantity            int    `json:"quantity"`
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
	// OrderByName returns the order named like "#1001", or ErrNotFound.
	OrderByName(ctx context.Context, shopID, name string) (*Order, error)
	// SetOrderNotifyPhone records the phone the customer gave on the
	// tracking page.
	SetOrderNotifyPhone(ctx context.Context, shopID string, orderID int64, phone string) error
	// OrdersByShopifyID returns the orders with Shopify's id id, across
	// shops (a short link names the order before its shop is known).
	OrdersByShopifyID(ctx context.Context, id int64) ([]Order, error)
	// OrdersByRef loads, in one go, the orders with these names or ids.
	OrdersByRef(ctx context.Context, shopID string, names []string, ids []int64) ([]Order, error)
}

// ShopifyOrder is an order as the Admin API shows it when a shipment is
// pushed: what is left to fulfil where, and what is fulfilled already.
type ShopifyOrder struct {
	ID                int64
	Name              string
	Email             string
	CustomerLocale    string
	CustomerFirstName string
	// ShippingCountry, Phone (E.164) and SMSConsent as Order has them; read
	// only when the caller had no copy of the order.
	ShippingCountry   string
	Phone             string
	SMSConsent        bool
	UpdatedAt         time.Time
	LineItems         []LineItem
	FulfillmentOrders []FulfillmentOrder
	Fulfillments      []ExistingFulfillment
}

// FulfillmentOrder is a group of lines to fulfil from one location.
type FulfillmentOrder struct {
	ID           int64
	LocationID   int64
	LocationName string
	Status       string // OPEN, IN_PROGRESS, CLOSED, …
	Lines        []FulfillmentOrderLine
}

// FulfillmentOrderLine is how much of an order line is left at the location.
type FulfillmentOrderLine struct {
	ID         int64
	LineItemID int64
	SKU        string
	Title      string
	Remaining  int
}

// ExistingFulfillment is a fulfillment already on the order.
type ExistingFulfillment struct {
	ID              int64
	Status          string // Shopify's enum: SUCCESS, CANCELLED, …
	TrackingNumbers []string
	// Lines are the order lines it took, with quantities.
	Lines []FulfilledLine
}

// FulfilledLine is a quantity of an order line in a fulfillment.
type FulfilledLine struct {
	LineItemID int64
	Quantity   int
}

// FulfillmentLine takes a quantity of a fulfillment order line.
type FulfillmentLine struct {
	FulfillmentOrderID     int64
	FulfillmentOrderLineID int64
	Quantity               int
}

// FulfillmentRequest is one fulfillmentCreate: lines from one location and
// the tracking information.
type FulfillmentRequest struct {
	Lines          []FulfillmentLine
	TrackingNumber string
	Company        string
	URL            string
	NotifyCustomer bool
}

// TextPhone is where texts about the order go: the phone the customer gave
// on the tracking page, else the order's.
func (o *Order) TextPhone() string {
	if o.NotifyPhone != "" {
		return o.NotifyPhone
	}
	return o.Phone
}
