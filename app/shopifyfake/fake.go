// Package shopifyfake is a Shopify store that behaves like the real one for
// everything Waybill uses: OAuth (authorization code, expiring offline tokens,
// refresh, token exchange), the GraphQL Admin API for orders, fulfillment
// orders, fulfillments, fulfillment events and webhook subscriptions — with
// access-token checks, userErrors, quantities that go down as items are
// fulfilled, the GraphQL cost bucket, and injectable faults — and signed
// webhooks sent to an app, shaped like the samples of Shopify's webhook
// reference.
//
// It refuses what Shopify refuses: every GraphQL request is validated
// against Shopify's published Admin API schema (package adminschema) and its
// variables coerced, and every field it selects is checked against the
// access scopes its token was granted (ACCESS_DENIED otherwise). Tokens
// carry the scopes asked for at authorize, or the app's configured scopes
// (Options.Scopes, by default Waybill's config.DefaultScopes).
//
// Tests mount Handler on an httptest server and point SHOPIFY_ADMIN_ORIGIN at
// it; `waybill devstore` runs it on a port with a seeded demo shop. Requests
// name their shop by the Host header (https://{shop} traffic keeps it).
package shopifyfake

import (
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/config"
)

// SupportedAPIVersions lists the Admin API versions the fake answers; others
// get 404 like a retired version on Shopify.
var SupportedAPIVersions = map[string]bool{"2026-01": true, "2026-04": true, "2026-07": true, "2026-10": true}

// Options configure a Store.
type Options struct {
	APIKey    string
	APISecret string
	Clock     app.Clock // default: the system clock
	// AccessTokenTTL is the life of an expiring offline token (Shopify: 1h).
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is the life of a refresh token (Shopify: 90 days).
	RefreshTokenTTL time.Duration
	// Bucket is the GraphQL cost bucket; zero values mean Shopify's standard
	// plan: 1,000 points, 50 restored per second.
	BucketSize  float64
	RestoreRate float64
	// HTTPClient sends webhooks (default: a client with a 10s timeout).
	HTTPClient *http.Client
	// DeliverWebhooks makes the store send webhooks to subscribed URIs when
	// orders and fulfillments change, as Shopify does.
	DeliverWebhooks bool
	// Log receives the webhook deliveries that failed (default: slog.Default()).
	Log *slog.Logger
	// Scopes are the access scopes the app is configured with (its
	// shopify.app.toml): what token exchange and IssueOfflineToken grant,
	// and what an authorize request that names no scope gets. Default:
	// Waybill's own default, config.DefaultScopes. Every Admin API call is
	// checked against the scopes of the token it carries.
	Scopes string
}

// Store is the fake Shopify. Safe for concurrent use.
type Store struct {
	opts   Options
	clock  app.Clock
	mu     sync.Mutex
	shops  map[string]*Shop
	nextID int64
	faults Faults
	calls  map[string]int
	// pending webhook deliveries
	deliveries sync.WaitGroup
	devAppURL  string
}

// Faults are injected into Admin API (GraphQL) calls, in this order:
// Latency, then ServerErrors (HTTP 503), then HTTPThrottles (HTTP 429 with
// Retry-After), then Throttles (GraphQL THROTTLED). Counts go down by one per
// affected call.
type Faults struct {
	Latency       time.Duration
	ServerErrors  int
	HTTPThrottles int
	Throttles     int
	// RetryAfter is the Retry-After of HTTP throttles, in seconds (default 1).
	RetryAfter int
	// FulfillmentUserErrors makes the next fulfillmentCreate calls answer
	// with this userError, as when a fulfillment order was put on hold
	// between Waybill's read and its write.
	FulfillmentUserErrors int
	UserErrorMessage      string
}

