package shopifyfake_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/shopifyfake"
)

const shop = "acme.myshopify.com"

type harness struct {
	t     *testing.T
	store *shopifyfake.Store
	srv   *httptest.Server
	token string
	clock *apptest.Clock
}

func newHarness(t *testing.T) *harness {
	clock := apptest.NewClock(time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC))
	store := shopifyfake.New(shopifyfake.Options{APIKey: "key", APISecret: "hush", Clock: clock})
	store.AddShop(shopifyfake.Shop{Domain: shop})
	srv := httptest.NewServer(store.Handler())
	t.Cleanup(srv.Close)
	return &harness{t: t, store: store, srv: srv, token: store.IssueOfflineToken(shop).AccessToken, clock: clock}
}

type gqlResponse struct {
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	Extensions struct {
		Cost struct {
			RequestedQueryCost int `json:"requestedQueryCost"`
			ThrottleStatus     struct {
				CurrentlyAvailable float64 `json:"currentlyAvailable"`
			} `json:"throttleStatus"`
		} `json:"cost"`
	} `json:"extensions"`
	status int
	header http.Header
}

func (h *harness) gql(token, q string, vars map[string]any) gqlResponse {
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
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Access-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	answer, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := resp.Body.Close(); err != nil {
		h.t.Fatal(err)
	}
	var out gqlResponse
	// Only a 200 is a GraphQL answer; a 401, 429 or 503 carries its errors
	// as one string, REST style, and the tests read its status and headers.
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(answer, &out); err != nil {
			h.t.Fatalf("GraphQL answer %s: %v", answer, err)
		}
	}
	out.status, out.header = resp.StatusCode, resp.Header
	return out
}

func path(v any, keys ...any) any {
	for _, k := range keys {
		switch kk := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[kk]
		case int:
			l, _ := v.([]any)
			if kk >= len(l) {
				return nil
			}
			v = l[kk]
		}
	}
	return v
}

const orderQuery = `query($id: ID!) { order(id: $id) { name displayFulfillmentStatus
  fulfillmentOrders(first: 10) { nodes { id status assignedLocation { location { id } }
    lineItems(first: 50) { nodes { id remainingQuantity totalQuantity lineItem { sku } } } } }
  fulfillments { id trackingInfo { company number url } } } }`

func TestAccessTokenIsChecked(t *testing.T) {
	h := newHarness(t)
	if r := h.gql("shpat_wrong", `{ shop { name } }`, nil); r.status != 401 {
		t.Fatalf("wrong token: HTTP %d", r.status)
	}
	if r := h.gql(h.token, `{ shop { name myshopifyDomain } }`, nil); r.status != 200 || path(r.Data, "shop", "myshopifyDomain") != shop {
		t.Fatalf("good token: %d %v", r.status, r.Data)
	}
	h.clock.Advance(61 * time.Minute)
	if r := h.gql(h.token, `{ shop { name } }`, nil); r.status != 401 {
		t.Fatalf("expired token: HTTP %d", r.status)
	}
}

func TestSelectionIsProjectedAndUnknownFieldsFail(t *testing.T) {
	h := newHarness(t)
	o := h.store.CreateOrder(shop, shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "A", Quantity: 2}}})
	r := h.gql(h.token, `query($id: ID!) { order(id: $id) { renamed: name } }`, map[string]any{"id": fmt.Sprintf("gid://shopify/Order/%d", o.ID)})
	if got := r.Data["order"]; fmt.Sprint(got) != "map[renamed:#1001]" {
		t.Fatalf("projection = %v", got)
	}
	r = h.gql(h.token, `{ shop { nme } }`, nil)
	if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "Field 'nme' doesn't exist on type 'Shop'") {
		t.Fatalf("unknown field: %+v", r.Errors)
	}
}

