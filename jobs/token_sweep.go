package jobs

import (
	"context"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app"
)

// TypeTokenSweep refreshes access tokens that expire soon, so background work
// rarely waits on a refresh and shops nobody touched keep a live token chain
// (a refresh token unused for 90 days dies).
const TypeTokenSweep = "tokens:sweep"

// tokenSweepHorizon is how far ahead the sweep looks; it runs every 5
// minutes, so every token is seen at least twice before it expires.
const tokenSweepHorizon = 15 * time.Minute

// NewTokenSweepTask is the scheduler's task. Unique: several processes
// running schedulers enqueue it once per period.
func NewTokenSweepTask() *asynq.Task {
	return asynq.NewTask(TypeTokenSweep, nil, asynq.Queue(QueueLow), asynq.MaxRetry(0),
		asynq.Unique(4*time.Minute), asynq.Timeout(4*time.Minute))
}

func (d Deps) handleTokenSweep(ctx context.Context, _ *asynq.Task) error {
	shops, err := d.Shops.ShopsWithTokensExpiringBefore(ctx, d.Clock.Now().Add(tokenSweepHorizon))
	if err != nil {
		return err
	}
	refreshed, failed := 0, 0
	for _, shop := range shops {
		if err := d.Admin.RefreshToken(ctx, shop, tokenSweepHorizon); err != nil {
			failed++
			if app.ErrorCodeOf(err) != app.ErrNeedsReauth {
				d.Log.WarnContext(ctx, "token refresh failed", "shop", shop, "err", err)
			}
			continue
		}
		refreshed++
	}
	if len(shops) > 0 {
		d.Log.InfoContext(ctx, "token sweep", "due", len(shops), "refreshed", refreshed, "failed", failed)
	}
	return nil
}
