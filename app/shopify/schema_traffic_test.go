package shopify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/redis"
	"github.com/waybill-app/waybill/app/redis/redistest"
	"github.com/waybill-app/waybill/app/shopify"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/shopifyfake/adminschema"
	"github.com/waybill-app/waybill/app/store"
	"github.com/waybill-app/waybill/app/store/storetest"
	"github.com/waybill-app/waybill/config"
)

// sentRequest is one Admin API call as it left Waybill.
type sentRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
	status    int
	answer    string
}

// recorder keeps every GraphQL request before the fake answers it.
type recorder struct {
	mu   sync.Mutex
	sent []sentRequest
	next http.Handler
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/graphql.json") {
		rec.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req sentRequest
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	out := httptest.NewRecorder()
	rec.next.ServeHTTP(out, r)
	req.status, req.answer = out.Code, out.Body.String()
	rec.mu.Lock()
	rec.sent = append(rec.sent, req)
	rec.mu.Unlock()
	for k, v := range out.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(out.Code)
	if _, err := w.Write(out.Body.Bytes()); err != nil {
		panic(err) // the test's own client went away
	}
}

// strictEnv is newEnv with every request recorded, and a token granted
// scopes (the default SCOPES when empty).
func strictEnv(t *testing.T, scopes string) (*shopifyfake.Store, *shopify.Service, *recorder) {
	clock := apptest.NewClock(time.Now())
	fake := shopifyfake.New(shopifyfake.Options{APIKey: "key", APISecret: "hush", Clock: clock})
	fake.AddShop(shopifyfake.Shop{Domain: shop})
	rec := &recorder{next: fake.Handler()}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	db := storetest.Open(t, store.SQLite, clock)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := shopify.New(shopify.Config{APIKey: "key", APISecret: "hush", Scopes: config.DefaultScopes, AppURL: "https://app.example", AdminOrigin: srv.URL},
		db, redis.New(redistest.Open(t, 4), log), clock, log, nil)
	tok := fake.IssueOfflineToken(shop)
	if scopes != "" {
		tok = fake.IssueOfflineTokenWithScopes(shop, scopes)
	}
	if _, err := db.SaveInstall(context.Background(), shop, tok); err != nil {
		t.Fatal(err)
	}
	return fake, svc, rec
}

