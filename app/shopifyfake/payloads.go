package shopifyfake

import (
	"fmt"
	"strconv"
	"strings"
)

// The webhook bodies follow the sample payloads of Shopify's webhook
// reference (https://shopify.dev/docs/api/webhooks, the 2026-07 page; copies
// are in webhooks/testdata/shopify/): the same keys, with the fake's data
// where it has some and the sample's kind of empty value (null, "", [], {})
// where it has none. Money is the line's price when a test gave one, else
// "0.00".

func money(amount, currency string) map[string]any {
	m := map[string]any{"amount": amount, "currency_code": currency}
	return map[string]any{"shop_money": m, "presentment_money": m}
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (o *Order) currency() string {
	if o.Currency == "" {
		return "USD"
	}
	return o.Currency
}

// remainingOf is how much of a line item is still to fulfil.
func (o *Order) remainingOf(lineItemID int64) int {
	n := 0
	for _, fo := range o.FulfillmentOrders {
		for _, foli := range fo.LineItems {
			if foli.LineItemID == lineItemID {
				n += foli.RemainingQuantity
			}
		}
	}
	return n
}

// lineFulfillmentStatus is a line item's REST fulfillment_status: null while
// nothing of it shipped, "partial", then "fulfilled".
func (o *Order) lineFulfillmentStatus(li *LineItem) any {
	switch remaining := o.remainingOf(li.ID); {
	case remaining == 0 && li.Quantity > 0:
		return "fulfilled"
	case remaining < li.Quantity:
		return "partial"
	}
	return nil
}

func restAddress(o *Order) map[string]any {
	return restAddressIn(o, o.ShippingCountry, o.ShippingPhone)
}

// restBillingAddress is the shipping address, or the billing country's
// when the order has one apart (a pickup's only address).
func restBillingAddress(o *Order) map[string]any {
	if o.BillingCountry == "" || o.BillingCountry == o.ShippingCountry {
		return restAddress(o)
	}
	return restAddressIn(o, o.BillingCountry, "")
}

func restAddressIn(o *Order, country, phone string) map[string]any {
	if country == "" && o.ShippingCity == "" && o.CustomerFirstName == "" && o.CustomerLastName == "" && phone == "" {
		return nil
	}
	name := strings.TrimSpace(o.CustomerFirstName + " " + o.CustomerLastName)
	return map[string]any{
		"first_name": o.CustomerFirstName, "address1": "", "phone": nullIfEmpty(phone), "city": o.ShippingCity, "zip": "",
		"province": nil, "country": country, "last_name": o.CustomerLastName, "address2": nil,
		"company": nil, "latitude": nil, "longitude": nil, "name": name, "country_code": country,
		"province_code": nil,
	}
}

// restLineItem is a line item as orders/* and fulfillments/* bodies carry
// it; quantity is the order's, or the fulfillment's share of it.
func restLineItem(o *Order, li *LineItem, quantity int) map[string]any {
	price := li.Price
	if price == "" {
		price = "0.00"
	}
	cur := o.currency()
	return map[string]any{
		"id": li.ID, "admin_graphql_api_id": gid("LineItem", li.ID), "variant_id": nil, "product_id": nil,
		"title": li.Title, "name": li.Title, "sku": li.SKU, "variant_title": nil, "vendor": nil,
		"quantity": quantity, "current_quantity": li.Quantity, "fulfillable_quantity": o.remainingOf(li.ID),
		"fulfillment_service": "manual", "fulfillment_status": o.lineFulfillmentStatus(li),
		"requires_shipping": true, "taxable": true, "gift_card": false, "product_exists": false,
		"variant_inventory_management": nil, "properties": []any{}, "grams": 0,
		"price": price, "price_set": money(price, cur), "total_discount": "0.00", "total_discount_set": money("0.00", cur),
		"discount_allocations": []any{}, "duties": []any{}, "tax_lines": []any{}, "attributed_staffs": []any{},
		"sales_line_item_group_id": nil,
	}
}

// cents reads a price such as "12.50" in cents (0 when it does not read).
func cents(price string) int64 {
	whole, frac, _ := strings.Cut(price, ".")
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0
	}
	frac = (frac + "00")[:2]
	f, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0
	}
	return w*100 + f
}

