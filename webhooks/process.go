package webhooks

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shipping"
)

// Processor processes queued deliveries, one topic handler each (see topics).
// Every field is required.
type Processor struct {
	Shops      app.ShopStore
	Orders     app.OrderStore
	Privacy    app.PrivacyStore
	WebhookLog app.WebhookLog
	Shipping   *shipping.Service
	Admin      app.ShopifyAdmin
	AppURL     string // webhooks are subscribed to AppURL + /webhooks
	Clock      app.Clock
	Log        *slog.Logger
}

// Process runs a delivery's topic handler once: an event processed already
// is skipped, and so is a shop the topic does not run for (never installed,
// redacted, or uninstalled since the delivery was queued).
func (p *Processor) Process(ctx context.Context, d app.WebhookDelivery) error {
	topic, ok := TopicNamed(d.Topic)
	if !ok {
		return app.Errorf(app.ErrInvalid, "no handler for webhook topic %q", d.Topic)
	}
	done, err := p.WebhookLog.WebhookProcessed(ctx, d.Topic, d.DedupID())
	if err != nil || done {
		return err
	}
	shop, err := p.Shops.ShopByDomain(ctx, d.Shop)
	switch {
	case app.ErrorCodeOf(err) == app.ErrNotFound:
		// Never installed, or already redacted: nothing of theirs is here.
	case err != nil:
		return err
	case topic.RunsFor(shop):
		if err := topic.Handle(p, ctx, shop, d); err != nil {
			return err
		}
	}
	return p.WebhookLog.MarkWebhookProcessed(ctx, d.Shop, d.Topic, d.DedupID())
}

// decodeBody parses a webhook body, refusing (for good: no retry fixes it)
// one that is not the JSON Shopify sends.
func decodeBody(d app.WebhookDelivery, v any) error {
	if err := json.Unmarshal(d.Body, v); err != nil {
		return app.WrapError(app.ErrInvalid, err, "%s body is not valid JSON", d.Topic)
	}
	return nil
}

// SetUpShop prepares a newly (re)installed shop: the store's name and
// address for its emails, and its webhook subscriptions (listed first, so a
// repeat never duplicates one).
func (p *Processor) SetUpShop(ctx context.Context, shopDomain string) error {
	shop, err := p.Shops.ShopByDomain(ctx, shopDomain)
	if err != nil {
		return err
	}
	if shop.UninstalledAt != nil {
		return nil // uninstalled since: nothing to set up
	}
	profile, err := p.Admin.ShopProfile(ctx, shop.Domain)
	if err != nil {
		return err
	}
	if err := p.Shops.UpdateShopProfile(ctx, shop.Domain, profile); err != nil {
		return err
	}
	created, err := p.Admin.EnsureWebhookSubscriptions(ctx, shop, p.AppURL+"/webhooks", SubscribedTopics())
	if err != nil {
		return err
	}
	// Orders placed before install reach Waybill through no webhook: read them.
	if err := p.Shipping.Dispatch.QueueOrderBackfill(ctx, shop.Domain, ""); err != nil {
		return err
	}
	p.Log.InfoContext(ctx, "shop set up", "shop", shop.Domain, "webhook_subscriptions_created", created)
	return nil
}
