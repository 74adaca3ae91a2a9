package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
)

// textShipment records a shipment of the order orderID named orderName.
func textShipment(t *testing.T, db *store.DB, shopID string, orderID int64, orderName, number string) string {
	t.Helper()
	out, err := db.CreateShipments(context.Background(), []*app.Shipment{{ShopID: shopID, OrderRef: orderName, OrderID: orderID,
		OrderName: orderName, TrackingNumber: number, Source: app.SourceAPI, State: app.ShipmentPending, NotifyCustomer: true}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	return out[0].ShipmentID
}

func queueText(t *testing.T, db *store.DB, shopID, shipmentID string, c app.Channel, e app.NotificationEvent, phone string) *app.CustomerText {
	t.Helper()
	m, _, err := db.QueueText(context.Background(), &app.CustomerText{ShopID: shopID, ShipmentID: shipmentID, Channel: c, Event: e,
		EventKey: app.NotificationKey(e, ""), Phone: phone, Locale: "es"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func readText(t *testing.T, db *store.DB, id string) *app.CustomerText {
	t.Helper()
	m, err := db.TextByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func countRows(t *testing.T, db *store.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Gorm().Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// However many workers queue the same text at once, the customer gets one
// message: one row, the same one for every caller, created for one only.
func TestQueueTextOnceUnderConcurrency(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		shop := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		shipment := textShipment(t, db, shop.ID, 501, "#1001", "RB123456785ES")

		const workers = 8
		var wg sync.WaitGroup
		ids := make([]string, workers)
		created := make([]bool, workers)
		errs := make([]error, workers)
		for i := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, c, err := db.QueueText(ctx, &app.CustomerText{ShopID: shop.ID, ShipmentID: shipment, Channel: app.ChannelWhatsApp,
					Event: app.NotifyShipped, EventKey: app.NotificationKey(app.NotifyShipped, "")})
				errs[i], created[i] = err, c
				if m != nil {
					ids[i] = m.ID
				}
			}()
		}
		wg.Wait()
		nCreated := 0
		for i := range workers {
			if errs[i] != nil {
				t.Fatalf("worker %d: %v", i, errs[i])
			}
			if ids[i] == "" || ids[i] != ids[0] {
				t.Fatalf("workers got different texts: %v", ids)
			}
			if created[i] {
				nCreated++
			}
		}
		if nCreated != 1 {
			t.Fatalf("%d workers created the text, want 1", nCreated)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM customer_texts"); n != 1 {
			t.Fatalf("%d texts stored, want 1", n)
		}
		got := readText(t, db, ids[0])
		if got.Status != app.TextQueued || got.Channel != app.ChannelWhatsApp || !got.QueuedAt.Equal(t0) {
			t.Fatalf("queued text: %+v", got)
		}

		// The same event by SMS is another message.
		sms := queueText(t, db, shop.ID, shipment, app.ChannelSMS, app.NotifyShipped, "")
		if sms.ID == ids[0] {
			t.Fatal("the SMS is the WhatsApp message")
		}
		if _, _, err := db.QueueText(ctx, &app.CustomerText{ShopID: shop.ID, ShipmentID: shipment, Channel: app.ChannelEmail,
			Event: app.NotifyShipped, EventKey: "shipped"}); app.ErrorCodeOf(err) != app.ErrInvalid {
			t.Fatalf("an email queued as a text: %v", err)
		}
	})
}

// A send is in flight from its mark to its outcome; the provider's reports
// then move the text forward only: a late "sent" never undoes "delivered",
// a "failed" never undoes "read".
func TestTextStatusMovesForwardOnly(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		clock := apptest.NewClock(t0)
		db := storetest.Open(t, engine, clock)
		shop := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		shipment := textShipment(t, db, shop.ID, 501, "#1001", "RB123456785ES")
		m := queueText(t, db, shop.ID, shipment, app.ChannelWhatsApp, app.NotifyShipped, "")

		clock.Advance(time.Second)
		if ok, err := db.MarkTextSending(ctx, m.ID); err != nil || !ok {
			t.Fatalf("mark: %v %v", ok, err)
		}
		if got := readText(t, db, m.ID); got.SendingAt == nil || got.SendAttempts != 1 || got.Status != app.TextQueued {
			t.Fatalf("in flight: %+v", got)
		}
		stalled, err := db.StalledTexts(ctx, t0.Add(time.Hour), 10)
		if err != nil || len(stalled) != 1 || stalled[0].ID != m.ID {
			t.Fatalf("stalled: %+v %v", stalled, err)
		}
		if stalled, err := db.StalledTexts(ctx, t0, 10); err != nil || len(stalled) != 0 {
			t.Fatalf("stalled before it was touched: %+v %v", stalled, err)
		}
		clock.Advance(time.Second)
		if err := db.SetTextOutcome(ctx, m.ID, app.TextOutcome{Status: app.TextSent, Phone: "+34612345678", Locale: "es",
			ProviderMessageID: "wamid.HBgL1", Segments: 1, Encoding: "gsm7"}); err != nil {
			t.Fatal(err)
		}
		sent := readText(t, db, m.ID)
		if sent.Status != app.TextSent || sent.SendingAt != nil || sent.SentAt == nil || !sent.SentAt.Equal(t0.Add(2*time.Second)) ||
			sent.Phone != "+34612345678" || sent.ProviderMessageID != "wamid.HBgL1" || sent.Segments != 1 || sent.Encoding != "gsm7" {
			t.Fatalf("sent: %+v", sent)
		}
		if ok, err := db.MarkTextSending(ctx, m.ID); err != nil || ok {
			t.Fatalf("a sent text marked in flight again: %v %v", ok, err)
		}
		if stalled, err := db.StalledTexts(ctx, t0.Add(time.Hour), 10); err != nil || len(stalled) != 0 {
			t.Fatalf("a sent text stalled: %+v %v", stalled, err)
		}

		// Reports find it by the provider's id, on its channel only.
		if got, err := db.TextByProviderID(ctx, app.ChannelWhatsApp, "wamid.HBgL1"); err != nil || got.ID != m.ID {
			t.Fatalf("by provider id: %+v %v", got, err)
		}
		if _, err := db.TextByProviderID(ctx, app.ChannelSMS, "wamid.HBgL1"); app.ErrorCodeOf(err) != app.ErrNotFound {
			t.Fatalf("found on the other channel: %v", err)
		}
		if _, err := db.TextByProviderID(ctx, app.ChannelWhatsApp, ""); app.ErrorCodeOf(err) != app.ErrNotFound {
			t.Fatalf("an empty provider id found a text: %v", err)
		}

		apply := func(id string, s app.TextStatus, at time.Time, reason app.TextReason, detail string) bool {
			t.Helper()
			moved, err := db.ApplyTextReport(ctx, id, s, at, reason, detail)
			if err != nil {
				t.Fatal(err)
			}
			return moved
		}
		deliveredAt := t0.Add(time.Minute)
		if !apply(m.ID, app.TextDelivered, deliveredAt, "", "") {
			t.Fatal("delivered did not move a sent text")
		}
		if apply(m.ID, app.TextSent, t0.Add(30*time.Second), "", "") {
			t.Fatal("a late sent moved a delivered text")
		}
		if got := readText(t, db, m.ID); got.Status != app.TextDelivered || !got.DeliveredAt.Equal(deliveredAt) || got.ReadAt != nil {
			t.Fatalf("after a late sent: %+v", got)
		}
		readAt := t0.Add(2 * time.Minute)
		if !apply(m.ID, app.TextRead, readAt, "", "") {
			t.Fatal("read did not move a delivered text")
		}
		if apply(m.ID, app.TextFailed, t0.Add(3*time.Minute), app.TextReasonUndelivered, "131026 Message undeliverable") {
			t.Fatal("failed moved a read text")
		}
		if apply(m.ID, app.TextDelivered, t0.Add(4*time.Minute), "", "") {
			t.Fatal("delivered moved a read text")
		}
		got := readText(t, db, m.ID)
		if got.Status != app.TextRead || !got.ReadAt.Equal(readAt) || !got.DeliveredAt.Equal(deliveredAt) || got.Reason != "" || got.Detail != "" {
			t.Fatalf("after a late failed: %+v", got)
		}

		// Queued straight to failed, with why; nothing moves it after.
		other := queueText(t, db, shop.ID, shipment, app.ChannelWhatsApp, app.NotifyDelivered, "")
		if !apply(other.ID, app.TextFailed, t0.Add(time.Minute), app.TextReasonUndelivered, "131026 Message undeliverable") {
			t.Fatal("failed did not move a queued text")
		}
		if apply(other.ID, app.TextDelivered, t0.Add(2*time.Minute), "", "") {
			t.Fatal("delivered moved a failed text")
		}
		if got := readText(t, db, other.ID); got.Status != app.TextFailed || got.Reason != app.TextReasonUndelivered ||
			got.Detail != "131026 Message undeliverable" || got.DeliveredAt != nil {
			t.Fatalf("failed: %+v", got)
		}
		if _, err := db.ApplyTextReport(ctx, "no-such-text", app.TextDelivered, t0, "", ""); app.ErrorCodeOf(err) != app.ErrNotFound {
			t.Fatalf("a report for an unknown text: %v", err)
		}

		// A report read "sent"; before it writes "delivered", another
		// lands "read": the compare-and-set makes the first read again and
		// leave "read" as it is.
		racing := queueText(t, db, shop.ID, shipment, app.ChannelSMS, app.NotifyShipped, "")
		if err := db.SetTextOutcome(ctx, racing.ID, app.TextOutcome{Status: app.TextSent, ProviderMessageID: "SM1"}); err != nil {
			t.Fatal(err)
		}
		var once sync.Once
		cb := db.Gorm().Callback().Update()
		if err := cb.Before("gorm:update").Register("test:racing_report", func(tx *gorm.DB) {
			if tx.Statement.Table != "customer_texts" {
				return
			}
			once.Do(func() {
				if err := db.Gorm().Exec("UPDATE customer_texts SET status = ?, read_at = ? WHERE id = ?", string(app.TextRead), t0, racing.ID).Error; err != nil {
					t.Error(err)
				}
			})
		}); err != nil {
			t.Fatal(err)
		}
		moved, err := db.ApplyTextReport(ctx, racing.ID, app.TextDelivered, t0.Add(time.Minute), "", "")
		if err := cb.Remove("test:racing_report"); err != nil {
			t.Fatal(err)
		}
		if err != nil || moved {
			t.Fatalf("delivered over a racing read: moved %v, %v", moved, err)
		}
		if got := readText(t, db, racing.ID); got.Status != app.TextRead || got.DeliveredAt != nil {
			t.Fatalf("after racing reports: %+v", got)
		}

		texts, err := db.ShipmentTexts(ctx, shipment)
		if err != nil || len(texts) != 3 {
			t.Fatalf("shipment texts: %d %v", len(texts), err)
		}
	})
}

// A customer who replied STOP is not texted again until they opt in again;
// a STOP before any consent blocks a later Shopify consent from the caller's
// point of view (the revoked row is there).
func TestTextConsentGrantRevokeRegrant(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		clock := apptest.NewClock(t0)
		db := storetest.Open(t, engine, clock)
		shop := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		lucia := app.PhoneHash("+34612345678")
		consent := func(hash string, c app.Channel) *app.Consent {
			t.Helper()
			got, err := db.Consent(ctx, shop.ID, hash, c)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := consent(lucia, app.ChannelWhatsApp); got != nil || got.Active() {
			t.Fatalf("consent before any: %+v", got)
		}
		// Any source first; a later grant replaces it.
		earlier := app.ConsentSource("an_earlier_source")
		if err := db.GrantConsent(ctx, app.Consent{ShopID: shop.ID, PhoneHash: lucia, Channel: app.ChannelWhatsApp,
			Source: earlier}); err != nil {
			t.Fatal(err)
		}
		got := consent(lucia, app.ChannelWhatsApp)
		if !got.Active() || got.Source != earlier || !got.GrantedAt.Equal(t0) {
			t.Fatalf("granted: %+v", got)
		}

		stopAt := t0.Add(time.Hour)
		if err := db.RevokeConsent(ctx, shop.ID, lucia, app.ChannelWhatsApp, "stop_reply", stopAt); err != nil {
			t.Fatal(err)
		}
		got = consent(lucia, app.ChannelWhatsApp)
		if got.Active() || got.RevokedBy != "stop_reply" || !got.RevokedAt.Equal(stopAt) {
			t.Fatalf("revoked: %+v", got)
		}
		if sms := consent(lucia, app.ChannelSMS); sms != nil {
			t.Fatalf("a WhatsApp STOP touched SMS: %+v", sms)
		}

		clock.Advance(2 * time.Hour)
		if err := db.GrantConsent(ctx, app.Consent{ShopID: shop.ID, PhoneHash: lucia, Channel: app.ChannelWhatsApp,
			Source: app.ConsentTrackingPage}); err != nil {
			t.Fatal(err)
		}
		got = consent(lucia, app.ChannelWhatsApp)
		if !got.Active() || got.Source != app.ConsentTrackingPage || got.RevokedBy != "" || !got.GrantedAt.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("opted in again: %+v", got)
		}

		// STOP from a number that never consented: recorded, and withdrawn.
		pedro := app.PhoneHash("+525512345678")
		if err := db.RevokeConsent(ctx, shop.ID, pedro, app.ChannelSMS, "stop_reply", t0); err != nil {
			t.Fatal(err)
		}
		got = consent(pedro, app.ChannelSMS)
		if got == nil || got.Active() || got.RevokedBy != "stop_reply" || !got.GrantedAt.IsZero() {
			t.Fatalf("revoked without a grant: %+v", got)
		}
		// Another shop knows nothing of it.
		other := install(t, db, "other.myshopify.com", app.OfflineToken{AccessToken: "a"})
		if got, err := db.Consent(ctx, other.ID, pedro, app.ChannelSMS); err != nil || got != nil {
			t.Fatalf("another shop's consent: %+v %v", got, err)
		}
	})
}

