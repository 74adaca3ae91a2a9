package shipping

import (
	"context"
	"errors"
	"time"

	"github.com/waybill-app/waybill/app"
)

// Polling fallback: a parcel registered with an aggregator is first looked
// at after pushGrace (pushes normally come sooner); one followed by
// Shopify's own tracking after firstShopifyPoll. Each poll that finds no
// news doubles the wait, up to maxPollInterval.
const (
	pushGrace        = 12 * time.Hour
	firstShopifyPoll = 6 * time.Hour
	maxPollInterval  = 48 * time.Hour
	// PollsPerShop bounds one round's polls of a shop, PollBatch a round.
	PollsPerShop = 20
	PollBatch    = 500
	// StallBatch is how many shipments one stall round looks at.
	StallBatch = 1000
	// maxTrackingAge: a parcel shipped longer ago than this is no longer
	// polled or checked for stalls (whatever it became, nobody waits now).
	maxTrackingAge = 60 * 24 * time.Hour
	// throttledPollWait is how long a poll the provider throttled waits,
	// without counting as an empty look.
	throttledPollWait = 5 * time.Minute
)

// shipped is the one step after a shipment becomes a shipped fulfillment,
// whoever made it (Waybill's push, the admin, a 3PL): the parcel's tracking
// starts (its status is at least "shipped", the merchant's delivery window,
// the aggregator's registration, the polling fallback), then the customer
// is told. A failure to start tracking is logged: the email still goes.
func (svc *Service) shipped(ctx context.Context, shop *app.Shop, s *app.Shipment, e app.NotificationEvent) {
	if err := svc.startTracking(ctx, shop, s); err != nil {
		svc.Log.WarnContext(ctx, "tracking not started", "shop", shop.Domain, "shipment_id", s.ID, "err", err)
	}
	svc.notify(ctx, shop, s, e)
}

func (svc *Service) startTracking(ctx context.Context, shop *app.Shop, s *app.Shipment) error {
	settings, err := svc.Tracking.TrackingSettings(ctx, shop.ID)
	if err != nil {
		return err
	}
	now := svc.Clock.Now()
	start := app.TrackingStart{ShippedAt: now, NextPollAt: now.Add(firstShopifyPoll)}
	if s.ShippedAt != nil {
		start.ShippedAt = *s.ShippedAt
	}
	if w, ok := settings.Window(svc.destination(ctx, shop, s), s.Carrier); ok {
		from, to := app.DeliveryWindow(start.ShippedAt, shop.Location(), w)
		start.DeliveryWindowFrom, start.DeliveryWindowTo = &from, &to
	}
	src, err := svc.registeringSource(ctx, shop)
	if err != nil {
		return err
	}
	register := src != nil && s.TrackerState == app.TrackerNone
	if register {
		start.TrackerSourceID, start.NextPollAt = src.ID, now.Add(pushGrace)
	}
	if err := svc.Tracking.StartTracking(ctx, s.ID, start); err != nil {
		return err
	}
	if register {
		if err := svc.Dispatch.QueueTrackerRegister(ctx, shop.Domain, s.ID, 0); err != nil {
			// Recorded as queued: the poll round queues it again.
			svc.Log.WarnContext(ctx, "tracker registration not queued yet", "shop", shop.Domain, "shipment_id", s.ID, "err", err)
		}
	}
	return nil
}

// destination is the country the shipment's order goes to ("" unknown).
func (svc *Service) destination(ctx context.Context, shop *app.Shop, s *app.Shipment) string {
	if s.OrderID == 0 {
		return ""
	}
	o, err := svc.Orders.OrderByID(ctx, shop.ID, s.OrderID)
	if err != nil {
		return ""
	}
	return o.ShippingCountry
}

