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
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	textunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/unicode/norm"

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
	// ErrorCode/ErrorParams and WarningCode/WarningParams say Error and
	// Warning as message codes (app/message.go, like Result's).
	ErrorCode     string            `json:"error_code,omitempty"`
	ErrorParams   map[string]string `json:"error_params,omitempty"`
	WarningCode   string            `json:"warning_code,omitempty"`
	WarningParams map[string]string `json:"warning_params,omitempty"`
}

// CSVReport is the outcome of an import.
type CSVReport struct {
	Rows      []CSVRow `json:"rows"`
	Accepted  int      `json:"accepted"`
	Duplicate int      `json:"duplicate"`
	Rejected  int      `json:"rejected"`
	// Ignored names header columns Waybill does not read.
	Ignored []string `json:"ignored_columns,omitempty"`
	// Encoding is what the file was read as: utf-8, utf-16le, utf-16be or
	// windows-1252 (converted to UTF-8).
	Encoding string `json:"encoding"`
	// Format is the kind of file recognised (see CSVFormats), Columns how
	// each header column was understood, Problems what the merchant should
	// know about the columns (a tracking-like column not read, a repeat).
	Format   string       `json:"format"`
	Columns  []CSVColumn  `json:"columns"`
	Problems []CSVProblem `json:"problems,omitempty"`
}

// CSVColumn says how one header column was understood.
type CSVColumn struct {
	Header string `json:"header"`
	// Field is what Waybill reads from the column: order, order_id,
	// tracking_number, carrier, tracking_url, sku or quantity; "" when the
	// column is not read.
	Field string `json:"field"`
}

// CSVProblem is something about a file the merchant should know, as a code
// with its parameters: the admin says it in the merchant's language.
//
//   - missing_column: Field names a required column the header lacks
//     (order, tracking_number); Header, when set, is a column that looks
//     like it but was not recognised.
//   - tracking_column_not_recognised: Header looks like a tracking column
//     (tracking, seguimiento, guía, rastreo, AWB…) but Waybill does not read
//     it; rename it tracking_number if it holds the numbers.
//   - duplicate_column: Header would be Field again, which an earlier column
//     already is; only the first is read.
//   - row_rejected: the row on Line breaks intake's rules; Message is the
//     rule, in English like every row error of the report.
type CSVProblem struct {
	Code    string `json:"code"`
	Header  string `json:"header,omitempty"`
	Field   string `json:"field,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message,omitempty"`
	// MessageCode/MessageParams: Message as a message code (app/message.go).
	MessageCode   string            `json:"message_code,omitempty"`
	MessageParams map[string]string `json:"message_params,omitempty"`
}

// CSVPreview is a dry run of an import: how the file was understood and
// what would be submitted. Nothing is stored or queued.
type CSVPreview struct {
	DryRun   bool        `json:"dry_run"`
	Format   string      `json:"format"`
	Encoding string      `json:"encoding"`
	Columns  []CSVColumn `json:"columns"`
	// Rows counts the data rows (blank lines aside); Shipments the parcels
	// they make once the rows of one order and number are put together;
	// Rejected the rows already refused by intake's rules (matching against
	// the store's orders happens only on import).
	Rows      int           `json:"rows"`
	Shipments int           `json:"shipments"`
	Rejected  int           `json:"rejected"`
	Sample    []CSVShipment `json:"sample"`
	Problems  []CSVProblem  `json:"problems"`
}

// CSVShipment is one parcel as an import would submit it.
type CSVShipment struct {
	Lines          []int  `json:"lines"` // the file's lines it is made of
	Order          string `json:"order,omitempty"`
	OrderID        int64  `json:"order_id,omitempty"`
	TrackingNumber string `json:"tracking_number"`
	Carrier        string `json:"carrier,omitempty"` // empty: detected from the number
	TrackingURL    string `json:"tracking_url,omitempty"`
	// LineItems are the SKUs and quantities shipped; empty means everything
	// still unfulfilled in the order.
	LineItems []CSVLineItem `json:"line_items"`
}

// CSVLineItem is one line of a previewed parcel.
type CSVLineItem struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
}

// previewSampleSize is how many parcels a dry run shows, and
// previewRowProblems how many rejected rows it names.
const (
	previewSampleSize  = 5
	previewRowProblems = 20
)

