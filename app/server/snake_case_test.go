package server_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// snakeKeys reports every object key in v that is not snake_case, with
// its path: the admin reads `quantity` and `created_at`, never `Quantity`.
func snakeKeys(path string, v any) []string {
	var bad []string
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if !snakeCase.MatchString(k) {
				bad = append(bad, path+"."+k)
			}
			bad = append(bad, snakeKeys(path+"."+k, child)...)
		}
	case []any:
		for i, child := range x {
			bad = append(bad, snakeKeys(fmt.Sprintf("%s[%d]", path, i), child)...)
		}
	}
	return bad
}

// Every admin response — with every kind of record in it — is snake_case.
func TestEveryAdminResponseIsSnakeCase(t *testing.T) {
	e := newAPIEnv(t, wiringtest.Options{})
	tok := e.sessionToken("acme.myshopify.com", nil, apiSecret)
	ctx := context.Background()
	acme := e.shops["acme.myshopify.com"]

	code, created := e.do("POST", "/api/admin/shipments", tok, "application/json",
		[]byte(`[{"order":"#1001","tracking_number":"RB123456785ES","carrier":"Correos","line_items":[{"sku":"MUG-01","quantity":2}]}]`))
	if code != 200 {
		t.Fatalf("create: %d %v", code, created)
	}
	page, err := e.db.ListShipments(ctx, acme.ID, app.ShipmentFilter{})
	if err != nil || len(page.Shipments) != 1 {
		t.Fatalf("%+v %v", page, err)
	}
	id := page.Shipments[0].ID
	now := time.Now().UTC()
	if _, err := e.db.ApplyStatusUpdate(ctx, acme.ID, app.StatusUpdate{Source: app.ProviderPush, TrackingNumber: "RB123456785ES", Status: app.StatusInTransit,
		EstimatedDelivery: &now, Checkpoints: []app.Checkpoint{{HappenedAt: now, Status: app.StatusInTransit, Location: "Madrid", Message: "Admitido"}}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.db.QueueNotification(ctx, &app.Notification{ShopID: acme.ID, ShipmentID: id, Event: app.NotifyShipped, EventKey: "shipped"}); err != nil {
		t.Fatal(err)
	}
	if code, body := e.do("POST", "/api/admin/status-sources", tok, "application/json", []byte(`{"provider":"push","name":"3PL"}`)); code != 201 {
		t.Fatalf("source: %d %v", code, body)
	} else if bad := snakeKeys("POST status-sources", body); len(bad) > 0 {
		t.Errorf("not snake_case: %v", bad)
	}
	if bad := snakeKeys("POST shipments", created); len(bad) > 0 {
		t.Errorf("not snake_case: %v", bad)
	}
	// The CSV import, its dry run first (columns, sample, problems).
	for _, path := range []string{"/api/admin/imports?dry_run=true", "/api/admin/imports"} {
		code, body := e.do("POST", path, tok, "text/csv", []byte("Pedido;Número de seguimiento;SKU;Cantidad;Guía\n#1001;UG123456789YW;MUG-01;1;x\n"))
		if code != 200 {
			t.Fatalf("POST %s: %d %v", path, code, body)
		}
		if bad := snakeKeys("POST "+path, body); len(bad) > 0 {
			t.Errorf("not snake_case: %v", bad)
		}
	}
	// A WhatsApp connection with its templates, a text of the shipment
	// and the texts' settings.
	wa := &app.ChannelConnection{ShopID: acme.ID, Channel: app.ChannelWhatsApp, Provider: app.ProviderMeta, AccountID: "1029384756",
		SenderID: "5647382910", Token: "EAAG-x", AppSecret: "s", VerifyToken: "wbv_x", CreatedAt: now}
	if err := e.db.SaveChannelConnection(ctx, wa); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SaveTextTemplates(ctx, wa.ID, []app.TextTemplate{{Event: app.NotifyShipped, Language: "es", Name: "waybill_shipped",
		Status: app.TemplateRejected, Reason: "INVALID_FORMAT"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.db.QueueText(ctx, &app.CustomerText{ShopID: acme.ID, ShipmentID: id, Channel: app.ChannelWhatsApp, Event: app.NotifyShipped,
		EventKey: "shipped"}); err != nil {
		t.Fatal(err)
	}
	if code, body := e.do("PUT", "/api/admin/texts/settings", tok, "application/json",
		[]byte(`{"disabled_events":{"sms":{"shipped":true}},"contact":{"whatsapp":"+34612345678"}}`)); code != 200 {
		t.Fatalf("text settings: %d %v", code, body)
	} else if bad := snakeKeys("PUT texts/settings", body); len(bad) > 0 {
		t.Errorf("not snake_case: %v", bad)
	}
	// A customers/data_request about the order's customer, with its report.
	e.seedDataRequest("acme.myshopify.com", app.Customer{ID: 555, Email: "ana@cliente.example"}, []int64{700}, now)
	for _, path := range []string{"/api/admin/shipments", "/api/admin/shipments/" + id, "/api/admin/stats", "/api/admin/api-keys",
		"/api/admin/status-sources", "/api/admin/tracking-settings", "/api/admin/notifications", "/api/admin/notifications/settings",
		"/api/admin/data-requests", "/api/admin/orders/awaiting", "/api/admin/channels", "/api/admin/texts/settings",
		"/api/admin/texts?channel=whatsapp", "/api/admin/carriers/detect?number=1Z999AA10123456784",
		"/api/admin/insights?by=carrier&from=" + now.AddDate(0, 0, -30).Format(time.DateOnly) + "&to=" + now.Format(time.DateOnly)} {
		code, body := e.do("GET", path, tok, "", nil)
		if code != 200 {
			t.Fatalf("GET %s: %d %v", path, code, body)
		}
		if bad := snakeKeys("GET "+path, body); len(bad) > 0 {
			t.Errorf("not snake_case: %v", bad)
		}
	}
	// The email log filtered, a test send (no SMTP: not sent, with the
	// reason) and a resend with a note.
	if err := e.db.SetShipmentState(ctx, id, app.ShipmentSynced, "", "", ""); err != nil {
		t.Fatal(err)
	}
	for _, req := range []struct{ method, path, body string }{
		{"GET", "/api/admin/notifications?q=1001&status=queued", ""},
		{"POST", "/api/admin/notifications/test", `{"event":"shipped","to":"hola@acme.example"}`},
		{"POST", "/api/admin/shipments/" + id + "/resend", `{"event":"shipped","note":"Gracias"}`},
	} {
		code, body := e.do(req.method, req.path, tok, "application/json", []byte(req.body))
		if code != 200 && code != 202 {
			t.Fatalf("%s %s: %d %v", req.method, req.path, code, body)
		}
		if bad := snakeKeys(req.method+" "+req.path, body); len(bad) > 0 {
			t.Errorf("not snake_case: %v", bad)
		}
	}
	// The detail carries the quantity and the history's times under the
	// names the admin reads.
	_, detail := e.do("GET", "/api/admin/shipments/"+id, tok, "", nil)
	line := detail["shipment"].(map[string]any)["line_items"].([]any)[0].(map[string]any)
	history := detail["history"].([]any)[0].(map[string]any)
	if line["quantity"] != float64(2) || history["created_at"] == nil {
		t.Fatalf("detail: line %v, history %v", line, history)
	}
	// The new records are in the answers the loop above read: a text in
	// the shipment's detail, the log and the dashboard, a template in the
	// channels.
	text := detail["texts"].([]any)[0].(map[string]any)
	if text["queued_at"] == nil || text["provider_message_id"] == nil {
		t.Fatalf("detail's text: %v", text)
	}
	_, channels := e.do("GET", "/api/admin/channels", tok, "", nil)
	tpl := channels["channels"].([]any)[0].(map[string]any)["templates"].([]any)
	if len(tpl) == 0 {
		t.Fatalf("no templates in %v", channels)
	}
	_, log := e.do("GET", "/api/admin/texts", tok, "", nil)
	if entry := log["texts"].([]any)[0].(map[string]any); entry["order_name"] != "#1001" || entry["phone_masked"] == nil {
		t.Fatalf("log entry: %v", entry)
	}
}