// Shop is one store's state. Read it through the Store's methods, which
// return copies.
type Shop struct {
	Domain        string
	Name          string
	Email         string
	PrimaryLocale string
	Currency      string
	// Timezone is the store's IANA time zone (default "Europe/Madrid") and
	// Country its address's ISO 3166-1 alpha-2 code (default "ES").
	Timezone  string
	Country   string
	Locations []Location

	id            int64 // gid://shopify/Shop/{id}, the webhooks' shop_id
	orders        []*Order
	subscriptions []*WebhookSubscription
	accessTokens  map[string]tokenGrant // token → expiry (zero: never) and scopes
	refreshTokens map[string]tokenGrant
	codes         map[string]tokenGrant // authorization code → expiry and the scopes asked for
	bucket        float64
	bucketAt      time.Time
	pointsCharged float64
	costs         map[string]OperationCost // by operation name
}

// OperationCost is what one operation's answered calls cost in all.
type OperationCost struct {
	Calls     int
	Requested float64 // the requestedQueryCost of each call, summed
	Actual    float64 // what the calls were charged
}

func (sh *Shop) account(operation string, requested, actual int) {
	if sh.costs == nil {
		sh.costs = map[string]OperationCost{}
	}
	c := sh.costs[operation]
	c.Calls++
	c.Requested += float64(requested)
	c.Actual += float64(actual)
	sh.costs[operation] = c
}

// Location is where inventory ships from.
type Location struct {
	ID   int64
	Name string
}