func TestFulfillmentCreateTakesQuantitiesAndEnforcesRules(t *testing.T) {
	h := newHarness(t)
	warehouse := h.store.LocationIDs(shop)[0]
	supplier := h.store.AddLocation(shop, "Supplier")
	o := h.store.CreateOrder(shop, shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{
		{SKU: "A", Quantity: 3, LocationID: warehouse}, {SKU: "B", Quantity: 1, LocationID: supplier}}})
	if len(o.FulfillmentOrders) != 2 {
		t.Fatalf("%d fulfillment orders for two locations", len(o.FulfillmentOrders))
	}
	foA, foB := o.FulfillmentOrders[0], o.FulfillmentOrders[1]
	create := `mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { id status trackingInfo { number company url } } userErrors { field message } } }`
	line := func(fo *shopifyfake.FulfillmentOrder, qty int) map[string]any {
		return map[string]any{"fulfillmentOrderId": fmt.Sprintf("gid://shopify/FulfillmentOrder/%d", fo.ID),
			"fulfillmentOrderLineItems": []any{map[string]any{"id": fmt.Sprintf("gid://shopify/FulfillmentOrderLineItem/%d", fo.LineItems[0].ID), "quantity": qty}}}
	}

	// Two locations in one fulfillment: refused, nothing changes.
	r := h.gql(h.token, create, map[string]any{"f": map[string]any{"lineItemsByFulfillmentOrder": []any{line(foA, 1), line(foB, 1)}}})
	if msg := path(r.Data, "fulfillmentCreate", "userErrors", 0, "message"); msg != "All fulfillment orders must be assigned to the same location." {
		t.Fatalf("two locations: %v", msg)
	}
	// Partial: 2 of 3.
	r = h.gql(h.token, create, map[string]any{"f": map[string]any{"lineItemsByFulfillmentOrder": []any{line(foA, 2)},
		"trackingInfo": map[string]any{"company": "UPS", "number": "1Z999AA10123456784", "url": "https://ups.example/1Z"}}})
	if path(r.Data, "fulfillmentCreate", "fulfillment", "trackingInfo", 0, "number") != "1Z999AA10123456784" {
		t.Fatalf("partial create: %+v %+v", r.Data, r.Errors)
	}
	got, _ := h.store.Order(shop, o.ID)
	if got.FulfillmentOrders[0].LineItems[0].RemainingQuantity != 1 || got.FulfillmentOrders[0].Status != "IN_PROGRESS" {
		t.Fatalf("after partial: %+v", got.FulfillmentOrders[0])
	}
	// More than remains: refused.
	r = h.gql(h.token, create, map[string]any{"f": map[string]any{"lineItemsByFulfillmentOrder": []any{line(foA, 2)}}})
	if msg := path(r.Data, "fulfillmentCreate", "userErrors", 0, "message"); msg != "Invalid fulfillment order line item quantity requested." {
		t.Fatalf("over quantity: %v", msg)
	}
	// The rest, with no line items named: everything remaining.
	r = h.gql(h.token, create, map[string]any{"f": map[string]any{"lineItemsByFulfillmentOrder": []any{
		map[string]any{"fulfillmentOrderId": fmt.Sprintf("gid://shopify/FulfillmentOrder/%d", foA.ID)}}}})
	if path(r.Data, "fulfillmentCreate", "fulfillment", "status") != "SUCCESS" {
		t.Fatalf("rest: %+v", r)
	}
	got, _ = h.store.Order(shop, o.ID)
	if got.FulfillmentOrders[0].Status != "CLOSED" || len(got.Fulfillments) != 2 {
		t.Fatalf("after rest: %+v, %d fulfillments", got.FulfillmentOrders[0], len(got.Fulfillments))
	}
	// A closed fulfillment order cannot be fulfilled again.
	r = h.gql(h.token, create, map[string]any{"f": map[string]any{"lineItemsByFulfillmentOrder": []any{line(foA, 1)}}})
	if msg, _ := path(r.Data, "fulfillmentCreate", "userErrors", 0, "message").(string); !strings.Contains(msg, "unfulfillable status= closed") {
		t.Fatalf("closed: %v", msg)
	}
	r = h.gql(h.token, orderQuery, map[string]any{"id": fmt.Sprintf("gid://shopify/Order/%d", o.ID)})
	if path(r.Data, "order", "displayFulfillmentStatus") != "PARTIALLY_FULFILLED" {
		t.Fatalf("status: %v", path(r.Data, "order"))
	}
}

