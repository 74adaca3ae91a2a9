package server_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

// The export is the list's filters applied to every row, as a file Excel
// opens with its accents (UTF-8 with BOM) and whose cells never run as
// formulas; the analytics count the tracking page's visits.
func TestShipmentExportAndInsights(t *testing.T) {
	// Snapshots of a handful of shipments served too (by default only
	// periods of 10,000 or more are).
	e := newTrackEnvWith(t, wiringtest.Options{Env: map[string]string{"INSIGHTS_SNAPSHOT_FROM": "1"}})
	tok := e.sessionToken(shop, nil, apiSecret)
	now := time.Now().UTC()
	failed := e.order("es", map[string]any{"state": "failed", "carrier": "=cmd|' /C calc'!A0", "shipped_at": nil})
	delivered := e.order("es", map[string]any{"state": "synced", "status": "delivered", "shipped_at": now.Add(-72 * time.Hour), "status_at": now.Add(-24 * time.Hour)})
	// Another shop's failed shipment never appears.
	rival := e.shops["rival.myshopify.com"]
	if code, body := e.do("POST", "/api/v1/tracking", e.keys[rival.Domain], "application/json", []byte(`{"order":"#1001","tracking_number":"RB999999995ES"}`)); code != 202 {
		t.Fatalf("rival: %d %v", code, body)
	}
	if err := e.db.Gorm().Exec("UPDATE shipments SET state = 'failed' WHERE shop_id = ?", rival.ID).Error; err != nil {
		t.Fatal(err)
	}

	get := func(path string) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest("GET", e.url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(readBody(t, resp))
	}
	resp, body := get("/api/admin/shipments/export.csv?state=failed")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("export: %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	today := time.Now().In(e.shop.Location()).Format(time.DateOnly)
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="waybill-shipments-`+today+`.csv"` {
		t.Errorf("Content-Disposition: %s", cd)
	}
	if !strings.HasPrefix(body, "\ufefforder,tracking_number,carrier,state,parcel_status,source,created_at,shipped_at,delivered_at,stalled_at,destination\n") {
		t.Errorf("not a BOM and the header: %.200q", body)
	}
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 2 || records[1][0] != failed || records[1][3] != "failed" {
		t.Fatalf("state=failed exported %d rows: %q", len(records)-1, records)
	}
	if records[1][2] != "'=cmd|' /C calc'!A0" {
		t.Errorf("the carrier cell would run as a formula: %q", records[1][2])
	}

	resp, body = get("/api/admin/shipments/export.csv?status=delivered&q=" + strings.TrimPrefix(delivered, "#"))
	records, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil || resp.StatusCode != 200 || len(records) != 2 || records[1][0] != delivered || records[1][8] == "" {
		t.Fatalf("status=delivered: %d %v %q", resp.StatusCode, err, records)
	}
	for _, bad := range []string{"state=lost", "from=24-11-2026", "stalled=yes"} {
		if resp, body := get("/api/admin/shipments/export.csv?" + bad); resp.StatusCode != 400 || !strings.Contains(body, strings.Split(bad, "=")[0]) {
			t.Errorf("%s: %d %s, want a 400 naming it", bad, resp.StatusCode, body)
		}
	}

	// The customer opens the delivered parcel's page twice.
	e.page(delivered)
	e.page(delivered)
	from, to := now.AddDate(0, 0, -1).Format(time.DateOnly), now.AddDate(0, 0, 1).Format(time.DateOnly)
	code, out := e.do("GET", "/api/admin/insights?by=carrier&from="+from+"&to="+to, tok, "", nil)
	if code != 200 {
		t.Fatalf("insights: %d %v", code, out)
	}
	rows, _ := out["rows"].([]any)
	var correos map[string]any
	for _, r := range rows {
		if m := r.(map[string]any); m["key"] == "Correos" {
			correos = m
		}
	}
	if correos == nil || correos["shipments"] != 1.0 || correos["delivered"] != 1.0 || correos["tracking_page_visits"] != 2.0 {
		t.Errorf("Correos: %v (all rows %v), want 1 shipment, delivered, 2 visits", correos, rows)
	}
	if spread, _ := correos["fulfillment_to_delivery_days"].(map[string]any); spread["median"] != 2.0 {
		t.Errorf("shipped → delivered: %v, want a median of 2 days", spread)
	}
	if out["live"] != true || out["computed_at"] != nil {
		t.Errorf("a period of the merchant's choosing: live %v computed_at %v, want computed live", out["live"], out["computed_at"])
	}

	// The last 30 days on the shop's calendar: live until the snapshots
	// are computed, then served from them, saying when.
	local := time.Now().In(e.shop.Location())
	last30 := "/api/admin/insights?by=carrier&from=" + local.AddDate(0, 0, -29).Format(time.DateOnly) + "&to=" + local.Format(time.DateOnly)
	code, out = e.do("GET", last30, tok, "", nil)
	if code != 200 || out["live"] != true {
		t.Fatalf("last 30 days without a snapshot: %d %v, want live", code, out)
	}
	liveRows := out["rows"]
	if err := e.Shipping.RefreshInsights(context.Background(), e.shop.Domain); err != nil {
		t.Fatal(err)
	}
	code, out = e.do("GET", last30, tok, "", nil)
	computed, _ := out["computed_at"].(string)
	if at, err := time.Parse(time.RFC3339, computed); code != 200 || out["live"] != false || err != nil || time.Since(at) > time.Minute {
		t.Errorf("last 30 days with a snapshot: %d live %v computed_at %q, want the snapshot of now", code, out["live"], computed)
	}
	if !reflect.DeepEqual(out["rows"], liveRows) {
		t.Errorf("snapshot rows %v, want the live ones %v", out["rows"], liveRows)
	}
	for _, bad := range []string{"by=weekday&from=" + from + "&to=" + to, "by=carrier&to=" + to, "by=carrier&from=" + to + "&to=" + from,
		"by=carrier&from=2020-01-01&to=" + to} {
		if code, out := e.do("GET", "/api/admin/insights?"+bad, tok, "", nil); code != 400 || out["message"] == "" {
			t.Errorf("%s: %d %v, want a 400 with a sentence", bad, code, out)
		}
	}
}
