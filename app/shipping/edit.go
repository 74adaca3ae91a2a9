package shipping

import (
	"context"
	"fmt"
	"strings"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/carrier"
)

// Edit changes a shipment's tracking number, carrier or URL (empty keeps the
// current value) and pushes the change: a synced shipment's fulfillment gets
// fulfillmentTrackingInfoUpdate.
func (svc *Service) Edit(ctx context.Context, shop *app.Shop, id, number, carrierName, url string) (*app.Shipment, error) {
	s, err := svc.Owned(ctx, shop, id)
	if err != nil {
		return nil, err
	}
	sub := Submission{OrderName: s.OrderRef, TrackingNumber: s.TrackingNumber, Carrier: s.Carrier, TrackingURL: url}
	if number != "" {
		sub.TrackingNumber = number
	}
	if msg := sub.validate(); msg != "" {
		return nil, app.Errorf(app.ErrInvalid, "%s", msg)
	}
	sub.TrackingNumber = carrier.Normalize(sub.TrackingNumber)
	name := s.Carrier
	switch {
	case strings.TrimSpace(carrierName) != "":
		c, _ := svc.Carriers.ByName(carrierName)
		name = c.Name
		if url == "" {
			url = c.TrackingURL(sub.TrackingNumber)
		}
	case number != "" && sub.TrackingNumber != s.TrackingNumber:
		res := svc.Carriers.Detect(sub.TrackingNumber)
		if res.Carrier == nil {
			return nil, app.Errorf(app.ErrInvalid, "the carrier of %s cannot be told from the number: name the carrier", sub.TrackingNumber)
		}
		name = res.Carrier.Name
		if url == "" {
			url = res.Carrier.TrackingURL(sub.TrackingNumber)
		}
	}
	if url == "" {
		url = s.TrackingURL
	}
	if sub.TrackingNumber == s.TrackingNumber && name == s.Carrier && url == s.TrackingURL {
		return s, nil
	}
	edited, err := svc.Shipments.EditShipmentTracking(ctx, s.ID, sub.TrackingNumber, name, url)
	if err != nil {
		return nil, err
	}
	if err := svc.Dispatch.QueueTrackingSync(ctx, shop.Domain, s.ID); err != nil {
		svc.Log.WarnContext(ctx, "push not queued yet", "shop", shop.Domain, "shipment_id", s.ID, "err", err)
	}
	return edited, nil
}

// Retry pushes a failed shipment, or one that needed attention, again.
func (svc *Service) Retry(ctx context.Context, shop *app.Shop, id string) (*app.Shipment, error) {
	s, err := svc.Owned(ctx, shop, id)
	if err != nil {
		return nil, err
	}
	switch s.State {
	case app.ShipmentSynced:
		return nil, app.Errorf(app.ErrConflict, "shipment %s is already in Shopify", id)
	case app.ShipmentCancelled:
		return nil, app.Errorf(app.ErrConflict, "shipment %s's fulfillment was cancelled in Shopify: enter its number again to ship it", id)
	case app.ShipmentPending, app.ShipmentSyncing:
		return s, nil // already on its way
	}
	if err := svc.Shipments.SetShipmentState(ctx, s.ID, app.ShipmentPending, "", app.EventRetry, fmt.Sprintf("Retried after: %s", s.StateReason)); err != nil {
		return nil, err
	}
	if err := svc.Dispatch.QueueTrackingSync(ctx, shop.Domain, s.ID); err != nil {
		return nil, err
	}
	return svc.Shipments.ShipmentByID(ctx, s.ID)
}
