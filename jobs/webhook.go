package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app"
)

// webhookTaskTypes: one job type per topic.
var webhookTaskTypes = map[string]string{
	app.TopicOrdersCreate:         TypeOrdersCreate,
	app.TopicOrdersUpdated:        TypeOrdersUpdated,
	app.TopicFulfillmentsCreate:   TypeFulfillmentsCreate,
	app.TopicFulfillmentsUpdate:   TypeFulfillmentsUpdate,
	app.TopicAppUninstalled:       TypeAppUninstalled,
	app.TopicCustomersDataRequest: TypeCustomersDataRequest,
	app.TopicCustomersRedact:      TypeCustomersRedact,
	app.TopicShopRedact:           TypeShopRedact,
}

// WebhookPayload is every webhook task's payload: the verified delivery.
type WebhookPayload struct {
	Shop       string `json:"shop"`
	Topic      string `json:"topic"`
	EventID    string `json:"event_id"`
	WebhookID  string `json:"webhook_id"`
	APIVersion string `json:"api_version"`
	Body       []byte `json:"body"`
}

func (p WebhookPayload) dedupID() string {
	return app.WebhookDelivery{EventID: p.EventID, WebhookID: p.WebhookID}.DedupID()
}

// webhookRetention keeps a finished task's id reserved for a while, so a
// quick re-delivery is refused at enqueue; later ones are caught by the
// webhook log in the database.
const webhookRetention = time.Hour

// NewWebhookTask returns the task for a delivery. The task id is the
// (topic, event) pair: one merchant action fires several topics with one
// event id, and each topic must run once.
func NewWebhookTask(d app.WebhookDelivery) (*asynq.Task, []asynq.Option, error) {
	typ, ok := webhookTaskTypes[d.Topic]
	if !ok {
		return nil, nil, app.Errorf(app.ErrInvalid, "no job handles webhook topic %q", d.Topic)
	}
	b, err := json.Marshal(WebhookPayload{Shop: d.Shop, Topic: d.Topic, EventID: d.EventID, WebhookID: d.WebhookID,
		APIVersion: d.APIVersion, Body: d.Body})
	if err != nil {
		return nil, nil, err
	}
	return asynq.NewTask(typ, b), []asynq.Option{
		asynq.Queue(QueueCritical), asynq.MaxRetry(15), asynq.Timeout(time.Minute),
		asynq.TaskID("webhook:" + d.Topic + ":" + d.DedupID()), asynq.Retention(webhookRetention),
	}, nil
}

// EnqueueWebhook implements app.Dispatcher.
func (c *Client) EnqueueWebhook(ctx context.Context, d app.WebhookDelivery) error {
	t, opts, err := NewWebhookTask(d)
	if err != nil {
		return err
	}
	return c.enqueue(ctx, t, opts...)
}

// webhook wraps a topic's handler with what every webhook job does: skip an
// event already processed, skip shops Waybill may no longer act for (except
// for privacy requests), and record the event once handled.
func (d Deps) webhook(handle func(ctx context.Context, shop *app.Shop, p WebhookPayload) error) asynq.HandlerFunc {
	return func(ctx context.Context, t *asynq.Task) error {
		var p WebhookPayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil {
			return final(fmt.Errorf("%s payload: %w", t.Type(), err))
		}
		done, err := d.Webhooks.WebhookProcessed(ctx, p.Topic, p.dedupID())
		if err != nil || done {
			return err
		}
		shop, err := d.Shops.ShopByDomain(ctx, p.Shop)
		switch {
		case app.ErrorCodeOf(err) == app.ErrNotFound:
			// Never installed, or already redacted: nothing of theirs is here.
		case err != nil:
			return err
		case shop.UninstalledAt != nil && !app.ComplianceTopics[p.Topic] && p.Topic != app.TopicAppUninstalled:
			// Uninstalled since the delivery was queued.
		default:
			if err := handle(ctx, shop, p); err != nil {
				return outcome(err)
			}
		}
		return d.Webhooks.MarkWebhookProcessed(ctx, p.Shop, p.Topic, p.dedupID())
	}
}

// decodeBody parses a webhook body, refusing (for good: no retry fixes it)
// one that is not the JSON Shopify sends.
func decodeBody(p WebhookPayload, v any) error {
	if err := json.Unmarshal(p.Body, v); err != nil {
		return app.WrapError(app.ErrInvalid, err, "%s body is not valid JSON", p.Topic)
	}
	return nil
}
