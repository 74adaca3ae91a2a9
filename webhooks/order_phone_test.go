package webhooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/waybill-app/waybill/app"

	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/store"
)

// An order's phone and its customer's SMS consent reach Waybill's copy
// through the real intake, job and store: the phone as E.164 in the
// shipping country, a number that does not read not at all. Order webhooks
// no longer carry the customer's consent (API 2025-01): the job asks Shopify
// for it; a body that does carry it (an older API version) is read as is.
// Either way the consent is for the customer's own phone and counts only
// when the order's phone kept is that one: a gift recipient's number on the
// shipping address is not texted on the buyer's consent.
func TestOrderWebhookKeepsThePhoneAndSMSConsent(t *testing.T) {
	e := newEnv(t, store.SQLite, false)
	ctx := context.Background()
	line := []shopifyfake.NewLineItem{{SKU: "MUG-01", Title: "Taza", Quantity: 1}}
	spain := e.fake.CreateOrder(shop, shopifyfake.NewOrder{Email: "lucia@example.com", CustomerFirstName: "Lucía", ShippingCountry: "ES",
		Phone: "612 34 56 78", CustomerPhone: "+34612345678", SMSConsent: "SUBSCRIBED", LineItems: line})
	mexico := e.fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Ana", ShippingCountry: "MX", ShippingPhone: "55 1234 5678", LineItems: line})
	unreadable := e.fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Eva", ShippingCountry: "ES", Phone: "hola",
		CustomerPhone: "no tengo", SMSConsent: "SUBSCRIBED", LineItems: line})
	withdrawn := e.fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Luz", ShippingCountry: "ES", CustomerPhone: "+34 612 00 00 01",
		SMSConsent: "UNSUBSCRIBED", LineItems: line})
	gift := e.fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Pablo", ShippingCountry: "ES", ShippingPhone: "612 00 00 02",
		CustomerPhone: "+34699000003", SMSConsent: "SUBSCRIBED", LineItems: line})
	ownWithGiftAddress := e.fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Marta", ShippingCountry: "ES", Phone: "612 34 56 79",
		ShippingPhone: "612 00 00 05", CustomerPhone: "+34612345679", SMSConsent: "SUBSCRIBED", LineItems: line})
	otherOrderPhone := e.fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Irene", ShippingCountry: "ES", Phone: "612 00 00 06",
		CustomerPhone: "+34699000007", SMSConsent: "SUBSCRIBED", LineItems: line})

	// An older API version's body: the consent in the customer.
	var older map[string]any
	olderOrder := e.fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Sol", ShippingCountry: "ES", Phone: "699 12 34 56",
		CustomerPhone: "+34699123456", LineItems: line})
	if err := json.Unmarshal(e.fake.RESTOrder(shop, olderOrder.ID), &older); err != nil {
		t.Fatal(err)
	}
	older["customer"].(map[string]any)["sms_marketing_consent"] = map[string]any{"state": "subscribed", "opt_in_level": "single_opt_in",
		"consent_updated_at": "2026-11-30T10:00:00+01:00", "consent_collected_from": "SHOPIFY"}
	// and one for a gift: the consent is the buyer's, the phone the recipient's
	var olderGift map[string]any
	olderGiftOrder := e.fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Noa", ShippingCountry: "ES", ShippingPhone: "612 00 00 08",
		CustomerPhone: "+34699000009", LineItems: line})
	if err := json.Unmarshal(e.fake.RESTOrder(shop, olderGiftOrder.ID), &olderGift); err != nil {
		t.Fatal(err)
	}
	olderGift["customer"].(map[string]any)["sms_marketing_consent"] = older["customer"].(map[string]any)["sms_marketing_consent"]

	// A shop that texts nobody by SMS asks Shopify nothing: the consent
	// would have no use.
	beforeSMS := e.fake.CreateOrder(shop, shopifyfake.NewOrder{CustomerFirstName: "Ada", ShippingCountry: "ES",
		CustomerPhone: "+34 612 00 00 09", SMSConsent: "SUBSCRIBED", LineItems: line})
	if got := e.send("orders/create", "ev-phone-before-sms", e.fake.RESTOrder(shop, beforeSMS.ID)); got != 200 {
		t.Fatalf("orders/create: %d", got)
	}
	e.processed("orders/create", "ev-phone-before-sms")
	if o, err := e.db.OrderByID(ctx, e.shopID, beforeSMS.ID); err != nil || o.Phone != "+34612000009" || o.SMSConsent {
		t.Fatalf("before SMS was connected: %+v %v", o, err)
	}
	if n := e.fake.Calls("customer"); n != 0 {
		t.Fatalf("%d consent look-ups for a shop without SMS", n)
	}
	if err := e.db.SaveChannelConnection(ctx, &app.ChannelConnection{ShopID: e.shopID, Channel: app.ChannelSMS, Provider: app.ProviderTwilio,
		AccountID: "AC0123456789abcdef0123456789abcdef", SenderID: "+34911000111", Token: "twilio-auth-token"}); err != nil {
		t.Fatal(err)
	}

	bodies := map[int64]any{spain.ID: e.fake.RESTOrder(shop, spain.ID), mexico.ID: e.fake.RESTOrder(shop, mexico.ID),
		unreadable.ID: e.fake.RESTOrder(shop, unreadable.ID), withdrawn.ID: e.fake.RESTOrder(shop, withdrawn.ID),
		gift.ID: e.fake.RESTOrder(shop, gift.ID), ownWithGiftAddress.ID: e.fake.RESTOrder(shop, ownWithGiftAddress.ID),
		otherOrderPhone.ID: e.fake.RESTOrder(shop, otherOrderPhone.ID), olderOrder.ID: older, olderGiftOrder.ID: olderGift}
	for id, body := range bodies {
		event := fmt.Sprintf("ev-phone-%d", id)
		if got := e.send("orders/create", event, body); got != 200 {
			t.Fatalf("orders/create %d: %d", id, got)
		}
		e.processed("orders/create", event)
	}
	for _, c := range []struct {
		what    string
		id      int64
		phone   string
		consent bool
	}{
		{"a Spanish phone shipped to Spain, the customer's, subscribed", spain.ID, "+34612345678", true},
		{"a Mexican number only on the shipping address", mexico.ID, "+525512345678", false},
		{"no number that reads", unreadable.ID, "", false},
		{"consent withdrawn", withdrawn.ID, "+34612000001", false},
		{"a gift: the recipient's phone on the shipping address", gift.ID, "+34612000002", false},
		{"the order's phone is the customer's, the shipping address has another", ownWithGiftAddress.ID, "+34612345679", true},
		{"the order's phone is not the subscribed customer's", otherOrderPhone.ID, "+34612000006", false},
		{"the consent in an older body, for the order's phone", olderOrder.ID, "+34699123456", true},
		{"the consent in an older body, a gift", olderGiftOrder.ID, "+34612000008", false},
	} {
		o, err := e.db.OrderByID(ctx, e.shopID, c.id)
		if err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if o.Phone != c.phone || o.SMSConsent != c.consent {
			t.Errorf("%s: kept %q consent %v, want %q %v", c.what, o.Phone, o.SMSConsent, c.phone, c.consent)
		}
	}
	// Shopify was asked only where the body had a phone, a customer and no
	// consent: Spain, Mexico, withdrawn, the gift and the two other
	// subscribed customers (not the unreadable one, nor the older bodies).
	if n := e.fake.Calls("customer"); n != 6 {
		t.Errorf("%d consent look-ups, want 6", n)
	}
}
