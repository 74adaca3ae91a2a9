package jobs_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/smtp/mailpittest"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
)

type mailEnv struct {
	*pushEnv
	pit *mailpittest.Server
	app string // the server, for unsubscribe links
}

// newMailEnv is a push environment whose customer emails go to a real SMTP
// server (mailpit), from a store with a name and an address.
func newMailEnv(t *testing.T) *mailEnv {
	pit := mailpittest.Start(t, `@example\.com$`)
	e := newPushEnvWith(t, wiringtest.Options{SMTPURL: pit.URL()})
	if err := e.db.UpdateShopProfile(context.Background(), shop, app.ShopProfile{Name: "Tienda Demo", Email: "hola@tienda.example"}); err != nil {
		t.Fatal(err)
	}
	e.shop = e.Shop(shop)
	return &mailEnv{pushEnv: e, pit: pit, app: e.URL}
}

// call makes a request (with contentType, if any) and returns the status and
// the body, read and closed; any error on the way fails the test.
func call(t *testing.T, method, u, contentType string, body io.Reader) (int, string) {
	t.Helper()
	req := newRequest(t, method, u, body)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return do(t, req)
}

func (e *mailEnv) spanishOrder() shopifyfake.Order {
	return e.order(shopifyfake.NewOrder{Email: "lucia@example.com", CustomerLocale: "es-MX", CustomerFirstName: "Lucía",
		LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza de cerámica", Quantity: 2}}}, false)
}

// notification waits for the shipment's email (by event) to leave "queued".
func (e *mailEnv) notification(shipmentID string, event app.NotificationEvent) app.Notification {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		list, _, err := e.db.ListNotifications(context.Background(), e.shop.ID, 1, 100)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, n := range list {
			if n.ShipmentID == shipmentID && n.Event == event && n.Status != app.NotificationQueued {
				return n
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("no settled %s email for %s", event, shipmentID)
	return app.Notification{}
}

func TestShippedEmailArrivesOnceInSpanish(t *testing.T) {
	e := newMailEnv(t)
	o := e.spanishOrder()
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "RB123456785ES"})[0].ShipmentID
	if s := e.settled(id); s.State != app.ShipmentSynced {
		t.Fatalf("%+v", s)
	}
	n := e.notification(id, app.NotifyShipped)
	if n.Status != app.NotificationSent || n.Locale != "es" || n.Recipient != "lucia@example.com" || n.SentAt == nil {
		t.Fatalf("log: %+v", n)
	}
	// The same event again three ways: the push runs again (a retry after a
	// timeout), the webhook of Waybill's own fulfillment, and three queued
	// copies of the task at once (concurrent workers).
	e.pushTaskDone(id)
	if err := e.db.SetShipmentState(context.Background(), id, app.ShipmentPending, "", "", ""); err != nil {
		t.Fatal(err)
	}
	if err := e.client.QueueTrackingSync(context.Background(), shop, id); err != nil {
		t.Fatal(err)
	}
	e.settled(id)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.client.QueueNotificationEmail(context.Background(), shop, n.ID); err != nil {
				t.Errorf("queueing the email again: %v", err)
			}
		}()
	}
	wg.Wait()
	msgs := e.pit.Wait(1, 500*time.Millisecond)

	m := e.pit.Read(msgs[0].ID)
	if m.Subject != "Tu pedido #1001 está en camino" || msgs[0].To[0].Address != "lucia@example.com" || msgs[0].From.Name != "Tienda Demo" {
		t.Fatalf("email: %+v / %q", msgs[0], m.Subject)
	}
	for _, want := range []string{"Hola, Lucía:", "Taza de cerámica × 2", "Correos", "RB123456785ES", "hola@tienda.example"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text part lacks %q", want)
		}
	}
	for _, want := range []string{"Hola, Lucía:", "Taza de cerámica", "× 2", "Seguir mi paquete", "hola@tienda.example"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML part lacks %q", want)
		}
	}
	if !strings.Contains(m.HTML, "tracking-number=RB123456785ES") || strings.Join(m.Headers["Content-Language"], "") != "es" {
		t.Error("tracking link or language header missing")
	}
	// The Message-ID is the notification's own, on the app's host: a repeat
	// after a crash would carry the same one.
	if u, err := url.Parse(e.app); err != nil || strings.Join(m.Headers["Message-Id"], "") != "<"+n.ID+"@"+u.Hostname()+">" {
		t.Errorf("Message-ID %v, want <%s@the app's host> (%v)", m.Headers["Message-Id"], n.ID, err)
	}
	o2, _ := e.fake.Order(shop, o.ID)
	if o2.Fulfillments[0].NotifyCustomer {
		t.Error("Shopify was asked to email the customer too: never both")
	}
}

