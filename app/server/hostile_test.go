package server_test

// The hostile-input suite: a bounded, scripted run of malformed and
// malicious input at every entry point Waybill serves — the supplier API,
// manual entry, CSV uploads, the admin's edits and settings, session tokens,
// webhooks, the app proxy's tracking page, unsubscribe links, the OAuth
// callback and carrier status feeds — on both database engines. For every
// answer it asserts: no 5xx, the status the input deserves, no raw
// reflection of the input (the marker below never comes back unescaped,
// HTML or JSON); and at the end, by reading the store, that nothing intake
// would refuse was stored and that every good row sent beside bad ones
// landed. It runs in seconds; add a row when an entry point or a field is
// added.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

// xss is put in every text field a probe can reach; no answer may carry it
// back raw.
const xss = `<script>alert('wb')</script>`

// amplifier is the report's email template: 143 characters that rendered a
// 128 MB preview.
const amplifier = `{{$a := printf "%01000000d" 0}}{{$b := printf "%s%s%s%s%s%s%s%s" $a $a $a $a $a $a $a $a}}` +
	`{{printf "%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s" $b $b $b $b $b $b $b $b $b $b $b $b $b $b $b $b}}`

// probe is one hostile request and what its answer must be.
type probe struct {
	name string
	req  func() *http.Request
	// status is the answer's status; 0 accepts any 4xx.
	status int
	// says is part of the answer's body (an error's message, a page's text).
	says string
}

// answer is what came back.
type answer struct {
	code   int
	header http.Header
	body   []byte
}

type hostileEnv struct {
	*apiEnv
	engine   store.Engine
	acme     string // a session token for acme
	key      string // acme's supplier key
	shipment string // one of acme's shipments
}

