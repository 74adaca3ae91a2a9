package shipping_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
)

type env struct {
	svc       *shipping.Service
	db        *store.DB
	shop      *app.Shop
	inspector *asynq.Inspector
}

// newEnv builds Waybill (no worker: pushes stay queued) for a shop whose
// orders #1001 (mug ×3, lamp ×1) and #1002 (tee ×2) Waybill knows.
func newEnv(t *testing.T, engine store.Engine) *env {
	h := wiringtest.New(t, wiringtest.Options{RedisDB: 6, Engine: engine, Shops: []string{"acme.myshopify.com"}})
	shop := h.Shop("acme.myshopify.com")
	ctx := context.Background()
	for _, o := range []app.Order{
		{ID: 501, ShopID: shop.ID, Name: "#1001", ShopifyUpdatedAt: time.Now(), LineItems: []app.LineItem{
			{ID: 5011, SKU: "MUG-01", Title: "Taza", Quantity: 3, FulfillableQuantity: 3}, {ID: 5012, SKU: "LAMP-7", Title: "Lámpara", Quantity: 1, FulfillableQuantity: 1}}},
		{ID: 502, ShopID: shop.ID, Name: "#1002", ShopifyUpdatedAt: time.Now(), LineItems: []app.LineItem{
			{ID: 5021, SKU: "TEE-M", Title: "Camiseta", Quantity: 2, FulfillableQuantity: 2}}},
	} {
		if _, err := h.DB.SaveOrder(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	return &env{db: h.DB, shop: shop, inspector: h.Inspect, svc: h.Shipping}
}

func TestImportCSVJudgesEachRowAndKeepsTheGoodOnes(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		e := newEnv(t, engine)
		// A Spanish spreadsheet export: BOM, semicolons, an extra column.
		file := "\ufefforder;tracking_number;carrier;tracking_url;sku;quantity;notas\n" +
			"#1001;RB123456785ES;;;MUG-01;2;frágil\n" + // 2: parcel A, line 1
			"#1001;RB123456785ES;;;LAMP-7;1;\n" + // 3: parcel A, line 2
			"1002;YT2300012345678901;;;;;\n" + // 4: everything left of #1002
			"#1001;;;;MUG-01;1;\n" + // 5: no tracking number
			"#1001;LX123456785CN;;;MUG-01;dos;\n" + // 6: quantity not a number
			"#1001;LX123456785CN;;;HAT-9;1;\n" + // 7: no such sku in the order
			"#1002;UG123456789YW;;ftp://x;;;\n" + // 8: bad URL
			"#1002;UG123456789YW;;;;3;\n" + // 9: quantity without sku
			"1002;YT2300012345678901;;;;;\n" + // 10: repeat of row 4
			"#1003;1Z5R89390357567127;UPS;;;;\n" + // 11: an order Waybill has not seen (fetched at push)
			"#1002;\"unclosed;;;;;\n" // 12: broken quoting
		report, err := e.svc.ImportCSV(context.Background(), e.shop, app.SourceCSV, strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]struct{ status, err string }{
			2: {shipping.Accepted, ""}, 3: {shipping.Accepted, ""}, 4: {shipping.Accepted, ""},
			5:  {shipping.Rejected, "tracking_number is required"},
			6:  {shipping.Rejected, `quantity "dos" must be a whole number above 0`},
			7:  {shipping.Rejected, `line_items[0]: order #1001 has no line with sku "HAT-9"`},
			8:  {shipping.Rejected, "tracking_url must be an http(s) URL"},
			9:  {shipping.Rejected, "quantity is given without a sku"},
			10: {shipping.Accepted, ""}, // same parcel as row 4: one shipment
			11: {shipping.Accepted, ""},
			12: {shipping.Rejected, "the row cannot be read"},
		}
		got := map[int]shipping.CSVRow{}
		for _, r := range report.Rows {
			got[r.Line] = r
		}
		for line, w := range want {
			r, ok := got[line]
			if !ok || r.Status != w.status || !strings.Contains(r.Error, w.err) {
				t.Errorf("line %d: %+v, want %s %q", line, r, w.status, w.err)
			}
		}
		if got[2].ShipmentID == "" || got[2].ShipmentID != got[3].ShipmentID || got[4].ShipmentID != got[10].ShipmentID {
			t.Fatalf("rows of one parcel must share a shipment: %+v", report.Rows)
		}
		if len(report.Ignored) != 1 || report.Ignored[0] != "notas" {
			t.Fatalf("ignored columns = %v", report.Ignored)
		}
		a, err := e.db.ShipmentByID(context.Background(), got[2].ShipmentID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Carrier != "Correos" || a.OrderID != 501 || a.Source != app.SourceCSV || len(a.LineItems) != 2 ||
			a.LineItems[0].LineItemID != 5011 || a.LineItems[0].Quantity != 2 || a.LineItems[1].SKU != "LAMP-7" {
			t.Fatalf("parcel A = %+v", a)
		}
		unknown, err := e.db.ShipmentByID(context.Background(), got[11].ShipmentID)
		if err != nil {
			t.Fatal(err)
		}
		if unknown.OrderID != 0 || unknown.OrderRef != "#1003" || unknown.Carrier != "UPS" || unknown.State != app.ShipmentPending {
			t.Fatalf("unknown order's shipment = %+v", unknown)
		}
		// Three shipments, three pushes queued.
		info, err := e.inspector.GetQueueInfo(jobs.QueueDefault)
		if err != nil || info.Pending != 3 {
			t.Fatalf("queued pushes: %+v %v", info, err)
		}
		// The same file again: nothing new.
		again, err := e.svc.ImportCSV(context.Background(), e.shop, app.SourceCSV, strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		if again.Accepted != 0 || again.Duplicate != 5 {
			t.Fatalf("re-import: %d accepted, %d duplicate", again.Accepted, again.Duplicate)
		}
	})
}

func TestImportCSVRefusesFilesItCannotRead(t *testing.T) {
	e := newEnv(t, store.SQLite)
	for file, want := range map[string]string{
		"":                                      "the file is empty",
		"order,carrier\n#1001,UPS\n":            `no "tracking_number" column`,
		"tracking_number\n1Z5R89390357567127\n": `no "order" column`,
		"order,tracking_number\n":               "no rows",
	} {
		_, err := e.svc.ImportCSV(context.Background(), e.shop, app.SourceCSV, strings.NewReader(file))
		if app.ErrorCodeOf(err) != app.ErrInvalid || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", file, err, want)
		}
	}
	// Comma-separated with CRLF line ends and the header in another case.
	report, err := e.svc.ImportCSV(context.Background(), e.shop, app.SourceCSV,
		strings.NewReader("Order,Tracking Number,Carrier\r\n#1002,1234567890123,Correos Express\r\n"))
	if err != nil || report.Accepted != 1 {
		t.Fatalf("CRLF, header case: %+v %v", report, err)
	}
	s, err := e.db.ShipmentByID(context.Background(), report.Rows[0].ShipmentID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Carrier != "Correos Express" || !strings.Contains(s.TrackingURL, "1234567890123") {
		t.Fatalf("named carrier: %+v", s)
	}
}
