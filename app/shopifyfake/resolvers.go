package shopifyfake

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

func gid(kind string, id int64) string { return fmt.Sprintf("gid://shopify/%s/%d", kind, id) }

// parseGID returns the numeric id of gid://shopify/{kind}/{id}.
func parseGID(v any, kind string) (int64, bool) {
	s, _ := v.(string)
	rest, ok := strings.CutPrefix(s, "gid://shopify/"+kind+"/")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func userErrors(errs ...obj) []obj {
	if errs == nil {
		return []obj{}
	}
	return errs
}

func userError(message string, field ...string) obj {
	return obj{"__typename": "UserError", "field": field, "message": message, "code": nil}
}

// ----- objects -----

func (e *execution) locationObj(id int64) obj {
	name := ""
	for _, l := range e.shop.Locations {
		if l.ID == id {
			name = l.Name
		}
	}
	return obj{"__typename": "Location", "id": gid("Location", id), "legacyResourceId": strconv.FormatInt(id, 10), "name": name}
}

func (e *execution) lineItemObj(o *Order, li *LineItem) obj {
	fulfilled := 0
	for _, f := range o.Fulfillments {
		for _, fl := range f.LineItems {
			if fl.LineItemID == li.ID {
				fulfilled += fl.Quantity
			}
		}
	}
	return obj{"__typename": "LineItem", "id": gid("LineItem", li.ID), "sku": li.SKU, "name": li.Title, "title": li.Title,
		"quantity": li.Quantity, "currentQuantity": li.Quantity, "unfulfilledQuantity": li.Quantity - fulfilled,
		"requiresShipping": true, "variantTitle": nil}
}

func (e *execution) fulfillmentOrderObj(o *Order, fo *FulfillmentOrder) obj {
	items := make([]obj, 0, len(fo.LineItems))
	for _, foli := range fo.LineItems {
		var li *LineItem
		for _, l := range o.LineItems {
			if l.ID == foli.LineItemID {
				li = l
			}
		}
		items = append(items, obj{"__typename": "FulfillmentOrderLineItem", "id": gid("FulfillmentOrderLineItem", foli.ID),
			"totalQuantity": foli.TotalQuantity, "remainingQuantity": foli.RemainingQuantity,
			"sku": li.SKU, "productTitle": li.Title, "lineItem": e.lineItemObj(o, li)})
	}
	actions := []obj{}
	if fo.Status != "CLOSED" {
		actions = append(actions, obj{"__typename": "FulfillmentOrderSupportedAction", "action": "CREATE_FULFILLMENT"})
	}
	loc := e.locationObj(fo.LocationID)
	return obj{"__typename": "FulfillmentOrder", "id": gid("FulfillmentOrder", fo.ID), "status": fo.Status,
		"requestStatus": "UNSUBMITTED", "supportedActions": actions,
		"assignedLocation": obj{"__typename": "FulfillmentOrderAssignedLocation", "name": loc["name"], "location": loc},
		"deliveryMethod":   obj{"__typename": "DeliveryMethod", "methodType": "SHIPPING"},
		"lineItems":        connection(items),
		"order":            obj{"__typename": "Order", "id": gid("Order", o.ID), "name": o.Name, "legacyResourceId": strconv.FormatInt(o.ID, 10)},
	}
}

func (e *execution) fulfillmentObj(o *Order, f *Fulfillment) obj {
	tracking := make([]obj, 0, len(f.TrackingInfo))
	for _, t := range f.TrackingInfo {
		var url any
		if t.URL != "" {
			url = t.URL
		}
		tracking = append(tracking, obj{"__typename": "FulfillmentTrackingInfo", "company": t.Company, "number": t.Number, "url": url})
	}
	lines := make([]obj, 0, len(f.LineItems))
	for _, fl := range f.LineItems {
		for _, li := range o.LineItems {
			if li.ID == fl.LineItemID {
				lines = append(lines, obj{"__typename": "FulfillmentLineItem", "id": gid("FulfillmentLineItem", fl.ID),
					"quantity": fl.Quantity, "lineItem": e.lineItemObj(o, li)})
			}
		}
	}
	var eta, inTransit, delivered any
	if t := f.estimatedDeliveryAt(); t != nil {
		eta = ts(*t)
	}
	if t := f.firstHappened("IN_TRANSIT"); t != nil {
		inTransit = ts(*t)
	}
	if t := f.lastHappened("DELIVERED"); t != nil {
		delivered = ts(*t)
	}
	return obj{"__typename": "Fulfillment", "id": gid("Fulfillment", f.ID), "legacyResourceId": strconv.FormatInt(f.ID, 10),
		"name": fulfillmentName(o, f), "status": f.Status, "displayStatus": f.displayStatus(),
		"estimatedDeliveryAt": eta, "inTransitAt": inTransit, "deliveredAt": delivered,
		"createdAt": ts(f.CreatedAt), "updatedAt": ts(f.UpdatedAt),
		"trackingInfo": fieldFunc(func(args map[string]any) any {
			if n, ok := toInt(args["first"]); ok && n >= 0 && n < len(tracking) {
				return tracking[:n]
			}
			return tracking
		}),
		"fulfillmentLineItems": connection(lines),
		"events":               fieldFunc(f.eventsConnection),
		"location":             e.locationObj(f.LocationID),
		"order":                obj{"__typename": "Order", "id": gid("Order", o.ID), "name": o.Name},
	}
}

func fulfillmentEventObj(ev FulfillmentEvent) obj {
	var eta, lat, long any
	if ev.EstimatedDeliveryAt != nil {
		eta = ts(*ev.EstimatedDeliveryAt)
	}
	if ev.Latitude != nil {
		lat = *ev.Latitude
	}
	if ev.Longitude != nil {
		long = *ev.Longitude
	}
	return obj{"__typename": "FulfillmentEvent", "id": gid("FulfillmentEvent", ev.ID), "status": ev.Status,
		"message": nullIfEmpty(ev.Message), "happenedAt": ts(ev.HappenedAt), "createdAt": ts(ev.CreatedAt), "estimatedDeliveryAt": eta,
		"city": nullIfEmpty(ev.City), "province": nullIfEmpty(ev.Province), "country": nullIfEmpty(ev.Country),
		"zip": nullIfEmpty(ev.Zip), "address1": nullIfEmpty(ev.Address1), "latitude": lat, "longitude": long}
}

func displayFulfillmentStatus(o *Order) string {
	total, remaining := 0, 0
	for _, fo := range o.FulfillmentOrders {
		for _, li := range fo.LineItems {
			total += li.TotalQuantity
			remaining += li.RemainingQuantity
		}
	}
	switch {
	case remaining == 0 && total > 0:
		return "FULFILLED"
	case remaining < total:
		return "PARTIALLY_FULFILLED"
	}
	return "UNFULFILLED"
}

func (e *execution) orderObj(o *Order) obj {
	items := make([]obj, 0, len(o.LineItems))
	for _, li := range o.LineItems {
		items = append(items, e.lineItemObj(o, li))
	}
	fos := make([]obj, 0, len(o.FulfillmentOrders))
	for _, fo := range o.FulfillmentOrders {
		fos = append(fos, e.fulfillmentOrderObj(o, fo))
	}
	fulfillments := make([]obj, 0, len(o.Fulfillments))
	for _, f := range o.Fulfillments {
		fulfillments = append(fulfillments, e.fulfillmentObj(o, f))
	}
	var email, locale any
	if o.Email != "" {
		email = o.Email
	}
	if o.CustomerLocale != "" {
		locale = o.CustomerLocale
	}
	var customer any // an order without a customer has none
	if o.CustomerID != 0 {
		customer = customerObj(o)
	}
	var billing any // the shipping address, unless the order has one apart
	switch {
	case o.BillingCountry != "" && o.BillingCountry != o.ShippingCountry:
		billing = addressObj(o, o.BillingCountry, "")
	case o.ShippingCountry != "":
		billing = addressObj(o, o.ShippingCountry, o.ShippingPhone)
	}
	return obj{"__typename": "Order", "id": gid("Order", o.ID), "legacyResourceId": strconv.FormatInt(o.ID, 10),
		"name": o.Name, "email": email, "customerLocale": locale, "createdAt": ts(o.CreatedAt), "updatedAt": ts(o.UpdatedAt),
		"displayFulfillmentStatus": displayFulfillmentStatus(o),
		"phone":                    nullIfEmpty(o.Phone),
		"customer":                 customer,
		"shippingAddress":          addressObj(o, o.ShippingCountry, o.ShippingPhone),
		"billingAddress":           billing,
		"lineItems":                connection(items),
		"fulfillmentOrders":        connection(fos),
		"fulfillments": fieldFunc(func(args map[string]any) any {
			if n, ok := toInt(args["first"]); ok && n < len(fulfillments) {
				return fulfillments[:n]
			}
			return fulfillments
		}),
	}
}

func addressObj(o *Order, country, phone string) obj {
	return obj{"__typename": "MailingAddress", "firstName": o.CustomerFirstName, "lastName": o.CustomerLastName,
		"city": o.ShippingCity, "countryCodeV2": country, "phone": nullIfEmpty(phone)}
}

// customerObj is the order's customer. Its phone is Customer.defaultPhoneNumber
// (Customer.phone and .smsMarketingConsent are deprecated), with the SMS
// consent on it as CustomerSmsMarketingConsent; a customer without a phone
// has no defaultPhoneNumber.
func customerObj(o *Order) obj {
	email := nullIfEmpty(o.Email)
	var phone any
	if o.CustomerPhone != "" {
		state, level, updated := "NEVER_SUBSCRIBED", any(nil), any(nil)
		if o.SMSConsent != "" {
			state, level = o.SMSConsent, "SINGLE_OPT_IN"
		}
		if !o.SMSConsentUpdatedAt.IsZero() {
			updated = ts(o.SMSConsentUpdatedAt)
		}
		phone = obj{"__typename": "CustomerPhoneNumber", "phoneNumber": o.CustomerPhone,
			"smsMarketingConsent": obj{"__typename": "CustomerSmsMarketingConsent", "state": state, "optInLevel": level,
				"updatedAt": updated, "collectedFrom": "SHOPIFY", "sourceLocation": nil}}
	}
	return obj{"__typename": "Customer", "id": gid("Customer", o.CustomerID), "firstName": nullIfEmpty(o.CustomerFirstName),
		"lastName": nullIfEmpty(o.CustomerLastName), "email": email,
		"displayName": strings.TrimSpace(o.CustomerFirstName + " " + o.CustomerLastName), "defaultPhoneNumber": phone}
}

// ----- queries -----

func (e *execution) query(name string, args map[string]any) any {
	switch name {
	case "shop":
		address := obj{"__typename": "ShopAddress", "id": gid("ShopAddress", e.shop.id), "countryCodeV2": e.shop.Country,
			"country": nullIfEmpty(countryNames[e.shop.Country]), "city": nil, "province": nil, "address1": nil, "address2": nil, "zip": nil}
		return obj{"__typename": "Shop", "id": gid("Shop", e.shop.id), "name": e.shop.Name, "email": e.shop.Email,
			"contactEmail": e.shop.Email, "myshopifyDomain": e.shop.Domain, "currencyCode": e.shop.Currency,
			"primaryDomain": obj{"__typename": "Domain", "host": e.shop.Domain, "url": "https://" + e.shop.Domain},
			"ianaTimezone":  e.shop.Timezone, "shopAddress": address, "billingAddress": address}
	case "order":
		id, ok := parseGID(args["id"], "Order")
		if !ok {
			e.fail("Variable $id of type ID! was provided invalid value")
			return nil
		}
		if o := e.order(id); o != nil {
			return e.orderObj(o)
		}
		return nil
	case "orders":
		return e.orders(args) // orders_search.go
	case "customer":
		id, ok := parseGID(args["id"], "Customer")
		if !ok {
			e.fail("Variable $id of type ID! was provided invalid value")
			return nil
		}
		for _, o := range e.shop.orders {
			if o.CustomerID == id {
				return customerObj(o)
			}
		}
		return nil
	case "fulfillmentOrder":
		id, _ := parseGID(args["id"], "FulfillmentOrder")
		for _, o := range e.shop.orders {
			for _, fo := range o.FulfillmentOrders {
				if fo.ID == id {
					return e.fulfillmentOrderObj(o, fo)
				}
			}
		}
		return nil
	case "fulfillment":
		id, _ := parseGID(args["id"], "Fulfillment")
		if o, f := e.fulfillment(id); f != nil {
			return e.fulfillmentObj(o, f)
		}
		return nil
	case "webhookSubscriptions":
		var out []obj
		for _, w := range e.shop.subscriptions {
			out = append(out, webhookSubscriptionObj(w))
		}
		return connection(out)(args)
	}
	return errUnknownField
}

// matchesOrderQuery supports the search syntax Waybill uses: name:#1001 or
// name:1001 (Shopify matches the name with or without #), and id:123.
func matchesOrderQuery(o *Order, q string) bool {
	q = strings.TrimSpace(q)
	if q == "" {
		return true
	}
	for _, term := range strings.Fields(q) {
		k, v, ok := strings.Cut(term, ":")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "name":
			if strings.TrimPrefix(o.Name, "#") != strings.TrimPrefix(v, "#") {
				return false
			}
		case "id":
			if strconv.FormatInt(o.ID, 10) != v {
				return false
			}
		}
	}
	return true
}

