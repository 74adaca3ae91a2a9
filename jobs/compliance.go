package jobs

import (
	"context"

	"github.com/waybill-app/waybill/app"
)

// Shopify's mandatory compliance webhooks.
const (
	TypeCustomersDataRequest = "customers:data_request"
	TypeCustomersRedact      = "customers:redact"
	TypeShopRedact           = "shop:redact"
)

type customerPrivacyWebhook struct {
	Customer struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
	} `json:"customer"`
	OrdersRequested []int64 `json:"orders_requested"`
	OrdersToRedact  []int64 `json:"orders_to_redact"`
}

func (w customerPrivacyWebhook) customer() app.Customer {
	return app.Customer{ID: w.Customer.ID, Email: w.Customer.Email}
}

// handleCustomersDataRequest compiles what Waybill holds about the customer
// and records it for the merchant, who must hand it over.
func (d Deps) handleCustomersDataRequest(ctx context.Context, shop *app.Shop, p WebhookPayload) error {
	var w customerPrivacyWebhook
	if err := decodeBody(p, &w); err != nil {
		return err
	}
	report, err := d.Privacy.CustomerData(ctx, shop.ID, w.customer(), w.OrdersRequested)
	if err != nil {
		return err
	}
	req := app.DataRequest{ID: app.NewID(), ShopID: shop.ID, Customer: w.customer(), OrdersRequested: w.OrdersRequested,
		Report: report, CreatedAt: d.Clock.Now()}
	if err := d.Privacy.SaveDataRequest(ctx, req); err != nil {
		return err
	}
	d.Log.InfoContext(ctx, "customer data request recorded", "shop", shop.Domain, "data_request_id", req.ID,
		"orders", len(report.Orders), "shipments", len(report.Shipments))
	return nil
}

// handleCustomersRedact erases the customer's personal data.
func (d Deps) handleCustomersRedact(ctx context.Context, shop *app.Shop, p WebhookPayload) error {
	var w customerPrivacyWebhook
	if err := decodeBody(p, &w); err != nil {
		return err
	}
	n, err := d.Privacy.RedactCustomer(ctx, shop.ID, w.customer(), w.OrdersToRedact)
	if err != nil {
		return err
	}
	d.Log.InfoContext(ctx, "customer redacted", "shop", shop.Domain, "orders", n)
	return nil
}

// handleShopRedact deletes everything Waybill holds for the shop (Shopify
// sends it 48 hours after an uninstall).
func (d Deps) handleShopRedact(ctx context.Context, shop *app.Shop, _ WebhookPayload) error {
	if err := d.Privacy.DeleteShopData(ctx, shop.Domain); err != nil {
		return err
	}
	d.Log.InfoContext(ctx, "shop data deleted", "shop", shop.Domain)
	return nil
}
