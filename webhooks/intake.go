// Package webhooks is Waybill's webhook workflow. Intake: verify the
// delivery, hand it to its topic's task, return — nothing is parsed or
// processed before the HMAC is proven, and nothing is acknowledged before the
// task is durably queued (Shopify retries any non-2xx, so a failure here loses
// nothing). Processing: the task runs the topic's handler once (Processor).
// Both read one table of topics (topics.go).
package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/waybill-app/waybill/app"
)

// MaxBodyBytes bounds a delivery. Shopify's largest payloads (orders with
// hundreds of lines) stay well under it.
const MaxBodyBytes = 4 << 20

// Verifier checks a delivery's signature (app.ShopifyAuth has it).
type Verifier interface {
	ValidWebhookHMAC(body []byte, header string) bool
}

// Queue takes verified deliveries (app.Dispatcher has it).
type Queue interface {
	QueueWebhook(ctx context.Context, w app.WebhookDelivery) error
}

// Replicas confirms that what was queued has reached Redis replicas
// (app/redis Replicas: WAIT), so a failover cannot lose an acknowledged
// delivery.
type Replicas interface {
	WaitReplicas(ctx context.Context) error
}

// Intake receives webhooks.
type Intake struct {
	verifier Verifier
	shops    app.ShopStore
	queue    Queue
	replicas Replicas // nil: acknowledged once the primary has the task
	log      *slog.Logger
}

// New builds the intake.
func New(verifier Verifier, shops app.ShopStore, queue Queue, log *slog.Logger) *Intake {
	return &Intake{verifier: verifier, shops: shops, queue: queue, log: log}
}

// WaitForReplicas makes Receive acknowledge a delivery only once r confirms
// its task reached the replicas (REDIS_WAIT_REPLICAS); otherwise 503, and
// Shopify delivers it again (the task id makes a second queueing a no-op).
func (in *Intake) WaitForReplicas(r Replicas) { in.replicas = r }

// Outcome says what the intake did with an accepted delivery.
type Outcome string

const (
	Queued           Outcome = "queued"
	IgnoredTopic     Outcome = "ignored_topic"
	IgnoredShop      Outcome = "ignored_shop"
	IgnoredInstalled Outcome = "ignored_uninstalled"
)

// Receive handles one delivery. A nil error means "answer 200"; errors carry
// the code the server turns into the status (401 bad signature, 413 too
// large, 400 malformed, 503 queue down so Shopify retries).
func (in *Intake) Receive(ctx context.Context, header http.Header, body io.Reader) (Outcome, error) {
	raw, err := io.ReadAll(io.LimitReader(body, MaxBodyBytes+1))
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return "", app.Errorf(app.ErrTooLarge, "the webhook body is larger than %d bytes", MaxBodyBytes)
		}
		return "", app.Errorf(app.ErrInvalid, "the webhook body could not be read completely")
	}
	if len(raw) > MaxBodyBytes {
		return "", app.Errorf(app.ErrTooLarge, "the webhook body is larger than %d bytes", MaxBodyBytes)
	}
	if !in.verifier.ValidWebhookHMAC(raw, header.Get("X-Shopify-Hmac-Sha256")) {
		return "", app.Errorf(app.ErrUnauthorized, "the webhook's X-Shopify-Hmac-Sha256 does not match its body")
	}

	d := app.WebhookDelivery{
		Topic: header.Get("X-Shopify-Topic"), EventID: header.Get("X-Shopify-Event-Id"),
		WebhookID: header.Get("X-Shopify-Webhook-Id"), APIVersion: header.Get("X-Shopify-API-Version"), Body: raw,
	}
	if d.Topic == "" {
		return "", app.Errorf(app.ErrInvalid, "the webhook has no X-Shopify-Topic header")
	}
	if d.APIVersion == "" {
		// Shopify always sends it, and its own libraries require it.
		return "", app.Errorf(app.ErrInvalid, "the webhook has no X-Shopify-API-Version header")
	}
	shop, err := app.ValidateShopDomain(header.Get("X-Shopify-Shop-Domain"))
	if err != nil {
		return "", app.Errorf(app.ErrInvalid, "X-Shopify-Shop-Domain: %s", app.ErrorMessageOf(err))
	}
	d.Shop = shop
	d.ResourceID = resourceID(raw)
	if d.DedupID() == "" {
		return "", app.Errorf(app.ErrInvalid, "the webhook has neither X-Shopify-Event-Id nor X-Shopify-Webhook-Id")
	}
	topic, handled := TopicNamed(d.Topic)
	if !handled {
		in.log.DebugContext(ctx, "webhook topic ignored", "topic", d.Topic, "shop", shop)
		return IgnoredTopic, nil
	}
	known, err := in.shops.ShopByDomain(ctx, shop)
	switch {
	case app.ErrorCodeOf(err) == app.ErrNotFound:
		in.log.InfoContext(ctx, "webhook for a shop that never installed Waybill ignored", "topic", d.Topic, "shop", shop)
		return IgnoredShop, nil
	case err != nil:
		return "", app.WrapError(app.ErrUnavailable, err, "cannot look up the shop right now")
	case !topic.RunsFor(known):
		// Shopify keeps delivering for a while after an uninstall; privacy
		// requests still get done.
		return IgnoredInstalled, nil
	}
	if err := in.queue.QueueWebhook(ctx, d); err != nil {
		return "", err
	}
	if in.replicas != nil {
		if err := in.replicas.WaitReplicas(ctx); err != nil {
			in.log.WarnContext(ctx, "webhook queued but not confirmed by Redis replicas; answering 503 so Shopify retries",
				"topic", d.Topic, "shop", shop, "err", err)
			return "", err
		}
	}
	return Queued, nil
}

// resourceID reads the id of what a webhook body is about: "id" for orders,
// fulfillments and the shop (app/uninstalled); the request, customer or shop
// id for the compliance topics. A body that is not JSON has none (its job
// refuses it).
func resourceID(body []byte) string {
	var b struct {
		ID          json.RawMessage `json:"id"`
		ShopID      json.RawMessage `json:"shop_id"`
		DataRequest struct {
			ID json.RawMessage `json:"id"`
		} `json:"data_request"`
		Customer struct {
			ID json.RawMessage `json:"id"`
		} `json:"customer"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return ""
	}
	for _, id := range []json.RawMessage{b.ID, b.DataRequest.ID, b.Customer.ID, b.ShopID} {
		if v := strings.Trim(string(id), `"`); v != "" && v != "null" {
			return v
		}
	}
	return ""
}