func webhookSubscriptionObj(w *WebhookSubscription) obj {
	return obj{"__typename": "WebhookSubscription", "id": gid("WebhookSubscription", w.ID), "topic": w.Topic,
		"uri": w.URI, "callbackUrl": w.URI, "format": "JSON"}
}

func (e *execution) order(id int64) *Order {
	for _, o := range e.shop.orders {
		if o.ID == id {
			return o
		}
	}
	return nil
}

func (e *execution) fulfillment(id int64) (*Order, *Fulfillment) {
	for _, o := range e.shop.orders {
		for _, f := range o.Fulfillments {
			if f.ID == id {
				return o, f
			}
		}
	}
	return nil, nil
}

// ----- mutations -----

func (e *execution) mutation(name string, args map[string]any) any {
	switch name {
	case "fulfillmentCreate":
		return e.fulfillmentCreate(args)
	case "fulfillmentTrackingInfoUpdate":
		return e.fulfillmentTrackingInfoUpdate(args)
	case "fulfillmentEventCreate":
		return e.fulfillmentEventCreate(args)
	case "fulfillmentCancel":
		return e.fulfillmentCancel(args)
	case "webhookSubscriptionCreate":
		return e.webhookSubscriptionCreate(args)
	}
	return errUnknownField
}

// trackingFromInput reads a FulfillmentTrackingInput: one parcel (number,
// url) or several (numbers, urls, position for position), one company for
// all. When both forms are given the list wins, and a single number not in
// it comes first.
func trackingFromInput(v any) []TrackingInfo {
	in, _ := v.(map[string]any)
	if in == nil {
		return nil
	}
	company, _ := in["company"].(string)
	url, _ := in["url"].(string)
	number, _ := in["number"].(string)
	var out []TrackingInfo
	ns, _ := in["numbers"].([]any)
	urls, _ := in["urls"].([]any)
	listed := false
	for _, n := range ns {
		if s, _ := n.(string); s == number {
			listed = true
		}
	}
	if number != "" && !listed {
		out = append(out, TrackingInfo{Company: company, Number: number, URL: url})
	}
	for i, n := range ns {
		t := TrackingInfo{Company: company}
		t.Number, _ = n.(string)
		if i < len(urls) {
			t.URL, _ = urls[i].(string)
		} else if t.Number == number {
			t.URL = url
		}
		if t.Number != "" {
			out = append(out, t)
		}
	}
	return out
}

