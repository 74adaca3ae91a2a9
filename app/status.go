package app

import (
	"context"
	"time"
)

// ParcelStatus is where a parcel is, normalised across carriers.
type ParcelStatus string

const (
	StatusPending ParcelStatus = "pending"
	// StatusShipped: the parcel is a fulfillment in Shopify, with no carrier
	// scan yet. Never "ships soon" once it left.
	StatusShipped            ParcelStatus = "shipped"
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
	StatusPending: 0, StatusShipped: 1, StatusInfoReceived: 2, StatusInTransit: 3, StatusExpired: 4, StatusException: 5,
	StatusAttemptedDelivery: 6, StatusAvailableForPickup: 7, StatusOutForDelivery: 8, StatusDelivered: 9,
}

// ParcelStatuses are all statuses, in the order the admin lists them.
var ParcelStatuses = []ParcelStatus{StatusPending, StatusShipped, StatusInfoReceived, StatusInTransit, StatusOutForDelivery,
	StatusAvailableForPickup, StatusAttemptedDelivery, StatusDelivered, StatusException, StatusExpired}

// Final reports whether nothing more is expected of the parcel (delivered).
func (s ParcelStatus) Final() bool { return s == StatusDelivered }

// Before reports whether s comes earlier in a parcel's journey than other.
func (s ParcelStatus) Before(other ParcelStatus) bool { return statusRank[s] < statusRank[other] }

// Valid reports whether s is a known status.
func (s ParcelStatus) Valid() bool { _, ok := statusRank[s]; return ok }