func TestPreferencesRoundTrip(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		shop := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		contact := app.PhoneHash("+34612345678")
		p, err := db.Preferences(ctx, shop.ID, contact)
		if err != nil {
			t.Fatal(err)
		}
		if p.Channels == nil || p.Topics == nil || len(p.Channels) != 0 || len(p.Topics) != 0 || p.ContactHash != contact {
			t.Fatalf("no preferences: %+v", p)
		}
		if !p.Wants(app.ChannelSMS, app.NotifyDelayed) {
			t.Fatal("a customer who never chose does not want a delay text")
		}
		p.Channels[app.ChannelSMS] = false
		p.Topics[app.TopicDelays] = false
		p.Topics[app.TopicDelivered] = true
		if err := db.SavePreferences(ctx, p); err != nil {
			t.Fatal(err)
		}
		got, err := db.Preferences(ctx, shop.ID, contact)
		if err != nil {
			t.Fatal(err)
		}
		if got.Wants(app.ChannelSMS, app.NotifyShipped) || got.Wants(app.ChannelWhatsApp, app.NotifyDelayed) ||
			!got.Wants(app.ChannelWhatsApp, app.NotifyDelivered) || !got.UpdatedAt.Equal(t0) {
			t.Fatalf("read back: %+v", got)
		}
		// Saved again: replaced, not merged.
		got.Channels = map[app.Channel]bool{}
		got.Topics = map[app.PreferenceTopic]bool{app.TopicShipped: false}
		if err := db.SavePreferences(ctx, got); err != nil {
			t.Fatal(err)
		}
		again, err := db.Preferences(ctx, shop.ID, contact)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Wants(app.ChannelSMS, app.NotifyDelayed) || again.Wants(app.ChannelSMS, app.NotifyShipped) || len(again.Channels) != 0 {
			t.Fatalf("saved again: %+v", again)
		}
	})
}