func (e *execution) fulfillmentCreate(args map[string]any) any {
	fail := func(msg string, field ...string) any {
		return obj{"__typename": "FulfillmentCreatePayload", "fulfillment": nil, "userErrors": userErrors(userError(msg, field...))}
	}
	if e.store.faults.FulfillmentUserErrors > 0 {
		e.store.faults.FulfillmentUserErrors--
		msg := e.store.faults.UserErrorMessage
		if msg == "" {
			msg = "Fulfillment order has an unfulfillable status= on_hold."
		}
		return fail(msg, "fulfillment")
	}
	in, _ := args["fulfillment"].(map[string]any)
	if in == nil {
		e.fail("Variable $fulfillment of type FulfillmentInput! was provided invalid value")
		return nil
	}
	groups, _ := in["lineItemsByFulfillmentOrder"].([]any)
	if len(groups) == 0 {
		return fail("Line items by fulfillment order must be present.", "fulfillment", "lineItemsByFulfillmentOrder")
	}
	type take struct {
		foli *FulfillmentOrderLineItem
		qty  int
	}
	var (
		order    *Order
		location int64
		takes    []take
	)
	for gi, g := range groups {
		gm, _ := g.(map[string]any)
		foID, ok := parseGID(gm["fulfillmentOrderId"], "FulfillmentOrder")
		var fo *FulfillmentOrder
		var fOrder *Order
		for _, o := range e.shop.orders {
			for _, f := range o.FulfillmentOrders {
				if ok && f.ID == foID {
					fo, fOrder = f, o
				}
			}
		}
		if fo == nil {
			return fail("Fulfillment order does not exist.", "fulfillment", "lineItemsByFulfillmentOrder", strconv.Itoa(gi), "fulfillmentOrderId")
		}
		if order != nil && fOrder != order {
			return fail("All fulfillment orders must belong to the same order.", "fulfillment")
		}
		if order != nil && fo.LocationID != location {
			return fail("All fulfillment orders must be assigned to the same location.", "fulfillment")
		}
		order, location = fOrder, fo.LocationID
		if fo.Status == "CLOSED" {
			return fail(fmt.Sprintf("Fulfillment order %d has an unfulfillable status= closed.", fo.ID), "fulfillment")
		}
		lines, present := gm["fulfillmentOrderLineItems"].([]any)
		if !present {
			for _, foli := range fo.LineItems {
				if foli.RemainingQuantity > 0 {
					takes = append(takes, take{foli, foli.RemainingQuantity})
				}
			}
			continue
		}
		for _, l := range lines {
			lm, _ := l.(map[string]any)
			id, _ := parseGID(lm["id"], "FulfillmentOrderLineItem")
			qty, _ := toInt(lm["quantity"])
			var foli *FulfillmentOrderLineItem
			for _, x := range fo.LineItems {
				if x.ID == id {
					foli = x
				}
			}
			if foli == nil {
				return fail("Fulfillment order line item does not exist.", "fulfillment")
			}
			if qty <= 0 || qty > foli.RemainingQuantity {
				return fail("Invalid fulfillment order line item quantity requested.", "fulfillment")
			}
			takes = append(takes, take{foli, qty})
		}
	}
	if len(takes) == 0 {
		return fail("Fulfillment must contain at least one line item with a quantity to fulfill.", "fulfillment")
	}
	notify, _ := in["notifyCustomer"].(bool)
	f := &Fulfillment{ID: e.store.id(), OrderID: order.ID, LocationID: location, Status: "SUCCESS",
		TrackingInfo: trackingFromInput(in["trackingInfo"]), NotifyCustomer: notify}
	for _, t := range takes {
		t.foli.RemainingQuantity -= t.qty
		f.LineItems = append(f.LineItems, FulfillmentLineItem{ID: e.store.id(), LineItemID: t.foli.LineItemID, Quantity: t.qty})
	}
	e.store.addFulfillment(order, f)
	e.afterCommit("fulfillments/create", order, f)
	return obj{"__typename": "FulfillmentCreatePayload", "fulfillment": e.fulfillmentObj(order, f), "userErrors": userErrors()}
}

