package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hibiken/asynq"
)

// TypeStallSweep marks parcels that stopped moving as stalled and queues
// the merchants' daily digests.
const TypeStallSweep = "stall:sweep"

// NewStallSweepTask is the scheduler's task, unique per period.
func NewStallSweepTask() *asynq.Task {
	return asynq.NewTask(TypeStallSweep, nil, asynq.Queue(QueueLow), asynq.MaxRetry(0),
		asynq.Unique(4*time.Minute), asynq.Timeout(4*time.Minute))
}

func (d Deps) handleStallSweep(ctx context.Context, _ *asynq.Task) error {
	stalled, err := d.Shipping.CheckStalls(ctx)
	if stalled > 0 {
		d.Log.InfoContext(ctx, "stall sweep", "stalled", stalled)
	}
	_, qerr := d.Shipping.QueueDigests(ctx)
	return errors.Join(err, qerr)
}

// TypeStallDigest emails a merchant the day's stalled parcels.
const TypeStallDigest = "stall:digest"

// StallDigestPayload names the shop and its day (YYYY-MM-DD, its time zone).
type StallDigestPayload struct {
	Shop string `json:"shop"`
	Day  string `json:"day"`
}

// NewStallDigestTask returns the task: one per shop and day.
func NewStallDigestTask(shop, day string) (*asynq.Task, []asynq.Option, error) {
	b, err := json.Marshal(StallDigestPayload{Shop: shop, Day: day})
	return asynq.NewTask(TypeStallDigest, b), []asynq.Option{
		asynq.Queue(QueueEmail), asynq.MaxRetry(8), asynq.Timeout(time.Minute),
		asynq.TaskID(TypeStallDigest + ":" + shop + ":" + day), asynq.Retention(26 * time.Hour),
	}, err
}

// QueueStallDigest implements app.Dispatcher.
func (c *Client) QueueStallDigest(ctx context.Context, shop, day string) error {
	return c.enqueue(ctx)(NewStallDigestTask(shop, day))
}

func (d Deps) handleStallDigest(ctx context.Context, t *asynq.Task) error {
	var p StallDigestPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return outcome(d.Shipping.SendDigest(ctx, p.Shop, p.Day))
}
