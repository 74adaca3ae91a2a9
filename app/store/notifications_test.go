package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
)

// A send is in flight from its mark to its recorded outcome: a crash in
// between leaves the mark for the next run to see; an outcome clears it; an
// email no longer queued is not marked again.
func TestNotificationInFlightTransitions(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		clock := apptest.NewClock(t0)
		db := storetest.Open(t, engine, clock)
		shop, err := db.SaveInstall(ctx, "acme.myshopify.com", app.OfflineToken{AccessToken: "shpat_x"})
		if err != nil {
			t.Fatal(err)
		}
		shipment := liveShipment(t, db, shop.ID, "RB123456785ES", 501, t0)
		n, _, err := db.QueueNotification(ctx, &app.Notification{ShopID: shop.ID, ShipmentID: shipment, Event: app.NotifyShipped,
			EventKey: app.NotificationKey(app.NotifyShipped, "RB123456785ES")})
		if err != nil {
			t.Fatal(err)
		}
		read := func() *app.Notification {
			t.Helper()
			got, err := db.NotificationByID(ctx, n.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := read(); got.SendingAt != nil || got.SendAttempts != 0 {
			t.Fatalf("a new email is in flight: %+v", got)
		}

		// The first send starts, and the process dies before its outcome.
		clock.Advance(time.Second)
		if marked, err := db.MarkNotificationSending(ctx, n.ID); err != nil || !marked {
			t.Fatalf("mark: %v %v", marked, err)
		}
		first := read()
		if first.Status != app.NotificationQueued || first.SendingAt == nil || !first.SendingAt.Equal(t0.Add(time.Second)) || first.SendAttempts != 1 {
			t.Fatalf("in flight: %+v", first)
		}
		// The stalled sweep still sees it as a queued email.
		stalled, err := db.StalledNotifications(ctx, t0.Add(time.Hour), 10)
		if err != nil || len(stalled) != 1 || stalled[0].ID != n.ID || stalled[0].SendingAt == nil {
			t.Fatalf("stalled: %+v %v", stalled, err)
		}

		// The recovered run marks it again, sends, records sent: once.
		clock.Advance(time.Minute)
		if marked, err := db.MarkNotificationSending(ctx, n.ID); err != nil || !marked {
			t.Fatalf("second mark: %v %v", marked, err)
		}
		if got := read(); got.SendAttempts != 2 || !got.SendingAt.Equal(t0.Add(time.Second+time.Minute)) {
			t.Fatalf("second attempt: %+v", got)
		}
		if err := db.SetNotificationStatus(ctx, n.ID, app.NotificationSent, "lucia@example.com", "es", "", ""); err != nil {
			t.Fatal(err)
		}
		sent := read()
		if sent.Status != app.NotificationSent || sent.SendingAt != nil || sent.SentAt == nil || sent.SendAttempts != 2 {
			t.Fatalf("sent: %+v", sent)
		}
		// Sent is final: no later run marks it in flight again.
		if marked, err := db.MarkNotificationSending(ctx, n.ID); err != nil || marked {
			t.Fatalf("a sent email marked in flight: %v %v", marked, err)
		}
		if got := read(); got.SendingAt != nil || got.SendAttempts != 2 {
			t.Fatalf("after a refused mark: %+v", got)
		}

		// A send the server did not take goes back to plain queued.
		other, _, err := db.QueueNotification(ctx, &app.Notification{ShopID: shop.ID, ShipmentID: shipment, Event: app.NotifyDelivered,
			EventKey: app.NotificationKey(app.NotifyDelivered, "")})
		if err != nil {
			t.Fatal(err)
		}
		if marked, err := db.MarkNotificationSending(ctx, other.ID); err != nil || !marked {
			t.Fatalf("mark: %v %v", marked, err)
		}
		if err := db.SetNotificationStatus(ctx, other.ID, app.NotificationQueued, "", "", "", ""); err != nil {
			t.Fatal(err)
		}
		got, err := db.NotificationByID(ctx, other.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != app.NotificationQueued || got.SendingAt != nil || got.SendAttempts != 1 {
			t.Fatalf("back to queued: %+v", got)
		}
		if marked, err := db.MarkNotificationSending(ctx, "no-such-id"); err != nil || marked {
			t.Fatalf("an unknown email marked: %v %v", marked, err)
		}
	})
}
