package shipping

import (
	"context"
	"time"

	"github.com/waybill-app/waybill/app"
)

const (
	// insightSnapshotMaxAge: an older snapshot is not served (the figures
	// would miss too much: emails and visits do not count as changes).
	insightSnapshotMaxAge = time.Hour
	// insightRefreshBatch bounds the shops one sweep queues.
	insightRefreshBatch = 50
)

// InsightsReport is the analytics the admin shows: a snapshot's, or
// computed live.
type InsightsReport struct {
	Rows []app.InsightRow
	Live bool
	// ComputedAt is the snapshot's; nil when live.
	ComputedAt *time.Time
}

// presetPeriod is the preset q's period is (30, 90 or 365 days ending
// today on the shop's calendar, as the admin's dates read it), or 0.
func presetPeriod(q app.InsightQuery, shop *app.Shop, now time.Time) int {
	for _, days := range app.InsightPeriods {
		from, to := insightPeriod(shop, now, days)
		if q.From.Equal(from) && q.To.Equal(to) {
			return days
		}
	}
	return 0
}

// insightPeriod is [from, to) of the days-long period ending today on the
// shop's calendar, as the admin's dates are read (midnight UTC of each
// date, to exclusive).
func insightPeriod(shop *app.Shop, now time.Time, days int) (from, to time.Time) {
	y, m, d := now.In(shop.Location()).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return today.AddDate(0, 0, -(days - 1)), today.AddDate(0, 0, 1)
}

// ShopInsights is the admin's analytics for q. A preset period of a big shop
// (InsightsSnapshotFrom shipments or more in its snapshot) is served from its
// snapshot when that was computed today (the shop's calendar) less than an
// hour ago; otherwise the figures are computed live — a small shop's always,
// so what the merchant just did shows at once — and, for a big shop's preset
// period, a refresh of the shop's snapshots is queued.
func (svc *Service) ShopInsights(ctx context.Context, shop *app.Shop, q app.InsightQuery) (InsightsReport, error) {
	now := svc.Clock.Now()
	days := presetPeriod(q, shop, now)
	if days > 0 {
		snap, err := svc.Insights.InsightSnapshot(ctx, shop.ID, days, q.By)
		switch {
		case err == nil && fresh(snap, shop, now) && shipmentsIn(snap.Rows) >= int64(svc.InsightsSnapshotFrom):
			at := snap.ComputedAt
			return InsightsReport{Rows: snap.Rows, ComputedAt: &at}, nil
		case err != nil && app.ErrorCodeOf(err) != app.ErrNotFound:
			return InsightsReport{}, err
		}
	}
	rows, err := svc.Insights.ShipmentInsights(ctx, shop.ID, q)
	if days > 0 && err == nil && shipmentsIn(rows) >= int64(svc.InsightsSnapshotFrom) {
		// After the live query, not before: a refresh running alongside
		// it would double the load of a big shop's slowest moment.
		if qerr := svc.Dispatch.QueueInsightRefresh(ctx, shop.Domain); qerr != nil {
			svc.Log.WarnContext(ctx, "insights refresh not queued", "shop", shop.Domain, "err", qerr)
		}
	}
	if err != nil {
		return InsightsReport{}, err
	}
	return InsightsReport{Rows: rows, Live: true}, nil
}

// shipmentsIn is the period's shipments: every group's, summed.
func shipmentsIn(rows []app.InsightRow) int64 {
	var n int64
	for _, r := range rows {
		n += r.Shipments
	}
	return n
}

// fresh: computed on today's date (the shop's calendar: the period it
// covers still ends today) and less than insightSnapshotMaxAge ago.
func fresh(s *app.InsightSnapshot, shop *app.Shop, now time.Time) bool {
	loc := shop.Location()
	y1, m1, d1 := s.ComputedAt.In(loc).Date()
	y2, m2, d2 := now.In(loc).Date()
	return y1 == y2 && m1 == m2 && d1 == d2 && now.Sub(s.ComputedAt) < insightSnapshotMaxAge
}

// RefreshInsights computes the shop's snapshots: every preset period ending
// today (its calendar), every grouping. Each is saved once computed. A shop
// that is not active is left as it is.
func (svc *Service) RefreshInsights(ctx context.Context, shopDomain string) error {
	shop, err := svc.Shops.ShopByDomain(ctx, shopDomain)
	if err != nil {
		return err
	}
	if !shop.Active() {
		return nil
	}
	// The start, not the end: a change made while computing is newer than
	// the snapshot, so the next sweep picks the shop again.
	now := svc.Clock.Now()
	started := time.Now() // for the log's duration only (the test clock stands still)
	save := func(days int, by app.InsightGrouping) ([]app.InsightRow, error) {
		from, to := insightPeriod(shop, now, days)
		rows, err := svc.Insights.ShipmentInsights(ctx, shop.ID, app.InsightQuery{From: from, To: to, By: by})
		if err != nil {
			return nil, err
		}
		return rows, svc.Insights.SaveInsightSnapshot(ctx, app.InsightSnapshot{ShopID: shop.ID, PeriodDays: days, By: by,
			ComputedAt: now, Rows: rows})
	}
	// The longest period first: a shop too small for snapshots even over a
	// year is always answered live, so its other snapshots would never be
	// read. The one saved marks it refreshed for the sweep.
	longest := app.InsightPeriods[len(app.InsightPeriods)-1]
	year, err := save(longest, app.InsightGroupings[0])
	if err != nil {
		return err
	}
	if shipmentsIn(year) < int64(svc.InsightsSnapshotFrom) {
		return nil
	}
	for _, days := range app.InsightPeriods {
		for _, by := range app.InsightGroupings {
			if days == longest && by == app.InsightGroupings[0] {
				continue
			}
			if _, err := save(days, by); err != nil {
				return err
			}
		}
	}
	svc.Log.InfoContext(ctx, "insights refreshed", "shop", shop.Domain, "duration_ms", time.Since(started).Milliseconds())
	return nil
}

// QueueInsightRefreshes queues a refresh of up to insightRefreshBatch shops
// whose shipments changed since their snapshots (or that have none), and
// returns how many it queued.
func (svc *Service) QueueInsightRefreshes(ctx context.Context) (int, error) {
	domains, err := svc.Insights.ShopsWithInsightChanges(ctx, insightRefreshBatch)
	if err != nil {
		return 0, err
	}
	queued := 0
	for _, d := range domains {
		if err := svc.Dispatch.QueueInsightRefresh(ctx, d); err != nil {
			return queued, err
		}
		queued++
	}
	return queued, nil
}
