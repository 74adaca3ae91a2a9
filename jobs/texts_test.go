package jobs_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/smtp/mailpittest"
	"github.com/waybill-app/waybill/app/twilio/twiliofake"
	"github.com/waybill-app/waybill/app/whatsapp/whatsappfake"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

// textEnv is a shop with emails to Mailpit and WhatsApp and Twilio fakes
// its text channels connect to.
type textEnv struct {
	*mailEnv
	wa     *whatsappfake.Fake
	twilio *twiliofake.Fake
	twURL  string
}

const (
	waWABA, waPhoneID       = "102030405060", "1122334455667"
	waToken, waSecret       = "EAAG-test-system-user-token", "meta-app-secret"
	twSID                   = "AC0123456789abcdef0123456789abcdef"
	twToken, twFrom         = "twilio-auth-token-0123456789", "+34911000111"
	customerPhone           = "+34612345678"
	customerPhoneLocalStyle = "612 34 56 78"
)

func newTextEnv(t *testing.T) *textEnv {
	t.Helper()
	wa := whatsappfake.New()
	t.Cleanup(wa.Close)
	tw := twiliofake.New(twiliofake.Options{})
	t.Cleanup(tw.Close)
	twSrv := httptest.NewServer(tw)
	t.Cleanup(twSrv.Close)
	pit := mailpittest.Start(t, `@(example\.com|tienda\.example)$`)
	e := newPushEnvWith(t, wiringtest.Options{SMTPURL: pit.URL(),
		Env: map[string]string{"WHATSAPP_API_URL": wa.URL, "TWILIO_API_URL": twSrv.URL}})
	if err := e.db.UpdateShopProfile(context.Background(), shop, app.ShopProfile{Name: "Tienda Demo", Email: "hola@tienda.example",
		Timezone: "Europe/Madrid", Country: "ES"}); err != nil {
		t.Fatal(err)
	}
	e.shop = e.Shop(shop)
	return &textEnv{mailEnv: &mailEnv{pushEnv: e, pit: pit, app: e.URL}, wa: wa, twilio: tw, twURL: twSrv.URL}
}

