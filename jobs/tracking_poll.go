package jobs

import (
	"context"
	"time"

	"github.com/hibiken/asynq"
)

// TypeTrackingPoll is the polling fallback's round: parcels whose pushes
// did not come are asked of their aggregator or of Shopify.
const TypeTrackingPoll = "tracking:poll"

// NewTrackingPollTask is the scheduler's task, unique per period.
func NewTrackingPollTask() *asynq.Task {
	return asynq.NewTask(TypeTrackingPoll, nil, asynq.Queue(QueueLow), asynq.MaxRetry(0),
		asynq.Unique(50*time.Second), asynq.Timeout(5*time.Minute))
}

func (d Deps) handleTrackingPoll(ctx context.Context, _ *asynq.Task) error {
	polled, err := d.Shipping.PollDue(ctx)
	if polled > 0 {
		d.Log.InfoContext(ctx, "tracking poll", "polled", polled)
	}
	return err
}
