package shopify_test

import (
	"context"
	"testing"

	"github.com/waybill-app/waybill/app/shopifyfake"
)

// The install's backfill keeps each open order's phone as the orders/create
// webhook would: the order's, else the shipping address's, else the
// customer's, as E.164 in the shipping country (the billing country for a
// pickup); a number that does not read is dropped, never kept raw; the SMS
// consent is the customer's.
func TestBackfillReadsPhonesAndSMSConsent(t *testing.T) {
	fake, svc, _ := strictEnv(t, "")
	line := []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: 1}}
	spain := fake.CreateOrder(shop, shopifyfake.NewOrder{Email: "lucia@example.com", CustomerFirstName: "Lucía", ShippingCountry: "ES",
		Phone: "612 34 56 78", CustomerPhone: "+34699999999", SMSConsent: "SUBSCRIBED", LineItems: line})
	mexico := fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Ana", ShippingCountry: "MX", ShippingPhone: "55 1234 5678", LineItems: line})
	unreadable := fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Eva", ShippingCountry: "ES", Phone: "hola", ShippingPhone: "123",
		CustomerPhone: "no tengo", SMSConsent: "SUBSCRIBED", LineItems: line})
	unsubscribed := fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Luz", ShippingCountry: "ES", CustomerPhone: "+34 612 00 00 01",
		SMSConsent: "UNSUBSCRIBED", LineItems: line})
	pickup := fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Sol", BillingCountry: "AR", CustomerPhone: "011 15 2345-6789", LineItems: line})

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
		{"the order's Spanish phone, the customer subscribed", spain.ID, kept{"+34612345678", true}},
		{"a Mexican number only on the shipping address", mexico.ID, kept{"+525512345678", false}},
		{"no number that reads", unreadable.ID, kept{"", true}},
		{"the customer's phone, consent withdrawn", unsubscribed.ID, kept{"+34612000001", false}},
		{"a pickup: read in the billing country", pickup.ID, kept{"+5491123456789", false}},
	} {
		if got[c.id] != c.want {
			t.Errorf("%s: kept %+v, want %+v", c.what, got[c.id], c.want)
		}
	}
}
