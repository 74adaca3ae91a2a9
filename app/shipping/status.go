package shipping

import (
	"context"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/carrier"
)

// ApplyStatus records a carrier status report for the shop — from a tracking
// aggregator or a 3PL (see the statusfeed package) — and queues the
// publishing of each status change (PublishStatus).
func (svc *Service) ApplyStatus(ctx context.Context, shop *app.Shop, u app.StatusUpdate) ([]app.StatusChange, error) {
	u.TrackingNumber = carrier.Normalize(u.TrackingNumber)
	if u.TrackingNumber == "" && u.FulfillmentID == 0 {
		return nil, app.Errorf(app.ErrInvalid, "the update names no tracking number")
	}
	if !u.Status.Valid() {
		return nil, app.Errorf(app.ErrInvalid, "unknown status %q", u.Status)
	}
	if u.Source == app.ProviderShopify {
		settings, err := svc.Tracking.TrackingSettings(ctx, shop.ID)
		if err != nil {
			return nil, err
		}
		if !settings.ShopifyTracking {
			return nil, nil // the merchant switched Shopify's own tracking off
		}
	}
	changes, err := svc.Status.ApplyStatusUpdate(ctx, shop.ID, u)
	if err != nil {
		return nil, err
	}
	for _, c := range changes {
		if !c.Changed {
			continue
		}
		if err := svc.Dispatch.QueueTrackingEvent(ctx, shop.Domain, c.Shipment.ID, c.To); err != nil {
			// The status is recorded (the tracking page shows it); only its
			// fulfillment event and email wait for the queue.
			svc.Log.WarnContext(ctx, "status change not published yet", "shop", shop.Domain, "shipment_id", c.Shipment.ID, "err", err)
		}
	}
	return changes, nil
}

// statusLockTTL outlives a publish (its task times out at one minute).
const statusLockTTL = time.Minute

// PublishStatus tells the customer (out for delivery, delivered, exception:
// once each) and Shopify (a fulfillment event on the order status page) that
// the shipment reached status — if it still is the shipment's status. One
// status at a time per shipment: tasks run concurrently, and a late "out for
// delivery" after "delivered" would show the store a parcel going backwards.
func (svc *Service) PublishStatus(ctx context.Context, shipmentID string, status app.ParcelStatus) error {
	unlock, err := svc.Locker.Lock(ctx, "status-event:"+shipmentID, statusLockTTL)
	if err != nil {
		return err
	}
	defer unlock()
	s, err := svc.Shipments.ShipmentByID(ctx, shipmentID)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return nil // deleted (shop redacted)
	}
	if err != nil {
		return err
	}
	shop := svc.activeShop(ctx, s.ShopID)
	if shop == nil || s.State == app.ShipmentCancelled {
		return nil // uninstalled, or no longer tracked
	}
	if s.Status != status {
		svc.Log.InfoContext(ctx, "stale status not published", "shop", shop.Domain, "shipment_id", s.ID, "status", status, "current", s.Status)
		return nil
	}
	if e, ok := status.Notification(); ok {
		svc.notify(ctx, shop, s, e) // once per (shipment, event), whatever the retries below
	}
	if status.Final() && s.TrackerState == app.TrackerRegistered {
		if src, provider, err := svc.trackerOf(ctx, s); err != nil {
			return err
		} else if src != nil {
			if err := svc.stopTracker(ctx, s, src, provider); err != nil {
				return err
			}
		}
	}
	if s.ShopifyFulfillmentID == 0 || status.FulfillmentEventStatus() == "" || s.StatusSource == app.ProviderShopify {
		return nil // not in Shopify yet, a status Shopify has no event for, or Shopify's own
	}
	at := svc.Clock.Now()
	if s.StatusAt != nil {
		at = *s.StatusAt
	}
	return svc.Admin.CreateFulfillmentEvent(ctx, shop.Domain, s.ShopifyFulfillmentID, status.FulfillmentEventStatus(), at, s.EstimatedDeliveryAt, "")
}