// Order is a store order.
type Order struct {
	ID                int64
	Name              string
	Email             string
	CustomerLocale    string
	CustomerFirstName string
	CustomerLastName  string
	ShippingCountry   string // ISO code
	ShippingCity      string
	// BillingCountry is the billing address's country when it differs from
	// the shipping address's ("" : the same address). An order with no
	// shipping address (a pickup) has only this.
	BillingCountry string
	// Phone is the order's phone (REST phone, GraphQL Order.phone),
	// ShippingPhone the shipping address's, CustomerPhone the customer's
	// (REST customer.phone, GraphQL Customer.defaultPhoneNumber), each as
	// the buyer typed it.
	Phone, ShippingPhone, CustomerPhone string
	// SMSConsent is the customer's SMS marketing consent state as GraphQL
	// names it (SUBSCRIBED, UNSUBSCRIBED, PENDING, REDACTED); "" is never
	// subscribed. Only a customer with a phone has one, and it is for that
	// phone (CustomerPhone), not the order's or the shipping address's.
	SMSConsent string
	// SMSConsentUpdatedAt is when it was given (zero: never).
	SMSConsentUpdatedAt time.Time
	// CustomerID is set when the order names a customer (an email, a name
	// or a phone).
	CustomerID        int64
	Currency          string // the shop's
	LineItems         []*LineItem
	FulfillmentOrders []*FulfillmentOrder
	Fulfillments      []*Fulfillment
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// LineItem is an order line.
type LineItem struct {
	ID         int64
	SKU        string
	Title      string
	Quantity   int
	LocationID int64  // where it ships from; one fulfillment order per location
	Price      string // e.g. "19.99"; empty reads as "0.00"
}

// FulfillmentOrder groups line items to fulfil from one location.
type FulfillmentOrder struct {
	ID         int64
	LocationID int64
	Status     string // OPEN, IN_PROGRESS, CLOSED
	LineItems  []*FulfillmentOrderLineItem
}

// FulfillmentOrderLineItem tracks how much of a line item is left to fulfil.
type FulfillmentOrderLineItem struct {
	ID                int64
	LineItemID        int64
	TotalQuantity     int
	RemainingQuantity int
}

// Fulfillment is a shipment recorded on the order.
type Fulfillment struct {
	ID         int64
	OrderID    int64
	LocationID int64
	// Status is a FulfillmentStatus enum value: SUCCESS, CANCELLED, ERROR,
	// FAILURE, OPEN or PENDING (webhooks write it lower case).
	Status         string
	TrackingInfo   []TrackingInfo
	LineItems      []FulfillmentLineItem
	Events         []FulfillmentEvent
	NotifyCustomer bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// TrackingInfo is a fulfillment's tracking company, number and URL.
type TrackingInfo struct {
	Company string
	Number  string
	URL     string
}

// FulfillmentLineItem is a line item quantity in a fulfillment.
type FulfillmentLineItem struct {
	ID         int64
	LineItemID int64
	Quantity   int
}

// FulfillmentEvent is a carrier status update on a fulfillment: added by
// an app (fulfillmentEventCreate) or by Shopify's own carrier tracking
// (TrackFulfillment). City, Address1, Zip and the coordinates are
// protected customer data in the Admin API.
type FulfillmentEvent struct {
	ID                  int64
	Status              string // a FulfillmentEventStatus: IN_TRANSIT, DELIVERED…
	Message             string
	HappenedAt          time.Time
	EstimatedDeliveryAt *time.Time
	City                string
	Province            string
	Country             string
	Zip                 string
	Address1            string
	Latitude, Longitude *float64
	CreatedAt           time.Time // when Shopify recorded it
}

// WebhookSubscription is a topic subscribed to a URI.
type WebhookSubscription struct {
	ID    int64
	Topic string // enum form, e.g. ORDERS_CREATE
	URI   string
}

// New returns an empty store.
func New(opts Options) *Store {
	if opts.Clock == nil {
		opts.Clock = app.SystemClock{}
	}
	if opts.AccessTokenTTL == 0 {
		opts.AccessTokenTTL = time.Hour
	}
	if opts.RefreshTokenTTL == 0 {
		opts.RefreshTokenTTL = 90 * 24 * time.Hour
	}
	if opts.BucketSize == 0 {
		opts.BucketSize = 1000
	}
	if opts.RestoreRate == 0 {
		opts.RestoreRate = 50
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Scopes == "" {
		opts.Scopes = config.DefaultScopes
	}
	return &Store{opts: opts, clock: opts.Clock, shops: map[string]*Shop{}, nextID: 1000, calls: map[string]int{}}
}

func (s *Store) id() int64 {
	s.nextID++
	return s.nextID
}

// AddShop creates a shop with one location ("Main warehouse") if it has none.
func (s *Store) AddShop(sh Shop) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh.Name == "" {
		sh.Name = sh.Domain
	}
	if sh.PrimaryLocale == "" {
		sh.PrimaryLocale = "en"
	}
	if sh.Currency == "" {
		sh.Currency = "USD"
	}
	if sh.Timezone == "" {
		sh.Timezone = "Europe/Madrid"
	}
	if sh.Country == "" {
		sh.Country = "ES"
	}
	sh.id = s.id()
	if len(sh.Locations) == 0 {
		sh.Locations = []Location{{ID: s.id(), Name: "Main warehouse"}}
	}
	sh.accessTokens = map[string]tokenGrant{}
	sh.refreshTokens = map[string]tokenGrant{}
	sh.codes = map[string]tokenGrant{}
	sh.bucket = s.opts.BucketSize
	sh.bucketAt = s.clock.Now()
	s.shops[sh.Domain] = &sh
}

// LocationIDs returns the shop's location ids, first is the default.
func (s *Store) LocationIDs(shop string) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	if sh := s.shops[shop]; sh != nil {
		for _, l := range sh.Locations {
			ids = append(ids, l.ID)
		}
	}
	return ids
}

// AddLocation adds a location and returns its id.
func (s *Store) AddLocation(shop, name string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.id()
	s.shops[shop].Locations = append(s.shops[shop].Locations, Location{ID: id, Name: name})
	return id
}

// NewOrder describes an order to create.
type NewOrder struct {
	Name              string // default #1001, #1002…
	Email             string
	CustomerLocale    string
	CustomerFirstName string
	CustomerLastName  string
	ShippingCountry   string
	ShippingCity      string
	BillingCountry    string // only when the billing address is elsewhere
	// Phone, ShippingPhone, CustomerPhone: see Order.
	Phone, ShippingPhone, CustomerPhone string
	// SMSConsent: see Order ("SUBSCRIBED" for a customer who ticked the
	// checkout's SMS box).
	SMSConsent string
	LineItems  []NewLineItem
}

// NewLineItem is a line of a NewOrder. LocationID 0 is the shop's first location.
type NewLineItem struct {
	SKU        string
	Title      string
	Quantity   int
	LocationID int64
	Price      string // optional, e.g. "19.99"
}

// CreateOrder adds an order with one open fulfillment order per location and
// returns a copy. With DeliverWebhooks, orders/create is sent.
func (s *Store) CreateOrder(shop string, n NewOrder) Order {
	s.mu.Lock()
	sh := s.shops[shop]
	if sh == nil {
		s.mu.Unlock()
		panic(fmt.Sprintf("shopifyfake: no shop %s", shop))
	}
	now := s.clock.Now()
	o := &Order{
		ID: s.id(), Name: n.Name, Email: n.Email, CustomerLocale: n.CustomerLocale,
		CustomerFirstName: n.CustomerFirstName, CustomerLastName: n.CustomerLastName,
		ShippingCountry: n.ShippingCountry, ShippingCity: n.ShippingCity, BillingCountry: n.BillingCountry,
		Phone: n.Phone, ShippingPhone: n.ShippingPhone, CustomerPhone: n.CustomerPhone, SMSConsent: n.SMSConsent,
		Currency: sh.Currency, CreatedAt: now, UpdatedAt: now,
	}
	if n.SMSConsent != "" {
		o.SMSConsentUpdatedAt = now
	}
	if n.Email != "" || n.CustomerFirstName != "" || n.CustomerLastName != "" || n.CustomerPhone != "" {
		o.CustomerID = s.id()
	}
	if o.Name == "" {
		o.Name = fmt.Sprintf("#%d", 1001+len(sh.orders))
	}
	byLocation := map[int64]*FulfillmentOrder{}
	var locations []int64
	for _, li := range n.LineItems {
		loc := li.LocationID
		if loc == 0 {
			loc = sh.Locations[0].ID
		}
		item := &LineItem{ID: s.id(), SKU: li.SKU, Title: li.Title, Quantity: li.Quantity, LocationID: loc, Price: li.Price}
		o.LineItems = append(o.LineItems, item)
		fo := byLocation[loc]
		if fo == nil {
			fo = &FulfillmentOrder{ID: s.id(), LocationID: loc, Status: "OPEN"}
			byLocation[loc] = fo
			locations = append(locations, loc)
		}
		fo.LineItems = append(fo.LineItems, &FulfillmentOrderLineItem{
			ID: s.id(), LineItemID: item.ID, TotalQuantity: li.Quantity, RemainingQuantity: li.Quantity,
		})
	}
	for _, loc := range locations {
		o.FulfillmentOrders = append(o.FulfillmentOrders, byLocation[loc])
	}
	sh.orders = append(sh.orders, o)
	copy := copyOrder(o)
	s.mu.Unlock()
	s.deliver(shop, "orders/create", restOrder(&copy))
	return copy
}

// SetSMSConsent changes the customer's SMS marketing consent state
// ("SUBSCRIBED", "UNSUBSCRIBED", …), as the customer does in their account
// or the merchant in the admin: no order webhook follows.
func (s *Store) SetSMSConsent(shop string, customerID int64, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh := s.shops[shop]; sh != nil {
		for _, o := range sh.orders {
			if o.CustomerID == customerID {
				o.SMSConsent, o.SMSConsentUpdatedAt = state, s.clock.Now()
			}
		}
	}
}

// Order returns a copy of the order with that id.
func (s *Store) Order(shop string, id int64) (Order, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.findOrder(shop, id); o != nil {
		return copyOrder(o), true
	}
	return Order{}, false
}

// Orders returns copies of all the shop's orders, oldest first.
func (s *Store) Orders(shop string) []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Order
	if sh := s.shops[shop]; sh != nil {
		for _, o := range sh.orders {
			out = append(out, copyOrder(o))
		}
	}
	return out
}

