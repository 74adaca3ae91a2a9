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
	// ShipmentCancelled: its fulfillment was cancelled in Shopify. Nothing
	// more is tracked or told for it.
	ShipmentCancelled ShipmentState = "cancelled"
)

// ShipmentStates are all states, in the order the admin lists them.
var ShipmentStates = []ShipmentState{ShipmentPending, ShipmentSyncing, ShipmentSynced, ShipmentFailed, ShipmentNeedsAttention, ShipmentCancelled}

// ShipmentSource is where a tracking number came from.
type ShipmentSource string

const (
	SourceAPI     ShipmentSource = "api"
	SourceCSV     ShipmentSource = "csv"
	SourceManual  ShipmentSource = "manual"
	SourceShopify ShipmentSource = "shopify" // a fulfillment made in the admin, by a 3PL or another app
)

// ShipmentSources are all sources, in the order the admin lists them.
var ShipmentSources = []ShipmentSource{SourceAPI, SourceCSV, SourceManual, SourceShopify}

// Shipment is one tracking number for (some of) an order's items.
type Shipment struct {
	ID     string `json:"id"`
	ShopID string `json:"-"`
	// OrderRef is how the source named the order ("#1001", or "id:123" when
	// only an id was given): with the number, the duplicate key.
	OrderRef       string         `json:"order_ref"`
	OrderID        int64          `json:"order_id"` // 0 until the order is resolved
	OrderName      string         `json:"order_name"`
	TrackingNumber string         `json:"tracking_number"`
	Carrier        string         `json:"carrier"`
	TrackingURL    string         `json:"tracking_url"`
	Source         ShipmentSource `json:"source"`
	State          ShipmentState  `json:"state"`
	StateReason    string         `json:"state_reason"`
	// StateCode/StateParams: StateReason as a message code and its
	// parameters (app/message.go), which the admin says in the merchant's
	// language; "" and {} when there is no reason.
	StateCode            string            `json:"state_code"`
	StateParams          map[string]string `json:"state_params"`
	NotifyCustomer       bool              `json:"notify_customer"` // false: the source asked that the customer not be told
	ShopifyFulfillmentID int64             `json:"shopify_fulfillment_id"`
	// Status is where the parcel is, as its carrier reports it.
	Status              ParcelStatus `json:"status"`
	StatusAt            *time.Time   `json:"status_at"`
	EstimatedDeliveryAt *time.Time   `json:"estimated_delivery_at"`
	// StatusSource is the provider that reported the current status.
	StatusSource string `json:"status_source"`
	// ShippedAt: when it became a fulfillment in Shopify.
	ShippedAt *time.Time `json:"shipped_at"`
	// LastEventAt: the newest carrier news (a checkpoint or a status).
	LastEventAt *time.Time `json:"last_event_at"`
	// DeliveryWindowFrom/To: the merchant's transit window from ShippedAt,
	// when one covers the destination (EstimatedDeliveryAt, the carrier's
	// own, replaces it once known).
	DeliveryWindowFrom *time.Time `json:"delivery_window_from"`
	DeliveryWindowTo   *time.Time `json:"delivery_window_to"`
	// StalledAt: no carrier news for too long, or past the estimated
	// delivery (StalledReason: StallNoEvents, StallPastEstimate).
	StalledAt     *time.Time `json:"stalled_at"`
	StalledReason string     `json:"stalled_reason"`
	// Tracker: the parcel's registration with the shop's aggregator.
	TrackerSourceID string       `json:"tracker_source_id"`
	TrackerState    TrackerState `json:"tracker_state"`
	TrackerID       string       `json:"-"`
	TrackerDetail   string       `json:"tracker_detail"`
	// TrackerRegisteredAt: when the provider started tracking it (its
	// window counts from there).
	TrackerRegisteredAt *time.Time `json:"tracker_registered_at"`
	// TrackingSince: when the number last changed; Shopify's reports from
	// before it are about the old number.
	TrackingSince *time.Time `json:"-"`
	// StallCheckAt: when the stall sweep next looks at it.
	StallCheckAt *time.Time `json:"-"`
	// NextPollAt/PollAttempts: the polling fallback's schedule.
	NextPollAt   *time.Time         `json:"-"`
	PollAttempts int                `json:"-"`
	LineItems    []ShipmentLineItem `json:"line_items"`
	CreatedAt    time.Time          `json:"created_at"`
	UpdatedAt    time.Time          `json:"updated_at"`
}

