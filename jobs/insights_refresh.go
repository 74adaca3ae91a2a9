package jobs

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hibiken/asynq"
)

// TypeInsightsRefresh queues a snapshot refresh for the shops whose
// shipments changed since their insights snapshots.
const TypeInsightsRefresh = "insights:refresh"

// NewInsightsRefreshTask is the scheduler's task, unique per period.
func NewInsightsRefreshTask() *asynq.Task {
	return asynq.NewTask(TypeInsightsRefresh, nil, asynq.Queue(QueueLow), asynq.MaxRetry(0),
		asynq.Unique(14*time.Minute), asynq.Timeout(time.Minute))
}

func (d Deps) handleInsightsRefresh(ctx context.Context, _ *asynq.Task) error {
	queued, err := d.Shipping.QueueInsightRefreshes(ctx)
	if queued > 0 {
		d.Log.InfoContext(ctx, "insights refreshes queued", "shops", queued)
	}
	return err
}

// TypeInsightsRefreshShop recomputes one shop's insights snapshots (every
// preset period and grouping: a minute or more at a million shipments).
const TypeInsightsRefreshShop = "insights:refresh_shop"

// InsightsRefreshShopPayload names the shop.
type InsightsRefreshShopPayload struct {
	Shop string `json:"shop"`
}

// NewInsightsRefreshShopTask returns the task: one per shop at a time, so
// the sweep and the admin's live views asking again collapse into it.
func NewInsightsRefreshShopTask(shop string) (*asynq.Task, []asynq.Option, error) {
	b, err := json.Marshal(InsightsRefreshShopPayload{Shop: shop})
	return asynq.NewTask(TypeInsightsRefreshShop, b), []asynq.Option{
		asynq.Queue(QueueLow), asynq.MaxRetry(3), asynq.Timeout(30 * time.Minute),
		asynq.TaskID(TypeInsightsRefreshShop + ":" + shop),
	}, err
}

// QueueInsightRefresh implements app.Dispatcher.
func (c *Client) QueueInsightRefresh(ctx context.Context, shop string) error {
	return c.enqueue(ctx)(NewInsightsRefreshShopTask(shop))
}

func (d Deps) handleInsightsRefreshShop(ctx context.Context, t *asynq.Task) error {
	var p InsightsRefreshShopPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return outcome(d.Shipping.RefreshInsights(ctx, p.Shop))
}
