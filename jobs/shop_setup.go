package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app"
)

// TypeShopSetup prepares a newly (re)installed shop: webhook subscriptions.
const TypeShopSetup = "shop:setup"

// ShopSetupPayload names the shop.
type ShopSetupPayload struct {
	Shop string `json:"shop"`
}

// NewShopSetupTask returns the task and its options. The task id makes a
// second install callback while one setup is pending a no-op.
func NewShopSetupTask(shop string) (*asynq.Task, []asynq.Option) {
	b, _ := json.Marshal(ShopSetupPayload{Shop: shop})
	return asynq.NewTask(TypeShopSetup, b), []asynq.Option{
		asynq.Queue(QueueDefault), asynq.MaxRetry(12), asynq.Timeout(2 * time.Minute),
		asynq.TaskID(TypeShopSetup + ":" + shop),
	}
}

func (d Deps) handleShopSetup(ctx context.Context, t *asynq.Task) error {
	var p ShopSetupPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return final(fmt.Errorf("shop:setup payload: %w", err))
	}
	shop, err := d.Shops.ShopByDomain(ctx, p.Shop)
	if err != nil {
		return outcome(err)
	}
	if shop.UninstalledAt != nil {
		return nil // uninstalled since: nothing to set up
	}
	name, email, err := d.Admin.ShopProfile(ctx, shop.Domain)
	if err != nil {
		return outcome(err)
	}
	if err := d.Shops.UpdateShopProfile(ctx, shop.Domain, name, email); err != nil {
		return err
	}
	created, err := d.Admin.EnsureWebhookSubscriptions(ctx, shop, d.AppURL+"/webhooks", app.SubscribedTopics)
	if err != nil {
		return outcome(err)
	}
	d.Log.InfoContext(ctx, "shop set up", "shop", p.Shop, "webhook_subscriptions_created", created)
	return nil
}