func (e *execution) fulfillmentTrackingInfoUpdate(args map[string]any) any {
	id, _ := parseGID(args["fulfillmentId"], "Fulfillment")
	o, f := e.fulfillment(id)
	if f == nil {
		return obj{"__typename": "FulfillmentTrackingInfoUpdatePayload", "fulfillment": nil,
			"userErrors": userErrors(userError("Fulfillment does not exist.", "fulfillmentId"))}
	}
	f.TrackingInfo = trackingFromInput(args["trackingInfoInput"])
	f.UpdatedAt = e.store.clock.Now()
	if n, _ := args["notifyCustomer"].(bool); n {
		f.NotifyCustomer = true
	}
	o.UpdatedAt = f.UpdatedAt
	e.afterCommit("fulfillments/update", o, f)
	return obj{"__typename": "FulfillmentTrackingInfoUpdatePayload", "fulfillment": e.fulfillmentObj(o, f), "userErrors": userErrors()}
}

// FulfillmentEventStatuses are the values of Shopify's FulfillmentEventStatus enum.
var FulfillmentEventStatuses = map[string]bool{
	"ATTEMPTED_DELIVERY": true, "CARRIER_PICKED_UP": true, "CONFIRMED": true, "DELAYED": true, "DELIVERED": true,
	"FAILURE": true, "IN_TRANSIT": true, "LABEL_PRINTED": true, "LABEL_PURCHASED": true, "OUT_FOR_DELIVERY": true,
	"READY_FOR_PICKUP": true,
}

