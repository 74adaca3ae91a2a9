package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
)

// history is a shipment's lines as the admin's detail API answers them.
type detailAnswer struct {
	Shipment struct {
		State       string            `json:"state"`
		StateCode   string            `json:"state_code"`
		StateParams map[string]string `json:"state_params"`
		LineItems   []struct {
			LineItemID int64  `json:"line_item_id"`
			SKU        string `json:"sku"`
			Title      string `json:"title"`
			Quantity   int    `json:"quantity"`
		} `json:"line_items"`
	} `json:"shipment"`
	History []struct {
		Kind   string            `json:"kind"`
		Code   string            `json:"code"`
		Params map[string]string `json:"params"`
	} `json:"history"`
}

// detail reads GET /api/admin/shipments/{id} as the embedded admin does.
func (e *pushEnv) detail(id string) detailAnswer {
	e.t.Helper()
	req, err := http.NewRequest("GET", e.URL+"/api/admin/shipments/"+id, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.fake.SessionToken(shop, time.Minute))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }() // read fully below; nothing to lose
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		e.t.Fatalf("detail %s: HTTP %d %s (%v)", id, resp.StatusCode, b, err)
	}
	var out detailAnswer
	if err := json.Unmarshal(b, &out); err != nil {
		e.t.Fatalf("detail: %v: %s", err, b)
	}
	return out
}

// line finds the history line with code, or fails.
func (d detailAnswer) line(t *testing.T, code string) map[string]string {
	t.Helper()
	for _, h := range d.History {
		if h.Code == code {
			return h.Params
		}
	}
	t.Fatalf("no %s line in history %+v", code, d.History)
	return nil
}

// A UPS-shaped number with a wrong check digit (the issue's
// 1Z999AA10123456785: 4 is right) is a typo far more often than not: the row
// is accepted with a warning, the shipment waits for the merchant and is not
// pushed; a retry (the merchant confirms it) pushes it as it is. Named with
// its carrier, the same number is pushed at once.
func TestWrongCheckDigitIsHeldForTheMerchant(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		e := newPushEnv(t, engine)
		ctx := context.Background()
		o := e.order(shopifyfake.NewOrder{LineItems: mug(2)}, false)
		r := e.submit(shipping.Submission{OrderName: o.Name, TrackingNumber: "1z999aa1 0123456785"})
		if r[0].Status != shipping.Accepted || r[0].WarningCode != app.MsgCheckDigit || r[0].WarningParams["carrier"] != "UPS" ||
			r[0].Warning != "The tracking number looks like UPS but its check digit is wrong: check the number." {
			t.Fatalf("row: %+v", r[0])
		}
		id := r[0].ShipmentID
		d := e.detail(id)
		if d.Shipment.State != "needs_attention" || d.Shipment.StateCode != "check_digit" || d.Shipment.StateParams["carrier"] != "UPS" {
			t.Fatalf("held shipment: %+v", d.Shipment)
		}
		if p := d.line(t, "received"); p["source"] != "api" {
			t.Fatalf("received line: %v", p)
		}
		if p := d.line(t, "check_digit"); p["carrier"] != "UPS" {
			t.Fatalf("check_digit line: %v", p)
		}
		// Not pushed, not even queued: the sweep leaves it too.
		if _, err := e.shipping.RequeueStalled(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if fs := e.fulfillments(o.ID); len(fs) != 0 {
			t.Fatalf("a held shipment was pushed: %+v", fs)
		}
		if _, err := e.shipping.Retry(ctx, e.shop, id); err != nil {
			t.Fatal(err)
		}
		if s := e.settled(id); s.State != app.ShipmentSynced || s.TrackingNumber != "1Z999AA10123456785" {
			t.Fatalf("after retry: %+v", s)
		}
		fs := e.fulfillments(o.ID)
		if len(fs) != 1 || fs[0].TrackingInfo[0].Number != "1Z999AA10123456785" {
			t.Fatalf("fulfillments after retry: %+v", fs)
		}
		d = e.detail(id)
		if p := d.line(t, "retried"); p["reason_code"] != "check_digit" || p["carrier"] != "UPS" {
			t.Fatalf("retried line: %v", p)
		}
		if p := d.line(t, "pushed_created"); p["location"] != "Main warehouse" {
			t.Fatalf("pushed line: %v", p)
		}
		if d.Shipment.StateCode != "" || len(d.Shipment.StateParams) != 0 {
			t.Fatalf("a synced shipment keeps a reason: %+v", d.Shipment)
		}

		// The source named the carrier: its word is taken, and it is pushed.
		o2 := e.order(shopifyfake.NewOrder{LineItems: mug(1)}, false)
		r = e.submit(shipping.Submission{OrderName: o2.Name, TrackingNumber: "1Z999AA10123456785", Carrier: "ups"})
		if r[0].Status != shipping.Accepted || r[0].WarningCode != "" || r[0].Warning != "" {
			t.Fatalf("named carrier row: %+v", r[0])
		}
		if s := e.settled(r[0].ShipmentID); s.State != app.ShipmentSynced || s.Carrier != "UPS" {
			t.Fatalf("named carrier: %+v", s)
		}
	})
}