func amount(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

// restOrder is the orders/create and orders/updated body.
func restOrder(o *Order) map[string]any {
	items := []map[string]any{}
	var total int64
	for _, li := range o.LineItems {
		items = append(items, restLineItem(o, li, li.Quantity))
		total += cents(li.Price) * int64(li.Quantity)
	}
	fulfillments := []map[string]any{}
	for _, f := range o.Fulfillments {
		fulfillments = append(fulfillments, restFulfillment(o, f))
	}
	var status any
	switch displayFulfillmentStatus(o) {
	case "FULFILLED":
		status = "fulfilled"
	case "PARTIALLY_FULFILLED":
		status = "partial"
	}
	// The customer as order webhooks carry it since 2025-01: no
	// sms_marketing_consent, email_marketing_consent or tags (Shopify's
	// changelog "New customer's webhook and changes to existing customer's
	// webhooks payload"; the published samples have none): SMS consent comes
	// with customers_marketing_consent/update, or from the Admin API.
	var customer any
	if o.CustomerID != 0 {
		customer = map[string]any{
			"id": o.CustomerID, "admin_graphql_api_id": gid("Customer", o.CustomerID),
			"email": nullIfEmpty(o.Email), "first_name": nullIfEmpty(o.CustomerFirstName), "last_name": nullIfEmpty(o.CustomerLastName),
			"created_at": nil, "updated_at": nil, "state": "disabled", "note": nil, "verified_email": true,
			"multipass_identifier": nil, "tax_exempt": false, "phone": nullIfEmpty(o.CustomerPhone), "currency": o.currency(), "tax_exemptions": []any{},
			"default_address": restAddress(o),
		}
	}
	cur := o.currency()
	sum, zero := amount(total), "0.00"
	return map[string]any{
		"id": o.ID, "admin_graphql_api_id": gid("Order", o.ID), "app_id": nil, "browser_ip": nil,
		"buyer_accepts_marketing": false, "cancel_reason": nil, "cancelled_at": nil, "cart_token": nil, "checkout_token": nil,
		"client_details": nil, "closed_at": nil, "confirmation_number": nil, "confirmed": true,
		"contact_email": nullIfEmpty(o.Email), "email": nullIfEmpty(o.Email), "phone": nullIfEmpty(o.Phone),
		"created_at": ts(o.CreatedAt), "updated_at": ts(o.UpdatedAt), "processed_at": ts(o.CreatedAt),
		"currency": cur, "presentment_currency": cur, "customer_locale": nullIfEmpty(o.CustomerLocale),
		"device_id": nil, "duties_included": false, "estimated_taxes": false,
		"financial_status": "paid", "fulfillment_status": status,
		"landing_site": nil, "landing_site_ref": nil, "location_id": nil, "merchant_business_entity_id": nil,
		"merchant_of_record_app_id": nil, "referring_site": nil, "source_identifier": nil, "source_name": "web", "source_url": nil,
		"reference": nil, "po_number": nil, "user_id": nil,
		"name": o.Name, "number": max(0, orderNumber(o.Name)-1000), "order_number": orderNumber(o.Name),
		"order_status_url": nil, "payment_gateway_names": []any{},
		"note": nil, "note_attributes": []any{}, "tags": "", "test": false, "token": strconv.FormatInt(o.ID, 16), "tax_exempt": false,
		"discount_codes": []any{}, "discount_applications": []any{}, "tax_lines": []any{}, "taxes_included": false,
		"current_subtotal_price": sum, "current_subtotal_price_set": money(sum, cur),
		"current_total_price": sum, "current_total_price_set": money(sum, cur),
		"current_total_discounts": zero, "current_total_discounts_set": money(zero, cur),
		"current_total_tax": zero, "current_total_tax_set": money(zero, cur), "current_shipping_price_set": money(zero, cur),
		"current_total_additional_fees_set": nil, "current_total_duties_set": nil,
		"original_total_additional_fees_set": nil, "original_total_duties_set": nil,
		"subtotal_price": sum, "subtotal_price_set": money(sum, cur),
		"total_line_items_price": sum, "total_line_items_price_set": money(sum, cur),
		"total_price": sum, "total_price_set": money(sum, cur), "total_outstanding": zero,
		"total_discounts": zero, "total_discounts_set": money(zero, cur),
		"total_tax": zero, "total_tax_set": money(zero, cur), "total_shipping_price_set": money(zero, cur),
		"total_cash_rounding_payment_adjustment_set": money(zero, cur), "total_cash_rounding_refund_adjustment_set": money(zero, cur),
		"total_tip_received": zero, "total_weight": 0,
		"billing_address": restBillingAddress(o), "shipping_address": restAddress(o), "customer": customer,
		"line_items": items, "fulfillments": fulfillments, "refunds": []any{}, "shipping_lines": []any{},
		"payment_terms": nil, "returns": []any{}, "line_item_groups": []any{},
	}
}

// orderNumber is Shopify's order_number: 1001 for #1001. A test may name an
// order anything; a name that is not # and a number has 0.
func orderNumber(name string) int {
	n, err := strconv.Atoi(name[min(1, len(name)):])
	if err != nil {
		return 0
	}
	return n
}

// shipmentStatuses maps a fulfillment event status to the REST
// shipment_status.
var shipmentStatuses = map[string]string{
	"IN_TRANSIT": "in_transit", "OUT_FOR_DELIVERY": "out_for_delivery", "DELIVERED": "delivered",
	"FAILURE": "failure", "ATTEMPTED_DELIVERY": "attempted_delivery", "READY_FOR_PICKUP": "ready_for_pickup",
	"CONFIRMED": "confirmed", "LABEL_PRINTED": "label_printed", "LABEL_PURCHASED": "label_purchased",
	"CARRIER_PICKED_UP": "carrier_picked_up", "DELAYED": "delayed",
}

// fulfillmentName is Shopify's fulfillment name: the order's name and the
// fulfillment's position on it, "#1001.2".
func fulfillmentName(o *Order, f *Fulfillment) string {
	for i, x := range o.Fulfillments {
		if x.ID == f.ID {
			return o.Name + "." + strconv.Itoa(i+1)
		}
	}
	return o.Name + "." + strconv.Itoa(len(o.Fulfillments)+1)
}

// restFulfillment is the fulfillments/create and fulfillments/update body
// (and an order body's fulfillments entry). tracking_number, _url and
// _company are the first parcel's; tracking_numbers and tracking_urls list
// every parcel, position for position ("" where a number has no URL: the
// fake builds no carrier URLs, Shopify does for carriers it knows).
func restFulfillment(o *Order, f *Fulfillment) map[string]any {
	var company, number, url any
	numbers, urls := []string{}, []string{}
	for i, t := range f.TrackingInfo {
		if i == 0 {
			company, number, url = nullIfEmpty(t.Company), t.Number, nullIfEmpty(t.URL)
		}
		numbers = append(numbers, t.Number)
		urls = append(urls, t.URL)
	}
	lines := []map[string]any{}
	for _, fl := range f.LineItems {
		for _, li := range o.LineItems {
			if li.ID == fl.LineItemID {
				lines = append(lines, restLineItem(o, li, fl.Quantity))
			}
		}
	}
	status := strings.ToLower(f.Status)
	if status == "" {
		status = "success"
	}
	return map[string]any{
		"id": f.ID, "order_id": o.ID, "status": status, "created_at": ts(f.CreatedAt), "service": "manual",
		"updated_at": ts(f.UpdatedAt), "tracking_company": company, "shipment_status": f.shipmentStatus(),
		"location_id": f.LocationID, "origin_address": nil, "email": nullIfEmpty(o.Email), "destination": restAddress(o),
		"line_items": lines, "tracking_number": number, "tracking_numbers": numbers, "tracking_url": url,
		"tracking_urls": urls, "receipt": map[string]any{}, "name": fulfillmentName(o, f),
		"admin_graphql_api_id": gid("Fulfillment", f.ID),
	}
}
