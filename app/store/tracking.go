package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/waybill-app/waybill/app"
)

type trackingSettingsRow struct {
	ShopID               string `gorm:"primaryKey"`
	ShopifyTracking      bool
	StallDaysDomestic    int
	StallDaysCrossBorder int
	TransitWindows       string
	UpdatedAt            time.Time
}

func (trackingSettingsRow) TableName() string { return "tracking_settings" }

type stallDigestRow struct {
	ShopID    string `gorm:"primaryKey"`
	Day       string `gorm:"primaryKey"`
	CreatedAt time.Time
}

func (stallDigestRow) TableName() string { return "stall_digests" }

// TrackingSettings implements app.TrackingStore (defaults when unset).
func (db *DB) TrackingSettings(ctx context.Context, shopID string) (app.TrackingSettings, error) {
	s := app.DefaultTrackingSettings(shopID)
	var row trackingSettingsRow
	err := db.gorm.WithContext(ctx).Where("shop_id = ?", shopID).Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return s, nil
	case err != nil:
		return s, err
	}
	s.ShopifyTracking, s.StallDaysDomestic, s.StallDaysCrossBorder = row.ShopifyTracking, row.StallDaysDomestic, row.StallDaysCrossBorder
	if err := json.Unmarshal([]byte(row.TransitWindows), &s.TransitWindows); err != nil {
		return s, err
	}
	if s.TransitWindows == nil {
		s.TransitWindows = []app.TransitWindow{}
	}
	return s, nil
}

// SaveTrackingSettings implements app.TrackingStore (validated here: the
// rules are the domain's).
func (db *DB) SaveTrackingSettings(ctx context.Context, s app.TrackingSettings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if s.TransitWindows == nil {
		s.TransitWindows = []app.TransitWindow{}
	}
	windows, err := json.Marshal(s.TransitWindows)
	if err != nil {
		return err
	}
	row := trackingSettingsRow{ShopID: s.ShopID, ShopifyTracking: s.ShopifyTracking, StallDaysDomestic: s.StallDaysDomestic,
		StallDaysCrossBorder: s.StallDaysCrossBorder, TransitWindows: string(windows), UpdatedAt: db.clock.Now()}
	return db.gorm.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "shop_id"}}, UpdateAll: true}).Create(&row).Error
}

// StartTracking implements app.TrackingStore.
func (db *DB) StartTracking(ctx context.Context, shipmentID string, t app.TrackingStart) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r shipmentRow
		if err := tx.Where("id = ?", shipmentID).Take(&r).Error; err != nil {
			return notFound(err, "no shipment %s", shipmentID)
		}
		now := db.clock.Now()
		updates := map[string]any{}
		if r.ShippedAt == nil {
			updates["shipped_at"] = t.ShippedAt.UTC()
		}
		if r.Status == "" || r.Status == string(app.StatusPending) {
			updates["status"], updates["status_at"] = string(app.StatusShipped), t.ShippedAt.UTC()
		}
		if r.DeliveryWindowFrom == nil && t.DeliveryWindowFrom != nil && t.DeliveryWindowTo != nil {
			updates["delivery_window_from"], updates["delivery_window_to"] = t.DeliveryWindowFrom.UTC(), t.DeliveryWindowTo.UTC()
		}
		if t.TrackerSourceID != "" && r.TrackerState == string(app.TrackerNone) {
			updates["tracker_source_id"], updates["tracker_state"] = t.TrackerSourceID, string(app.TrackerQueued)
		}
		if !app.ParcelStatus(r.Status).Final() {
			if r.NextPollAt == nil && !t.NextPollAt.IsZero() {
				updates["next_poll_at"] = t.NextPollAt.UTC()
			}
			if r.StallCheckAt == nil && r.StalledAt == nil {
				updates["stall_check_at"] = now
			}
		}
		if len(updates) == 0 {
			return nil
		}
		updates["updated_at"] = now
		return tx.Model(&shipmentRow{}).Where("id = ?", shipmentID).Updates(updates).Error
	})
}

// QueueTrackers implements app.TrackingStore.
func (db *DB) QueueTrackers(ctx context.Context, shopID, sourceID string, shippedAfter time.Time, limit int) ([]string, error) {
	var ids []string
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&shipmentRow{}).Where("shop_id = ? AND state = ? AND status <> ? AND tracker_state = ? AND shipped_at >= ?",
			shopID, string(app.ShipmentSynced), string(app.StatusDelivered), string(app.TrackerNone), shippedAfter.UTC()).
			Order("shipped_at DESC, id").Limit(limit).Pluck("id", &ids).Error; err != nil || len(ids) == 0 {
			return err
		}
		return tx.Model(&shipmentRow{}).Where("id IN ?", ids).Updates(map[string]any{"tracker_source_id": sourceID,
			"tracker_state": string(app.TrackerQueued), "updated_at": db.clock.Now()}).Error
	})
	return ids, err
}

