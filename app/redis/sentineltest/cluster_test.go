package sentineltest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app/redis/sentineltest"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

// On a Redis Cluster (REDIS_URL=redis-cluster://…) a merchant's store works
// as on one server: webhooks become orders, tracking numbers become one
// fulfillment each (the push takes its shop's slot, lock and rate limit in
// Redis), and Waybill answers ready. Asynq keeps each queue in one hash slot
// ({critical}…), and every Waybill script touches one key.
func TestClusterCarriesWebhooksAndPushes(t *testing.T) {
	rc := sentineltest.StartCluster(t)
	ctx := context.Background()
	h := wiringtest.New(t, wiringtest.Options{RedisURL: rc.URL(), Shops: []string{shop}})
	h.StartWorker(wiringtest.TestWorker(4))
	key, _, err := h.DB.CreateAPIKey(ctx, shop, "supplier")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range 20 {
		o := h.Fake.CreateOrder(shop, shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Mug", Quantity: 1}}})
		ids = append(ids, o.ID)
		req, err := h.Fake.NewWebhookRequest(ctx, h.URL+"/webhooks", shopifyfake.Webhook{Shop: shop, Topic: "orders/create",
			Payload: h.Fake.RESTOrder(shop, o.ID), EventID: fmt.Sprintf("evt-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if status := send(t, req); status != http.StatusOK {
			t.Fatalf("webhook %d: HTTP %d", i, status)
		}
	}
	shopID := h.Shop(shop).ID
	wiringtest.Eventually(t, "the webhooks to become orders", func() bool {
		var n int64
		if err := h.DB.Gorm().Raw("SELECT COUNT(*) FROM orders WHERE shop_id = ?", shopID).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n == int64(len(ids))
	})
	for i, id := range ids {
		req, err := http.NewRequest(http.MethodPost, h.URL+"/api/v1/tracking",
			bytes.NewReader(fmt.Appendf(nil, `{"order": %d, "tracking_number": "YT%016d", "notify_customer": false}`, id, i)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		if status := send(t, req); status < 200 || status > 299 {
			t.Fatalf("tracking number %d: HTTP %d", i, status)
		}
	}
	wiringtest.Eventually(t, "every order to be fulfilled", func() bool {
		for _, id := range ids {
			if o, _ := h.Fake.Order(shop, id); len(o.Fulfillments) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(200 * time.Millisecond) // a second push, were there one, would land by now
	for i, id := range ids {
		o, _ := h.Fake.Order(shop, id)
		if want := fmt.Sprintf("YT%016d", i); len(o.Fulfillments) != 1 || o.Fulfillments[0].TrackingInfo[0].Number != want {
			t.Errorf("order %d: want one fulfillment with %s, got %d", id, want, len(o.Fulfillments))
		}
	}
	req, err := http.NewRequest(http.MethodGet, h.URL+"/readyz", nil)
	if err != nil {
		t.Fatal(err)
	}
	if status := send(t, req); status != http.StatusOK {
		t.Fatalf("/readyz on a cluster = %d", status)
	}
}

func send(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}
