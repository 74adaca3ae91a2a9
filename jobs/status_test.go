package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/statusfeed"
)

// statusSource makes a signed feed for the shop, as the admin would.
func (e *mailEnv) statusSource(provider string) *app.StatusSource {
	src := &app.StatusSource{ShopID: e.shop.ID, Provider: provider, Secret: "whsec_" + provider + "_test"}
	if err := e.db.CreateStatusSource(context.Background(), src); err != nil {
		e.t.Fatal(err)
	}
	return src
}

func (e *mailEnv) push(src *app.StatusSource, doc map[string]any) int {
	e.t.Helper()
	body, err := json.Marshal(doc)
	if err != nil {
		e.t.Fatal(err)
	}
	req := newRequest(e.t, "POST", e.app+"/carriers/push/"+src.ID, bytes.NewReader(body))
	req.Header.Set("X-Waybill-Signature", statusfeed.SignPush(body, src.Secret))
	code, _ := do(e.t, req)
	return code
}

// newRequest builds a request, failing the test if it cannot.
func newRequest(t *testing.T, method, u string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// do sends req and returns the status and the body, read and closed; any
// error on the way fails the test.
func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("reading the response to %s %s: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, string(b)
}

func at(h int) string { return time.Date(2026, 11, 24, h, 0, 0, 0, time.UTC).Format(time.RFC3339) }

func TestStatusUpdatesFlowToShopifyAndCustomersOnce(t *testing.T) {
	e := newMailEnv(t)
	o := e.spanishOrder()
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "RB123456785ES"})[0].ShipmentID
	e.notification(id, app.NotifyShipped)
	src := e.statusSource("push")

	doc := func(status string, h int, msg string) map[string]any {
		return map[string]any{"tracking_number": "RB123456785ES", "status": status, "estimated_delivery": at(20),
			"checkpoints": []any{map[string]any{"time": at(h), "status": status, "location": "Madrid, ES", "message": msg}}}
	}
	events := func(n int) []string {
		deadline := time.Now().Add(10 * time.Second)
		var out []string
		for time.Now().Before(deadline) {
			got, _ := e.fake.Order(shop, o.ID)
			out = nil
			for _, ev := range got.Fulfillments[0].Events {
				out = append(out, ev.Status)
			}
			if len(out) >= n {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		return out
	}
	steps := []struct {
		doc    map[string]any
		want   app.ParcelStatus
		events int // fulfillment events in Shopify once the step is done
	}{
		{doc("in_transit", 8, "Admitido"), app.StatusInTransit, 1},
		{doc("out_for_delivery", 10, "En reparto"), app.StatusOutForDelivery, 2},
		{doc("out_for_delivery", 10, "En reparto"), app.StatusOutForDelivery, 2}, // a duplicate
		{doc("in_transit", 9, "Clasificado"), app.StatusOutForDelivery, 2},       // late and older: no step back
		{doc("delivered", 12, "Entregado"), app.StatusDelivered, 3},
		{doc("delivered", 12, "Entregado"), app.StatusDelivered, 3},
		{doc("exception", 13, "Dirección incorrecta"), app.StatusDelivered, 3}, // after delivery: stays delivered
	}
	for i, st := range steps {
		if code := e.push(src, st.doc); code != 200 {
			t.Fatalf("step %d: HTTP %d", i, code)
		}
		s, err := e.db.ShipmentByID(context.Background(), id)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if s.Status != st.want {
			t.Fatalf("step %d: status %s, want %s", i, s.Status, st.want)
		}
		if got := events(st.events); len(got) != st.events {
			t.Fatalf("step %d: fulfillment events %v, want %d", i, got, st.events)
		}
	}
	cps, err := e.db.Checkpoints(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(cps) != 5 { // 8h, 9h, 10h, 12h, 13h; duplicates stored once
		t.Fatalf("%d checkpoints: %+v", len(cps), cps)
	}
	// Emails: shipped, out for delivery, delivered — one each.
	e.notification(id, app.NotifyOutForDelivery)
	e.notification(id, app.NotifyDelivered)
	msgs := e.pit.Wait(3, 500*time.Millisecond)
	subjects := []string{msgs[0].Subject, msgs[1].Subject, msgs[2].Subject}
	if !slices.Contains(subjects, "Tu pedido #1001 fue entregado") || !slices.Contains(subjects, "Tu pedido #1001 está en reparto") {
		t.Fatalf("subjects: %v", subjects)
	}
	// Shopify got each status once, in order.
	if got := events(3); strings.Join(got, ",") != "IN_TRANSIT,OUT_FOR_DELIVERY,DELIVERED" {
		t.Fatalf("fulfillment events: %v", got)
	}
	// A wrong signature, and another shop's source, change nothing.
	body, err := json.Marshal(doc("exception", 14, "x"))
	if err != nil {
		t.Fatal(err)
	}
	req := newRequest(t, "POST", e.app+"/carriers/push/"+src.ID, bytes.NewReader(body))
	req.Header.Set("X-Waybill-Signature", statusfeed.SignPush(body, "not-the-secret"))
	if code, _ := do(t, req); code != 401 {
		t.Fatalf("bad signature: %d", code)
	}
}

func TestEasyPostWebhook(t *testing.T) {
	e := newMailEnv(t)
	o := e.spanishOrder()
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "LX123456785CN"})[0].ShipmentID
	e.shipped(id) // the shipped status follows the fulfillment by a moment
	src := e.statusSource("easypost")
	event := []byte(`{"object":"Event","description":"tracker.updated","result":{"object":"Tracker","tracking_code":"LX123456785CN",
	"status":"in_transit","est_delivery_date":"2026-11-28T12:00:00Z","tracking_details":[{"message":"Departed","status":"in_transit",
	"datetime":"2026-11-24T06:00:00Z","tracking_location":{"city":"SHENZHEN","country":"CN"}}]}}`)
	send := func(sig string) int {
		req := newRequest(t, "POST", e.app+"/carriers/easypost/"+src.ID, bytes.NewReader(event))
		if sig != "" {
			req.Header.Set("X-Hmac-Signature", sig)
		}
		code, _ := do(t, req)
		return code
	}
	if send("") != 401 || send(statusfeed.SignEasyPost(event, "wrong")) != 401 {
		t.Fatal("unsigned or badly signed EasyPost events accepted")
	}
	s, err := e.db.ShipmentByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != app.StatusShipped {
		t.Fatalf("a refused event changed the status: %s", s.Status)
	}
	if code := send(statusfeed.SignEasyPost(event, src.Secret)); code != 200 {
		t.Fatalf("signed event: %d", code)
	}
	if s, err = e.db.ShipmentByID(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if s.Status != app.StatusInTransit || s.EstimatedDeliveryAt == nil || s.EstimatedDeliveryAt.Day() != 28 {
		t.Fatalf("after EasyPost: %+v", s)
	}
}

// proxyURL signs a tracking page request as Shopify's app proxy does.
func (e *mailEnv) proxyURL(params url.Values) string {
	return e.proxyURLAt(params, time.Now())
}

// proxyURLAt signs a request made by the proxy at a given time.
func (e *mailEnv) proxyURLAt(params url.Values, at time.Time) string {
	params.Set("shop", shop)
	params.Set("path_prefix", "/apps/track")
	params.Set("timestamp", fmt.Sprint(at.Unix()))
	params.Set("signature", shopifyfake.SignProxy("hush", params))
	return e.app + "/proxy/track?" + params.Encode()
}

func get(t *testing.T, u, lang string) (int, string) {
	t.Helper()
	req := newRequest(t, "GET", u, nil)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	return do(t, req)
}

func TestTrackingPage(t *testing.T) {
	e := newMailEnv(t)
	o := e.spanishOrder()
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "RB123456785ES"})[0].ShipmentID
	e.shipped(id)
	src := e.statusSource("push")
	e.push(src, map[string]any{"tracking_number": "RB123456785ES", "status": "out_for_delivery", "estimated_delivery": at(20),
		"checkpoints": []any{
			map[string]any{"time": at(8), "status": "in_transit", "location": "Zaragoza, ES", "message": "Admitido en oficina"},
			map[string]any{"time": at(10), "status": "out_for_delivery", "location": "Madrid, ES", "message": "En reparto"}}})

	// Signature: good, bad, missing.
	if code, _ := get(t, e.proxyURL(url.Values{}), ""); code != 200 {
		t.Fatalf("signed: %d", code)
	}
	bad := strings.Replace(e.proxyURL(url.Values{}), "signature=", "signature=0", 1)
	if code, _ := get(t, bad, ""); code != 403 {
		t.Fatalf("bad signature: %d", code)
	}
	// A correctly signed request replayed later, or dated ahead, is refused
	// as Shopify's own library refuses it (90 seconds either way).
	for _, when := range []time.Duration{-48 * time.Hour, -2 * time.Minute, 2 * time.Minute} {
		if code, _ := get(t, e.proxyURLAt(url.Values{}, time.Now().Add(when)), ""); code != 403 {
			t.Fatalf("signed %v from now: %d, want 403", when, code)
		}
	}
	if code, _ := get(t, e.proxyURLAt(url.Values{}, time.Now().Add(-80*time.Second)), ""); code != 200 {
		t.Fatalf("signed 80 s ago (within Shopify's 90): %d", code)
	}
	if code, _ := get(t, e.app+"/proxy/track?shop="+shop, ""); code != 403 {
		t.Fatalf("unsigned: %d", code)
	}

	// Found: the timeline in the customer's language.
	code, page := get(t, e.proxyURL(url.Values{"order": {"1001"}, "email": {"LUCIA@example.com"}}), "en-GB")
	for _, want := range []string{"Sigue tu pedido", "En reparto", "Admitido en oficina", "Zaragoza, ES", "Entrega estimada: martes, 24 de noviembre",
		"Taza de cerámica × 2", "Seguir en la web del transportista", "tracking-number=RB123456785ES"} {
		if code != 200 || !strings.Contains(page, want) {
			t.Errorf("tracking page lacks %q (HTTP %d)", want, code)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("the tracking page uses JavaScript")
	}
	// A wrong email answers exactly like an order that does not exist.
	_, wrongEmail := get(t, e.proxyURL(url.Values{"order": {"1001"}, "email": {"someone@example.com"}}), "es")
	_, noOrder := get(t, e.proxyURL(url.Values{"order": {"1001"}, "email": {"someone@example.com"}}), "es")
	_, missing := get(t, e.proxyURL(url.Values{"order": {"9999"}, "email": {"someone@example.com"}}), "es")
	if !strings.Contains(wrongEmail, "No encontramos ningún pedido") || wrongEmail != noOrder ||
		strings.ReplaceAll(missing, "9999", "1001") != wrongEmail {
		t.Fatal("a wrong email does not answer exactly like a missing order")
	}
	screenshots(t, e, "es", e.proxyURL(url.Values{"order": {"1001"}, "email": {"lucia@example.com"}}))

	// From the email's link: the signed token opens the order, no questions.
	msgs := e.pit.Wait(2, 0) // shipped, then out for delivery
	text := e.pit.Read(msgs[1].ID).Text
	start := strings.Index(text, "https://"+shop+"/apps/track?t=")
	if start < 0 {
		t.Fatalf("the email has no tracking page link: %s", text)
	}
	link, err := url.Parse(strings.Fields(text[start:])[0])
	if err != nil {
		t.Fatal(err)
	}
	token := link.Query().Get("t")
	if code, page := get(t, e.proxyURL(url.Values{"t": {token}}), ""); code != 200 || !strings.Contains(page, "Admitido en oficina") {
		t.Fatalf("page from the email link: %d", code)
	}
	if _, page := get(t, e.proxyURL(url.Values{"t": {token + "x"}}), "es"); !strings.Contains(page, "No encontramos ningún pedido") || strings.Contains(page, "Admitido") {
		t.Fatal("a tampered token opened the order")
	}

	// An English customer.
	o2 := e.order(shopifyfake.NewOrder{Email: "emma@example.com", CustomerLocale: "en", CustomerFirstName: "Emma",
		LineItems: []shopifyfake.NewLineItem{{SKU: "TEE-M", Title: "T-shirt (M)", Quantity: 1}}}, false)
	e.settled(e.submit(shipping.Submission{OrderID: o2.ID, TrackingNumber: "LX123456785CN"})[0].ShipmentID)
	_, en := get(t, e.proxyURL(url.Values{"order": {o2.Name}, "email": {"emma@example.com"}}), "")
	// Synced, not yet scanned by the carrier: shipped, never "shipping soon".
	if !strings.Contains(en, "Track your order") || !strings.Contains(en, "Shipped") || strings.Contains(en, "Shipping soon") ||
		!strings.Contains(en, "T-shirt (M) × 1") {
		t.Fatal("English page wrong")
	}
	screenshots(t, e, "en", e.proxyURL(url.Values{"order": {o2.Name}, "email": {"emma@example.com"}}))
}