func (e *execution) fulfillmentEventCreate(args map[string]any) any {
	in, _ := args["fulfillmentEvent"].(map[string]any)
	status, _ := in["status"].(string)
	if in == nil || !FulfillmentEventStatuses[status] {
		e.fail("Variable $fulfillmentEvent of type FulfillmentEventInput! was provided invalid value for status (Expected %q to be one of: %s)",
			status, strings.Join(sortedKeys(boolMapToAny(FulfillmentEventStatuses)), ", "))
		return nil
	}
	id, _ := parseGID(in["fulfillmentId"], "Fulfillment")
	o, f := e.fulfillment(id)
	if f == nil {
		return obj{"__typename": "FulfillmentEventCreatePayload", "fulfillmentEvent": nil,
			"userErrors": userErrors(userError("Fulfillment does not exist.", "fulfillmentEvent", "fulfillmentId"))}
	}
	ev := FulfillmentEvent{Status: status}
	ev.Message, _ = in["message"].(string)
	if h, ok := in["happenedAt"].(string); ok {
		if t, err := time.Parse(time.RFC3339, h); err == nil {
			ev.HappenedAt = t
		}
	}
	if h, ok := in["estimatedDeliveryAt"].(string); ok {
		if t, err := time.Parse(time.RFC3339, h); err == nil {
			ev.EstimatedDeliveryAt = &t
		}
	}
	ev.City, _ = in["city"].(string)
	ev.Province, _ = in["province"].(string)
	ev.Country, _ = in["country"].(string)
	ev.Zip, _ = in["zip"].(string)
	ev.Address1, _ = in["address1"].(string)
	if v, ok := in["latitude"].(float64); ok {
		ev.Latitude = &v
	}
	if v, ok := in["longitude"].(float64); ok {
		ev.Longitude = &v
	}
	ev = e.store.addFulfillmentEvent(o, f, ev)
	if e.store.opts.DeliverWebhooks {
		e.store.fulfillmentEventWebhooks(e.shop, o, f, ev)
	}
	return obj{"__typename": "FulfillmentEventCreatePayload", "fulfillmentEvent": fulfillmentEventObj(ev), "userErrors": userErrors()}
}

