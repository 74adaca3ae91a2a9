package shopifyfake_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/config"
)

func orderGID(id int64) string { return fmt.Sprintf("gid://shopify/Order/%d", id) }

// Documents real Shopify would refuse are refused before anything runs: 200
// with top-level errors and no data.
func TestInvalidDocumentsAreRefusedLikeShopify(t *testing.T) {
	h := newHarness(t)
	o := h.store.CreateOrder(shop, shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "A", Quantity: 1}}})
	cases := []struct {
		name, query string
		vars        map[string]any
		want        string
	}{
		{"unknown field", `query($id: ID!) { order(id: $id) { trackingNumber } }`, map[string]any{"id": orderGID(o.ID)},
			"Field 'trackingNumber' doesn't exist on type 'Order'"},
		{"unknown argument", `{ orders(first: 1, name: "#1001") { nodes { id } } }`, nil, "Field 'orders' doesn't accept argument 'name'"},
		{"missing argument", `{ order { id } }`, nil, "Field 'order' is missing required arguments: id"},
		{"wrong literal type", `{ orders(first: "ten") { nodes { id } } }`, nil, "Int cannot represent"},
		{"undeclared variable", `{ order(id: $id) { id } }`, nil, `Variable "$id" is not defined`},
		{"missing variable", `query($id: ID!) { order(id: $id) { id } }`, nil,
			"Variable $id of type ID! was provided invalid value (Expected value to not be null)"},
		{"variable of a wrong shape", `mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { userErrors { message } } }`,
			map[string]any{"f": map[string]any{"lineItemsByFulfillmentOrder": []any{map[string]any{"fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1"}}, "trackingNumber": "X"}},
			"Variable $f of type FulfillmentInput! was provided invalid value for trackingNumber (Field is not defined on FulfillmentInput)"},
		{"a nested missing field", `mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { userErrors { message } } }`,
			map[string]any{"f": map[string]any{"lineItemsByFulfillmentOrder": []any{map[string]any{"fulfillmentOrderLineItems": []any{}}}}},
			"invalid value for lineItemsByFulfillmentOrder.0.fulfillmentOrderId (Expected value to not be null)"},
		{"enum in the wrong case", `mutation($e: FulfillmentEventInput!) { fulfillmentEventCreate(fulfillmentEvent: $e) { userErrors { message } } }`,
			map[string]any{"e": map[string]any{"fulfillmentId": "gid://shopify/Fulfillment/1", "status": "in_transit"}}, "in_transit is not a valid FulfillmentEventStatus"},
	}
	for _, c := range cases {
		r := h.gql(h.token, c.query, c.vars)
		if r.status != 200 || len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, c.want) || r.Data != nil {
			t.Errorf("%s: %d %+v data %v, want an error with %q", c.name, r.status, r.Errors, r.Data, c.want)
		}
	}
	r := h.gql(h.token, `{ shop { nme } }`, nil)
	if r.Errors[0].Extensions["code"] != "undefinedField" || r.Errors[0].Extensions["fieldName"] != "nme" {
		t.Fatalf("extensions: %+v", r.Errors[0].Extensions)
	}
	if h.store.Calls("invalid_query") != len(cases)+1 {
		t.Fatalf("invalid_query counted %d", h.store.Calls("invalid_query"))
	}
	if got := h.store.PointsCharged(shop); got != 0 {
		t.Fatalf("refused documents were charged %v points", got)
	}
	// Shopify wants every connection bounded.
	r = h.gql(h.token, `{ orders { nodes { id } } }`, nil)
	if len(r.Errors) == 0 || r.Errors[0].Message != "you must provide one of first or last" {
		t.Fatalf("unbounded connection: %+v", r.Errors)
	}
}