func TestTrackingPageRateLimitHoldsUnderABurst(t *testing.T) {
	e := newMailEnv(t)
	e.spanishOrder()
	burst := func(n int, from func(i int) string, order func(i int) string) (allowed, limited int) {
		for i := 0; i < n; i++ {
			req := newRequest(t, "GET", e.proxyURL(url.Values{"order": {order(i)}, "email": {fmt.Sprintf("guess%d@example.com", i)}}), nil)
			req.Header.Set("X-Forwarded-For", "203.0.113.250, "+from(i)) // the left entry is the client's invention
			code, _ := do(t, req)
			switch code {
			case 200:
				allowed++
			case 429:
				limited++
			default:
				t.Fatalf("HTTP %d", code)
			}
		}
		return
	}
	// Guessing one order's email from many addresses: 5 a minute.
	allowed, limited := burst(40, func(i int) string { return fmt.Sprintf("198.51.100.%d", i) }, func(int) string { return "1001" })
	if allowed != 5 || limited != 35 {
		t.Fatalf("one order: %d allowed, %d limited; want 5 and 35", allowed, limited)
	}
	// One address trying many orders: 20 a minute.
	allowed, limited = burst(40, func(int) string { return "192.0.2.7" }, func(i int) string { return fmt.Sprint(3000 + i) })
	if allowed != 20 || limited != 20 {
		t.Fatalf("one address: %d allowed, %d limited; want 20 and 20", allowed, limited)
	}
}

