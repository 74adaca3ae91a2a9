package shopify_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shopifyfake"
)

// oldOrderRead is the order read as it was before it was sized to the
// order: 5 fulfillment orders × 50 lines and 20 fulfillments, whatever the
// order held (376 requested points for every push).
const oldOrderRead = `query OrderForFulfillment($id: ID!) { order(id: $id) { id name email customerLocale updatedAt customer { firstName }
  fulfillmentOrders(first: 5) { nodes { id status assignedLocation { name location { id } }
      lineItems(first: 50) { nodes { id remainingQuantity lineItem { id sku title } } } } }
  fulfillments(first: 20) { id status trackingInfo(first: 3) { number } } } }`

// A push's order read asks Shopify for what the order Waybill knows can
// hold: a 3-line order requests at most 60 points (the bucket admits a call
// only when its requested cost is there), by the fake's cost function, which
// charges the old read 376.
func TestOrderReadIsSizedToTheOrder(t *testing.T) {
	fake, svc, _ := strictEnv(t, "")
	ctx := context.Background()
	warehouse := fake.LocationIDs(shop)[0]
	supplier := fake.AddLocation(shop, "Supplier")
	o := fake.CreateOrder(shop, shopifyfake.NewOrder{Email: "lucia@example.com", CustomerFirstName: "Lucía", CustomerLocale: "es",
		LineItems: []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Mug", Quantity: 2, LocationID: warehouse},
			{SKU: "CUP-02", Title: "Cup", Quantity: 1, LocationID: warehouse}, {SKU: "LAMP-7", Title: "Lamp", Quantity: 1, LocationID: supplier}}})
	known := &app.Order{ID: o.ID, Name: o.Name, Email: "lucia@example.com", CustomerFirstName: "Lucía"}
	for _, li := range o.LineItems {
		known.LineItems = append(known.LineItems, app.LineItem{ID: li.ID, SKU: li.SKU, Title: li.Title, Quantity: li.Quantity})
	}

	got, err := svc.FindOrder(ctx, shop, o.ID, o.Name, known)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.FulfillmentOrders) != 2 || len(got.LineItems) != 3 || got.FulfillmentOrders[0].LocationID != warehouse ||
		len(got.FulfillmentOrders[0].Lines) != 2 || got.FulfillmentOrders[0].Lines[0].Remaining != 2 || got.CustomerFirstName != "Lucía" || got.Email != "lucia@example.com" {
		t.Fatalf("order: %+v", got)
	}
	sized := fake.Costs(shop)["OrderForFulfillment"]
	if sized.Calls != 1 || sized.Requested > 60 {
		t.Fatalf("the read of a known 3-line order: %+v, want one call requesting at most 60 points", sized)
	}
	old, err := shopifyfake.RequestedCost(oldOrderRead, map[string]any{"id": fmt.Sprintf("gid://shopify/Order/%d", o.ID)})
	if err != nil || old <= 60 {
		t.Fatalf("the old read requests %d points (%v): the bound no longer tells it apart", old, err)
	}

	// Without Waybill's copy the read takes default pages and the customer.
	got, err = svc.FindOrder(ctx, shop, o.ID, "", nil)
	if err != nil || got.CustomerFirstName != "Lucía" || len(got.LineItems) != 3 {
		t.Fatalf("order without a copy: %+v %v", got, err)
	}
	both := fake.Costs(shop)["OrderForFulfillment"]
	unknown := shopifyfake.OperationCost{Calls: both.Calls - sized.Calls, Requested: both.Requested - sized.Requested, Actual: both.Actual - sized.Actual}
	if unknown.Requested > 115 || unknown.Requested >= float64(old) || unknown.Actual <= sized.Actual || unknown.Actual > sized.Actual+5 {
		t.Fatalf("the read without a copy: %+v (with one: %+v), want at most 115 requested and what there is of the customer, its phone and consent and the two addresses (at most 5 points) more charged", unknown, sized)
	}
}