// Every call Waybill makes, made for real against the fake (which now
// refuses what Shopify refuses): each request that left Waybill validates
// against the Admin API schema with the variables Waybill built, and the
// default scopes grant all it selects.
func TestWaybillsCallsPassTheRealSchema(t *testing.T) {
	fake, svc, rec := strictEnv(t, "")
	ctx := context.Background()
	warehouse := fake.LocationIDs(shop)[0]
	supplier := fake.AddLocation(shop, "Supplier")
	o := fake.CreateOrder(shop, shopifyfake.NewOrder{Email: "lucia@example.com", CustomerFirstName: "Lucía", CustomerLocale: "es",
		ShippingCountry: "ES", CustomerPhone: "+34612345678", SMSConsent: "SUBSCRIBED",
		LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Mug", Quantity: 2, LocationID: warehouse},
			{SKU: "LAMP-7", Title: "Lamp", Quantity: 1, LocationID: supplier}}})

	got, err := svc.FindOrder(ctx, shop, o.ID, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != "lucia@example.com" || got.CustomerFirstName != "Lucía" || len(got.FulfillmentOrders) != 2 || got.FulfillmentOrders[0].LocationID != warehouse ||
		got.Phone != "+34612345678" || !got.SMSConsent || got.ShippingCountry != "ES" {
		t.Fatalf("order: %+v", got)
	}
	if consent, err := svc.CustomerSMSConsent(ctx, shop, o.CustomerID); err != nil || consent != (app.SMSConsent{Phone: "+34612345678", Subscribed: true}) {
		t.Fatalf("the customer's SMS consent: %v %v", consent, err)
	}
	if _, err := svc.FindOrder(ctx, shop, 0, o.Name, nil); err != nil {
		t.Fatal(err)
	}
	fo := got.FulfillmentOrders[0]
	id, status, err := svc.CreateFulfillment(ctx, shop, app.FulfillmentRequest{
		Lines:          []app.FulfillmentLine{{FulfillmentOrderID: fo.ID, FulfillmentOrderLineID: fo.Lines[0].ID, Quantity: 1}},
		TrackingNumber: "1Z999AA10123456784", Company: "UPS", URL: "https://www.ups.com/track?tracknum=1Z999AA10123456784", NotifyCustomer: true})
	if err != nil || status != "SUCCESS" {
		t.Fatalf("fulfillmentCreate: %d %q %v", id, status, err)
	}
	if err := svc.UpdateFulfillmentTracking(ctx, shop, id, "RB123456785ES", "Correos", "", false); err != nil {
		t.Fatal(err)
	}
	eta := time.Now().Add(48 * time.Hour)
	if err := svc.CreateFulfillmentEvent(ctx, shop, id, "IN_TRANSIT", time.Now(), &eta, "Left the sorting centre"); err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateFulfillmentEvent(ctx, shop, id, "DELIVERED", time.Now(), nil, ""); err != nil {
		t.Fatal(err)
	}
	if tr, err := svc.FulfillmentTracking(ctx, shop, id); err != nil || tr.DisplayStatus != "DELIVERED" || len(tr.Events) != 2 {
		t.Fatalf("fulfillment tracking: %+v %v", tr, err)
	}
	// An untracked fulfillment made elsewhere (automatic fulfilment): seen
	// with its status and lines, and a number can go onto it.
	untracked, err := fake.CreateFulfillment(shop, o.ID, shopifyfake.NewFulfillment{LocationID: supplier})
	if err != nil {
		t.Fatal(err)
	}
	fulfillments, err := svc.OrderFulfillments(ctx, shop, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(fulfillments) != 2 || fulfillments[1].ID != untracked.ID || fulfillments[1].Status != "SUCCESS" || len(fulfillments[1].TrackingNumbers) != 0 ||
		len(fulfillments[1].Lines) != 1 || fulfillments[1].Lines[0].Quantity != 1 {
		t.Fatalf("fulfillments: %+v", fulfillments)
	}
	if err := svc.UpdateFulfillmentTracking(ctx, shop, untracked.ID, "YT2300012345678901", "YunExpress", "", true); err != nil {
		t.Fatal(err)
	}
	if f, _ := fake.Fulfillment(shop, untracked.ID); len(f.TrackingInfo) != 1 || f.TrackingInfo[0].Number != "YT2300012345678901" {
		t.Fatalf("tracking on the untracked fulfillment: %+v", f)
	}
	s := &app.Shop{Domain: shop}
	if _, err := svc.EnsureWebhookSubscriptions(ctx, s, "https://app.example/webhooks",
		[]string{"orders/create", "orders/updated", "fulfillments/create", "fulfillments/update", "fulfillment_events/create", "app/uninstalled"}); err != nil {
		t.Fatal(err)
	}
	if p, err := svc.ShopProfile(ctx, shop); err != nil || p.Name != shop {
		t.Fatalf("shop profile: %+v %v", p, err)
	}
	// The install's backfill of open orders, one with more lines than a page.
	var lines []shopifyfake.NewLineItem
	for i := range 12 {
		lines = append(lines, shopifyfake.NewLineItem{SKU: fmt.Sprintf("PART-%d", i), Title: "Part", Quantity: 1})
	}
	big := fake.CreateOrder(shop, shopifyfake.NewOrder{ShippingCountry: "MX", ShippingPhone: "55 1234 5678", LineItems: lines})
	if open, err := svc.OpenOrders(ctx, shop, ""); err != nil || len(open.Orders) != 2 || open.Orders[0].Order.LineItems[0].FulfillableQuantity != 1 ||
		open.Orders[1].Order.ID != big.ID || len(open.Orders[1].Order.LineItems) != 12 || open.Orders[1].Order.ShippingCountry != "MX" ||
		open.Orders[1].Order.Phone != "+525512345678" || open.Orders[1].Order.SMSConsent || open.Next != "" {
		t.Fatalf("open orders (the first is partly fulfilled, one mug of two left): %+v %v", open, err)
	}

	schema, err := adminschema.Load()
	if err != nil {
		t.Fatal(err)
	}
	granted := adminschema.ParseScopes(config.DefaultScopes)
	ops := map[string]bool{}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, r := range rec.sent {
		doc, errs := schema.Validate(r.Query)
		if errs != nil {
			t.Errorf("%v\n%s", errs, r.Query)
			continue
		}
		op := doc.Operations[0]
		ops[op.Name] = true
		if _, err := schema.VariableValues(op, r.Variables); err != nil {
			t.Errorf("%s: variables %v: %v", op.Name, r.Variables, err)
		}
		if d := schema.Denials(doc, op, granted); len(d) > 0 {
			t.Errorf("%s: denied %+v", op.Name, d)
		}
		if r.status != 200 || strings.Contains(r.answer, `"errors"`) {
			t.Errorf("%s: the fake answered %d %s", op.Name, r.status, r.answer)
		}
	}
	for _, want := range []string{"OrderForFulfillment", "OrderByName", "OrderFulfillments", "FulfillmentCreate",
		"FulfillmentTrackingInfoUpdate", "FulfillmentEventCreate", "WebhookSubscriptions", "WebhookSubscriptionCreate", "ShopProfile", "FulfillmentTracking", "OpenOrders", "OrderLineItems", "CustomerSmsConsent"} {
		if !ops[want] {
			t.Errorf("%s was never sent", want)
		}
	}
}

// A shop that granted the old scopes (before read_locations) gets Shopify's
// ACCESS_DENIED for the fulfillment orders' locations: the order read fails
// rather than planning without locations.
func TestOldScopesAreDeniedTheLocation(t *testing.T) {
	old := "read_orders,write_orders,read_fulfillments,write_fulfillments,read_merchant_managed_fulfillment_orders," +
		"write_merchant_managed_fulfillment_orders,read_assigned_fulfillment_orders,write_assigned_fulfillment_orders," +
		"read_third_party_fulfillment_orders,write_third_party_fulfillment_orders,read_customers,write_app_proxy"
	fake, svc, rec := strictEnv(t, old)
	o := fake.CreateOrder(shop, shopifyfake.NewOrder{LineItems: []shopifyfake.NewLineItem{{SKU: "A", Quantity: 1}}})
	_, err := svc.FindOrder(context.Background(), shop, o.ID, "", nil)
	if err == nil || !strings.Contains(err.Error(), "Access denied for location field") {
		t.Fatalf("old scopes: %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var answer struct {
		Errors []struct {
			Message    string         `json:"message"`
			Path       []any          `json:"path"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal([]byte(rec.sent[len(rec.sent)-1].answer), &answer); err != nil {
		t.Fatal(err)
	}
	if len(answer.Errors) == 0 || answer.Errors[0].Extensions["code"] != "ACCESS_DENIED" ||
		!strings.Contains(answer.Errors[0].Extensions["requiredAccess"].(string), "`read_locations` access scope") {
		t.Fatalf("answer: %+v", answer)
	}
}
