package webhooks

import (
	"context"
	"strings"
	"time"
	"unicode"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/phone"
)

// orderWebhook is the part of Shopify's order webhook body Waybill keeps.
type orderWebhook struct {
	ID             int64     `json:"id"`
	Name           string    `json:"name"`
	Email          string    `json:"email"`
	ContactEmail   string    `json:"contact_email"`
	CustomerLocale string    `json:"customer_locale"`
	UpdatedAt      time.Time `json:"updated_at"`
	Phone          string    `json:"phone"`
	Customer       *struct {
		ID        int64  `json:"id"`
		FirstName string `json:"first_name"`
		Phone     string `json:"phone"`
		// SMSMarketingConsent: absent from order webhooks since API
		// 2025-01 (Shopify moved it to customers_marketing_consent/update);
		// read when a body has it.
		SMSMarketingConsent *struct {
			State string `json:"state"`
		} `json:"sms_marketing_consent"`
	} `json:"customer"`
	ShippingAddress *struct {
		FirstName   string `json:"first_name"`
		CountryCode string `json:"country_code"`
		Phone       string `json:"phone"`
	} `json:"shipping_address"`
	BillingAddress *struct {
		CountryCode string `json:"country_code"`
	} `json:"billing_address"`
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
	var customerPhone, shippingPhone string
	if w.Customer != nil {
		o.CustomerID, o.CustomerFirstName, customerPhone = w.Customer.ID, w.Customer.FirstName, w.Customer.Phone
	}
	if w.ShippingAddress != nil {
		o.ShippingCountry, shippingPhone = w.ShippingAddress.CountryCode, w.ShippingAddress.Phone
		if o.CustomerFirstName == "" {
			o.CustomerFirstName = w.ShippingAddress.FirstName
		}
	}
	country := w.phoneCountry()
	o.Phone = orderPhone(country, w.Phone, shippingPhone, customerPhone)
	if w.Customer != nil && w.Customer.SMSMarketingConsent != nil { // an older body: the consent is for customer.phone
		o.SMSConsent = consentFor(app.SMSConsent{Phone: customerPhone, Subscribed: w.Customer.SMSMarketingConsent.State == "subscribed"},
			o.Phone, country)
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

// phoneCountry is the country the order's phones are read in: the
// shipping address's, else the billing address's, else none (only a number
// written with its + prefix reads).
func (w orderWebhook) phoneCountry() string {
	if w.ShippingAddress != nil && w.ShippingAddress.CountryCode != "" {
		return w.ShippingAddress.CountryCode
	}
	if w.BillingAddress != nil {
		return w.BillingAddress.CountryCode
	}
	return ""
}

// orderPhone is the first of the order's phones (the order's, the shipping
// address's, the customer's) that reads as a number of country (the
// shipping country, else the billing country), in E.164; "" when none
// does: a number that does not read is never kept.
func orderPhone(country string, raws ...string) string {
	for _, raw := range raws {
		if e164, ok := phone.Normalize(raw, country); ok {
			return e164
		}
	}
	return ""
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

// needsConsentLookup reports whether the body leaves the customer's SMS
// consent to be asked for: the order has a phone to text and a customer,
// and (as every order webhook since API 2025-01) no sms_marketing_consent.
func (w orderWebhook) needsConsentLookup(o app.Order) bool {
	return o.Phone != "" && w.Customer != nil && w.Customer.ID != 0 && w.Customer.SMSMarketingConsent == nil
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
	if w.needsConsentLookup(o) && p.Shipping.TextsBySMS(ctx, shop.ID) {
		consent, err := p.Admin.CustomerSMSConsent(ctx, shop.Domain, o.CustomerID)
		switch code := app.ErrorCodeOf(err); {
		case err == nil:
			// the consent is for the customer's phone as Shopify has it now
			o.SMSConsent = consentFor(consent, o.Phone, w.phoneCountry())
		case code == app.ErrNotFound, code == app.ErrNeedsReauth, code == app.ErrForbidden:
			// No consent Waybill can show: kept as not given; a later
			// orders/updated asks again.
			p.Log.WarnContext(ctx, "order kept without the customer's SMS consent", "shop", shop.Domain, "order_id", o.ID, "error_code", code)
		default:
			return err // Shopify unavailable or throttled: the job retries
		}
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