type accessError struct {
	Message    string         `json:"message"`
	Locations  []any          `json:"locations"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// raw posts a query with a token and returns the decoded answer.
func (h *harness) raw(token, q string, vars map[string]any) (map[string]any, []accessError) {
	h.t.Helper()
	body, err := json.Marshal(map[string]any{"query": q, "variables": vars})
	if err != nil {
		h.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/admin/api/2026-10/graphql.json", bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Host = shop
	req.Header.Set("X-Shopify-Access-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer func() {
		if err := resp.Body.Close(); err != nil {
			h.t.Error(err)
		}
	}()
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []accessError  `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		h.t.Fatal(err)
	}
	return out.Data, out.Errors
}

// A field the token's scopes do not reach is ACCESS_DENIED, null in the
// data, the rest answered.
func TestAccessDeniedWhereScopesDoNotReach(t *testing.T) {
	h := newHarness(t)
	o := h.store.CreateOrder(shop, shopifyfake.NewOrder{Email: "a@example.com", CustomerFirstName: "Ana",
		LineItems: []shopifyfake.NewLineItem{{SKU: "A", Quantity: 1}}})
	noLocations := h.store.IssueOfflineTokenWithScopes(shop, "read_orders,read_customers,write_merchant_managed_fulfillment_orders").AccessToken
	q := `query($id: ID!) { order(id: $id) { name customer { firstName }
  fulfillmentOrders(first: 5) { nodes { id assignedLocation { name location { id } } } } } }`
	data, errs := h.raw(noLocations, q, map[string]any{"id": orderGID(o.ID)})
	if len(errs) != 1 {
		t.Fatalf("errors: %+v", errs)
	}
	e := errs[0]
	if e.Message != "Access denied for location field. Required access: `read_locations` access scope, `read_inventory` access scope or `read_markets_home` access scope." ||
		e.Extensions["code"] != "ACCESS_DENIED" || e.Extensions["documentation"] != "https://shopify.dev/api/usage/access-scopes" ||
		e.Extensions["requiredAccess"] != "`read_locations` access scope, `read_inventory` access scope or `read_markets_home` access scope." ||
		fmt.Sprint(e.Path) != "[order fulfillmentOrders nodes 0 assignedLocation location]" || len(e.Locations) != 1 {
		t.Fatalf("error: %+v", e)
	}
	if path(data, "order", "name") != "#1001" || path(data, "order", "customer", "firstName") != "Ana" ||
		path(data, "order", "fulfillmentOrders", "nodes", 0, "assignedLocation", "name") != "Main warehouse" {
		t.Fatalf("data: %v", data)
	}
	if loc, ok := path(data, "order", "fulfillmentOrders", "nodes", 0, "assignedLocation").(map[string]any); !ok || loc["location"] != nil {
		t.Fatalf("location: %v", path(data, "order", "fulfillmentOrders", "nodes", 0, "assignedLocation"))
	}
	if h.store.Calls("access_denied") != 1 {
		t.Fatal("access_denied not counted")
	}
	// write_orders grants read_orders; read_customers is still missing.
	writer := h.store.IssueOfflineTokenWithScopes(shop, "write_orders").AccessToken
	data, errs = h.raw(writer, `query($id: ID!) { order(id: $id) { name customer { firstName } } }`, map[string]any{"id": orderGID(o.ID)})
	if len(errs) != 1 || fmt.Sprint(errs[0].Path) != "[order customer]" || path(data, "order", "name") != "#1001" {
		t.Fatalf("write_orders: %+v %v", errs, data)
	}
}

// A denied non-null field makes its parent null, up to the nearest nullable
// one, as the GraphQL spec says.
func TestDeniedNonNullFieldsPropagate(t *testing.T) {
	h := newHarness(t)
	o := h.store.CreateOrder(shop, shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "A", Quantity: 1}}})
	tok := h.store.IssueOfflineTokenWithScopes(shop, "read_assigned_fulfillment_orders,read_merchant_managed_fulfillment_orders").AccessToken
	data, errs := h.raw(tok, `query($id: ID!) { fulfillmentOrder(id: $id) { id lineItems(first: 5) { nodes { id lineItem { sku } } } } }`,
		map[string]any{"id": fmt.Sprintf("gid://shopify/FulfillmentOrder/%d", o.FulfillmentOrders[0].ID)})
	if len(errs) != 1 || errs[0].Extensions["code"] != "ACCESS_DENIED" || fmt.Sprint(errs[0].Path) != "[fulfillmentOrder lineItems nodes 0 lineItem]" {
		t.Fatalf("errors: %+v", errs)
	}
	if v, ok := data["fulfillmentOrder"]; !ok || v != nil {
		t.Fatalf("data: %v (LineItem! inside [FulfillmentOrderLineItem!]! inside a non-null connection: the fulfillment order is null)", data)
	}
}