// registeringSource is the shop's aggregator that new parcels are
// registered with: the first connected one that registers (nil: Shopify's
// own tracking and 3PL pushes only).
func (svc *Service) registeringSource(ctx context.Context, shop *app.Shop) (*app.StatusSource, error) {
	sources, err := svc.Status.StatusSources(ctx, shop.ID)
	if err != nil {
		return nil, err
	}
	for i := range sources {
		if p, ok := svc.Providers[sources[i].Provider]; ok && p.Registers() {
			return &sources[i], nil
		}
	}
	return nil, nil
}

// Parcels already on their way when a merchant connects an aggregator are
// registered too: those shipped in the last connectWindow, at most
// connectLimit.
const (
	connectWindow = 60 * 24 * time.Hour
	connectLimit  = 5000
)

// SourceConnected registers the shop's parcels already on their way with a
// newly connected aggregator, when it is the one the shop registers with:
// those shipped within the provider's window (and connectWindow), spread
// over time within its rate. Safe to run twice.
func (svc *Service) SourceConnected(ctx context.Context, shopDomain, sourceID string) (int, error) {
	shop, err := svc.Shops.ShopByDomain(ctx, shopDomain)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return 0, nil
	}
	if err != nil || !shop.Active() {
		return 0, err
	}
	first, err := svc.registeringSource(ctx, shop)
	if err != nil || first == nil || first.ID != sourceID {
		return 0, err
	}
	provider := svc.Providers[first.Provider]
	window := min(connectWindow, provider.Limits().Window)
	ids, err := svc.Tracking.QueueTrackers(ctx, shop.ID, first.ID, svc.Clock.Now().Add(-window), connectLimit)
	if err != nil {
		return 0, err
	}
	perSecond := max(1, provider.Limits().PerSecond)
	for i, id := range ids {
		delay := time.Duration(i) * time.Second / time.Duration(perSecond)
		if err := svc.Dispatch.QueueTrackerRegister(ctx, shop.Domain, id, delay); err != nil {
			// Recorded as queued: the poll round queues it again.
			svc.Log.WarnContext(ctx, "tracker registration not queued yet", "shop", shop.Domain, "shipment_id", id, "err", err)
		}
	}
	return len(ids), nil
}

// RegisterTracker registers the shipment's number with the aggregator it
// was queued for, paced within the provider's published rate (Waybill's own
// pacing is ErrRateLimited: the task waits a second and tries again; the
// provider's throttle or outage is ErrUnavailable, retried with backoff). A
// number the provider refuses, a key it refuses, or a provider unreachable
// on the last try, leaves the parcel to Shopify's own tracking and the
// polls; the admin shows why. Safe to run twice.
func (svc *Service) RegisterTracker(ctx context.Context, shipmentID string, lastTry bool) error {
	s, err := svc.Shipments.ShipmentByID(ctx, shipmentID)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if s.TrackerState != app.TrackerQueued || s.State != app.ShipmentSynced || s.Status.Final() {
		return nil // registered, refused or stopped already, or nothing left to follow
	}
	shop := svc.activeShop(ctx, s.ShopID)
	if shop == nil {
		return nil
	}
	src, provider, err := svc.trackerOf(ctx, s)
	if err != nil || src == nil {
		return err
	}
	if err := svc.pace(ctx, src, provider); err != nil {
		return err
	}
	results, err := provider.Register(ctx, src, []app.Parcel{{TrackingNumber: s.TrackingNumber, Carrier: s.Carrier,
		DestinationCountry: svc.destination(ctx, shop, s)}})
	switch code := app.ErrorCodeOf(err); {
	case code == "":
	case code == app.ErrUnauthorized || code == app.ErrForbidden:
		if rerr := svc.Status.RecordSourceCheck(ctx, src.ID, string(code)); rerr != nil {
			return rerr
		}
		return svc.Tracking.SetTracker(ctx, s.ID, app.TrackerRejected, "", trackerRefusal(code))
	case code == app.ErrInvalid:
		return svc.Tracking.SetTracker(ctx, s.ID, app.TrackerRejected, "", app.TrackerRequestRefused)
	case lastTry:
		return svc.Tracking.SetTracker(ctx, s.ID, app.TrackerRejected, "", app.TrackerGaveUp)
	case code == app.ErrRateLimited:
		// The provider's own throttle (or daily limit): back off like an
		// outage, not like Waybill's one-second pacing.
		return app.WrapError(app.ErrUnavailable, err, "%s is throttling", provider.Name())
	default:
		return err
	}
	if len(results) != 1 {
		return app.Errorf(app.ErrUnavailable, "%s answered %d results for one number", provider.Name(), len(results))
	}
	r := results[0]
	switch app.ErrorCodeOf(r.Err) {
	case "":
		svc.Log.InfoContext(ctx, "tracker registered", "shop", shop.Domain, "shipment_id", s.ID, "provider", provider.Name())
		return svc.Tracking.SetTracker(ctx, s.ID, app.TrackerRegistered, r.TrackerID, "")
	case app.ErrInvalid, app.ErrForbidden:
		// The number refused for good, or the account's quota used up (the
		// merchant buys more): Shopify's own tracking and the polls go on.
		// The provider's own words stay in the log; the merchant reads a code.
		svc.Log.InfoContext(ctx, "tracker refused", "shop", shop.Domain, "shipment_id", s.ID,
			"provider", provider.Name(), "error", app.ErrorMessageOf(r.Err))
		detail := app.TrackerNumberRefused
		if app.ErrorCodeOf(r.Err) == app.ErrForbidden {
			detail = app.TrackerNoQuota
		}
		return svc.Tracking.SetTracker(ctx, s.ID, app.TrackerRejected, "", detail)
	}
	return r.Err
}

