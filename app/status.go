package app

import (
	"context"
	"time"
)

// ParcelStatus is where a parcel is, normalised across carriers.
type ParcelStatus string

const (
	StatusPending            ParcelStatus = "pending"
	StatusInfoReceived       ParcelStatus = "info_received"
	StatusInTransit          ParcelStatus = "in_transit"
	StatusOutForDelivery     ParcelStatus = "out_for_delivery"
	StatusAvailableForPickup ParcelStatus = "available_for_pickup"
	StatusAttemptedDelivery  ParcelStatus = "attempted_delivery"
	StatusDelivered          ParcelStatus = "delivered"
	StatusException          ParcelStatus = "exception"
	StatusExpired            ParcelStatus = "expired"
)

// statusRank orders statuses reported at the same moment: the further along
// wins. Across moments, time decides (see NewerStatus).
var statusRank = map[ParcelStatus]int{
	StatusPending: 0, StatusInfoReceived: 1, StatusInTransit: 2, StatusExpired: 3, StatusException: 4,
	StatusAttemptedDelivery: 5, StatusAvailableForPickup: 6, StatusOutForDelivery: 7, StatusDelivered: 8,
}

// Valid reports whether s is a known status.
func (s ParcelStatus) Valid() bool { _, ok := statusRank[s]; return ok }

// NewerStatus decides whether a status reported at `at` replaces the
// current one (reported at currentAt): a delivered parcel stays delivered;
// an older report never moves a shipment backwards; at the same moment the
// further-along status wins.
func NewerStatus(current ParcelStatus, currentAt time.Time, next ParcelStatus, at time.Time) bool {
	switch {
	case current == StatusDelivered, next == current:
		return false
	case currentAt.IsZero() || at.After(currentAt):
		return true
	case at.Equal(currentAt):
		return statusRank[next] > statusRank[current]
	}
	return false
}

// FulfillmentEventStatus is the Shopify fulfillment event status for s ("" when
// Shopify has none).
func (s ParcelStatus) FulfillmentEventStatus() string {
	return map[ParcelStatus]string{
		StatusInfoReceived: "CONFIRMED", StatusInTransit: "IN_TRANSIT", StatusOutForDelivery: "OUT_FOR_DELIVERY",
		StatusAvailableForPickup: "READY_FOR_PICKUP", StatusAttemptedDelivery: "ATTEMPTED_DELIVERY",
		StatusDelivered: "DELIVERED", StatusException: "FAILURE",
	}[s]
}

// Notification is the customer email a status sends, if any.
func (s ParcelStatus) Notification() (NotificationEvent, bool) {
	switch s {
	case StatusOutForDelivery:
		return NotifyOutForDelivery, true
	case StatusDelivered:
		return NotifyDelivered, true
	case StatusException:
		return NotifyDeliveryException, true
	}
	return "", false
}

// Checkpoint is one carrier scan.
type Checkpoint struct {
	HappenedAt time.Time    `json:"happened_at"`
	Status     ParcelStatus `json:"status"`
	Location   string       `json:"location"`
	Message    string       `json:"message"`
}

// StatusUpdate is what a status source reports about one tracking number.
type StatusUpdate struct {
	TrackingNumber    string
	Status            ParcelStatus // the carrier's current status
	StatusAt          time.Time    // when it was reached (default: the latest checkpoint's time)
	EstimatedDelivery *time.Time
	Checkpoints       []Checkpoint
}

// StatusChange is what applying an update did to a shipment.
type StatusChange struct {
	Shipment *Shipment
	Changed  bool // the status moved
	From, To ParcelStatus
}

// StatusSource is a signed inbound status feed of a shop.
type StatusSource struct {
	ID        string    `json:"id"`
	ShopID    string    `json:"-"`
	Provider  string    `json:"provider"` // easypost or push
	Name      string    `json:"name"`
	Secret    string    `json:"-"` // clear only in memory
	CreatedAt time.Time `json:"created_at"`
}

// StatusStore keeps parcel statuses and their sources.
type StatusStore interface {
	// ApplyStatusUpdate records the update's new checkpoints on the shop's
	// shipments with that tracking number and moves their status when the
	// update is newer (NewerStatus). Repeats and stale reports change nothing.
	ApplyStatusUpdate(ctx context.Context, shopID string, u StatusUpdate) ([]StatusChange, error)
	Checkpoints(ctx context.Context, shipmentID string) ([]Checkpoint, error)
	CreateStatusSource(ctx context.Context, src *StatusSource) error
	StatusSourceByID(ctx context.Context, id string) (*StatusSource, error)
}

// StatusProvider is a kind of status source that posts to Waybill
// (/carriers/{name}/{source}): it names its signature header, checks it, and
// reads its documents. The statusfeed package has the implementations.
type StatusProvider interface {
	// Name is the provider's path segment: /carriers/{name}/{source}.
	Name() string
	// SignatureHeader is the request header carrying the signature.
	SignatureHeader() string
	// Verify checks the signature of body with the source's secret in constant time.
	Verify(body []byte, signature, secret string) bool
	// Parse reads the body; ok false means a well-formed event that carries
	// no status (acknowledged and ignored).
	Parse(body []byte) (u StatusUpdate, ok bool, err error)
}