// The formats an import recognises, by name (CSVReport.Format).
const (
	FormatWaybill = "waybill"               // Waybill's own column names
	FormatShopify = "shopify_orders_export" // Shopify admin → Orders → Export, with a tracking column added
	FormatZendrop = "zendrop_orders_export" // Zendrop's order export
	FormatDSers   = "dsers_csv_orders"      // DSers' CSV order file, with a tracking column added
	FormatGeneric = "generic"               // columns recognised by their names (Spanish, English), no known tool
)

// csvFormat is a source's file: the columns that identify it and what its
// own column names mean. An alias to "" means "not read" even where the
// common names would read it.
type csvFormat struct {
	name    string
	markers []string // normalised headers that, all present, identify it
	aliases map[string]string
	// fillDown: the source writes one row per line item and the order's
	// own fields on its first row only, so a row of the same order without
	// a tracking number ships in the parcel of the row above it.
	fillDown bool
}

// csvFormats are the sources whose files are recognised, most specific
// first. Only published formats are here; AutoDS and CJdropshipping publish
// no order or tracking export format (their help centres describe screens,
// not columns), so their files are read by the common names below and any
// tracking-like column Waybill cannot read is reported, never dropped.
var csvFormats = []csvFormat{
	{
		// Shopify's order export (help.shopify.com/manual/fulfillment/
		// managing-orders/exporting-orders, "Order export CSV structure"):
		// one row per line item, the order's Name on every row, order-level
		// fields on the first row only. It has no tracking column: the
		// merchant adds one — "Tracking Number", "Tracking Company",
		// "Tracking URL" (Shopify's names for a fulfillment's tracking) or
		// any common name — typically on the order's first row.
		name:     FormatShopify,
		markers:  []string{"name", "lineitemsku", "lineitemquantity"},
		aliases:  map[string]string{"name": "order", "lineitemsku": "sku", "lineitemquantity": "quantity", "id": ""},
		fillDown: true,
	},
	{
		// Zendrop's order export ("Zendrop Order Export Field Reference",
		// support.zendrop.com/en/articles/12824279): "Store order ID" is the
		// Shopify order's id; "Order number" and "Order id" are Zendrop's own
		// references, so they are not read. The names of its tracking
		// columns could not be confirmed from the reference: the common
		// names (Tracking number, Tracking URL, Carrier…) are read, and a
		// tracking-like column that is not is reported.
		name:    FormatZendrop,
		markers: []string{"storeorderid", "zendroppayment"},
		aliases: map[string]string{"storeorderid": "order_id", "ordernumber": "", "orderid": ""},
	},
	{
		// DSers' CSV order file ("Place orders with a CSV file",
		// help.dsers.com/place-csv-orders): Order number, Date, Country,
		// Product id, SKU, Product count, Contact person, Mobile no…
		// DSers does not publish a tracking export, so this is that file
		// with a tracking column added.
		name:    FormatDSers,
		markers: []string{"ordernumber", "productid", "productcount"},
		aliases: map[string]string{"productcount": "quantity", "productid": ""},
	},
}

// csvColumns are the common names of the columns an import reads, as
// normalised by headerKey (accents folded; case, spaces, underscores and
// punctuation ignored): Waybill's own, English and Spanish.
var csvColumns = map[string]string{
	// Waybill's own names first: a file using only these is FormatWaybill.
	"order": "order", "trackingnumber": "tracking_number", "carrier": "carrier", "trackingurl": "tracking_url", "sku": "sku", "quantity": "quantity",
	"orderid": "order_id", "shopifyorderid": "order_id", "storeorderid": "order_id",

	"ordername": "order", "ordernumber": "order", "orderno": "order", "ordernum": "order", "ordernr": "order",
	"pedido": "order", "numerodepedido": "order", "numeropedido": "order", "nodepedido": "order", "nopedido": "order",
	"pedidono": "order", "nombredelpedido": "order", "orden": "order", "numerodeorden": "order", "ordenno": "order",

	"tracking": "tracking_number", "trackingno": "tracking_number", "trackingnum": "tracking_number", "trackingcode": "tracking_number",
	"trackingid": "tracking_number", "numerodeseguimiento": "tracking_number", "numeroseguimiento": "tracking_number",
	"nodeseguimiento": "tracking_number", "seguimiento": "tracking_number", "codigodeseguimiento": "tracking_number",
	"codigoseguimiento": "tracking_number", "numerodetracking": "tracking_number", "numerodeguia": "tracking_number",
	"numeroguia": "tracking_number", "nodeguia": "tracking_number", "guia": "tracking_number", "guiadeenvio": "tracking_number",
	"numerorastreo": "tracking_number", "numeroderastreo": "tracking_number", "codigoderastreo": "tracking_number",

	"carriername": "carrier", "trackingcompany": "carrier", "shippingcarrier": "carrier", "courier": "carrier",
	"transportista": "carrier", "empresadetransporte": "carrier", "empresatransportista": "carrier", "paqueteria": "carrier",
	"mensajeria": "carrier", "operadorlogistico": "carrier", "logisticscompany": "carrier", "shippingprovider": "carrier",

	"url": "tracking_url", "trackinglink": "tracking_url", "urldeseguimiento": "tracking_url", "enlacedeseguimiento": "tracking_url",
	"linkdeseguimiento": "tracking_url", "urlderastreo": "tracking_url",

	"variantsku": "sku", "lineitemsku": "sku", "referencia": "sku", "codigodearticulo": "sku", "codigodeproducto": "sku",

	"qty": "quantity", "cantidad": "quantity", "unidades": "quantity", "uds": "quantity", "cant": "quantity",
	"lineitemquantity": "quantity", "quantityshipped": "quantity", "cantidadenviada": "quantity",
}