// screenshots renders the page in headless Chromium at phone width and keeps
// the PNG in .artifacts/ (a CI artefact).
func screenshots(t *testing.T, e *mailEnv, name, pageURL string) {
	t.Helper()
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is needed (apt-get install chromium): .ci/run installs it")
		}
		t.Log("chromium not installed: no screenshot")
		return
	}
	dir, err := filepath.Abs(filepath.Join("..", ".artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "tracking-page-"+name+".png")
	if err := os.Remove(out); err != nil && !errors.Is(err, fs.ErrNotExist) { // none yet is fine
		t.Fatal(err)
	}
	cmd := exec.Command(browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir="+t.TempDir(), "--window-size=390,1100", "--screenshot="+out, pageURL)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v: %s", err, b)
	}
	if st, err := os.Stat(out); err != nil || st.Size() < 5000 {
		t.Fatalf("no screenshot at %s", out)
	}
}

// Status tasks that arrive out of order never show Shopify a step back.
func TestStaleStatusTasksAreNotPublished(t *testing.T) {
	e := newMailEnv(t)
	o := e.spanishOrder()
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "RB123456785ES"})[0].ShipmentID
	e.shipped(id)
	src := e.statusSource("push")
	e.push(src, map[string]any{"tracking_number": "RB123456785ES", "status": "delivered",
		"checkpoints": []any{map[string]any{"time": at(12), "status": "delivered", "message": "Entregado"}}})
	e.notification(id, app.NotifyDelivered)
	// A late task for an older status (a retry, a slow worker) runs now.
	if err := e.client.QueueTrackingEvent(context.Background(), shop, id, app.StatusOutForDelivery); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	got, _ := e.fake.Order(shop, o.ID)
	var statuses []string
	for _, ev := range got.Fulfillments[0].Events {
		statuses = append(statuses, ev.Status)
	}
	if strings.Join(statuses, ",") != "DELIVERED" {
		t.Fatalf("fulfillment events: %v", statuses)
	}
	list, _, err := e.db.ListNotifications(context.Background(), e.shop.ID, 1, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range list {
		if n.Event == app.NotifyOutForDelivery {
			t.Fatal("an out-for-delivery email was queued after delivery")
		}
	}
}