// trackerRefusal is why a provider that refused the key refused the number.
func trackerRefusal(code app.ErrorCode) string {
	if code == app.ErrForbidden {
		return app.TrackerNoQuota
	}
	return app.TrackerKeyRefused
}

// trackerOf is the shipment's aggregator; nil when it is gone (the
// shipment is left to Shopify's own tracking).
func (svc *Service) trackerOf(ctx context.Context, s *app.Shipment) (*app.StatusSource, app.StatusProvider, error) {
	src, err := svc.Status.StatusSourceByID(ctx, s.TrackerSourceID)
	if app.ErrorCodeOf(err) == app.ErrNotFound || (err == nil && src.ShopID != s.ShopID) {
		return nil, nil, svc.Tracking.SetTracker(ctx, s.ID, app.TrackerNone, "", "")
	}
	if err != nil {
		return nil, nil, err
	}
	provider, ok := svc.Providers[src.Provider]
	if !ok || !provider.Registers() {
		return nil, nil, svc.Tracking.SetTracker(ctx, s.ID, app.TrackerNone, "", "")
	}
	return src, provider, nil
}

// pace takes one of the provider's requests per second for the source's
// key, across every worker.
func (svc *Service) pace(ctx context.Context, src *app.StatusSource, provider app.StatusProvider) error {
	perSecond := max(1, provider.Limits().PerSecond)
	ok, err := svc.RateLimiter.Allow(ctx, "provider:"+src.ID, perSecond, time.Second)
	if err != nil {
		return err
	}
	if !ok {
		return app.Errorf(app.ErrRateLimited, "%s allows %d requests a second", provider.Name(), perSecond)
	}
	return nil
}

// PollDue is one round of the polling fallback: the shipments due a look
// (at most PollsPerShop a shop), each asked of its aggregator or of
// Shopify's own tracking; what is new is applied like a push. A parcel with
// no news is looked at again later and later (see nextPoll).
func (svc *Service) PollDue(ctx context.Context) (polled int, err error) {
	due, err := svc.Tracking.ShipmentsToPoll(ctx, svc.Clock.Now(), PollsPerShop, PollBatch)
	if err != nil {
		return 0, err
	}
	round := svc.newRound()
	for i := range due {
		s := &due[i]
		if err := svc.poll(ctx, s, round); err != nil {
			if app.ErrorCodeOf(err) == app.ErrRateLimited {
				// Throttled (by Waybill's pacing or the provider): a few
				// minutes later, not an empty look, and the shop's other
				// parcels get their turn meanwhile.
				later := svc.Clock.Now().Add(throttledPollWait)
				if serr := svc.Tracking.SchedulePoll(ctx, s.ID, &later, s.PollAttempts); serr != nil {
					return polled, serr
				}
				continue
			}
			svc.Log.WarnContext(ctx, "poll failed", "shipment_id", s.ID, "err", err)
			if serr := svc.Tracking.SchedulePoll(ctx, s.ID, svc.nextPoll(s.PollAttempts+1), s.PollAttempts+1); serr != nil {
				return polled, serr
			}
			continue
		}
		polled++
	}
	return polled, nil
}

