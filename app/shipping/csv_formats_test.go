package shipping_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
	"github.com/waybill-app/waybill/jobs"
)

// sample reads a file of testdata without its first line, which names the
// format's source.
func sample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	source, rest, _ := strings.Cut(string(b), "\n")
	if !strings.HasPrefix(source, "# source: ") {
		t.Fatalf("%s must start with a line naming its source", name)
	}
	return rest
}

// understood maps each header to the field it was read as.
func understood(cols []shipping.CSVColumn) map[string]string {
	m := map[string]string{}
	for _, c := range cols {
		m[c.Header] = c.Field
	}
	return m
}

func wantFields(t *testing.T, cols []shipping.CSVColumn, want map[string]string) {
	t.Helper()
	got := understood(cols)
	for h, f := range want {
		if g, ok := got[h]; !ok || g != f {
			t.Errorf("column %q understood as %q (present %v), want %q", h, g, ok, f)
		}
	}
}

// Each source's documented header row is recognised without renaming.
func TestPreviewRecognisesEachSourcesHeader(t *testing.T) {
	for _, c := range []struct {
		file, format string
		fields       map[string]string
		shipments    int
	}{
		{"shopify_orders_export.csv", shipping.FormatShopify, map[string]string{
			"Name": "order", "Lineitem sku": "sku", "Lineitem quantity": "quantity", "Tracking Number": "tracking_number",
			"Tracking Company": "carrier", "Id": "", "Email": "", "Shipping Company": "", "Lineitem fulfillment status": ""}, 1},
		{"zendrop_orders_export.csv", shipping.FormatZendrop, map[string]string{
			"Store order ID": "order_id", "Order number": "", "Order id": "", "Tracking number": "tracking_number"}, 1},
		{"dsers_csv_orders.csv", shipping.FormatDSers, map[string]string{
			"Order number": "order", "SKU": "sku", "Product count": "quantity", "Product id": "", "Tracking number": "tracking_number"}, 1},
	} {
		t.Run(c.format, func(t *testing.T) {
			p, err := shipping.PreviewCSV(strings.NewReader(sample(t, c.file)))
			if err != nil {
				t.Fatal(err)
			}
			if p.Format != c.format || p.Shipments != c.shipments || p.Rejected != 0 {
				t.Fatalf("format %q, %d shipments, %d rejected; problems %+v", p.Format, p.Shipments, p.Rejected, p.Problems)
			}
			wantFields(t, p.Columns, c.fields)
			for _, pr := range p.Problems {
				t.Errorf("unexpected problem %+v", pr)
			}
		})
	}
	// Zendrop's row names the Shopify order by its id; DSers' by number.
	z, err := shipping.PreviewCSV(strings.NewReader(sample(t, "zendrop_orders_export.csv")))
	if err != nil {
		t.Fatal(err)
	}
	if s := z.Sample[0]; s.OrderID != 502 || s.Order != "" || s.TrackingNumber != "YT2300012345678901" {
		t.Fatalf("zendrop parcel = %+v", s)
	}
	d, err := shipping.PreviewCSV(strings.NewReader(sample(t, "dsers_csv_orders.csv")))
	if err != nil {
		t.Fatal(err)
	}
	if s := d.Sample[0]; s.Order != "1001" || len(s.LineItems) != 1 || s.LineItems[0].SKU != "MUG-01" || s.LineItems[0].Quantity != 2 {
		t.Fatalf("dsers parcel = %+v", s)
	}
}

