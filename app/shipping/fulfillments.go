package shipping

import (
	"context"
	"net/url"
	"strings"

	"github.com/waybill-app/waybill/app"
)

// maxShopifyNumberLength bounds a number Shopify reports. Shopify's own
// numbers are kept as Shopify has them (they need not fit intake's pattern:
// the fulfillment exists already), but one longer than this is not a
// tracking number.
const maxShopifyNumberLength = 255

// RecordFulfillment records a fulfillment made outside Waybill (in the
// Shopify admin, by a 3PL or another app) as shipments, one per tracking
// number, so each parcel is tracked and its customer told. Only a successful
// fulfillment is shipped: a pending or open one (a fulfillment service has
// not sent it yet) is recorded and told when it succeeds; a changed number
// is told as a tracking update; a cancelled or failed one marks its
// shipments so, and nothing more is tracked or told for them. A fulfillment
// without a number waits: the update that adds one records it.
func (svc *Service) RecordFulfillment(ctx context.Context, shop *app.Shop, f app.ShopifyFulfillment) error {
	f = svc.intakeRules(ctx, shop, f)
	if len(f.TrackingNumbers) == 0 && !f.Status.Failed() {
		return nil
	}
	recorded, err := svc.Shipments.RecordShopifyFulfillment(ctx, shop.ID, f)
	if err != nil {
		return err
	}
	for _, r := range recorded {
		svc.Log.InfoContext(ctx, "fulfillment recorded", "shop", shop.Domain, "shipment_id", r.Shipment.ID,
			"change", r.Change, "fulfillment_status", f.Status)
		switch {
		case r.Change == app.FulfillmentEnded || !f.Status.Shipped():
		case r.Change == app.FulfillmentTrackingChanged:
			svc.shipped(ctx, shop, r.Shipment, app.NotifyTrackingUpdated)
		default:
			// New, or now successful: "shipped" goes out once per shipment,
			// whoever (a push, an earlier webhook) got here first.
			svc.shipped(ctx, shop, r.Shipment, app.NotifyShipped)
		}
	}
	if st, ok := app.ShopifyShipmentStatus(f.ShipmentStatus); ok && f.Status.Shipped() {
		// Shopify's own carrier tracking, on the fulfillment itself. Its
		// time is when the fulfillment was touched, not the carrier's: it
		// only moves a parcel forward (fulfillment_events/create carries
		// the carrier's times), and after a number change it may still be
		// the old parcel's (ApplyStatusUpdate drops what predates it).
		at := f.UpdatedAt
		if at.IsZero() {
			at = svc.Clock.Now()
		}
		for _, r := range recorded {
			if r.Shipment.TrackingSince != nil {
				return nil
			}
		}
		if _, err := svc.ApplyStatus(ctx, shop, app.StatusUpdate{Source: app.ProviderShopify, FulfillmentID: f.ID, Status: st,
			StatusAt: at, ForwardOnly: true}); err != nil {
			return err
		}
	}
	return nil
}

// intakeRules applies intake's rules to what a webhook reports, keeping
// every parcel: a tracking URL that is not http(s) (javascript:, data:…) is
// dropped and the number kept; so is a carrier name intake would refuse (too
// long, control characters). Numbers are Shopify's own, kept as they are
// unless they are not text at all (control characters, over 255
// characters). Each drop is logged, without the value.
func (svc *Service) intakeRules(ctx context.Context, shop *app.Shop, f app.ShopifyFulfillment) app.ShopifyFulfillment {
	drop := func(what, why string) {
		svc.Log.WarnContext(ctx, "fulfillment webhook: "+what+" dropped", "shop", shop.Domain, "fulfillment_id", f.ID, "reason", why)
	}
	if msg := carrierProblem(f.Carrier); msg != "" {
		drop("carrier", msg)
		f.Carrier = ""
	}
	numbers := make([]string, 0, len(f.TrackingNumbers))
	urls := make([]string, 0, len(f.TrackingNumbers))
	for i, n := range f.TrackingNumbers {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if msg := app.TextProblem("tracking_number", n, maxShopifyNumberLength); msg != "" {
			drop("tracking number", msg)
			continue
		}
		link := ""
		if i < len(f.TrackingURLs) {
			link = strings.TrimSpace(f.TrackingURLs[i])
		}
		if link != "" {
			if msg := app.TrackingURLProblem(link); msg != "" {
				drop("tracking_url", msg+" (scheme "+urlScheme(link)+")")
				link = ""
			}
		}
		numbers, urls = append(numbers, n), append(urls, link)
	}
	f.TrackingNumbers, f.TrackingURLs = numbers, urls
	return f
}

// urlScheme names a refused link's scheme for the log, never the link.
func urlScheme(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || len(u.Scheme) > 20 {
		return "none"
	}
	return strings.ToLower(u.Scheme)
}