func TestTrackingUpdateEventsAndSubscriptions(t *testing.T) {
	h := newHarness(t)
	o := h.store.CreateOrder(shop, shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "A", Quantity: 1}}})
	r := h.gql(h.token, `mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { fulfillment { id } userErrors { message } } }`,
		map[string]any{"f": map[string]any{"lineItemsByFulfillmentOrder": []any{map[string]any{"fulfillmentOrderId": fmt.Sprintf("gid://shopify/FulfillmentOrder/%d", o.FulfillmentOrders[0].ID)}},
			"trackingInfo": map[string]any{"number": "OLD"}}})
	fid := path(r.Data, "fulfillmentCreate", "fulfillment", "id")
	r = h.gql(h.token, `mutation($id: ID!, $t: FulfillmentTrackingInput!) { fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $t) { fulfillment { trackingInfo { number company } } userErrors { message } } }`,
		map[string]any{"id": fid, "t": map[string]any{"number": "NEW", "company": "DHL Express"}})
	if path(r.Data, "fulfillmentTrackingInfoUpdate", "fulfillment", "trackingInfo", 0, "number") != "NEW" {
		t.Fatalf("tracking update: %+v", r)
	}
	ev := `mutation($e: FulfillmentEventInput!) { fulfillmentEventCreate(fulfillmentEvent: $e) { fulfillmentEvent { status } userErrors { message } } }`
	if r = h.gql(h.token, ev, map[string]any{"e": map[string]any{"fulfillmentId": fid, "status": "IN_TRANSIT"}}); path(r.Data, "fulfillmentEventCreate", "fulfillmentEvent", "status") != "IN_TRANSIT" {
		t.Fatalf("event: %+v", r)
	}
	if r = h.gql(h.token, ev, map[string]any{"e": map[string]any{"fulfillmentId": fid, "status": "TELEPORTED"}}); len(r.Errors) == 0 {
		t.Fatal("an invalid event status was accepted")
	}
	sub := `mutation($t: WebhookSubscriptionTopic!, $w: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $t, webhookSubscription: $w) { webhookSubscription { id } userErrors { message } } }`
	vars := map[string]any{"t": "ORDERS_CREATE", "w": map[string]any{"uri": "https://app.example/webhooks"}}
	h.gql(h.token, sub, vars)
	r = h.gql(h.token, sub, vars)
	if path(r.Data, "webhookSubscriptionCreate", "userErrors", 0, "message") != "Address for this topic has already been taken" {
		t.Fatalf("duplicate subscription: %+v", r)
	}
	if n := len(h.store.Subscriptions(shop)); n != 1 {
		t.Fatalf("%d subscriptions", n)
	}
}

func TestFaults(t *testing.T) {
	h := newHarness(t)
	h.store.InjectFaults(shopifyfake.Faults{ServerErrors: 1, HTTPThrottles: 1, Throttles: 1, RetryAfter: 2})
	if r := h.gql(h.token, `{ shop { name } }`, nil); r.status != 503 {
		t.Fatalf("first call: %d, want 503", r.status)
	}
	if r := h.gql(h.token, `{ shop { name } }`, nil); r.status != 429 || r.header.Get("Retry-After") != "2" {
		t.Fatalf("second call: %d %q, want 429 with Retry-After 2", r.status, r.header.Get("Retry-After"))
	}
	if r := h.gql(h.token, `{ shop { name } }`, nil); len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "THROTTLED" {
		t.Fatalf("third call: %+v, want THROTTLED", r.Errors)
	}
	if r := h.gql(h.token, `{ shop { name } }`, nil); r.status != 200 || len(r.Errors) != 0 {
		t.Fatalf("fourth call: %d %+v", r.status, r.Errors)
	}
}

