package shopify

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	goshopify "github.com/bold-commerce/go-shopify/v4"

	"github.com/waybill-app/waybill/app"
)

func gid(kind string, id int64) string { return fmt.Sprintf("gid://shopify/%s/%d", kind, id) }

// legacyID is the number at the end of a GID: gid://shopify/Order/123 → 123.
func legacyID(gid string) (int64, error) {
	n, err := strconv.ParseInt(gid[strings.LastIndex(gid, "/")+1:], 10, 64)
	if err != nil {
		return 0, app.WrapError(app.ErrInternal, err, "Shopify returned an id that is not a GID: %q", gid)
	}
	return n, nil
}

// orderFields are what a push needs: remaining quantities per location and
// the tracking numbers already on the order (to look before creating). The
// page sizes are variables, sized to the order Waybill knows from its
// webhooks (orderReadSize), so the requested cost is what the order can
// return, not a worst case; pages an order outgrows are read after. The
// customer, the phones, SMS consent and addresses' countries are read only
// for an order Waybill has no copy of (the push keeps it as the webhook
// would have).
const orderFields = `id name email customerLocale updatedAt phone @include(if: $withCustomer)
  customer @include(if: $withCustomer) { firstName defaultPhoneNumber { phoneNumber smsMarketingConsent { state } } }
  shippingAddress @include(if: $withCustomer) { countryCodeV2 phone } billingAddress @include(if: $withCustomer) { countryCodeV2 }
  fulfillmentOrders(first: $fulfillmentOrders) { pageInfo { hasNextPage endCursor } nodes { ` + fulfillmentOrderFields + ` } }
  fulfillments(first: $fulfillments) { id status trackingInfo(first: 3) { number } }`

const fulfillmentOrderFields = `id status assignedLocation { name location { id } }
    lineItems(first: $lines) { pageInfo { hasNextPage endCursor } nodes { ` + fulfillmentOrderLineFields + ` } }`

const fulfillmentOrderLineFields = `id remainingQuantity lineItem { id sku title }`

const orderVariables = `$withCustomer: Boolean!, $fulfillmentOrders: Int!, $lines: Int!, $fulfillments: Int!`

const orderByIDQuery = `query OrderForFulfillment($id: ID!, ` + orderVariables + `) { order(id: $id) { ` + orderFields + ` } }`
const orderByNameQuery = `query OrderByName($query: String!, ` + orderVariables + `) { orders(first: 1, query: $query) { nodes { ` + orderFields + ` } } }`

// The pages after the first: fulfillment orders, one fulfillment order's
// lines, and the whole list of fulfillments when the first read's came back
// full (a list, not a connection: it cannot be paged, only asked for longer).
const orderFulfillmentOrdersQuery = `query OrderFulfillmentOrders($id: ID!, $after: String!, $fulfillmentOrders: Int!, $lines: Int!) { order(id: $id) {
  fulfillmentOrders(first: $fulfillmentOrders, after: $after) { pageInfo { hasNextPage endCursor } nodes { ` + fulfillmentOrderFields + ` } } } }`
const fulfillmentOrderLinesQuery = `query FulfillmentOrderLines($id: ID!, $after: String!, $lines: Int!) { fulfillmentOrder(id: $id) {
  lineItems(first: $lines, after: $after) { pageInfo { hasNextPage endCursor } nodes { ` + fulfillmentOrderLineFields + ` } } } }`
const orderAllFulfillmentsQuery = `query OrderAllFulfillments($id: ID!, $fulfillments: Int!) { order(id: $id) {
  fulfillments(first: $fulfillments) { id status trackingInfo(first: 3) { number } } } }`

// Page sizes of the order read.
const (
	// Without a copy of the order: a typical order fits.
	defaultFulfillmentOrders, defaultOrderLines = 5, 10
	// Most fulfillment orders a first page asks for: one per location
	// with items, and a few closed ones.
	maxFulfillmentOrders = 5
	// Fulfillments on the first read: a push usually finds none or one; a
	// full list is read again at allFulfillments.
	firstFulfillments = 5
	allFulfillments   = 100
	// Pages after the first, and Shopify's largest page.
	nextPage, maxPage = 50, 250
)

// orderReadSize is the first read's page sizes: fulfillment orders and
// lines per fulfillment order sized to Waybill's copy of the order (a
// fulfillment order holds each order line at most once), fulfillments few.
type orderReadSize struct{ fulfillmentOrders, lines, fulfillments int }

