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
// fulfillmentTrackingInfoUpdate. The new values meet intake's rules (the
// same functions Submission.validate runs), so an edit can never store what
// the supplier API, a CSV or manual entry would refuse; a value the edit
// keeps is not judged again, so a shipment recorded before a rule existed
// can still be corrected one field at a time (except a kept link that is
// not http(s): it is dropped, never carried on).
func (svc *Service) Edit(ctx context.Context, shop *app.Shop, id, number, carrierName, url string) (*app.Shipment, error) {
	number, carrierName, url = strings.TrimSpace(number), strings.TrimSpace(carrierName), strings.TrimSpace(url)
	if number != "" {
		if msg := numberProblem(number); msg != "" {
			return nil, app.Errorf(app.ErrInvalid, "%s", msg)
		}
	}
	if msg := carrierProblem(carrierName); msg != "" {
		return nil, app.Errorf(app.ErrInvalid, "%s", msg)
	}
	if url != "" {
		if msg := app.TrackingURLProblem(url); msg != "" {
			return nil, app.Errorf(app.ErrInvalid, "%s", msg)
		}
	}
	s, err := svc.Owned(ctx, shop, id)
	if err != nil {
		return nil, err
	}
	newNumber := s.TrackingNumber
	if number != "" {
		newNumber = carrier.Normalize(number)
	}
	name := s.Carrier
	switch {
	case carrierName != "":
		c, _ := svc.Carriers.ByName(carrierName)
		name = c.Name
		if url == "" {
			url = c.TrackingURL(newNumber)
		}
	case newNumber != s.TrackingNumber:
		res := svc.Carriers.Detect(newNumber)
		if res.Carrier == nil {
			return nil, app.Errorf(app.ErrInvalid, "the carrier of %s cannot be told from the number: name the carrier", newNumber)
		}
		name = res.Carrier.Name
		if url == "" {
			url = res.Carrier.TrackingURL(newNumber)
		}
	}
	if url == "" && app.ValidTrackingURL(s.TrackingURL) {
		url = s.TrackingURL // kept; a link no rule allows today is dropped
	}
	if newNumber == s.TrackingNumber && name == s.Carrier && url == s.TrackingURL {
		return s, nil
	}
	edited, err := svc.Shipments.EditShipmentTracking(ctx, s.ID, newNumber, name, url)
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
	// The line says what was retried: the reason's code and parameters
	// (a check digit the merchant confirms, Shopify's refusal…).
	line := app.NewMessage(app.MsgRetried, fmt.Sprintf("Retried after: %s", s.StateReason), "reason_code", s.StateCode)
	for k, v := range s.StateParams {
		if k != "reason_code" {
			line.Params[k] = v
		}
	}
	if err := svc.Shipments.MoveShipment(ctx, s.ID, app.ShipmentPending, app.Message{}, app.EventRetry, line); err != nil {
		return nil, err
	}
	if err := svc.Dispatch.QueueTrackingSync(ctx, shop.Domain, s.ID); err != nil {
		return nil, err
	}
	return svc.Shipments.ShipmentByID(ctx, s.ID)
}