func TestCostBucketThrottlesAndRestores(t *testing.T) {
	h := newHarness(t)
	mutation := `mutation($t: WebhookSubscriptionTopic!, $w: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $t, webhookSubscription: $w) { userErrors { message } } }`
	throttled := -1
	for i := 0; i < 120; i++ {
		r := h.gql(h.token, mutation, map[string]any{"t": "ORDERS_CREATE", "w": map[string]any{"uri": fmt.Sprintf("https://app.example/%d", i)}})
		if len(r.Errors) > 0 && r.Errors[0].Extensions["code"] == "THROTTLED" {
			throttled = i
			break
		}
	}
	if throttled != 100 {
		t.Fatalf("throttled at call %d, want 100 (1,000 points / 10 per mutation)", throttled)
	}
	h.clock.Advance(time.Second) // 50 points back: five more mutations
	for i := 0; i < 5; i++ {
		if r := h.gql(h.token, mutation, map[string]any{"t": "ORDERS_UPDATED", "w": map[string]any{"uri": fmt.Sprintf("https://app.example/r%d", i)}}); len(r.Errors) > 0 {
			t.Fatalf("after restore, call %d: %+v", i, r.Errors)
		}
	}
	if r := h.gql(h.token, mutation, map[string]any{"t": "ORDERS_UPDATED", "w": map[string]any{"uri": "https://app.example/x"}}); len(r.Errors) == 0 {
		t.Fatal("the bucket gave more than it restored")
	}
}

func TestTokenGrants(t *testing.T) {
	h := newHarness(t)
	post := func(body map[string]any) (int, map[string]any) {
		t.Helper()
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/admin/oauth/access_token", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = shop
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := resp.Body.Close(); err != nil {
				t.Error(err)
			}
		}()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("token endpoint, HTTP %d: %v", resp.StatusCode, err)
		}
		return resp.StatusCode, out
	}
	// Approve an install to get a code.
	req := httptest.NewRequest(http.MethodGet, "https://"+shop+"/admin/oauth/authorize?client_id=key&redirect_uri=https://app.example/auth/callback&state=s1", nil)
	rec := httptest.NewRecorder()
	h.store.Handler().ServeHTTP(rec, req)
	cb, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	code := cb.Query().Get("code")
	if code == "" || cb.Query().Get("hmac") == "" || cb.Query().Get("state") != "s1" {
		t.Fatalf("callback = %s", cb)
	}
	if status, _ := post(map[string]any{"client_id": "key", "client_secret": "wrong", "code": code, "expiring": 1}); status != 401 {
		t.Fatalf("wrong secret: %d", status)
	}
	status, tok := post(map[string]any{"client_id": "key", "client_secret": "hush", "code": code, "expiring": 1})
	if status != 200 || tok["refresh_token"] == nil || tok["expires_in"] != float64(3600) {
		t.Fatalf("code exchange: %d %v", status, tok)
	}
	if status, _ := post(map[string]any{"client_id": "key", "client_secret": "hush", "code": code, "expiring": 1}); status != 400 {
		t.Fatalf("code reuse: %d", status)
	}
	status, again := post(map[string]any{"client_id": "key", "client_secret": "hush", "grant_type": "refresh_token", "refresh_token": tok["refresh_token"]})
	if status != 200 || again["access_token"] == tok["access_token"] {
		t.Fatalf("refresh: %d %v", status, again)
	}
	if status, _ := post(map[string]any{"client_id": "key", "client_secret": "hush", "grant_type": "refresh_token", "refresh_token": tok["refresh_token"]}); status != 400 {
		t.Fatalf("rotated refresh token reused: %d", status)
	}
	status, exchanged := post(map[string]any{"client_id": "key", "client_secret": "hush",
		"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "subject_token": h.store.SessionToken(shop, time.Minute),
		"subject_token_type": "urn:ietf:params:oauth:token-type:id_token", "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token", "expiring": 1})
	if status != 200 || exchanged["refresh_token"] == nil {
		t.Fatalf("token exchange: %d %v", status, exchanged)
	}
	other := shopifyfake.New(shopifyfake.Options{APIKey: "key", APISecret: "other-secret"})
	if status, _ := post(map[string]any{"client_id": "key", "client_secret": "hush",
		"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "subject_token": other.SessionToken(shop, time.Minute),
		"subject_token_type": "urn:ietf:params:oauth:token-type:id_token", "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token"}); status != 400 {
		t.Fatalf("forged session token: %d", status)
	}
}

