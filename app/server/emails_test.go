package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/smtp/mailpittest"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

// emailsEnv is the API environment with acme's order #1001 bought by Lucía
// (Spanish) with a line only this test has, and a shipment of it.
type emailsEnv struct {
	*apiEnv
	tok        string
	shipmentID string
}

const distinctiveTitle = "Farol de latón artesanal"

func newEmailsEnv(t *testing.T, opts wiringtest.Options) *emailsEnv {
	e := newAPIEnv(t, opts)
	ctx := context.Background()
	acme := e.shops["acme.myshopify.com"]
	if err := e.db.UpdateShopProfile(ctx, "acme.myshopify.com", app.ShopProfile{Name: "Tienda Acme", Email: "hola@acme.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.SaveOrder(ctx, app.Order{ID: 700, ShopID: acme.ID, Name: "#1001", Email: "lucia@example.com", CustomerLocale: "es-MX",
		CustomerFirstName: "Lucía", ShopifyUpdatedAt: time.Now().Add(time.Minute),
		LineItems: []app.LineItem{{ID: 7000, SKU: "FAROL-1", Title: distinctiveTitle, Quantity: 3, FulfillableQuantity: 3}}}); err != nil {
		t.Fatal(err)
	}
	tok := e.sessionToken("acme.myshopify.com", nil, apiSecret)
	code, body := e.do("POST", "/api/admin/shipments", tok, "application/json",
		[]byte(`{"order":"#1001","tracking_number":"RB123456785ES","carrier":"Correos","line_items":[{"sku":"FAROL-1","quantity":3}]}`))
	if code != 200 {
		t.Fatalf("manual entry: %d %v", code, body)
	}
	id := fmt.Sprint(body["results"].([]any)[0].(map[string]any)["shipment_id"])
	return &emailsEnv{apiEnv: e, tok: tok, shipmentID: id}
}

func (e *emailsEnv) post(path string, body any) (int, map[string]any) {
	e.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do("POST", path, e.tok, "application/json", b)
}

// delivered puts the shipment in Shopify with its parcel delivered.
func (e *emailsEnv) delivered() {
	e.t.Helper()
	ctx := context.Background()
	if err := e.db.SetShipmentState(ctx, e.shipmentID, app.ShipmentSynced, "", "", ""); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.db.ApplyStatusUpdate(ctx, e.shops["acme.myshopify.com"].ID, app.StatusUpdate{Source: app.ProviderPush,
		TrackingNumber: "RB123456785ES", Status: app.StatusDelivered, StatusAt: time.Now()}); err != nil {
		e.t.Fatal(err)
	}
}

func TestTestSendWithoutSMTPSaysNothingWasSent(t *testing.T) {
	e := newEmailsEnv(t, wiringtest.Options{}) // no SMTP_URL
	code, body := e.post("/api/admin/notifications/test", map[string]any{"event": "delivered", "locale": "es"})
	if code != 200 || body["sent"] != false || body["reason"] != "smtp_not_configured" || body["to"] != "hola@acme.example" ||
		body["subject"] != "[Test] Tu pedido #1001 fue entregado" {
		t.Fatalf("test send without SMTP: %d %v", code, body)
	}
	// A customer email without SMTP is logged as not sent, with the reason
	// as a code; one to an unsubscribed customer says so.
	e.delivered()
	ctx := context.Background()
	for range 2 {
		code, body := e.post("/api/admin/shipments/"+e.shipmentID+"/resend", map[string]any{"event": "delivered"})
		if code != 202 {
			t.Fatalf("resend: %d %v", code, body)
		}
		if err := e.Shipping.SendEmail(ctx, body["notification"].(map[string]any)["id"].(string), true); err != nil {
			t.Fatal(err)
		}
		if err := e.db.Suppress(ctx, e.shops["acme.myshopify.com"].ID, app.EmailHash("lucia@example.com")); err != nil {
			t.Fatal(err)
		}
	}
	_, body = e.do("GET", "/api/admin/notifications", e.tok, "", nil)
	rows, _ := body["notifications"].([]any)
	if len(rows) != 2 {
		t.Fatalf("log: %v", body)
	}
	reasons := map[any]any{}
	for _, r := range rows {
		reasons[r.(map[string]any)["status"]] = r.(map[string]any)["reason"]
	}
	if reasons["skipped"] != "smtp_not_configured" || reasons["suppressed"] != "suppressed" {
		t.Fatalf("reasons by status: %v", reasons)
	}
}

