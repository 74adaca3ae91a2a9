package shipping_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
)

func (e *env) shipments(t *testing.T) []app.Shipment {
	t.Helper()
	page, err := e.db.ListShipments(context.Background(), e.shop.ID, app.ShipmentFilter{PerPage: 200})
	if err != nil {
		t.Fatal(err)
	}
	return page.Shipments
}

func (e *env) submitOne(t *testing.T, sub shipping.Submission) string {
	t.Helper()
	res, err := e.svc.Submit(context.Background(), e.shop, app.SourceManual, []shipping.Submission{sub})
	if err != nil || res[0].Status != shipping.Accepted {
		t.Fatalf("submit %+v: %+v %v", sub, res, err)
	}
	return res[0].ShipmentID
}

// An edit meets intake's rules for the values it writes: the length check
// used to read the shipment's old carrier, so a 1 MB carrier was stored and
// every later edit of the shipment failed.
func TestEditsMeetIntakeRules(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		e := newEnv(t, engine)
		ctx := context.Background()
		id := e.submitOne(t, shipping.Submission{OrderName: "#1001", TrackingNumber: "RB123456785ES"})
		for _, bad := range []struct{ number, carrier, url, says string }{
			{"", strings.Repeat("C", 1<<20), "", "carrier is longer than 100 characters"},
			{"", "UPS\r\nBcc: x", "", "carrier must be one line"},
			{"", "UPS\x00", "", "carrier must be one line"},
			{"", "", "javascript:alert(document.domain)", "tracking_url must be an http(s) URL"},
			{"", "", "data:text/html,<script>alert(1)</script>", "tracking_url must be an http(s) URL"},
			{"", "", "https://carrier.example/" + strings.Repeat("a", 2000), "at most 2000 characters"},
			{"??", "", "", "is not a tracking number"},
			{strings.Repeat("9", 61), "", "", "is not a tracking number"},
		} {
			_, err := e.svc.Edit(ctx, e.shop, id, bad.number, bad.carrier, bad.url)
			if app.ErrorCodeOf(err) != app.ErrInvalid || !strings.Contains(app.ErrorMessageOf(err), bad.says) {
				t.Errorf("edit (%.20q, %.20q, %.40q): %v, want %q", bad.number, bad.carrier, bad.url, err, bad.says)
			}
		}
		s, err := e.db.ShipmentByID(ctx, id)
		if err != nil || s.TrackingNumber != "RB123456785ES" || s.Carrier != "Correos" || !strings.HasPrefix(s.TrackingURL, "https://") {
			t.Fatalf("a refused edit changed the shipment: %+v %v", s, err)
		}
		// Good edits still work, and so does fixing a value stored before
		// the rules: the kept value is not judged again, an unsafe link is
		// dropped.
		if _, err := e.svc.Edit(ctx, e.shop, id, "", "UPS", "https://carrier.example/RB123456785ES"); err != nil {
			t.Fatal(err)
		}
		if err := e.db.Gorm().Exec("UPDATE shipments SET carrier = ?, tracking_url = ? WHERE id = ?", strings.Repeat("C", 5000),
			"javascript:alert(1)", id).Error; err != nil {
			t.Fatal(err)
		}
		edited, err := e.svc.Edit(ctx, e.shop, id, "", "Correos", "")
		if err != nil || edited.Carrier != "Correos" || !strings.HasPrefix(edited.TrackingURL, "https://") {
			t.Fatalf("fixing an old carrier: %+v %v", edited, err)
		}
	})
}