// A parcel can move while Shopify refuses its fulfillment (an order put on
// hold): the customer still hears it is out for delivery, and Shopify gets
// no fulfillment event — there is no fulfillment to hang it on.
func TestStatusOfAShipmentNotInShopifyStillReachesTheCustomer(t *testing.T) {
	e := newMailEnv(t)
	o := e.spanishOrder()
	e.fake.InjectFaults(shopifyfake.Faults{FulfillmentUserErrors: 1, UserErrorMessage: "Fulfillment order 42 has an unfulfillable status= on_hold."})
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "RB123456785ES"})[0].ShipmentID
	if s := e.settled(id); s.State != app.ShipmentFailed || s.ShopifyFulfillmentID != 0 {
		t.Fatalf("shipment: %+v", s)
	}
	src := e.statusSource("push")
	if code := e.push(src, map[string]any{"tracking_number": "RB123456785ES", "status": "out_for_delivery",
		"checkpoints": []any{map[string]any{"time": at(10), "status": "out_for_delivery", "location": "Madrid, ES", "message": "En reparto"}}}); code != 200 {
		t.Fatalf("push: HTTP %d", code)
	}
	if n := e.notification(id, app.NotifyOutForDelivery); n.Status != app.NotificationSent || n.Locale != "es" {
		t.Fatalf("out for delivery email: %+v", n)
	}
	msgs := e.pit.Wait(1, 500*time.Millisecond)
	if len(msgs) != 1 || msgs[0].Subject != "Tu pedido #1001 está en reparto" {
		t.Fatalf("emails: %+v", msgs)
	}
	if e.fake.Calls("fulfillmentEventCreate") != 0 {
		t.Fatal("a fulfillment event was sent for a shipment Shopify does not have")
	}
	if got, _ := e.fake.Order(shop, o.ID); len(got.Fulfillments) != 0 {
		t.Fatalf("fulfillments: %+v", got.Fulfillments)
	}
}

