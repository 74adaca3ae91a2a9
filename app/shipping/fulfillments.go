package shipping

import (
	"context"

	"github.com/waybill-app/waybill/app"
)

// RecordFulfillment records a fulfillment made outside Waybill (in the
// Shopify admin, by a 3PL or another app) as a shipment, so its customer is
// told and its parcel tracked; a changed number is recorded as a change and
// told as a tracking update. A fulfillment without a number waits: the
// update that adds one records it.
func (svc *Service) RecordFulfillment(ctx context.Context, shop *app.Shop, f app.ShopifyFulfillment) error {
	if f.TrackingNumber == "" {
		return nil
	}
	shipment, change, err := svc.Shipments.RecordShopifyFulfillment(ctx, shop.ID, f)
	if err != nil {
		return err
	}
	svc.Log.InfoContext(ctx, "fulfillment recorded", "shop", shop.Domain, "shipment_id", shipment.ID, "change", change)
	switch change {
	case app.FulfillmentNew:
		svc.notify(ctx, shop, shipment, app.NotifyShipped)
	case app.FulfillmentTrackingChanged:
		svc.notify(ctx, shop, shipment, app.NotifyTrackingUpdated)
	}
	return nil
}