// SetTracker implements app.TrackingStore.
func (db *DB) SetTracker(ctx context.Context, shipmentID string, state app.TrackerState, trackerID, detail string) error {
	updates := map[string]any{"tracker_state": string(state), "tracker_detail": detail, "updated_at": db.clock.Now()}
	if trackerID != "" {
		updates["tracker_id"] = trackerID
	}
	if state == app.TrackerRegistered {
		updates["tracker_registered_at"] = db.clock.Now()
	}
	return db.gorm.WithContext(ctx).Model(&shipmentRow{}).Where("id = ?", shipmentID).Updates(updates).Error
}

// ShipmentsToPoll implements app.TrackingStore: a range scan of the
// next_poll_at index, at most perShop per shop (one big shop cannot take
// every poll of a round).
func (db *DB) ShipmentsToPoll(ctx context.Context, now time.Time, perShop, limit int) ([]app.Shipment, error) {
	var ids []string
	err := db.gorm.WithContext(ctx).Raw(`SELECT id FROM (
		SELECT id, next_poll_at, ROW_NUMBER() OVER (PARTITION BY shop_id ORDER BY next_poll_at, id) AS rn
		FROM shipments WHERE next_poll_at <= ? AND state = ?) due
		WHERE rn <= ? ORDER BY next_poll_at, id LIMIT ?`, now.UTC(), string(app.ShipmentSynced), perShop, limit).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	return db.shipmentsWhere(ctx, "id IN ?", ids)
}

// SchedulePoll implements app.TrackingStore.
func (db *DB) SchedulePoll(ctx context.Context, shipmentID string, next *time.Time, attempts int) error {
	return db.gorm.WithContext(ctx).Model(&shipmentRow{}).Where("id = ?", shipmentID).
		Updates(map[string]any{"next_poll_at": utcPtr(next), "poll_attempts": attempts}).Error
}

// ShipmentsToCheckForStall implements app.TrackingStore: a range scan of
// the stall_check_at index.
func (db *DB) ShipmentsToCheckForStall(ctx context.Context, now time.Time, limit int) ([]app.Shipment, error) {
	var ids []string
	err := db.gorm.WithContext(ctx).Model(&shipmentRow{}).Where("stall_check_at <= ?", now.UTC()).
		Order("stall_check_at, id").Limit(limit).Pluck("id", &ids).Error
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	return db.shipmentsWhere(ctx, "id IN ?", ids)
}

// ScheduleStallCheck implements app.TrackingStore.
func (db *DB) ScheduleStallCheck(ctx context.Context, shipmentID string, at *time.Time) error {
	return db.gorm.WithContext(ctx).Model(&shipmentRow{}).Where("id = ?", shipmentID).
		Update("stall_check_at", utcPtr(at)).Error
}

// MarkStalled implements app.TrackingStore: only if no news arrived since
// the sweep read the shipment (lastEventAt as read).
func (db *DB) MarkStalled(ctx context.Context, shipmentID, reason string, at time.Time, lastEventAt *time.Time) (bool, error) {
	marked := false
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Model(&shipmentRow{}).Where("id = ? AND stalled_at IS NULL", shipmentID)
		if lastEventAt == nil {
			q = q.Where("last_event_at IS NULL")
		} else {
			q = q.Where("last_event_at = ?", lastEventAt.UTC())
		}
		res := q.
			Updates(map[string]any{"stalled_at": at.UTC(), "stalled_reason": reason, "stall_check_at": nil, "updated_at": db.clock.Now()})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		marked = true
		return db.addShipmentEvent(tx, shipmentID, app.EventStalled, app.NewMessage(app.MsgStalled, reason, "reason", reason))
	})
	return marked, err
}

// ShopsWithStalledShipments implements app.TrackingStore.
func (db *DB) ShopsWithStalledShipments(ctx context.Context) ([]string, error) {
	var ids []string
	err := db.gorm.WithContext(ctx).Model(&shipmentRow{}).Distinct("shop_id").
		Where("stalled_at IS NOT NULL AND state = ?", string(app.ShipmentSynced)).Pluck("shop_id", &ids).Error
	return ids, err
}

// ClaimDigest implements app.TrackingStore.
func (db *DB) ClaimDigest(ctx context.Context, shopID, day string) (bool, error) {
	res := db.gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&stallDigestRow{ShopID: shopID, Day: day, CreatedAt: db.clock.Now()})
	return res.RowsAffected > 0, res.Error
}

// ShopsWithoutProfile implements app.TrackingStore.
func (db *DB) ShopsWithoutProfile(ctx context.Context) ([]string, error) {
	var domains []string
	err := db.gorm.WithContext(ctx).Model(&shopRow{}).Where("timezone = '' AND uninstalled_at IS NULL AND needs_reauth_at IS NULL").
		Pluck("domain", &domains).Error
	return domains, err
}

// ReleaseDigest implements app.TrackingStore.
func (db *DB) ReleaseDigest(ctx context.Context, shopID, day string) error {
	return db.gorm.WithContext(ctx).Where("shop_id = ? AND day = ?", shopID, day).Delete(&stallDigestRow{}).Error
}

var _ app.TrackingStore = (*DB)(nil)