// An order that outgrew Waybill's copy (lines added, many locations, many
// fulfillments) is read whole in pages: every fulfillment order, every line
// and every fulfillment, so looking before creating still finds a number on
// the order's last fulfillment.
func TestOrderReadPagesWhatOutgrowsItsFirstPages(t *testing.T) {
	fake, svc, rec := strictEnv(t, "")
	ctx := context.Background()
	warehouse := fake.LocationIDs(shop)[0]
	var lines []shopifyfake.NewLineItem
	for i := range 12 {
		lines = append(lines, shopifyfake.NewLineItem{SKU: fmt.Sprintf("PART-%02d", i), Title: "Part", Quantity: 1, LocationID: warehouse})
	}
	var suppliers []int64
	for i := range 6 {
		loc := fake.AddLocation(shop, fmt.Sprintf("Supplier %d", i))
		suppliers = append(suppliers, loc)
		lines = append(lines, shopifyfake.NewLineItem{SKU: fmt.Sprintf("SUP-%d", i), Title: "Kit", Quantity: 2, LocationID: loc})
	}
	o := fake.CreateOrder(shop, shopifyfake.NewOrder{LineItems: lines})
	// Seven fulfillments: one of each supplier's two kits, then a part with
	// the number a retried push must find.
	for i, loc := range suppliers {
		if _, err := fake.CreateFulfillment(shop, o.ID, shopifyfake.NewFulfillment{LocationID: loc, Lines: []shopifyfake.FulfillLine{{LineItemID: o.LineItems[12+i].ID, Quantity: 1}},
			Tracking: []shopifyfake.TrackingInfo{{Number: fmt.Sprintf("RB%09dES", i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := fake.CreateFulfillment(shop, o.ID, shopifyfake.NewFulfillment{LocationID: warehouse, Lines: []shopifyfake.FulfillLine{{LineItemID: o.LineItems[0].ID, Quantity: 1}},
		Tracking: []shopifyfake.TrackingInfo{{Number: "YT2300012345678901"}}}); err != nil {
		t.Fatal(err)
	}
	// Waybill's copy is stale: it knows two lines.
	known := &app.Order{ID: o.ID, Name: o.Name, LineItems: []app.LineItem{{ID: o.LineItems[0].ID}, {ID: o.LineItems[1].ID}}}

	got, err := svc.FindOrder(ctx, shop, o.ID, "", known)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.FulfillmentOrders) != 7 || len(got.LineItems) != 18 {
		t.Fatalf("%d fulfillment orders and %d lines, want 7 and 18: %+v", len(got.FulfillmentOrders), len(got.LineItems), got)
	}
	remaining := map[int64]int{}
	for _, fo := range got.FulfillmentOrders {
		for _, l := range fo.Lines {
			remaining[l.LineItemID] += l.Remaining
		}
	}
	for i, li := range o.LineItems {
		want := li.Quantity
		if i == 0 || i >= 12 {
			want-- // fulfilled once
		}
		if remaining[li.ID] != want {
			t.Errorf("line %s: %d left, want %d", li.SKU, remaining[li.ID], want)
		}
	}
	var numbers []string
	for _, f := range got.Fulfillments {
		numbers = append(numbers, f.TrackingNumbers...)
	}
	if len(got.Fulfillments) != 7 || !slices.Contains(numbers, "YT2300012345678901") {
		t.Fatalf("fulfillments: %+v, want all 7 with the last one's number", got.Fulfillments)
	}

	// The pages after the first were read with the follow-up queries, each
	// valid for Shopify and answered without errors.
	rec.mu.Lock()
	defer rec.mu.Unlock()
	sent := map[string]int{}
	for _, r := range rec.sent {
		name := strings.Fields(strings.TrimPrefix(r.Query, "query "))[0]
		name, _, _ = strings.Cut(name, "(")
		sent[name]++
		if r.status != 200 || strings.Contains(r.answer, `"errors"`) {
			t.Errorf("%s: the fake answered %d %s", name, r.status, r.answer)
		}
	}
	if sent["OrderForFulfillment"] != 1 || sent["OrderFulfillmentOrders"] != 1 || sent["FulfillmentOrderLines"] != 1 || sent["OrderAllFulfillments"] != 1 {
		t.Fatalf("calls: %v, want the read, one more page of fulfillment orders, one of lines, and the whole list of fulfillments", sent)
	}
}
