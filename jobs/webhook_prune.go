package jobs

import (
	"context"
	"time"

	"github.com/hibiken/asynq"
)

// TypeWebhookPrune forgets processed webhook events once Shopify can no
// longer re-deliver them (it retries for 48 hours).
const TypeWebhookPrune = "webhooks:prune"

const webhookLogKeep = 7 * 24 * time.Hour

// NewWebhookPruneTask is the scheduler's daily task.
func NewWebhookPruneTask() *asynq.Task {
	return asynq.NewTask(TypeWebhookPrune, nil, asynq.Queue(QueueLow), asynq.MaxRetry(3),
		asynq.Unique(time.Hour), asynq.Timeout(10*time.Minute))
}

func (d Deps) handleWebhookPrune(ctx context.Context, _ *asynq.Task) error {
	n, err := d.WebhookLog.PruneWebhookLog(ctx, d.Clock.Now().Add(-webhookLogKeep))
	if err != nil {
		return err
	}
	d.Log.InfoContext(ctx, "webhook log pruned", "deleted", n)
	return nil
}