// A shipment that names no items is the whole order: once pushed, its detail
// lists the items and quantities it took — also when it turned out to be a
// fulfillment already in Shopify.
func TestWholeOrderShipmentListsItsLines(t *testing.T) {
	e := newPushEnv(t, store.SQLite)
	o := e.order(shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: 2}, {SKU: "TEE-M", Title: "Camiseta", Quantity: 3}}}, false)
	r := e.submit(shipping.Submission{OrderName: o.Name, TrackingNumber: "RB123456785ES"})
	if s := e.settled(r[0].ShipmentID); s.State != app.ShipmentSynced {
		t.Fatalf("shipment: %+v", s)
	}
	d := e.detail(r[0].ShipmentID)
	got := map[string]int{}
	for _, l := range d.Shipment.LineItems {
		got[l.Title] = l.Quantity
		if l.LineItemID == 0 {
			t.Errorf("line without its order line: %+v", l)
		}
	}
	if len(got) != 2 || got["Taza"] != 2 || got["Camiseta"] != 3 {
		t.Fatalf("whole-order lines: %+v", d.Shipment.LineItems)
	}

	// Fulfilled in Shopify with this number before Waybill pushed it: the
	// shipment is that fulfillment, with its items.
	o2 := e.order(shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "LAMP-7", Title: "Lámpara", Quantity: 4}}}, false)
	if _, err := e.fake.CreateFulfillment(shop, o2.ID, shopifyfake.NewFulfillment{
		Tracking: []shopifyfake.TrackingInfo{{Number: "LX123456785CN", Company: "China Post"}}}); err != nil {
		t.Fatal(err)
	}
	r = e.submit(shipping.Submission{OrderName: o2.Name, TrackingNumber: "LX123456785CN"})
	if s := e.settled(r[0].ShipmentID); s.State != app.ShipmentSynced {
		t.Fatalf("existing fulfillment: %+v", s)
	}
	d = e.detail(r[0].ShipmentID)
	d.line(t, "pushed_existing")
	if len(d.Shipment.LineItems) != 1 || d.Shipment.LineItems[0].Title != "Lámpara" || d.Shipment.LineItems[0].Quantity != 4 ||
		d.Shipment.LineItems[0].SKU != "LAMP-7" {
		t.Fatalf("existing fulfillment's lines: %+v", d.Shipment.LineItems)
	}
}

// Each history line and reason carries its code and parameters: an unknown
// order, Shopify's refusal (its words a parameter), an edit, a status.
func TestHistoryLinesCarryCodes(t *testing.T) {
	e := newPushEnv(t, store.SQLite)
	ctx := context.Background()

	r := e.submit(shipping.Submission{OrderName: "#9999", TrackingNumber: "LX123456785CN"})
	e.settled(r[0].ShipmentID)
	d := e.detail(r[0].ShipmentID)
	if d.Shipment.StateCode != app.MsgNoOrder || d.Shipment.StateParams["order"] != "#9999" {
		t.Fatalf("unknown order: %+v", d.Shipment)
	}
	if p := d.line(t, app.MsgNoOrder); p["order"] != "#9999" {
		t.Fatalf("unknown order line: %v", p)
	}

	o := e.order(shopifyfake.NewOrder{LineItems: mug(1)}, false)
	e.fake.InjectFaults(shopifyfake.Faults{FulfillmentUserErrors: 1, UserErrorMessage: "Fulfillment order 42 is on hold."})
	r = e.submit(shipping.Submission{OrderID: o.ID, TrackingNumber: "LX123456785CN"})
	e.settled(r[0].ShipmentID)
	d = e.detail(r[0].ShipmentID)
	if d.Shipment.State != "failed" || d.Shipment.StateCode != app.MsgFailedShopify || d.Shipment.StateParams["message"] != "Fulfillment order 42 is on hold." {
		t.Fatalf("refused: %+v", d.Shipment)
	}
	d.line(t, app.MsgFailedShopify)

	// Edited (the merchant's fix): the change is a line with both numbers,
	// pushed, and the parcel's status a line with its source.
	if _, err := e.shipping.Edit(ctx, e.shop, r[0].ShipmentID, "RB123456785ES", "", ""); err != nil {
		t.Fatal(err)
	}
	// (The edit queues the push again: its first task, archived under the
	// same id, gives the id up.)
	s := e.settled(r[0].ShipmentID)
	if s.State != app.ShipmentSynced {
		t.Fatalf("edited: %+v", s)
	}
	d = e.detail(r[0].ShipmentID)
	if p := d.line(t, app.MsgTrackingChanged); p["from_number"] != "LX123456785CN" || p["to_number"] != "RB123456785ES" ||
		p["from_carrier"] != "China Post" || p["to_carrier"] != "Correos" {
		t.Fatalf("tracking_changed: %v", p)
	}
	if _, err := e.shipping.ApplyStatus(ctx, e.shop, app.StatusUpdate{Source: "push", TrackingNumber: "RB123456785ES",
		Status: app.StatusInTransit, StatusAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	d = e.detail(r[0].ShipmentID)
	if p := d.line(t, app.MsgStatusChanged); p["to"] != "in_transit" || p["source"] != "push" || p["from"] == "" {
		t.Fatalf("status_changed: %v", p)
	}
}
