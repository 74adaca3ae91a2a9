package smtp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/smtp/mailpittest"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

// A wrong SMTP_URL, through the whole of Waybill: a warning at start, the
// problem in /readyz (which stays 200), and an email that fails at once —
// final, with the reason in the email log.
func TestWrongSMTPURLIsVisibleAndFinal(t *testing.T) {
	const shop = "acme.myshopify.com"
	pit := mailpittest.StartWith(t, mailpittest.Options{Login: login})
	var logs apptest.Logs
	h := wiringtest.New(t, wiringtest.Options{RedisDB: 8, Log: &logs, Shops: []string{shop},
		SMTPURL: "smtp://waybill:" + wrong + "@" + pit.SMTPAddr + "?from=shipping@waybill.test"})

	if l := logs.String(); !strings.Contains(l, `"level":"WARN","msg":"SMTP_URL is wrong`) || !strings.Contains(l, `"smtp":"auth_refused"`) ||
		strings.Contains(l, wrong) {
		t.Fatalf("start-up log: %s", l)
	}

	resp, err := http.Get(h.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready struct {
		Ready  bool
		Checks map[string]string
	}
	if err := json.NewDecoder(resp.Body).Decode(&ready); err != nil {
		t.Fatal(err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !ready.Ready || ready.Checks["smtp"] != "auth_refused" || ready.Checks["database"] != "ok" {
		t.Fatalf("/readyz: %d %+v", resp.StatusCode, ready)
	}

	ctx := context.Background()
	s := h.Shop(shop)
	if _, err := h.DB.SaveOrder(ctx, app.Order{ID: 700, ShopID: s.ID, Name: "#1001", Email: "lucia@example.com", ShopifyUpdatedAt: time.Now(),
		LineItems: []app.LineItem{{ID: 7000, SKU: "MUG-01", Title: "Taza", Quantity: 2, FulfillableQuantity: 2}}}); err != nil {
		t.Fatal(err)
	}
	res, err := h.Shipping.Submit(ctx, s, app.SourceAPI, []shipping.Submission{{OrderID: 700, TrackingNumber: "RB123456785ES"}})
	if err != nil || res[0].ShipmentID == "" {
		t.Fatalf("submit: %+v %v", res, err)
	}
	n, _, err := h.DB.QueueNotification(ctx, &app.Notification{ShopID: s.ID, ShipmentID: res[0].ShipmentID, Event: app.NotifyShipped,
		EventKey: app.NotificationKey(app.NotifyShipped, "RB123456785ES")})
	if err != nil {
		t.Fatal(err)
	}
	// The first try, not the last: a wrong configuration is final anyway.
	if err := h.Shipping.SendEmail(ctx, n.ID, false); app.ErrorCodeOf(err) != app.ErrInvalid {
		t.Fatalf("send: %v, want a final (invalid) error", err)
	}
	got, err := h.DB.NotificationByID(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != app.NotificationFailed || !strings.Contains(got.Detail, "refused the login") ||
		!strings.Contains(got.Detail, "SMTP_URL") || strings.Contains(got.Detail, wrong) || strings.Contains(got.Detail, "lucia@") {
		t.Fatalf("email log: %+v", got)
	}
	if n := len(pit.Messages()); n != 0 {
		t.Fatalf("%d messages arrived", n)
	}
}