// A mutation the scopes do not allow does not run; one that runs still
// hides what its payload's types need more for.
func TestMutationsNeedTheirWriteScopes(t *testing.T) {
	h := newHarness(t)
	o := h.store.CreateOrder(shop, shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "A", Quantity: 1}}})
	reader := h.store.IssueOfflineTokenWithScopes(shop, "read_orders,read_merchant_managed_fulfillment_orders").AccessToken
	create := `mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { id } userErrors { message } } }`
	vars := map[string]any{"f": map[string]any{"lineItemsByFulfillmentOrder": []any{map[string]any{"fulfillmentOrderId": fmt.Sprintf("gid://shopify/FulfillmentOrder/%d", o.FulfillmentOrders[0].ID)}}}}
	data, errs := h.raw(reader, create, vars)
	if len(errs) != 1 || fmt.Sprint(errs[0].Path) != "[fulfillmentCreate]" || !strings.HasPrefix(errs[0].Message, "Access denied for fulfillmentCreate field.") {
		t.Fatalf("errors: %+v", errs)
	}
	if v, ok := data["fulfillmentCreate"]; !ok || v != nil {
		t.Fatalf("data: %v", data)
	}
	if got, _ := h.store.Order(shop, o.ID); len(got.Fulfillments) != 0 || h.store.Calls("fulfillmentCreate") != 0 {
		t.Fatal("a denied mutation ran")
	}
	data, errs = h.raw(h.token, create, vars)
	if len(errs) != 0 {
		t.Fatalf("default scopes: %+v", errs)
	}
	fid := path(data, "fulfillmentCreate", "fulfillment", "id")
	// write_fulfillments alone: the event is created, but reading it back
	// needs read_orders.
	events := h.store.IssueOfflineTokenWithScopes(shop, "write_fulfillments").AccessToken
	data, errs = h.raw(events, `mutation($e: FulfillmentEventInput!) { fulfillmentEventCreate(fulfillmentEvent: $e) { fulfillmentEvent { id } userErrors { message } } }`,
		map[string]any{"e": map[string]any{"fulfillmentId": fid, "status": "IN_TRANSIT"}})
	if len(errs) != 1 || fmt.Sprint(errs[0].Path) != "[fulfillmentEventCreate fulfillmentEvent]" || path(data, "fulfillmentEventCreate", "userErrors") == nil {
		t.Fatalf("event: %+v %v", errs, data)
	}
	if got, _ := h.store.Order(shop, o.ID); len(got.Fulfillments[0].Events) != 1 {
		t.Fatal("the event was not recorded")
	}
}