// Subscriptions returns the shop's webhook subscriptions.
func (s *Store) Subscriptions(shop string) []WebhookSubscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []WebhookSubscription
	if sh := s.shops[shop]; sh != nil {
		for _, w := range sh.subscriptions {
			out = append(out, *w)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Topic < out[j].Topic })
	return out
}

func (s *Store) findOrder(shop string, id int64) *Order {
	if sh := s.shops[shop]; sh != nil {
		for _, o := range sh.orders {
			if o.ID == id {
				return o
			}
		}
	}
	return nil
}

func copyOrder(o *Order) Order {
	c := *o
	c.LineItems = nil
	for _, li := range o.LineItems {
		l := *li
		c.LineItems = append(c.LineItems, &l)
	}
	c.FulfillmentOrders = nil
	for _, fo := range o.FulfillmentOrders {
		f := *fo
		f.LineItems = nil
		for _, li := range fo.LineItems {
			l := *li
			f.LineItems = append(f.LineItems, &l)
		}
		c.FulfillmentOrders = append(c.FulfillmentOrders, &f)
	}
	c.Fulfillments = nil
	for _, fl := range o.Fulfillments {
		f := *fl
		f.TrackingInfo = append([]TrackingInfo(nil), fl.TrackingInfo...)
		f.LineItems = append([]FulfillmentLineItem(nil), fl.LineItems...)
		f.Events = append([]FulfillmentEvent(nil), fl.Events...)
		c.Fulfillments = append(c.Fulfillments, &f)
	}
	return c
}

