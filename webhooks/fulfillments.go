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
	number := w.TrackingNumber
	if number == "" && len(w.TrackingNumbers) > 0 {
		number = w.TrackingNumbers[0]
	}
	f := app.ShopifyFulfillment{ID: w.ID, OrderID: w.OrderID, TrackingNumber: number, Carrier: w.TrackingCompany, TrackingURL: w.TrackingURL}
	for _, li := range w.LineItems {
		title := li.Title
		if title == "" {
			title = li.Name
		}
		f.LineItems = append(f.LineItems, app.ShipmentLineItem{LineItemID: li.ID, SKU: li.SKU, Title: title, Quantity: li.Quantity})
	}
	return p.Shipping.RecordFulfillment(ctx, shop, f)
}