// Tokens carry the scopes asked for at authorize, keep them when refreshed,
// and token exchange grants the app's configured scopes.
func TestTokensCarryTheirScopes(t *testing.T) {
	h := newHarness(t)
	if got, ok := h.store.TokenScopes(shop, h.token); !ok || got != config.DefaultScopes {
		t.Fatalf("IssueOfflineToken scopes: %q", got)
	}
	post := func(body map[string]any) map[string]any {
		t.Helper()
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "https://"+shop+"/admin/oauth/access_token", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.store.Handler().ServeHTTP(rec, req)
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || rec.Code != 200 {
			t.Fatalf("token endpoint: %d %s", rec.Code, rec.Body)
		}
		return out
	}
	rec := httptest.NewRecorder()
	h.store.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://"+shop+"/admin/oauth/authorize?client_id=key&scope="+
		url.QueryEscape("read_orders,read_customers")+"&redirect_uri=https://app.example/auth/callback&state=s", nil))
	cb, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	tok := post(map[string]any{"client_id": "key", "client_secret": "hush", "code": cb.Query().Get("code"), "expiring": 1})
	if tok["scope"] != "read_orders,read_customers" {
		t.Fatalf("granted %v", tok["scope"])
	}
	refreshed := post(map[string]any{"client_id": "key", "client_secret": "hush", "grant_type": "refresh_token", "refresh_token": tok["refresh_token"]})
	if got, _ := h.store.TokenScopes(shop, refreshed["access_token"].(string)); got != "read_orders,read_customers" {
		t.Fatalf("refreshed token scopes: %q", got)
	}
	_, errs := h.raw(refreshed["access_token"].(string), `mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {uri: "https://app.example/w"}) { userErrors { message } } }`, nil)
	if len(errs) != 0 {
		t.Fatalf("webhook subscriptions need no scope: %+v", errs)
	}
	o := h.store.CreateOrder(shop, shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "A", Quantity: 1}}})
	_, errs = h.raw(refreshed["access_token"].(string), `query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 1) { nodes { id } } } }`,
		map[string]any{"id": orderGID(o.ID)})
	if len(errs) != 1 || errs[0].Extensions["code"] != "ACCESS_DENIED" {
		t.Fatalf("fulfillment orders without their scope: %+v", errs)
	}
	exchanged := post(map[string]any{"client_id": "key", "client_secret": "hush",
		"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "subject_token": h.store.SessionToken(shop, time.Minute),
		"subject_token_type": "urn:ietf:params:oauth:token-type:id_token", "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token"})
	if exchanged["scope"] != config.DefaultScopes {
		t.Fatalf("token exchange granted %v", exchanged["scope"])
	}
}

// webhookSink collects the webhooks the store sends, by topic.
type webhookSink struct {
	srv    *httptest.Server
	bodies chan [2]string
}

func newSink(t *testing.T) *webhookSink {
	s := &webhookSink{bodies: make(chan [2]string, 50)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading a webhook: %v", err)
		}
		s.bodies <- [2]string{r.Header.Get("X-Shopify-Topic"), string(b)}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *webhookSink) take(t *testing.T, store *shopifyfake.Store) map[string][]map[string]any {
	t.Helper()
	store.Wait()
	out := map[string][]map[string]any{}
	for {
		select {
		case b := <-s.bodies:
			var m map[string]any
			if err := json.Unmarshal([]byte(b[1]), &m); err != nil {
				t.Fatal(err)
			}
			out[b[0]] = append(out[b[0]], m)
		default:
			return out
		}
	}
}

func (h *harness) subscribe(t *testing.T, uri string, topics ...string) {
	t.Helper()
	for _, topic := range topics {
		_, errs := h.raw(h.token, `mutation($t: WebhookSubscriptionTopic!, $u: String!) { webhookSubscriptionCreate(topic: $t, webhookSubscription: {uri: $u}) { userErrors { message } } }`,
			map[string]any{"t": topic, "u": uri})
		if len(errs) != 0 {
			t.Fatal(errs)
		}
	}
}