func (e *hostileEnv) request(method, path, auth, contentType string, body io.Reader) *http.Request {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// admin is a request to the admin API as acme, with a JSON body.
func (e *hostileEnv) admin(method, path string, body any) *http.Request {
	return e.request(method, "/api/admin"+path, e.acme, "application/json", bytes.NewReader(mustJSON(e.t, body)))
}

func (e *hostileEnv) send(req *http.Request) answer {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	return answer{code: resp.StatusCode, header: resp.Header, body: readBody(e.t, resp)}
}

// check runs probes and asserts each answer.
func (e *hostileEnv) check(t *testing.T, probes []probe) {
	t.Helper()
	for _, p := range probes {
		a := e.send(p.req())
		switch {
		case a.code >= 500:
			t.Errorf("%s: HTTP %d: %.300s", p.name, a.code, a.body)
		case p.status != 0 && a.code != p.status:
			t.Errorf("%s: HTTP %d, want %d: %.300s", p.name, a.code, p.status, a.body)
		case p.status == 0 && (a.code < 400 || a.code >= 500):
			t.Errorf("%s: HTTP %d, want a refusal (4xx): %.300s", p.name, a.code, a.body)
		}
		if p.says != "" && !strings.Contains(string(a.body), p.says) {
			t.Errorf("%s: the answer does not say %q: %.400s", p.name, p.says, a.body)
		}
		noReflection(t, p.name, a)
	}
}

// noReflection: the marker never comes back raw, whatever the answer's type
// (JSON escapes < and >; pages are html/template).
func noReflection(t *testing.T, name string, a answer) {
	t.Helper()
	for _, raw := range []string{xss, "<script>alert(", "javascript:alert("} {
		if bytes.Contains(a.body, []byte(raw)) {
			t.Errorf("%s: the answer (%s) reflects %q unescaped", name, a.header.Get("Content-Type"), raw)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	if b, ok := v.([]byte); ok {
		return b
	}
	if s, ok := v.(string); ok {
		return []byte(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newHostileEnv(t *testing.T, engine store.Engine) *hostileEnv {
	e := &hostileEnv{apiEnv: newAPIEnv(t, wiringtest.Options{Engine: engine}), engine: engine}
	e.acme = e.sessionToken(shop, nil, apiSecret)
	e.key = e.keys[shop]
	code, body := e.do("POST", "/api/admin/shipments", e.acme, "application/json", []byte(`{"order":"#1001","tracking_number":"RB123456785ES"}`))
	if code != 200 {
		t.Fatalf("setup: %d %v", code, body)
	}
	e.shipment = fmt.Sprint(body["results"].([]any)[0].(map[string]any)["shipment_id"])
	return e
}

// TestHostileInputs is the suite: every entry point, one malformed input per
// field, good input beside bad.
func TestHostileInputs(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		start := time.Now()
		e := newHostileEnv(t, engine)
		t.Run("supplier API and manual entry rows", e.rows)
		t.Run("CSV uploads", e.csvFiles)
		t.Run("admin edits, searches, settings and names", e.adminWrites)
		t.Run("session tokens", e.sessionTokens)
		t.Run("webhooks", e.webhooks)
		t.Run("app proxy, unsubscribe, OAuth, status feeds", e.publicPages)
		t.Run("texts: provider webhooks, short links, opt-in, preferences, channel admin", e.texts)
		e.storeHoldsOnlyWhatIntakeAccepts(t)
		t.Logf("%s: %v", engine, time.Since(start))
	})
}

// badRows are one malformed value per field of a supplier API row (wrong
// type, too long, bad scheme, control characters), with the sentence each
// answers. goodRows go beside them and must land.
var badRows = []struct {
	row  string
	says string
}{
	{`{"order": true, "tracking_number": "LX123456785CN"}`, "order must be"},
	{`{"order": {"id": 1}, "tracking_number": "LX123456785CN"}`, "order must be"},
	{`{"order": -5, "tracking_number": "LX123456785CN"}`, "order must be"},
	{`{"order": "` + strings.Repeat("1", 101) + `", "tracking_number": "LX123456785CN"}`, "order is longer than 100 characters"},
	{`{"order": "#10\u000001", "tracking_number": "LX123456785CN"}`, "order must be one line of text"},
	{`{"order": "#1001", "tracking_number": {"n": 1}}`, "tracking_number must be a string"},
	{`{"order": "#1001", "tracking_number": "` + strings.Repeat("9", 61) + `"}`, "is not a tracking number"},
	{`{"order": "#1001", "tracking_number": "` + xss + `", "carrier": "` + xss + `"}`, "is not a tracking number"},
	{`{"order": "#1001", "tracking_number": ""}`, "tracking_number is required"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "carrier": 5}`, "carrier must be a string"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "carrier": "` + strings.Repeat("C", 101) + `"}`, "carrier is longer than 100 characters"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "carrier": "UPS\r\nX-Injected: 1"}`, "carrier must be one line of text"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "tracking_url": []}`, "tracking_url must be a string"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "tracking_url": "javascript:alert(document.domain)"}`, "tracking_url must be an http(s) URL"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "tracking_url": "data:text/html,<b>x</b>"}`, "tracking_url must be an http(s) URL"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "tracking_url": "/relative"}`, "tracking_url must be an http(s) URL"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "tracking_url": "https://t.example/` + strings.Repeat("a", 2000) + `"}`, "at most 2000 characters"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "line_items": "MUG-01"}`, "line_items must be an array"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "line_items": [7]}`, "line_items[0] must be an object"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "line_items": [{"sku": 1, "quantity": 1}]}`, "line_items[0].sku must be a string"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "line_items": [{"sku": "` + strings.Repeat("S", 256) + `", "quantity": 1}]}`, "line_items[0].sku is longer than 255"},
	{`{"order": "#1099", "tracking_number": "LX123456785CN", "line_items": [{"sku": "A\u0000B", "quantity": 1}]}`, "line_items[0].sku must be one line"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "line_items": [{"sku": "MUG-01", "quantity": "2"}]}`, "quantity must be a whole number"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "line_items": [{"sku": "MUG-01", "quantity": 0}]}`, "quantity must be a whole number above 0"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "line_items": [{"sku": "MUG-01", "quantity": 1e12}]}`, "quantity must be a whole number"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "line_items": [{"line_item_id": -1, "quantity": 1}]}`, "line_item_id must be a positive number"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "notify_customer": "yes"}`, "notify_customer must be true or false"},
	{`{"order": "#1001", "tracking_number": "LX123456785CN", "` + xss + `": 1}`, "unknown field"},
	{`"` + xss + `"`, "each row must be a JSON object"},
}

// rows sends the bad rows with a good one on each side, through the supplier
// API and through manual entry.
func (e *hostileEnv) rows(t *testing.T) {
	for _, via := range []struct {
		name, path, auth string
		status           int
		good             [2]string
	}{
		{"supplier API", "/api/v1/tracking", e.key, 202, [2]string{"YT2300012345678901", "UG123456789YW"}},
		{"manual entry", "/api/admin/shipments", e.acme, 200, [2]string{"1Z5R89390357567127", "LZ123456786CN"}},
	} {
		rows := []string{fmt.Sprintf(`{"order": "#1001", "tracking_number": %q}`, via.good[0])}
		for _, b := range badRows {
			rows = append(rows, b.row)
		}
		// Markup is text: stored as sent, escaped wherever it is shown.
		rows = append(rows, fmt.Sprintf(`{"order": "#2002%s", "tracking_number": %q, "carrier": %q}`, xss, via.good[1], xss))
		a := e.send(e.request("POST", via.path, via.auth, "application/json", strings.NewReader("["+strings.Join(rows, ",")+"]")))
		noReflection(t, via.name, a)
		var out struct {
			Results []struct {
				Status, Error string
			}
		}
		if a.code != via.status || json.Unmarshal(a.body, &out) != nil || len(out.Results) != len(rows) {
			t.Fatalf("%s: HTTP %d: %.500s", via.name, a.code, a.body)
		}
		for i, b := range badRows {
			if r := out.Results[i+1]; r.Status != "rejected" || !strings.Contains(r.Error, b.says) {
				t.Errorf("%s row %.60s: %s %q, want rejected %q", via.name, b.row, r.Status, r.Error, b.says)
			}
		}
		if first, last := out.Results[0], out.Results[len(rows)-1]; first.Status != "accepted" || last.Status != "accepted" {
			t.Errorf("%s: the good rows beside the bad: %+v, %+v", via.name, first, last)
		}
		e.mustHave(t, via.good[:]...)
	}

	var many []string
	for i := 0; i <= 1000; i++ {
		many = append(many, `{"order":"#1001","tracking_number":"YT2300012345678901"}`)
	}
	api := func(auth, contentType string, body io.Reader) func() *http.Request {
		return func() *http.Request { return e.request("POST", "/api/v1/tracking", auth, contentType, body) }
	}
	e.check(t, []probe{
		{"API: markup comes back escaped", func() *http.Request {
			return e.request("GET", "/api/admin/shipments?q="+url.QueryEscape("#2002<script>"), e.acme, "", nil)
		},
			200, `\u003cscript\u003ealert('wb')\u003c/script\u003e`},
		{"API: no key", api("", "application/json", strings.NewReader(`{}`)), 401, "Authorization: Bearer"},
		{"API: a forged key", api("wbk_"+xss, "application/json", strings.NewReader(`{}`)), 401, ""},
		{"API: not JSON", api(e.key, "application/json", strings.NewReader("order="+xss)), 400, "JSON"},
		{"API: JSON cut short", api(e.key, "application/json", strings.NewReader(`[{"order": "#1001"`)), 400, "not valid JSON"},
		{"API: 1,001 rows", api(e.key, "application/json", strings.NewReader("["+strings.Join(many, ",")+"]")), 413, "at most 1000"},
		{"API: a body over 8 MiB", api(e.key, "application/json", bytes.NewReader(make([]byte, 8<<20+1))), 413, "larger than 8 MiB"},
		{"API: a chunked body over 8 MiB", api(e.key, "application/json", io.MultiReader(bytes.NewReader(make([]byte, 8<<20+1)))), 413, "larger than 8 MiB"},
	})
}

// csvFiles sends uploads: the size cap on every kind of body, encodings,
// quoting, and one bad value per column beside good rows.
func (e *hostileEnv) csvFiles(t *testing.T) {
	upload := func(contentType string, body io.Reader) func() *http.Request {
		return func() *http.Request { return e.request("POST", "/api/admin/imports", e.acme, contentType, body) }
	}
	form := func(field, name string, file []byte) (string, []byte) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, err := mw.CreateFormFile(field, name)
		if err == nil {
			_, err = fw.Write(file)
		}
		if err == nil {
			err = mw.Close()
		}
		if err != nil {
			t.Fatal(err)
		}
		return mw.FormDataContentType(), b.Bytes()
	}
	// Over the cap: a first row that is good, a row after 64 MiB that is
	// good too; neither may be imported.
	big := func(size int, first, last string) []byte {
		head := "order,tracking_number\n#1001," + first + "\n"
		tail := "#1001," + last + "\n"
		filler := bytes.Repeat([]byte("#1001,"+first+"\n"), (size-len(head)-len(tail))/(len(first)+7)+1)
		return append(append([]byte(head), filler...), tail...)
	}
	// The cap is the HTTP layer's, the same on either engine: checked once.
	if e.engine == store.SQLite {
		before := e.count(t)
		huge := big(70<<20, "RB000000017ES", "RB000000025ES")
		ct, multi := form("file", "huge.csv", huge)
		e.check(t, []probe{
			{"CSV: a 70 MiB form", upload(ct, bytes.NewReader(multi)), 413, "larger than 64 MiB"},
			{"CSV: a 70 MiB form, chunked", upload(ct, io.MultiReader(bytes.NewReader(multi))), 413, "larger than 64 MiB"},
			{"CSV: a 65 MiB text/csv body", upload("text/csv", bytes.NewReader(huge[:65<<20])), 413, "larger than 64 MiB"},
			{"CSV: a 65 MiB text/csv body, chunked", upload("text/csv", io.MultiReader(bytes.NewReader(huge[:65<<20]))), 413, "larger than 64 MiB"},
		})
		if after := e.count(t); after != before {
			t.Errorf("uploads over the cap imported %d shipments", after-before)
		}
	}

	// One bad value per column, good rows around them.
	file := "order;tracking_number;carrier;tracking_url;sku;quantity\n" +
		"#1001;RB123456790ES;;;;\n" + // good
		strings.Repeat("1", 101) + ";LX123456785CN;;;;\n" + // order too long
		"#1001" + xss + ";LX123456785CN;;;;\n" + // markup in an order name is text: accepted (no such order yet)
		"#1001;" + xss + ";;;;\n" + // tracking_number not a number
		"#1001;LX123456785CN;" + strings.Repeat("C", 101) + ";;;\n" + // carrier too long
		"#1001;LX123456785CN;;javascript:alert(document.domain);;\n" + // tracking_url scheme
		"#1001;LX123456785CN;;https://t.example/" + strings.Repeat("a", 2000) + ";;\n" + // tracking_url too long
		"#1001;LX123456785CN;;;" + strings.Repeat("S", 256) + ";1\n" + // sku too long
		"#1001;LX123456785CN;;;MUG-01;dos\n" + // quantity not a number
		"#1001;LX123456785CN;;;;2\n" + // quantity without a sku
		"#1001;\"LX123456785CN;never closed\n" + // a quote that never closes
		"#1001;RB123456803ES;;;;\n" // good, after the quote
	latin1, err := charmap.ISO8859_1.NewEncoder().String("pedido;tracking_number;transportista\n#1001;RB123456811ES;Mensajería Rápida\n")
	if err != nil {
		t.Fatal(err)
	}
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String("order,tracking_number,carrier\r\n#1001,RB123456825ES,Envíos Ñandú\r\n")
	if err != nil {
		t.Fatal(err)
	}
	ct, noFile := form("document", "x.csv", []byte(file))
	e.check(t, []probe{
		{"CSV: bad values beside good rows", upload("text/csv", strings.NewReader(file)), 200, `"accepted":3,"duplicate":0,"rejected":9`},
		{"CSV: Latin-1 (Excel in Spanish)", upload("text/csv", strings.NewReader(latin1)), 200, `"encoding":"windows-1252"`},
		{"CSV: UTF-16LE with a BOM", upload("text/csv; charset=utf-16", strings.NewReader(utf16)), 200, `"encoding":"utf-16le"`},
		{"CSV: a workbook, not a CSV", upload("text/csv", strings.NewReader("PK\x03\x04\x14\x00")), 400, "workbook (.xlsx)"},
		{"CSV: binary", upload("text/csv", strings.NewReader("order\x00\x00\xff")), 400, "NUL bytes"},
		{"CSV: no header", upload("text/csv", strings.NewReader("")), 400, "the file is empty"},
		{"CSV: header only", upload("text/csv", strings.NewReader("order,tracking_number\n")), 400, "no rows"},
		{"CSV: no order column", upload("text/csv", strings.NewReader(xss+",tracking_number\nx,RB1\n")), 400, `no \"order\" column`},
		{"CSV: a form without its file field", upload(ct, bytes.NewReader(noFile)), 400, `file\" field`},
		{"CSV: a form without a boundary", upload("multipart/form-data", strings.NewReader(file)), 400, "boundary"},
		{"CSV: JSON instead", upload("application/json", strings.NewReader(`{"order":"#1001"}`)), 415, "text/csv"},
		{"CSV: no content type", upload("", strings.NewReader(file)), 415, "text/csv"},
	})
	e.mustHave(t, "RB123456790ES", "RB123456803ES", "RB123456811ES", "RB123456825ES")
	for number, carrier := range map[string]string{"RB123456811ES": "Mensajería Rápida", "RB123456825ES": "Envíos Ñandú"} {
		if got := e.find(t, number); got == nil || got.Carrier != carrier {
			t.Errorf("%s: %+v, want carrier %q", number, got, carrier)
		}
	}
	// The report names the line the quote opened on.
	a := e.send(upload("text/csv", strings.NewReader("order;tracking_number\n#1001;\"RB123456838ES\n#1001;RB123456841ES\n"))())
	if a.code != 200 || !strings.Contains(string(a.body), `a quote (\") opened on line 2 is never closed`) || !strings.Contains(string(a.body), `"accepted":1`) {
		t.Errorf("an unclosed quote: %d %s", a.code, a.body)
	}
}