func orderReadSizeFor(known *app.Order) orderReadSize {
	size := orderReadSize{fulfillmentOrders: defaultFulfillmentOrders, lines: defaultOrderLines, fulfillments: firstFulfillments}
	if known != nil && len(known.LineItems) > 0 {
		size.lines = min(len(known.LineItems), maxPage)
		size.fulfillmentOrders = min(len(known.LineItems), maxFulfillmentOrders)
	}
	return size
}

// Requested costs, as Shopify's published calculated query cost counts them
// (an object 1, a connection or sized list 2 + its size × one node, scalars
// 0) and shopifyfake charges them: a fulfillment order node is its assigned
// location and that location (2) and its lines (2 + lines × 1); a
// fulfillment its tracking numbers (2 + 3). The actual costs are what a
// small order returns (pacing holds the requested cost).
func fulfillmentOrdersCost(fulfillmentOrders, lines int) int {
	return 2 + fulfillmentOrders*(2+2+lines)
}

func fulfillmentsCost(n int) int { return 2 + n*(2+3) }

func (z orderReadSize) cost(byName, customer bool) cost {
	requested := 1 + fulfillmentOrdersCost(z.fulfillmentOrders, z.lines) + fulfillmentsCost(z.fulfillments)
	if byName { // orders(first: 1) around the order: 2 instead of 1
		requested++
	}
	if customer { // the customer, its phone and consent, the two addresses
		requested += 5
	}
	return cost{requested: float64(requested), actual: float64(min(requested, 6))}
}

// The follow-up pages: more fulfillment orders (the order 1 and the page),
// more lines of one (the fulfillment order 1 and 2 + the page), every
// fulfillment (the order 1 and the list).
func fulfillmentOrdersPageCost(lines int) cost {
	c := 1 + fulfillmentOrdersCost(maxFulfillmentOrders, lines)
	return cost{requested: float64(c), actual: float64(min(c, 10))}
}

var (
	costFulfillmentOrderLines = cost{requested: 1 + 2 + nextPage, actual: 10}
	costAllFulfillments       = cost{requested: float64(1 + fulfillmentsCost(allFulfillments)), actual: 30}
)

type fulfillmentOrderLineNode struct {
	ID                string `json:"id"`
	RemainingQuantity int    `json:"remainingQuantity"`
	LineItem          struct {
		ID    string `json:"id"`
		SKU   string `json:"sku"`
		Title string `json:"title"`
	} `json:"lineItem"`
}

type fulfillmentOrderLines struct {
	Nodes    []fulfillmentOrderLineNode `json:"nodes"`
	PageInfo pageInfo                   `json:"pageInfo"`
}

type fulfillmentOrderNode struct {
	ID               string `json:"id"`
	Status           string `json:"status"`
	AssignedLocation struct {
		Name     string `json:"name"`
		Location *struct {
			ID string `json:"id"`
		} `json:"location"`
	} `json:"assignedLocation"`
	LineItems fulfillmentOrderLines `json:"lineItems"`
}

type fulfillmentOrderConnection struct {
	Nodes    []fulfillmentOrderNode `json:"nodes"`
	PageInfo pageInfo               `json:"pageInfo"`
}

type orderNode struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Email          string    `json:"email"`
	CustomerLocale string    `json:"customerLocale"`
	UpdatedAt      time.Time `json:"updatedAt"`
	Phone          string    `json:"phone"`
	Customer       *struct {
		FirstName          string             `json:"firstName"`
		DefaultPhoneNumber *customerPhoneNode `json:"defaultPhoneNumber"`
	} `json:"customer"`
	ShippingAddress   *addressNode               `json:"shippingAddress"`
	BillingAddress    *addressNode               `json:"billingAddress"`
	FulfillmentOrders fulfillmentOrderConnection `json:"fulfillmentOrders"`
	Fulfillments      []fulfillmentNode          `json:"fulfillments"`
}

type fulfillmentNode struct {
	ID           string `json:"id"`
	Status       string `json:"status"`
	TrackingInfo []struct {
		Number string `json:"number"`
	} `json:"trackingInfo"`
	FulfillmentLineItems struct {
		Nodes []struct {
			Quantity int `json:"quantity"`
			LineItem struct {
				ID string `json:"id"`
			} `json:"lineItem"`
		} `json:"nodes"`
	} `json:"fulfillmentLineItems"`
}