// NewerStatus decides whether a status reported at `at` replaces the
// current one (reported at currentAt): a delivered parcel stays delivered;
// an older report never moves a shipment backwards; at the same moment the
// further-along status wins.
//
// "pending" (a provider that does not know the number yet) never replaces
// anything, and any carrier status replaces "shipped", which is Waybill's
// own note that the fulfillment exists: carrier scans may predate it.
func NewerStatus(current ParcelStatus, currentAt time.Time, next ParcelStatus, at time.Time) bool {
	switch {
	case current == StatusDelivered, next == current, next == StatusPending, next == StatusShipped:
		return false
	case current == StatusPending, current == StatusShipped:
		return true
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
	case StatusAttemptedDelivery:
		return NotifyAttemptedDelivery, true
	case StatusAvailableForPickup:
		return NotifyReadyForPickup, true
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
	// Source is the provider that reported it (ProviderShopify, …); an
	// update from Shopify is never published back to Shopify.
	Source         string
	TrackingNumber string
	// FulfillmentID, when set, makes the update about that Shopify
	// fulfillment's shipments (Shopify's own events name no number).
	FulfillmentID int64
	// ForwardOnly: the update's time is not the carrier's (a fulfillment's
	// updated_at), so it may only move the parcel further along, never
	// win on time.
	ForwardOnly       bool
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
	// NewCheckpoints is how many checkpoints the update added.
	NewCheckpoints int
}

// Status providers: where a shop's parcel statuses come from.
const (
	ProviderShopify   = "shopify"   // Shopify's own carrier tracking (fulfillment shipment_status, events)
	Provider17Track   = "17track"   // 17TRACK API v2.2
	ProviderAfterShip = "aftership" // AfterShip Tracking API
	ProviderEasyPost  = "easypost"  // EasyPost trackers
	ProviderPush      = "push"      // a 3PL posting Waybill's signed JSON
)

// StatusSource is a shop's connection to a status provider: the key
// Waybill registers parcels with, and the secret the provider's pushes
// are signed with. Both are sealed at rest and shown never again after
// creation (a push source's secret once).
type StatusSource struct {
	ID       string `json:"id"`
	ShopID   string `json:"-"`
	Provider string `json:"provider"`
	Name     string `json:"name"`
	// APIKey is the provider account's key (aggregators): clear only in memory.
	APIKey string `json:"-"`
	// Secret signs the provider's pushes (a webhook secret; 17TRACK signs
	// with the API key itself): clear only in memory.
	Secret string `json:"-"`
	// Hints help the merchant tell keys apart: the last characters only.
	APIKeyHint string `json:"api_key_hint"`
	// CheckedAt/CheckError: the last test of the key against the provider.
	CheckedAt  *time.Time `json:"checked_at"`
	CheckError string     `json:"check_error"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Parcel is one tracking number as a provider is asked to track it.
type Parcel struct {
	TrackingNumber string
	// Carrier is Waybill's carrier name ("UPS", "Correos", "China Post"…);
	// the provider maps it to its own code, or lets its auto-detection
	// decide when it has none.
	Carrier            string
	DestinationCountry string // ISO 3166-1 alpha-2, may be empty
	// TrackerID is the provider's id for the parcel, once registered (an
	// AfterShip tracking id, an EasyPost trk_…); empty for 17TRACK, which
	// keys parcels by number.
	TrackerID string
}

// TrackerResult is what registering one parcel did.
type TrackerResult struct {
	TrackingNumber string
	TrackerID      string
	// Err is nil when the provider now tracks the number (a number it
	// already tracked counts). ErrInvalid: it refused the number for good;
	// others (ErrRateLimited, ErrUnavailable) are worth a retry.
	Err error
}

// TrackerLimits are a provider's published limits.
type TrackerLimits struct {
	// PerSecond is how many API requests a key may make per second.
	PerSecond int
	// BatchSize is how many numbers one register or poll request may carry.
	BatchSize int
	// Window is how long the provider keeps tracking a number it was given
	// (after which Waybill stops counting on its pushes).
	Window time.Duration
}

// StatusStore keeps parcel statuses and their sources.
type StatusStore interface {
	// ApplyStatusUpdate records the update's new checkpoints on the shop's
	// shipments with that tracking number and moves their status when the
	// update is newer (NewerStatus). Repeats and stale reports change
	// nothing. An update from Shopify (u.Source ProviderShopify) never
	// moves a shipment to a status it has already had: that is Shopify
	// showing back an event Waybill published.
	ApplyStatusUpdate(ctx context.Context, shopID string, u StatusUpdate) ([]StatusChange, error)
	Checkpoints(ctx context.Context, shipmentID string) ([]Checkpoint, error)
	CreateStatusSource(ctx context.Context, src *StatusSource) error
	StatusSourceByID(ctx context.Context, id string) (*StatusSource, error)
	// StatusSources lists the shop's sources, oldest first (secrets clear
	// in memory, for the caller to use, never to show).
	StatusSources(ctx context.Context, shopID string) ([]StatusSource, error)
	// DeleteStatusSource removes the shop's source (ErrNotFound otherwise).
	DeleteStatusSource(ctx context.Context, shopID, id string) error
	// RecordSourceCheck records the outcome of testing a source's key.
	RecordSourceCheck(ctx context.Context, id string, checkErr string) error
}

// StatusProvider is a kind of status source. Inbound, it posts to
// Waybill (/carriers/{name}/{source}): it names its signature header,
// checks it, and reads its documents. Outbound (Registers true), Waybill
// registers parcels with it, polls it where pushes do not come, and stops
// tracking delivered parcels. The statusfeed package has the
// implementations.
type StatusProvider interface {
	// Name is the provider's path segment: /carriers/{name}/{source}.
	Name() string
	// SignatureHeader is the request header carrying the signature.
	SignatureHeader() string
	// Verify checks the signature of body with the source's secret (or
	// key, as the provider signs) in constant time.
	Verify(body []byte, signature string, src *StatusSource) bool
	// Parse reads the body; ok false means a well-formed event that carries
	// no status (acknowledged and ignored).
	Parse(body []byte) (u StatusUpdate, ok bool, err error)

	// Registers reports whether Waybill registers parcels with the
	// provider (false for a 3PL push: it sends what it has).
	Registers() bool
	Limits() TrackerLimits
	// Register asks the provider to track the parcels (at most
	// Limits().BatchSize): one result per parcel, in order. The error is
	// for the request as a whole (key refused: ErrUnauthorized; rate
	// limited: ErrRateLimited; provider down: ErrUnavailable).
	Register(ctx context.Context, src *StatusSource, parcels []Parcel) ([]TrackerResult, error)
	// Poll reads the parcels' current status (the fallback when pushes do
	// not come): updates for the parcels the provider knows.
	Poll(ctx context.Context, src *StatusSource, parcels []Parcel) ([]StatusUpdate, error)
	// Stop ends tracking of the parcels (delivered, or given up).
	Stop(ctx context.Context, src *StatusSource, parcels []Parcel) error
	// Check proves the key works with the cheapest call the provider has.
	Check(ctx context.Context, src *StatusSource) error
}
