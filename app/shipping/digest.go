package shipping

import (
	"context"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/email"
)

// digestLines bounds the digest: the admin's stalled list has the rest.
const digestLines = 50

// SendDigest emails the merchant the day's stalled parcels, once per shop
// and day (claimed before sending; a send that fails releases the claim so
// the retry sends it). In the shop's language, to the store's address.
func (svc *Service) SendDigest(ctx context.Context, shopDomain, day string) error {
	shop, err := svc.Shops.ShopByDomain(ctx, shopDomain)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if !shop.Active() || shop.Email == "" {
		return nil
	}
	page, err := svc.Lister.ListShipments(ctx, shop.ID, app.ShipmentFilter{State: app.ShipmentSynced, Stalled: true, PerPage: digestLines})
	if err != nil || page.Total == 0 {
		return err
	}
	settings, err := svc.Notifications.NotificationSettings(ctx, shop.ID)
	if err != nil {
		return err
	}
	claimed, err := svc.Tracking.ClaimDigest(ctx, shop.ID, day)
	if err != nil || !claimed {
		return err
	}
	d := email.Digest{Locale: svc.Emails.Locale("", settings.PrimaryLocale), ShopName: shop.DisplayName(), Location: shop.Location(),
		AdminURL: "https://" + shop.Domain + "/admin/apps/" + svc.AppAPIKey + "/shipments?stalled=true"}
	for _, s := range page.Shipments {
		eta := s.EstimatedDeliveryAt
		if eta == nil {
			eta = s.DeliveryWindowTo
		}
		line := email.DigestLine{OrderName: s.OrderName, TrackingNumber: s.TrackingNumber, Carrier: s.Carrier, Reason: s.StalledReason,
			LastEventAt: s.LastEventAt, EstimatedDelivery: eta}
		if s.StalledAt != nil {
			line.StalledAt = *s.StalledAt
		}
		d.Lines = append(d.Lines, line)
	}
	rendered, err := svc.Emails.RenderDigest(d)
	if err != nil {
		return svc.release(ctx, shop.ID, day, err)
	}
	err = svc.Mailer.Send(ctx, app.Email{FromName: "Waybill", To: shop.Email, Subject: rendered.Subject, HTML: rendered.HTML,
		Text: rendered.Text, Locale: rendered.Locale})
	if err != nil {
		return svc.release(ctx, shop.ID, day, err)
	}
	svc.Log.InfoContext(ctx, "stall digest sent", "shop", shop.Domain, "day", day, "stalled", page.Total)
	return nil
}

func (svc *Service) release(ctx context.Context, shopID, day string, err error) error {
	if rerr := svc.Tracking.ReleaseDigest(ctx, shopID, day); rerr != nil {
		return joinRecorded(err, rerr)
	}
	return err
}
