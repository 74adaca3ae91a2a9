package server_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"testing"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
	"github.com/waybill-app/waybill/jobs"
)

// POST /api/admin/imports?dry_run=true answers how the file is understood
// and stores nothing; the same file without dry_run imports it.
func TestImportDryRunShowsColumnsAndStoresNothing(t *testing.T) {
	e := newAPIEnv(t, wiringtest.Options{})
	tok := e.sessionToken("acme.myshopify.com", nil, apiSecret)
	ctx := context.Background()
	acme := e.shops["acme.myshopify.com"]
	file := []byte("Pedido;Número de seguimiento;Cantidad;SKU;Guía interna\n#1001;RB123456785ES;2;MUG-01;X-1\n")

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, err := mw.CreateFormFile("file", "envios.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(file); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	code, body := e.do("POST", "/api/admin/imports?dry_run=true", tok, mw.FormDataContentType(), form.Bytes())
	if code != 200 || body["dry_run"] != true || body["format"] != "generic" || body["rows"] != float64(1) || body["shipments"] != float64(1) {
		t.Fatalf("dry run: %d %v", code, body)
	}
	cols := body["columns"].([]any)
	want := [][2]string{{"Pedido", "order"}, {"Número de seguimiento", "tracking_number"}, {"Cantidad", "quantity"}, {"SKU", "sku"}, {"Guía interna", ""}}
	for i, w := range want {
		c := cols[i].(map[string]any)
		if c["header"] != w[0] || c["field"] != w[1] {
			t.Errorf("column %d = %v, want %v", i, c, w)
		}
	}
	problems := body["problems"].([]any)
	if len(problems) != 1 || problems[0].(map[string]any)["code"] != "tracking_column_not_recognised" || problems[0].(map[string]any)["header"] != "Guía interna" {
		t.Fatalf("problems: %v", problems)
	}
	line := body["sample"].([]any)[0].(map[string]any)["line_items"].([]any)[0].(map[string]any)
	if line["sku"] != "MUG-01" || line["quantity"] != float64(2) {
		t.Fatalf("sample line: %v", line)
	}
	if bad := snakeKeys("POST imports?dry_run", body); len(bad) > 0 {
		t.Errorf("not snake_case: %v", bad)
	}
	page, err := e.db.ListShipments(ctx, acme.ID, app.ShipmentFilter{})
	if err != nil || len(page.Shipments) != 0 {
		t.Fatalf("a dry run stored shipments: %+v %v", page, err)
	}
	if info, err := e.Inspect.GetQueueInfo(jobs.QueueDefault); err == nil && info.Pending != 0 {
		t.Fatalf("a dry run queued pushes: %+v", info)
	}

	// dry_run=false (or absent) imports.
	code, body = e.do("POST", "/api/admin/imports?dry_run=false", tok, "text/csv", file)
	if code != 200 || body["accepted"] != float64(1) || body["format"] != "generic" {
		t.Fatalf("import: %d %v", code, body)
	}
	page, err = e.db.ListShipments(ctx, acme.ID, app.ShipmentFilter{})
	if err != nil || len(page.Shipments) != 1 || page.Shipments[0].LineItems[0].Quantity != 2 {
		t.Fatalf("after the import: %+v %v", page, err)
	}

	// A header without a tracking column is still previewed (the problem
	// says so) but refused by the import; a bad dry_run is named.
	code, body = e.do("POST", "/api/admin/imports?dry_run=true", tok, "text/csv", []byte("Pedido,Envío\n#1001,X\n"))
	if code != 200 || body["problems"].([]any)[0].(map[string]any)["field"] != "tracking_number" {
		t.Fatalf("dry run without tracking: %d %v", code, body)
	}
	if code, body := e.do("POST", "/api/admin/imports", tok, "text/csv", []byte("Pedido,Envío\n#1001,X\n")); code != 400 {
		t.Fatalf("import without tracking: %d %v", code, body)
	}
	if code, body := e.do("POST", "/api/admin/imports?dry_run=quizas", tok, "text/csv", file); code != 400 || body["message"] != "dry_run must be true or false" {
		t.Fatalf("bad dry_run: %d %v", code, body)
	}
}
