package webhooks

import (
	"encoding/json"
	"testing"
)

// orderBody is Shopify's published orders/create sample with changes: each
// key path ("shipping_address.phone") set to its value, nil removing it.
func orderBody(t *testing.T, changes map[string]any) orderWebhook {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(sampleDelivery(t, "orders/create").Body, &body); err != nil {
		t.Fatal(err)
	}
	for path, v := range changes {
		m, key := body, path
		for i := 0; i < len(key); i++ {
			if key[i] == '.' {
				m, key = m[key[:i]].(map[string]any), key[i+1:]
				i = -1
			}
		}
		if v == nil {
			delete(m, key)
		} else {
			m[key] = v
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	var w orderWebhook
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

// An order webhook's phone is the order's, else the shipping address's,
// else the customer's, read as E.164 in the shipping country (the billing
// country when there is no shipping address); a number that does not read
// is dropped, never kept raw. The SMS consent, when the body carries it
// (webhooks before API 2025-01 did), is Shopify's for the customer's phone
// (customer.phone): it counts only when the phone kept is that one, so a
// gift recipient's number on the shipping address never has it.
func TestOrderWebhookPhoneAndConsent(t *testing.T) {
	subscribed := map[string]any{"state": "subscribed", "opt_in_level": "single_opt_in",
		"consent_updated_at": "2026-11-30T10:00:00+01:00", "consent_collected_from": "SHOPIFY"}
	for _, c := range []struct {
		what          string
		changes       map[string]any
		phone         string
		consent       bool
		lookUpConsent bool
	}{
		{"Shopify's sample: a US shipping phone that is no number (555-555-SHIP)", nil, "", false, false},
		{"the order's phone is the subscribed customer's", map[string]any{"phone": "612 34 56 78", "customer.phone": "+34612345678",
			"shipping_address.country_code": "ES", "customer.sms_marketing_consent": subscribed}, "+34612345678", true, false},
		{"the order's phone is the customer's, the shipping address has another: the order's kept, with the consent",
			map[string]any{"phone": "612 34 56 78", "shipping_address.phone": "612 00 00 02", "customer.phone": "612 34 56 78",
				"shipping_address.country_code": "ES", "customer.sms_marketing_consent": subscribed}, "+34612345678", true, false},
		{"the order's phone is not the subscribed customer's", map[string]any{"phone": "612 34 56 78", "customer.phone": "+34 699 12 34 56",
			"shipping_address.country_code": "ES", "customer.sms_marketing_consent": subscribed}, "+34612345678", false, false},
		{"a gift: no order phone, the recipient's on the shipping address", map[string]any{"phone": nil, "shipping_address.phone": "612 00 00 02",
			"customer.phone": "+34 699 12 34 56", "shipping_address.country_code": "ES", "customer.sms_marketing_consent": subscribed},
			"+34612000002", false, false},
		{"a consent that names no phone (customer.phone absent)", map[string]any{"phone": "612 34 56 78",
			"shipping_address.country_code": "ES", "customer.sms_marketing_consent": subscribed}, "+34612345678", false, false},
		{"the same without the consent in the body (API 2025-01 on): asked for", map[string]any{"phone": "612 34 56 78",
			"shipping_address.country_code": "ES"}, "+34612345678", false, true},
		{"a Mexican phone only on the shipping address", map[string]any{"shipping_address.country_code": "MX",
			"shipping_address.phone": "55 1234 5678"}, "+525512345678", false, true},
		{"the customer's phone when the order and address have none", map[string]any{"shipping_address.country_code": "ES",
			"shipping_address.phone": nil, "customer.phone": "+34 699 12 34 56"}, "+34699123456", false, true},
		{"an unreadable order phone: the next one that reads", map[string]any{"phone": "hola", "shipping_address.country_code": "MX",
			"shipping_address.phone": "55 1234 5678"}, "+525512345678", false, true},
		{"nothing that reads: no consent to anything", map[string]any{"phone": "hola", "shipping_address.country_code": "ES", "shipping_address.phone": "123",
			"customer.phone": "no tengo", "customer.sms_marketing_consent": subscribed}, "", false, false},
		{"a pickup: read in the billing country", map[string]any{"shipping_address": nil, "billing_address.country_code": "AR",
			"customer.phone": "011 15 2345-6789"}, "+5491123456789", false, true},
		{"a pickup, the customer subscribed: their phone read in the billing country", map[string]any{"shipping_address": nil,
			"billing_address.country_code": "AR", "customer.phone": "011 15 2345-6789", "customer.sms_marketing_consent": subscribed},
			"+5491123456789", true, false},
		{"consent unsubscribed", map[string]any{"phone": "612 34 56 78", "customer.phone": "+34612345678", "shipping_address.country_code": "ES",
			"customer.sms_marketing_consent": map[string]any{"state": "unsubscribed", "opt_in_level": "single_opt_in",
				"consent_updated_at": nil, "consent_collected_from": "OTHER"}}, "+34612345678", false, false},
		{"a phone and no customer: nobody to ask", map[string]any{"phone": "612 34 56 78", "shipping_address.country_code": "ES",
			"customer": nil}, "+34612345678", false, false},
	} {
		w := orderBody(t, c.changes)
		o, err := w.order("shop-1")
		if err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		if o.Phone != c.phone || o.SMSConsent != c.consent || w.needsConsentLookup(o) != c.lookUpConsent {
			t.Errorf("%s: phone %q, consent %v, asks Shopify %v; want %q, %v, %v", c.what, o.Phone, o.SMSConsent,
				w.needsConsentLookup(o), c.phone, c.consent, c.lookUpConsent)
		}
	}
}