// waybillKeys are Waybill's own column names, normalised.
var waybillKeys = map[string]bool{"order": true, "trackingnumber": true, "carrier": true, "trackingurl": true, "sku": true, "quantity": true}

// trackingLike are the pieces of a header that suggest it holds tracking
// numbers: such a column is reported when it is not read.
var trackingLike = []string{"track", "seguimiento", "rastreo", "guia", "awb", "waybill"}

// headerKey normalises a header for the alias tables: compatibility forms
// and accents folded ("Número", "Nº"), lower case, and only letters and
// digits kept, so spaces, underscores and punctuation do not matter.
func headerKey(h string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(h) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// an accent, folded away
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// csvHeader is a header row understood: the formats' and common names
// applied, each field read from its first column.
type csvHeader struct {
	format   csvFormat
	columns  []CSVColumn
	col      map[string]int // field → column index
	ignored  []string
	problems []CSVProblem
	missing  []string // required fields with no column
}

// readHeader understands a header row.
func readHeader(names []string) *csvHeader {
	keys := make([]string, len(names))
	present := map[string]bool{}
	for i, n := range names {
		keys[i] = headerKey(n)
		present[keys[i]] = true
	}
	h := &csvHeader{format: csvFormat{name: FormatGeneric}, col: map[string]int{}}
	for _, f := range csvFormats {
		all := true
		for _, m := range f.markers {
			all = all && present[m]
		}
		if all {
			h.format = f
			break
		}
	}
	own := true // every recognised column has Waybill's own name
	var candidates []string
	for i, n := range names {
		header := truncate(strings.TrimSpace(n), 100)
		if header == "" {
			continue
		}
		field, ok := h.format.aliases[keys[i]]
		if !ok {
			field = csvColumns[keys[i]]
		}
		if field != "" {
			if _, dup := h.col[field]; dup {
				// The first column of a field is the one read.
				h.problems = append(h.problems, CSVProblem{Code: "duplicate_column", Header: header, Field: field})
				h.columns = append(h.columns, CSVColumn{Header: header})
				h.ignored = append(h.ignored, header)
				continue
			}
			h.col[field] = i
			own = own && waybillKeys[keys[i]]
			h.columns = append(h.columns, CSVColumn{Header: header, Field: field})
			continue
		}
		h.columns = append(h.columns, CSVColumn{Header: header})
		h.ignored = append(h.ignored, header)
		for _, piece := range trackingLike {
			if strings.Contains(keys[i], piece) {
				h.problems = append(h.problems, CSVProblem{Code: "tracking_column_not_recognised", Header: header})
				candidates = append(candidates, header)
				break
			}
		}
	}
	if h.format.name == FormatGeneric && own && len(h.col) > 0 {
		h.format.name = FormatWaybill
	}
	_, hasOrder := h.col["order"]
	_, hasOrderID := h.col["order_id"]
	if !hasOrder && !hasOrderID {
		h.missing = append(h.missing, "order")
		h.problems = append(h.problems, CSVProblem{Code: "missing_column", Field: "order"})
	}
	if _, ok := h.col["tracking_number"]; !ok {
		h.missing = append(h.missing, "tracking_number")
		p := CSVProblem{Code: "missing_column", Field: "tracking_number"}
		if len(candidates) > 0 {
			p.Header = candidates[0]
		}
		h.problems = append(h.problems, p)
	}
	return h
}

// missingError is the import's refusal of a header without a required
// column, naming a column that looks like it.
func (h *csvHeader) missingError() error {
	field := h.missing[0]
	msg := fmt.Sprintf("the header has no %q column (columns: order, tracking_number, carrier, tracking_url, sku, quantity)", field)
	for _, p := range h.problems {
		if p.Code == "missing_column" && p.Field == field && p.Header != "" {
			msg += fmt.Sprintf("; the column %q looks like it: rename it %s", p.Header, field)
		}
	}
	return app.Errorf(app.ErrInvalid, "%s", msg)
}

// csvGroup is one parcel being put together from its rows.
type csvGroup struct {
	sub   Submission
	rows  []int // indexes into the rows
	lines []int // the file's lines
}

// parsedCSV is a file read and understood, before anything is submitted.
type parsedCSV struct {
	encoding string
	header   *csvHeader
	rows     []CSVRow
	groups   []*csvGroup
}

// MaxCSVBytes is the largest CSV an import reads (the admin's upload, whose
// request body is capped at the same size, and `waybill import`).
const MaxCSVBytes = 64 << 20

// parseCSV reads a whole CSV (see ImportCSV) and puts its rows together
// into parcels. A file without the required columns is read for its header
// and its row count only (the rows are left unjudged).
func parseCSV(r io.Reader) (*parsedCSV, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxCSVBytes+1))
	if err != nil {
		return nil, app.WrapError(app.ErrInvalid, err, "the file could not be read completely: nothing was imported")
	}
	if len(raw) > MaxCSVBytes {
		return nil, app.Errorf(app.ErrTooLarge, "the file is larger than %d MiB: nothing was imported; split it into smaller files", MaxCSVBytes>>20)
	}
	text, encoding, err := decodeCSV(raw)
	if err != nil {
		return nil, err
	}
	first, _, _ := strings.Cut(text[:min(len(text), 4096)], "\n")
	comma := ','
	if strings.Count(first, ";") > strings.Count(first, ",") {
		comma = ';'
	}
	cr := newCSVReader(strings.NewReader(text), comma)
	names, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, app.Errorf(app.ErrInvalid, "the file is empty: it needs a header row (order, tracking_number, carrier, tracking_url, sku, quantity)")
	}
	if err != nil {
		return nil, app.Errorf(app.ErrInvalid, "the header row cannot be read: %s", errorText(err))
	}
	h := readHeader(names)
	p := &parsedCSV{encoding: encoding, header: h}
	field := func(rec []string, name string) string {
		if i, ok := h.col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}

	byKey := map[string]*csvGroup{}
	// prev is the last row's order and parcel, for a source that writes the
	// tracking number on an order's first row only.
	var prev struct{ order, tracking, carrier, url string }
	reject := func(row CSVRow, msg app.Message) {
		row.Status, row.Error, row.ErrorCode, row.ErrorParams = Rejected, msg.Text, msg.Code, msg.Params
		p.rows = append(p.rows, row)
	}
	rowRead := func(line int, rec []string) {
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			return // blank line
		}
		if len(rec) > 0 && strings.Join(rec, "") == "" {
			return // a row of empty cells (spreadsheets write them)
		}
		if len(h.missing) > 0 {
			p.rows = append(p.rows, CSVRow{Line: line})
			return
		}
		order, idText := field(rec, "order"), field(rec, "order_id")
		sub := Submission{OrderName: order, TrackingNumber: field(rec, "tracking_number"), Carrier: field(rec, "carrier"), TrackingURL: field(rec, "tracking_url")}
		orderKey := strings.TrimPrefix(strings.ToUpper(order), "#") + "\x00" + idText
		if h.format.fillDown && sub.TrackingNumber == "" && orderKey == prev.order && prev.tracking != "" {
			sub.TrackingNumber, sub.Carrier, sub.TrackingURL = prev.tracking, prev.carrier, prev.url
		}
		prev.order, prev.tracking, prev.carrier, prev.url = orderKey, sub.TrackingNumber, sub.Carrier, sub.TrackingURL
		display := order
		if display == "" {
			display = idText
		}
		row := CSVRow{Line: line, Order: truncate(display, 200), Tracking: truncate(sub.TrackingNumber, 200)}
		if idText != "" {
			id, err := strconv.ParseInt(strings.TrimPrefix(idText, "#"), 10, 64)
			if err != nil || id <= 0 {
				reject(row, app.NewMessage(app.MsgOrderIDInvalid, fmt.Sprintf("order_id %q must be a Shopify order id: a whole number above 0", truncate(idText, 30)),
					"value", truncate(idText, 30)))
				return
			}
			sub.OrderID = id
		}
		if sku := field(rec, "sku"); sku != "" {
			qty := 1
			if q := field(rec, "quantity"); q != "" {
				n, err := strconv.Atoi(q)
				if err != nil || n <= 0 {
					reject(row, app.NewMessage(app.MsgQuantityInvalid, fmt.Sprintf("quantity %q must be a whole number above 0", truncate(q, 20)), "value", truncate(q, 20)))
					return
				}
				qty = n
			}
			sub.Lines = []Line{{SKU: sku, Quantity: qty}}
		} else if field(rec, "quantity") != "" && !h.format.fillDown {
			// (An order export writes a quantity on every line, with or
			// without a SKU — a custom item — so there a row without one is
			// not refused: it adds no line to the parcel, and a parcel of
			// such rows only is the whole order.)
			reject(row, app.NewMessage(app.MsgQuantityWithoutSKU, "quantity is given without a sku"))
			return
		}
		if msg := sub.validate(); msg.Code != "" {
			reject(row, msg)
			return
		}
		p.rows = append(p.rows, row)
		key := orderKey + "\x00" + strings.ToUpper(strings.ReplaceAll(sub.TrackingNumber, " ", ""))
		g := byKey[key]
		if g == nil {
			g = &csvGroup{sub: sub}
			byKey[key] = g
			p.groups = append(p.groups, g)
		} else {
			g.sub.Lines = append(g.sub.Lines, sub.Lines...)
			if g.sub.Carrier == "" {
				g.sub.Carrier = sub.Carrier
			}
			if g.sub.TrackingURL == "" {
				g.sub.TrackingURL = sub.TrackingURL
			}
		}
		g.rows = append(g.rows, len(p.rows)-1)
		g.lines = append(g.lines, line)
	}
	rowRefused := func(line int, why string) {
		p.rows = append(p.rows, CSVRow{Line: line, Status: Rejected, Error: "the row cannot be read: " + why, ErrorCode: app.MsgRowUnreadable,
			ErrorParams: map[string]string{"reason": why}})
	}
	readRows(text, cr, comma, rowRead, rowRefused)
	return p, nil
}

