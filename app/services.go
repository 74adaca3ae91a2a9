package app

import (
	"context"
	"net/url"
	"time"
)

// Sealer encrypts secrets for storage. The associated data binds a sealed
// value to where it belongs (for example shop domain and field), so a value
// copied to another row does not open.
type Sealer interface {
	Seal(plaintext, associatedData []byte) (string, error)
	Open(sealed string, associatedData []byte) ([]byte, error)
}

// Locker gives mutual exclusion across processes (one token refresh at a time
// per shop, whatever the number of workers).
type Locker interface {
	// Lock blocks until the lock is held or ctx ends. unlock releases it; the
	// lock also expires after ttl so a crashed holder cannot wedge it.
	Lock(ctx context.Context, key string, ttl time.Duration) (unlock func(), err error)
}

// OAuthStates issues and consumes the single-use OAuth state values.
type OAuthStates interface {
	// Issue returns a new random state bound to shop, valid for ttl.
	Issue(ctx context.Context, shop string, ttl time.Duration) (string, error)
	// Consume returns the shop the state was issued for and deletes it, so a
	// state works once. Unknown or expired states give ErrForbidden.
	Consume(ctx context.Context, state string) (string, error)
}

// ShopifyAuth is the OAuth side of Shopify.
type ShopifyAuth interface {
	// AuthorizeURL is where the merchant approves the install.
	AuthorizeURL(shop, state string) (string, error)
	// ValidCallbackHMAC checks the hmac parameter of an OAuth callback in
	// constant time.
	ValidCallbackHMAC(query url.Values) bool
	// ExchangeCode trades an authorization code for an expiring offline token.
	ExchangeCode(ctx context.Context, shop, code string) (OfflineToken, error)
	// ValidWebhookHMAC checks X-Shopify-Hmac-Sha256 over the raw body in
	// constant time.
	ValidWebhookHMAC(body []byte, header string) bool
	// ValidProxySignature checks an app proxy request's signature parameter.
	ValidProxySignature(query url.Values) bool
}

// ShopifyAdmin is what jobs do to a store through the Admin API.
type ShopifyAdmin interface {
	// EnsureWebhookSubscriptions subscribes callbackURL to each topic the shop
	// is not yet subscribed to, and returns how many it created.
	EnsureWebhookSubscriptions(ctx context.Context, shop *Shop, callbackURL string, topics []string) (int, error)
	// RefreshToken refreshes the shop's access token if it expires within
	// the given time, one refresh at a time per shop.
	RefreshToken(ctx context.Context, shopDomain string, within time.Duration) error
	// ShopProfile reads the store's name, contact email, time zone and country.
	ShopProfile(ctx context.Context, shopDomain string) (ShopProfile, error)
	// FindOrder reads an order by id (or, when id is 0, by name) with its
	// fulfillment orders and fulfillments; ErrNotFound when Shopify has none.
	// known is Waybill's copy of the order (nil when it has none): the read
	// is sized to it and takes the customer's first name from it.
	FindOrder(ctx context.Context, shopDomain string, id int64, name string, known *Order) (*ShopifyOrder, error)
	// CreateFulfillment runs fulfillmentCreate and returns the fulfillment's
	// id and status (SUCCESS, or PENDING/OPEN while a fulfillment service
	// has not shipped it). Shopify's userErrors come back as ErrInvalid with
	// Shopify's message.
	CreateFulfillment(ctx context.Context, shopDomain string, r FulfillmentRequest) (id int64, status string, err error)
	// OrderFulfillments reads an order's fulfillments with their lines.
	OrderFulfillments(ctx context.Context, shopDomain string, orderID int64) ([]ExistingFulfillment, error)
	// CreateFulfillmentEvent adds a status to the fulfillment, so the
	// store's order status page shows it.
	CreateFulfillmentEvent(ctx context.Context, shopDomain string, fulfillmentID int64, status string, happenedAt time.Time, estimatedDelivery *time.Time, message string) error
	// FulfillmentTracking reads what Shopify's own carrier tracking knows of
	// a fulfillment (displayStatus, estimatedDeliveryAt, inTransitAt,
	// deliveredAt, events); ErrNotFound when the fulfillment is gone.
	FulfillmentTracking(ctx context.Context, shopDomain string, fulfillmentID int64) (*FulfillmentTracking, error)
	// UpdateFulfillmentTracking runs fulfillmentTrackingInfoUpdate.
	UpdateFulfillmentTracking(ctx context.Context, shopDomain string, fulfillmentID int64, number, company, url string, notify bool) error
	// CustomerSMSConsent reads the customer's SMS marketing consent with the
	// phone it is for (order webhooks no longer carry it): it counts for an
	// order's phone only when that phone is the customer's (see SMSConsent);
	// ErrNotFound when Shopify has no such customer.
	CustomerSMSConsent(ctx context.Context, shopDomain string, customerID int64) (SMSConsent, error)
	// OrderBackfiller reads the open orders placed before install (awaiting.go).
	OrderBackfiller
}