// A fulfillment made outside Waybill keeps every parcel, but only http(s)
// links: the webhook path used to store "javascript:…", which the admin
// rendered as a link.
func TestFulfillmentWebhooksKeepOnlyHTTPLinks(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		e := newEnv(t, engine)
		f := app.ShopifyFulfillment{ID: 9001, OrderID: 501, Status: app.FulfillmentSuccess, Carrier: "UPS",
			TrackingNumbers: []string{"1Z5R89390357567127", "RB123456785ES", "LX123456785CN", "BAD\x00NUMBER", "UG123456789YW"},
			TrackingURLs: []string{"javascript:alert(document.domain)", "https://www.correos.es/x", "data:text/html,<script>alert(1)</script>",
				"https://x.example", " JavaScript:alert(1)"}}
		if err := e.svc.RecordFulfillment(context.Background(), e.shop, f); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, s := range e.shipments(t) {
			got[s.TrackingNumber] = s.TrackingURL
		}
		want := map[string]string{"1Z5R89390357567127": "", "RB123456785ES": "https://www.correos.es/x", "LX123456785CN": "", "UG123456789YW": ""}
		if len(got) != len(want) {
			t.Fatalf("parcels = %v, want %v", got, want)
		}
		for n, u := range want {
			if link, ok := got[n]; !ok || link != u {
				t.Errorf("parcel %s: link %q (recorded %v), want %q", n, link, ok, u)
			}
		}
		// A carrier intake would refuse is dropped too; the parcel stays.
		f2 := app.ShopifyFulfillment{ID: 9002, OrderID: 502, Status: app.FulfillmentSuccess, Carrier: strings.Repeat("C", 1<<20),
			TrackingNumbers: []string{"YT2300012345678901"}, TrackingURLs: []string{"https://t.example/YT2300012345678901"}}
		if err := e.svc.RecordFulfillment(context.Background(), e.shop, f2); err != nil {
			t.Fatal(err)
		}
		for _, s := range e.shipments(t) {
			if s.TrackingNumber == "YT2300012345678901" && (s.Carrier != "" || s.TrackingURL != "https://t.example/YT2300012345678901") {
				t.Fatalf("long carrier: %+v", s)
			}
		}
	})
}

// Files are read in the encoding they are in: a BOM says UTF-8 or UTF-16,
// then valid UTF-8 is UTF-8, and anything else is Windows-1252 (Excel in
// Spanish), converted — never stored as invalid UTF-8.
func TestImportCSVReadsTheFilesEncoding(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		e := newEnv(t, engine)
		ctx := context.Background()
		text := "pedido;tracking_number;transportista\r\n#1001;RB123456785ES;Mensajería Rápida\r\n#Peña-7;LX123456785CN;Correos\r\n"
		latin1, err := charmap.ISO8859_1.NewEncoder().String(text)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(latin1, "í") || !strings.Contains(latin1, "Mensajer\xeda R\xe1pida") {
			t.Fatal("the test file is not Latin-1")
		}
		report, err := e.svc.ImportCSV(ctx, e.shop, app.SourceCSV, strings.NewReader(latin1))
		if err != nil || report.Accepted != 2 || report.Encoding != "windows-1252" {
			t.Fatalf("Latin-1: %+v %v", report, err)
		}
		utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(
			"order,tracking_number,carrier\r\n#1002,YT2300012345678901,Mensajería Rápida\r\n")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(utf16, "\xff\xfe") {
			t.Fatal("the test file has no UTF-16LE byte order mark")
		}
		report, err = e.svc.ImportCSV(ctx, e.shop, app.SourceCSV, strings.NewReader(utf16))
		if err != nil || report.Accepted != 1 || report.Encoding != "utf-16le" {
			t.Fatalf("UTF-16LE: %+v %v", report, err)
		}
		byNumber := map[string]app.Shipment{}
		for _, s := range e.shipments(t) {
			byNumber[s.TrackingNumber] = s
		}
		if byNumber["RB123456785ES"].Carrier != "Mensajería Rápida" || byNumber["LX123456785CN"].OrderRef != "#Peña-7" ||
			byNumber["YT2300012345678901"].Carrier != "Mensajería Rápida" {
			t.Fatalf("stored: %+v", byNumber)
		}

		// Files that are none of these are refused, saying what they look like.
		for name, c := range map[string]struct{ file, says string }{
			"xlsx":            {"PK\x03\x04\x14\x00\x06\x00", "spreadsheet workbook (.xlsx)"},
			"UTF-16, no BOM":  {"o\x00r\x00d\x00e\x00r\x00", "NUL bytes"},
			"odd UTF-16":      {"\xff\xfeo\x00r\x00d", "ends in the middle of a character"},
			"not 1252":        {"order;tracking_number\n#1001;RB123456785ES\n#1002;\x81\x8d\n", "neither UTF-8 nor Windows-1252 (byte 0x81 on line 3)"},
			"broken UTF-8BOM": {"\xef\xbb\xbforder;tracking_number\n#1001;RB\xff\n", "line 2 is not UTF-8"},
		} {
			_, err := e.svc.ImportCSV(ctx, e.shop, app.SourceCSV, strings.NewReader(c.file))
			if app.ErrorCodeOf(err) != app.ErrInvalid || !strings.Contains(app.ErrorMessageOf(err), c.says) ||
				!strings.Contains(app.ErrorMessageOf(err), "CSV UTF-8") {
				t.Errorf("%s: %v, want %q", name, err, c.says)
			}
		}
	})
}