// sweepRound remembers, for one round of a sweep, each shop (active or
// not) and its tracking settings: read once per shop, not per shipment.
type sweepRound struct {
	svc      *Service
	shops    map[string]*app.Shop
	settings map[string]*app.TrackingSettings
}

func (svc *Service) newRound() *sweepRound {
	return &sweepRound{svc: svc, shops: map[string]*app.Shop{}, settings: map[string]*app.TrackingSettings{}}
}

// shop is activeShop, asked once per shop in the round.
func (r *sweepRound) shop(ctx context.Context, id string) *app.Shop {
	shop, ok := r.shops[id]
	if !ok {
		shop = r.svc.activeShop(ctx, id)
		r.shops[id] = shop
	}
	return shop
}

// trackingSettings are the shop's, read once in the round.
func (r *sweepRound) trackingSettings(ctx context.Context, shopID string) (*app.TrackingSettings, error) {
	if set, ok := r.settings[shopID]; ok {
		return set, nil
	}
	loaded, err := r.svc.Tracking.TrackingSettings(ctx, shopID)
	if err != nil {
		return nil, err
	}
	r.settings[shopID] = &loaded
	return &loaded, nil
}

func (svc *Service) poll(ctx context.Context, s *app.Shipment, round *sweepRound) error {
	now := svc.Clock.Now()
	shop := round.shop(ctx, s.ShopID)
	if shop == nil || s.Status.Final() || s.Status == app.StatusExpired || (s.ShippedAt != nil && now.Sub(*s.ShippedAt) > maxTrackingAge) {
		return svc.Tracking.SchedulePoll(ctx, s.ID, nil, s.PollAttempts)
	}
	settings, err := round.trackingSettings(ctx, shop.ID)
	if err != nil {
		return err
	}
	var updates []app.StatusUpdate
	switch s.TrackerState {
	case app.TrackerQueued:
		// Its registration task was lost (Redis down when it was queued).
		if err := svc.Dispatch.QueueTrackerRegister(ctx, shop.Domain, s.ID, 0); err != nil {
			return err
		}
	case app.TrackerRegistered:
		src, provider, err := svc.trackerOf(ctx, s)
		if err != nil {
			return err
		}
		if src != nil && s.TrackerRegisteredAt != nil && now.After(s.TrackerRegisteredAt.Add(provider.Limits().Window)) {
			// Past the provider's window: it no longer tracks the number.
			if err := svc.stopTracker(ctx, s, src, provider); err != nil {
				return err
			}
			src = nil
		}
		if src != nil {
			if err := svc.pace(ctx, src, provider); err != nil {
				return err
			}
			updates, err = provider.Poll(ctx, src, []app.Parcel{{TrackingNumber: s.TrackingNumber, Carrier: s.Carrier, TrackerID: s.TrackerID}})
			switch code := app.ErrorCodeOf(err); code {
			case "":
			case app.ErrUnauthorized, app.ErrForbidden:
				// The key no longer works: the merchant sees why, and
				// Shopify's own tracking takes over.
				if err := svc.Status.RecordSourceCheck(ctx, src.ID, string(code)); err != nil {
					return err
				}
				if err := svc.Tracking.SetTracker(ctx, s.ID, app.TrackerRejected, "", trackerRefusal(code)); err != nil {
					return err
				}
			default:
				return err
			}
		}
	}
	if len(updates) == 0 && settings.ShopifyTracking && s.ShopifyFulfillmentID != 0 {
		ft, err := svc.Admin.FulfillmentTracking(ctx, shop.Domain, s.ShopifyFulfillmentID)
		if err != nil && app.ErrorCodeOf(err) != app.ErrNotFound {
			return err
		}
		if ft != nil {
			if u, ok := ft.Update(s.TrackingNumber); ok {
				u.FulfillmentID = s.ShopifyFulfillmentID
				updates = append(updates, u)
			}
		}
	}
	news := false
	for _, u := range updates {
		changes, err := svc.ApplyStatus(ctx, shop, u)
		if app.ErrorCodeOf(err) == app.ErrInvalid {
			svc.Log.WarnContext(ctx, "polled status not applied", "shop", shop.Domain, "shipment_id", s.ID, "err", err)
			continue
		}
		if err != nil {
			return err
		}
		for _, c := range changes {
			news = news || c.Changed || c.NewCheckpoints > 0
		}
	}
	attempts := s.PollAttempts + 1
	if news {
		attempts = 0
	}
	current, err := svc.Shipments.ShipmentByID(ctx, s.ID)
	if err != nil {
		return err
	}
	if current.Status.Final() || current.State != app.ShipmentSynced {
		return svc.Tracking.SchedulePoll(ctx, s.ID, nil, attempts)
	}
	if current.StallCheckAt == nil && current.StalledAt == nil {
		// First looked at by the poll (shipped before Waybill followed
		// parcels): the stall sweep takes it from here, knowing its news.
		if err := svc.Tracking.ScheduleStallCheck(ctx, s.ID, &now); err != nil {
			return err
		}
	}
	return svc.Tracking.SchedulePoll(ctx, s.ID, svc.nextPoll(attempts), attempts)
}