func (fl fulfillmentNode) toFulfillment(id func(string) int64) app.ExistingFulfillment {
	ef := app.ExistingFulfillment{ID: id(fl.ID), Status: fl.Status}
	for _, t := range fl.TrackingInfo {
		ef.TrackingNumbers = append(ef.TrackingNumbers, t.Number)
	}
	for _, li := range fl.FulfillmentLineItems.Nodes {
		ef.Lines = append(ef.Lines, app.FulfilledLine{LineItemID: id(li.LineItem.ID), Quantity: li.Quantity})
	}
	return ef
}

func (n orderNode) toOrder() (*app.ShopifyOrder, error) {
	var bad error // the first id that did not parse
	id := func(gid string) int64 {
		v, err := legacyID(gid)
		if err != nil && bad == nil {
			bad = err
		}
		return v
	}
	o := &app.ShopifyOrder{ID: id(n.ID), Name: n.Name, Email: n.Email, CustomerLocale: n.CustomerLocale, UpdatedAt: n.UpdatedAt}
	var consent app.SMSConsent
	var shippingPhone string
	if n.Customer != nil {
		o.CustomerFirstName = n.Customer.FirstName
		consent = n.Customer.DefaultPhoneNumber.consent()
	}
	if n.ShippingAddress != nil {
		o.ShippingCountry, shippingPhone = n.ShippingAddress.CountryCodeV2, n.ShippingAddress.Phone
	}
	country := orderCountry(n.ShippingAddress, n.BillingAddress)
	o.Phone = orderPhone(country, n.Phone, shippingPhone, consent.Phone)
	o.SMSConsent = consentFor(consent, o.Phone, country)
	seen := map[int64]bool{}
	for _, fo := range n.FulfillmentOrders.Nodes {
		f := app.FulfillmentOrder{ID: id(fo.ID), Status: fo.Status, LocationName: fo.AssignedLocation.Name}
		if fo.AssignedLocation.Location != nil {
			f.LocationID = id(fo.AssignedLocation.Location.ID)
		}
		for _, li := range fo.LineItems.Nodes {
			line := app.FulfillmentOrderLine{ID: id(li.ID), LineItemID: id(li.LineItem.ID), SKU: li.LineItem.SKU,
				Title: li.LineItem.Title, Remaining: li.RemainingQuantity}
			f.Lines = append(f.Lines, line)
			if !seen[line.LineItemID] {
				seen[line.LineItemID] = true
				o.LineItems = append(o.LineItems, app.LineItem{ID: line.LineItemID, SKU: line.SKU, Title: line.Title})
			}
		}
		o.FulfillmentOrders = append(o.FulfillmentOrders, f)
	}
	for _, fl := range n.Fulfillments {
		o.Fulfillments = append(o.Fulfillments, fl.toFulfillment(id))
	}
	if bad != nil {
		return nil, bad
	}
	return o, nil
}

// FindOrder implements app.ShopifyAdmin.
func (s *Service) FindOrder(ctx context.Context, shopDomain string, id int64, name string, known *app.Order) (*app.ShopifyOrder, error) {
	client, err := s.adminClient(ctx, shopDomain)
	if err != nil {
		return nil, err
	}
	size := orderReadSizeFor(known)
	vars := map[string]any{"withCustomer": known == nil, "fulfillmentOrders": size.fulfillmentOrders, "lines": size.lines, "fulfillments": size.fulfillments}
	var n *orderNode
	if id != 0 {
		var resp struct {
			Order *orderNode `json:"order"`
		}
		vars["id"] = gid("Order", id)
		if err := s.paced(ctx, client, shopDomain, size.cost(false, known == nil), orderByIDQuery, vars, &resp); err != nil {
			return nil, err
		}
		if resp.Order == nil {
			return nil, app.Errorf(app.ErrNotFound, "Shopify has no order %d in this store", id)
		}
		n = resp.Order
	} else {
		var resp struct {
			Orders struct {
				Nodes []orderNode `json:"nodes"`
			} `json:"orders"`
		}
		vars["query"] = "name:" + strconv.Quote(name)
		if err := s.paced(ctx, client, shopDomain, size.cost(true, known == nil), orderByNameQuery, vars, &resp); err != nil {
			return nil, err
		}
		for i, o := range resp.Orders.Nodes {
			if strings.EqualFold(strings.TrimPrefix(o.Name, "#"), strings.TrimPrefix(name, "#")) {
				n = &resp.Orders.Nodes[i]
			}
		}
		if n == nil {
			return nil, app.Errorf(app.ErrNotFound, "Shopify has no order %s in this store", name)
		}
	}
	if err := s.readRest(ctx, client, shopDomain, n, size); err != nil {
		return nil, err
	}
	o, err := n.toOrder()
	if err != nil {
		return nil, err
	}
	if known != nil && n.Customer == nil {
		// not read: Waybill's copy has them
		o.CustomerFirstName, o.ShippingCountry, o.Phone, o.SMSConsent = known.CustomerFirstName, known.ShippingCountry, known.Phone, known.SMSConsent
	}
	return o, nil
}

