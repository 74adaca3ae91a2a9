package shopify

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/waybill-app/waybill/app"
)

// openOrdersSearch is Shopify's search for orders with items left to ship:
// open, and unshipped (nothing fulfilled) or partially fulfilled.
const openOrdersSearch = "status:open AND (fulfillment_status:unshipped OR fulfillment_status:partial)"

// openOrdersQuery reads a page of open orders with what the orders/create
// webhook gives Waybill: the customer's email (protected, as README lists)
// and first name, the shipping country, the lines with what is left to
// fulfil. Sorted by id, so the cursor walks a stable order. 50 orders × 10
// lines request 702 points: within the 1,000-point bucket.
const openOrdersQuery = `query OpenOrders($after: String, $query: String!) {
  orders(first: 50, after: $after, query: $query, sortKey: ID) {
    nodes { id name email customerLocale createdAt updatedAt
      customer { id firstName }
      shippingAddress { countryCodeV2 }
      lineItems(first: 10) { nodes { id sku title name quantity currentQuantity unfulfilledQuantity } pageInfo { hasNextPage endCursor } } }
    pageInfo { hasNextPage endCursor } } }`

// orderLinesQuery reads the rest of an order's lines when it has more than
// the page above carries.
const orderLinesQuery = `query OrderLineItems($id: ID!, $after: String) { order(id: $id) {
  lineItems(first: 100, after: $after) { nodes { id sku title name quantity currentQuantity unfulfilledQuantity } pageInfo { hasNextPage endCursor } } } }`

var (
	// 2 + 50 × (customer 1 + address 1 + lines (2 + 10)).
	costOpenOrders = cost{requested: 702, actual: 60}
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
	Customer       *struct {
		ID        string `json:"id"`
		FirstName string `json:"firstName"`
	} `json:"customer"`
	ShippingAddress *struct {
		CountryCodeV2 string `json:"countryCodeV2"`
	} `json:"shippingAddress"`
	LineItems lineItemConnection `json:"lineItems"`
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
	if n.Customer != nil {
		if o.CustomerID, err = legacyID(n.Customer.ID); err != nil {
			return app.Order{}, err
		}
		o.CustomerFirstName = oneLine(n.Customer.FirstName)
	}
	if n.ShippingAddress != nil {
		o.ShippingCountry = n.ShippingAddress.CountryCodeV2
	}
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
