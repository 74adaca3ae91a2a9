package jobs

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hibiken/asynq"
)

// TypeShopSetup prepares a newly (re)installed shop: profile and webhook
// subscriptions.
const TypeShopSetup = "shop:setup"

// ShopSetupPayload names the shop.
type ShopSetupPayload struct {
	Shop string `json:"shop"`
}

// NewShopSetupTask returns the task and its options. The task id makes a
// second install callback while one setup is pending a no-op.
func NewShopSetupTask(shop string) (*asynq.Task, []asynq.Option, error) {
	b, err := json.Marshal(ShopSetupPayload{Shop: shop})
	return asynq.NewTask(TypeShopSetup, b), []asynq.Option{
		asynq.Queue(QueueDefault), asynq.MaxRetry(12), asynq.Timeout(2 * time.Minute),
		asynq.TaskID(TypeShopSetup + ":" + shop),
	}, err
}

// QueueShopSetup implements app.Dispatcher.
func (c *Client) QueueShopSetup(ctx context.Context, shopDomain string) error {
	return c.enqueue(ctx)(NewShopSetupTask(shopDomain))
}

func (d Deps) handleShopSetup(ctx context.Context, t *asynq.Task) error {
	var p ShopSetupPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return outcome(d.Webhooks.SetUpShop(ctx, p.Shop))
}