// connectWhatsApp connects the shop's WhatsApp number; Meta's webhooks for it
// go to the connection's callback, as the merchant sets it in their app.
func (e *textEnv) connectWhatsApp() *app.ChannelConnection {
	e.t.Helper()
	e.wa.AddAccount(whatsappfake.Account{WABAID: waWABA, PhoneNumberID: waPhoneID, Token: waToken, AppSecret: waSecret})
	c, err := e.shipping.ConnectChannel(context.Background(), e.shop, shipping.ConnectChannelRequest{Channel: app.ChannelWhatsApp,
		AccountID: waWABA, SenderID: waPhoneID, Token: waToken, AppSecret: waSecret, TestPhone: "600 11 22 33"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.wa.AddAccount(whatsappfake.Account{WABAID: waWABA, PhoneNumberID: waPhoneID, Token: waToken, AppSecret: waSecret,
		WebhookURL: e.URL + "/texts/whatsapp/" + c.ID})
	return c
}

func (e *textEnv) connectSMS() *app.ChannelConnection {
	e.t.Helper()
	_, err := e.shipping.ConnectChannel(context.Background(), e.shop, shipping.ConnectChannelRequest{Channel: app.ChannelSMS,
		AccountID: twSID, SenderID: twFrom, Token: twToken})
	if err == nil {
		e.t.Fatal("connected an SMS account Twilio does not know")
	}
	e.twilio.AddAccount(twiliofake.Account{SID: twSID, AuthToken: twToken, Numbers: []string{twFrom}})
	c, err := e.shipping.ConnectChannel(context.Background(), e.shop, shipping.ConnectChannelRequest{Channel: app.ChannelSMS,
		AccountID: twSID, SenderID: twFrom, Token: twToken})
	if err != nil {
		e.t.Fatal(err)
	}
	e.twilio.AddAccount(twiliofake.Account{SID: twSID, AuthToken: twToken, Numbers: []string{twFrom},
		InboundURL: e.URL + "/texts/twilio/" + c.ID + "/inbound"})
	return c
}

// phoneOrder is a Spanish customer's order with a phone (as the orders
// webhook stores it); smsConsent is Shopify's SMS consent.
func (e *textEnv) phoneOrder(smsConsent bool) *app.Order {
	e.t.Helper()
	n := shopifyfake.NewOrder{Email: "lucia@example.com", CustomerLocale: "es-MX", CustomerFirstName: "Lucía",
		ShippingCountry: "ES", Phone: customerPhoneLocalStyle, CustomerPhone: customerPhone,
		LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza de cerámica", Quantity: 2}}}
	if smsConsent {
		n.SMSConsent = "SUBSCRIBED"
	}
	o := e.order(n, false)
	lo, err := e.db.OrderByID(context.Background(), e.shop.ID, o.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	lo.Phone, lo.SMSConsent, lo.ShippingCountry, lo.CustomerID = customerPhone, smsConsent, "ES", o.CustomerID
	lo.ShopifyUpdatedAt = lo.ShopifyUpdatedAt.Add(time.Second)
	if _, err := e.db.SaveOrder(context.Background(), *lo); err != nil {
		e.t.Fatal(err)
	}
	return lo
}

// text waits for the shipment's text (channel, event) to reach one of
// statuses and returns it.
func (e *textEnv) text(shipmentID string, c app.Channel, ev app.NotificationEvent, statuses ...app.TextStatus) app.CustomerText {
	e.t.Helper()
	var last []app.CustomerText
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		list, err := e.db.ShipmentTexts(context.Background(), shipmentID)
		if err != nil {
			e.t.Fatal(err)
		}
		last = list
		for _, m := range list {
			if m.Channel == c && m.Event == ev && (len(statuses) == 0 || containsStatus(statuses, m.Status)) {
				return m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("no %s %s text in %v for %s; texts: %+v", c, ev, statuses, shipmentID, last)
	return app.CustomerText{}
}

func containsStatus(list []app.TextStatus, s app.TextStatus) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (e *textEnv) status(number string, st app.ParcelStatus) {
	e.t.Helper()
	now := time.Now().UTC()
	if _, err := e.shipping.ApplyStatus(context.Background(), e.shop, app.StatusUpdate{Source: app.ProviderPush, TrackingNumber: number,
		Status: st, Checkpoints: []app.Checkpoint{{HappenedAt: now, Status: st}}}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *textEnv) waMessages(template string) []whatsappfake.Message {
	var out []whatsappfake.Message
	for _, m := range e.wa.Messages() {
		if m.Template == template {
			out = append(out, m)
		}
	}
	return out
}

// A customer who asked for WhatsApp on the tracking page hears of each step
// once, in Spanish, through the merchant's approved templates; Meta's
// reports move the message to delivered; "BAJA" stops the next one at once.
func TestWhatsAppTellsTheCustomerOnceAndBajaStopsIt(t *testing.T) {
	e := newTextEnv(t)
	ctx := context.Background()
	conn := e.connectWhatsApp()
	order := e.phoneOrder(false)

	// Before the customer agrees, a shipped parcel sends no WhatsApp and
	// records nothing (most orders: not a line each in the log).
	const first = "PK4F2A0123456780128001X"
	earlier := e.phoneOrder(false) // the same customer's earlier order
	e.shipped(e.submit(shipping.Submission{OrderID: earlier.ID, TrackingNumber: "LX123456785CN", Carrier: "China Post"})[0].ShipmentID)
	if n := len(e.wa.Messages()); n != 0 {
		t.Fatalf("%d WhatsApp messages without consent", n)
	}
	if _, err := e.shipping.OptIn(ctx, e.shop, order, app.ChannelWhatsApp, customerPhoneLocalStyle); err != nil {
		t.Fatal(err)
	}
	id := e.submit(shipping.Submission{OrderID: order.ID, TrackingNumber: first, Carrier: "Correos"})[0].ShipmentID
	e.shipped(id)
	sent := e.text(id, app.ChannelWhatsApp, app.NotifyShipped, app.TextDelivered)
	if sent.Locale != "es" || sent.ProviderMessageID == "" {
		t.Fatalf("shipped text: %+v", sent)
	}
	msgs := e.waMessages("waybill_shipped")
	if len(msgs) != 1 {
		t.Fatalf("%d shipped messages, want 1: %+v", len(msgs), msgs)
	}
	m := msgs[0]
	if m.To != "34612345678" || m.Language != "es" || strings.Join(m.Params, "|") != order.Name+"|Correos|"+first || m.ButtonParam == "" {
		t.Fatalf("the customer got %+v", m)
	}
	// The button opens this order's tracking page.
	token, err := url.QueryUnescape(m.ButtonParam)
	if err != nil {
		t.Fatal(err)
	}
	if _, orderID, err := e.Shipping.TrackingLinks.Parse(token); err != nil || orderID != order.ID {
		t.Fatalf("the button's token names order %d (%v)", orderID, err)
	}

	// Out for delivery, reported twice: one message.
	e.status(first, app.StatusOutForDelivery)
	e.status(first, app.StatusOutForDelivery)
	e.text(id, app.ChannelWhatsApp, app.NotifyOutForDelivery, app.TextDelivered)
	if n := len(e.waMessages("waybill_out_for_delivery")); n != 1 {
		t.Fatalf("%d out-for-delivery messages, want 1", n)
	}

	// The customer answers BAJA: the delivered message is not sent.
	if err := e.wa.Reply(waPhoneID, customerPhone, "Baja."); err != nil {
		t.Fatal(err)
	}
	wiringtest.Eventually(t, "consent withdrawn", func() bool {
		c, err := e.db.Consent(ctx, e.shop.ID, app.PhoneHash(customerPhone), app.ChannelWhatsApp)
		return err == nil && c != nil && c.RevokedAt != nil && c.RevokedBy == "stop_reply"
	})
	e.status(first, app.StatusDelivered)
	got := e.text(id, app.ChannelWhatsApp, app.NotifyDelivered, app.TextSuppressed)
	if got.Reason != app.TextReasonOptedOut {
		t.Fatalf("after BAJA: %+v", got)
	}
	if n := len(e.waMessages("waybill_delivered")); n != 0 {
		t.Fatalf("%d delivered messages after BAJA", n)
	}
	// The email still arrives: BAJA was said on WhatsApp.
	e.notification(id, app.NotifyDelivered)
	// Operators see the same on /metrics.
	metrics := scrape(t, e.URL)
	for series, want := range map[string]float64{`waybill_texts_total{channel="whatsapp",outcome="sent"}`: 2,
		`waybill_texts_total{channel="whatsapp",outcome="delivered"}`: 2, `waybill_texts_total{channel="whatsapp",outcome="suppressed"}`: 1,
		`waybill_texts_total{channel="sms",outcome="sent"}`: 0} {
		if metrics[series] != want {
			t.Errorf("%s = %v, want %v", series, metrics[series], want)
		}
	}
	if views, err := e.shipping.Channels(ctx, e.shop); err != nil || len(views) != 1 || views[0].ID != conn.ID {
		t.Fatalf("channels: %+v %v", views, err)
	}
}

// Shopify's SMS consent is enough for SMS: the shipped text arrives once,
// in Spanish, in one GSM-7 segment (accents dropped only because that
// saves a segment), with a short link; Twilio's signed callback marks it
// delivered; a customer who switched "delivered" off on the preferences
// page does not get that one.
func TestSMSWithShopifyConsentInOneSegment(t *testing.T) {
	e := newTextEnv(t)
	ctx := context.Background()
	e.connectSMS()
	order := e.phoneOrder(true)
	const number = "1Z999AA10123456784"
	id := e.submit(shipping.Submission{OrderID: order.ID, TrackingNumber: number, Carrier: "UPS"})[0].ShipmentID
	e.shipped(id)
	sent := e.text(id, app.ChannelSMS, app.NotifyShipped, app.TextDelivered)
	if sent.Segments != 1 || sent.Encoding != "gsm7" {
		t.Fatalf("shipped SMS: %d segments (%s)", sent.Segments, sent.Encoding)
	}
	var bodies []string
	for _, m := range e.twilio.Messages() {
		if m.To == customerPhone {
			bodies = append(bodies, m.Body)
		}
	}
	if len(bodies) != 1 {
		t.Fatalf("%d SMS, want 1: %q", len(bodies), bodies)
	}
	b := bodies[0]
	if !strings.Contains(b, "Tienda Demo: tu pedido "+order.Name+" va en camino con UPS") || !strings.Contains(b, e.URL+"/l/") ||
		!strings.Contains(b, "BAJA") || utf8.RuneCountInString(b) > 160 {
		t.Fatalf("the SMS reads %q (%d characters)", b, utf8.RuneCountInString(b))
	}

	// The customer unsubscribes from SMS in their Shopify account (no
	// webhook tells Waybill): the next SMS resting on that consent is not
	// sent; subscribed again, they are.
	e.fake.SetSMSConsent(shop, order.CustomerID, "UNSUBSCRIBED")
	e.status(number, app.StatusAttemptedDelivery)
	if got := e.text(id, app.ChannelSMS, app.NotifyAttemptedDelivery, app.TextSuppressed, app.TextSent, app.TextDelivered); got.Status != app.TextSuppressed ||
		got.Reason != app.TextReasonOptedOut {
		t.Fatalf("an SMS after the customer unsubscribed in Shopify: %+v", got)
	}
	e.fake.SetSMSConsent(shop, order.CustomerID, "SUBSCRIBED")

	// The preferences page: no "delivered" news.
	if err := e.shipping.SaveCustomerPreferences(ctx, e.shop, order, shipping.CustomerChoices{
		Topics: map[app.PreferenceTopic]bool{app.TopicDelivered: false}}); err != nil {
		t.Fatal(err)
	}
	e.status(number, app.StatusOutForDelivery)
	e.text(id, app.ChannelSMS, app.NotifyOutForDelivery, app.TextSent, app.TextDelivered)
	e.status(number, app.StatusDelivered)
	if got := e.text(id, app.ChannelSMS, app.NotifyDelivered, app.TextSuppressed); got.Reason != app.TextReasonPreferenceOff {
		t.Fatalf("delivered SMS after switching it off: %+v", got)
	}
	if got := e.notification(id, app.NotifyDelivered); got.Status != app.NotificationSuppressed || got.Reason != app.ReasonPreferenceOff {
		t.Fatalf("delivered email after switching it off: %+v", got)
	}
	if n := len(e.twilio.Messages()); n != 2 {
		t.Fatalf("%d SMS, want 2 (shipped, out for delivery)", n)
	}

	// STOP by SMS withdraws Shopify's consent for good.
	if code, err := e.twilio.Inbound(twSID, customerPhone, twFrom, "STOP"); err != nil || code != 200 {
		t.Fatalf("inbound STOP: %d %v", code, err)
	}
	c, err := e.db.Consent(ctx, e.shop.ID, app.PhoneHash(customerPhone), app.ChannelSMS)
	if err != nil || c == nil || c.RevokedAt == nil {
		t.Fatalf("after STOP: %+v %v", c, err)
	}
}

// A test message goes to the merchant's own phone: WhatsApp's hello_world,
// and a refused token is said as a code, not saved.
func TestChannelTestMessageAndRefusedToken(t *testing.T) {
	e := newTextEnv(t)
	ctx := context.Background()
	conn := e.connectWhatsApp()
	res, err := e.shipping.TestChannel(ctx, e.shop, conn.ID, "")
	if err != nil || !res.Sent || res.To != "+34 ••• 233" {
		t.Fatalf("test message: %+v %v", res, err)
	}
	msgs := e.waMessages("hello_world")
	if len(msgs) != 1 || msgs[0].To != "34600112233" {
		t.Fatalf("hello_world messages: %+v", msgs)
	}
	_, err = e.shipping.ConnectChannel(ctx, e.shop, shipping.ConnectChannelRequest{Channel: app.ChannelWhatsApp,
		AccountID: waWABA, SenderID: waPhoneID, Token: "not-the-token", AppSecret: waSecret})
	if app.ErrorCodeOf(err) != app.ErrInvalid {
		t.Fatalf("a refused token: %v", err)
	}
	views, err := e.shipping.Channels(ctx, e.shop)
	if err != nil || len(views) != 1 || views[0].TokenHint != "…oken" {
		t.Fatalf("after a refused token the connection changed: %+v %v", views, err)
	}
	approved := 0
	for _, tpl := range views[0].Templates {
		if tpl.Status == app.TemplateApproved {
			approved++
		}
	}
	if approved != len(app.TextEvents)*2 {
		t.Fatalf("%d of %d templates approved: %+v", approved, len(app.TextEvents)*2, views[0].Templates)
	}
}

// Two parcels of one order shipped together are two WhatsApp messages to
// one customer: the second waits out Meta's 6 s pair limit instead of
// being refused (131056); a number not on WhatsApp is reported failed by
// Meta and recorded as undelivered; a template Meta has not approved is
// skipped with its reason.
func TestWhatsAppPairLimitUndeliverableAndTemplateNotReady(t *testing.T) {
	e := newTextEnv(t)
	ctx := context.Background()
	e.connectWhatsApp()
	o := e.order(shopifyfake.NewOrder{Email: "ana@example.com", CustomerLocale: "es", LineItems: []shopifyfake.NewLineItem{
		{SKU: "A", Title: "Taza", Quantity: 1}, {SKU: "B", Title: "Plato", Quantity: 1}}}, false)
	order, err := e.db.OrderByID(ctx, e.shop.ID, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	order.Phone, order.ShippingCountry = customerPhone, "ES"
	order.ShopifyUpdatedAt = order.ShopifyUpdatedAt.Add(time.Second)
	if _, err := e.db.SaveOrder(ctx, *order); err != nil {
		t.Fatal(err)
	}
	if _, err := e.shipping.OptIn(ctx, e.shop, order, app.ChannelWhatsApp, ""); err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for i, r := range e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "LX123456785CN", Carrier: "China Post",
		Lines: []shipping.Line{{SKU: "A", Quantity: 1}}},
		shipping.Submission{OrderID: o.ID, TrackingNumber: "RR123456785CN", Carrier: "China Post",
			Lines: []shipping.Line{{SKU: "B", Quantity: 1}}}) {
		if r.ShipmentID == "" {
			t.Fatalf("row %d: %+v", i, r)
		}
		ids = append(ids, r.ShipmentID)
	}
	for _, id := range ids {
		e.shipped(id)
	}
	a := e.text(ids[0], app.ChannelWhatsApp, app.NotifyShipped, app.TextDelivered)
	b := e.text(ids[1], app.ChannelWhatsApp, app.NotifyShipped, app.TextDelivered)
	gap := b.SentAt.Sub(*a.SentAt)
	if gap < 0 {
		gap = -gap
	}
	if st := e.wa.Stats(waPhoneID); st.PairLimited != 0 || gap < 6*time.Second {
		t.Fatalf("two messages to one customer %s apart; Meta refused %d (131056)", gap, st.PairLimited)
	}

	// A number that is not on WhatsApp.
	e.wa.NotOnWhatsApp("34699000111")
	other := e.phoneOrder(false)
	other.Phone = "+34699000111"
	other.ShopifyUpdatedAt = other.ShopifyUpdatedAt.Add(time.Second)
	if _, err := e.db.SaveOrder(ctx, *other); err != nil {
		t.Fatal(err)
	}
	if _, err := e.shipping.OptIn(ctx, e.shop, other, app.ChannelWhatsApp, ""); err != nil {
		t.Fatal(err)
	}
	id := e.submit(shipping.Submission{OrderID: other.ID, TrackingNumber: "1Z999AA10123456784", Carrier: "UPS"})[0].ShipmentID
	e.shipped(id)
	if got := e.text(id, app.ChannelWhatsApp, app.NotifyShipped, app.TextFailed); got.Reason != app.TextReasonUndelivered ||
		!strings.Contains(got.Detail, "131026") {
		t.Fatalf("a number not on WhatsApp: %+v", got)
	}

	// Meta paused the out-for-delivery template in Spanish.
	e.wa.SetTemplateStatus(waWABA, "waybill_out_for_delivery", "es", "PAUSED")
	e.status("1Z999AA10123456784", app.StatusOutForDelivery)
	if got := e.text(id, app.ChannelWhatsApp, app.NotifyOutForDelivery, app.TextSkipped); got.Reason != app.TextReasonTemplateMissing {
		t.Fatalf("a paused template: %+v", got)
	}
}

// Consent the customer withdrew stays withdrawn: Shopify's SMS consent
// does not bring it back; a Mexican customer's BAJA on WhatsApp (written
// from 521…, the number being +52…) stops their texts; asking on the
// tracking page after leaving WhatsApp unticked on the preferences page
// sends the texts.
func TestWithdrawnConsentStaysAndMexicanBaja(t *testing.T) {
	e := newTextEnv(t)
	ctx := context.Background()
	e.connectSMS()
	e.connectWhatsApp()
	order := e.phoneOrder(true) // Shopify's SMS consent
	if err := e.db.RevokeConsent(ctx, e.shop.ID, app.PhoneHash(customerPhone), app.ChannelSMS, "stop_reply", time.Now()); err != nil {
		t.Fatal(err)
	}
	// The preferences page saved with WhatsApp unticked (never agreed).
	if err := e.shipping.SaveCustomerPreferences(ctx, e.shop, order, shipping.CustomerChoices{
		Channels: map[app.Channel]bool{app.ChannelWhatsApp: false, app.ChannelSMS: false}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.shipping.OptIn(ctx, e.shop, order, app.ChannelWhatsApp, ""); err != nil {
		t.Fatal(err)
	}
	id := e.submit(shipping.Submission{OrderID: order.ID, TrackingNumber: "1Z999AA10123456784", Carrier: "UPS"})[0].ShipmentID
	e.shipped(id)
	if got := e.text(id, app.ChannelSMS, app.NotifyShipped, app.TextSuppressed); got.Reason != app.TextReasonOptedOut {
		t.Fatalf("SMS after STOP, with Shopify's consent: %+v", got)
	}
	e.text(id, app.ChannelWhatsApp, app.NotifyShipped, app.TextDelivered)
	if n := len(e.twilio.Messages()); n != 0 {
		t.Fatalf("%d SMS after STOP", n)
	}

	// A Mexican customer writes BAJA from WhatsApp's 521… id.
	mx := e.phoneOrder(false)
	mx.Phone, mx.ShippingCountry = "+525512345678", "MX"
	mx.ShopifyUpdatedAt = mx.ShopifyUpdatedAt.Add(time.Second)
	if _, err := e.db.SaveOrder(ctx, *mx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.shipping.OptIn(ctx, e.shop, mx, app.ChannelWhatsApp, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.wa.Reply(waPhoneID, "5215512345678", "baja"); err != nil {
		t.Fatal(err)
	}
	wiringtest.Eventually(t, "the Mexican customer's consent withdrawn", func() bool {
		c, err := e.db.Consent(ctx, e.shop.ID, app.PhoneHash("+525512345678"), app.ChannelWhatsApp)
		return err == nil && c != nil && c.RevokedAt != nil
	})
}

// A text recorded but never queued (the queue was down when the step
// happened) is sent by the stalled sweep, once.
func TestStalledTextIsSentBySweep(t *testing.T) {
	e := newTextEnv(t)
	ctx := context.Background()
	e.connectWhatsApp()
	order := e.phoneOrder(false)
	if _, err := e.shipping.OptIn(ctx, e.shop, order, app.ChannelWhatsApp, ""); err != nil {
		t.Fatal(err)
	}
	id := e.submit(shipping.Submission{OrderID: order.ID, TrackingNumber: "1Z999AA10123456784", Carrier: "UPS"})[0].ShipmentID
	e.shipped(id)
	e.text(id, app.ChannelWhatsApp, app.NotifyShipped, app.TextDelivered)
	// Out for delivery, recorded while the queue took nothing.
	m, created, err := e.db.QueueText(ctx, &app.CustomerText{ShopID: e.shop.ID, ShipmentID: id, Channel: app.ChannelWhatsApp,
		Event: app.NotifyOutForDelivery, EventKey: app.NotificationKey(app.NotifyOutForDelivery, "")})
	if err != nil || !created {
		t.Fatalf("recording: %v %v", created, err)
	}
	if err := e.db.Gorm().Exec("UPDATE customer_texts SET updated_at = ? WHERE id = ?", time.Now().Add(-10*time.Minute).UTC(), m.ID).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := e.shipping.RequeueStalled(ctx); err != nil {
		t.Fatal(err)
	}
	e.text(id, app.ChannelWhatsApp, app.NotifyOutForDelivery, app.TextDelivered)
	if _, err := e.shipping.RequeueStalled(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(e.waMessages("waybill_out_for_delivery")); n != 1 {
		t.Fatalf("%d out-for-delivery messages, want 1", n)
	}
}
