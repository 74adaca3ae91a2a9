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
	"strconv"
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
	sh := s.shops[shop]
	if !s.opts.DeliverWebhooks || sh == nil {
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
			status, err := s.SendWebhook(context.Background(), uri, Webhook{Shop: shop, Topic: topic, Payload: body})
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

// afterCommit sends the webhooks Shopify sends after a fulfillment changes:
// the fulfillment topic and orders/updated, sharing one event id.
func (e *execution) afterCommit(topic string, o *Order, f *Fulfillment) {
	copy := copyOrder(o)
	var fc *Fulfillment
	for _, x := range copy.Fulfillments {
		if x.ID == f.ID {
			fc = x
		}
	}
	e.store.deliverLocked(e.shop.Domain, topic, restFulfillment(&copy, fc))
	e.store.deliverLocked(e.shop.Domain, "orders/updated", restOrder(&copy))
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

// restOrder is the webhook (REST-shaped) JSON of an order.
func restOrder(o *Order) map[string]any {
	items := []map[string]any{}
	for _, li := range o.LineItems {
		remaining := 0
		for _, fo := range o.FulfillmentOrders {
			for _, foli := range fo.LineItems {
				if foli.LineItemID == li.ID {
					remaining += foli.RemainingQuantity
				}
			}
		}
		items = append(items, map[string]any{
			"id": li.ID, "admin_graphql_api_id": gid("LineItem", li.ID), "sku": li.SKU, "title": li.Title, "name": li.Title,
			"quantity": li.Quantity, "fulfillable_quantity": remaining, "requires_shipping": true,
		})
	}
	fulfillments := []map[string]any{}
	for _, f := range o.Fulfillments {
		fulfillments = append(fulfillments, restFulfillment(o, f))
	}
	var status any
	switch displayFulfillmentStatus(o) {
	case "FULFILLED":
		status = "fulfilled"
	case "PARTIALLY_FULFILLED":
		status = "partial"
	}
	var email, locale any
	if o.Email != "" {
		email = o.Email
	}
	if o.CustomerLocale != "" {
		locale = o.CustomerLocale
	}
	return map[string]any{
		"id": o.ID, "admin_graphql_api_id": gid("Order", o.ID), "name": o.Name, "order_number": orderNumber(o.Name),
		"email": email, "contact_email": email, "customer_locale": locale,
		"created_at": ts(o.CreatedAt), "updated_at": ts(o.UpdatedAt), "fulfillment_status": status,
		"customer": map[string]any{"first_name": o.CustomerFirstName, "last_name": o.CustomerLastName, "email": email},
		"shipping_address": map[string]any{"first_name": o.CustomerFirstName, "last_name": o.CustomerLastName,
			"city": o.ShippingCity, "country_code": o.ShippingCountry},
		"line_items":   items,
		"fulfillments": fulfillments,
	}
}

// orderNumber is Shopify's order_number: 1001 for #1001. A test may name an
// order anything; a name that is not # and a number has 0.
func orderNumber(name string) int {
	n, err := strconv.Atoi(name[min(1, len(name)):])
	if err != nil {
		return 0
	}
	return n
}

// restFulfillment is the webhook JSON of a fulfillment.
func restFulfillment(o *Order, f *Fulfillment) map[string]any {
	var company, number, url any
	numbers, urls := []string{}, []string{}
	for i, t := range f.TrackingInfo {
		if i == 0 {
			company, number, url = t.Company, t.Number, t.URL
		}
		numbers = append(numbers, t.Number)
		urls = append(urls, t.URL)
	}
	lines := []map[string]any{}
	for _, fl := range f.LineItems {
		for _, li := range o.LineItems {
			if li.ID == fl.LineItemID {
				lines = append(lines, map[string]any{"id": li.ID, "sku": li.SKU, "title": li.Title, "name": li.Title, "quantity": fl.Quantity})
			}
		}
	}
	var shipment any
	if len(f.Events) > 0 {
		shipment = map[string]string{
			"IN_TRANSIT": "in_transit", "OUT_FOR_DELIVERY": "out_for_delivery", "DELIVERED": "delivered",
			"FAILURE": "failure", "ATTEMPTED_DELIVERY": "attempted_delivery", "READY_FOR_PICKUP": "ready_for_pickup",
			"CONFIRMED": "confirmed", "LABEL_PRINTED": "label_printed", "LABEL_PURCHASED": "label_purchased",
		}[f.Events[len(f.Events)-1].Status]
	}
	return map[string]any{
		"id": f.ID, "admin_graphql_api_id": gid("Fulfillment", f.ID), "order_id": o.ID, "status": "success",
		"location_id": f.LocationID, "created_at": ts(f.CreatedAt), "updated_at": ts(f.UpdatedAt),
		"tracking_company": company, "tracking_number": number, "tracking_url": url,
		"tracking_numbers": numbers, "tracking_urls": urls, "shipment_status": shipment,
		"notify_customer": f.NotifyCustomer, "line_items": lines, "name": o.Name + ".1",
	}
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
