package shopify

import (
	"testing"

	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/shopifyfake/adminschema"
)

// Pacing holds each call's requested cost while it runs and lets it go when
// that much is in the bucket: the cost Waybill assumes for each document it
// sends must cover what Shopify's calculated query cost (the fake's function)
// requests for it with the variables Waybill sends, or a busy bucket answers
// THROTTLED. The order reads, sized per order, must match it exactly.
func TestPacingCoversEachCallsRequestedCost(t *testing.T) {
	ints := func(v map[string]any, names ...string) []int {
		out := make([]int, len(names))
		for i, n := range names {
			out[i] = v[n].(int)
		}
		return out
	}
	orderRead := func(byName bool) func(map[string]any) cost {
		return func(v map[string]any) cost {
			n := ints(v, "fulfillmentOrders", "lines", "fulfillments")
			return orderReadSize{fulfillmentOrders: n[0], lines: n[1], fulfillments: n[2]}.cost(byName, v["withCustomer"].(bool))
		}
	}
	fixed := func(c cost) func(map[string]any) cost { return func(map[string]any) cost { return c } }
	assumed := map[string]func(map[string]any) cost{
		"OrderForFulfillment":           orderRead(false),
		"OrderByName":                   orderRead(true),
		"OrderFulfillmentOrders":        func(v map[string]any) cost { return fulfillmentOrdersPageCost(ints(v, "lines")[0]) },
		"FulfillmentOrderLines":         fixed(costFulfillmentOrderLines),
		"OrderAllFulfillments":          fixed(costAllFulfillments),
		"OrderFulfillments":             fixed(costFulfillmentsQuery),
		"FulfillmentCreate":             fixed(costMutation),
		"FulfillmentTrackingInfoUpdate": fixed(costMutation),
		"FulfillmentEventCreate":        fixed(costMutation),
		"WebhookSubscriptions":          fixed(costSubscriptionList),
		"WebhookSubscriptionCreate":     fixed(costMutation),
		"ShopProfile":                   fixed(costShopProfile),
		"FulfillmentTracking":           fixed(costFulfillmentTracking),
		"OpenOrders":                    fixed(costOpenOrders),
		"OrderLineItems":                fixed(costOrderLines),
		"CustomerSmsConsent":            fixed(costCustomerSMSConsent),
	}
	exact := map[string]bool{"OrderForFulfillment": true, "OrderByName": true, "OrderFulfillmentOrders": true,
		"FulfillmentOrderLines": true, "OrderAllFulfillments": true, "OpenOrders": true, "CustomerSmsConsent": true}
	schema, err := adminschema.Load()
	if err != nil {
		t.Fatal(err)
	}
	for where, text := range documentsInSource(t) {
		doc, errs := schema.Validate(text)
		if errs != nil {
			continue // TestEveryDocumentFitsTheAdminAPISchema reports it
		}
		name := doc.Operations[0].Name
		costOf, ok := assumed[name]
		if !ok {
			t.Errorf("%s (%s): no assumed cost here: add the cost it is paced with", where, name)
			continue
		}
		for i, vars := range sentVariables[name]() {
			requested, err := shopifyfake.RequestedCost(text, normalise(vars))
			if err != nil {
				t.Errorf("%s, variables #%d: %v", name, i, err)
				continue
			}
			c := costOf(vars)
			if c.requested < float64(requested) || (exact[name] && c.requested != float64(requested)) {
				t.Errorf("%s, variables #%d: paced at %.0f requested points, Shopify's rules request %d", name, i, c.requested, requested)
			}
			if requested > 1000 {
				t.Errorf("%s, variables #%d: requests %d points, over Shopify's 1,000 for one query", name, i, requested)
			}
		}
	}
}
