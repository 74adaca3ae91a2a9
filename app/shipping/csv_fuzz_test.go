package shipping

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/waybill-app/waybill/app"
)

// rowCodes are the codes a CSV row can be rejected with before anything is
// matched against the store: intake's rules (Submission.validate) and the
// reader's own.
var rowCodes = map[string]bool{
	app.MsgOrderRequired: true, app.MsgOrderInvalid: true, app.MsgNumberRequired: true, app.MsgNumberInvalid: true,
	app.MsgTextInvalidUTF8: true, app.MsgTextControl: true, app.MsgTextTooLong: true, app.MsgURLInvalid: true,
	app.MsgLineNeedsItem: true, app.MsgLineQuantity: true, app.MsgLineQuantityLarge: true,
	app.MsgOrderIDInvalid: true, app.MsgQuantityInvalid: true, app.MsgQuantityWithoutSKU: true, app.MsgRowUnreadable: true,
}

// FuzzCSV reads arbitrary files as an import would (parseCSV, the reading
// both ImportCSV and PreviewCSV do) and checks what a merchant relies on:
// it never panics; a refused file is refused with a code; every row read is
// either refused with a code naming its line or lands in exactly one parcel;
// every parcel passes intake's rules; a file without quotes has exactly one
// row per non-blank line after the header; the preview says the same.
func FuzzCSV(f *testing.F) {
	for _, name := range []string{"shopify_orders_export.csv", "dsers_csv_orders.csv", "zendrop_orders_export.csv"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		_, b, _ = bytes.Cut(b, []byte("\n")) // the "# source:" line
		f.Add(b)
	}
	for _, s := range []string{
		"order,tracking_number,carrier,tracking_url,sku,quantity\n#1001,1Z999AA10123456784,UPS,https://ups.com/t,MUG-01,2\n",
		"\xEF\xBB\xBFNúmero de pedido;Número de seguimiento;Transportista\r\n#1001;RB123456785ES;Correos\r\n#1002;LX123456785CN;\r\n",
		"Pedido;Guía;Paquetería;Referencia;Cantidad\n1001;794600000000;FedEx;TEE-M;3\n1001;794600000000;FedEx;TEE-L;1\n",
		"Order Number,Tracking Number,Carrier,Tracking URL\n#1001,\"1Z 999 AA1 0123456784\",UPS,javascript:alert(1)\n#1002,\"unterminated,UPS,\n#1003,YT2300012345678901,,\n",
		"order_id,tracking_number,sku,quantity\n5550001010,RR123456785ES,,2\n-1,RR123456785ES,A,1\nabc,RR123456785ES,A,x\n",
		"order,tracking_number\n\n,,\n  \n#1001,ab\n#1001,\"multi\nline\"\n#1002,bare\"quote\n",
		"order,tracking\n#1001,RB123456785ES\n#1001,RB123456785ES\n#1001,rb 123 456 785 es\n",
		"Order,Seguimiento de envío,AWB\n1001,x,y\n",
		"\xFF\xFEo\x00r\x00d\x00e\x00r\x00,\x00t\x00r\x00a\x00c\x00k\x00i\x00n\x00g\x00\n\x00#\x001\x00,\x00R\x00B\x001\x002\x003\x004\x005\x006\x007\x008\x005\x00E\x00S\x00\n\x00",
		"Pedido,N\xfamero de seguimiento\n#1001,RB123456785ES\n", // Windows-1252
		"PK\x03\x04",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, file []byte) {
		p, err := parseCSV(bytes.NewReader(file))
		if err != nil {
			if c := app.ErrorCodeOf(err); c != app.ErrInvalid && c != app.ErrTooLarge {
				t.Fatalf("a refused file has code %q (%v)", c, err)
			}
			if _, perr := PreviewCSV(bytes.NewReader(file)); app.ErrorCodeOf(perr) != app.ErrorCodeOf(err) {
				t.Fatalf("the preview refuses the file with %v, the import with %v", perr, err)
			}
			return
		}
		inGroup := make([]int, len(p.rows))
		for gi, g := range p.groups {
			if len(g.rows) == 0 || len(g.rows) != len(g.lines) {
				t.Fatalf("parcel %d has rows %v and lines %v", gi, g.rows, g.lines)
			}
			for k, ri := range g.rows {
				inGroup[ri]++
				if p.rows[ri].Line != g.lines[k] {
					t.Fatalf("parcel %d says line %d for a row of line %d", gi, g.lines[k], p.rows[ri].Line)
				}
			}
			if len(p.header.missing) > 0 {
				t.Fatalf("a file without the %v column made parcels", p.header.missing)
			}
			if msg := g.sub.validate(); msg.Code != "" {
				t.Fatalf("parcel %d breaks intake's rules: %s", gi, msg.Text)
			}
			checkSubmission(t, g.sub)
		}
		last := 1
		rejected := 0
		for i, r := range p.rows {
			// Every row has its own line after the header's, in order (a
			// refused read names the line the row started on).
			if r.Line <= last {
				t.Fatalf("row %d is on line %d, after line %d", i, r.Line, last)
			}
			last = r.Line
			switch {
			case r.Status == Rejected:
				rejected++
				if !rowCodes[r.ErrorCode] || r.Error == "" {
					t.Fatalf("line %d is refused with code %q: %s", r.Line, r.ErrorCode, r.Error)
				}
				if inGroup[i] != 0 {
					t.Fatalf("refused line %d is in a parcel", r.Line)
				}
			case r.Status != "":
				t.Fatalf("line %d has status %q before submitting", r.Line, r.Status)
			case len(p.header.missing) > 0:
				if inGroup[i] != 0 {
					t.Fatalf("line %d is in a parcel", r.Line)
				}
			case inGroup[i] != 1:
				t.Fatalf("line %d is in %d parcels", r.Line, inGroup[i])
			}
		}
		if text, _, err := decodeCSV(file); err == nil {
			// A row starts on a line of its own, below the header. Only empty
			// lines are skipped: to the CSV reader a line of spaces is a
			// record (a header, even).
			lines := 0
			for _, l := range strings.Split(text, "\n") {
				if strings.TrimRight(l, "\r") != "" {
					lines++
				}
			}
			if len(p.rows) > max(lines-1, 0) {
				t.Fatalf("%d rows from %d non-blank lines", len(p.rows), lines)
			}
		}
		if want, ok := quoteFreeRowLines(file, p); ok {
			var got []int
			for _, r := range p.rows {
				got = append(got, r.Line)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("rows on lines %v, want one per non-blank line: %v", got, want)
			}
		}

		pv, err := PreviewCSV(bytes.NewReader(file))
		if err != nil {
			t.Fatalf("the import reads the file, the preview refuses it: %v", err)
		}
		if pv.Rows != len(p.rows) || pv.Rejected != rejected || pv.Shipments != len(p.groups) || len(pv.Sample) != min(len(p.groups), previewSampleSize) {
			t.Fatalf("the preview says %d rows, %d rejected, %d parcels, %d shown; the file has %d, %d, %d",
				pv.Rows, pv.Rejected, pv.Shipments, len(pv.Sample), len(p.rows), rejected, len(p.groups))
		}
		for _, pr := range pv.Problems {
			if pr.Code == "" {
				t.Fatalf("a problem without a code: %+v", pr)
			}
		}
	})
}

