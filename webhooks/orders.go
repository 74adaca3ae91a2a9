package webhooks

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/waybill-app/waybill/app"
)

// orderWebhook is the part of Shopify's order webhook body Waybill keeps.
type orderWebhook struct {
	ID             int64     `json:"id"`
	Name           string    `json:"name"`
	Email          string    `json:"email"`
	ContactEmail   string    `json:"contact_email"`
	CustomerLocale string    `json:"customer_locale"`
	UpdatedAt      time.Time `json:"updated_at"`
	Customer       *struct {
		ID        int64  `json:"id"`
		FirstName string `json:"first_name"`
	} `json:"customer"`
	ShippingAddress *struct {
		FirstName   string `json:"first_name"`
		CountryCode string `json:"country_code"`
	} `json:"shipping_address"`
	LineItems []struct {
		ID                  int64  `json:"id"`
		SKU                 string `json:"sku"`
		Title               string `json:"title"`
		Name                string `json:"name"`
		Quantity            int    `json:"quantity"`
		FulfillableQuantity int    `json:"fulfillable_quantity"`
	} `json:"line_items"`
}

func (w orderWebhook) order(shopID string) (app.Order, error) {
	if w.ID == 0 || w.Name == "" || w.UpdatedAt.IsZero() {
		return app.Order{}, app.Errorf(app.ErrInvalid, "the order webhook lacks id, name or updated_at")
	}
	o := app.Order{ID: w.ID, ShopID: shopID, Name: w.Name, Email: w.Email, CustomerLocale: w.CustomerLocale,
		ShopifyUpdatedAt: w.UpdatedAt}
	if o.Email == "" {
		o.Email = w.ContactEmail
	}
	if w.Customer != nil {
		o.CustomerID, o.CustomerFirstName = w.Customer.ID, w.Customer.FirstName
	}
	if w.ShippingAddress != nil {
		o.ShippingCountry = w.ShippingAddress.CountryCode
		if o.CustomerFirstName == "" {
			o.CustomerFirstName = w.ShippingAddress.FirstName
		}
	}
	for _, li := range w.LineItems {
		title := li.Title
		if title == "" {
			title = li.Name
		}
		o.LineItems = append(o.LineItems, app.LineItem{ID: li.ID, SKU: li.SKU, Title: title, Quantity: li.Quantity,
			FulfillableQuantity: li.FulfillableQuantity})
	}
	o.Name, o.Email, o.CustomerLocale, o.CustomerFirstName = text(o.Name), text(o.Email), text(o.CustomerLocale), text(o.CustomerFirstName)
	for i := range o.LineItems {
		o.LineItems[i].SKU, o.LineItems[i].Title = text(o.LineItems[i].SKU), text(o.LineItems[i].Title)
	}
	return o, nil
}

// text keeps a value from Shopify as one line: control characters (NUL,
// which PostgreSQL refuses, line breaks) become spaces, so an odd title
// cannot stop the order from being kept.
func text(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// saveOrder keeps Waybill's copy of the order (orders/create, orders/updated).
func (p *Processor) saveOrder(ctx context.Context, shop *app.Shop, d app.WebhookDelivery) error {
	var w orderWebhook
	if err := decodeBody(d, &w); err != nil {
		return err
	}
	o, err := w.order(shop.ID)
	if err != nil {
		return err
	}
	wrote, err := p.Orders.SaveOrder(ctx, o)
	if err != nil {
		return err
	}
	if !wrote {
		p.Log.InfoContext(ctx, "older order event ignored", "shop", shop.Domain, "order_id", o.ID, "topic", d.Topic)
	}
	return nil
}