func TestPreviewOfARealShipmentShowsItsOwnItemsAndThisShopsLink(t *testing.T) {
	e := newEmailsEnv(t, wiringtest.Options{})
	code, body := e.do("PUT", "/api/admin/notifications/settings", e.tok, "application/json",
		[]byte(`{"branding":{"footer_text":"Gracias por comprar en Acme, Calle Mayor 1, Madrid"}}`))
	if code != 200 {
		t.Fatalf("settings: %d %v", code, body)
	}
	for _, event := range []string{"shipped", "delivered", "ready_for_pickup"} {
		code, body := e.post("/api/admin/notifications/preview", map[string]any{"event": event, "locale": "es", "shipment_id": e.shipmentID})
		html, _ := body["html"].(string)
		if code != 200 {
			t.Fatalf("%s preview: %d %v", event, code, body)
		}
		for _, want := range []string{distinctiveTitle, "× 3", "RB123456785ES", "Correos", "Hola, Lucía:",
			"https://acme.myshopify.com/apps/track?t=", "Gracias por comprar en Acme, Calle Mayor 1, Madrid", "Dejar de recibir avisos de envío"} {
			if !strings.Contains(html, want) {
				t.Errorf("%s preview of the shipment lacks %q", event, want)
			}
		}
		for _, sample := range []string{"Taza de cerámica", "Lámpara LED", "tienda-demo", "Tienda Demo"} {
			if strings.Contains(html, sample) {
				t.Errorf("%s preview of a real shipment shows the sample's %q", event, sample)
			}
		}
	}
	// Without a shipment: sample items, but this store's tracking page.
	code, body = e.post("/api/admin/notifications/preview", map[string]any{"event": "shipped", "locale": "es"})
	html, _ := body["html"].(string)
	if code != 200 || !strings.Contains(html, "Taza de cerámica") || !strings.Contains(html, "https://acme.myshopify.com/apps/track") ||
		strings.Contains(html, "tienda-demo") {
		t.Fatalf("sample preview: %d", code)
	}
	// Another shop's shipment is not this shop's to preview.
	rival := e.sessionToken("rival.myshopify.com", nil, apiSecret)
	b, _ := json.Marshal(map[string]any{"event": "shipped", "shipment_id": e.shipmentID})
	if code, _ := e.do("POST", "/api/admin/notifications/preview", rival, "application/json", b); code != 404 {
		t.Fatalf("another shop's shipment: %d", code)
	}
}

func TestResendDeliveredWithANoteArrivesOnceInSpanish(t *testing.T) {
	pit := mailpittest.Start(t, "")
	e := newEmailsEnv(t, wiringtest.Options{SMTPURL: pit.URL()})
	e.delivered()
	const note = "Gracias por tu paciencia: <b>envío gratis</b> en tu próxima compra {{.ShopName}}"
	code, body := e.post("/api/admin/shipments/"+e.shipmentID+"/resend", map[string]any{"event": "delivered", "note": note})
	n, _ := body["notification"].(map[string]any)
	if code != 202 || n["status"] != "queued" || n["event"] != "delivered" || n["note"] != note {
		t.Fatalf("resend: %d %v", code, body)
	}
	// The job's work, twice (a retried task): one email.
	for range 2 {
		if err := e.Shipping.SendEmail(context.Background(), n["id"].(string), true); err != nil {
			t.Fatal(err)
		}
	}
	msgs := pit.Wait(1, 500*time.Millisecond)
	if len(msgs) != 1 || msgs[0].To[0].Address != "lucia@example.com" {
		t.Fatalf("mails: %+v", msgs)
	}
	m := pit.Read(msgs[0].ID)
	if m.Subject != "Tu pedido #1001 fue entregado" {
		t.Fatalf("subject %q", m.Subject)
	}
	for _, want := range []string{"Un mensaje de Tienda Acme:", note, distinctiveTitle + " × 3", "fue entregado"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("text part lacks %q:\n%s", want, m.Text)
		}
	}
	// In the HTML the note is text: its markup escaped, its braces not run.
	if !strings.Contains(m.HTML, "&lt;b&gt;envío gratis&lt;/b&gt;") || strings.Contains(m.HTML, "<b>envío gratis</b>") ||
		!strings.Contains(m.HTML, "{{.ShopName}}") {
		t.Errorf("the note is not escaped text in the HTML:\n%s", m.HTML)
	}
	code, body = e.do("GET", "/api/admin/notifications?status=sent", e.tok, "", nil)
	rows, _ := body["notifications"].([]any)
	if code != 200 || len(rows) != 1 {
		t.Fatalf("log: %d %v", code, body)
	}
	if r := rows[0].(map[string]any); r["event"] != "delivered" || r["note"] != note || r["order_name"] != "#1001" || r["tracking_number"] != "RB123456785ES" || r["reason"] != "" {
		t.Fatalf("log row: %v", r)
	}
}