// checkSubmission checks a submission against app/validate.go directly (not
// through validate, which is what is under test).
func checkSubmission(t *testing.T, s Submission) {
	t.Helper()
	if s.OrderName == "" && s.OrderID <= 0 {
		t.Fatalf("accepted without an order: %+v", s)
	}
	if p := app.TextProblem("order", s.OrderName, app.MaxOrderLength) + app.TextProblem("carrier", s.Carrier, app.MaxCarrierLength); p != "" {
		t.Fatalf("accepted %+v: %s", s, p)
	}
	if s.TrackingURL != "" && !app.ValidTrackingURL(s.TrackingURL) {
		t.Fatalf("accepted tracking URL %q", s.TrackingURL)
	}
	// As stored: upper case, without the spaces and line breaks a cell or a
	// paste may hold (Normalize).
	n := strings.Map(func(r rune) rune {
		if strings.ContainsRune(" \t\n\f\r", r) {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s.TrackingNumber)))
	if len(n) < 4 || len(n) > 60 || strings.Trim(n, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" || n[0] == '-' {
		t.Fatalf("accepted tracking number %q", s.TrackingNumber)
	}
	for _, l := range s.Lines {
		if l.Quantity <= 0 || l.Quantity > 100000 || (l.SKU == "" && l.LineItemID == 0) || app.TextProblem("sku", l.SKU, app.MaxSKULength) != "" {
			t.Fatalf("accepted line %+v", l)
		}
	}
}

// quoteFreeRowLines is, for a file without a quote, the lines a row must be
// read from: every line after the header with a non-blank cell. ok is false
// when the file has quotes (then rows can span lines) or is not UTF-8 text.
func quoteFreeRowLines(file []byte, p *parsedCSV) ([]int, bool) {
	text, _, err := decodeCSV(file)
	if err != nil || strings.Contains(text, `"`) {
		return nil, false
	}
	comma := ","
	first, _, _ := strings.Cut(text[:min(len(text), 4096)], "\n")
	if strings.Count(first, ";") > strings.Count(first, ",") {
		comma = ";"
	}
	var want []int
	header := false
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimSuffix(l, "\r")
		if !header {
			header = l != ""
			continue
		}
		cells := strings.Split(l, comma)
		if l == "" || (len(cells) == 1 && strings.TrimSpace(l) == "") || strings.Join(cells, "") == "" {
			continue
		}
		want = append(want, i+1)
	}
	return want, true
}