// A quote that opens and never closes swallowed every row after it into one
// field; the report now names the line it opened on, and the rows after it
// are read on their own and land.
func TestImportCSVUnclosedQuoteLosesNoRows(t *testing.T) {
	e := newEnv(t, store.SQLite)
	file := "order;tracking_number;carrier\n" +
		"#1001;RB123456785ES;Correos\n" + // 2
		"#1001;\"LX123456785CN;China Post\n" + // 3: the quote never closes
		"#1002;YT2300012345678901;\n" + // 4
		"\n" + // 5: blank
		"#1002;UG123456789YW;\"Yanwen\"\n" + // 6: a well-quoted field
		"#1002;\"1Z5R89390357567127;UPS\n" + // 7: another unclosed quote
		"#1001;1234567890123;Correos Express\n" // 8
	report, err := e.svc.ImportCSV(context.Background(), e.shop, app.SourceCSV, strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]shipping.CSVRow{}
	for _, r := range report.Rows {
		got[r.Line] = r
	}
	want := map[int]string{2: shipping.Accepted, 3: shipping.Rejected, 4: shipping.Accepted, 6: shipping.Accepted, 7: shipping.Rejected, 8: shipping.Accepted}
	for line, status := range want {
		if got[line].Status != status {
			t.Errorf("line %d: %+v, want %s", line, got[line], status)
		}
	}
	if len(report.Rows) != len(want) {
		t.Errorf("rows: %+v", report.Rows)
	}
	if msg := got[3].Error; !strings.Contains(msg, `a quote (") opened on line 3 is never closed`) || !strings.Contains(msg, "lines 4 to 6") {
		t.Errorf("line 3's error: %q", msg)
	}
	if msg := got[7].Error; !strings.Contains(msg, `a quote (") opened on this line is never closed`) {
		t.Errorf("line 7's error: %q", msg)
	}
	if len(e.shipments(t)) != 4 {
		t.Fatalf("stored %d shipments, want 4", len(e.shipments(t)))
	}
}

// A file that cannot be read whole imports nothing: over the size cap, or
// cut off by a failing upload — never the rows before the failure.
func TestImportCSVAllOrNothingOnReadFailures(t *testing.T) {
	e := newEnv(t, store.SQLite)
	ctx := context.Background()
	head := "order,tracking_number\n#1001,RB123456785ES\n"
	filler := strings.Repeat("#1002,YT2300012345678901\n", shipping.MaxCSVBytes/25)
	tail := "#1002,UG123456789YW\n"
	_, err := e.svc.ImportCSV(ctx, e.shop, app.SourceCSV, io.MultiReader(strings.NewReader(head), strings.NewReader(filler), strings.NewReader(tail)))
	if app.ErrorCodeOf(err) != app.ErrTooLarge || !strings.Contains(app.ErrorMessageOf(err), "nothing was imported") {
		t.Fatalf("over %d bytes: %v", shipping.MaxCSVBytes, err)
	}
	broken := errors.New("connection reset")
	_, err = e.svc.ImportCSV(ctx, e.shop, app.SourceCSV, io.MultiReader(strings.NewReader(head), failingReader{broken}))
	if app.ErrorCodeOf(err) != app.ErrInvalid || !errors.Is(err, broken) || !strings.Contains(app.ErrorMessageOf(err), "nothing was imported") {
		t.Fatalf("a broken upload: %v", err)
	}
	if n := len(e.shipments(t)); n != 0 {
		t.Fatalf("%d shipments stored from files that could not be read", n)
	}
	// Exactly at the cap is fine (the header and rows fill it).
	exact := bytes.Repeat([]byte(" "), shipping.MaxCSVBytes-len(head))
	report, err := e.svc.ImportCSV(ctx, e.shop, app.SourceCSV, io.MultiReader(strings.NewReader(head), bytes.NewReader(exact)))
	if err != nil || report.Accepted != 1 {
		t.Fatalf("a file of exactly %d bytes: %+v %v", shipping.MaxCSVBytes, report, err)
	}
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }
