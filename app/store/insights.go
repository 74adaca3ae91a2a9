package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/waybill-app/waybill/app"
)

type trackingVisitRow struct {
	ShopID     string
	ShipmentID string `gorm:"primaryKey"`
	Day        string `gorm:"primaryKey"`
	Visits     int64
}

func (trackingVisitRow) TableName() string { return "tracking_visits" }

// daysBetween is the SQL for (a − b) in days, fractional.
func (db *DB) daysBetween(a, b string) string {
	if db.engine == Postgres {
		return fmt.Sprintf("CAST(EXTRACT(EPOCH FROM (%s - %s)) / 86400.0 AS DOUBLE PRECISION)", a, b)
	}
	return fmt.Sprintf("(julianday(%s) - julianday(%s))", a, b)
}

// localDay is the SQL for the calendar day of col at a UTC offset of
// offset seconds (the shop's clock).
func (db *DB) localDay(col string, offset int) string {
	if db.engine == Postgres {
		return fmt.Sprintf("CAST(%s + INTERVAL '%d seconds' AS DATE)", col, offset)
	}
	return fmt.Sprintf("date(%s, '%+d seconds')", col, offset)
}

// insightKey is the grouping's SQL expression and the join it needs.
func insightKey(by app.InsightGrouping) (key, join string, err error) {
	switch by {
	case app.ByCarrier:
		return "s.carrier", "", nil
	case app.BySupplier:
		// The API key's name, or the source for numbers no key sent (split
		// again in Go: one expression to group by on both engines).
		return "CASE WHEN k.id IS NULL THEN 'source:' || s.source ELSE 'key:' || k.name END", "LEFT JOIN api_keys k ON k.id = s.api_key_id", nil
	case app.ByCountry:
		return "COALESCE(o.shipping_country, '')", "LEFT JOIN orders o ON o.shop_id = s.shop_id AND o.id = s.order_id", nil
	}
	return "", "", app.Errorf(app.ErrInvalid, "by must be one of carrier, supplier, country")
}

const ordersJoin = "LEFT JOIN orders o ON o.shop_id = s.shop_id AND o.id = s.order_id"

// spreadBucketsPerDay is the duration histograms' resolution: hours.
const spreadBucketsPerDay = 24

// The durations: which of them a shipment has, its value in days and its
// histogram bucket (a monotonic function of the value, so that the buckets
// are ordered like the values they hold).
type duration struct{ name, has, days string }

func (d duration) bucket() string {
	return fmt.Sprintf("CAST(%s * %d AS BIGINT)", d.days, spreadBucketsPerDay)
}

func (db *DB) durations() []duration {
	return []duration{
		{"o2f", "s.shipped_at IS NOT NULL AND o.created_at IS NOT NULL", db.daysBetween("s.shipped_at", "o.created_at")},
		{"f2d", "s.status = 'delivered' AND s.shipped_at IS NOT NULL AND s.status_at IS NOT NULL", db.daysBetween("s.status_at", "s.shipped_at")},
	}
}

// durationSQL is the SQL of the duration named by w.which, of its bucket
// and of whether the shipment has it.
func (db *DB) durationSQL() (days, bucket, has string) {
	days, bucket = "CASE w.which", "CASE w.which"
	var hases []string
	for _, d := range db.durations() {
		days += fmt.Sprintf(" WHEN '%s' THEN %s", d.name, d.days)
		bucket += fmt.Sprintf(" WHEN '%s' THEN %s", d.name, d.bucket())
		hases = append(hases, fmt.Sprintf("(w.which = '%s' AND %s)", d.name, d.has))
	}
	return days + " END", bucket + " END", "(" + strings.Join(hases, " OR ") + ")"
}

// ShipmentInsights implements app.Insights, in one read transaction of
// grouped aggregates over the shop's shipments created in the period
// (shipments_shop_created): the counts; an hourly histogram of each
// duration (a few thousand buckets, no sort of the shipments); the
// durations in only the buckets that hold the ranks the median and 90th
// percentile need, so both stay exact (see spreads); stalls cleared since,
// emails and visits.
func (db *DB) ShipmentInsights(ctx context.Context, shopID string, q app.InsightQuery) ([]app.InsightRow, error) {
	key, join, err := insightKey(q.By)
	if err != nil {
		return nil, err
	}
	if q.From.IsZero() || q.To.IsZero() || !q.To.After(q.From) {
		return nil, app.Errorf(app.ErrInvalid, "the period needs from before to")
	}
	offset, err := db.shopUTCOffset(ctx, shopID, q.To)
	if err != nil {
		return nil, err
	}
	var out []app.InsightRow
	err = db.readOnly(ctx, func(g *gorm.DB) error {
		out, err = db.insights(g, shopID, q, key, join, offset)
		return err
	})
	return out, err
}

// readOnly runs fn on one connection. On PostgreSQL, in a repeatable-read
// transaction (the histogram and the values read after it see the same
// shipments) without JIT compilation: the planner's estimates for these
// scans ask for it, and compiling cost more (1.4 s measured) than it saved.
func (db *DB) readOnly(ctx context.Context, fn func(g *gorm.DB) error) error {
	if db.engine != Postgres {
		// SQLite transactions here begin IMMEDIATE: they would take the
		// write lock.
		return fn(db.gorm.WithContext(ctx))
	}
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").Error; err != nil {
			return err
		}
		if err := tx.Exec("SET LOCAL jit = off").Error; err != nil {
			return err
		}
		return fn(tx)
	})
}

func (db *DB) insights(g *gorm.DB, shopID string, q app.InsightQuery, key, join string, offset int) ([]app.InsightRow, error) {
	period := "s.shop_id = ? AND s.created_at >= ? AND s.created_at < ?"
	args := []any{shopID, q.From.UTC(), q.To.UTC()}
	rows := map[string]*app.InsightRow{}
	row := func(k string) *app.InsightRow {
		if r, ok := rows[k]; ok {
			return r
		}
		r := &app.InsightRow{Key: k}
		rows[k] = r
		return r
	}
	withOrders := ordersJoin
	if join != ordersJoin {
		withOrders += " " + join
	}

	deadline := "COALESCE(s.estimated_delivery_at, s.delivery_window_to)"
	var counts []struct {
		K                                                      string
		Shipments, Delivered, WithEstimate, OnTime, Exceptions int64
		StalledNow                                             int64
	}
	if err := g.Raw(`SELECT `+key+` AS k, COUNT(*) AS shipments,
		SUM(CASE WHEN s.status = 'delivered' THEN 1 ELSE 0 END) AS delivered,
		SUM(CASE WHEN s.status = 'delivered' AND s.status_at IS NOT NULL AND `+deadline+` IS NOT NULL THEN 1 ELSE 0 END) AS with_estimate,
		SUM(CASE WHEN s.status = 'delivered' AND `+db.localDay("s.status_at", offset)+` <= `+db.localDay(deadline, offset)+` THEN 1 ELSE 0 END) AS on_time,
		SUM(CASE WHEN s.status = 'exception' OR s.statuses_seen LIKE '%exception%' THEN 1 ELSE 0 END) AS exceptions,
		SUM(CASE WHEN s.stalled_at IS NOT NULL THEN 1 ELSE 0 END) AS stalled_now
		FROM shipments s `+join+` WHERE `+period+` GROUP BY `+key, args...).Scan(&counts).Error; err != nil {
		return nil, err
	}
	for _, c := range counts {
		r := row(c.K)
		r.Shipments, r.Delivered, r.Exceptions, r.Stalled = c.Shipments, c.Delivered, c.Exceptions, c.StalledNow
		if c.WithEstimate > 0 {
			share := float64(c.OnTime) / float64(c.WithEstimate)
			r.DeliveredOnTimeShare = &share
		}
	}
	// Each duration's histogram per group: an aggregate over a few
	// thousand (group, hour) buckets, no sort of the shipments.
	hist := map[[2]string][]histBucket{}
	for _, d := range db.durations() {
		from := "shipments s " + join
		if strings.Contains(d.has, "o.") {
			from = "shipments s " + withOrders
		}
		var hs []struct {
			K    string
			B, N int64
		}
		if err := g.Raw(`SELECT `+key+` AS k, `+d.bucket()+` AS b, COUNT(*) AS n FROM `+from+`
			WHERE `+period+` AND `+d.has+` GROUP BY `+key+`, `+d.bucket(), args...).Scan(&hs).Error; err != nil {
			return nil, err
		}
		for _, h := range hs {
			hist[[2]string{d.name, h.K}] = append(hist[[2]string{d.name, h.K}], histBucket{b: h.B, n: h.N})
		}
	}
	if len(rows) == 0 {
		return []app.InsightRow{}, nil
	}
	if err := db.spreads(g, hist, key, withOrders, period, args, row); err != nil {
		return nil, err
	}

	// Stalled at some point but not now (delivery or news cleared it): the
	// stall's history line says so.
	var extra []struct {
		K string
		N int64
	}
	if err := g.Raw(`SELECT `+key+` AS k, COUNT(DISTINCT s.id) AS n FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id `+join+`
		WHERE e.kind = ? AND s.stalled_at IS NULL AND `+period+` GROUP BY `+key, append([]any{app.EventStalled}, args...)...).Scan(&extra).Error; err != nil {
		return nil, err
	}
	for _, x := range extra {
		row(x.K).Stalled += x.N
	}
	// Emails and visits are reached through the shop's shipments, by their
	// shipment_id indexes. The status is tested in the sum, not the WHERE:
	// there SQLite would pick the (status, updated_at) index and scan every
	// sent email once per shipment.
	// An email or a visit comes after its shipment (a day's margin for
	// clocks): the bound lets the shop's (…, queued_at) and (shop_id, day)
	// indexes skip the emails and visits of shipments older than the period.
	since := q.From.UTC().Add(-24 * time.Hour)
	if err := g.Raw(`SELECT `+key+` AS k, SUM(CASE WHEN n.status = ? THEN 1 ELSE 0 END) AS n FROM notifications n JOIN shipments s ON s.id = n.shipment_id `+join+`
		WHERE n.shop_id = ? AND n.queued_at >= ? AND `+period+` GROUP BY `+key, append([]any{string(app.NotificationSent), shopID, since}, args...)...).Scan(&extra).Error; err != nil {
		return nil, err
	}
	for _, x := range extra {
		row(x.K).EmailsSent = x.N
	}
	if err := g.Raw(`SELECT `+key+` AS k, SUM(v.visits) AS n FROM tracking_visits v JOIN shipments s ON s.id = v.shipment_id `+join+`
		WHERE v.shop_id = ? AND v.day >= ? AND `+period+` GROUP BY `+key, append([]any{shopID, since.Format(time.DateOnly)}, args...)...).Scan(&extra).Error; err != nil {
		return nil, err
	}
	for _, x := range extra {
		row(x.K).TrackingPageVisits = x.N
	}

	out := make([]app.InsightRow, 0, len(rows))
	for _, r := range rows {
		if q.By == app.BySupplier {
			if src, ok := strings.CutPrefix(r.Key, "source:"); ok {
				r.Key, r.KeyIsSource = src, true
			} else {
				r.Key = strings.TrimPrefix(r.Key, "key:")
			}
		}
		if r.Shipments > 0 {
			out = append(out, *r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Shipments != out[j].Shipments {
			return out[i].Shipments > out[j].Shipments
		}
		return out[i].Key < out[j].Key
	})
	return out, nil
}

// histBucket is one bucket of a duration's histogram: how many of a
// group's durations it holds, and (once read) their values.
type histBucket struct {
	b, n   int64
	values []float64
}

// spreads sets each group's median ((n+1)/2-th and (n+2)/2-th smallest,
// averaged) and 90th percentile (the ⌈0.9·n⌉ = (9n+9)/10-th), exact: the
// histogram says which buckets hold those ranks, one more pass reads the
// values of those buckets only, and the r-th smallest of the group is the
// (r − durations in the buckets below)-th of its bucket.
func (db *DB) spreads(g *gorm.DB, hist map[[2]string][]histBucket, key, withOrders, period string, args []any, row func(string) *app.InsightRow) error {
	type need struct {
		bucket *histBucket
		before int64
	}
	at := map[[2]string]func(r int64) (need, bool){}
	var values []string
	var valueArgs []any
	wanted := map[[3]any]*histBucket{}
	for gk, hs := range hist {
		sort.Slice(hs, func(i, j int) bool { return hs[i].b < hs[j].b })
		var total int64
		for _, h := range hs {
			total += h.n
		}
		find := func(r int64) (need, bool) {
			var before int64
			for i := range hs {
				if r <= before+hs[i].n {
					return need{&hs[i], before}, true
				}
				before += hs[i].n
			}
			return need{}, false
		}
		at[gk] = find
		for _, r := range []int64{(total + 1) / 2, (total + 2) / 2, (9*total + 9) / 10} {
			nd, ok := find(r)
			if !ok {
				continue
			}
			wk := [3]any{gk[0], gk[1], nd.bucket.b}
			if wanted[wk] == nil {
				wanted[wk] = nd.bucket
				values = append(values, "SELECT CAST(? AS TEXT) AS which, CAST(? AS TEXT) AS k, CAST(? AS BIGINT) AS b")
				valueArgs = append(valueArgs, gk[0], gk[1], nd.bucket.b)
			}
		}
		hist[gk] = hs
	}
	if len(values) == 0 {
		return nil
	}
	days, bucket, has := db.durationSQL()
	var found []struct {
		Which, K string
		B        int64
		V        float64
	}
	if err := g.Raw(`SELECT w.which AS which, `+key+` AS k, `+bucket+` AS b, `+days+` AS v
		FROM shipments s `+withOrders+` CROSS JOIN (SELECT 'o2f' AS which UNION ALL SELECT 'f2d') w
		JOIN (`+strings.Join(values, " UNION ALL ")+`) need ON need.which = w.which AND need.k = `+key+` AND need.b = `+bucket+`
		WHERE `+period+` AND `+has,
		append(valueArgs, args...)...).Scan(&found).Error; err != nil {
		return err
	}
	for _, f := range found {
		if h := wanted[[3]any{f.Which, f.K, f.B}]; h != nil {
			h.values = append(h.values, f.V)
		}
	}
	for gk, hs := range hist {
		var total int64
		for _, h := range hs {
			total += h.n
		}
		// On SQLite the two reads are not one snapshot: a parcel delivered
		// in between can leave a bucket a value short or over, and the pick
		// is then the nearest value read (off by at most that parcel).
		pick := func(r int64) (float64, bool) {
			nd, ok := at[gk](r)
			if !ok || len(nd.bucket.values) == 0 {
				return 0, false
			}
			sort.Float64s(nd.bucket.values)
			return nd.bucket.values[min(r-nd.before-1, int64(len(nd.bucket.values)-1))], true
		}
		lo, ok1 := pick((total + 1) / 2)
		hi, ok2 := pick((total + 2) / 2)
		p90, ok3 := pick((9*total + 9) / 10)
		if !ok1 || !ok2 || !ok3 {
			continue
		}
		median := (lo + hi) / 2
		spread := app.DaysSpread{Median: &median, P90: &p90}
		if gk[0] == "o2f" {
			row(gk[1]).OrderToFulfillmentDays = spread
		} else {
			row(gk[1]).FulfillmentToDeliveryDays = spread
		}
	}
	return nil
}

// shopUTCOffset is the shop's offset from UTC, in seconds, at t: the
// calendar the on-time comparison uses.
func (db *DB) shopUTCOffset(ctx context.Context, shopID string, t time.Time) (int, error) {
	var shop shopRow
	if err := db.gorm.WithContext(ctx).Select("id", "timezone").Where("id = ?", shopID).Take(&shop).Error; err != nil {
		return 0, notFound(err, "shop %s is not known", shopID)
	}
	s := app.Shop{Timezone: shop.Timezone}
	_, offset := t.In(s.Location()).Zone()
	return offset, nil
}

// ExportShipments implements app.Insights: the list's filters, every row,
// streamed (one query, read row by row).
func (db *DB) ExportShipments(ctx context.Context, shopID string, f app.ShipmentFilter, each func(app.ShipmentExportRow) error) error {
	q, err := filterShipments(db.gorm.WithContext(ctx).Table("shipments s").Joins(ordersJoin).Where("s.shop_id = ?", shopID), "s.", f)
	if err != nil {
		return err
	}
	rows, err := q.Select("s.order_name, s.tracking_number, s.carrier, s.state, s.status, s.source, COALESCE(o.shipping_country, ''), " +
		"s.created_at, s.shipped_at, s.status_at, s.stalled_at").Order("s.created_at DESC, s.id DESC").Rows()
	if err != nil {
		return err
	}
	defer closeRows(rows)
	for rows.Next() {
		var r app.ShipmentExportRow
		var state, status, source string
		var statusAt *time.Time
		if err := rows.Scan(&r.OrderName, &r.TrackingNumber, &r.Carrier, &state, &status, &source, &r.Country,
			&r.CreatedAt, &r.ShippedAt, &statusAt, &r.StalledAt); err != nil {
			return err
		}
		r.State, r.Status, r.Source = app.ShipmentState(state), app.ParcelStatus(status), app.ShipmentSource(source)
		if r.Status == "" {
			r.Status = app.StatusPending
		}
		if r.Status == app.StatusDelivered {
			r.DeliveredAt = statusAt
		}
		r.CreatedAt, r.ShippedAt, r.DeliveredAt, r.StalledAt = r.CreatedAt.UTC(), utcPtr(r.ShippedAt), utcPtr(r.DeliveredAt), utcPtr(r.StalledAt)
		if err := each(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// closeRows closes a result set read to its end (or abandoned on an
// error already being returned): Close then reports nothing new.
func closeRows(rows *sql.Rows) {
	_ = rows.Close() // rows.Err() after the loop carries any read error
}

// RecordTrackingVisits implements app.Insights: one upsert per shipment.
func (db *DB) RecordTrackingVisits(ctx context.Context, shopID string, shipmentIDs []string, at time.Time) error {
	if len(shipmentIDs) == 0 {
		return nil
	}
	day := at.UTC().Format(time.DateOnly)
	rows := make([]trackingVisitRow, len(shipmentIDs))
	for i, id := range shipmentIDs {
		rows[i] = trackingVisitRow{ShopID: shopID, ShipmentID: id, Day: day, Visits: 1}
	}
	return db.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "shipment_id"}, {Name: "day"}},
		DoUpdates: clause.Assignments(map[string]any{"visits": gorm.Expr("tracking_visits.visits + 1")}),
	}).Create(&rows).Error
}

type insightSnapshotRow struct {
	ShopID     string `gorm:"primaryKey"`
	PeriodDays int    `gorm:"primaryKey"`
	Grouping   string `gorm:"primaryKey"`
	ComputedAt time.Time
	Rows       string // JSON
}

func (insightSnapshotRow) TableName() string { return "insight_snapshots" }

// SaveInsightSnapshot implements app.Insights: one upsert.
func (db *DB) SaveInsightSnapshot(ctx context.Context, s app.InsightSnapshot) error {
	rows := s.Rows
	if rows == nil {
		rows = []app.InsightRow{}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return app.WrapError(app.ErrInternal, err, "cannot encode the insights snapshot")
	}
	row := insightSnapshotRow{ShopID: s.ShopID, PeriodDays: s.PeriodDays, Grouping: string(s.By), ComputedAt: s.ComputedAt.UTC(), Rows: string(b)}
	return db.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "shop_id"}, {Name: "period_days"}, {Name: "grouping"}},
		DoUpdates: clause.AssignmentColumns([]string{"computed_at", "rows"}),
	}).Create(&row).Error
}

// InsightSnapshot implements app.Insights: one row by its primary key.
func (db *DB) InsightSnapshot(ctx context.Context, shopID string, periodDays int, by app.InsightGrouping) (*app.InsightSnapshot, error) {
	var row insightSnapshotRow
	if err := db.gorm.WithContext(ctx).Where("shop_id = ? AND period_days = ? AND grouping = ?", shopID, periodDays, string(by)).
		Take(&row).Error; err != nil {
		return nil, notFound(err, "no %d-day insights snapshot by %s", periodDays, by)
	}
	out := &app.InsightSnapshot{ShopID: row.ShopID, PeriodDays: row.PeriodDays, By: app.InsightGrouping(row.Grouping), ComputedAt: row.ComputedAt.UTC(),
		Rows: []app.InsightRow{}}
	if err := json.Unmarshal([]byte(row.Rows), &out.Rows); err != nil {
		return nil, app.WrapError(app.ErrInternal, err, "cannot read the insights snapshot")
	}
	return out, nil
}

// ShopsWithInsightChanges implements app.Insights. Per active shop, its
// latest change is one backward probe of shipments_shop_updated (written
// as ORDER BY … LIMIT 1: an EXISTS with updated_at > since let PostgreSQL
// pick a scan of every shipment of a shop holding most of them).
func (db *DB) ShopsWithInsightChanges(ctx context.Context, limit int) ([]string, error) {
	var domains []string
	err := db.gorm.WithContext(ctx).Raw(`SELECT domain FROM (
			SELECT sh.id, sh.domain, snap.since,
				(SELECT s.updated_at FROM shipments s WHERE s.shop_id = sh.id ORDER BY s.updated_at DESC LIMIT 1) AS changed
			FROM shops sh
			LEFT JOIN (SELECT shop_id, MIN(computed_at) AS since FROM insight_snapshots GROUP BY shop_id) snap ON snap.shop_id = sh.id
			WHERE sh.uninstalled_at IS NULL AND sh.needs_reauth_at IS NULL
		) x
		WHERE changed IS NOT NULL AND (since IS NULL OR changed > since)
		ORDER BY CASE WHEN since IS NULL THEN 0 ELSE 1 END, since, id
		LIMIT ?`, limit).Scan(&domains).Error
	return domains, err
}

var _ app.Insights = (*DB)(nil)