func TestUnsubscribeLinkWorksWithoutLoginAndSuppresses(t *testing.T) {
	e := newMailEnv(t)
	o := e.spanishOrder()
	first := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "RB123456785ES", Lines: []shipping.Line{{SKU: "MUG-01", Quantity: 1}}})[0].ShipmentID
	e.notification(first, app.NotifyShipped)
	msgs := e.pit.Wait(1, 0)
	m := e.pit.Read(msgs[0].ID)
	link := regexp.MustCompile(`http://[^\s"<>]+/unsubscribe/[^\s"<>]+`).FindString(m.Text)
	if link == "" || strings.Join(m.Headers["List-Unsubscribe"], "") != "<"+link+">" {
		t.Fatalf("unsubscribe link %q, header %v", link, m.Headers["List-Unsubscribe"])
	}
	// A tampered token is refused.
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(link, u.Path, u.Path[:len(u.Path)-2]+"xx", 1)
	if code, _ := call(t, http.MethodPost, tampered, "", nil); code != 400 {
		t.Fatalf("tampered token: %d", code)
	}
	// GET asks (mail scanners follow links), POST does it: no login.
	code, page := call(t, http.MethodGet, link, "", nil)
	if code != 200 || !strings.Contains(page, "Darme de baja") {
		t.Fatalf("unsubscribe page: %d %s", code, page)
	}
	ok, err := e.db.Suppressed(context.Background(), e.shop.ID, "lucia@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Fatal("a GET unsubscribed")
	}
	code, page = call(t, http.MethodPost, link, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if code != 200 || !strings.Contains(page, "ya no recibirás") {
		t.Fatalf("unsubscribe: %d %s", code, page)
	}
	// The next email to her is suppressed, and none arrives.
	second := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "LX123456785CN", Lines: []shipping.Line{{SKU: "MUG-01", Quantity: 1}}})[0].ShipmentID
	if n := e.notification(second, app.NotifyShipped); n.Status != app.NotificationSuppressed {
		t.Fatalf("after unsubscribe: %+v", n)
	}
	e.pit.Wait(1, 300*time.Millisecond)
}

func TestTrackingUpdatedSwitchesAndShopifyEmails(t *testing.T) {
	e := newMailEnv(t)
	o := e.spanishOrder()
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "RB123456785ES"})[0].ShipmentID
	e.notification(id, app.NotifyShipped)
	// A changed number: one "tracking updated" email.
	if _, err := e.db.EditShipmentTracking(context.Background(), id, "LX123456785CN", "China Post", "https://t.17track.net/en#nums=LX123456785CN"); err != nil {
		t.Fatal(err)
	}
	if err := e.client.QueueTrackingSync(context.Background(), shop, id); err != nil {
		t.Fatal(err)
	}
	if n := e.notification(id, app.NotifyTrackingUpdated); n.Status != app.NotificationSent {
		t.Fatalf("tracking updated: %+v", n)
	}
	msgs := e.pit.Wait(2, 200*time.Millisecond)
	if msgs[0].Subject != "Nuevos datos de seguimiento de tu pedido #1001" {
		t.Fatalf("newest email: %q", msgs[0].Subject)
	}

	// Switched off: recorded as skipped, not sent.
	settings, err := e.db.NotificationSettings(context.Background(), e.shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	settings.Disabled[app.NotifyShipped] = true
	if err := e.db.SaveNotificationSettings(context.Background(), settings); err != nil {
		t.Fatal(err)
	}
	o2 := e.spanishOrder()
	id2 := e.submit(shipping.Submission{OrderID: o2.ID, TrackingNumber: "YT2300012345678901"})[0].ShipmentID
	if n := e.notification(id2, app.NotifyShipped); n.Status != app.NotificationSkipped {
		t.Fatalf("switched off: %+v", n)
	}

	// The shop lets Shopify email: Shopify is told to, Waybill stays silent.
	if err := e.db.SetCustomerEmails(context.Background(), shop, app.CustomerEmailsShopify); err != nil {
		t.Fatal(err)
	}
	e.shop = e.Shop(shop)
	o3 := e.spanishOrder()
	id3 := e.submit(shipping.Submission{OrderID: o3.ID, TrackingNumber: "YT2300012345678902"})[0].ShipmentID
	e.settled(id3)
	got, _ := e.fake.Order(shop, o3.ID)
	if !got.Fulfillments[0].NotifyCustomer {
		t.Fatal("Shopify was not asked to email the customer")
	}
	e.pit.Wait(2, 300*time.Millisecond)
}