// The provider's token and app secret are never in the database in clear,
// and a sealed secret copied to another shop's row does not open.
func TestChannelConnectionSecretsSealed(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		clock := apptest.NewClock(t0)
		db := storetest.Open(t, engine, clock)
		shop := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		other := install(t, db, "other.myshopify.com", app.OfflineToken{AccessToken: "a"})
		const token, appSecret = "EAAGclearsystemusertoken9f3a", "clearappsecret0123456789abcdef"
		conn := &app.ChannelConnection{ShopID: shop.ID, Channel: app.ChannelWhatsApp, Provider: app.ProviderMeta, AccountID: "waba-1",
			SenderID: "pnid-1", Token: token, AppSecret: appSecret, VerifyToken: "verify-me", TestPhone: "+34600000001"}
		if err := db.SaveChannelConnection(ctx, conn); err != nil {
			t.Fatal(err)
		}
		if conn.ID == "" || conn.TokenHint != "…9f3a" {
			t.Fatalf("saved: %+v", conn)
		}
		var row map[string]any
		if err := db.Gorm().Raw("SELECT * FROM channel_connections WHERE id = ?", conn.ID).Scan(&row).Error; err != nil {
			t.Fatal(err)
		}
		for col, v := range row {
			if s, ok := v.(string); ok && (strings.Contains(s, "clearsystemusertoken") || strings.Contains(s, "clearappsecret")) {
				t.Fatalf("column %s holds a clear secret", col)
			}
		}
		if !strings.HasPrefix(row["token_sealed"].(string), "v1:") || !strings.HasPrefix(row["app_secret_sealed"].(string), "v1:") {
			t.Fatalf("secrets not sealed: %v %v", row["token_sealed"], row["app_secret_sealed"])
		}
		got, err := db.ChannelConnectionByID(ctx, conn.ID)
		if err != nil || got.Token != token || got.AppSecret != appSecret || got.SenderID != "pnid-1" || got.ShopID != shop.ID {
			t.Fatalf("opened: %+v %v", got, err)
		}
		// What the admin is sent holds neither secret.
		js, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(js), token) || strings.Contains(string(js), appSecret) {
			t.Fatalf("the connection's JSON holds a secret: %s", js)
		}

		// Copied into another shop's row: it does not open.
		if err := db.Gorm().Exec(`INSERT INTO channel_connections (id, shop_id, channel, provider, account_id, sender_id, token_sealed,
			app_secret_sealed, verify_token, token_hint, test_phone, check_error, created_at, updated_at)
			SELECT 'copied', ?, channel, provider, account_id, sender_id, token_sealed, app_secret_sealed, verify_token, token_hint,
			test_phone, check_error, created_at, updated_at FROM channel_connections WHERE id = ?`, other.ID, conn.ID).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := db.ChannelConnectionByID(ctx, "copied"); err == nil {
			t.Fatal("a connection copied to another shop opened")
		}
		if err := db.Gorm().Exec("DELETE FROM channel_connections WHERE id = 'copied'").Error; err != nil {
			t.Fatal(err)
		}

		// Tested, templates known; then replaced with a new account.
		if err := db.RecordChannelCheck(ctx, conn.ID, "text_check_failed", ""); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveTextTemplates(ctx, conn.ID, []app.TextTemplate{
			{Event: app.NotifyShipped, Language: "es", Name: "waybill_shipped", Status: app.TemplatePending},
			{Event: app.NotifyShipped, Language: "en", Name: "waybill_shipped", Status: app.TemplateRejected, Reason: "INVALID_FORMAT"},
			{Event: app.NotifyShipped, Language: "es", Name: "waybill_shipped", Status: app.TemplateApproved},
		}); err != nil {
			t.Fatal(err)
		}
		templates, err := db.TextTemplates(ctx, conn.ID)
		if err != nil || len(templates) != 2 || templates[0].Language != "en" || templates[0].Reason != "INVALID_FORMAT" ||
			templates[1].Status != app.TemplateApproved {
			t.Fatalf("templates: %+v %v", templates, err)
		}
		checked, err := db.ChannelConnectionByID(ctx, conn.ID)
		if err != nil || checked.CheckedAt == nil || checked.CheckError != "text_check_failed" {
			t.Fatalf("checked: %+v %v", checked, err)
		}
		clock.Advance(time.Hour)
		replaced := &app.ChannelConnection{ShopID: shop.ID, Channel: app.ChannelWhatsApp, Provider: app.ProviderMeta, AccountID: "waba-2",
			SenderID: "pnid-2", Token: "EAAGsecondtoken000000000000beef"}
		if err := db.SaveChannelConnection(ctx, replaced); err != nil {
			t.Fatal(err)
		}
		if replaced.ID != conn.ID || replaced.VerifyToken != "verify-me" {
			t.Fatalf("replaced: %+v", replaced)
		}
		got, err = db.ChannelConnectionByID(ctx, conn.ID)
		if err != nil || got.Token != "EAAGsecondtoken000000000000beef" || got.AppSecret != "" || got.CheckedAt != nil ||
			got.CheckError != "" || got.SenderID != "pnid-2" || !got.CreatedAt.Equal(t0) {
			t.Fatalf("after the replace: %+v %v", got, err)
		}
		if templates, err := db.TextTemplates(ctx, conn.ID); err != nil || len(templates) != 0 {
			t.Fatalf("another account's templates kept: %+v %v", templates, err)
		}

		sms := &app.ChannelConnection{ShopID: shop.ID, Channel: app.ChannelSMS, Provider: app.ProviderTwilio, AccountID: "AC123",
			SenderID: "MG123", Token: "twilioauthtoken0000000000000000"}
		if err := db.SaveChannelConnection(ctx, sms); err != nil {
			t.Fatal(err)
		}
		conns, err := db.ChannelConnections(ctx, shop.ID)
		if err != nil || len(conns) != 2 || conns[0].Channel != app.ChannelWhatsApp || conns[1].Token != "twilioauthtoken0000000000000000" {
			t.Fatalf("connections: %+v %v", conns, err)
		}
		if err := db.DeleteChannelConnection(ctx, other.ID, sms.ID); app.ErrorCodeOf(err) != app.ErrNotFound {
			t.Fatalf("another shop deleted the connection: %v", err)
		}
		if err := db.DeleteChannelConnection(ctx, shop.ID, sms.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ChannelConnectionByID(ctx, sms.ID); app.ErrorCodeOf(err) != app.ErrNotFound {
			t.Fatalf("deleted connection: %v", err)
		}
	})
}