// Shopify's export writes an order once per line item and the merchant's
// tracking number on its first row: one order on three rows is one parcel
// with three lines and their quantities.
func TestImportShopifyExportOneOrderThreeRowsIsOneShipment(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		e := newEnv(t, engine)
		ctx := context.Background()
		if _, err := e.db.SaveOrder(ctx, app.Order{ID: 510, ShopID: e.shop.ID, Name: "#1010", ShopifyUpdatedAt: time.Now(), LineItems: []app.LineItem{
			{ID: 5101, SKU: "MUG-01", Title: "Taza", Quantity: 2, FulfillableQuantity: 2},
			{ID: 5102, SKU: "LAMP-7", Title: "Lámpara", Quantity: 1, FulfillableQuantity: 1},
			{ID: 5103, SKU: "TEE-M", Title: "Camiseta", Quantity: 3, FulfillableQuantity: 3}}}); err != nil {
			t.Fatal(err)
		}
		file := sample(t, "shopify_orders_export.csv")

		preview, err := shipping.PreviewCSV(strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		if preview.Rows != 3 || preview.Shipments != 1 || len(preview.Sample) != 1 {
			t.Fatalf("preview: %d rows, %d shipments, sample %+v", preview.Rows, preview.Shipments, preview.Sample)
		}
		s := preview.Sample[0]
		if s.Order != "#1010" || s.TrackingNumber != "RB123456785ES" || s.Carrier != "Correos" || len(s.Lines) != 3 || s.Lines[0] != 2 || s.Lines[2] != 4 {
			t.Fatalf("previewed parcel = %+v", s)
		}

		report, err := e.svc.ImportCSV(ctx, e.shop, app.SourceCSV, strings.NewReader(file))
		if err != nil {
			t.Fatal(err)
		}
		if report.Accepted != 3 || report.Rejected != 0 || report.Format != shipping.FormatShopify {
			t.Fatalf("report: %+v", report)
		}
		id := report.Rows[0].ShipmentID
		for _, r := range report.Rows {
			if r.ShipmentID != id || r.Tracking != "RB123456785ES" || r.Order != "#1010" {
				t.Fatalf("rows of one parcel: %+v", report.Rows)
			}
		}
		sh, err := e.db.ShipmentByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, l := range sh.LineItems {
			got[l.SKU] = l.Quantity
		}
		if sh.OrderID != 510 || sh.Carrier != "Correos" || len(sh.LineItems) != 3 || got["MUG-01"] != 2 || got["LAMP-7"] != 1 || got["TEE-M"] != 3 {
			t.Fatalf("shipment = %+v, lines %v", sh, got)
		}
		info, err := e.inspector.GetQueueInfo(jobs.QueueDefault)
		if err != nil || info.Pending != 1 {
			t.Fatalf("one push queued: %+v %v", info, err)
		}
	})
}