// A delivery problem emails the customer once, in Spanish, however often the
// carrier repeats it — and not at all when the merchant switched it off.
func TestDeliveryExceptionEmailsOnceAndOnlyWhenSwitchedOn(t *testing.T) {
	e := newMailEnv(t)
	src := e.statusSource("push")
	exception := func(number string) map[string]any {
		return map[string]any{"tracking_number": number, "status": "exception",
			"checkpoints": []any{map[string]any{"time": at(11), "status": "exception", "location": "Sevilla, ES", "message": "Dirección incorrecta"}}}
	}
	o := e.spanishOrder()
	id := e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "RB123456785ES"})[0].ShipmentID
	e.notification(id, app.NotifyShipped)
	for range 3 { // the carrier repeats itself
		if code := e.push(src, exception("RB123456785ES")); code != 200 {
			t.Fatalf("push: HTTP %d", code)
		}
	}
	if n := e.notification(id, app.NotifyDeliveryException); n.Status != app.NotificationSent || n.Locale != "es" {
		t.Fatalf("exception email: %+v", n)
	}
	msgs := e.pit.Wait(2, 500*time.Millisecond) // shipped + one exception
	if msgs[0].Subject != "Un problema con la entrega de tu pedido #1001" {
		t.Fatalf("newest email: %q", msgs[0].Subject)
	}

	settings, err := e.db.NotificationSettings(context.Background(), e.shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	settings.Disabled[app.NotifyDeliveryException] = true
	if err := e.db.SaveNotificationSettings(context.Background(), settings); err != nil {
		t.Fatal(err)
	}
	o2 := e.spanishOrder()
	id2 := e.submit(shipping.Submission{OrderID: o2.ID, TrackingNumber: "RB987654326ES"})[0].ShipmentID
	e.notification(id2, app.NotifyShipped)
	if code := e.push(src, exception("RB987654326ES")); code != 200 {
		t.Fatalf("push: HTTP %d", code)
	}
	if n := e.notification(id2, app.NotifyDeliveryException); n.Status != app.NotificationSkipped {
		t.Fatalf("switched off: %+v", n)
	}
	e.pit.Wait(3, 300*time.Millisecond) // the second order's shipped email only
}