// PointsCharged is the GraphQL cost the shop's calls were charged in all.
func (s *Store) PointsCharged(shop string) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh := s.shops[shop]; sh != nil {
		return sh.pointsCharged
	}
	return 0
}

// Costs is, per operation name ("" for anonymous ones), what the shop's
// answered calls requested and were charged: a load command's points per
// shipment, a test's bound on what a workflow asks for.
func (s *Store) Costs(shop string) map[string]OperationCost {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]OperationCost{}
	if sh := s.shops[shop]; sh != nil {
		for k, v := range sh.costs {
			out[k] = v
		}
	}
	return out
}

// InjectFaults replaces the pending faults.
func (s *Store) InjectFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Calls returns how many times a GraphQL root field (e.g. "fulfillmentCreate")
// reached its resolver, a token grant (e.g. "grant:refresh_token") issued a
// token, the token endpoint was called at all ("token_request"), or a
// webhook delivery failed ("webhook_failed": unreachable, or not 2xx).
func (s *Store) Calls(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[name]
}

// IssueOfflineToken gives a shop a valid expiring offline token pair without
// OAuth, for tests and load commands that start from an installed shop. The
// expiry times are the fake's own, so callers do not guess them. The token
// carries the app's configured scopes (Options.Scopes).
func (s *Store) IssueOfflineToken(shop string) app.OfflineToken {
	return s.IssueOfflineTokenWithScopes(shop, s.opts.Scopes)
}

// IssueOfflineTokenWithScopes is IssueOfflineToken with the granted scopes
// given (comma separated), as when a merchant installed an older version of
// the app that asked for fewer: calls needing more are refused with
// ACCESS_DENIED. Refreshing the token keeps its scopes.
func (s *Store) IssueOfflineTokenWithScopes(shop, scopes string) app.OfflineToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shops[shop]
	if sh == nil {
		panic(fmt.Sprintf("shopifyfake: no shop %s", shop))
	}
	now := s.clock.Now()
	tok := app.OfflineToken{
		AccessToken: "shpat_" + randomHex(16), AccessTokenExpiresAt: now.Add(s.opts.AccessTokenTTL),
		RefreshToken: "shprt_" + randomHex(16), RefreshTokenExpiresAt: now.Add(s.opts.RefreshTokenTTL),
		Scopes: scopes,
	}
	sh.accessTokens[tok.AccessToken] = tokenGrant{expires: tok.AccessTokenExpiresAt, scopes: scopes}
	sh.refreshTokens[tok.RefreshToken] = tokenGrant{expires: tok.RefreshTokenExpiresAt, scopes: scopes}
	return tok
}

// TokenScopes returns the scopes an access token of the shop was granted,
// and whether the token is known.
func (s *Store) TokenScopes(shop, accessToken string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh := s.shops[shop]; sh != nil {
		if g, ok := sh.accessTokens[accessToken]; ok {
			return g.scopes, true
		}
	}
	return "", false
}

// RevokeTokens invalidates every access and refresh token of the shop (as an
// uninstall or a revoked secret does).
func (s *Store) RevokeTokens(shop string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shops[shop]
	sh.accessTokens = map[string]tokenGrant{}
	sh.refreshTokens = map[string]tokenGrant{}
}

// Wait blocks until webhook deliveries in flight are done.
func (s *Store) Wait() { s.deliveries.Wait() }
