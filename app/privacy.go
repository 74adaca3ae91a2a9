package app

import (
	"context"
	"time"
)

// Customer identifies whose data a compliance webhook is about.
type Customer struct {
	ID    int64
	Email string
}

// DataRequest is a customers/data_request: the customer's data Waybill
// holds, compiled for the merchant to hand over.
type DataRequest struct {
	ID              string
	ShopID          string
	Customer        Customer
	OrdersRequested []int64
	Report          CustomerDataReport
	CreatedAt       time.Time
}

// CustomerDataReport is everything Waybill stores about one customer.
type CustomerDataReport struct {
	Orders    []Order    `json:"orders"`
	Shipments []Shipment `json:"shipments"`
	// Texts are the WhatsApp and SMS messages about those shipments (the
	// number is the order's, in Orders).
	Texts []CustomerText `json:"texts"`
}

// PrivacyStore carries out Shopify's mandatory compliance requests.
type PrivacyStore interface {
	// CustomerData compiles the customer's data (their orders, by id,
	// customer id or email, and those orders' shipments).
	CustomerData(ctx context.Context, shopID string, c Customer, orderIDs []int64) (CustomerDataReport, error)
	// SaveDataRequest records a data request with its report.
	SaveDataRequest(ctx context.Context, r DataRequest) error
	// ListDataRequests lists the shop's data requests, newest first, one
	// page (from 1) of perPage at a time, with how many there are in all.
	ListDataRequests(ctx context.Context, shopID string, page, perPage int) ([]DataRequest, int64, error)
	// RedactCustomer erases the customer's personal data from orders (and
	// everything derived from them) and returns how many orders it touched.
	RedactCustomer(ctx context.Context, shopID string, c Customer, orderIDs []int64) (int, error)
	// DeleteShopData deletes everything Waybill holds for the shop.
	DeleteShopData(ctx context.Context, shopDomain string) error
}

// WebhookLog remembers processed webhook events, so a re-delivery of an
// event already handled is a no-op even after its task is gone.
type WebhookLog interface {
	WebhookProcessed(ctx context.Context, topic, eventID string) (bool, error)
	MarkWebhookProcessed(ctx context.Context, shopDomain, topic, eventID string) error
	// PruneWebhookLog forgets events processed before t (Shopify retries for 48 hours).
	PruneWebhookLog(ctx context.Context, before time.Time) (int64, error)
}