func TestResendRefusesWhatDoesNotFit(t *testing.T) {
	e := newEmailsEnv(t, wiringtest.Options{})
	path := "/api/admin/shipments/" + e.shipmentID + "/resend"
	if err := e.db.SetShipmentState(context.Background(), e.shipmentID, app.ShipmentSynced, "", "", ""); err != nil {
		t.Fatal(err)
	}
	// In Shopify, no carrier news yet: delivered does not fit.
	code, body := e.post(path, map[string]any{"event": "delivered"})
	if msg, _ := body["message"].(string); code != 409 || !strings.Contains(msg, "the delivered email does not fit this shipment") ||
		!strings.Contains(msg, "shipped, tracking_updated") {
		t.Fatalf("delivered before delivery: %d %v", code, body)
	}
	for _, c := range []struct {
		body any
		want string
	}{
		{map[string]any{"event": "teleported"}, "event must be one of"},
		{map[string]any{"event": "shipped", "note": strings.Repeat("ñ", 501)}, "note is longer than 500 characters"},
		{map[string]any{"event": "shipped", "note": "hola\r\nBcc: x@evil.example"}, "note must be one line"},
		{map[string]any{"event": 5}, "event must be a string"},
	} {
		if code, body := e.post(path, c.body); code != 400 || !strings.Contains(fmt.Sprint(body["message"]), c.want) {
			t.Errorf("%v: %d %v, want 400 %q", c.body, code, body, c.want)
		}
	}
	// Delivered: shipped no longer fits, delivered does (500 characters of
	// note are fine); a switched-off email is refused, saying so.
	e.delivered()
	if code, body := e.post(path, map[string]any{"event": "shipped"}); code != 409 || !strings.Contains(fmt.Sprint(body["message"]), "it can get delivered") {
		t.Fatalf("shipped after delivery: %d %v", code, body)
	}
	if code, body := e.post(path, map[string]any{"event": "delivered", "note": strings.Repeat("ñ", 500)}); code != 202 {
		t.Fatalf("delivered: %d %v", code, body)
	}
	if code, body := e.do("PUT", "/api/admin/notifications/settings", e.tok, "application/json", []byte(`{"disabled_events":{"delivered":true}}`)); code != 200 {
		t.Fatalf("switch off: %d %v", code, body)
	}
	if code, body := e.post(path, map[string]any{"event": "delivered"}); code != 409 || !strings.Contains(fmt.Sprint(body["message"]), "switched off") {
		t.Fatalf("switched off: %d %v", code, body)
	}
}

// The log's query, on both engines.
func TestEmailLogSearchAndFilter(t *testing.T) {
	for _, engine := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(engine), func(t *testing.T) { testEmailLogSearchAndFilter(t, engine) })
	}
}

