package shopify

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/phone"
)

// openOrdersSearch is Shopify's search for orders with items left to ship:
// open, and unshipped (nothing fulfilled) or partially fulfilled.
const openOrdersSearch = "status:open AND (fulfillment_status:unshipped OR fulfillment_status:partial)"

// openOrdersQuery reads a page of open orders with what the orders/create
// webhook gives Waybill: the customer's email and phone (protected, as
// README lists), first name and SMS consent (for their phone only), the shipping country (the
// billing country for an order with no shipping address), the lines with
// what is left to fulfil. Sorted by id, so the cursor walks a stable order.
// 40 orders × 10 lines request 682 points: within the 1,000-point bucket
// (and less than the 702 of the 50 a page read before the phones).
const openOrdersQuery = `query OpenOrders($after: String, $query: String!) {
  orders(first: 40, after: $after, query: $query, sortKey: ID) {
    nodes { id name email phone customerLocale createdAt updatedAt
      customer { id firstName defaultPhoneNumber { phoneNumber smsMarketingConsent { state } } }
      shippingAddress { countryCodeV2 phone }
      billingAddress { countryCodeV2 }
      lineItems(first: 10) { nodes { id sku title name quantity currentQuantity unfulfilledQuantity } pageInfo { hasNextPage endCursor } } }
    pageInfo { hasNextPage endCursor } } }`

// orderLinesQuery reads the rest of an order's lines when it has more than
// the page above carries.
const orderLinesQuery = `query OrderLineItems($id: ID!, $after: String) { order(id: $id) {
  lineItems(first: 100, after: $after) { nodes { id sku title name quantity currentQuantity unfulfilledQuantity } pageInfo { hasNextPage endCursor } } } }`

var (
	// 2 + 40 × (customer 1 + its phone 1 + consent 1 + addresses 2 + lines (2 + 10)).
	costOpenOrders = cost{requested: 682, actual: 60}
	// 1 + 2 + 100 lines.
	costOrderLines = cost{requested: 103, actual: 15}
)

type pageInfo struct {
	HasNextPage bool   `json:"hasNextPage"`
	EndCursor   string `json:"endCursor"`
}

type lineItemNode struct {
	ID                  string `json:"id"`
	SKU                 string `json:"sku"`
	Title               string `json:"title"`
	Name                string `json:"name"`
	Quantity            int    `json:"quantity"`
	CurrentQuantity     int    `json:"currentQuantity"` // less what was removed
	UnfulfilledQuantity int    `json:"unfulfilledQuantity"`
}

type lineItemConnection struct {
	Nodes    []lineItemNode `json:"nodes"`
	PageInfo pageInfo       `json:"pageInfo"`
}

