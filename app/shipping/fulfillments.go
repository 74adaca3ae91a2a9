package shipping

import (
	"context"

	"github.com/waybill-app/waybill/app"
)

// RecordFulfillment records a fulfillment made outside Waybill (in the
// Shopify admin, by a 3PL or another app) as shipments, one per tracking
// number, so each parcel is tracked and its customer told. Only a successful
// fulfillment is shipped: a pending or open one (a fulfillment service has
// not sent it yet) is recorded and told when it succeeds; a changed number
// is told as a tracking update; a cancelled or failed one marks its
// shipments so, and nothing more is tracked or told for them. A fulfillment
// without a number waits: the update that adds one records it.
func (svc *Service) RecordFulfillment(ctx context.Context, shop *app.Shop, f app.ShopifyFulfillment) error {
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
			svc.notify(ctx, shop, r.Shipment, app.NotifyTrackingUpdated)
		default:
			// New, or now successful: "shipped" goes out once per shipment,
			// whoever (a push, an earlier webhook) got here first.
			svc.notify(ctx, shop, r.Shipment, app.NotifyShipped)
		}
	}
	return nil
}