func testEmailLogSearchAndFilter(t *testing.T, engine store.Engine) {
	e := newEmailsEnv(t, wiringtest.Options{Engine: engine})
	ctx := context.Background()
	acme, rival := e.shops["acme.myshopify.com"], e.shops["rival.myshopify.com"]
	// A second acme order and the rival's #1001, with a shipment each.
	if _, err := e.db.SaveOrder(ctx, app.Order{ID: 702, ShopID: acme.ID, Name: "#2044", ShopifyUpdatedAt: time.Now(),
		LineItems: []app.LineItem{{ID: 7020, SKU: "MUG-01", Title: "Taza", Quantity: 1, FulfillableQuantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	code, body := e.post("/api/admin/shipments", map[string]any{"order": "#2044", "tracking_number": "LX123456785CN"})
	if code != 200 {
		t.Fatalf("second shipment: %d %v", code, body)
	}
	second := fmt.Sprint(body["results"].([]any)[0].(map[string]any)["shipment_id"])
	rivalTok := e.sessionToken("rival.myshopify.com", nil, apiSecret)
	_, body = e.do("POST", "/api/admin/shipments", rivalTok, "application/json", []byte(`{"order":"#1001","tracking_number":"UG123456789YW"}`))
	rivalShipment := fmt.Sprint(body["results"].([]any)[0].(map[string]any)["shipment_id"])

	queue := func(shopID, shipmentID string, event app.NotificationEvent, status app.NotificationStatus, reason app.NotificationReason) {
		t.Helper()
		n, _, err := e.db.QueueNotification(ctx, &app.Notification{ShopID: shopID, ShipmentID: shipmentID, Event: event, EventKey: string(event)})
		if err != nil {
			t.Fatal(err)
		}
		if status != app.NotificationQueued {
			if err := e.db.SetNotificationStatus(ctx, n.ID, status, "", "es", reason, "why"); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(5 * time.Millisecond) // distinct queued_at: newest first is checkable
	}
	queue(acme.ID, e.shipmentID, app.NotifyShipped, app.NotificationSent, "")
	queue(acme.ID, e.shipmentID, app.NotifyDelivered, app.NotificationFailed, app.ReasonSMTPRefused)
	queue(acme.ID, second, app.NotifyShipped, app.NotificationSkipped, app.ReasonNoEmail)
	queue(rival.ID, rivalShipment, app.NotifyShipped, app.NotificationFailed, app.ReasonUnreachable)

	list := func(query string) (int, []map[string]any, map[string]any) {
		t.Helper()
		code, body := e.do("GET", "/api/admin/notifications"+query, e.tok, "", nil)
		var rows []map[string]any
		items, _ := body["notifications"].([]any)
		for _, r := range items {
			rows = append(rows, r.(map[string]any))
		}
		return code, rows, body
	}
	code, rows, body := list("")
	if code != 200 || len(rows) != 3 || body["total"] != float64(3) || rows[0]["order_name"] != "#2044" || rows[0]["reason"] != "no_email" ||
		rows[2]["event"] != "shipped" || rows[2]["order_name"] != "#1001" || rows[2]["tracking_number"] != "RB123456785ES" {
		t.Fatalf("the whole log, newest first: %d %v", code, body)
	}
	// By order name, partly; the rival's #1001 never.
	code, rows, body = list("?q=" + url.QueryEscape("#100"))
	if code != 200 || len(rows) != 2 || rows[0]["event"] != "delivered" || rows[0]["reason"] != "smtp_refused" {
		t.Fatalf("q=#100: %d %v", code, body)
	}
	for _, r := range rows {
		if r["shipment_id"] == rivalShipment {
			t.Fatal("another shop's email in the log")
		}
	}
	code, rows, body = list("?q=2044&status=skipped")
	if code != 200 || len(rows) != 1 || rows[0]["tracking_number"] != "LX123456785CN" {
		t.Fatalf("q=2044&status=skipped: %d %v", code, body)
	}
	if code, rows, body := list("?status=failed"); code != 200 || len(rows) != 1 || rows[0]["event"] != "delivered" {
		t.Fatalf("status=failed: %d %v", code, body)
	}
	// % and _ are literal, not wildcards.
	for _, q := range []string{"%", "_", "#10%1", "#_001"} {
		if code, rows, body := list("?q=" + url.QueryEscape(q)); code != 200 || len(rows) != 0 || body["total"] != float64(0) {
			t.Errorf("q=%s: %d %v", q, code, body)
		}
	}
	for _, c := range []struct{ query, want string }{
		{"?status=lost", "status must be one of queued, sent, failed, suppressed, skipped"},
		{"?q=" + strings.Repeat("a", 201), "q is longer than 200 characters"},
		{"?q=a%00b", "q must be one line"},
	} {
		if code, _, body := list(c.query); code != 400 || !strings.Contains(fmt.Sprint(body["message"]), c.want) {
			t.Errorf("%s: %d %v", c.query, code, body)
		}
	}
}
