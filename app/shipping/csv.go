package shipping

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/waybill-app/waybill/app"
)

// CSVRow is one line of an import report.
type CSVRow struct {
	Line       int    `json:"line"` // 1 is the header
	Order      string `json:"order"`
	Tracking   string `json:"tracking_number"`
	Status     string `json:"status"`
	ShipmentID string `json:"shipment_id,omitempty"`
	Error      string `json:"error,omitempty"`
	Warning    string `json:"warning,omitempty"`
}

// CSVReport is the outcome of an import.
type CSVReport struct {
	Rows      []CSVRow `json:"rows"`
	Accepted  int      `json:"accepted"`
	Duplicate int      `json:"duplicate"`
	Rejected  int      `json:"rejected"`
	// Ignored names header columns Waybill does not read.
	Ignored []string `json:"ignored_columns,omitempty"`
}

// csvColumns are the columns an import reads, with the names people use.
var csvColumns = map[string]string{
	"order": "order", "order_name": "order", "order_number": "order", "pedido": "order",
	"tracking_number": "tracking_number", "tracking": "tracking_number", "tracking_no": "tracking_number", "numero_seguimiento": "tracking_number",
	"carrier": "carrier", "tracking_company": "carrier", "transportista": "carrier",
	"tracking_url": "tracking_url", "url": "tracking_url",
	"sku":      "sku",
	"quantity": "quantity", "qty": "quantity", "cantidad": "quantity",
}

// ImportCSV reads a CSV (header row; UTF-8 with or without BOM; comma or
// semicolon) and submits it. Rows with the same order and tracking number
// are one parcel: their SKUs become the lines of one shipment. A bad row is
// reported and skipped; it never stops the good ones.
func (svc *Service) ImportCSV(ctx context.Context, shop *app.Shop, source app.ShipmentSource, r io.Reader) (*CSVReport, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	// A short file has no BOM: Peek's error is the read below's to report.
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		if _, err := br.Discard(3); err != nil {
			return nil, app.WrapError(app.ErrInvalid, err, "the file cannot be read")
		}
	}
	header, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, app.WrapError(app.ErrInvalid, err, "the file cannot be read")
	}
	first, _, _ := bytes.Cut(header, []byte("\n"))
	cr := csv.NewReader(br)
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	names, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, app.Errorf(app.ErrInvalid, "the file is empty: it needs a header row (order, tracking_number, carrier, tracking_url, sku, quantity)")
	}
	if err != nil {
		return nil, app.Errorf(app.ErrInvalid, "the header row cannot be read: %v", err)
	}
	report := &CSVReport{}
	col := map[string]int{}
	for i, n := range names {
		key := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(n), " ", "_"))
		if c, ok := csvColumns[key]; ok {
			if _, dup := col[c]; !dup {
				col[c] = i
				continue
			}
		}
		if strings.TrimSpace(n) != "" {
			report.Ignored = append(report.Ignored, strings.TrimSpace(n))
		}
	}
	for _, required := range []string{"order", "tracking_number"} {
		if _, ok := col[required]; !ok {
			return nil, app.Errorf(app.ErrInvalid, "the header has no %q column (columns: order, tracking_number, carrier, tracking_url, sku, quantity)", required)
		}
	}
	field := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}

	type group struct {
		sub  Submission
		rows []int // indexes into report.Rows
	}
	var groups []*group
	byKey := map[string]*group{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			report.Rows = append(report.Rows, CSVRow{Line: line, Status: Rejected, Error: "the row cannot be read: " + errorText(err)})
			if !errors.As(err, &pe) {
				break // not a row problem: the stream itself failed
			}
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		row := CSVRow{Line: line, Order: field(rec, "order"), Tracking: field(rec, "tracking_number")}
		sub := Submission{OrderName: row.Order, TrackingNumber: row.Tracking, Carrier: field(rec, "carrier"), TrackingURL: field(rec, "tracking_url")}
		if sku := field(rec, "sku"); sku != "" {
			qty := 1
			if q := field(rec, "quantity"); q != "" {
				n, err := strconv.Atoi(q)
				if err != nil || n <= 0 {
					row.Status, row.Error = Rejected, fmt.Sprintf("quantity %q must be a whole number above 0", q)
					report.Rows = append(report.Rows, row)
					continue
				}
				qty = n
			}
			sub.Lines = []Line{{SKU: sku, Quantity: qty}}
		} else if field(rec, "quantity") != "" {
			row.Status, row.Error = Rejected, "quantity is given without a sku"
			report.Rows = append(report.Rows, row)
			continue
		}
		if msg := sub.validate(); msg != "" {
			row.Status, row.Error = Rejected, msg
			report.Rows = append(report.Rows, row)
			continue
		}
		report.Rows = append(report.Rows, row)
		key := strings.TrimPrefix(strings.ToUpper(sub.OrderName), "#") + "\x00" + strings.ToUpper(strings.ReplaceAll(sub.TrackingNumber, " ", ""))
		g := byKey[key]
		if g == nil {
			g = &group{sub: sub}
			byKey[key] = g
			groups = append(groups, g)
		} else {
			g.sub.Lines = append(g.sub.Lines, sub.Lines...)
			if g.sub.Carrier == "" {
				g.sub.Carrier = sub.Carrier
			}
			if g.sub.TrackingURL == "" {
				g.sub.TrackingURL = sub.TrackingURL
			}
		}
		g.rows = append(g.rows, len(report.Rows)-1)
	}
	if len(report.Rows) == 0 {
		return nil, app.Errorf(app.ErrInvalid, "the file has a header but no rows")
	}

	subs := make([]Submission, len(groups))
	for i, g := range groups {
		// A parcel with a sku on some rows and none on others means "these
		// items": the sku-less rows add nothing.
		subs[i] = g.sub
	}
	results, err := svc.Submit(ctx, shop, source, subs)
	if err != nil {
		return nil, err
	}
	for i, g := range groups {
		for _, ri := range g.rows {
			r := &report.Rows[ri]
			r.Status, r.ShipmentID, r.Error, r.Warning = results[i].Status, results[i].ShipmentID, results[i].Error, results[i].Warning
		}
	}
	for _, r := range report.Rows {
		switch r.Status {
		case Accepted:
			report.Accepted++
		case Duplicate:
			report.Duplicate++
		default:
			report.Rejected++
		}
	}
	return report, nil
}

func errorText(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