type openOrderNode struct {
	ID             string    `json:"id"`
	Name           string    `json:"name"`
	Email          string    `json:"email"`
	CustomerLocale string    `json:"customerLocale"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
	Phone          string    `json:"phone"`
	Customer       *struct {
		ID                 string             `json:"id"`
		FirstName          string             `json:"firstName"`
		DefaultPhoneNumber *customerPhoneNode `json:"defaultPhoneNumber"`
	} `json:"customer"`
	ShippingAddress *addressNode       `json:"shippingAddress"`
	BillingAddress  *addressNode       `json:"billingAddress"`
	LineItems       lineItemConnection `json:"lineItems"`
}

// addressNode is what Waybill reads of a MailingAddress: its country and
// phone (protected customer data: only the shipping address's is read).
type addressNode struct {
	CountryCodeV2 string `json:"countryCodeV2"`
	Phone         string `json:"phone"`
}

// customerPhoneNode is a customer's default phone and its SMS consent.
type customerPhoneNode struct {
	PhoneNumber         string `json:"phoneNumber"`
	SMSMarketingConsent *struct {
		State string `json:"state"`
	} `json:"smsMarketingConsent"`
}

// subscribed reports whether the customer's SMS consent is SUBSCRIBED.
func (p *customerPhoneNode) subscribed() bool {
	return p != nil && p.SMSMarketingConsent != nil && p.SMSMarketingConsent.State == "SUBSCRIBED"
}

func (p *customerPhoneNode) number() string {
	if p == nil {
		return ""
	}
	return p.PhoneNumber
}

// consent is the customer's SMS consent with the phone it is for.
func (p *customerPhoneNode) consent() app.SMSConsent {
	return app.SMSConsent{Phone: p.number(), Subscribed: p.subscribed()}
}

// consentFor reports whether c is consent to text orderPhone (E.164, read
// in country): Shopify's consent is for the customer's own phone, so it
// counts only when that phone, read in the same country, is the order's.
// A shipping address's phone that is someone else's (a gift) has none.
func consentFor(c app.SMSConsent, orderPhone, country string) bool {
	if !c.Subscribed || orderPhone == "" {
		return false
	}
	e164, ok := phone.Normalize(c.Phone, country)
	return ok && e164 == orderPhone
}

// orderCountry is the country an order's phones are read in: the shipping
// address's, else the billing address's, else none (only a number written
// with its + prefix reads).
func orderCountry(shipping, billing *addressNode) string {
	if shipping != nil && shipping.CountryCodeV2 != "" {
		return shipping.CountryCodeV2
	}
	if billing != nil {
		return billing.CountryCodeV2
	}
	return ""
}

// orderPhone is the first of the order's phones (the order's, the shipping
// address's, the customer's) that reads as a number of country, in E.164;
// "" when none does: a number that does not read is never kept.
func orderPhone(country string, raws ...string) string {
	for _, raw := range raws {
		if e164, ok := phone.Normalize(raw, country); ok {
			return e164
		}
	}
	return ""
}

// OpenOrders implements app.OrderBackfiller.
func (s *Service) OpenOrders(ctx context.Context, shopDomain, cursor string) (app.OrderBackfillPage, error) {
	var page app.OrderBackfillPage
	client, err := s.adminClient(ctx, shopDomain)
	if err != nil {
		return page, err
	}
	vars := map[string]any{"query": openOrdersSearch}
	if cursor != "" {
		vars["after"] = cursor
	}
	var resp struct {
		Orders struct {
			Nodes    []openOrderNode `json:"nodes"`
			PageInfo pageInfo        `json:"pageInfo"`
		} `json:"orders"`
	}
	if err := s.paced(ctx, client, shopDomain, costOpenOrders, openOrdersQuery, vars, &resp); err != nil {
		return page, err
	}
	for _, n := range resp.Orders.Nodes {
		lines := n.LineItems
		for lines.PageInfo.HasNextPage {
			var more struct {
				Order *struct {
					LineItems lineItemConnection `json:"lineItems"`
				} `json:"order"`
			}
			if err := s.paced(ctx, client, shopDomain, costOrderLines, orderLinesQuery,
				map[string]any{"id": n.ID, "after": lines.PageInfo.EndCursor}, &more); err != nil {
				return page, err
			}
			if more.Order == nil {
				break // gone since the page was read: keep what was read
			}
			n.LineItems.Nodes = append(n.LineItems.Nodes, more.Order.LineItems.Nodes...)
			lines = more.Order.LineItems
		}
		o, err := n.order()
		if err != nil {
			return page, err
		}
		page.Orders = append(page.Orders, app.BackfilledOrder{Order: o, CreatedAt: n.CreatedAt.UTC()})
	}
	if resp.Orders.PageInfo.HasNextPage {
		page.Next = resp.Orders.PageInfo.EndCursor
	}
	return page, nil
}

// order is the node as the orders/create webhook would have it kept.
func (n openOrderNode) order() (app.Order, error) {
	id, err := legacyID(n.ID)
	if err != nil {
		return app.Order{}, err
	}
	o := app.Order{ID: id, Name: oneLine(n.Name), Email: oneLine(n.Email), CustomerLocale: oneLine(n.CustomerLocale),
		ShopifyUpdatedAt: n.UpdatedAt.UTC()}
	var consent app.SMSConsent
	if n.Customer != nil {
		if o.CustomerID, err = legacyID(n.Customer.ID); err != nil {
			return app.Order{}, err
		}
		o.CustomerFirstName = oneLine(n.Customer.FirstName)
		consent = n.Customer.DefaultPhoneNumber.consent()
	}
	var shippingPhone string
	if n.ShippingAddress != nil {
		o.ShippingCountry, shippingPhone = n.ShippingAddress.CountryCodeV2, n.ShippingAddress.Phone
	}
	country := orderCountry(n.ShippingAddress, n.BillingAddress)
	o.Phone = orderPhone(country, n.Phone, shippingPhone, consent.Phone)
	o.SMSConsent = consentFor(consent, o.Phone, country)
	for _, li := range n.LineItems.Nodes {
		lid, err := legacyID(li.ID)
		if err != nil {
			return app.Order{}, err
		}
		title := li.Title
		if title == "" {
			title = li.Name
		}
		o.LineItems = append(o.LineItems, app.LineItem{ID: lid, SKU: oneLine(li.SKU), Title: oneLine(title), Quantity: li.Quantity,
			FulfillableQuantity: max(0, min(li.UnfulfilledQuantity, li.CurrentQuantity))}) // removed items are not fulfillable
	}
	return o, nil
}

// oneLine keeps a value from Shopify as one line (the webhooks' rule):
// control characters become spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