// adminWrites sends malformed bodies and parameters to every admin route
// that writes or searches.
func (e *hostileEnv) adminWrites(t *testing.T) {
	id := e.shipment
	patch := func(body any) func() *http.Request {
		return func() *http.Request { return e.admin("PATCH", "/shipments/"+id, body) }
	}
	raw := func(method, path, contentType, body string) func() *http.Request {
		return func() *http.Request {
			return e.request(method, "/api/admin"+path, e.acme, contentType, strings.NewReader(body))
		}
	}
	get := func(path string) func() *http.Request {
		return func() *http.Request { return e.request("GET", "/api/admin"+path, e.acme, "", nil) }
	}
	settings := func(body any) func() *http.Request {
		return func() *http.Request { return e.admin("PUT", "/notifications/settings", body) }
	}
	templ := func(field, src string) map[string]any {
		return map[string]any{"templates": map[string]any{"es": map[string]any{"shipped": map[string]any{field: src}}}}
	}
	e.check(t, []probe{
		// PATCH /shipments/{id}: each field wrong, the body of another type.
		{"edit: a 100 KB carrier", patch(map[string]string{"carrier": strings.Repeat("C", 100_000)}), 400, "carrier is longer than 100 characters"},
		{"edit: a 1 MB carrier", patch(map[string]string{"carrier": strings.Repeat("C", 1<<20)}), 413, "larger than 1 MiB"},
		{"edit: carrier with a line break", patch(map[string]string{"carrier": "UPS\r\n" + xss}), 400, "carrier must be one line"},
		{"edit: carrier of the wrong type", patch(`{"carrier": 5}`), 400, "carrier must be a string"},
		{"edit: a javascript: link", patch(map[string]string{"tracking_url": "javascript:alert(document.domain)"}), 400, "http(s) URL"},
		{"edit: a 2,001-character link", patch(map[string]string{"tracking_url": "https://t.example/" + strings.Repeat("a", 2000)}), 400, "at most 2000"},
		{"edit: not a number", patch(map[string]string{"tracking_number": xss}), 400, "is not a tracking number"},
		{"edit: nothing to change", patch(`{"carier": "UPS"}`), 400, "nothing to change"},
		{"edit: not JSON", patch(`carrier=UPS`), 400, "must be JSON"},
		{"edit: XML", raw("PATCH", "/shipments/"+id, "application/xml", `<Shipment><Carrier>UPS</Carrier></Shipment>`), 415, "application/json"},
		{"edit: a form", raw("PATCH", "/shipments/"+id, "application/x-www-form-urlencoded", `carrier=UPS`), 415, "application/json"},
		{"edit: JSON in another charset", raw("PATCH", "/shipments/"+id, "application/json; charset=latin1", `{"carrier":"UPS"}`), 415, "UTF-8"},
		{"edit: no such shipment", func() *http.Request { return e.admin("PATCH", "/shipments/"+url.PathEscape(xss), `{"carrier":"UPS"}`) }, 404, ""},
		{"edit: an id with NUL", func() *http.Request { return e.admin("PATCH", "/shipments/%00", `{"carrier":"UPS"}`) }, 404, ""},
		{"retry: no such shipment", raw("POST", "/shipments/%00/retry", "", ""), 404, ""},
		{"resend: no such shipment", raw("POST", "/shipments/"+url.PathEscape(xss)+"/resend", "", ""), 404, ""},
		{"detail: no such shipment", get("/shipments/%00"), 404, ""},

		// GET /shipments: the search and every filter.
		{"search: 50,010 characters", get("/shipments?q=" + strings.Repeat("%25_", 25005)), 400, "q is longer than 200 characters"},
		{"search: 201 characters", get("/shipments?q=" + strings.Repeat("a", 201)), 400, "q is longer than 200 characters"},
		{"search: NUL", get("/shipments?q=a%00b"), 400, "q must be one line"},
		{"search: not UTF-8", get("/shipments?q=%FF%FE"), 400, "q is not valid UTF-8"},
		{"search: % is literal", get("/shipments?q=%25"), 200, `"total":0`},
		{"search: _ is literal", get("/shipments?q=_"), 200, `"total":0`},
		{"search: markup", get("/shipments?q=" + url.QueryEscape(xss)), 200, `\u003cscript\u003e`},
		{"list: page -1", get("/shipments?page=-1"), 400, "page must be"},
		{"list: page not a number", get("/shipments?page=" + url.QueryEscape(xss)), 400, "page must be"},
		{"list: unknown state", get("/shipments?state=" + url.QueryEscape(xss)), 400, "state must be"},
		{"list: unknown source", get("/shipments?source=" + url.QueryEscape(xss)), 400, "source must be"},
		{"list: a 101-character carrier", get("/shipments?carrier=" + strings.Repeat("C", 101)), 400, "carrier is longer"},
		{"list: a carrier with NUL", get("/shipments?carrier=UPS%00"), 400, "carrier must be one line"},
		{"list: a date that is not one", get("/shipments?from=" + url.QueryEscape(xss)), 400, "from must be a date"},
		{"email log: page 0", get("/notifications?page=0"), 400, "page must be"},

		// PUT /notifications/settings: each field.
		{"settings: the 143-character amplifier", settings(templ("intro", amplifier)), 400, "templates.es.shipped.intro: variables"},
		{"settings: printf", settings(templ("subject", `{{printf "%01000000d" 0}}`)), 400, "templates.es.shipped.subject: functions (printf) are not allowed"},
		{"settings: range", settings(templ("intro", `{{range .Items}}x{{end}}`)), 400, "{{range}} is not allowed"},
		{"settings: an undocumented field", settings(templ("intro", `{{.ShopEmail}}`)), 400, "the field .ShopEmail is not allowed"},
		{"settings: a template over 1,000 characters", settings(templ("intro", strings.Repeat("a", 1001))), 400, "longer than 1,000 characters"},
		{"settings: an unknown locale", settings(map[string]any{"templates": map[string]any{xss: map[string]any{}}}), 400, "has no catalogue"},
		{"settings: an unknown event", settings(map[string]any{"templates": map[string]any{"es": map[string]any{xss: map[string]any{"subject": "x"}}}}), 400, "unknown event"},
		{"settings: a javascript: logo", settings(map[string]any{"branding": map[string]any{"logo_url": "javascript:alert(document.domain)"}}), 400, "logo_url must be an https URL"},
		{"settings: a 2,001-character logo", settings(map[string]any{"branding": map[string]any{"logo_url": "https://x.example/" + strings.Repeat("a", 2000)}}), 400, "logo_url"},
		{"settings: CSS in the colour", settings(map[string]any{"branding": map[string]any{"accent_color": "red;background:url(x)"}}), 400, "accent_color"},
		{"settings: a sender name with headers", settings(map[string]any{"branding": map[string]any{"sender_name": "Acme\r\nBcc: x@evil.example"}}), 400, "sender_name"},
		{"settings: a reply-to with headers", settings(map[string]any{"branding": map[string]any{"reply_to": "a@b.example\r\nBcc: x@evil.example"}}), 400, "reply_to"},
		{"settings: a 501-character footer", settings(map[string]any{"branding": map[string]any{"footer_text": strings.Repeat("f", 501)}}), 400, "footer_text"},
		{"settings: an unknown primary locale", settings(map[string]any{"primary_locale": xss}), 400, "has no catalogue"},
		{"settings: an unknown disabled event", settings(map[string]any{"disabled_events": map[string]bool{xss: true}}), 400, "unknown event"},
		{"settings: customer_emails neither", settings(map[string]any{"customer_emails": xss}), 400, "customer emails must be"},
		{"settings: branding of the wrong type", settings(`{"branding": "x"}`), 400, "branding must be an object"},
		{"settings: XML", raw("PUT", "/notifications/settings", "text/xml", `<settings/>`), 415, "application/json"},

		// POST /notifications/preview and /test.
		{"preview: the amplifier", func() *http.Request {
			return e.admin("POST", "/notifications/preview", map[string]any{"event": "shipped", "locale": "es", "template": map[string]string{"intro": amplifier}})
		}, 400, "templates.es.shipped.intro"},
		{"preview: an unknown event", func() *http.Request { return e.admin("POST", "/notifications/preview", map[string]any{"event": xss}) }, 400, "event must be"},
		{"preview: no such shipment", func() *http.Request {
			return e.admin("POST", "/notifications/preview", map[string]any{"event": "shipped", "shipment_id": "%00" + xss})
		}, 404, ""},
		{"test send: to with CR/LF", func() *http.Request {
			return e.admin("POST", "/notifications/test", map[string]any{"event": "shipped", "to": "me@acme.example\r\nBcc: all@evil.example"})
		}, 400, "to must be one email address"},
		{"test send: to with a lone LF", func() *http.Request {
			return e.admin("POST", "/notifications/test", map[string]any{"event": "shipped", "to": "me@acme.example\nBcc: all@evil.example"})
		}, 400, "without line breaks"},
		{"test send: to a list", func() *http.Request {
			return e.admin("POST", "/notifications/test", map[string]any{"event": "shipped", "to": "me@acme.example, all@evil.example"})
		}, 400, "to must be one email address"},
		{"test send: to markup", func() *http.Request {
			return e.admin("POST", "/notifications/test", map[string]any{"event": "shipped", "to": xss})
		}, 400, "to must be one email address"},

		// Names: supplier keys, status sources.
		{"api key: a 101-character name", func() *http.Request {
			return e.admin("POST", "/api-keys", map[string]string{"name": strings.Repeat("n", 101)})
		}, 400, "name is longer"},
		{"api key: a name with NUL", func() *http.Request { return e.admin("POST", "/api-keys", map[string]string{"name": "a\x00b"}) }, 400, "name must be one line"},
		{"api key: a name of the wrong type", func() *http.Request { return e.admin("POST", "/api-keys", `{"name": ["x"]}`) }, 400, "name must be a string"},
		{"api key: XML", raw("POST", "/api-keys", "application/xml", `<name>x</name>`), 415, ""},
		{"api key: revoke no such key", raw("DELETE", "/api-keys/"+url.PathEscape(xss), "", ""), 404, ""},
		{"status source: unknown provider", func() *http.Request { return e.admin("POST", "/status-sources", map[string]string{"provider": xss}) }, 400, "provider must be"},
		{"status source: a name with a line break", func() *http.Request {
			return e.admin("POST", "/status-sources", map[string]string{"provider": "push", "name": "a\nb"})
		}, 400, "name must be one line"},
		{"status source: a 101-character name", func() *http.Request {
			return e.admin("POST", "/status-sources", map[string]string{"provider": "push", "name": strings.Repeat("n", 101)})
		}, 400, "name is longer"},
	})

	// The store's own address is held to the same rule when it is the
	// recipient.
	if err := e.db.UpdateShopProfile(context.Background(), shop, app.ShopProfile{Name: "Acme", Email: "me@acme.example\r\nBcc: all@evil.example"}); err != nil {
		t.Fatal(err)
	}
	e.check(t, []probe{{"test send: the store's address with CR/LF", func() *http.Request {
		return e.admin("POST", "/notifications/test", map[string]any{"event": "shipped"})
	}, 400, "the store's email address must be one email address"}})
	if err := e.db.UpdateShopProfile(context.Background(), shop, app.ShopProfile{Name: "Acme", Email: "hola@acme.example"}); err != nil {
		t.Fatal(err)
	}
	// Good writes beside the bad still work.
	e.check(t, []probe{
		{"edit: a good carrier", patch(map[string]string{"carrier": "UPS", "tracking_url": "https://www.ups.com/track?n=RB123456785ES"}), 200, `"carrier":"UPS"`},
		{"test send: a plain address", func() *http.Request {
			return e.admin("POST", "/notifications/test", map[string]any{"event": "shipped", "to": "me@acme.example"})
		}, 200, "me@acme.example"},
		{"settings: text and placeholders", settings(templ("intro", "Hola {{.CustomerFirstName}}, {{.OrderName}} va con {{.Carrier}}.")), 200, ""},
	})
}