// A sealed secret moved to the other field of the same row does not open.
func TestChannelConnectionSecretBoundToField(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		shop := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		conn := &app.ChannelConnection{ShopID: shop.ID, Channel: app.ChannelWhatsApp, Provider: app.ProviderMeta,
			Token: "EAAGtoken0000000000000000", AppSecret: "appsecret000000000000000"}
		if err := db.SaveChannelConnection(ctx, conn); err != nil {
			t.Fatal(err)
		}
		if err := db.Gorm().Exec("UPDATE channel_connections SET token_sealed = app_secret_sealed WHERE id = ?", conn.ID).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := db.ChannelConnectionByID(ctx, conn.ID); err == nil {
			t.Fatal("the app secret opened as the token")
		}
	})
}

func TestTextSettingsAndContactOptions(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		shop := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		s, err := db.TextSettings(ctx, shop.ID)
		if err != nil || s.Disabled == nil {
			t.Fatalf("defaults: %+v %v", s, err)
		}
		if !s.Enabled(app.ChannelWhatsApp, app.NotifyShipped) || s.Enabled(app.ChannelSMS, app.NotifyDelayed) {
			t.Fatal("defaults: shipped off or delayed on")
		}
		if err := db.SaveContactOptions(ctx, shop.ID, app.ContactOptions{WhatsApp: "+34600000001", Email: "help@acme.test"}); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveTextSettings(ctx, shop.ID, app.TextSettings{Disabled: map[app.Channel]map[app.NotificationEvent]bool{
			app.ChannelSMS: {app.NotifyShipped: true, app.NotifyDelayed: false}}}); err != nil {
			t.Fatal(err)
		}
		s, err = db.TextSettings(ctx, shop.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s.Enabled(app.ChannelSMS, app.NotifyShipped) || !s.Enabled(app.ChannelSMS, app.NotifyDelayed) || !s.Enabled(app.ChannelWhatsApp, app.NotifyShipped) {
			t.Fatalf("saved settings: %+v", s)
		}
		// Each half is saved without touching the other.
		c, err := db.ContactOptions(ctx, shop.ID)
		if err != nil || c.WhatsApp != "+34600000001" || c.Email != "help@acme.test" || c.Phone != "" {
			t.Fatalf("contact options after the settings: %+v %v", c, err)
		}
		if err := db.SaveContactOptions(ctx, shop.ID, app.ContactOptions{Phone: "+34910000000"}); err != nil {
			t.Fatal(err)
		}
		if s, err := db.TextSettings(ctx, shop.ID); err != nil || s.Enabled(app.ChannelSMS, app.NotifyShipped) {
			t.Fatalf("settings after the contact options: %+v %v", s, err)
		}
		if c, err := db.ContactOptions(ctx, shop.ID); err != nil || c != (app.ContactOptions{Phone: "+34910000000"}) {
			t.Fatalf("contact options replaced: %+v %v", c, err)
		}
		other := install(t, db, "other.myshopify.com", app.OfflineToken{AccessToken: "a"})
		if c, err := db.ContactOptions(ctx, other.ID); err != nil || c != (app.ContactOptions{}) {
			t.Fatalf("another shop's contact options: %+v %v", c, err)
		}
	})
}