// ShipmentLineItem is a quantity of an order line in a shipment. Sources may
// name the line by SKU only; LineItemID is filled when the order is resolved.
type ShipmentLineItem struct {
	LineItemID int64  `json:"line_item_id"`
	SKU        string `json:"sku"`
	Title      string `json:"title"`
	Quantity   int    `json:"quantity"`
}

// CreateOutcome is what CreateShipments did with one shipment.
type CreateOutcome struct {
	ShipmentID string
	Created    bool
}

// ShipmentEvent is a line of a shipment's history.
type ShipmentEvent struct {
	ID         string `json:"id"`
	ShipmentID string `json:"-"`
	Kind       string `json:"kind"`   // received, tracking_changed, pushed, failed …
	Detail     string `json:"detail"` // in English, for logs and API users
	// Code/Params: the line as a message code and its parameters
	// (app/message.go), which the admin says in the merchant's language.
	Code      string            `json:"code"`
	Params    map[string]string `json:"params"`
	CreatedAt time.Time         `json:"created_at"`
}

// Shipment history kinds.
const (
	EventReceived        = "received"
	EventTrackingChanged = "tracking_changed"
	EventPushed          = "pushed"
	EventFailed          = "failed"
	EventNeedsAttention  = "needs_attention"
	EventRetry           = "retry"
	EventCancelled       = "cancelled"
	EventStalled         = "stalled" // detail: the reason (StallNoEvents, StallPastEstimate)
)

// ShopifyFulfillment is a fulfillment as Shopify reports it in a webhook.
type ShopifyFulfillment struct {
	ID        int64
	OrderID   int64
	OrderName string
	// Status is Shopify's: pending, open, success, cancelled, error, failure.
	Status FulfillmentStatus
	// TrackingNumbers are its parcels (a 3PL may put several on one
	// fulfillment); TrackingURLs the matching links, where given.
	TrackingNumbers []string
	TrackingURLs    []string
	Carrier         string
	LineItems       []ShipmentLineItem
	// ShipmentStatus is Shopify's own carrier tracking of it
	// (shipment_status: "in_transit", "delivered"…; empty when none yet),
	// as of UpdatedAt.
	ShipmentStatus string
	UpdatedAt      time.Time
}

// FulfillmentStatus is a Shopify fulfillment's status, as webhooks spell it.
type FulfillmentStatus string

const (
	FulfillmentPending   FulfillmentStatus = "pending"
	FulfillmentOpen      FulfillmentStatus = "open"
	FulfillmentSuccess   FulfillmentStatus = "success"
	FulfillmentCancelled FulfillmentStatus = "cancelled"
	FulfillmentError     FulfillmentStatus = "error"
	FulfillmentFailure   FulfillmentStatus = "failure"
)

// Shipped reports whether the fulfillment left: only a successful one did
// (pending and open ones wait for a fulfillment service).
func (s FulfillmentStatus) Shipped() bool { return s == FulfillmentSuccess }

// Failed reports whether the fulfillment will never ship.
func (s FulfillmentStatus) Failed() bool {
	return s == FulfillmentCancelled || s == FulfillmentError || s == FulfillmentFailure
}

// RecordedFulfillment is what recording a fulfillment did to one of its
// parcels' shipments.
type RecordedFulfillment struct {
	Shipment *Shipment
	Change   FulfillmentChange
}

// FulfillmentChange says what recording a Shopify fulfillment did.
type FulfillmentChange string

const (
	FulfillmentNew             FulfillmentChange = "new"
	FulfillmentTrackingChanged FulfillmentChange = "tracking_changed"
	FulfillmentUnchanged       FulfillmentChange = "unchanged"
	// FulfillmentEnded: cancelled, or failed for good; the shipment now
	// says so and is no longer tracked.
	FulfillmentEnded FulfillmentChange = "ended"
)