// nextPoll backs off: 6 h after news, doubling with each empty look, at
// most two days apart.
func (svc *Service) nextPoll(attempts int) *time.Time {
	wait := min(maxPollInterval, firstShopifyPoll<<min(attempts, 8))
	t := svc.Clock.Now().Add(wait)
	return &t
}

// stopTracker ends a registration (delivered, or past the window). A
// provider that cannot be reached is logged: its window ends it anyway.
func (svc *Service) stopTracker(ctx context.Context, s *app.Shipment, src *app.StatusSource, provider app.StatusProvider) error {
	if err := svc.pace(ctx, src, provider); err != nil {
		return err // within the provider's rate, like every call to it
	}
	if err := provider.Stop(ctx, src, []app.Parcel{{TrackingNumber: s.TrackingNumber, Carrier: s.Carrier, TrackerID: s.TrackerID}}); err != nil {
		svc.Log.WarnContext(ctx, "tracker not stopped at the provider", "shipment_id", s.ID, "provider", provider.Name(), "err", err)
	}
	return svc.Tracking.SetTracker(ctx, s.ID, app.TrackerStopped, "", "")
}

// CheckStalls is one round of the stall sweep: each due shipment is
// stalled when it has had no carrier news for the shop's number of days
// (domestic or cross-border) or is past its estimated delivery (the
// carrier's, else the merchant's window); otherwise it is looked at again
// when it would be. A newly stalled parcel's customer gets the "delayed"
// email (when the merchant switched it on), once.
func (svc *Service) CheckStalls(ctx context.Context) (stalled int, err error) {
	now := svc.Clock.Now()
	due, err := svc.Tracking.ShipmentsToCheckForStall(ctx, now, StallBatch)
	if err != nil {
		return 0, err
	}
	round := svc.newRound()
	for i := range due {
		s := &due[i]
		if !stallable(s, now) {
			if err := svc.Tracking.ScheduleStallCheck(ctx, s.ID, nil); err != nil {
				return stalled, err
			}
			continue
		}
		shop := round.shop(ctx, s.ShopID)
		if shop == nil {
			later := now.Add(24 * time.Hour)
			if err := svc.Tracking.ScheduleStallCheck(ctx, s.ID, &later); err != nil {
				return stalled, err
			}
			continue
		}
		set, err := round.trackingSettings(ctx, shop.ID)
		if err != nil {
			return stalled, err
		}
		deadline, reason := svc.stallDeadline(ctx, shop, s, *set)
		if now.Before(deadline) {
			if err := svc.Tracking.ScheduleStallCheck(ctx, s.ID, &deadline); err != nil {
				return stalled, err
			}
			continue
		}
		marked, err := svc.Tracking.MarkStalled(ctx, s.ID, reason, now, s.LastEventAt)
		if err != nil {
			return stalled, err
		}
		if marked {
			stalled++
			svc.Log.InfoContext(ctx, "shipment stalled", "shop", shop.Domain, "shipment_id", s.ID, "reason", reason)
			svc.notify(ctx, shop, s, app.NotifyDelayed)
		}
	}
	return stalled, nil
}