// readRest reads what the first read's pages left out: more fulfillment
// orders, more lines of one, and all fulfillments when the list came back
// full, since looking before creating must see every one.
func (s *Service) readRest(ctx context.Context, client *goshopify.Client, shopDomain string, n *orderNode, size orderReadSize) error {
	for page := n.FulfillmentOrders.PageInfo; page.HasNextPage; {
		if page.EndCursor == "" {
			return app.Errorf(app.ErrUnavailable, "Shopify said order %s has more fulfillment orders but gave no cursor", n.Name)
		}
		var resp struct {
			Order *struct {
				FulfillmentOrders fulfillmentOrderConnection `json:"fulfillmentOrders"`
			} `json:"order"`
		}
		vars := map[string]any{"id": n.ID, "after": page.EndCursor, "fulfillmentOrders": maxFulfillmentOrders, "lines": size.lines}
		if err := s.paced(ctx, client, shopDomain, fulfillmentOrdersPageCost(size.lines), orderFulfillmentOrdersQuery, vars, &resp); err != nil {
			return err
		}
		if resp.Order == nil {
			return app.Errorf(app.ErrNotFound, "Shopify has no order %s in this store", n.Name)
		}
		n.FulfillmentOrders.Nodes = append(n.FulfillmentOrders.Nodes, resp.Order.FulfillmentOrders.Nodes...)
		page = resp.Order.FulfillmentOrders.PageInfo
	}
	for i := range n.FulfillmentOrders.Nodes {
		fo := &n.FulfillmentOrders.Nodes[i]
		for page := fo.LineItems.PageInfo; page.HasNextPage; {
			if page.EndCursor == "" {
				return app.Errorf(app.ErrUnavailable, "Shopify said a fulfillment order of %s has more lines but gave no cursor", n.Name)
			}
			var resp struct {
				FulfillmentOrder *struct {
					LineItems fulfillmentOrderLines `json:"lineItems"`
				} `json:"fulfillmentOrder"`
			}
			vars := map[string]any{"id": fo.ID, "after": page.EndCursor, "lines": nextPage}
			if err := s.paced(ctx, client, shopDomain, costFulfillmentOrderLines, fulfillmentOrderLinesQuery, vars, &resp); err != nil {
				return err
			}
			if resp.FulfillmentOrder == nil {
				return app.Errorf(app.ErrNotFound, "Shopify has no fulfillment order %s of order %s", fo.ID, n.Name)
			}
			fo.LineItems.Nodes = append(fo.LineItems.Nodes, resp.FulfillmentOrder.LineItems.Nodes...)
			page = resp.FulfillmentOrder.LineItems.PageInfo
		}
	}
	if len(n.Fulfillments) < size.fulfillments {
		return nil
	}
	var resp struct {
		Order *struct {
			Fulfillments []fulfillmentNode `json:"fulfillments"`
		} `json:"order"`
	}
	if err := s.paced(ctx, client, shopDomain, costAllFulfillments, orderAllFulfillmentsQuery,
		map[string]any{"id": n.ID, "fulfillments": allFulfillments}, &resp); err != nil {
		return err
	}
	if resp.Order == nil {
		return app.Errorf(app.ErrNotFound, "Shopify has no order %s in this store", n.Name)
	}
	n.Fulfillments = resp.Order.Fulfillments
	return nil
}

// orderFulfillmentsQuery reads an order's fulfillments with their lines: the
// push needs them only when nothing is left to fulfil and a fulfillment
// without tracking might be the shipment's (stores that fulfil
// automatically, apps that mark orders fulfilled first).
const orderFulfillmentsQuery = `query OrderFulfillments($id: ID!) { order(id: $id) {
  fulfillments(first: 10) { id status trackingInfo(first: 1) { number }
    fulfillmentLineItems(first: 25) { nodes { quantity lineItem { id } } } } } }`