// sessionTokens are the admin's credentials: every claim wrong in turn.
func (e *hostileEnv) sessionTokens(t *testing.T) {
	tok := func(mutate func(jwt.MapClaims)) func() *http.Request {
		return func() *http.Request {
			return e.request("GET", "/api/admin/stats", e.sessionToken(shop, mutate, apiSecret), "", nil)
		}
	}
	raw := func(token string) func() *http.Request {
		return func() *http.Request { return e.request("GET", "/api/admin/stats", token, "", nil) }
	}
	now := time.Now()
	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"iss": "https://" + shop + "/admin", "dest": "https://" + shop, "aud": apiKey,
		"exp": now.Add(time.Minute).Unix()})
	unsigned, err := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	hs512, err := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims{"iss": "https://" + shop + "/admin", "dest": "https://" + shop, "aud": apiKey,
		"exp": now.Add(time.Minute).Unix()}).SignedString([]byte(apiSecret))
	if err != nil {
		t.Fatal(err)
	}
	e.check(t, []probe{
		{"token: iat an hour ahead", tok(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Hour).Unix() }), 401, "not valid"},
		{"token: iat a minute ahead", tok(func(c jwt.MapClaims) { c["iat"] = now.Add(time.Minute).Unix() }), 401, "not valid"},
		{"token: iat not a number", tok(func(c jwt.MapClaims) { c["iat"] = xss }), 401, ""},
		{"token: nbf an hour ahead", tok(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }), 401, ""},
		{"token: expired", tok(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() }), 401, ""},
		{"token: no exp", tok(func(c jwt.MapClaims) { delete(c, "exp") }), 401, ""},
		{"token: another app", tok(func(c jwt.MapClaims) { c["aud"] = xss }), 401, ""},
		{"token: dest not a shop", tok(func(c jwt.MapClaims) { c["dest"] = "https://" + xss }), 401, "names no shop"},
		{"token: iss of another shop", tok(func(c jwt.MapClaims) { c["iss"] = "https://rival.myshopify.com/admin" }), 401, ""},
		{"token: alg none", raw(unsigned), 401, ""},
		{"token: HS512", raw(hs512), 401, ""},
		{"token: not a JWT", raw(xss), 401, ""},
		{"token: three dots", raw("a.b.c"), 401, ""},
		{"token: empty", raw(""), 401, "session token"},
		// Within the leeway, clocks a few seconds apart still work.
		{"token: iat 5 s ahead", tok(func(c jwt.MapClaims) { c["iat"] = now.Add(5 * time.Second).Unix() }), 200, ""},
	})
}