// The phone a customer gave on the tracking page survives every later
// orders/updated; the tracking page finds the order by either phone.
func TestOrderPhonesAndNotifyPhone(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		shop := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		save := func(o app.Order) {
			t.Helper()
			if wrote, err := db.SaveOrder(ctx, o); err != nil || !wrote {
				t.Fatalf("save: %v %v", wrote, err)
			}
		}
		order := app.Order{ID: 501, ShopID: shop.ID, Name: "#1001", Email: "", Phone: "+34612345678", SMSConsent: true,
			ShippingCountry: "ES", ShopifyUpdatedAt: t0}
		save(order)
		if err := db.SetOrderNotifyPhone(ctx, shop.ID, 501, "+34699999999"); err != nil {
			t.Fatal(err)
		}
		if err := db.SetOrderNotifyPhone(ctx, shop.ID, 999, "+34699999999"); app.ErrorCodeOf(err) != app.ErrNotFound {
			t.Fatalf("notify phone of an unknown order: %v", err)
		}
		// Shopify sends the order twice more, with another phone and no consent.
		order.Phone, order.SMSConsent = "+34611111111", false
		order.ShopifyUpdatedAt = t0.Add(time.Minute)
		save(order)
		order.ShopifyUpdatedAt = t0.Add(2 * time.Minute)
		save(order)
		got, err := db.OrderByID(ctx, shop.ID, 501)
		if err != nil {
			t.Fatal(err)
		}
		if got.NotifyPhone != "+34699999999" || got.Phone != "+34611111111" || got.SMSConsent || got.TextPhone() != "+34699999999" {
			t.Fatalf("after two saves: phone %q consent %v notify %q", got.Phone, got.SMSConsent, got.NotifyPhone)
		}

	})
}

