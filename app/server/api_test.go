package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/wiring/wiringtest"
)

type apiEnv struct {
	*wiringtest.Harness
	t     *testing.T
	url   string
	db    *store.DB
	fake  *shopifyfake.Store
	shops map[string]*app.Shop
	keys  map[string]string
}

// newAPIEnv runs the server (no worker) with two installed shops, each with
// a supplier key and an order #1001.
func newAPIEnv(t *testing.T, opts wiringtest.Options) *apiEnv {
	opts.RedisDB = 1
	h := wiringtest.New(t, opts)
	e := &apiEnv{Harness: h, t: t, url: h.URL, db: h.DB, fake: h.Fake, shops: map[string]*app.Shop{}, keys: map[string]string{}}
	ctx := context.Background()
	for i, domain := range []string{"acme.myshopify.com", "rival.myshopify.com"} {
		s := h.Install(domain)
		e.shops[domain] = s
		key, _, err := h.DB.CreateAPIKey(ctx, domain, "supplier")
		if err != nil {
			t.Fatal(err)
		}
		e.keys[domain] = key
		if _, err := h.DB.SaveOrder(ctx, app.Order{ID: int64(700 + i), ShopID: s.ID, Name: "#1001", ShopifyUpdatedAt: time.Now(),
			LineItems: []app.LineItem{{ID: int64(7000 + i), SKU: "MUG-01", Title: "Taza", Quantity: 2, FulfillableQuantity: 2}}}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *apiEnv) do(method, path, auth, contentType string, body []byte) (int, map[string]any) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	b := readBody(e.t, resp)
	var out map[string]any
	if len(b) > 0 { // 204 and the like have none
		if err := json.Unmarshal(b, &out); err != nil {
			e.t.Fatalf("%s %s: HTTP %d, not JSON: %v: %s", method, path, resp.StatusCode, err, b)
		}
	}
	return resp.StatusCode, out
}

func TestTrackingAPI(t *testing.T) {
	e := newAPIEnv(t, wiringtest.Options{})
	key := e.keys["acme.myshopify.com"]
	post := func(auth, body string) (int, map[string]any) {
		return e.do("POST", "/api/v1/tracking", auth, "application/json", []byte(body))
	}
	if code, _ := post("", `{}`); code != 401 {
		t.Fatalf("no key: %d", code)
	}
	if code, _ := post("wbk_forged", `{}`); code != 401 {
		t.Fatalf("bad key: %d", code)
	}
	if code, body := post(key, `order=1001`); code != 400 || !strings.Contains(fmt.Sprint(body["message"]), "JSON") {
		t.Fatalf("not JSON: %d %v", code, body)
	}
	// One object.
	code, body := post(key, `{"order": "#1001", "tracking_number": "1Z5R89390357567127"}`)
	results, _ := body["results"].([]any)
	if code != 202 || len(results) != 1 || results[0].(map[string]any)["status"] != "accepted" || results[0].(map[string]any)["shipment_id"] == "" {
		t.Fatalf("one row: %d %v", code, body)
	}
	// A batch mixing good and bad rows: each judged alone.
	batch := `[
	  {"order": "#1001", "tracking_number": "1Z5R89390357567127"},
	  {"order": 700, "tracking_number": "RB123456785ES", "line_items": [{"sku": "MUG-01", "quantity": 1}], "notify_customer": false},
	  {"order": "#1001"},
	  {"order": "#1001", "tracking_number": "LX123456785CN", "line_items": [{"sku": "MUG-01", "quantity": "2"}]},
	  {"order": "#1001", "tracking_number": "LX123456785CN", "line_items": [{"quantity": 1}]},
	  {"order": "#1001", "tracking_number": "LX123456785CN", "trackng_url": "x"},
	  {"order": true, "tracking_number": "LX123456785CN"},
	  "not an object",
	  {"order": "#1001", "tracking_number": "LX123456785CN", "line_items": [{"sku": "NOPE", "quantity": 1}]},
	  {"order": "#1001", "tracking_number": "LX 1234 5678 5CN", "carrier": "china post"}
	]`
	code, body = post(key, batch)
	results, _ = body["results"].([]any)
	// Every rejection carries a code the admin can put in the merchant's
	// language, whether the row was unreadable JSON or broke a rule.
	want := []struct{ status, err, code string }{
		{"duplicate", "", ""}, {"accepted", "", ""}, {"rejected", "tracking_number is required", "tracking_number_required"},
		{"rejected", "line_items[0].quantity must be a whole number above 0", "line_quantity_invalid"},
		{"rejected", "line_items[0] needs a sku or a line_item_id", "line_needs_item"},
		{"rejected", `unknown field "trackng_url"`, "unknown_field"}, {"rejected", "order must be", "order_invalid"},
		{"rejected", "each row must be a JSON object", "row_not_object"},
		{"rejected", `order #1001 has no line with sku "NOPE"`, "order_has_no_sku"}, {"accepted", "", ""},
	}
	if code != 202 || len(results) != len(want) {
		t.Fatalf("batch: %d %v", code, body)
	}
	for i, w := range want {
		r := results[i].(map[string]any)
		if r["status"] != w.status || !strings.Contains(fmt.Sprint(r["error"]), w.err) || int(r["index"].(float64)) != i ||
			(w.code != "" && r["error_code"] != w.code) {
			t.Errorf("row %d: %v, want %s %q %s", i, r, w.status, w.err, w.code)
		}
	}
	if p, _ := results[5].(map[string]any)["error_params"].(map[string]any); p["field"] != "trackng_url" {
		t.Errorf("the unknown field is not named in the params: %v", results[5])
	}
	// Too many rows.
	var many []string
	for i := 0; i <= shipping.MaxBatch; i++ {
		many = append(many, fmt.Sprintf(`{"order":"#1001","tracking_number":"YT23000123456%05d"}`, i))
	}
	if code, _ := post(key, "["+strings.Join(many, ",")+"]"); code != 413 {
		t.Fatalf("1,001 rows: %d", code)
	}
	// The rival shop's key never lands in acme's orders: its #1001 is its own.
	code, body = post(e.keys["rival.myshopify.com"], `{"order": "#1001", "tracking_number": "1Z5R89390357567127"}`)
	r := body["results"].([]any)[0].(map[string]any)
	s, err := e.db.ShipmentByID(context.Background(), fmt.Sprint(r["shipment_id"]))
	if err != nil {
		t.Fatalf("rival shop: %d %v: %v", code, r, err)
	}
	if code != 202 || r["status"] != "accepted" || s.ShopID != e.shops["rival.myshopify.com"].ID || s.OrderID != 701 {
		t.Fatalf("rival shop: %d %v %+v", code, r, s)
	}
}

func (e *apiEnv) sessionToken(shop string, mutate func(jwt.MapClaims), secret string) string {
	now := time.Now()
	claims := jwt.MapClaims{"iss": "https://" + shop + "/admin", "dest": "https://" + shop, "aud": apiKey, "sub": "1",
		"exp": now.Add(time.Minute).Unix(), "nbf": now.Add(-time.Second).Unix(), "iat": now.Unix(), "jti": "x", "sid": "y"}
	if mutate != nil {
		mutate(claims)
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func TestAdminAPIAuthAndTenantIsolation(t *testing.T) {
	e := newAPIEnv(t, wiringtest.Options{})
	acme := e.sessionToken("acme.myshopify.com", nil, apiSecret)
	bad := map[string]string{
		"expired":         e.sessionToken("acme.myshopify.com", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() }, apiSecret),
		"wrong audience":  e.sessionToken("acme.myshopify.com", func(c jwt.MapClaims) { c["aud"] = "another-app" }, apiSecret),
		"wrong signature": e.sessionToken("acme.myshopify.com", nil, "not-the-secret"),
		"no shop":         e.sessionToken("acme.myshopify.com", func(c jwt.MapClaims) { c["dest"] = "https://evil.com" }, apiSecret),
		"not yet valid":   e.sessionToken("acme.myshopify.com", func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() }, apiSecret),
		"issued later":    e.sessionToken("acme.myshopify.com", func(c jwt.MapClaims) { c["iat"] = time.Now().Add(time.Minute).Unix() }, apiSecret),
		"foreign issuer":  e.sessionToken("acme.myshopify.com", func(c jwt.MapClaims) { c["iss"] = "https://rival.myshopify.com/admin" }, apiSecret),
		"none":            "",
	}
	endpoints := []struct{ method, path string }{
		{"GET", "/api/admin/shipments"}, {"POST", "/api/admin/shipments"}, {"GET", "/api/admin/shipments/x"},
		{"PATCH", "/api/admin/shipments/x"}, {"POST", "/api/admin/shipments/x/retry"}, {"POST", "/api/admin/shipments/x/resend"},
		{"POST", "/api/admin/imports"}, {"GET", "/api/admin/stats"}, {"GET", "/api/admin/api-keys"}, {"POST", "/api/admin/api-keys"},
		{"DELETE", "/api/admin/api-keys/x"}, {"GET", "/api/admin/notifications"}, {"GET", "/api/admin/notifications/settings"},
		{"PUT", "/api/admin/notifications/settings"}, {"POST", "/api/admin/notifications/preview"}, {"POST", "/api/admin/notifications/test"},
		{"POST", "/api/admin/status-sources"},
	}
	for name, tok := range bad {
		for _, ep := range endpoints {
			if code, _ := e.do(ep.method, ep.path, tok, "application/json", []byte(`{}`)); code != 401 {
				t.Errorf("%s token on %s %s: %d, want 401", name, ep.method, ep.path, code)
			}
		}
	}

	// Manual entry for acme, then the list, detail, edit and retry.
	code, body := e.do("POST", "/api/admin/shipments", acme, "application/json", []byte(`{"order":"#1001","tracking_number":"RB123456785ES"}`))
	if code != 200 {
		t.Fatalf("manual entry: %d %v", code, body)
	}
	id := fmt.Sprint(body["results"].([]any)[0].(map[string]any)["shipment_id"])
	rivalID := ""
	{
		rival := e.sessionToken("rival.myshopify.com", nil, apiSecret)
		_, body := e.do("POST", "/api/admin/shipments", rival, "application/json", []byte(`{"order":"#1001","tracking_number":"LX123456785CN"}`))
		rivalID = fmt.Sprint(body["results"].([]any)[0].(map[string]any)["shipment_id"])
	}
	code, body = e.do("GET", "/api/admin/shipments?state=pending", acme, "", nil)
	list, _ := body["shipments"].([]any)
	if code != 200 || len(list) != 1 || list[0].(map[string]any)["id"] != id {
		t.Fatalf("list: %d %v", code, body)
	}
	if code, _ := e.do("GET", "/api/admin/shipments?state=lost", acme, "", nil); code != 400 {
		t.Fatalf("bad state filter: %d", code)
	}
	if code, body := e.do("GET", "/api/admin/shipments?q=rb1234", acme, "", nil); code != 200 || len(body["shipments"].([]any)) != 1 {
		t.Fatalf("search: %d %v", code, body)
	}
	if code, body := e.do("GET", "/api/admin/shipments/"+id, acme, "", nil); code != 200 || len(body["history"].([]any)) != 1 {
		t.Fatalf("detail: %d %v", code, body)
	}
	// Another shop's shipment does not exist for acme, whatever the action.
	for _, req := range []struct{ method, path, body string }{
		{"GET", "/api/admin/shipments/" + rivalID, ""},
		{"PATCH", "/api/admin/shipments/" + rivalID, `{"carrier":"UPS"}`},
		{"POST", "/api/admin/shipments/" + rivalID + "/retry", ""},
	} {
		if code, _ := e.do(req.method, req.path, acme, "application/json", []byte(req.body)); code != 404 {
			t.Errorf("%s %s across shops: %d, want 404", req.method, req.path, code)
		}
	}
	code, body = e.do("PATCH", "/api/admin/shipments/"+id, acme, "application/json", []byte(`{"tracking_number":"LX123456785CN"}`))
	if code != 200 || body["shipment"].(map[string]any)["carrier"] != "China Post" {
		t.Fatalf("edit: %d %v", code, body)
	}
	if code, body := e.do("PATCH", "/api/admin/shipments/"+id, acme, "application/json", []byte(`{"tracking_number":"??"}`)); code != 400 {
		t.Fatalf("bad edit: %d %v", code, body)
	}
	if err := e.db.SetShipmentState(context.Background(), id, app.ShipmentFailed, "Shopify said no", app.EventFailed, "Shopify said no"); err != nil {
		t.Fatal(err)
	}
	code, body = e.do("POST", "/api/admin/shipments/"+id+"/retry", acme, "", nil)
	if code != 200 || body["shipment"].(map[string]any)["state"] != "pending" {
		t.Fatalf("retry: %d %v", code, body)
	}
	// CSV upload as a form.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, err := mw.CreateFormFile("file", "tracking.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write([]byte("order,tracking_number\n#1001,YT2300012345678901\n#1001,\n")); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	code, body = e.do("POST", "/api/admin/imports", acme, mw.FormDataContentType(), form.Bytes())
	if code != 200 || body["accepted"] != float64(1) || body["rejected"] != float64(1) {
		t.Fatalf("upload: %d %v", code, body)
	}
	// The same upload as a plain text/csv body.
	code, body = e.do("POST", "/api/admin/imports", acme, "text/csv", []byte("order;tracking_number\n#1001;UG123456789YW\n"))
	if code != 200 || body["accepted"] != float64(1) {
		t.Fatalf("text/csv upload: %d %v", code, body)
	}
	// Resend: only once the shipment is in Shopify; then a new email is queued.
	if code, _ := e.do("POST", "/api/admin/shipments/"+id+"/resend", acme, "", nil); code != 409 {
		t.Fatalf("resend before Shopify: %d", code)
	}
	if err := e.db.SetShipmentState(context.Background(), id, app.ShipmentSynced, "", "", ""); err != nil {
		t.Fatal(err)
	}
	code, body = e.do("POST", "/api/admin/shipments/"+id+"/resend", acme, "", nil)
	if n, _ := body["notification"].(map[string]any); code != 202 || n["status"] != "queued" || n["shipment_id"] != id {
		t.Fatalf("resend: %d %v", code, body)
	}
	code, body = e.do("GET", "/api/admin/stats", acme, "", nil)
	if week := body["last_7_days"].(map[string]any); code != 200 || week["pending"] != float64(2) || week["synced"] != float64(1) || week["awaiting_tracking"] != float64(0) ||
		len(body["activity"].([]any)) < 3 {
		t.Fatalf("stats: %d %v", code, body)
	}
	// Supplier keys: created (shown once), listed without the key, revoked.
	code, body = e.do("POST", "/api/admin/api-keys", acme, "application/json", []byte(`{"name":"Proveedor Shenzhen"}`))
	key, _ := body["key"].(string)
	if code != 201 || !strings.HasPrefix(key, "wbk_") {
		t.Fatalf("create key: %d %v", code, body)
	}
	keyID := body["api_key"].(map[string]any)["id"].(string)
	code, body = e.do("GET", "/api/admin/api-keys", acme, "", nil)
	if code != 200 || strings.Contains(fmt.Sprint(body), key) || len(body["api_keys"].([]any)) != 2 {
		t.Fatalf("list keys: %d %v", code, body)
	}
	if code, _ := e.do("POST", "/api/v1/tracking", key, "application/json", []byte(`{"order":"#1001","tracking_number":"UG123456789YW"}`)); code != 202 {
		t.Fatalf("new key: %d", code)
	}
	rival := e.sessionToken("rival.myshopify.com", nil, apiSecret)
	if code, _ := e.do("DELETE", "/api/admin/api-keys/"+keyID, rival, "", nil); code != 404 {
		t.Fatalf("revoking another shop's key: %d", code)
	}
	if code, _ := e.do("DELETE", "/api/admin/api-keys/"+keyID, acme, "", nil); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	if code, _ := e.do("POST", "/api/v1/tracking", key, "application/json", []byte(`{"order":"#1001","tracking_number":"UG123456780YW"}`)); code != 401 {
		t.Fatalf("revoked key still works: %d", code)
	}
	if code, _ := e.do("GET", "/api/admin/shipments?carrier=Correos&from=2020-01-01&to=2099-01-01", acme, "", nil); code != 200 {
		t.Fatalf("filters: %d", code)
	}
	if code, _ := e.do("GET", "/api/admin/shipments?from=yesterday", acme, "", nil); code != 400 {
		t.Fatalf("bad date: %d", code)
	}
}

func TestAdminTokenExchangeInstallsTheShop(t *testing.T) {
	e := newAPIEnv(t, wiringtest.Options{})
	e.fake.AddShop(shopifyfake.Shop{Domain: "newcomer.myshopify.com"})
	tok := e.sessionToken("newcomer.myshopify.com", nil, apiSecret)
	if code, body := e.do("GET", "/api/admin/shipments", tok, "", nil); code != 200 {
		t.Fatalf("first open of a Shopify-managed install: %d %v", code, body)
	}
	s, err := e.db.ShopByDomain(context.Background(), "newcomer.myshopify.com")
	if err != nil || !s.Active() || s.Token.RefreshToken == "" {
		t.Fatalf("token exchange: %+v %v", s, err)
	}
	if e.fake.Calls("grant:urn:ietf:params:oauth:grant-type:token-exchange") != 1 {
		t.Fatal("no token exchange reached the store")
	}
	e.do("GET", "/api/admin/shipments", tok, "", nil)
	if e.fake.Calls("grant:urn:ietf:params:oauth:grant-type:token-exchange") != 1 {
		t.Fatal("an installed shop exchanged its token again")
	}
	// A store that refuses the exchange: an error to the app, no shop saved.
	stranger := e.sessionToken("stranger.myshopify.com", nil, apiSecret)
	if code, body := e.do("GET", "/api/admin/shipments", stranger, "", nil); code < 400 || code >= 500 && code != 503 {
		t.Fatalf("refused token exchange: %d %v", code, body)
	}
	if _, err := e.db.ShopByDomain(context.Background(), "stranger.myshopify.com"); app.ErrorCodeOf(err) != app.ErrNotFound {
		t.Fatalf("a refused exchange saved a shop: %v", err)
	}
}
