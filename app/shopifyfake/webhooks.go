package shopifyfake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/waybill-app/waybill/app"
)

// SignWebhook is Shopify's X-Shopify-Hmac-Sha256: base64 HMAC-SHA256 of the raw body.
func SignWebhook(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func base64URL(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// Webhook is one delivery. Empty ids are generated; the same EventID across
// topics models one merchant action firing several topics.
type Webhook struct {
	Shop       string
	Topic      string // e.g. orders/create
	Payload    []byte
	EventID    string
	WebhookID  string
	APIVersion string
}

// NewWebhookRequest builds the signed request Shopify would send.
func (s *Store) NewWebhookRequest(ctx context.Context, url string, wh Webhook) (*http.Request, error) {
	if wh.EventID == "" {
		wh.EventID = app.NewID()
	}
	if wh.WebhookID == "" {
		wh.WebhookID = app.NewID()
	}
	if wh.APIVersion == "" {
		wh.APIVersion = "2026-10"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(wh.Payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", wh.Topic)
	req.Header.Set("X-Shopify-Hmac-Sha256", SignWebhook(s.opts.APISecret, wh.Payload))
	req.Header.Set("X-Shopify-Shop-Domain", wh.Shop)
	req.Header.Set("X-Shopify-API-Version", wh.APIVersion)
	req.Header.Set("X-Shopify-Webhook-Id", wh.WebhookID)
	req.Header.Set("X-Shopify-Event-Id", wh.EventID)
	req.Header.Set("X-Shopify-Triggered-At", s.clock.Now().Format("2006-01-02T15:04:05.000000000Z"))
	return req, nil
}

// SendWebhook delivers one webhook to url and returns the app's status code
// (with an error too when the connection failed after the app answered).
func (s *Store) SendWebhook(ctx context.Context, url string, wh Webhook) (int, error) {
	req, err := s.NewWebhookRequest(ctx, url, wh)
	if err != nil {
		return 0, err
	}
	resp, err := s.opts.HTTPClient.Do(req)
	if err != nil {
		return 0, err
	}
	if err := resp.Body.Close(); err != nil {
		return resp.StatusCode, fmt.Errorf("webhook to %s: HTTP %d, then: %w", url, resp.StatusCode, err)
	}
	return resp.StatusCode, nil
}

// deliver sends topic to every subscription of the shop (DeliverWebhooks only).
func (s *Store) deliver(shop, topic string, payload any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliverLocked(shop, topic, payload)
}

func (s *Store) deliverLocked(shop, topic string, payload any) {
	if s.opts.DeliverWebhooks {
		s.sendToSubscriptions(shop, topic, payload, "")
	}
}

// sendToSubscriptions posts payload to every subscription of the shop to
// topic, in the background (Wait waits for them). Deliveries of one
// merchant action share eventID (empty: a new one).
func (s *Store) sendToSubscriptions(shop, topic string, payload any, eventID string) {
	sh := s.shops[shop]
	if sh == nil {
		return
	}
	body, err := json.Marshal(payload)
	if err != nil {
		s.calls["webhook_failed"]++
		s.opts.Log.Error("shopifyfake: webhook payload does not encode", "shop", shop, "topic", topic, "error", err)
		return
	}
	enum := TopicEnumOf(topic)
	for _, sub := range sh.subscriptions {
		if sub.Topic != enum {
			continue
		}
		s.deliveries.Add(1)
		go func(uri string) {
			defer s.deliveries.Done()
			status, err := s.SendWebhook(context.Background(), uri, Webhook{Shop: shop, Topic: topic, Payload: body, EventID: eventID})
			if err == nil && (status < 200 || status > 299) {
				err = fmt.Errorf("the app answered HTTP %d", status)
			}
			if err != nil {
				// Shopify would retry; the fake counts and tells.
				s.mu.Lock()
				s.calls["webhook_failed"]++
				s.mu.Unlock()
				s.opts.Log.Warn("shopifyfake: webhook not delivered", "shop", shop, "topic", topic, "uri", uri, "error", err)
			}
		}(sub.URI)
	}
}

// afterCommit sends the webhooks Shopify sends after a fulfillment changes
// (DeliverWebhooks only).
func (e *execution) afterCommit(topic string, o *Order, f *Fulfillment) {
	if e.store.opts.DeliverWebhooks {
		e.store.fulfillmentWebhooks(e.shop.Domain, topic, o, f)
	}
}

// fulfillmentWebhooks sends the fulfillment topic and orders/updated, which
// one merchant action fires together: they share one event id.
func (s *Store) fulfillmentWebhooks(shop, topic string, o *Order, f *Fulfillment) {
	c := copyOrder(o)
	for _, x := range c.Fulfillments {
		if x.ID == f.ID {
			event := app.NewID()
			s.sendToSubscriptions(shop, topic, restFulfillment(&c, x), event)
			s.sendToSubscriptions(shop, "orders/updated", restOrder(&c), event)
		}
	}
}

// TopicEnumOf turns orders/create into ORDERS_CREATE.
func TopicEnumOf(topic string) string {
	b := []byte(topic)
	for i, c := range b {
		switch {
		case c == '/':
			b[i] = '_'
		case c >= 'a' && c <= 'z':
			b[i] = c - 32
		}
	}
	return string(b)
}

// RESTOrder returns the webhook JSON of an order, for tests that send
// orders/* webhooks themselves.
func (s *Store) RESTOrder(shop string, id int64) []byte {
	o, _ := s.Order(shop, id)
	b, err := json.Marshal(restOrder(&o))
	if err != nil {
		// restOrder holds strings, numbers, booleans, nil, and maps and
		// slices of them: nothing that can fail to encode.
		panic("shopifyfake: encoding an order: " + err.Error())
	}
	return b
}

// SignProxy signs app proxy parameters as Shopify does: sorted k=v pairs
// (repeated keys joined by commas) concatenated, hex HMAC-SHA256.
func SignProxy(secret string, q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + strings.Join(q[k], ","))
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(b.String()))
	return hex.EncodeToString(mac.Sum(nil))
}