// customers/redact erases the customer's phones: on their orders (both),
// and on the texts about those orders' shipments; other customers keep theirs.
func TestCustomerRedactErasesPhones(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		shop := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		for _, o := range []app.Order{
			{ID: 501, ShopID: shop.ID, Name: "#1001", CustomerID: 7, Phone: "+34612345678", SMSConsent: true, ShopifyUpdatedAt: t0},
			{ID: 502, ShopID: shop.ID, Name: "#1002", CustomerID: 8, Phone: "+34633333333", SMSConsent: true, ShopifyUpdatedAt: t0},
		} {
			if _, err := db.SaveOrder(ctx, o); err != nil {
				t.Fatal(err)
			}
			if err := db.SetOrderNotifyPhone(ctx, shop.ID, o.ID, "+3469999999"+o.Name[4:]); err != nil {
				t.Fatal(err)
			}
		}
		mine := queueText(t, db, shop.ID, textShipment(t, db, shop.ID, 501, "#1001", "RB1"), app.ChannelWhatsApp, app.NotifyShipped, "+34612345678")
		if err := db.SetTextOutcome(ctx, mine.ID, app.TextOutcome{Status: app.TextSent, Phone: "+34612345678", ProviderMessageID: "wamid.1"}); err != nil {
			t.Fatal(err)
		}
		theirs := queueText(t, db, shop.ID, textShipment(t, db, shop.ID, 502, "#1002", "RB2"), app.ChannelSMS, app.NotifyShipped, "+34633333333")

		// A data request shows the customer their phones and texts, and
		// only theirs.
		report, err := db.CustomerData(ctx, shop.ID, app.Customer{ID: 7}, nil)
		if err != nil || len(report.Orders) != 1 || report.Orders[0].Phone != "+34612345678" || report.Orders[0].NotifyPhone != "+34699999991" ||
			len(report.Texts) != 1 || report.Texts[0].ID != mine.ID {
			t.Fatalf("data report: %+v %v", report, err)
		}

		n, err := db.RedactCustomer(ctx, shop.ID, app.Customer{ID: 7}, nil)
		if err != nil || n != 1 {
			t.Fatalf("redact: %d %v", n, err)
		}
		got, err := db.OrderByID(ctx, shop.ID, 501)
		if err != nil || got.Phone != "" || got.NotifyPhone != "" || got.SMSConsent {
			t.Fatalf("redacted order: %+v %v", got, err)
		}
		if m := readText(t, db, mine.ID); m.Phone != "" || m.Status != app.TextSent {
			t.Fatalf("redacted text: %+v", m)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM orders WHERE phone LIKE '%612345678' OR notify_phone LIKE '%9999991'"); n != 0 {
			t.Fatalf("%d orders keep the redacted phones", n)
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM customer_texts WHERE phone LIKE '%612345678'"); n != 0 {
			t.Fatalf("%d texts keep the redacted phone", n)
		}
		// Shopify's next update and the tracking page do not bring them back.
		if _, err := db.SaveOrder(ctx, app.Order{ID: 501, ShopID: shop.ID, Name: "#1001", CustomerID: 7, Phone: "+34612345678",
			SMSConsent: true, ShopifyUpdatedAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetOrderNotifyPhone(ctx, shop.ID, 501, "+34612345678"); app.ErrorCodeOf(err) != app.ErrNotFound {
			t.Fatalf("notify phone on a redacted order: %v", err)
		}
		if got, err := db.OrderByID(ctx, shop.ID, 501); err != nil || got.Phone != "" || got.NotifyPhone != "" || got.SMSConsent {
			t.Fatalf("redacted order after an update: %+v %v", got, err)
		}

		// The other customer keeps everything.
		kept, err := db.OrderByID(ctx, shop.ID, 502)
		if err != nil || kept.Phone != "+34633333333" || kept.NotifyPhone != "+34699999992" || !kept.SMSConsent {
			t.Fatalf("another customer's order: %+v %v", kept, err)
		}
		if m := readText(t, db, theirs.ID); m.Phone != "+34633333333" {
			t.Fatalf("another customer's text: %+v", m)
		}
	})
}