// The test helpers another engineer's tests use: a fulfillment made
// elsewhere without tracking, cancelled, given several numbers.
func TestFulfillmentsMadeElsewhere(t *testing.T) {
	h := newHarness(t)
	sink := newSink(t)
	h.subscribe(t, sink.srv.URL, "FULFILLMENTS_CREATE", "FULFILLMENTS_UPDATE", "ORDERS_UPDATED")
	o := h.store.CreateOrder(shop, shopifyfake.NewOrder{Email: "a@example.com", CustomerFirstName: "Ana", ShippingCountry: "ES",
		LineItems: []shopifyfake.NewLineItem{{SKU: "A", Title: "Mug", Quantity: 3, Price: "12.50"}, {SKU: "B", Title: "Lamp", Quantity: 1}}})

	// Automatic fulfilment of two mugs, untracked, announced.
	f, err := h.store.CreateFulfillment(shop, o.ID, shopifyfake.NewFulfillment{
		Lines: []shopifyfake.FulfillLine{{LineItemID: o.LineItems[0].ID, Quantity: 2}}, SendWebhooks: true})
	if err != nil {
		t.Fatal(err)
	}
	got := sink.take(t, h.store)
	created := got["fulfillments/create"]
	if len(created) != 1 || len(got["orders/updated"]) != 1 {
		t.Fatalf("webhooks: %v", got)
	}
	w := created[0]
	if w["status"] != "success" || w["tracking_number"] != nil || w["tracking_company"] != nil || fmt.Sprint(w["tracking_numbers"]) != "[]" ||
		w["order_id"] != float64(o.ID) || w["id"] != float64(f.ID) || w["name"] != "#1001.1" || w["email"] != "a@example.com" {
		t.Fatalf("fulfillments/create: %v", w)
	}
	lines := w["line_items"].([]any)
	if len(lines) != 1 || path(lines, 0, "quantity") != float64(2) || path(lines, 0, "sku") != "A" || path(lines, 0, "fulfillable_quantity") != float64(1) ||
		path(lines, 0, "price") != "12.50" || path(lines, 0, "fulfillment_status") != "partial" {
		t.Fatalf("line_items: %v", lines)
	}
	if _, err := h.store.CreateFulfillment(shop, o.ID, shopifyfake.NewFulfillment{
		Lines: []shopifyfake.FulfillLine{{LineItemID: o.LineItems[0].ID, Quantity: 2}}}); err == nil {
		t.Fatal("more than remains was fulfilled")
	}

	// The app adds two parcels to it through the API (numbers and urls).
	r := h.gql(h.token, `mutation($id: ID!, $t: FulfillmentTrackingInput!) { fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $t) {
  fulfillment { status trackingInfo(first: 10) { company number url } fulfillmentLineItems(first: 5) { nodes { id quantity lineItem { id } } } } userErrors { message } } }`,
		map[string]any{"id": fmt.Sprintf("gid://shopify/Fulfillment/%d", f.ID), "t": map[string]any{"company": "Correos",
			"numbers": []any{"RB123456785ES", "RB123456799ES"}, "urls": []any{"https://correos.example/RB123456785ES", "https://correos.example/RB123456799ES"}}})
	fl := path(r.Data, "fulfillmentTrackingInfoUpdate", "fulfillment")
	if len(r.Errors) > 0 || path(fl, "status") != "SUCCESS" || path(fl, "trackingInfo", 1, "number") != "RB123456799ES" ||
		path(fl, "trackingInfo", 1, "url") != "https://correos.example/RB123456799ES" || path(fl, "trackingInfo", 0, "company") != "Correos" ||
		path(fl, "fulfillmentLineItems", "nodes", 0, "quantity") != float64(2) || path(fl, "fulfillmentLineItems", "nodes", 0, "lineItem", "id") != fmt.Sprintf("gid://shopify/LineItem/%d", o.LineItems[0].ID) {
		t.Fatalf("tracking update: %+v %v", r.Errors, r.Data)
	}
	// and a third through the helper, announced
	if _, err := h.store.AddTrackingNumbers(shop, f.ID, []shopifyfake.TrackingInfo{{Company: "Correos", Number: "RB123456802ES"}}, true); err != nil {
		t.Fatal(err)
	}
	w = sink.take(t, h.store)["fulfillments/update"][0]
	if fmt.Sprint(w["tracking_numbers"]) != "[RB123456785ES RB123456799ES RB123456802ES]" || w["tracking_number"] != "RB123456785ES" ||
		fmt.Sprint(w["tracking_urls"]) != "[https://correos.example/RB123456785ES https://correos.example/RB123456799ES ]" {
		t.Fatalf("fulfillments/update: %v", w)
	}

	// Cancelled in the admin: the mugs are to fulfil again.
	if _, err := h.store.CancelFulfillment(shop, f.ID, true); err != nil {
		t.Fatal(err)
	}
	got = sink.take(t, h.store)
	if w := got["fulfillments/update"]; len(w) != 1 || w[0]["status"] != "cancelled" {
		t.Fatalf("cancel webhook: %v", got)
	}
	after, _ := h.store.Order(shop, o.ID)
	if after.FulfillmentOrders[0].LineItems[0].RemainingQuantity != 3 || after.FulfillmentOrders[0].Status != "OPEN" {
		t.Fatalf("after cancel: %+v", after.FulfillmentOrders[0])
	}
	if _, err := h.store.CancelFulfillment(shop, f.ID, false); err == nil {
		t.Fatal("cancelled twice")
	}
	r = h.gql(h.token, orderQuery, map[string]any{"id": orderGID(o.ID)})
	if path(r.Data, "order", "displayFulfillmentStatus") != "UNFULFILLED" {
		t.Fatalf("after cancel: %v", r.Data)
	}

	// Everything left, pending at a fulfillment service; then it succeeds.
	p, err := h.store.CreateFulfillment(shop, o.ID, shopifyfake.NewFulfillment{Status: "pending"})
	if err != nil || p.Status != "PENDING" || len(p.LineItems) != 2 {
		t.Fatalf("pending: %+v %v", p, err)
	}
	if _, err := h.store.SetFulfillmentStatus(shop, p.ID, "success", true); err != nil {
		t.Fatal(err)
	}
	if w := sink.take(t, h.store)["fulfillments/update"]; len(w) != 1 || w[0]["status"] != "success" || w[0]["name"] != "#1001.2" {
		t.Fatalf("status webhook: %v", w)
	}
	// The fulfillmentCancel mutation does what the admin does.
	r = h.gql(h.token, `mutation($id: ID!) { fulfillmentCancel(id: $id) { fulfillment { status displayStatus } userErrors { message } } }`,
		map[string]any{"id": fmt.Sprintf("gid://shopify/Fulfillment/%d", p.ID)})
	if path(r.Data, "fulfillmentCancel", "fulfillment", "status") != "CANCELLED" || path(r.Data, "fulfillmentCancel", "fulfillment", "displayStatus") != "CANCELED" {
		t.Fatalf("fulfillmentCancel: %+v %v", r.Errors, r.Data)
	}
	var body map[string]any
	if err := json.Unmarshal(h.store.FulfillmentWebhook(shop, p.ID), &body); err != nil || body["status"] != "cancelled" {
		t.Fatalf("FulfillmentWebhook: %v %v", body, err)
	}
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func readSample(t *testing.T, topic string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "webhooks", "testdata", "shopify", strings.ReplaceAll(topic, "/", "_")+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The fake's webhook bodies have every key of Shopify's published samples,
// with values of the same JSON kind where the fake has data.
func TestWebhookBodiesHaveTheSamplesKeys(t *testing.T) {
	h := newHarness(t)
	o := h.store.CreateOrder(shop, shopifyfake.NewOrder{Email: "a@example.com", CustomerFirstName: "Ana", ShippingCountry: "ES",
		LineItems: []shopifyfake.NewLineItem{{SKU: "A", Title: "Mug", Quantity: 1}}})
	f, err := h.store.CreateFulfillment(shop, o.ID, shopifyfake.NewFulfillment{Tracking: []shopifyfake.TrackingInfo{{Company: "UPS", Number: "1Z999AA10123456784", URL: "https://ups.example/1Z"}}})
	if err != nil {
		t.Fatal(err)
	}
	var fake map[string]any
	if err := json.Unmarshal(h.store.FulfillmentWebhook(shop, f.ID), &fake); err != nil {
		t.Fatal(err)
	}
	var order map[string]any
	if err := json.Unmarshal(h.store.RESTOrder(shop, o.ID), &order); err != nil {
		t.Fatal(err)
	}
	check := func(what string, sample, got map[string]any) {
		t.Helper()
		for _, k := range keysOf(sample) {
			g, ok := got[k]
			if !ok {
				t.Errorf("%s: no %q (the sample has %v)", what, k, sample[k])
				continue
			}
			if sample[k] != nil && g != nil && reflect.TypeOf(sample[k]) != reflect.TypeOf(g) {
				t.Errorf("%s: %q is %T, the sample's %T", what, k, g, sample[k])
			}
		}
	}
	for _, topic := range []string{"fulfillments/create", "fulfillments/update"} {
		s := readSample(t, topic)
		check(topic, s, fake)
		check(topic+" line_items", path(s, "line_items", 0).(map[string]any), path(fake, "line_items", 0).(map[string]any))
	}
	for _, topic := range []string{"orders/create", "orders/updated"} {
		s := readSample(t, topic)
		check(topic, s, order)
		check(topic+" line_items", path(s, "line_items", 0).(map[string]any), path(order, "line_items", 0).(map[string]any))
		check(topic+" customer", s["customer"].(map[string]any), order["customer"].(map[string]any))
		check(topic+" shipping_address", s["shipping_address"].(map[string]any), order["shipping_address"].(map[string]any))
	}
	fulfilled := path(order, "fulfillments", 0).(map[string]any)
	check("orders/* fulfillments", readSample(t, "fulfillments/create"), fulfilled)
}

// An order's phones reach its webhook body where Shopify puts them (phone,
// shipping_address.phone, customer.phone), and the customer carries no
// sms_marketing_consent: order webhooks dropped it in API 2025-01. The
// Admin API answers the phones and the consent on the customer's default
// phone number, and the customer by id.
func TestOrderPhonesAndSMSConsent(t *testing.T) {
	h := newHarness(t)
	o := h.store.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Lucía", ShippingCountry: "ES", Phone: "612 34 56 78",
		ShippingPhone: "612 00 00 01", CustomerPhone: "+34612345678", SMSConsent: "SUBSCRIBED", BillingCountry: "FR",
		LineItems: []shopifyfake.NewLineItem{{SKU: "A", Title: "Mug", Quantity: 1}}})
	var body map[string]any
	if err := json.Unmarshal(h.store.RESTOrder(shop, o.ID), &body); err != nil {
		t.Fatal(err)
	}
	customer := body["customer"].(map[string]any)
	if body["phone"] != "612 34 56 78" || path(body, "shipping_address", "phone") != "612 00 00 01" || customer["phone"] != "+34612345678" ||
		path(body, "billing_address", "country_code") != "FR" || path(body, "billing_address", "phone") != nil {
		t.Fatalf("webhook body: phone %v, shipping %v, customer %v, billing %v", body["phone"], body["shipping_address"], customer["phone"], body["billing_address"])
	}
	if _, has := customer["sms_marketing_consent"]; has {
		t.Fatalf("the order webhook's customer has sms_marketing_consent: %v", customer)
	}

	r := h.gql(h.token, `query($id: ID!) { order(id: $id) { phone shippingAddress { phone countryCodeV2 } billingAddress { countryCodeV2 }
	  customer { id defaultPhoneNumber { phoneNumber smsMarketingConsent { state } } } } }`, map[string]any{"id": fmt.Sprintf("gid://shopify/Order/%d", o.ID)})
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	order := r.Data["order"]
	if path(order, "phone") != "612 34 56 78" || path(order, "shippingAddress", "phone") != "612 00 00 01" || path(order, "billingAddress", "countryCodeV2") != "FR" ||
		path(order, "customer", "defaultPhoneNumber", "phoneNumber") != "+34612345678" ||
		path(order, "customer", "defaultPhoneNumber", "smsMarketingConsent", "state") != "SUBSCRIBED" {
		t.Fatalf("order: %v", order)
	}
	r = h.gql(h.token, `query($id: ID!) { customer(id: $id) { defaultPhoneNumber { phoneNumber smsMarketingConsent { state } } } }`,
		map[string]any{"id": path(order, "customer", "id")})
	if len(r.Errors) > 0 || path(r.Data["customer"], "defaultPhoneNumber", "smsMarketingConsent", "state") != "SUBSCRIBED" ||
		path(r.Data["customer"], "defaultPhoneNumber", "phoneNumber") != "+34612345678" {
		t.Fatalf("customer: %v %v", r.Data, r.Errors)
	}
}
