package shopify

import (
	"context"

	"github.com/waybill-app/waybill/app"
)

// customerSMSConsentQuery reads a customer's SMS consent with the phone it
// is for: since API 2025-01 order webhooks no longer carry the customer's
// sms_marketing_consent (Shopify's changelog "New customer's webhook and
// changes to existing customer's webhooks payload"), so an order webhook
// with a phone asks here. Shopify keeps the consent on the customer's
// default phone (CustomerPhoneNumber.smsMarketingConsent), so the number is
// read too (protected customer data, as the order's phones are): the
// consent counts only for an order whose phone is that one.
const customerSMSConsentQuery = `query CustomerSmsConsent($id: ID!) { customer(id: $id) {
  defaultPhoneNumber { phoneNumber smsMarketingConsent { state } } } }`

// The customer 1, its phone 1, the consent 1 (the number, a scalar, 0).
var costCustomerSMSConsent = cost{requested: 3, actual: 3}

// CustomerSMSConsent implements app.ShopifyAdmin.
func (s *Service) CustomerSMSConsent(ctx context.Context, shopDomain string, customerID int64) (app.SMSConsent, error) {
	client, err := s.adminClient(ctx, shopDomain)
	if err != nil {
		return app.SMSConsent{}, err
	}
	var resp struct {
		Customer *struct {
			DefaultPhoneNumber *customerPhoneNode `json:"defaultPhoneNumber"`
		} `json:"customer"`
	}
	if err := s.paced(ctx, client, shopDomain, costCustomerSMSConsent, customerSMSConsentQuery,
		map[string]any{"id": gid("Customer", customerID)}, &resp); err != nil {
		return app.SMSConsent{}, err
	}
	if resp.Customer == nil {
		return app.SMSConsent{}, app.Errorf(app.ErrNotFound, "Shopify has no customer %d in this store", customerID)
	}
	return resp.Customer.DefaultPhoneNumber.consent(), nil
}
