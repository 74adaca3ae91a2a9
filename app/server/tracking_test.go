package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/statusfeed/providerfake"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

// The delay and estimate settings: defaults until saved, every bad field
// named, and nothing half-saved.
func TestTrackingSettingsAreValidatedFieldByField(t *testing.T) {
	e := newAPIEnv(t, wiringtest.Options{})
	tok := e.sessionToken("acme.myshopify.com", nil, apiSecret)
	code, got := e.do("GET", "/api/admin/tracking-settings", tok, "", nil)
	if code != 200 || got["shopify_tracking"] != true || got["stall_days_domestic"].(float64) != app.DefaultStallDaysDomestic ||
		got["stall_days_cross_border"].(float64) != app.DefaultStallDaysCrossBorder {
		t.Fatalf("defaults: %d %v", code, got)
	}
	bad := `{"shopify_tracking":false,"stall_days_domestic":0,"stall_days_cross_border":10,
		"transit_windows":[{"country":"España","min_days":3,"max_days":5},{"country":"MX","min_days":20,"max_days":10}]}`
	code, body := e.do("PUT", "/api/admin/tracking-settings", tok, "application/json", []byte(bad))
	msg, _ := body["message"].(string)
	for _, want := range []string{"stall_days_domestic", "transit_windows[0].country", "transit_windows[1]"} {
		if code != 400 || !strings.Contains(msg, want) {
			t.Errorf("%d %q does not name %s", code, msg, want)
		}
	}
	if _, got := e.do("GET", "/api/admin/tracking-settings", tok, "", nil); got["shopify_tracking"] != true {
		t.Fatal("a refused save changed the settings")
	}
	good := `{"shopify_tracking":true,"stall_days_domestic":3,"stall_days_cross_border":12,
		"transit_windows":[{"country":"es","carrier":"","min_days":3,"max_days":5},{"country":"MX","carrier":"DHL","min_days":4,"max_days":7}]}`
	if code, got := e.do("PUT", "/api/admin/tracking-settings", tok, "application/json", []byte(good)); code != 200 ||
		got["stall_days_domestic"].(float64) != 3 || got["transit_windows"].([]any)[0].(map[string]any)["country"] != "ES" {
		t.Fatalf("save: %d %v", code, got)
	}
	// Another shop's settings are its own.
	rival := e.sessionToken("rival.myshopify.com", nil, apiSecret)
	if _, got := e.do("GET", "/api/admin/tracking-settings", rival, "", nil); got["stall_days_domestic"].(float64) != app.DefaultStallDaysDomestic {
		t.Fatalf("rival sees acme's settings: %v", got)
	}
}