// PreviewCSV is a dry run of ImportCSV: it reads the file the same way and
// says how each column was understood, which format it is, how many rows
// and parcels it holds, the first parcels as they would be submitted and
// what is wrong — storing and queueing nothing. A file with no order or
// tracking number column is previewed too (its problems say so); files
// ImportCSV cannot read at all are refused the same way.
func PreviewCSV(r io.Reader) (*CSVPreview, error) {
	p, err := parseCSV(r)
	if err != nil {
		return nil, err
	}
	out := &CSVPreview{DryRun: true, Format: p.header.format.name, Encoding: p.encoding, Columns: p.header.columns,
		Rows: len(p.rows), Shipments: len(p.groups), Sample: []CSVShipment{}, Problems: append([]CSVProblem{}, p.header.problems...)}
	for _, r := range p.rows {
		if r.Status != Rejected {
			continue
		}
		out.Rejected++
		if out.Rejected <= previewRowProblems {
			out.Problems = append(out.Problems, CSVProblem{Code: "row_rejected", Line: r.Line, Message: r.Error, MessageCode: r.ErrorCode, MessageParams: r.ErrorParams})
		}
	}
	for _, g := range p.groups[:min(len(p.groups), previewSampleSize)] {
		s := CSVShipment{Lines: g.lines, Order: g.sub.OrderName, OrderID: g.sub.OrderID, TrackingNumber: g.sub.TrackingNumber,
			Carrier: g.sub.Carrier, TrackingURL: g.sub.TrackingURL, LineItems: []CSVLineItem{}}
		for _, l := range g.sub.Lines {
			s.LineItems = append(s.LineItems, CSVLineItem{SKU: l.SKU, Quantity: l.Quantity})
		}
		out.Sample = append(out.Sample, s)
	}
	return out, nil
}