// webhooks: the intake's checks on headers and body, then a fulfillment
// whose link is javascript:, processed as the worker would.
func (e *hostileEnv) webhooks(t *testing.T) {
	hook := func(mutate func(h http.Header), body []byte) func() *http.Request {
		return func() *http.Request {
			req := e.request("POST", "/webhooks", "", "application/json", bytes.NewReader(body))
			req.Header.Set("X-Shopify-Topic", "fulfillments/create")
			req.Header.Set("X-Shopify-Hmac-Sha256", shopifyfake.SignWebhook(apiSecret, body))
			req.Header.Set("X-Shopify-Shop-Domain", shop)
			req.Header.Set("X-Shopify-API-Version", "2026-10")
			req.Header.Set("X-Shopify-Webhook-Id", app.NewID())
			req.Header.Set("X-Shopify-Event-Id", app.NewID())
			if mutate != nil {
				mutate(req.Header)
			}
			return req
		}
	}
	fulfillment := mustJSON(t, map[string]any{"id": 880001, "order_id": 700, "status": "success", "tracking_company": "UPS",
		"tracking_numbers": []string{"UPSWEBHOOK0001", "RB123456851ES"},
		"tracking_urls":    []string{"javascript:alert(document.domain)", "https://www.correos.es/RB123456851ES"},
		"line_items":       []map[string]any{{"id": 7000, "sku": "MUG-01", "title": "Taza", "quantity": 1}}})
	e.check(t, []probe{
		{"webhook: no signature", hook(func(h http.Header) { h.Del("X-Shopify-Hmac-Sha256") }, fulfillment), 401, ""},
		{"webhook: a forged signature", hook(func(h http.Header) { h.Set("X-Shopify-Hmac-Sha256", xss) }, fulfillment), 401, ""},
		{"webhook: no topic", hook(func(h http.Header) { h.Del("X-Shopify-Topic") }, fulfillment), 400, "X-Shopify-Topic"},
		{"webhook: no API version", hook(func(h http.Header) { h.Del("X-Shopify-API-Version") }, fulfillment), 400, "API-Version"},
		{"webhook: a shop that is not one", hook(func(h http.Header) { h.Set("X-Shopify-Shop-Domain", xss) }, fulfillment), 400, "not a Shopify shop domain"},
		{"webhook: no ids", hook(func(h http.Header) { h.Del("X-Shopify-Webhook-Id"); h.Del("X-Shopify-Event-Id") }, fulfillment), 400, ""},
		{"webhook: a body over 4 MiB", hook(nil, make([]byte, 4<<20+1)), 413, ""},
		{"webhook: an unknown topic", hook(func(h http.Header) { h.Set("X-Shopify-Topic", xss) }, fulfillment), 200, ""},
		{"webhook: a javascript: link", hook(nil, fulfillment), 200, ""},
	})
	// The worker's side: the delivery processed through the real handler.
	d := app.WebhookDelivery{Shop: shop, Topic: "fulfillments/create", EventID: app.NewID(), APIVersion: "2026-10", ResourceID: "880001", Body: fulfillment}
	if err := e.Webhooks.Process(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	for number, link := range map[string]string{"UPSWEBHOOK0001": "", "RB123456851ES": "https://www.correos.es/RB123456851ES"} {
		s := e.find(t, number)
		if s == nil || s.Source != app.SourceShopify || s.TrackingURL != link {
			t.Errorf("parcel %s from the webhook: %+v, want link %q", number, s, link)
		}
	}
	// And the admin's answer carries no javascript: link either.
	a := e.send(e.request("GET", "/api/admin/shipments?q=UPSWEBHOOK0001&source=shopify", e.acme, "", nil))
	if a.code != 200 || strings.Contains(string(a.body), "javascript:") {
		t.Errorf("the admin's list: %d %s", a.code, a.body)
	}
}

// publicPages: the app proxy's tracking page, unsubscribe links, the OAuth
// start and callback, the carrier status feeds.
func (e *hostileEnv) publicPages(t *testing.T) {
	proxy := func(params url.Values) func() *http.Request {
		return func() *http.Request {
			params.Set("timestamp", strconv.FormatInt(time.Now().Unix(), 10))
			if params.Get("shop") == "" {
				params.Set("shop", shop)
			}
			params.Set("signature", shopifyfake.SignProxy(apiSecret, params))
			req := e.request("GET", "/proxy/track?"+params.Encode(), "", "", nil)
			req.Header.Set("X-Forwarded-For", "203.0.113."+strconv.Itoa(len(params.Encode())%200))
			return req
		}
	}
	get := func(path string) func() *http.Request {
		return func() *http.Request { return e.request("GET", path, "", "", nil) }
	}
	post := func(path, body string) func() *http.Request {
		return func() *http.Request { return e.request("POST", path, "", "application/json", strings.NewReader(body)) }
	}
	callback := func(params url.Values) func() *http.Request {
		return func() *http.Request {
			return get("/auth/callback?" + shopifyfake.SignQuery(apiSecret, params).Encode())()
		}
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	e.check(t, []probe{
		{"track: unsigned", get("/proxy/track?shop=" + shop + "&order=" + url.QueryEscape(xss)), 403, ""},
		{"track: a forged signature", get("/proxy/track?shop=" + shop + "&timestamp=" + ts + "&signature=" + url.QueryEscape(xss)), 403, ""},
		{"track: markup in order and email", proxy(url.Values{"order": {xss}, "email": {xss + "@x.example"}}), 200, "&lt;script&gt;"},
		{"track: a 10,000-character order", proxy(url.Values{"order": {strings.Repeat("9", 10000)}, "email": {"a@b.example"}}), 200, ""},
		{"track: NUL in the order", proxy(url.Values{"order": {"#10\x0001"}, "email": {"a@b.example"}}), 200, ""},
		// A path_prefix that is not a path on the store is not used: the
		// forms post to the store's /apps/track.
		{"track: a javascript: form action", proxy(url.Values{"path_prefix": {"javascript:alert(document.domain)"}}), 200, `action="/apps/track"`},
		{"track: a protocol-relative form action", proxy(url.Values{"path_prefix": {"//evil.example/x"}}), 200, `action="/apps/track"`},
		{"track: a forged order token", proxy(url.Values{"t": {xss}}), 200, ""},
		{"track: a shop that is not one", proxy(url.Values{"shop": {xss}}), 403, ""},
		{"unsubscribe: a forged token", get("/unsubscribe/" + url.PathEscape(xss) + "?l=" + url.QueryEscape(xss)), 400, "not valid"},
		{"unsubscribe: a 10 KB token", get("/unsubscribe/" + strings.Repeat("A", 10000)), 400, ""},
		{"unsubscribe: one-click with a forged token", post("/unsubscribe/"+url.PathEscape(xss), ""), 400, ""},
		{"auth: a shop that is not one", get("/auth?shop=" + url.QueryEscape(xss)), 400, "not a Shopify shop domain"},
		{"auth: no shop", get("/auth"), 400, ""},
		{"callback: no parameters", get("/auth/callback"), 400, "missing"},
		{"callback: a forged hmac", get("/auth/callback?code=c&shop=" + shop + "&state=s&timestamp=" + ts + "&hmac=" + url.QueryEscape(xss)), 401, ""},
		{"callback: a shop that is not one", callback(url.Values{"code": {"c"}, "shop": {xss}, "state": {"s"}, "timestamp": {ts}}), 400, ""},
		{"callback: a timestamp that is not one", callback(url.Values{"code": {"c"}, "shop": {shop}, "state": {"s"}, "timestamp": {xss}}), 400, "timestamp"},
		{"callback: a state not issued here", callback(url.Values{"code": {xss}, "shop": {shop}, "state": {xss}, "timestamp": {ts}}), 403, ""},
		{"status feed: an unknown provider", post("/carriers/"+url.PathEscape(xss)+"/x", "{}"), 404, ""},
		{"status feed: an unknown source", post("/carriers/push/%00", "{}"), 401, ""},
		{"status feed: a body over 1 MiB", post("/carriers/push/x", strings.Repeat(" ", 1<<20+1)), 413, ""},
	})
}

var intakeNumber = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{3,59}$`)

// storeHoldsOnlyWhatIntakeAccepts reads back every shipment, key, source
// and setting: none holds a value intake refuses.
func (e *hostileEnv) storeHoldsOnlyWhatIntakeAccepts(t *testing.T) {
	ctx := context.Background()
	for domain, s := range e.shops {
		for page := 1; ; page++ {
			list, err := e.db.ListShipments(ctx, s.ID, app.ShipmentFilter{Page: page, PerPage: 200})
			if err != nil {
				t.Fatal(err)
			}
			for _, sh := range list.Shipments {
				problems := []string{
					app.TextProblem("order", sh.OrderName, app.MaxOrderLength), app.TextProblem("carrier", sh.Carrier, app.MaxCarrierLength),
				}
				if sh.TrackingURL != "" {
					problems = append(problems, app.TrackingURLProblem(sh.TrackingURL))
				}
				if sh.Source != app.SourceShopify && !intakeNumber.MatchString(sh.TrackingNumber) {
					problems = append(problems, "tracking_number")
				}
				for _, li := range sh.LineItems {
					problems = append(problems, app.TextProblem("sku", li.SKU, app.MaxSKULength))
				}
				if p := strings.Join(problems, ""); p != "" {
					t.Errorf("%s: stored shipment %s (%s) holds what intake refuses: %s", domain, sh.ID, sh.Source, p)
				}
			}
			if page*200 >= int(list.Total) {
				break
			}
		}
		keys, err := e.db.APIKeys(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if p := app.TextProblem("name", k.Name, app.MaxNameLength); p != "" {
				t.Errorf("%s: stored key name: %s", domain, p)
			}
		}
		settings, err := e.db.NotificationSettings(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Emails.ValidateSettings(settings); err != nil {
			t.Errorf("%s: stored settings fail their own validation: %v", domain, err)
		}
	}
	var names []string
	if err := e.db.Gorm().Raw("SELECT name FROM status_sources").Scan(&names).Error; err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if p := app.TextProblem("name", n, app.MaxNameLength); p != "" {
			t.Errorf("stored status source name: %s", p)
		}
	}
}

// find returns acme's shipment with number, or nil.
func (e *hostileEnv) find(t *testing.T, number string) *app.Shipment {
	t.Helper()
	list, err := e.db.ListShipments(context.Background(), e.shops[shop].ID, app.ShipmentFilter{Query: number})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list.Shipments {
		if s.TrackingNumber == number {
			return &s
		}
	}
	return nil
}

func (e *hostileEnv) mustHave(t *testing.T, numbers ...string) {
	t.Helper()
	for _, n := range numbers {
		if e.find(t, n) == nil {
			t.Errorf("the good row %s beside bad ones did not land", n)
		}
	}
}

func (e *hostileEnv) count(t *testing.T) int64 {
	t.Helper()
	list, err := e.db.ListShipments(context.Background(), e.shops[shop].ID, app.ShipmentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return list.Total
}