func TestWebhooksAreSignedAndDeliveredToSubscriptions(t *testing.T) {
	got := make(chan *http.Request, 10)
	bodies := make(chan []byte, 10)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		if _, err := b.ReadFrom(r.Body); err != nil {
			t.Errorf("reading the webhook: %v", err)
		}
		got <- r
		bodies <- b.Bytes()
	}))
	defer app.Close()
	store := shopifyfake.New(shopifyfake.Options{APIKey: "key", APISecret: "hush", DeliverWebhooks: true})
	store.AddShop(shopifyfake.Shop{Domain: shop})
	srv := httptest.NewServer(store.Handler())
	defer srv.Close()
	h := &harness{t: t, store: store, srv: srv, token: store.IssueOfflineToken(shop).AccessToken}
	h.gql(h.token, `mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {uri: "`+app.URL+`"}) { userErrors { message } } }`, nil)
	store.CreateOrder(shop, shopifyfake.NewOrder{Email: "a@example.com", LineItems: []shopifyfake.NewLineItem{{SKU: "A", Quantity: 1}}})
	store.Wait()
	select {
	case r := <-got:
		body := <-bodies
		if r.Header.Get("X-Shopify-Topic") != "orders/create" || r.Header.Get("X-Shopify-Shop-Domain") != shop ||
			r.Header.Get("X-Shopify-Hmac-Sha256") != shopifyfake.SignWebhook("hush", body) || r.Header.Get("X-Shopify-Event-Id") == "" {
			t.Fatalf("headers: %v", r.Header)
		}
		if !strings.Contains(string(body), `"name":"#1001"`) {
			t.Fatalf("body: %s", body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook delivered")
	}
	// Shopify's published vector.
	if s := shopifyfake.SignWebhook("hush", []byte(`"my secret message"`)); s != "hMTq0K2x7oyOjoBwGYeTj5oxfnaVYXzbanUG9aajpKI=" {
		t.Fatalf("webhook signature vector: %s", s)
	}
}

func TestOAuthCallbackSignatureMatchesShopifyVector(t *testing.T) {
	q, err := url.ParseQuery("code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp=1337178173")
	if err != nil {
		t.Fatal(err)
	}
	if got := shopifyfake.SignQuery("hush", q).Get("hmac"); got != "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf" {
		t.Fatalf("hmac = %s", got)
	}
}

func TestDevstorePageInstallsTheApp(t *testing.T) {
	// The app side is the real server in the e2e test; here an app that
	// refuses shows the devstore reports the failure instead of a 404.
	appSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusTeapot)
	}))
	defer appSrv.Close()
	store := shopifyfake.New(shopifyfake.Options{APIKey: "key", APISecret: "hush"})
	store.SeedDemo()
	store.SetDevstoreApp(appSrv.URL)
	srv := httptest.NewServer(store.Handler())
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/devstore/install?shop="+shopifyfake.DemoShop, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Install failed") || !strings.Contains(string(body), "418") {
		t.Fatalf("install button: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(string(body), appSrv.URL+"/?shop="+shopifyfake.DemoShop+"&amp;id_token=") {
		t.Fatalf("the page has no link to the embedded admin: %s", body)
	}
	resp, err = http.Post(srv.URL+"/devstore/order?shop="+shopifyfake.DemoShop, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(store.Orders(shopifyfake.DemoShop)); n != 4 {
		t.Fatalf("%d orders after the seed's 3 and one created", n)
	}
	// A carrier scan walks a fulfillment on, as Shopify's tracking would.
	o := store.Orders(shopifyfake.DemoShop)[0]
	f, err := store.CreateFulfillment(shopifyfake.DemoShop, o.ID, shopifyfake.NewFulfillment{Tracking: []shopifyfake.TrackingInfo{{Company: "Correos", Number: "RB123456785ES"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CONFIRMED", "IN_TRANSIT"} {
		resp, err = http.Post(fmt.Sprintf("%s/devstore/track?shop=%s&fulfillment=%d", srv.URL, shopifyfake.DemoShop, f.ID), "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if err := resp.Body.Close(); err != nil {
			t.Fatal(err)
		}
		if got, _ := store.Fulfillment(shopifyfake.DemoShop, f.ID); got.DisplayStatus() != want || !strings.Contains(string(body), "Carrier scan: "+want) {
			t.Fatalf("after a scan: %s, want %s (%s)", got.DisplayStatus(), want, body)
		}
	}
}

// The requested cost follows Shopify's published rules (objects 1, scalars
// 0, a connection 2 + its page × one node, its pageInfo within the 2,
// mutations 10), with page sizes given as variables counted at their value
// and fields left out by @include not counted; the endpoint charges what
// RequestedCost computes.
func TestRequestedCostFollowsShopifysRules(t *testing.T) {
	h := newHarness(t)
	order := `query Q($id: ID!, $n: Int!, $c: Boolean!) { order(id: $id) { id name customer @include(if: $c) { firstName }
	  fulfillmentOrders(first: $n) { pageInfo { hasNextPage endCursor } nodes { id assignedLocation { location { id } }
	    lineItems(first: 3) { nodes { id lineItem { id } } } } } } }`
	for _, c := range []struct {
		name  string
		query string
		vars  map[string]any
		want  int
	}{
		{"an object, scalars free", `query Q { shop { id name } }`, nil, 1},
		{"a connection of scalars", `query Q { orders(first: 10) { nodes { id name } pageInfo { hasNextPage } } }`, nil, 2 + 10},
		// order 1 + customer 1 + fulfillment orders 2 + 2 × (location 2 + lines (2 + 3 × 1)).
		{"page sizes from variables", order, map[string]any{"id": "gid://shopify/Order/1", "n": 2, "c": true}, 1 + 1 + 2 + 2*(2+2+3)},
		{"a larger page costs more", order, map[string]any{"id": "gid://shopify/Order/1", "n": 5, "c": true}, 1 + 1 + 2 + 5*(2+2+3)},
		{"@include(if: false) is free", order, map[string]any{"id": "gid://shopify/Order/1", "n": 2, "c": false}, 1 + 2 + 2*(2+2+3)},
		{"fragments count as their fields", `query Q { shop { ...S } } fragment S on Shop { billingAddress { id } }`, nil, 2},
		{"a mutation", `mutation M($t: WebhookSubscriptionTopic!, $w: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $t, webhookSubscription: $w) { userErrors { message } } }`,
			map[string]any{"t": "ORDERS_CREATE", "w": map[string]any{"uri": "https://app.example/x"}}, 10},
	} {
		got, err := shopifyfake.RequestedCost(c.query, c.vars)
		if err != nil || got != c.want {
			t.Errorf("%s: %d %v, want %d", c.name, got, err, c.want)
			continue
		}
		if r := h.gql(h.token, c.query, c.vars); r.Extensions.Cost.RequestedQueryCost != c.want {
			t.Errorf("%s: the endpoint charged %d, want %d (%+v)", c.name, r.Extensions.Cost.RequestedQueryCost, c.want, r.Errors)
		}
	}
	if _, err := shopifyfake.RequestedCost(`query Q { shop { nope } }`, nil); err == nil {
		t.Error("a document the schema refuses has a cost")
	}
}