// ImportCSV reads a CSV (header row; comma or semicolon; UTF-8 with or
// without BOM, UTF-16 with BOM, or Windows-1252 — what Excel writes — see
// decodeCSV) and submits it. Columns are recognised by Waybill's names,
// Spanish and English ones and the names of the sources in csvFormats
// (Shopify's order export among them), whatever their case, accents,
// spaces or punctuation. Rows with the same order and tracking number are
// one parcel: their SKUs become the lines of one shipment. A bad row is
// reported and skipped; it never stops the good ones. The whole file is read
// before anything is submitted, so a file that cannot be read completely
// (over MaxCSVBytes, a broken upload) imports nothing.
func (svc *Service) ImportCSV(ctx context.Context, shop *app.Shop, source app.ShipmentSource, r io.Reader) (*CSVReport, error) {
	p, err := parseCSV(r)
	if err != nil {
		return nil, err
	}
	if len(p.header.missing) > 0 {
		return nil, p.header.missingError()
	}
	if len(p.rows) == 0 {
		return nil, app.Errorf(app.ErrInvalid, "the file has a header but no rows")
	}
	report := &CSVReport{Rows: p.rows, Ignored: p.header.ignored, Encoding: p.encoding,
		Format: p.header.format.name, Columns: p.header.columns, Problems: p.header.problems}

	subs := make([]Submission, len(p.groups))
	for i, g := range p.groups {
		// A parcel with a sku on some rows and none on others means "these
		// items": the sku-less rows add nothing.
		subs[i] = g.sub
	}
	results, err := svc.Submit(ctx, shop, source, subs)
	if err != nil {
		return nil, err
	}
	for i, g := range p.groups {
		for _, ri := range g.rows {
			r := &report.Rows[ri]
			r.Status, r.ShipmentID, r.Error, r.Warning = results[i].Status, results[i].ShipmentID, results[i].Error, results[i].Warning
			r.ErrorCode, r.ErrorParams, r.WarningCode, r.WarningParams = results[i].ErrorCode, results[i].ErrorParams, results[i].WarningCode, results[i].WarningParams
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

func newCSVReader(r io.Reader, comma rune) *csv.Reader {
	cr := csv.NewReader(r)
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	return cr
}

// readRows reads the rows after the header from cr (reading text), giving
// each to read, or to refused with the reason it cannot be read. A quote
// that opens and never closes makes encoding/csv swallow every line after
// it into one field: that row is refused naming the line the quote opened
// on, and the lines after it are read one by one, each on its own, so the
// rows the quote swallowed still land. (Line by line, a quoted field can no
// longer span lines, so a later multi-line field is refused line by line
// rather than read — which is what keeps this linear in the file's size.)
func readRows(text string, cr *csv.Reader, comma rune, read func(line int, rec []string), refused func(line int, why string)) {
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		var pe *csv.ParseError
		if err != nil && errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrQuote) && pe.Line > pe.StartLine {
			refused(pe.StartLine, fmt.Sprintf(`a quote (") opened on line %d is never closed, so it swallowed lines %d to %d; those lines were read on their own`,
				pe.StartLine, pe.StartLine+1, pe.Line))
			readLines(text, pe.StartLine+1, comma, read, refused)
			return
		}
		if err != nil {
			if pe == nil {
				// Not the file's quoting: the reader itself failed (it reads
				// a string, so this does not happen), and would again.
				refused(0, errorText(err))
				return
			}
			refused(pe.StartLine, errorText(err))
			continue
		}
		line, _ := cr.FieldPos(0)
		read(line, rec)
	}
}

// readLines reads text from line `from` on, each line a row on its own.
func readLines(text string, from int, comma rune, read func(line int, rec []string), refused func(line int, why string)) {
	line := 1
	for line < from && text != "" {
		_, text, _ = strings.Cut(text, "\n")
		line++
	}
	br := bufio.NewReaderSize(strings.NewReader(""), 4096)
	for ; text != ""; line++ {
		var l string
		l, text, _ = strings.Cut(text, "\n")
		l = strings.TrimSuffix(l, "\r")
		if strings.TrimSpace(l) == "" {
			continue
		}
		if !strings.Contains(l, `"`) {
			read(line, strings.Split(l, string(comma)))
			continue
		}
		br.Reset(strings.NewReader(l))
		rec, err := newCSVReader(br, comma).Read()
		switch {
		case err == nil:
			read(line, rec)
		case errors.Is(err, csv.ErrQuote):
			refused(line, `a quote (") opened on this line is never closed`)
		default:
			refused(line, errorText(err))
		}
	}
}

var (
	utf8BOM    = []byte{0xEF, 0xBB, 0xBF}
	utf16LEBOM = []byte{0xFF, 0xFE}
	utf16BEBOM = []byte{0xFE, 0xFF}
)

// decodeCSV returns a file's text as UTF-8 and the encoding it was in: a
// byte order mark says UTF-8, UTF-16LE or UTF-16BE; without one, text that
// is valid UTF-8 is UTF-8, and anything else is read as Windows-1252 (what
// Excel in Spanish and most Western locales writes for "CSV"). A file that
// is none of these is refused with a sentence saying what it looks like.
func decodeCSV(raw []byte) (string, string, error) {
	saveAs := "save it from your spreadsheet as \"CSV UTF-8\" and import it again"
	switch {
	case bytes.HasPrefix(raw, utf8BOM):
		raw = raw[len(utf8BOM):]
		if !utf8.Valid(raw) {
			return "", "", app.Errorf(app.ErrInvalid, "the file starts as UTF-8 (byte order mark) but line %d is not UTF-8: %s", invalidUTF8Line(raw), saveAs)
		}
		return string(raw), "utf-8", nil
	case bytes.HasPrefix(raw, utf16LEBOM), bytes.HasPrefix(raw, utf16BEBOM):
		name := "utf-16le"
		if bytes.HasPrefix(raw, utf16BEBOM) {
			name = "utf-16be"
		}
		if len(raw)%2 != 0 {
			return "", "", app.Errorf(app.ErrInvalid, "the file is %s (byte order mark) but ends in the middle of a character: %s", strings.ToUpper(name), saveAs)
		}
		// ExpectBOM reads the mark, picks the byte order and drops it.
		out, err := textunicode.UTF16(textunicode.BigEndian, textunicode.ExpectBOM).NewDecoder().Bytes(raw)
		if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
			return "", "", app.Errorf(app.ErrInvalid, "the file is %s (byte order mark) but holds bytes that are not %s text: %s", strings.ToUpper(name), strings.ToUpper(name), saveAs)
		}
		return string(out), name, nil
	case bytes.HasPrefix(raw, []byte("PK\x03\x04")):
		return "", "", app.Errorf(app.ErrInvalid, "the file is a spreadsheet workbook (.xlsx) or another zip file, not a CSV: %s", saveAs)
	case bytes.IndexByte(raw, 0) >= 0:
		return "", "", app.Errorf(app.ErrInvalid, "the file holds NUL bytes, so it is not CSV text (UTF-16 without a byte order mark, or a binary file): %s", saveAs)
	case utf8.Valid(raw):
		return string(raw), "utf-8", nil
	}
	// Windows-1252 leaves five bytes undefined: a file with one of them is
	// in another encoding, and guessing further would store garbage.
	for i, b := range raw {
		if b == 0x81 || b == 0x8D || b == 0x8F || b == 0x90 || b == 0x9D {
			return "", "", app.Errorf(app.ErrInvalid, "the file is neither UTF-8 nor Windows-1252 (byte 0x%02X on line %d): %s", b, bytes.Count(raw[:i], []byte("\n"))+1, saveAs)
		}
	}
	out, err := charmap.Windows1252.NewDecoder().Bytes(raw)
	if err != nil {
		return "", "", app.WrapError(app.ErrInvalid, err, "the file is neither UTF-8 nor Windows-1252: %s", saveAs)
	}
	return string(out), "windows-1252", nil
}

// invalidUTF8Line is the line of the first byte that is not UTF-8.
func invalidUTF8Line(b []byte) int {
	line := 1
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		b = b[size:]
	}
	return line
}

// errorText says why encoding/csv could not read a row, in the merchant's
// terms.
func errorText(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return `a quote (") appears inside a field that is not quoted: double it ("") or quote the whole field`
	case errors.Is(err, csv.ErrQuote):
		return `a quoted field is not closed properly: a quote (") is missing or extra`
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
