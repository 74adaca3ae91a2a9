package shipping_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/smtp/mailpittest"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

// crashAfterSMTP is the database as a process killed between the mail
// server's acceptance and the record sees it: the in-flight mark made before
// the send is written, the "sent" after it never is.
type crashAfterSMTP struct{ app.NotificationStore }

func (c crashAfterSMTP) SetNotificationStatus(ctx context.Context, id string, status app.NotificationStatus, recipient, locale string,
	reason app.NotificationReason, detail string) error {
	if status == app.NotificationSent {
		return errors.New("killed before recording the send")
	}
	return c.NotificationStore.SetNotificationStatus(ctx, id, status, recipient, locale, reason, detail)
}

// A crash after the mail server took the email and before it was recorded
// as sent: the recovered task sends it again — the one repeat that cannot be
// avoided — with the same Message-ID, which mail clients show once, logs a
// possible repeat, and the email ends sent. A normal send goes once; a
// merchant's resend is a new email with its own Message-ID.
func TestCrashBetweenSMTPAndRecordRepeatsWithTheSameMessageID(t *testing.T) {
	const domain = "acme.myshopify.com"
	ctx := context.Background()
	pit := mailpittest.Start(t, `@example\.com$`)
	var logs apptest.Logs
	h := wiringtest.New(t, wiringtest.Options{RedisDB: 6, Shops: []string{domain}, SMTPURL: pit.URL(), Log: &logs})
	shop := h.Shop(domain)
	if _, err := h.DB.SaveOrder(ctx, app.Order{ID: 700, ShopID: shop.ID, Name: "#1001", Email: "lucia@example.com", CustomerLocale: "es",
		CustomerFirstName: "Lucía", ShopifyUpdatedAt: time.Now(),
		LineItems: []app.LineItem{{ID: 7000, SKU: "MUG-01", Title: "Taza", Quantity: 2, FulfillableQuantity: 2}}}); err != nil {
		t.Fatal(err)
	}
	out, err := h.DB.CreateShipments(ctx, []*app.Shipment{{ShopID: shop.ID, OrderID: 700, OrderRef: "#1001", OrderName: "#1001",
		TrackingNumber: "RB123456785ES", Carrier: "Correos", Source: app.SourceAPI, State: app.ShipmentSynced, NotifyCustomer: true}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	shipmentID := out[0].ShipmentID
	queue := func(e app.NotificationEvent) *app.Notification {
		t.Helper()
		n, created, err := h.DB.QueueNotification(ctx, &app.Notification{ShopID: shop.ID, ShipmentID: shipmentID, Event: e,
			EventKey: app.NotificationKey(e, "RB123456785ES")})
		if err != nil || !created {
			t.Fatalf("queue %s: %v %v", e, created, err)
		}
		return n
	}
	read := func(id string) *app.Notification {
		t.Helper()
		n, err := h.DB.NotificationByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	appURL, err := url.Parse(h.URL)
	if err != nil {
		t.Fatal(err)
	}
	messageID := func(n *app.Notification) string { return "<" + n.ID + "@" + appURL.Hostname() + ">" }
	// messageIDs are the Message-ID headers of what arrived, oldest first.
	messageIDs := func(n int) []string {
		t.Helper()
		got := pit.Wait(n, 300*time.Millisecond)
		ids := make([]string, len(got))
		for i, m := range got {
			ids[len(got)-1-i] = strings.Join(pit.Read(m.ID).Headers["Message-Id"], ",")
		}
		return ids
	}

	// The first run: the server accepts, then the process dies.
	shipped := queue(app.NotifyShipped)
	crashing := *h.Shipping
	crashing.Notifications = crashAfterSMTP{h.DB}
	if err := crashing.SendEmail(ctx, shipped.ID, false); err == nil {
		t.Fatal("the crashed run reported success")
	}
	if ids := messageIDs(1); ids[0] != messageID(shipped) {
		t.Fatalf("first send's Message-ID %q, want %q", ids[0], messageID(shipped))
	}
	if n := read(shipped.ID); n.Status != app.NotificationQueued || n.SendingAt == nil {
		t.Fatalf("after the crash the email is not in flight: %+v", n)
	}
	if strings.Contains(logs.String(), "possible repeat") {
		t.Fatal("a possible repeat logged before any repeat")
	}

	// The task runs again, through the worker as Asynq's recovery would.
	h.StartWorker(wiringtest.TestWorker(2))
	if err := h.Queue.QueueNotificationEmail(ctx, domain, shipped.ID); err != nil {
		t.Fatal(err)
	}
	wiringtest.Eventually(t, "the recovered email recorded as sent", func() bool { return read(shipped.ID).Status == app.NotificationSent })
	ids := messageIDs(2)
	if ids[0] != messageID(shipped) || ids[1] != ids[0] {
		t.Fatalf("the repeat's Message-IDs %q, want %q twice", ids, messageID(shipped))
	}
	if n := read(shipped.ID); n.SendingAt != nil || n.SentAt == nil || n.SendAttempts != 2 {
		t.Fatalf("the recovered email: %+v", n)
	}
	l := logs.String()
	if strings.Count(l, "possible repeat") != 1 || !strings.Contains(l, `"notification_id":"`+shipped.ID+`"`) || strings.Contains(l, "lucia") {
		t.Fatalf("the log should say possible repeat once, with the email's id and no address: %s", l)
	}
	// And once sent, it stays sent once: the task again sends nothing.
	if err := h.Queue.QueueNotificationEmail(ctx, domain, shipped.ID); err != nil {
		t.Fatal(err)
	}

	// A normal send: one message, its own Message-ID, no repeat logged.
	out4 := queue(app.NotifyOutForDelivery)
	if err := h.Queue.QueueNotificationEmail(ctx, domain, out4.ID); err != nil {
		t.Fatal(err)
	}
	wiringtest.Eventually(t, "the normal email sent", func() bool { return read(out4.ID).Status == app.NotificationSent })
	ids = messageIDs(3)
	if ids[2] != messageID(out4) || ids[2] == ids[0] {
		t.Fatalf("the normal send's Message-ID %q, want %q", ids[2], messageID(out4))
	}
	if n := read(out4.ID); n.SendAttempts != 1 || n.SendingAt != nil {
		t.Fatalf("the normal email: %+v", n)
	}

	// The merchant resends "shipped": a deliberate new email, which must
	// not collapse with the first in the customer's mailbox.
	resent, err := h.Shipping.Resend(ctx, shop, shipmentID, shipping.ResendRequest{Event: app.NotifyShipped, Note: "Perdona el retraso"})
	if err != nil {
		t.Fatal(err)
	}
	wiringtest.Eventually(t, "the resend sent", func() bool { return read(resent.ID).Status == app.NotificationSent })
	ids = messageIDs(4)
	if ids[3] != messageID(resent) || ids[3] == messageID(shipped) {
		t.Fatalf("the resend's Message-ID %q, the first's %q: a resend needs its own", ids[3], messageID(shipped))
	}
	if strings.Count(logs.String(), "possible repeat") != 1 {
		t.Fatalf("a normal send or a resend logged as a possible repeat: %s", logs.String())
	}
}

// A send the mail server did not take (it was down) leaves the email queued
// and not in flight: its retry is no possible repeat.
func TestUnreachableServerLeavesNoSendInFlight(t *testing.T) {
	const domain = "acme.myshopify.com"
	ctx := context.Background()
	var logs apptest.Logs
	h := wiringtest.New(t, wiringtest.Options{RedisDB: 6, Shops: []string{domain}, SMTPURL: "smtp://127.0.0.1:1?tls=none", Log: &logs})
	shop := h.Shop(domain)
	if _, err := h.DB.SaveOrder(ctx, app.Order{ID: 700, ShopID: shop.ID, Name: "#1001", Email: "lucia@example.com", ShopifyUpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	out, err := h.DB.CreateShipments(ctx, []*app.Shipment{{ShopID: shop.ID, OrderID: 700, OrderRef: "#1001", OrderName: "#1001",
		TrackingNumber: "RB123456785ES", Source: app.SourceAPI, State: app.ShipmentSynced, NotifyCustomer: true}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := h.DB.QueueNotification(ctx, &app.Notification{ShopID: shop.ID, ShipmentID: out[0].ShipmentID, Event: app.NotifyShipped,
		EventKey: app.NotificationKey(app.NotifyShipped, "RB123456785ES")})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := h.Shipping.SendEmail(ctx, n.ID, false); app.ErrorCodeOf(err) != app.ErrUnavailable {
			t.Fatalf("server down: %v, want unavailable (retry)", err)
		}
	}
	got, err := h.DB.NotificationByID(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != app.NotificationQueued || got.SendingAt != nil || got.SendAttempts != 2 {
		t.Fatalf("after two refused connections: %+v", got)
	}
	if strings.Contains(logs.String(), "possible repeat") {
		t.Fatalf("a send that never reached the server logged as a possible repeat: %s", logs.String())
	}
}

// cancelAfterSend is a worker shutting down (or the task's timeout) just as
// the mail server accepts: the context ends the moment Send returns.
type cancelAfterSend struct {
	app.Mailer
	cancel context.CancelFunc
}

func (c cancelAfterSend) Send(ctx context.Context, e app.Email) error {
	err := c.Mailer.Send(ctx, e)
	c.cancel()
	return err
}

// An email the server accepted is recorded as sent even when the task's
// context ends right then: otherwise the retry would send it again.
func TestShutdownAfterSMTPStillRecordsTheSend(t *testing.T) {
	const domain = "acme.myshopify.com"
	pit := mailpittest.Start(t, `@example\.com$`)
	h := wiringtest.New(t, wiringtest.Options{RedisDB: 6, Shops: []string{domain}, SMTPURL: pit.URL()})
	shop := h.Shop(domain)
	bg := context.Background()
	if _, err := h.DB.SaveOrder(bg, app.Order{ID: 700, ShopID: shop.ID, Name: "#1001", Email: "lucia@example.com", ShopifyUpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	out, err := h.DB.CreateShipments(bg, []*app.Shipment{{ShopID: shop.ID, OrderID: 700, OrderRef: "#1001", OrderName: "#1001",
		TrackingNumber: "RB123456785ES", Source: app.SourceAPI, State: app.ShipmentSynced, NotifyCustomer: true}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := h.DB.QueueNotification(bg, &app.Notification{ShopID: shop.ID, ShipmentID: out[0].ShipmentID, Event: app.NotifyShipped,
		EventKey: app.NotificationKey(app.NotifyShipped, "RB123456785ES")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	stopping := *h.Shipping
	stopping.Mailer = cancelAfterSend{Mailer: h.Mailer, cancel: cancel}
	if err := stopping.SendEmail(ctx, n.ID, false); err != nil {
		t.Fatalf("a send the server accepted: %v", err)
	}
	pit.Wait(1, 0)
	got, err := h.DB.NotificationByID(bg, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != app.NotificationSent || got.SendingAt != nil {
		t.Fatalf("accepted, then the context ended: %+v", got)
	}
	// The task's retry, if any, sends nothing more.
	if err := h.Shipping.SendEmail(bg, n.ID, false); err != nil {
		t.Fatal(err)
	}
	pit.Wait(1, 300*time.Millisecond)
}
