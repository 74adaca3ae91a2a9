package webhooks

import (
	"context"

	"github.com/waybill-app/waybill/app"
)

type fulfillmentWebhook struct {
	ID              int64    `json:"id"`
	OrderID         int64    `json:"order_id"`
	Status          string   `json:"status"`
	TrackingCompany string   `json:"tracking_company"`
	TrackingNumber  string   `json:"tracking_number"`
	TrackingNumbers []string `json:"tracking_numbers"`
	TrackingURL     string   `json:"tracking_url"`
	TrackingURLs    []string `json:"tracking_urls"`
	LineItems       []struct {
		ID       int64  `json:"id"`
		SKU      string `json:"sku"`
		Title    string `json:"title"`
		Name     string `json:"name"`
		Quantity int    `json:"quantity"`
	} `json:"line_items"`
}

// recordFulfillment hands a fulfillment made outside Waybill (in the admin,
// by a 3PL or another app) to the shipment lifecycle (fulfillments/create,
// fulfillments/update).
func (p *Processor) recordFulfillment(ctx context.Context, shop *app.Shop, d app.WebhookDelivery) error {
	var w fulfillmentWebhook
	if err := decodeBody(d, &w); err != nil {
		return err
	}
	if w.ID == 0 || w.OrderID == 0 {
		return app.Errorf(app.ErrInvalid, "the fulfillment webhook lacks id or order_id")
	}
	f := app.ShopifyFulfillment{ID: w.ID, OrderID: w.OrderID, Status: app.FulfillmentStatus(w.Status), Carrier: w.TrackingCompany}
	// tracking_numbers lists every parcel (tracking_number is its first);
	// tracking_urls the matching links.
	f.TrackingNumbers, f.TrackingURLs = w.TrackingNumbers, w.TrackingURLs
	if len(f.TrackingNumbers) == 0 && w.TrackingNumber != "" {
		f.TrackingNumbers, f.TrackingURLs = []string{w.TrackingNumber}, []string{w.TrackingURL}
	}
	if f.Status == "" {
		// Every real body names it; an older test double may not.
		f.Status = app.FulfillmentSuccess
	}
	for _, li := range w.LineItems {
		title := li.Title
		if title == "" {
			title = li.Name
		}
		f.LineItems = append(f.LineItems, app.ShipmentLineItem{LineItemID: li.ID, SKU: li.SKU, Title: title, Quantity: li.Quantity})
	}
	return p.Shipping.RecordFulfillment(ctx, shop, f)
}
