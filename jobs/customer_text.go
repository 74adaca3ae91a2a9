package jobs

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hibiken/asynq"
)

// TypeCustomerText sends one customer text (WhatsApp or SMS): a (shipment,
// event, channel) recorded in the message log, sent once whatever the
// retries (see shipping.SendText).
const TypeCustomerText = "text:send"

// CustomerTextPayload names the text.
type CustomerTextPayload struct {
	Shop   string `json:"shop"`
	TextID string `json:"text_id"`
}

// NewCustomerTextTask returns the task, unique per text.
func NewCustomerTextTask(shop, textID string) (*asynq.Task, []asynq.Option, error) {
	b, err := json.Marshal(CustomerTextPayload{Shop: shop, TextID: textID})
	return asynq.NewTask(TypeCustomerText, b), []asynq.Option{
		asynq.Queue(QueueEmail), asynq.MaxRetry(8), asynq.Timeout(time.Minute),
		asynq.TaskID(TypeCustomerText + ":" + textID), asynq.Retention(24 * time.Hour),
	}, err
}

// QueueCustomerText implements app.Dispatcher.
func (c *Client) QueueCustomerText(ctx context.Context, shop, textID string) error {
	return c.enqueue(ctx)(NewCustomerTextTask(shop, textID))
}

func (d Deps) handleCustomerText(ctx context.Context, t *asynq.Task) error {
	var p CustomerTextPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return outcome(d.Shipping.SendText(ctx, p.TextID, lastTry(ctx)))
}
