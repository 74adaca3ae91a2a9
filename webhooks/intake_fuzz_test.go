package webhooks_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/shopify"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
	"github.com/waybill-app/waybill/webhooks"
)

// recordingQueue is the intake's queue as seen from the intake: what it
// was asked to queue. (Queueing itself is the dispatcher's, tested on Redis
// in intake_test.go; here every iteration stays in the process.)
type recordingQueue struct{ got []app.WebhookDelivery }

func (q *recordingQueue) QueueWebhook(_ context.Context, w app.WebhookDelivery) error {
	q.got = append(q.got, w)
	return nil
}

// FuzzIntake sends arbitrary deliveries — body, headers, signature — to the
// intake with the real signature check (app/shopify) and a real store
// (SQLite) holding an installed and an uninstalled shop, and checks: a body
// whose X-Shopify-Hmac-Sha256 is not the app secret's HMAC of it is refused
// as unauthorized and never queued; a signed delivery is never refused as
// unauthorized nor failed as our fault: it is queued, ignored, or refused as
// invalid with a code; a signed delivery with Shopify's headers for a topic
// Waybill handles is queued whatever its body holds, body untouched.
func FuzzIntake(f *testing.F) {
	const installed, uninstalled = "acme.myshopify.com", "gone.myshopify.com"
	ctx := context.Background()
	db := storetest.Open(f, store.SQLite, apptest.NewClock(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)))
	for _, d := range []string{installed, uninstalled} {
		if _, err := db.SaveInstall(ctx, d, app.OfflineToken{AccessToken: "shpat_fuzz", Scopes: "read_orders"}); err != nil {
			f.Fatal(err)
		}
	}
	if err := db.MarkUninstalled(ctx, uninstalled); err != nil {
		f.Fatal(err)
	}
	verifier := shopify.New(shopify.Config{APIKey: "fuzz-key", APISecret: secret}, db, nil, apptest.NewClock(time.Now()), slog.New(slog.DiscardHandler), nil)

	samples, err := os.ReadDir("testdata/shopify")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range samples {
		name, ok := strings.CutSuffix(s.Name(), ".json")
		if !ok {
			continue
		}
		body, err := os.ReadFile("testdata/shopify/" + s.Name())
		if err != nil {
			f.Fatal(err)
		}
		// orders_create → orders/create; fulfillment_events/create has an
		// underscore of its own.
		topic := strings.Replace(name, "_", "/", 1)
		if strings.HasPrefix(name, "fulfillment_events_") {
			topic = "fulfillment_events/" + strings.TrimPrefix(name, "fulfillment_events_")
		}
		f.Add(body, topic, installed, "ev-"+name, "", "2026-01", "", true)
		f.Add(body, topic, uninstalled, "ev-"+name, "wh-1", "2026-01", "", true)
		f.Add(body, topic, installed, "ev-"+name, "", "2026-01", sign(secret, append(body, ' ')), false) // tampered
	}
	for _, body := range []string{`{"id":1}`, `not json`, `[]`, `{"id":null}`, `{"id":"x"}`, "\x00\xff", `{"customer":{"id":7},"shop_id":3}`} {
		f.Add([]byte(body), "orders/create", installed, "ev-1", "", "2026-01", "", true)
	}
	f.Add([]byte(`{"id":1}`), "orders/create", "evil.example.com", "ev-1", "", "2026-01", "", true)
	f.Add([]byte(`{"id":1}`), "products/update", installed, "ev-1", "", "2026-01", "", true)
	f.Add([]byte(`{"id":1}`), "orders/create", "never.myshopify.com", "", "wh-1", "", "", true)
	f.Add([]byte(`{"id":1}`), "orders/create", installed, "ev-1", "", "2026-01", sign("wrong-secret", []byte(`{"id":1}`)), false)
	f.Add([]byte(`{"id":1}`), "orders/create", installed, "ev-1", "", "2026-01", "", false)

	f.Fuzz(func(t *testing.T, body []byte, topic, shopDomain, eventID, webhookID, apiVersion, mac string, signed bool) {
		valid := sign(secret, body)
		if signed {
			mac = valid
		}
		h := http.Header{}
		for k, v := range map[string]string{"X-Shopify-Hmac-Sha256": mac, "X-Shopify-Topic": topic, "X-Shopify-Shop-Domain": shopDomain,
			"X-Shopify-Event-Id": eventID, "X-Shopify-Webhook-Id": webhookID, "X-Shopify-API-Version": apiVersion} {
			if v != "" {
				h.Set(k, v)
			}
		}
		q := &recordingQueue{}
		in := webhooks.New(verifier, db, q, slog.New(slog.DiscardHandler))
		got, err := in.Receive(ctx, h, bytes.NewReader(body))
		authentic := len(body) > 0 && mac == valid

		if !authentic {
			if app.ErrorCodeOf(err) != app.ErrUnauthorized || got != "" || len(q.got) != 0 {
				t.Fatalf("a delivery signed %q, not %q: outcome %q, error %v, queued %d", mac, valid, got, err, len(q.got))
			}
			return
		}
		switch {
		case err != nil:
			if app.ErrorCodeOf(err) != app.ErrInvalid || got != "" || len(q.got) != 0 {
				t.Fatalf("a signed delivery: outcome %q, error %v (code %s), queued %d", got, err, app.ErrorCodeOf(err), len(q.got))
			}
		case got == webhooks.Queued:
			if len(q.got) != 1 {
				t.Fatalf("queued, %d deliveries given to the queue", len(q.got))
			}
			d := q.got[0]
			if !bytes.Equal(d.Body, body) || d.Topic != topic || d.APIVersion != apiVersion || d.DedupID() == "" {
				t.Fatalf("queued %+v for topic %q, version %q, body %q", d, topic, apiVersion, body)
			}
			if shop, _ := app.ValidateShopDomain(shopDomain); d.Shop != shop {
				t.Fatalf("queued for shop %q; the header says %q", d.Shop, shopDomain)
			}
			if _, ok := webhooks.TopicNamed(topic); !ok {
				t.Fatalf("queued topic %q, which Waybill does not handle", topic)
			}
		case got == webhooks.IgnoredTopic || got == webhooks.IgnoredShop || got == webhooks.IgnoredInstalled:
			if len(q.got) != 0 {
				t.Fatalf("%s, and queued", got)
			}
		default:
			t.Fatalf("outcome %q", got)
		}
		// Shopify's headers for a topic Waybill handles and the installed
		// shop: queued, whatever the body.
		if _, handled := webhooks.TopicNamed(topic); handled && shopDomain == installed && eventID != "" && apiVersion != "" && got != webhooks.Queued {
			t.Fatalf("a signed %s delivery with body %q: outcome %q, error %v", topic, body, got, err)
		}
	})
}

// sign is Shopify's X-Shopify-Hmac-Sha256 of body.
func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	_, _ = m.Write(body) // a hash.Hash never fails to write
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