func TestPermanentRejectionIsRecorded(t *testing.T) {
	e := newMailEnv(t)
	o := e.order(shopifyfake.NewOrder{Email: "nadie@refused.test", CustomerLocale: "en",
		LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Mug", Quantity: 1}}}, false)
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "RB123456785ES"})[0].ShipmentID
	n := e.notification(id, app.NotifyShipped)
	if n.Status != app.NotificationFailed || !strings.Contains(n.Detail, "refused") || !strings.Contains(n.Detail, "550") {
		t.Fatalf("a 5xx refusal: %+v", n)
	}
	if strings.Contains(n.Detail, "nadie@refused.test") {
		t.Fatalf("the server's reply put the address in the log's detail: %q", n.Detail)
	}
}

// An email recorded as queued whose task never made it (Redis was down)
// is queued again by the sweep, and sent once.
func TestStalledEmailsAreRequeued(t *testing.T) {
	e := newMailEnv(t)
	o := e.spanishOrder()
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "RB123456785ES"})[0].ShipmentID
	e.notification(id, app.NotifyShipped)
	e.pit.Wait(1, 0)
	n, created, err := e.db.QueueNotification(context.Background(), &app.Notification{ShopID: e.shop.ID, ShipmentID: id,
		Event: app.NotifyShipped, EventKey: "resend:stalled"})
	if err != nil || !created {
		t.Fatal(err)
	}
	if err := e.db.Gorm().Exec("UPDATE notifications SET updated_at = ? WHERE id = ?", time.Now().Add(-10*time.Minute).UTC(), n.ID).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := asynq.NewClientFromRedisClient(e.RDB).Enqueue(jobs.NewTrackingResyncTask()); err != nil {
		t.Fatal(err)
	}
	e.pit.Wait(2, 300*time.Millisecond)
	got, err := e.db.NotificationByID(context.Background(), n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != app.NotificationSent {
		t.Fatalf("stalled email: %+v", got)
	}
}

// A push that recorded its fulfillment and died before telling anyone (the
// state a kill -9 between the writes leaves: before the parcel was shipped,
// or after it was and before the email was recorded): the task that runs
// again finds the shipment synced, and still the parcel is shipped and the
// customer gets the email, once.
func TestInterruptedPushStillTellsTheCustomer(t *testing.T) {
	for _, shippedBeforeTheCrash := range []bool{false, true} {
		t.Run(fmt.Sprintf("shipped=%v", shippedBeforeTheCrash), func(t *testing.T) {
			interruptedPush(t, shippedBeforeTheCrash)
		})
	}
}

func interruptedPush(t *testing.T, shippedBeforeTheCrash bool) {
	e := newMailEnv(t)
	ctx := context.Background()
	o := e.spanishOrder()
	f, err := e.fake.CreateFulfillment(shop, o.ID, shopifyfake.NewFulfillment{Tracking: []shopifyfake.TrackingInfo{{Company: "Correos", Number: "RB123456785ES"}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.db.CreateShipments(ctx, []*app.Shipment{{ShopID: e.shop.ID, OrderID: o.ID, OrderRef: o.Name, OrderName: o.Name,
		TrackingNumber: "RB123456785ES", Carrier: "Correos", Source: app.SourceAPI, State: app.ShipmentSyncing, NotifyCustomer: true}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	id := out[0].ShipmentID
	if synced, err := e.db.MarkShipmentPushed(ctx, id, "RB123456785ES", f.ID, app.NewMessage(app.MsgPushedCreated, "Fulfillment created.")); err != nil || !synced {
		t.Fatalf("mark pushed: %v %v", synced, err)
	}
	if shippedBeforeTheCrash {
		if err := e.db.StartTracking(ctx, id, app.TrackingStart{ShippedAt: time.Now(), NextPollAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	// The process died here. The recovered task runs, twice for good measure.
	for range 2 {
		if err := e.shipping.Push(ctx, id, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.notification(id, app.NotifyShipped); n.Status != app.NotificationSent {
		t.Fatalf("the shipped email: %s", n.Status)
	}
	if s, _ := e.db.ShipmentByID(ctx, id); s.ShippedAt == nil || s.Status != app.StatusShipped {
		t.Fatalf("not shipped: %+v", s)
	}
	if got := len(e.pit.Wait(1, 500*time.Millisecond)); got != 1 {
		t.Fatalf("%d emails, want 1", got)
	}
}
