package shipping

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/waybill-app/waybill/app"
)

// Plan is how a shipment becomes one fulfillment.
type Plan struct {
	Lines    []app.FulfillmentLine
	Location string
	// Resolved are the shipment's lines as order lines (ids, SKUs, titles).
	Resolved []app.ShipmentLineItem
}

// fulfillable fulfillment orders are the ones Shopify lets us fulfil now.
func fulfillable(fo app.FulfillmentOrder) bool {
	return fo.Status == "OPEN" || fo.Status == "IN_PROGRESS"
}

// PlanFulfillment decides which fulfillment order lines a shipment takes.
// One tracking number is one parcel from one place, and Shopify fulfils one
// location at a time: a shipment never becomes two fulfillments. When no
// single location can ship everything asked for, it says why (the problem
// is shown to the merchant, a zero Message when none) and plans nothing.
func PlanFulfillment(o *app.ShopifyOrder, lines []app.ShipmentLineItem) (Plan, app.Message) {
	var locations []int64
	names := map[int64]string{}
	for _, fo := range o.FulfillmentOrders {
		if !fulfillable(fo) {
			continue
		}
		if _, ok := names[fo.LocationID]; !ok {
			locations = append(locations, fo.LocationID)
			names[fo.LocationID] = fo.LocationName
		}
	}
	if len(lines) == 0 {
		// "Everything left": only unambiguous when one location has items.
		var withItems []int64
		for _, loc := range locations {
			if _, problem := planAt(o, loc, nil); problem == "" {
				withItems = append(withItems, loc)
			}
		}
		switch len(withItems) {
		case 0:
			return Plan{}, app.NewMessage(app.MsgNothingToFulfil, fmt.Sprintf("Nothing is left to fulfil on order %s.", o.Name), "order", o.Name)
		case 1:
			plan, _ := planAt(o, withItems[0], nil)
			plan.Location = names[withItems[0]]
			return plan, app.Message{}
		}
		where := make([]string, len(withItems))
		for i, loc := range withItems {
			where[i] = names[loc]
		}
		return Plan{}, app.NewMessage(app.MsgSeveralLocations,
			fmt.Sprintf("Order %s's remaining items ship from %d locations (%s): send one tracking number per location, listing its items.",
				o.Name, len(withItems), strings.Join(where, ", ")),
			"order", o.Name, "count", strconv.Itoa(len(withItems)), "locations", strings.Join(where, ", "))
	}
	for _, loc := range locations {
		if plan, problem := planAt(o, loc, lines); problem == "" {
			plan.Location = names[loc]
			return plan, app.Message{}
		}
	}
	// Say what is short, over all locations together.
	for _, l := range lines {
		left := 0
		for _, fo := range o.FulfillmentOrders {
			if fulfillable(fo) {
				for _, fl := range fo.Lines {
					if matches(fl, l) {
						left += fl.Remaining
					}
				}
			}
		}
		if left < l.Quantity {
			if left == 0 {
				return Plan{}, app.NewMessage(app.MsgLineNothingLeft, fmt.Sprintf("Nothing of %s is left to fulfil on order %s.", lineName(l), o.Name),
					append([]string{"order", o.Name}, lineParams(l)...)...)
			}
			return Plan{}, app.NewMessage(app.MsgLineShort,
				fmt.Sprintf("Asked for %d × %s on order %s, but only %d left to fulfil.", l.Quantity, lineName(l), o.Name, left),
				append([]string{"order", o.Name, "quantity", strconv.Itoa(l.Quantity), "left", strconv.Itoa(left)}, lineParams(l)...)...)
		}
	}
	return Plan{}, app.NewMessage(app.MsgLinesSplit,
		fmt.Sprintf("The items of this shipment ship from different locations of order %s: send one tracking number per location.", o.Name), "order", o.Name)
}

// lineParams name a line in a message: its SKU, or its line item id.
func lineParams(l app.ShipmentLineItem) []string {
	if l.SKU != "" {
		return []string{"sku", l.SKU}
	}
	return []string{"line_item_id", strconv.FormatInt(l.LineItemID, 10)}
}

func lineName(l app.ShipmentLineItem) string {
	if l.SKU != "" {
		return l.SKU
	}
	return fmt.Sprintf("line item %d", l.LineItemID)
}

func matches(fl app.FulfillmentOrderLine, l app.ShipmentLineItem) bool {
	if l.LineItemID != 0 {
		return fl.LineItemID == l.LineItemID
	}
	return l.SKU != "" && strings.EqualFold(fl.SKU, l.SKU)
}

// planAt plans the shipment from one location only.
func planAt(o *app.ShopifyOrder, location int64, lines []app.ShipmentLineItem) (Plan, string) {
	var plan Plan
	if len(lines) == 0 {
		for _, fo := range o.FulfillmentOrders {
			if !fulfillable(fo) || fo.LocationID != location {
				continue
			}
			for _, fl := range fo.Lines {
				if fl.Remaining > 0 {
					plan.Lines = append(plan.Lines, app.FulfillmentLine{FulfillmentOrderID: fo.ID, FulfillmentOrderLineID: fl.ID, Quantity: fl.Remaining})
					plan.Resolved = append(plan.Resolved, app.ShipmentLineItem{LineItemID: fl.LineItemID, SKU: fl.SKU, Title: fl.Title, Quantity: fl.Remaining})
				}
			}
		}
		if len(plan.Lines) == 0 {
			return Plan{}, "nothing left"
		}
		return plan, ""
	}
	taken := map[int64]int{} // fulfillment order line → quantity already planned
	for _, l := range lines {
		need := l.Quantity
		for _, fo := range o.FulfillmentOrders {
			if !fulfillable(fo) || fo.LocationID != location {
				continue
			}
			for _, fl := range fo.Lines {
				if need == 0 || !matches(fl, l) {
					continue
				}
				take := min(need, fl.Remaining-taken[fl.ID])
				if take <= 0 {
					continue
				}
				taken[fl.ID] += take
				need -= take
				plan.Lines = append(plan.Lines, app.FulfillmentLine{FulfillmentOrderID: fo.ID, FulfillmentOrderLineID: fl.ID, Quantity: take})
				plan.Resolved = append(plan.Resolved, app.ShipmentLineItem{LineItemID: fl.LineItemID, SKU: fl.SKU, Title: fl.Title, Quantity: take})
			}
		}
		if need > 0 {
			return Plan{}, "short"
		}
	}
	return plan, ""
}
