package webhooks

import (
	"context"

	"github.com/waybill-app/waybill/app"
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

// compileCustomerData compiles what Waybill holds about the customer
// and records it for the merchant, who must hand it over.
func (p *Processor) compileCustomerData(ctx context.Context, shop *app.Shop, d app.WebhookDelivery) error {
	var w customerPrivacyWebhook
	if err := decodeBody(d, &w); err != nil {
		return err
	}
	report, err := p.Privacy.CustomerData(ctx, shop.ID, w.customer(), w.OrdersRequested)
	if err != nil {
		return err
	}
	req := app.DataRequest{ID: app.NewID(), ShopID: shop.ID, Customer: w.customer(), OrdersRequested: w.OrdersRequested,
		Report: report, CreatedAt: p.Clock.Now()}
	if err := p.Privacy.SaveDataRequest(ctx, req); err != nil {
		return err
	}
	p.Log.InfoContext(ctx, "customer data request recorded", "shop", shop.Domain, "data_request_id", req.ID,
		"orders", len(report.Orders), "shipments", len(report.Shipments))
	return nil
}

// redactCustomer erases the customer's personal data.
func (p *Processor) redactCustomer(ctx context.Context, shop *app.Shop, d app.WebhookDelivery) error {
	var w customerPrivacyWebhook
	if err := decodeBody(d, &w); err != nil {
		return err
	}
	n, err := p.Privacy.RedactCustomer(ctx, shop.ID, w.customer(), w.OrdersToRedact)
	if err != nil {
		return err
	}
	p.Log.InfoContext(ctx, "customer redacted", "shop", shop.Domain, "orders", n)
	return nil
}

// deleteShopData deletes everything Waybill holds for the shop (Shopify
// sends it 48 hours after an uninstall).
func (p *Processor) deleteShopData(ctx context.Context, shop *app.Shop, _ app.WebhookDelivery) error {
	if err := p.Privacy.DeleteShopData(ctx, shop.Domain); err != nil {
		return err
	}
	p.Log.InfoContext(ctx, "shop data deleted", "shop", shop.Domain)
	return nil
}

// uninstall marks the shop uninstalled: its tokens are destroyed and its
// pending work becomes no-ops (app/uninstalled).
func (p *Processor) uninstall(ctx context.Context, shop *app.Shop, _ app.WebhookDelivery) error {
	if err := p.Shops.MarkUninstalled(ctx, shop.Domain); err != nil {
		return err
	}
	p.Log.InfoContext(ctx, "shop uninstalled", "shop", shop.Domain)
	return nil
}