// shop/redact leaves nothing of the shop's texts: accounts, templates,
// settings, texts, consents, preferences; another shop keeps its own.
func TestShopRedactRemovesTextData(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		db := storetest.Open(t, engine, apptest.NewClock(t0))
		fill := func(domain string) string {
			shop := install(t, db, domain, app.OfflineToken{AccessToken: "a"})
			if _, err := db.SaveOrder(ctx, app.Order{ID: 501, ShopID: shop.ID, Name: "#1001", Phone: "+34612345678", ShopifyUpdatedAt: t0}); err != nil {
				t.Fatal(err)
			}
			conn := &app.ChannelConnection{ShopID: shop.ID, Channel: app.ChannelWhatsApp, Provider: app.ProviderMeta, Token: "EAAGtoken000000000000"}
			if err := db.SaveChannelConnection(ctx, conn); err != nil {
				t.Fatal(err)
			}
			if err := db.SaveTextTemplates(ctx, conn.ID, []app.TextTemplate{{Event: app.NotifyShipped, Language: "es", Name: "waybill_shipped",
				Status: app.TemplateApproved}}); err != nil {
				t.Fatal(err)
			}
			if err := db.SaveTextSettings(ctx, shop.ID, app.TextSettings{}); err != nil {
				t.Fatal(err)
			}
			if err := db.SaveContactOptions(ctx, shop.ID, app.ContactOptions{WhatsApp: "+34600000001"}); err != nil {
				t.Fatal(err)
			}
			queueText(t, db, shop.ID, textShipment(t, db, shop.ID, 501, "#1001", "RB1"), app.ChannelWhatsApp, app.NotifyShipped, "+34612345678")
			hash := app.PhoneHash("+34612345678")
			if err := db.GrantConsent(ctx, app.Consent{ShopID: shop.ID, PhoneHash: hash, Channel: app.ChannelWhatsApp, Source: app.ConsentTrackingPage}); err != nil {
				t.Fatal(err)
			}
			if err := db.RevokeConsent(ctx, shop.ID, hash, app.ChannelSMS, "stop_reply", t0); err != nil {
				t.Fatal(err)
			}
			if err := db.SavePreferences(ctx, app.Preferences{ShopID: shop.ID, ContactHash: hash, Topics: map[app.PreferenceTopic]bool{app.TopicDelays: false}}); err != nil {
				t.Fatal(err)
			}
			return shop.ID
		}
		gone, kept := fill("gone.myshopify.com"), fill("kept.myshopify.com")
		tables := []string{"orders", "channel_connections", "shop_text_settings", "customer_texts", "text_consents", "customer_preferences"}
		counts := func(shopID string) map[string]int64 {
			out := map[string]int64{}
			for _, table := range tables {
				out[table] = countRows(t, db, "SELECT COUNT(*) FROM "+table+" WHERE shop_id = ?", shopID)
			}
			out["text_templates"] = countRows(t, db, "SELECT COUNT(*) FROM text_templates AS t JOIN channel_connections AS c ON c.id = t.connection_id WHERE c.shop_id = ?", shopID)
			return out
		}
		for table, n := range counts(gone) {
			if n == 0 {
				t.Fatalf("the test left %s empty", table)
			}
		}
		if err := db.DeleteShopData(ctx, "gone.myshopify.com"); err != nil {
			t.Fatal(err)
		}
		for table, n := range counts(gone) {
			if n != 0 {
				t.Fatalf("%d rows of the redacted shop left in %s", n, table)
			}
		}
		if n := countRows(t, db, "SELECT COUNT(*) FROM text_templates"); n != 1 {
			t.Fatalf("%d templates left, want the other shop's 1", n)
		}
		for table, n := range counts(kept) {
			if n == 0 {
				t.Fatalf("the other shop lost its %s", table)
			}
		}
	})
}

