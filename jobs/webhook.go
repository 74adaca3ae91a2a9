package jobs

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/webhooks"
)

// WebhookPayload is every webhook task's payload: the verified delivery.
type WebhookPayload struct {
	Shop       string `json:"shop"`
	Topic      string `json:"topic"`
	EventID    string `json:"event_id"`
	WebhookID  string `json:"webhook_id"`
	APIVersion string `json:"api_version"`
	ResourceID string `json:"resource_id"`
	Body       []byte `json:"body"`
}

// webhookRetention keeps a finished task's id reserved for a while, so a
// quick re-delivery is refused at enqueue; later ones are caught by the
// webhook log in the database.
const webhookRetention = time.Hour

// NewWebhookTask returns the task for a delivery, of its topic's type (see
// the webhooks package's topics table). The task id is the topic and the
// delivery's DedupID: each change runs once per topic, however often it is
// delivered.
func NewWebhookTask(d app.WebhookDelivery) (*asynq.Task, []asynq.Option, error) {
	topic, ok := webhooks.TopicNamed(d.Topic)
	if !ok {
		return nil, nil, app.Errorf(app.ErrInvalid, "no job handles webhook topic %q", d.Topic)
	}
	b, err := json.Marshal(WebhookPayload{Shop: d.Shop, Topic: d.Topic, EventID: d.EventID, WebhookID: d.WebhookID,
		APIVersion: d.APIVersion, ResourceID: d.ResourceID, Body: d.Body})
	return asynq.NewTask(topic.TaskType, b), []asynq.Option{
		asynq.Queue(QueueCritical), asynq.MaxRetry(15), asynq.Timeout(time.Minute),
		asynq.TaskID("webhook:" + d.Topic + ":" + d.DedupID()), asynq.Retention(webhookRetention),
	}, err
}

// QueueWebhook implements app.Dispatcher.
func (c *Client) QueueWebhook(ctx context.Context, d app.WebhookDelivery) error {
	return c.enqueue(ctx)(NewWebhookTask(d))
}

func (d Deps) handleWebhook(ctx context.Context, t *asynq.Task) error {
	var p WebhookPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return outcome(d.Webhooks.Process(ctx, app.WebhookDelivery{Shop: p.Shop, Topic: p.Topic, EventID: p.EventID,
		WebhookID: p.WebhookID, APIVersion: p.APIVersion, ResourceID: p.ResourceID, Body: p.Body}))
}
