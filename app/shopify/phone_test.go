package shopify_test

import (
	"context"
	"testing"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shopifyfake"
)

// The install's backfill keeps each open order's phone as the orders/create
// webhook would: the order's, else the shipping address's, else the
// customer's, as E.164 in the shipping country (the billing country for a
// pickup); a number that does not read is dropped, never kept raw. Shopify's
// SMS consent is for the customer's own phone: it counts only when the
// phone kept is that one, so a gift recipient's number on the shipping
// address is never texted on the buyer's consent.
func TestBackfillReadsPhonesAndSMSConsent(t *testing.T) {
	fake, svc, _ := strictEnv(t, "")
	line := []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: 1}}
	own := fake.CreateOrder(shop, shopifyfake.NewOrder{Email: "lucia@example.com", CustomerFirstName: "Lucía", ShippingCountry: "ES",
		Phone: "612 34 56 78", CustomerPhone: "+34612345678", SMSConsent: "SUBSCRIBED", LineItems: line})
	otherOrderPhone := fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Irene", ShippingCountry: "ES",
		Phone: "612 34 56 79", CustomerPhone: "+34699999999", SMSConsent: "SUBSCRIBED", LineItems: line})
	gift := fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Pablo", ShippingCountry: "ES", ShippingPhone: "612 00 00 02",
		CustomerPhone: "+34 699 00 00 03", SMSConsent: "SUBSCRIBED", LineItems: line})
	customerOnly := fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Marta", ShippingCountry: "ES",
		CustomerPhone: "612 00 00 04", SMSConsent: "SUBSCRIBED", LineItems: line})
	mexico := fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Ana", ShippingCountry: "MX", ShippingPhone: "55 1234 5678", LineItems: line})
	unreadable := fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Eva", ShippingCountry: "ES", Phone: "hola", ShippingPhone: "123",
		CustomerPhone: "no tengo", SMSConsent: "SUBSCRIBED", LineItems: line})
	unsubscribed := fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Luz", ShippingCountry: "ES", CustomerPhone: "+34 612 00 00 01",
		SMSConsent: "UNSUBSCRIBED", LineItems: line})
	pickup := fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Sol", BillingCountry: "AR", CustomerPhone: "011 15 2345-6789",
		SMSConsent: "SUBSCRIBED", LineItems: line})

	page, err := svc.OpenOrders(context.Background(), shop, "")
	if err != nil {
		t.Fatal(err)
	}
	type kept struct {
		phone   string
		consent bool
	}
	got := map[int64]kept{}
	for _, b := range page.Orders {
		got[b.Order.ID] = kept{b.Order.Phone, b.Order.SMSConsent}
	}
	for _, c := range []struct {
		what string
		id   int64
		want kept
	}{
		{"the order's phone is the subscribed customer's", own.ID, kept{"+34612345678", true}},
		{"the order's phone is not the subscribed customer's", otherOrderPhone.ID, kept{"+34612345679", false}},
		{"a gift: the recipient's phone on the shipping address", gift.ID, kept{"+34612000002", false}},
		{"only the customer's phone, written as a Spaniard does", customerOnly.ID, kept{"+34612000004", true}},
		{"a Mexican number only on the shipping address", mexico.ID, kept{"+525512345678", false}},
		{"no number that reads: no consent to anything", unreadable.ID, kept{"", false}},
		{"the customer's phone, consent withdrawn", unsubscribed.ID, kept{"+34612000001", false}},
		{"a pickup: read in the billing country", pickup.ID, kept{"+5491123456789", true}},
	} {
		if got[c.id] != c.want {
			t.Errorf("%s: kept %+v, want %+v", c.what, got[c.id], c.want)
		}
	}
}

// A push's read of an order Waybill has no copy of follows the same rule.
func TestFindOrderConsentIsForTheCustomersPhone(t *testing.T) {
	fake, svc, _ := strictEnv(t, "")
	ctx := context.Background()
	line := []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: 1}}
	own := fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Lucía", ShippingCountry: "ES", ShippingPhone: "+34 612 34 56 78",
		CustomerPhone: "+34612345678", SMSConsent: "SUBSCRIBED", LineItems: line})
	gift := fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Pablo", ShippingCountry: "ES", ShippingPhone: "612 00 00 02",
		CustomerPhone: "+34699000003", SMSConsent: "SUBSCRIBED", LineItems: line})
	for _, c := range []struct {
		what    string
		id      int64
		phone   string
		consent bool
	}{
		{"the shipping phone is the customer's", own.ID, "+34612345678", true},
		{"a gift recipient's shipping phone", gift.ID, "+34612000002", false},
	} {
		o, err := svc.FindOrder(ctx, shop, c.id, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if o.Phone != c.phone || o.SMSConsent != c.consent {
			t.Errorf("%s: phone %q consent %v, want %q %v", c.what, o.Phone, o.SMSConsent, c.phone, c.consent)
		}
	}
}

// The consent look-up answers the phone the consent is for, as Shopify has
// it (not normalised), so a caller can tell whether it covers an order's
// phone; a customer without a phone has none; an unknown customer is
// ErrNotFound.
func TestCustomerSMSConsentNamesItsPhone(t *testing.T) {
	fake, svc, _ := strictEnv(t, "")
	ctx := context.Background()
	line := []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: 1}}
	subscribed := fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Lucía", ShippingCountry: "ES", ShippingPhone: "612 00 00 02",
		CustomerPhone: "+34 699 00 00 03", SMSConsent: "SUBSCRIBED", LineItems: line})
	withdrawn := fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Luz", ShippingCountry: "ES",
		CustomerPhone: "+34612000001", SMSConsent: "UNSUBSCRIBED", LineItems: line})
	noPhone := fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Eva", Email: "eva@example.com", ShippingCountry: "ES", LineItems: line})
	for _, c := range []struct {
		what string
		id   int64
		want app.SMSConsent
	}{
		{"subscribed, for the customer's phone (not the shipping address's)", subscribed.CustomerID, app.SMSConsent{Phone: "+34 699 00 00 03", Subscribed: true}},
		{"withdrawn", withdrawn.CustomerID, app.SMSConsent{Phone: "+34612000001"}},
		{"a customer without a phone", noPhone.CustomerID, app.SMSConsent{}},
	} {
		got, err := svc.CustomerSMSConsent(ctx, shop, c.id)
		if err != nil || got != c.want {
			t.Errorf("%s: %+v %v, want %+v", c.what, got, err, c.want)
		}
	}
	if _, err := svc.CustomerSMSConsent(ctx, shop, 999999999); app.ErrorCodeOf(err) != app.ErrNotFound {
		t.Errorf("an unknown customer: %v", err)
	}
}