// The message log: newest first, each text with its order and number, the
// phone masked; filters by order name (literally), channel and status.
func TestTextLogFiltersAndMasks(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		clock := apptest.NewClock(t0)
		db := storetest.Open(t, engine, clock)
		shop := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		s1 := textShipment(t, db, shop.ID, 501, "#1001", "RB1")
		s2 := textShipment(t, db, shop.ID, 502, "#10_2", "RB2")
		a := queueText(t, db, shop.ID, s1, app.ChannelWhatsApp, app.NotifyShipped, "+34612345678")
		clock.Advance(time.Minute)
		b := queueText(t, db, shop.ID, s1, app.ChannelSMS, app.NotifyShipped, "+34612345678")
		if err := db.SetTextOutcome(ctx, b.ID, app.TextOutcome{Status: app.TextFailed, Reason: app.TextReasonRecipientRefused,
			Detail: "21211 invalid 'To' number"}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		c := queueText(t, db, shop.ID, s2, app.ChannelWhatsApp, app.NotifyShipped, "")
		other := install(t, db, "other.myshopify.com", app.OfflineToken{AccessToken: "a"})
		queueText(t, db, other.ID, textShipment(t, db, other.ID, 501, "#1001", "RB1"), app.ChannelWhatsApp, app.NotifyShipped, "+34600000000")

		log := func(f app.TextFilter) ([]app.TextLogEntry, int64) {
			t.Helper()
			entries, total, err := db.TextLog(ctx, shop.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			return entries, total
		}
		all, total := log(app.TextFilter{})
		if total != 3 || len(all) != 3 || all[0].ID != c.ID || all[1].ID != b.ID || all[2].ID != a.ID {
			t.Fatalf("log: %d %+v", total, all)
		}
		if all[2].OrderName != "#1001" || all[2].TrackingNumber != "RB1" || all[2].PhoneMasked != "+34 ••• 678" || all[0].PhoneMasked != "" {
			t.Fatalf("entries: %+v / %+v", all[2], all[0])
		}
		if all[1].Status != app.TextFailed || all[1].Reason != app.TextReasonRecipientRefused {
			t.Fatalf("failed entry: %+v", all[1])
		}
		js, err := json.Marshal(all)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(js), "612345678") {
			t.Fatalf("the log's JSON shows the number: %s", js)
		}

		if got, total := log(app.TextFilter{Channel: app.ChannelSMS}); total != 1 || got[0].ID != b.ID {
			t.Fatalf("sms: %d %+v", total, got)
		}
		if got, total := log(app.TextFilter{Status: app.TextQueued}); total != 2 || got[0].ID != c.ID || got[1].ID != a.ID {
			t.Fatalf("queued: %d %+v", total, got)
		}
		if got, total := log(app.TextFilter{Channel: app.ChannelWhatsApp, Status: app.TextFailed}); total != 0 || len(got) != 0 {
			t.Fatalf("whatsapp failed: %d %+v", total, got)
		}
		// "_" is a character, not any character: only #10_2.
		if got, total := log(app.TextFilter{Query: "_"}); total != 1 || got[0].ID != c.ID {
			t.Fatalf("q=_: %d %+v", total, got)
		}
		if got, total := log(app.TextFilter{Query: "1001"}); total != 2 {
			t.Fatalf("q=1001: %d %+v", total, got)
		}
		if got, total := log(app.TextFilter{PerPage: 2, Page: 2}); total != 3 || len(got) != 1 || got[0].ID != a.ID {
			t.Fatalf("page 2: %d %+v", total, got)
		}
		for _, f := range []app.TextFilter{{Channel: app.ChannelEmail}, {Channel: "pigeon"}, {Status: "lost"}} {
			if _, _, err := db.TextLog(ctx, shop.ID, f); app.ErrorCodeOf(err) != app.ErrInvalid {
				t.Fatalf("filter %+v: %v", f, err)
			}
		}
	})
}

func TestTextCounts(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		ctx := context.Background()
		clock := apptest.NewClock(t0)
		db := storetest.Open(t, engine, clock)
		shop := install(t, db, "acme.myshopify.com", app.OfflineToken{AccessToken: "a"})
		old := textShipment(t, db, shop.ID, 500, "#1000", "RB0")
		queueText(t, db, shop.ID, old, app.ChannelWhatsApp, app.NotifyShipped, "")
		clock.Advance(24 * time.Hour)
		since := clock.Now()
		s := textShipment(t, db, shop.ID, 501, "#1001", "RB1")
		for _, e := range []app.NotificationEvent{app.NotifyShipped, app.NotifyOutForDelivery, app.NotifyDelivered} {
			m := queueText(t, db, shop.ID, s, app.ChannelWhatsApp, e, "")
			if err := db.SetTextOutcome(ctx, m.ID, app.TextOutcome{Status: app.TextSent, ProviderMessageID: "wamid." + string(e)}); err != nil {
				t.Fatal(err)
			}
			if e == app.NotifyDelivered {
				if _, err := db.ApplyTextReport(ctx, m.ID, app.TextRead, clock.Now(), "", ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		m := queueText(t, db, shop.ID, s, app.ChannelSMS, app.NotifyShipped, "")
		if err := db.SetTextOutcome(ctx, m.ID, app.TextOutcome{Status: app.TextSkipped, Reason: app.TextReasonNoConsent}); err != nil {
			t.Fatal(err)
		}
		other := install(t, db, "other.myshopify.com", app.OfflineToken{AccessToken: "a"})
		queueText(t, db, other.ID, textShipment(t, db, other.ID, 501, "#1001", "RB1"), app.ChannelSMS, app.NotifyShipped, "")

		counts, err := db.TextCounts(ctx, shop.ID, since)
		if err != nil {
			t.Fatal(err)
		}
		want := map[app.Channel]map[app.TextStatus]int64{
			app.ChannelWhatsApp: {app.TextSent: 2, app.TextRead: 1},
			app.ChannelSMS:      {app.TextSkipped: 1},
		}
		if len(counts) != len(want) {
			t.Fatalf("counts = %v, want %v", counts, want)
		}
		for c, byStatus := range want {
			if len(counts[c]) != len(byStatus) {
				t.Fatalf("counts = %v, want %v", counts, want)
			}
			for s, n := range byStatus {
				if counts[c][s] != n {
					t.Fatalf("counts = %v, want %v", counts, want)
				}
			}
		}
		if empty, err := db.TextCounts(ctx, shop.ID, clock.Now().Add(time.Hour)); err != nil || len(empty) != 0 {
			t.Fatalf("counts of the future: %v %v", empty, err)
		}
	})
}