// Spanish headers as merchants write them — accents or not, spaces, any
// case, semicolons from a Spanish Excel in Windows-1252 — need no renaming.
func TestImportSpanishHeaders(t *testing.T) {
	e := newEnv(t, store.SQLite)
	ctx := context.Background()
	for name, header := range map[string]string{
		"accents":    "Pedido;Número de seguimiento;Transportista;SKU;Cantidad;Notas",
		"no accents": "PEDIDO;numero de seguimiento;TRANSPORTISTA;sku;cantidad;notas",
		"underscore": "pedido;numero_de_seguimiento;transportista;Referencia;Cantidad;Notas",
		"guía":       "Nº de pedido;Nº de guía;Paquetería;Código de producto;Unidades;Notas",
	} {
		p, err := shipping.PreviewCSV(strings.NewReader(header + "\n#1001;RB123456785ES;Correos;MUG-01;2;frágil\n"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cols := p.Columns
		if len(cols) != 6 || cols[0].Field != "order" || cols[1].Field != "tracking_number" || cols[2].Field != "carrier" ||
			cols[3].Field != "sku" || cols[4].Field != "quantity" || cols[5].Field != "" || p.Format != shipping.FormatGeneric {
			t.Errorf("%s: %s → %+v (%s)", name, header, cols, p.Format)
		}
		if len(p.Sample) != 1 || p.Sample[0].LineItems[0].Quantity != 2 || len(p.Problems) != 0 {
			t.Errorf("%s: sample %+v problems %+v", name, p.Sample, p.Problems)
		}
	}
	// The real import, from Windows-1252 ("Número" written by Excel).
	latin1 := "Pedido;N\xfamero de seguimiento;Cantidad;SKU\r\n#1001;RB123456785ES;2;MUG-01\r\n"
	report, err := e.svc.ImportCSV(ctx, e.shop, app.SourceCSV, strings.NewReader(latin1))
	if err != nil {
		t.Fatal(err)
	}
	if report.Accepted != 1 || report.Encoding != "windows-1252" || report.Columns[1].Header != "Número de seguimiento" || report.Columns[1].Field != "tracking_number" {
		t.Fatalf("report: %+v", report)
	}
	sh, err := e.db.ShipmentByID(ctx, report.Rows[0].ShipmentID)
	if err != nil {
		t.Fatal(err)
	}
	if sh.OrderID != 501 || len(sh.LineItems) != 1 || sh.LineItems[0].Quantity != 2 {
		t.Fatalf("shipment: %+v", sh)
	}
}

// A column that looks like tracking numbers but is not recognised is
// reported, never silently dropped; without any tracking column the import
// is refused naming it.
func TestUnrecognisedTrackingColumnIsReported(t *testing.T) {
	e := newEnv(t, store.SQLite)
	ctx := context.Background()
	file := "Pedido,Número de seguimiento,Guía DHL,Cantidad\n#1002,YT2300012345678901,JD014600003828590129,\n"
	p, err := shipping.PreviewCSV(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Problems) != 1 || p.Problems[0].Code != "tracking_column_not_recognised" || p.Problems[0].Header != "Guía DHL" {
		t.Fatalf("problems: %+v", p.Problems)
	}
	report, err := e.svc.ImportCSV(ctx, e.shop, app.SourceCSV, strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if report.Accepted != 1 || len(report.Problems) != 1 || report.Problems[0].Header != "Guía DHL" || report.Ignored[0] != "Guía DHL" {
		t.Fatalf("report: %+v", report)
	}

	// No tracking column recognised: the dry run says which column looks
	// like one, and the import refuses, naming it.
	file = "Order,Tracking Nº (proveedor)\n#1002,YT2300012345678901\n"
	p, err = shipping.PreviewCSV(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	var missing *shipping.CSVProblem
	for i := range p.Problems {
		if p.Problems[i].Code == "missing_column" {
			missing = &p.Problems[i]
		}
	}
	if missing == nil || missing.Field != "tracking_number" || missing.Header != "Tracking Nº (proveedor)" || p.Rows != 1 || p.Shipments != 0 {
		t.Fatalf("preview: %+v", p)
	}
	_, err = e.svc.ImportCSV(ctx, e.shop, app.SourceCSV, strings.NewReader(file))
	if app.ErrorCodeOf(err) != app.ErrInvalid || !strings.Contains(err.Error(), `no "tracking_number" column`) || !strings.Contains(err.Error(), `"Tracking Nº (proveedor)" looks like it`) {
		t.Fatalf("import: %v", err)
	}

	// Two columns for one field: the first is read, the second reported.
	p, err = shipping.PreviewCSV(strings.NewReader("order,pedido,tracking_number\n#1001,#1002,RB123456785ES\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Format != shipping.FormatWaybill || p.Sample[0].Order != "#1001" || len(p.Problems) != 1 || p.Problems[0].Code != "duplicate_column" || p.Problems[0].Header != "pedido" {
		t.Fatalf("duplicate: %+v", p)
	}
	// Waybill's own names are the waybill format.
	p, err = shipping.PreviewCSV(strings.NewReader("order,tracking_number,carrier,tracking_url,sku,quantity\n#1001,RB123456785ES,,,MUG-01,2\n"))
	if err != nil || p.Format != shipping.FormatWaybill {
		t.Fatalf("waybill: %+v %v", p, err)
	}
}

// A dry run reports rows intake would refuse, and stores nothing.
func TestPreviewNamesRejectedRowsAndStoresNothing(t *testing.T) {
	e := newEnv(t, store.SQLite)
	ctx := context.Background()
	p, err := shipping.PreviewCSV(strings.NewReader("pedido;seguimiento;sku;cantidad\n#1001;RB123456785ES;MUG-01;dos\n#1001;;MUG-01;1\n#1002;YT2300012345678901;;\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Rows != 3 || p.Rejected != 2 || p.Shipments != 1 || len(p.Problems) != 2 ||
		p.Problems[0].Line != 2 || !strings.Contains(p.Problems[0].Message, `quantity "dos"`) ||
		p.Problems[1].Line != 3 || p.Problems[1].Message != "tracking_number is required" {
		t.Fatalf("preview: %+v", p)
	}
	if len(p.Sample) != 1 || len(p.Sample[0].LineItems) != 0 {
		t.Fatalf("a parcel without lines is the whole order: %+v", p.Sample)
	}
	page, err := e.db.ListShipments(ctx, e.shop.ID, app.ShipmentFilter{})
	if err != nil || len(page.Shipments) != 0 {
		t.Fatalf("shipments after a preview: %+v %v", page, err)
	}
}
