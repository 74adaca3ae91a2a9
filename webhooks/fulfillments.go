package webhooks

import (
	"context"
	"strings"
	"time"

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
	// ShipmentStatus is Shopify's own carrier tracking of the parcel
	// (in_transit, delivered…; null until it has some), as of UpdatedAt.
	ShipmentStatus *string `json:"shipment_status"`
	UpdatedAt      *string `json:"updated_at"`
	LineItems      []struct {
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
	f, err := parseFulfillment(d)
	if err != nil {
		return err
	}
	return p.Shipping.RecordFulfillment(ctx, shop, f)
}

// parseFulfillment reads a fulfillments/create or fulfillments/update body.
func parseFulfillment(d app.WebhookDelivery) (app.ShopifyFulfillment, error) {
	var w fulfillmentWebhook
	if err := decodeBody(d, &w); err != nil {
		return app.ShopifyFulfillment{}, err
	}
	if w.ID == 0 || w.OrderID == 0 {
		return app.ShopifyFulfillment{}, app.Errorf(app.ErrInvalid, "the fulfillment webhook lacks id or order_id")
	}
	f := app.ShopifyFulfillment{ID: w.ID, OrderID: w.OrderID, Status: app.FulfillmentStatus(w.Status), Carrier: w.TrackingCompany,
		ShipmentStatus: strings.TrimSpace(deref(w.ShipmentStatus)), UpdatedAt: parseTime(deref(w.UpdatedAt))}
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
	return f, nil
}

// fulfillmentEventWebhook is a fulfillment_events/create body: Shopify's
// REST FulfillmentEvent. Its city, address1, zip, latitude and longitude are
// protected customer data and are not read: a checkpoint's place is its
// province and country.
type fulfillmentEventWebhook struct {
	ID                  int64   `json:"id"`
	FulfillmentID       int64   `json:"fulfillment_id"`
	OrderID             int64   `json:"order_id"`
	Status              string  `json:"status"`
	Message             *string `json:"message"`
	HappenedAt          *string `json:"happened_at"`
	CreatedAt           *string `json:"created_at"`
	Province            *string `json:"province"`
	Country             *string `json:"country"`
	EstimatedDeliveryAt *string `json:"estimated_delivery_at"`
}

// parseFulfillmentEvent turns a fulfillment_events/create body into a
// status update about the fulfillment's shipments; ok is false for a status
// that says nothing of where the parcel is (acknowledged and ignored).
func parseFulfillmentEvent(d app.WebhookDelivery) (u app.StatusUpdate, ok bool, err error) {
	var w fulfillmentEventWebhook
	if err := decodeBody(d, &w); err != nil {
		return u, false, err
	}
	if w.FulfillmentID == 0 {
		return u, false, app.Errorf(app.ErrInvalid, "the fulfillment event webhook lacks fulfillment_id")
	}
	if _, known := app.ShopifyShipmentStatus(w.Status); !known {
		return u, false, nil
	}
	at := parseTime(deref(w.HappenedAt))
	if at.IsZero() {
		at = parseTime(deref(w.CreatedAt)) // Shopify's samples always have happened_at
	}
	if at.IsZero() {
		return u, false, app.Errorf(app.ErrInvalid, "the fulfillment event webhook has no happened_at")
	}
	var eta *time.Time
	if t := parseTime(deref(w.EstimatedDeliveryAt)); !t.IsZero() {
		eta = &t
	}
	// One event is the fulfillment's tracking as this webhook tells it: the
	// same mapping, checkpoint and place as reading it through GraphQL.
	tracking := app.FulfillmentTracking{EstimatedDeliveryAt: eta, Events: []app.FulfillmentTrackingEvent{{
		Status: w.Status, HappenedAt: at, Message: strings.TrimSpace(deref(w.Message)),
		Province: deref(w.Province), Country: deref(w.Country)}}}
	u, ok = tracking.Update("")
	u.FulfillmentID = w.FulfillmentID
	return u, ok, nil
}

// recordFulfillmentEvent hands Shopify's news of a parcel — its own carrier
// tracking, or an app's fulfillmentEventCreate, Waybill's included — to the
// shipment lifecycle (fulfillment_events/create). Shopify echoes Waybill's
// own events back this way; the status store knows a status the shipment
// already had and does not move it again.
func (p *Processor) recordFulfillmentEvent(ctx context.Context, shop *app.Shop, d app.WebhookDelivery) error {
	u, ok, err := parseFulfillmentEvent(d)
	if err != nil {
		return err
	}
	if !ok {
		p.Log.InfoContext(ctx, "fulfillment event with a status Waybill does not follow, ignored", "shop", shop.Domain, "topic", d.Topic)
		return nil
	}
	_, err = p.Shipping.ApplyStatus(ctx, shop, u)
	return err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// parseTime reads Shopify's timestamps ("2021-12-31T19:00:00-05:00") in UTC;
// zero when empty or not a time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
