// Package shipping is the shipment's whole life, in one place: tracking
// numbers in from any source (supplier API, CSV, the merchant), the plan and
// the push that make them Shopify fulfillments, the state each attempt
// settles in, carrier statuses published as fulfillment events, and the
// customer email each step decides on and builds.
//
// It talks to Shopify, the store, the queue and the mailer only through the
// interfaces in app, so it runs without Asynq or HTTP: jobs and the HTTP
// server are thin adapters that call a method here and map its error code.
//
// The three paths, each in one file:
//   - submit.go (Submit, ImportCSV) → push.go (Push): a number becomes a fulfillment;
//   - fulfillments.go (RecordFulfillment): a fulfillment made elsewhere becomes a shipment;
//   - status.go (ApplyStatus → PublishStatus): a carrier status becomes a fulfillment event;
//   - tracking.go (shipped → RegisterTracker, PollDue, CheckStalls; digest.go): a shipped
//     parcel is followed — registered with the shop's aggregator, polled where no push
//     comes, marked stalled when it stops moving;
//
// and every one of them ends in notify.go (notify → SendEmail): the customer
// email, decided once per (shipment, event) and built in one place.
package shipping

import (
	"context"
	"log/slog"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/carrier"
	"github.com/waybill-app/waybill/app/email"
)

// DefaultPushesPerShop bounds a shop's concurrent pushes.
const DefaultPushesPerShop = 4

// Service runs the shipment lifecycle. Every field is required: main's
// assembly builds it whole, in production and in tests.
type Service struct {
	Shops     app.ShopStore
	Orders    app.OrderStore
	Shipments app.ShipmentStore
	Status    app.StatusStore
	Tracking  app.TrackingStore
	Lister    app.ShipmentLister
	// Providers are the status providers by name (statusfeed.Providers).
	Providers     map[string]app.StatusProvider
	RateLimiter   app.RateLimiter // paces calls to providers
	Notifications app.NotificationStore
	Insights      app.Insights // analytics and their snapshots (insights.go)
	Admin         app.ShopifyAdmin
	Dispatch      app.Dispatcher
	Limiter       app.Limiter // a shop's concurrent pushes
	Locker        app.Locker  // one status event at a time per shipment
	Carriers      *carrier.Detector
	Emails        *email.Renderer
	Mailer        app.Mailer
	// Texts, TextSenders (by channel) and Templates are the customer's
	// texts (texts.go): the store, the providers and Meta's templates;
	// TemplateDefinitions gives Waybill's WhatsApp templates for a shop's
	// tracking page base URL (app/whatsapp).
	Texts               app.TextStore
	TextSenders         map[app.Channel]app.TextSender
	Templates           app.TemplateManager
	TemplateDefinitions func(trackingBaseURL string) []app.TemplateDefinition
	// TemplateParams are an event's template parameters in its body's order.
	TemplateParams func(e app.NotificationEvent, orderName, carrier, trackingNumber string) []string
	// AppURL is where providers report back (Twilio's status callbacks).
	AppURL        string
	Unsubscribes  app.Unsubscribes
	TrackingLinks app.TrackingLinks
	ShortLinks    app.ShortLinks // the tracking page's link in an SMS
	Metrics       app.Metrics    // push outcomes and latency (app/metrics)
	// AppAPIKey names the app in admin links (the merchant's digest).
	AppAPIKey string
	// PushesPerShop bounds a shop's concurrent pushes to Shopify.
	PushesPerShop int
	// InsightsSnapshotFrom: a preset insights period with at least this
	// many shipments is served from its snapshot; smaller ones are computed
	// live (exact, and fast at that size). 0 serves every fresh snapshot.
	InsightsSnapshotFrom int
	Clock                app.Clock
	Log                  *slog.Logger
}

// Owned returns the shop's shipment; another shop's is "not found", never
// "forbidden", so ids reveal nothing across tenants. Every admin action on a
// shipment starts here.
func (svc *Service) Owned(ctx context.Context, shop *app.Shop, id string) (*app.Shipment, error) {
	s, err := svc.Shipments.ShipmentByID(ctx, id)
	if err != nil || s.ShopID != shop.ID {
		return nil, app.Errorf(app.ErrNotFound, "no shipment %s in this store", id)
	}
	return s, nil
}

// activeShop is the one rule for work done on a shop's behalf: the shop must
// be installed and authorised. A shop that is not stays as it is; its work
// resumes when it is back (the stalled sweep queues it).
func (svc *Service) activeShop(ctx context.Context, id string) *app.Shop {
	shop, err := svc.Shops.ShopByID(ctx, id)
	if err != nil || !shop.Active() {
		return nil
	}
	return shop
}
