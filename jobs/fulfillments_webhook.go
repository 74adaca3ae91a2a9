package jobs

import (
	"context"

	"github.com/waybill-app/waybill/app"
)

// fulfillments/create and fulfillments/update record fulfillments made
// outside Waybill (in the admin, by a 3PL or another app) as shipments, so
// they can be notified and tracked; a changed number is recorded as a change.
const (
	TypeFulfillmentsCreate = "fulfillments:create"
	TypeFulfillmentsUpdate = "fulfillments:update"
)

type fulfillmentWebhook struct {
	ID              int64    `json:"id"`
	OrderID         int64    `json:"order_id"`
	Status          string   `json:"status"`
	TrackingCompany string   `json:"tracking_company"`
	TrackingNumber  string   `json:"tracking_number"`
	TrackingNumbers []string `json:"tracking_numbers"`
	TrackingURL     string   `json:"tracking_url"`
	LineItems       []struct {
		ID       int64  `json:"id"`
		SKU      string `json:"sku"`
		Title    string `json:"title"`
		Name     string `json:"name"`
		Quantity int    `json:"quantity"`
	} `json:"line_items"`
}

func (d Deps) handleFulfillmentWebhook(ctx context.Context, shop *app.Shop, p WebhookPayload) error {
	var w fulfillmentWebhook
	if err := decodeBody(p, &w); err != nil {
		return err
	}
	if w.ID == 0 || w.OrderID == 0 {
		return app.Errorf(app.ErrInvalid, "the fulfillment webhook lacks id or order_id")
	}
	number := w.TrackingNumber
	if number == "" && len(w.TrackingNumbers) > 0 {
		number = w.TrackingNumbers[0]
	}
	if number == "" {
		// Nothing to track or tell the customer yet; a later
		// fulfillments/update that adds a number creates the shipment.
		return nil
	}
	f := app.ShopifyFulfillment{ID: w.ID, OrderID: w.OrderID, TrackingNumber: number, Carrier: w.TrackingCompany, TrackingURL: w.TrackingURL}
	for _, li := range w.LineItems {
		title := li.Title
		if title == "" {
			title = li.Name
		}
		f.LineItems = append(f.LineItems, app.ShipmentLineItem{LineItemID: li.ID, SKU: li.SKU, Title: title, Quantity: li.Quantity})
	}
	shipment, change, err := d.Shipments.RecordShopifyFulfillment(ctx, shop.ID, f)
	if err != nil {
		return err
	}
	d.Log.InfoContext(ctx, "fulfillment recorded", "shop", shop.Domain, "shipment_id", shipment.ID, "change", change)
	switch change {
	case app.FulfillmentNew:
		d.notify(ctx, shop, shipment, app.NotifyShipped)
	case app.FulfillmentTrackingChanged:
		d.notify(ctx, shop, shipment, app.NotifyTrackingUpdated)
	}
	return nil
}