// OrderFulfillments implements app.ShopifyAdmin.
func (s *Service) OrderFulfillments(ctx context.Context, shopDomain string, orderID int64) ([]app.ExistingFulfillment, error) {
	client, err := s.adminClient(ctx, shopDomain)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Order *struct {
			Fulfillments []fulfillmentNode `json:"fulfillments"`
		} `json:"order"`
	}
	if err := s.paced(ctx, client, shopDomain, costFulfillmentsQuery, orderFulfillmentsQuery, map[string]any{"id": gid("Order", orderID)}, &resp); err != nil {
		return nil, err
	}
	if resp.Order == nil {
		return nil, app.Errorf(app.ErrNotFound, "Shopify has no order %d in this store", orderID)
	}
	var bad error
	id := func(gid string) int64 {
		v, err := legacyID(gid)
		if err != nil && bad == nil {
			bad = err
		}
		return v
	}
	out := make([]app.ExistingFulfillment, 0, len(resp.Order.Fulfillments))
	for _, fl := range resp.Order.Fulfillments {
		out = append(out, fl.toFulfillment(id))
	}
	return out, bad
}

const fulfillmentCreateMutation = `mutation FulfillmentCreate($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}`

// CreateFulfillment implements app.ShopifyAdmin.
func (s *Service) CreateFulfillment(ctx context.Context, shopDomain string, r app.FulfillmentRequest) (int64, string, error) {
	client, err := s.adminClient(ctx, shopDomain)
	if err != nil {
		return 0, "", err
	}
	var groups []map[string]any
	index := map[int64]int{}
	for _, l := range r.Lines {
		i, ok := index[l.FulfillmentOrderID]
		if !ok {
			i = len(groups)
			index[l.FulfillmentOrderID] = i
			groups = append(groups, map[string]any{"fulfillmentOrderId": gid("FulfillmentOrder", l.FulfillmentOrderID), "fulfillmentOrderLineItems": []any{}})
		}
		groups[i]["fulfillmentOrderLineItems"] = append(groups[i]["fulfillmentOrderLineItems"].([]any),
			map[string]any{"id": gid("FulfillmentOrderLineItem", l.FulfillmentOrderLineID), "quantity": l.Quantity})
	}
	input := map[string]any{"lineItemsByFulfillmentOrder": groups, "notifyCustomer": r.NotifyCustomer, "trackingInfo": trackingInput(r.TrackingNumber, r.Company, r.URL)}
	var resp struct {
		FulfillmentCreate struct {
			Fulfillment *struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"fulfillment"`
			UserErrors []UserError `json:"userErrors"`
		} `json:"fulfillmentCreate"`
	}
	if err := s.paced(ctx, client, shopDomain, costMutation, fulfillmentCreateMutation, map[string]any{"fulfillment": input}, &resp); err != nil {
		return 0, "", err
	}
	if err := userErrorsError("create the fulfillment", resp.FulfillmentCreate.UserErrors); err != nil {
		return 0, "", err
	}
	if resp.FulfillmentCreate.Fulfillment == nil {
		return 0, "", app.Errorf(app.ErrUnavailable, "Shopify returned no fulfillment")
	}
	id, err := legacyID(resp.FulfillmentCreate.Fulfillment.ID)
	return id, resp.FulfillmentCreate.Fulfillment.Status, err
}

func trackingInput(number, company, url string) map[string]any {
	t := map[string]any{"number": number}
	if company != "" {
		t["company"] = company
	}
	if url != "" {
		t["url"] = url
	}
	return t
}

const trackingUpdateMutation = `mutation FulfillmentTrackingInfoUpdate($fulfillmentId: ID!, $trackingInfoInput: FulfillmentTrackingInput!, $notifyCustomer: Boolean) {
  fulfillmentTrackingInfoUpdate(fulfillmentId: $fulfillmentId, trackingInfoInput: $trackingInfoInput, notifyCustomer: $notifyCustomer) {
    fulfillment { id }
    userErrors { field message }
  }
}`

// UpdateFulfillmentTracking implements app.ShopifyAdmin.
func (s *Service) UpdateFulfillmentTracking(ctx context.Context, shopDomain string, fulfillmentID int64, number, company, url string, notify bool) error {
	client, err := s.adminClient(ctx, shopDomain)
	if err != nil {
		return err
	}
	var resp struct {
		FulfillmentTrackingInfoUpdate struct {
			UserErrors []UserError `json:"userErrors"`
		} `json:"fulfillmentTrackingInfoUpdate"`
	}
	vars := map[string]any{"fulfillmentId": gid("Fulfillment", fulfillmentID), "trackingInfoInput": trackingInput(number, company, url), "notifyCustomer": notify}
	if err := s.paced(ctx, client, shopDomain, costMutation, trackingUpdateMutation, vars, &resp); err != nil {
		return err
	}
	return userErrorsError("update the tracking number", resp.FulfillmentTrackingInfoUpdate.UserErrors)
}

const fulfillmentEventCreateMutation = `mutation FulfillmentEventCreate($fulfillmentEvent: FulfillmentEventInput!) {
  fulfillmentEventCreate(fulfillmentEvent: $fulfillmentEvent) {
    fulfillmentEvent { id status }
    userErrors { field message }
  }
}`

// CreateFulfillmentEvent implements app.ShopifyAdmin.
func (s *Service) CreateFulfillmentEvent(ctx context.Context, shopDomain string, fulfillmentID int64, status string, happenedAt time.Time, eta *time.Time, message string) error {
	client, err := s.adminClient(ctx, shopDomain)
	if err != nil {
		return err
	}
	in := map[string]any{"fulfillmentId": gid("Fulfillment", fulfillmentID), "status": status, "happenedAt": happenedAt.UTC().Format(time.RFC3339)}
	if eta != nil {
		in["estimatedDeliveryAt"] = eta.UTC().Format(time.RFC3339)
	}
	if message != "" {
		in["message"] = message
	}
	var resp struct {
		FulfillmentEventCreate struct {
			UserErrors []UserError `json:"userErrors"`
		} `json:"fulfillmentEventCreate"`
	}
	if err := s.paced(ctx, client, shopDomain, costMutation, fulfillmentEventCreateMutation, map[string]any{"fulfillmentEvent": in}, &resp); err != nil {
		return err
	}
	return userErrorsError("add the fulfillment event", resp.FulfillmentEventCreate.UserErrors)
}

// fulfillmentTrackingQuery reads Shopify's own carrier tracking of a
// fulfillment: its display status, times and the newest 50 events (newest
// first: a long international journey can have more, and the latest are
// the ones that matter). Event places are read down to the province and
// country only: city, street, zip and coordinates are protected customer
// data, which Waybill does not need to show where a parcel is.
const fulfillmentTrackingQuery = `query FulfillmentTracking($id: ID!) { fulfillment(id: $id) {
  displayStatus estimatedDeliveryAt inTransitAt deliveredAt
  events(first: 50, sortKey: HAPPENED_AT, reverse: true) { nodes { status happenedAt message province country } } } }`

// FulfillmentTracking implements app.ShopifyAdmin. Events come oldest first.
func (s *Service) FulfillmentTracking(ctx context.Context, shopDomain string, fulfillmentID int64) (*app.FulfillmentTracking, error) {
	client, err := s.adminClient(ctx, shopDomain)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Fulfillment *struct {
			DisplayStatus       *string    `json:"displayStatus"`
			EstimatedDeliveryAt *time.Time `json:"estimatedDeliveryAt"`
			InTransitAt         *time.Time `json:"inTransitAt"`
			DeliveredAt         *time.Time `json:"deliveredAt"`
			Events              struct {
				Nodes []struct {
					Status     string    `json:"status"`
					HappenedAt time.Time `json:"happenedAt"`
					Message    *string   `json:"message"`
					Province   *string   `json:"province"`
					Country    *string   `json:"country"`
				} `json:"nodes"`
			} `json:"events"`
		} `json:"fulfillment"`
	}
	vars := map[string]any{"id": gid("Fulfillment", fulfillmentID)}
	if err := s.paced(ctx, client, shopDomain, costFulfillmentTracking, fulfillmentTrackingQuery, vars, &resp); err != nil {
		return nil, err
	}
	f := resp.Fulfillment
	if f == nil {
		return nil, app.Errorf(app.ErrNotFound, "Shopify has no fulfillment %d in this store", fulfillmentID)
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	t := &app.FulfillmentTracking{DisplayStatus: str(f.DisplayStatus), EstimatedDeliveryAt: utc(f.EstimatedDeliveryAt),
		InTransitAt: utc(f.InTransitAt), DeliveredAt: utc(f.DeliveredAt)}
	for i := len(f.Events.Nodes) - 1; i >= 0; i-- { // newest first → oldest first
		e := f.Events.Nodes[i]
		t.Events = append(t.Events, app.FulfillmentTrackingEvent{Status: e.Status, HappenedAt: e.HappenedAt.UTC(),
			Message: str(e.Message), Province: str(e.Province), Country: str(e.Country)})
	}
	return t, nil
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
