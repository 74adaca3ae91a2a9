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
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

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
	// Encoding is what the file was read as: utf-8, utf-16le, utf-16be or
	// windows-1252 (converted to UTF-8).
	Encoding string `json:"encoding"`
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

// MaxCSVBytes is the largest CSV an import reads (the admin's upload, whose
// request body is capped at the same size, and `waybill import`).
const MaxCSVBytes = 64 << 20

// ImportCSV reads a CSV (header row; comma or semicolon; UTF-8 with or
// without BOM, UTF-16 with BOM, or Windows-1252 — what Excel writes — see
// decodeCSV) and submits it. Rows with the same order and tracking number are
// one parcel: their SKUs become the lines of one shipment. A bad row is
// reported and skipped; it never stops the good ones. The whole file is read
// before anything is submitted, so a file that cannot be read completely
// (over MaxCSVBytes, a broken upload) imports nothing.
func (svc *Service) ImportCSV(ctx context.Context, shop *app.Shop, source app.ShipmentSource, r io.Reader) (*CSVReport, error) {
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
	report := &CSVReport{Encoding: encoding}
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
			report.Ignored = append(report.Ignored, truncate(strings.TrimSpace(n), 100))
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
	rowRead := func(line int, rec []string) {
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			return // blank line
		}
		row := CSVRow{Line: line, Order: truncate(field(rec, "order"), 200), Tracking: truncate(field(rec, "tracking_number"), 200)}
		sub := Submission{OrderName: field(rec, "order"), TrackingNumber: field(rec, "tracking_number"), Carrier: field(rec, "carrier"), TrackingURL: field(rec, "tracking_url")}
		if sku := field(rec, "sku"); sku != "" {
			qty := 1
			if q := field(rec, "quantity"); q != "" {
				n, err := strconv.Atoi(q)
				if err != nil || n <= 0 {
					row.Status, row.Error = Rejected, fmt.Sprintf("quantity %q must be a whole number above 0", truncate(q, 20))
					report.Rows = append(report.Rows, row)
					return
				}
				qty = n
			}
			sub.Lines = []Line{{SKU: sku, Quantity: qty}}
		} else if field(rec, "quantity") != "" {
			row.Status, row.Error = Rejected, "quantity is given without a sku"
			report.Rows = append(report.Rows, row)
			return
		}
		if msg := sub.validate(); msg != "" {
			row.Status, row.Error = Rejected, msg
			report.Rows = append(report.Rows, row)
			return
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
	rowRefused := func(line int, why string) {
		report.Rows = append(report.Rows, CSVRow{Line: line, Status: Rejected, Error: "the row cannot be read: " + why})
	}
	readRows(text, cr, comma, rowRead, rowRefused)
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
		out, err := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder().Bytes(raw)
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