// SMSConsent is a customer's SMS consent as Shopify keeps it: for their default phone (as Shopify has it, not normalised).
// Shopify ties the consent to that phone only: an order's phone that is
// another number (a gift recipient's on the shipping address) has none.
type SMSConsent struct {
	Phone      string // "" when the customer has no phone
	Subscribed bool   // the consent's state is SUBSCRIBED
}

// RateLimiter counts requests per key in a window (tracking page lookups).
type RateLimiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error)
}

// Limiter bounds concurrent work per key across processes (pushes per shop,
// so one big shop cannot starve the others).
type Limiter interface {
	// Acquire takes one of limit slots; ok is false when all are taken. The
	// slot is held until release, the end of ctx, or ttl at the most; a
	// holder whose process dies loses it within seconds, not at ttl.
	Acquire(ctx context.Context, key string, limit int, ttl time.Duration) (release func(), ok bool, err error)
}

// Dispatcher queues background work: one method per task type, named after
// it. Queueing is durable when it returns nil, and queueing a task that is
// already queued (same shipment, notification, event…) is a no-op.
type Dispatcher interface {
	// QueueShopSetup queues shop:setup (profile and webhook subscriptions).
	QueueShopSetup(ctx context.Context, shopDomain string) error
	// QueueTrackingSync queues tracking:sync, the push of a shipment to
	// Shopify (one task per shipment at a time).
	QueueTrackingSync(ctx context.Context, shopDomain, shipmentID string) error
	// QueueNotificationEmail queues notification:email, the sending of a
	// recorded customer notification.
	QueueNotificationEmail(ctx context.Context, shopDomain, notificationID string) error
	// QueueCustomerText queues text:send, the sending of a recorded
	// customer text (WhatsApp or SMS).
	QueueCustomerText(ctx context.Context, shopDomain, textID string) error
	// QueueTrackingEvent queues tracking:event, telling Shopify (and the
	// customer) a shipment's new parcel status.
	QueueTrackingEvent(ctx context.Context, shopDomain, shipmentID string, status ParcelStatus) error
	// QueueTrackerRegister queues tracker:register, registering a
	// shipment's number with the shop's aggregator, after delay (a batch
	// is spread over time within the provider's rate).
	QueueTrackerRegister(ctx context.Context, shopDomain, shipmentID string, delay time.Duration) error
	// QueueSourceConnected queues source:connected, registering the parcels
	// already on their way with a newly connected aggregator.
	QueueSourceConnected(ctx context.Context, shopDomain, sourceID string) error
	// QueueStallDigest queues stall:digest, the merchant's daily email of
	// stalled parcels (once per shop and day).
	QueueStallDigest(ctx context.Context, shopDomain, day string) error
	// QueueInsightRefresh queues insights:refresh_shop, recomputing the
	// shop's insights snapshots (one task per shop at a time).
	QueueInsightRefresh(ctx context.Context, shopDomain string) error
	// QueueOrderBackfill queues orders:backfill, reading the shop's open,
	// unfulfilled orders from Shopify from cursor ("" for the first page).
	QueueOrderBackfill(ctx context.Context, shopDomain, cursor string) error
	// QueueWebhook queues a verified webhook for its topic's task. Queueing
	// the same delivery twice is a no-op.
	QueueWebhook(ctx context.Context, w WebhookDelivery) error
}

// WebhookDelivery is a verified webhook, as received.
type WebhookDelivery struct {
	Shop       string
	Topic      string
	EventID    string // X-Shopify-Event-Id: shared by every delivery one merchant action caused
	WebhookID  string // X-Shopify-Webhook-Id: this one delivery (one per subscription)
	APIVersion string
	// ResourceID is the id of what the body is about (the order, the
	// fulfillment, the customer…), read from the body at intake.
	ResourceID string
	Body       []byte
}

// DedupID identifies the change a delivery reports, for its topic. One
// merchant action (a bulk edit) fires one event id for many orders, so the
// event id alone would drop all but one; the same change delivered twice
// (a retry, or two subscriptions) has one event id and one resource. So: the
// event id with the resource id, or the webhook id when Shopify sent no
// event id.
func (w WebhookDelivery) DedupID() string {
	switch {
	case w.EventID == "":
		return w.WebhookID
	case w.ResourceID == "":
		return w.EventID
	}
	return w.EventID + ":" + w.ResourceID
}
