package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/smtp"
	"github.com/waybill-app/waybill/app/smtp/mailpittest"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

func TestNotificationSettingsPreviewAndTestSend(t *testing.T) {
	pit := mailpittest.Start(t, "")
	e := newAPIEnv(t, wiringtest.Options{SMTPURL: pit.URL()})
	db := e.db
	ctx := context.Background()
	if err := db.UpdateShopProfile(ctx, "acme.myshopify.com", app.ShopProfile{Name: "Tienda Acme", Email: "hola@acme.example"}); err != nil {
		t.Fatal(err)
	}
	tok := e.sessionToken("acme.myshopify.com", nil, apiSecret)
	send := func(method, path string, body any) (int, map[string]any) {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		return e.do(method, path, tok, "application/json", b)
	}

	code, body := e.do("GET", "/api/admin/notifications/settings", tok, "", nil)
	if code != 200 || body["customer_emails"] != "waybill" || body["primary_locale"] != "en" || len(body["locales"].([]any)) != 2 {
		t.Fatalf("defaults: %d %v", code, body)
	}
	// A broken template is refused at save, naming the field; nothing is saved.
	code, body = send("PUT", "/api/admin/notifications/settings", map[string]any{
		"primary_locale": "es", "templates": map[string]any{"es": map[string]any{"shipped": map[string]any{"subject": "{{.OrderNme}}"}}}})
	if code != 400 || !strings.Contains(body["message"].(string), "templates.es.shipped.subject") {
		t.Fatalf("broken template: %d %v", code, body)
	}
	code, body = send("PUT", "/api/admin/notifications/settings", map[string]any{
		"primary_locale": "es", "customer_emails": "waybill", "disabled_events": map[string]bool{"delivered": true},
		"branding":  map[string]any{"accent_color": "#c2185b", "sender_name": "Acme", "reply_to": "ayuda@acme.example"},
		"templates": map[string]any{"es": map[string]any{"shipped": map[string]any{"subject": "¡{{.OrderName}} va de camino!"}}}})
	if code != 200 || body["primary_locale"] != "es" {
		t.Fatalf("save: %d %v", code, body)
	}
	saved, err := db.NotificationSettings(ctx, mustShop(t, db).ID)
	if err != nil {
		t.Fatal(err)
	}
	if saved.Branding.AccentColor != "#c2185b" || !saved.Disabled[app.NotifyDelivered] || saved.Override("es", app.NotifyShipped) == nil {
		t.Fatalf("stored: %+v", saved)
	}

	// Live preview: unsaved branding shows, in each locale.
	code, body = send("POST", "/api/admin/notifications/preview", map[string]any{"event": "shipped", "locale": "es",
		"branding": map[string]any{"accent_color": "#00897b"}})
	if code != 200 || body["subject"] != "¡#1001 va de camino!" || !strings.Contains(body["html"].(string), "#00897b") || !strings.Contains(body["html"].(string), "Tienda Acme") {
		t.Fatalf("preview es: %d %v", code, body["subject"])
	}
	code, body = send("POST", "/api/admin/notifications/preview", map[string]any{"event": "tracking_updated", "locale": "en"})
	if code != 200 || body["subject"] != "New tracking details for order #1001" || !strings.Contains(body["html"].(string), "#c2185b") {
		t.Fatalf("preview en: %d %v", code, body["subject"])
	}
	if code, _ := send("POST", "/api/admin/notifications/preview", map[string]any{"event": "teleported"}); code != 400 {
		t.Fatalf("unknown event: %d", code)
	}

	// Test send: to the store's address.
	code, body = send("POST", "/api/admin/notifications/test", map[string]any{"event": "shipped", "locale": "es"})
	if code != 200 || body["sent"] != true || body["to"] != "hola@acme.example" {
		t.Fatalf("test send: %d %v", code, body)
	}
	msgs := pit.Wait(1, 0)
	if msgs[0].Subject != "[Test] ¡#1001 va de camino!" || msgs[0].From.Name != "Acme" {
		t.Fatalf("test email: %+v", msgs[0])
	}
}

func mustShop(t *testing.T, db *store.DB) *app.Shop {
	s, err := db.ShopByDomain(context.Background(), "acme.myshopify.com")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLogMailerNeverLogsTheAddress(t *testing.T) {
	var buf bytes.Buffer
	m := smtp.Log{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	if err := m.Send(context.Background(), app.Email{To: "lucia.garcia@example.com", Subject: "Tu pedido #1001 está en camino", Locale: "es"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"recipient_domain":"example.com"`) || strings.Contains(buf.String(), "lucia") ||
		!strings.Contains(buf.String(), "Tu pedido #1001") {
		t.Fatalf("log: %s", buf.String())
	}
}

func TestStatusSourcesAreCreatedWithASealedSecret(t *testing.T) {
	e := newAPIEnv(t, wiringtest.Options{})
	db := e.db
	tok := e.sessionToken("acme.myshopify.com", nil, apiSecret)
	code, body := e.do("POST", "/api/admin/status-sources", tok, "application/json", []byte(`{"provider":"push","name":"Almacén Norte"}`))
	secret, _ := body["secret"].(string)
	if code != 201 || !strings.HasPrefix(secret, "whsec_") || !strings.HasPrefix(body["url"].(string), e.URL+"/carriers/push/") {
		t.Fatalf("create: %d %v", code, body)
	}
	// An aggregator takes the merchant's key and webhook secret, sealed,
	// and never shows them again: only a hint.
	const key, hook = "EP_KEY_0123456789abcdefWXYZ", "merchant-chosen-webhook-secret"
	code, body = e.do("POST", "/api/admin/status-sources", tok, "application/json",
		[]byte(`{"provider":"easypost","name":"EasyPost","api_key":"`+key+`","webhook_secret":"`+hook+`"}`))
	if code != 201 || body["secret"] != "" {
		t.Fatalf("create easypost: %d %v", code, body)
	}
	var stored []string
	if err := db.Gorm().Raw("SELECT secret_sealed || ' ' || api_key_sealed FROM status_sources").Scan(&stored).Error; err != nil {
		t.Fatal(err)
	}
	for _, row := range stored {
		if strings.Contains(row, secret) || strings.Contains(row, key) || strings.Contains(row, hook) || !strings.HasPrefix(row, "v1:") {
			t.Fatal("a source's secret or key is stored in clear")
		}
	}
	code, list := e.do("GET", "/api/admin/status-sources", tok, "", nil)
	raw, _ := json.Marshal(list)
	if code != 200 || strings.Contains(string(raw), key) || strings.Contains(string(raw), hook) || strings.Contains(string(raw), secret) ||
		!strings.Contains(string(raw), `"api_key_hint":"…WXYZ"`) || len(list["sources"].([]any)) != 2 {
		t.Fatalf("list: %d %s", code, raw)
	}
	if code, body := e.do("POST", "/api/admin/status-sources", tok, "application/json", []byte(`{"provider":"aftership","name":"AS"}`)); code != 400 ||
		!strings.Contains(body["message"].(string), "aftership needs api_key") {
		t.Fatalf("a missing key: %d %v", code, body)
	}
	if code, _ := e.do("POST", "/api/admin/status-sources", tok, "application/json", []byte(`{"provider":"carrier-pigeon"}`)); code != 400 {
		t.Fatalf("unknown provider: %d", code)
	}
}
