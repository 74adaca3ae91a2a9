package shipping_test

import (
	"strings"
	"testing"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shipping"
)

// An order with a mug (3) and a lamp (1) at the warehouse and a T-shirt (2)
// at the supplier.
func order() *app.ShopifyOrder {
	return &app.ShopifyOrder{ID: 1, Name: "#1001", FulfillmentOrders: []app.FulfillmentOrder{
		{ID: 10, LocationID: 100, LocationName: "Warehouse", Status: "OPEN", Lines: []app.FulfillmentOrderLine{
			{ID: 11, LineItemID: 1, SKU: "MUG", Title: "Mug", Remaining: 3},
			{ID: 12, LineItemID: 2, SKU: "LAMP", Title: "Lamp", Remaining: 1}}},
		{ID: 20, LocationID: 200, LocationName: "Supplier", Status: "OPEN", Lines: []app.FulfillmentOrderLine{
			{ID: 21, LineItemID: 3, SKU: "TEE", Title: "T-shirt", Remaining: 2}}},
	}}
}

func TestPlanPartialBySKUAndByID(t *testing.T) {
	p, problem := shipping.PlanFulfillment(order(), []app.ShipmentLineItem{{SKU: "mug", Quantity: 2}, {LineItemID: 2, Quantity: 1}})
	if problem.Code != "" || p.Location != "Warehouse" || len(p.Lines) != 2 || p.Lines[0] != (app.FulfillmentLine{FulfillmentOrderID: 10, FulfillmentOrderLineID: 11, Quantity: 2}) {
		t.Fatalf("plan = %+v, %q", p, problem)
	}
	if p.Resolved[0].LineItemID != 1 || p.Resolved[0].Title != "Mug" {
		t.Fatalf("resolved = %+v", p.Resolved)
	}
}

func TestPlanEverythingLeftNeedsOneLocation(t *testing.T) {
	_, problem := shipping.PlanFulfillment(order(), nil)
	if !strings.Contains(problem.Text, "2 locations (Warehouse, Supplier)") || problem.Code != app.MsgSeveralLocations ||
		problem.Params["count"] != "2" || problem.Params["locations"] != "Warehouse, Supplier" {
		t.Fatalf("problem = %+v", problem)
	}
	o := order()
	o.FulfillmentOrders[0].Status = "CLOSED" // the warehouse already shipped
	p, problem := shipping.PlanFulfillment(o, nil)
	if problem.Code != "" || p.Location != "Supplier" || len(p.Lines) != 1 || p.Lines[0].Quantity != 2 {
		t.Fatalf("plan = %+v, %q", p, problem)
	}
}

func TestPlanProblemsAreSpecific(t *testing.T) {
	cases := map[string][]app.ShipmentLineItem{
		"Asked for 4 × MUG on order #1001, but only 3 left to fulfil.":           {{SKU: "MUG", Quantity: 4}},
		"Nothing of HAT is left to fulfil on order #1001.":                       {{SKU: "HAT", Quantity: 1}},
		"ship from different locations of order #1001: send one tracking number": {{SKU: "MUG", Quantity: 1}, {SKU: "TEE", Quantity: 1}},
	}
	for want, lines := range cases {
		if _, problem := shipping.PlanFulfillment(order(), lines); !strings.Contains(problem.Text, want) || problem.Params["order"] != "#1001" {
			t.Errorf("%+v: problem %q, want %q", lines, problem, want)
		}
	}
	done := order()
	for i := range done.FulfillmentOrders {
		done.FulfillmentOrders[i].Status = "CLOSED"
	}
	if _, problem := shipping.PlanFulfillment(done, nil); problem.Text != "Nothing is left to fulfil on order #1001." ||
		problem.Code != app.MsgNothingToFulfil || problem.Params["order"] != "#1001" {
		t.Fatalf("fulfilled order: %+v", problem)
	}
	if _, problem := shipping.PlanFulfillment(order(), []app.ShipmentLineItem{{SKU: "MUG", Quantity: 4}}); problem.Code != app.MsgLineShort ||
		problem.Params["quantity"] != "4" || problem.Params["left"] != "3" || problem.Params["sku"] != "MUG" {
		t.Fatalf("short line: %+v", problem)
	}
}