// The shipments list filters by parcel status and stall; the dashboard
// counts stalled parcels.
func TestShipmentsFilterByParcelStatusAndStall(t *testing.T) {
	e := newAPIEnv(t, wiringtest.Options{})
	tok := e.sessionToken("acme.myshopify.com", nil, apiSecret)
	ctx := context.Background()
	acme := e.shops["acme.myshopify.com"]
	var ids []string
	for _, n := range []string{"RB123456785ES", "RB123456799ES", "RB123456802ES"} {
		s := &app.Shipment{ShopID: acme.ID, OrderRef: "#1001", OrderName: "#1001", TrackingNumber: n, Source: app.SourceAPI,
			State: app.ShipmentSynced, NotifyCustomer: true}
		out, err := e.db.CreateShipments(ctx, []*app.Shipment{s}, "test")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, out[0].ShipmentID)
	}
	if _, err := e.db.ApplyStatusUpdate(ctx, acme.ID, app.StatusUpdate{Source: app.ProviderPush, TrackingNumber: "RB123456799ES",
		Status: app.StatusInTransit, StatusAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.db.MarkStalled(ctx, ids[2], app.StallNoEvents, time.Now(), nil); err != nil || !ok {
		t.Fatalf("stall: %v %v", ok, err)
	}
	list := func(query string) (int, []string) {
		code, body := e.do("GET", "/api/admin/shipments?"+query, tok, "", nil)
		var numbers []string
		if code == 200 {
			for _, s := range body["shipments"].([]any) {
				numbers = append(numbers, s.(map[string]any)["tracking_number"].(string))
			}
		}
		return code, numbers
	}
	if code, got := list("status=in_transit"); code != 200 || strings.Join(got, ",") != "RB123456799ES" {
		t.Fatalf("status=in_transit: %d %v", code, got)
	}
	if code, got := list("stalled=true"); code != 200 || strings.Join(got, ",") != "RB123456802ES" {
		t.Fatalf("stalled=true: %d %v", code, got)
	}
	if code, _ := list("status=lost"); code != 400 {
		t.Fatalf("unknown status: %d", code)
	}
	if code, _ := list("stalled=maybe"); code != 400 {
		t.Fatalf("stalled=maybe: %d", code)
	}
	code, stats := e.do("GET", "/api/admin/stats", tok, "", nil)
	raw, _ := json.Marshal(stats)
	if code != 200 || !strings.Contains(string(raw), `"stalled":1`) {
		t.Fatalf("stats: %d %s", code, raw)
	}
	// The shipment's detail says why and since when.
	code, detail := e.do("GET", "/api/admin/shipments/"+ids[2], tok, "", nil)
	raw, _ = json.Marshal(detail)
	if code != 200 || !strings.Contains(string(raw), `"stalled_reason":"no_events"`) || !strings.Contains(string(raw), `"stalled_at":"`) {
		t.Fatalf("detail: %d %s", code, raw)
	}
}

// The test button proves the merchant's key against the provider itself,
// records the outcome, and never reveals the key.
func TestStatusSourceTestButtonAsksTheProvider(t *testing.T) {
	st := providerfake.New17Track()
	t.Cleanup(st.Close)
	const good = "17TRACK-GOOD-KEY-0123456789"
	st.AddKey(good)
	e := newAPIEnv(t, wiringtest.Options{Env: map[string]string{"SEVENTEENTRACK_API_URL": st.URL}})
	tok := e.sessionToken("acme.myshopify.com", nil, apiSecret)
	create := func(key string) string {
		code, body := e.do("POST", "/api/admin/status-sources", tok, "application/json",
			[]byte(`{"provider":"17track","name":"17TRACK","api_key":"`+key+`"}`))
		if code != 201 {
			t.Fatalf("create: %d %v", code, body)
		}
		return body["source"].(map[string]any)["id"].(string)
	}
	okID, badID := create(good), create("17TRACK-REVOKED-KEY-000000")
	if code, body := e.do("POST", "/api/admin/status-sources/"+okID+"/test", tok, "", nil); code != 200 || body["ok"] != true {
		t.Fatalf("good key: %d %v", code, body)
	}
	code, body := e.do("POST", "/api/admin/status-sources/"+badID+"/test", tok, "", nil)
	raw, _ := json.Marshal(body)
	if code != 200 || body["ok"] != false || body["error"] != "unauthorized" || strings.Contains(string(raw), "REVOKED") {
		t.Fatalf("bad key: %d %s", code, raw)
	}
	_, list := e.do("GET", "/api/admin/status-sources", tok, "", nil)
	raw, _ = json.Marshal(list)
	if !strings.Contains(string(raw), `"check_error":"unauthorized"`) || strings.Contains(string(raw), good) {
		t.Fatalf("list: %s", raw)
	}
	// Another shop can neither test nor remove it; its owner can.
	rival := e.sessionToken("rival.myshopify.com", nil, apiSecret)
	if code, _ := e.do("POST", "/api/admin/status-sources/"+okID+"/test", rival, "", nil); code != 404 {
		t.Fatalf("rival test: %d", code)
	}
	if code, _ := e.do("DELETE", "/api/admin/status-sources/"+okID, rival, "", nil); code != 404 {
		t.Fatalf("rival delete: %d", code)
	}
	if code, _ := e.do("DELETE", "/api/admin/status-sources/"+okID, tok, "", nil); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if _, list := e.do("GET", "/api/admin/status-sources", tok, "", nil); len(list["sources"].([]any)) != 1 {
		t.Fatalf("after delete: %v", list)
	}
}
