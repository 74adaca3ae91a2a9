package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/hibiken/asynq"
)

// TypeOrderBackfill reads one page of a shop's open, unfulfilled orders
// from Shopify (those placed before install, which no webhook brought) and
// keeps them as orders/create would; it queues itself again for the next
// page, so no task runs long.
const TypeOrderBackfill = "orders:backfill"

// OrderBackfillPayload names the shop and the page ("" for the first).
type OrderBackfillPayload struct {
	Shop   string `json:"shop"`
	Cursor string `json:"cursor"`
}

// NewOrderBackfillTask returns the task; its id makes each page of a shop
// unique while queued or running.
func NewOrderBackfillTask(shop, cursor string) (*asynq.Task, []asynq.Option, error) {
	b, err := json.Marshal(OrderBackfillPayload{Shop: shop, Cursor: cursor})
	page := sha256.Sum256([]byte(cursor))
	return asynq.NewTask(TypeOrderBackfill, b), []asynq.Option{
		asynq.Queue(QueueLow), asynq.MaxRetry(10), asynq.Timeout(2 * time.Minute),
		asynq.TaskID(TypeOrderBackfill + ":" + shop + ":" + hex.EncodeToString(page[:8])),
	}, err
}

// QueueOrderBackfill implements app.Dispatcher.
func (c *Client) QueueOrderBackfill(ctx context.Context, shop, cursor string) error {
	return c.enqueue(ctx)(NewOrderBackfillTask(shop, cursor))
}

func (d Deps) handleOrderBackfill(ctx context.Context, t *asynq.Task) error {
	var p OrderBackfillPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return outcome(d.backfillOrders(ctx, p))
}

// backfillOrders keeps one page and queues the next. Saving is an upsert
// that never lets an older updated_at win, so a retry or a second run
// (a reinstall) duplicates nothing and a newer webhook is never undone.
func (d Deps) backfillOrders(ctx context.Context, p OrderBackfillPayload) error {
	shop, err := d.Shops.ShopByDomain(ctx, p.Shop)
	if err != nil {
		return err
	}
	if shop.UninstalledAt != nil {
		return nil // uninstalled since: nothing to read
	}
	page, err := d.Admin.OpenOrders(ctx, shop.Domain, p.Cursor)
	if err != nil {
		return err
	}
	written := 0
	for _, b := range page.Orders {
		b.Order.ShopID = shop.ID
		wrote, err := d.Shipping.Shipments.SaveBackfilledOrder(ctx, b.Order, b.CreatedAt)
		if err != nil {
			return err
		}
		if wrote {
			written++
		}
	}
	if page.Next != "" {
		if err := d.Shipping.Dispatch.QueueOrderBackfill(ctx, shop.Domain, page.Next); err != nil {
			return err
		}
	}
	d.Log.InfoContext(ctx, "orders backfilled", "shop", shop.Domain, "read", len(page.Orders), "written", written, "more", page.Next != "")
	return nil
}