// ShipmentStore keeps shipments.
type ShipmentStore interface {
	// AwaitingStore: orders waiting for a number, and who sent each (awaiting.go).
	AwaitingStore
	// RecordShopifyFulfillment creates or updates the shipments of a
	// fulfillment made in Shopify, one per tracking number, matching each by
	// (fulfillment id, number), then by (order, number) for Waybill's own
	// pushes. A fulfillment with one number that changed is recorded as a
	// change of its shipment. A cancelled fulfillment marks its shipments
	// cancelled, a failed one failed (each with a history line).
	RecordShopifyFulfillment(ctx context.Context, shopID string, f ShopifyFulfillment) ([]RecordedFulfillment, error)
	// ShipmentsByOrder lists an order's shipments, oldest first.
	ShipmentsByOrder(ctx context.Context, shopID string, orderID int64) ([]Shipment, error)
	// ShipmentEvents is a shipment's history, oldest first.
	ShipmentEvents(ctx context.Context, shipmentID string) ([]ShipmentEvent, error)

	// CreateShipments stores new shipments, each with a "received" event
	// (detail). Where the shop already has a shipment for (order ref,
	// tracking number) — or an earlier one in the same batch does — nothing is
	// stored and the outcome names the existing shipment.
	CreateShipments(ctx context.Context, shipments []*Shipment, detail string) ([]CreateOutcome, error)
	// ShipmentByID returns the shipment or ErrNotFound.
	ShipmentByID(ctx context.Context, id string) (*Shipment, error)
	// ResolveShipmentOrder records the Shopify order and the resolved lines.
	ResolveShipmentOrder(ctx context.Context, id string, orderID int64, orderName string, lines []ShipmentLineItem) error
	// MoveShipment moves the shipment, with the reason it is in that state
	// (a zero Message: none), and adds a history line (kind may be empty).
	MoveShipment(ctx context.Context, id string, state ShipmentState, reason Message, kind string, line Message) error
	// MarkShipmentPushed records the fulfillment the shipment became — if
	// its tracking number is still pushedNumber. An edit made while the push
	// ran leaves it pending (the stalled sweep pushes the new number), and
	// synced reports false.
	MarkShipmentPushed(ctx context.Context, id, pushedNumber string, fulfillmentID int64, line Message) (synced bool, err error)
	// EditShipmentTracking changes number, carrier and URL and makes the
	// shipment pending again so the change is pushed.
	EditShipmentTracking(ctx context.Context, id, number, carrier, url string) (*Shipment, error)
	// StalledShipments lists pending shipments not touched since before t
	// (their push was never queued or was lost), oldest first.
	StalledShipments(ctx context.Context, before time.Time, limit int) ([]Shipment, error)
}

// ShipmentFilter selects a shop's shipments for the admin.
type ShipmentFilter struct {
	State   ShipmentState // empty: any
	Status  ParcelStatus  // empty: any
	Stalled bool          // only stalled shipments
	Source  ShipmentSource
	Query   string // order name, tracking number or carrier, partial
	Carrier string
	From    time.Time // created at or after (zero: any)
	To      time.Time // created before (zero: any)
	Page    int       // from 1
	PerPage int
}

// ShipmentPage is one page of shipments, newest first.
type ShipmentPage struct {
	Shipments []Shipment `json:"shipments"`
	Total     int64      `json:"total"`
	Page      int        `json:"page"`
	PerPage   int        `json:"per_page"`
}

// ShipmentLister serves the admin's lists and counts (always for one shop).
type ShipmentLister interface {
	ListShipments(ctx context.Context, shopID string, f ShipmentFilter) (ShipmentPage, error)
	CountShipments(ctx context.Context, shopID string, since time.Time) (map[ShipmentState]int64, error)
}

// DashboardCounts are the admin's numbers for a period.
type DashboardCounts struct {
	AwaitingTracking int64 `json:"awaiting_tracking"` // orders waiting for a number now, whatever the period (the awaiting list's total)
	Pending          int64 `json:"pending"`
	Synced           int64 `json:"synced"`
	Failed           int64 `json:"failed"`
	NeedsAttention   int64 `json:"needs_attention"`
	Stalled          int64 `json:"stalled"` // now, whatever the period
	EmailsSent       int64 `json:"emails_sent"`
	Unsubscribes     int64 `json:"unsubscribes"`
}

// Activity is a line of the admin's latest activity.
type Activity struct {
	ShipmentID string `json:"shipment_id"`
	OrderName  string `json:"order_name"`
	Kind       string `json:"kind"`
	Detail     string `json:"detail"`
	// Code/Params: the line as a message (see ShipmentEvent).
	Code   string            `json:"code"`
	Params map[string]string `json:"params"`
	At     time.Time         `json:"at"`
}

// Dashboard serves the admin's overview (always for one shop).
type Dashboard interface {
	DashboardCounts(ctx context.Context, shopID string, since time.Time) (DashboardCounts, error)
	RecentActivity(ctx context.Context, shopID string, limit int) ([]Activity, error)
}