func boolMapToAny(m map[string]bool) map[string]any {
	out := make(map[string]any, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// WebhookTopics are the subscribable topics the fake knows (enum form).
var WebhookTopics = map[string]bool{
	"ORDERS_CREATE": true, "ORDERS_UPDATED": true, "ORDERS_CANCELLED": true, "ORDERS_FULFILLED": true,
	"FULFILLMENTS_CREATE": true, "FULFILLMENTS_UPDATE": true, "FULFILLMENT_EVENTS_CREATE": true, "FULFILLMENT_EVENTS_DELETE": true,
	"APP_UNINSTALLED": true, "SHOP_UPDATE": true,
}

func (e *execution) webhookSubscriptionCreate(args map[string]any) any {
	topic, _ := args["topic"].(string)
	if !WebhookTopics[topic] {
		e.fail("Variable $topic of type WebhookSubscriptionTopic! was provided invalid value")
		return nil
	}
	in, _ := args["webhookSubscription"].(map[string]any)
	uri, _ := in["uri"].(string)
	if uri == "" {
		uri, _ = in["callbackUrl"].(string)
	}
	fail := func(msg string) any {
		return obj{"__typename": "WebhookSubscriptionCreatePayload", "webhookSubscription": nil, "userErrors": userErrors(userError(msg, "webhookSubscription", "uri"))}
	}
	if !strings.HasPrefix(uri, "https://") && !strings.HasPrefix(uri, "http://") {
		return fail("Address is invalid")
	}
	for _, w := range e.shop.subscriptions {
		if w.Topic == topic && w.URI == uri {
			return fail("Address for this topic has already been taken")
		}
	}
	w := &WebhookSubscription{ID: e.store.id(), Topic: topic, URI: uri}
	e.shop.subscriptions = append(e.shop.subscriptions, w)
	return obj{"__typename": "WebhookSubscriptionCreatePayload", "webhookSubscription": webhookSubscriptionObj(w), "userErrors": userErrors()}
}