// stallable reports whether s can stall: in Shopify, on its way (not
// delivered; not waiting at a pickup point, returned or expired — the
// customer has heard of those already), not stalled yet, and not so old
// that nobody waits for it.
func stallable(s *app.Shipment, now time.Time) bool {
	switch {
	case s.State != app.ShipmentSynced, s.StalledAt != nil:
		return false
	case s.Status.Final(), s.Status == app.StatusException, s.Status == app.StatusExpired, s.Status == app.StatusAvailableForPickup:
		return false
	}
	return s.ShippedAt == nil || now.Sub(*s.ShippedAt) <= maxTrackingAge
}

// stallDeadline is when s stalls, and why.
func (svc *Service) stallDeadline(ctx context.Context, shop *app.Shop, s *app.Shipment, set app.TrackingSettings) (time.Time, string) {
	last := s.CreatedAt
	for _, t := range []*time.Time{s.ShippedAt, s.LastEventAt} {
		if t != nil && t.After(last) {
			last = *t
		}
	}
	dest := svc.destination(ctx, shop, s)
	crossBorder := dest != "" && shop.Country != "" && dest != shop.Country
	deadline, reason := last.Add(set.StallAfter(crossBorder)), app.StallNoEvents
	eta := s.DeliveryWindowTo
	if s.EstimatedDeliveryAt != nil {
		// The carrier's ETA is a day: late once that day is over where the
		// shop is.
		d := s.EstimatedDeliveryAt.In(shop.Location())
		end := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, shop.Location())
		eta = &end
	}
	if eta != nil && eta.Before(deadline) {
		deadline, reason = *eta, app.StallPastEstimate
	}
	return deadline, reason
}

// QueueDigests queues today's digest for each shop with stalled parcels,
// once its morning has come (8:00 in the shop's time zone): the task is
// unique per shop and day, and the digest itself is claimed once. Shops
// whose time zone and country were never read (installed before Waybill
// read them) get their set-up again first: it reads them, and subscribes
// the webhooks added since.
func (svc *Service) QueueDigests(ctx context.Context) (queued int, err error) {
	var errs []error
	unprofiled, err := svc.Tracking.ShopsWithoutProfile(ctx)
	if err != nil {
		return 0, err
	}
	for _, domain := range unprofiled {
		errs = append(errs, svc.Dispatch.QueueShopSetup(ctx, domain))
	}
	ids, err := svc.Tracking.ShopsWithStalledShipments(ctx)
	if err != nil {
		return 0, errors.Join(append(errs, err)...)
	}
	for _, id := range ids {
		shop := svc.activeShop(ctx, id)
		if shop == nil || shop.Email == "" {
			continue
		}
		local := svc.Clock.Now().In(shop.Location())
		if local.Hour() < digestHour {
			continue
		}
		if err := svc.Dispatch.QueueStallDigest(ctx, shop.Domain, local.Format(time.DateOnly)); err != nil {
			errs = append(errs, err)
			continue
		}
		queued++
	}
	return queued, errors.Join(errs...)
}

// digestHour is when, in the shop's time zone, the day's digest goes out.
const digestHour = 8
