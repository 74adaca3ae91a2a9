package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/waybill-app/waybill/app"
)

type checkpointRow struct {
	ID         string
	ShipmentID string
	HappenedAt time.Time
	Status     string
	Location   string
	Message    string
	CreatedAt  time.Time
}

func (checkpointRow) TableName() string { return "shipment_checkpoints" }

type statusSourceRow struct {
	ID           string
	ShopID       string
	Provider     string
	Name         string
	SecretSealed string
	APIKeySealed string `gorm:"column:api_key_sealed"`
	APIKeyHint   string `gorm:"column:api_key_hint"`
	CheckedAt    *time.Time
	CheckError   string
	CreatedAt    time.Time
}

func (statusSourceRow) TableName() string { return "status_sources" }

// ApplyStatusUpdate implements app.StatusStore.
func (db *DB) ApplyStatusUpdate(ctx context.Context, shopID string, u app.StatusUpdate) ([]app.StatusChange, error) {
	statusAt := u.StatusAt
	for _, c := range u.Checkpoints {
		if c.HappenedAt.After(statusAt) {
			statusAt = c.HappenedAt
		}
	}
	if statusAt.IsZero() {
		statusAt = db.clock.Now()
	}
	statusAt = statusAt.UTC()
	var changes []app.StatusChange
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []shipmentRow
		// A cancelled shipment is no longer tracked.
		q := tx.Where("shop_id = ? AND state <> ?", shopID, string(app.ShipmentCancelled))
		if u.FulfillmentID != 0 {
			q = q.Where("shopify_fulfillment_id = ?", u.FulfillmentID)
		}
		if u.TrackingNumber != "" {
			q = q.Where("tracking_number = ?", u.TrackingNumber)
		}
		if err := q.Find(&rows).Error; err != nil {
			return err
		}
		now := db.clock.Now()
		for _, r := range rows {
			change, err := db.applyToShipment(tx, r, u, statusAt, now)
			if err != nil {
				return err
			}
			changes = append(changes, change)
		}
		return nil
	})
	if err != nil || len(changes) == 0 {
		return nil, err
	}
	// Read back after the commit: the shipments as they now are.
	ids := make([]string, len(changes))
	for i, c := range changes {
		ids[i] = c.Shipment.ID
	}
	rows, err := db.shipmentsWhere(ctx, "id IN ?", ids)
	if err != nil {
		return nil, err
	}
	byID := map[string]*app.Shipment{}
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	for i := range changes {
		changes[i].Shipment = byID[changes[i].Shipment.ID]
	}
	return changes, nil
}

// applyToShipment records one update on one shipment.
func (db *DB) applyToShipment(tx *gorm.DB, r shipmentRow, u app.StatusUpdate, statusAt, now time.Time) (app.StatusChange, error) {
	current := app.ParcelStatus(r.Status)
	change := app.StatusChange{Shipment: &app.Shipment{ID: r.ID}, From: current, To: current}
	published := strings.Split(r.StatusesSeen, ",")
	if u.Source == app.ProviderShopify && slices.Contains(published, string(u.Status)) {
		// Shopify showing back an event Waybill published from another
		// source: already told, already timed.
		return change, nil
	}
	var newest time.Time
	for _, c := range u.Checkpoints {
		cp := checkpointRow{ID: app.NewID(), ShipmentID: r.ID, HappenedAt: c.HappenedAt.UTC(), Status: string(c.Status),
			Location: c.Location, Message: c.Message, CreatedAt: now}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&cp)
		if res.Error != nil {
			return change, res.Error
		}
		if res.RowsAffected > 0 {
			change.NewCheckpoints++
			if cp.HappenedAt.After(newest) {
				newest = cp.HappenedAt
			}
		}
	}
	updates := map[string]any{}
	if u.EstimatedDelivery != nil {
		updates["estimated_delivery_at"] = u.EstimatedDelivery.UTC()
	}
	if u.Status.Valid() && app.NewerStatus(current, timeOf(r.StatusAt), u.Status, statusAt) {
		updates["status"], updates["status_at"], updates["status_source"] = string(u.Status), statusAt, u.Source
		change.Changed, change.To = true, u.Status
		if statusAt.After(newest) {
			newest = statusAt
		}
		if u.Source != app.ProviderShopify && u.Status.FulfillmentEventStatus() != "" && !slices.Contains(published, string(u.Status)) {
			// It will be published to Shopify as a fulfillment event:
			// remember it, to know the echo.
			updates["statuses_seen"] = strings.TrimPrefix(r.StatusesSeen+","+string(u.Status), ",")
		}
	}
	if !newest.IsZero() {
		// News: the parcel moves again; the stall sweep looks anew.
		if r.LastEventAt == nil || newest.After(*r.LastEventAt) {
			updates["last_event_at"] = newest
		}
		updates["stall_check_at"], updates["poll_attempts"] = now, 0
		if r.StalledReason == app.StallNoEvents {
			updates["stalled_at"], updates["stalled_reason"] = nil, ""
		}
	}
	if change.To.Final() {
		updates["stall_check_at"], updates["stalled_at"], updates["stalled_reason"], updates["next_poll_at"] = nil, nil, "", nil
	}
	if len(updates) > 0 {
		updates["updated_at"] = now
		if err := tx.Model(&shipmentRow{}).Where("id = ?", r.ID).Updates(updates).Error; err != nil {
			return change, err
		}
	}
	if change.Changed {
		detail := fmt.Sprintf("%s → %s", current, u.Status)
		if u.Source != "" {
			detail += " (" + u.Source + ")"
		}
		if err := db.addShipmentEvent(tx, r.ID, "status", detail); err != nil {
			return change, err
		}
	}
	return change, nil
}

// Checkpoints implements app.StatusStore: newest first.
func (db *DB) Checkpoints(ctx context.Context, shipmentID string) ([]app.Checkpoint, error) {
	var rows []checkpointRow
	if err := db.gorm.WithContext(ctx).Where("shipment_id = ?", shipmentID).Order("happened_at DESC").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]app.Checkpoint, len(rows))
	for i, r := range rows {
		out[i] = app.Checkpoint{HappenedAt: r.HappenedAt.UTC(), Status: app.ParcelStatus(r.Status), Location: r.Location, Message: r.Message}
	}
	return out, nil
}

func sourceAD(shopID, id string) []byte { return []byte(shopID + "\x00status_source\x00" + id) }

func sourceKeyAD(shopID, id string) []byte { return []byte(shopID + "\x00status_source_key\x00" + id) }

// CreateStatusSource implements app.StatusStore: the secret and the key
// are sealed, each bound to the source.
func (db *DB) CreateStatusSource(ctx context.Context, src *app.StatusSource) error {
	if msg := app.TextProblem("name", src.Name, app.MaxNameLength); msg != "" {
		return app.Errorf(app.ErrInvalid, "%s", msg)
	}
	src.ID, src.CreatedAt = app.NewID(), db.clock.Now()
	row := statusSourceRow{ID: src.ID, ShopID: src.ShopID, Provider: src.Provider, Name: src.Name, CreatedAt: src.CreatedAt}
	var err error
	if row.SecretSealed, err = db.sealer.Seal([]byte(src.Secret), sourceAD(src.ShopID, src.ID)); err != nil {
		return err
	}
	if src.APIKey != "" {
		if row.APIKeySealed, err = db.sealer.Seal([]byte(src.APIKey), sourceKeyAD(src.ShopID, src.ID)); err != nil {
			return err
		}
		src.APIKeyHint = keyHint(src.APIKey)
		row.APIKeyHint = src.APIKeyHint
	}
	return db.gorm.WithContext(ctx).Create(&row).Error
}

// keyHint is what tells keys apart in the admin: the last four
// characters, only of a key long enough that they say nothing useful.
func keyHint(key string) string {
	if len(key) < 16 {
		return "…"
	}
	return "…" + key[len(key)-4:]
}

func (db *DB) openSource(r statusSourceRow) (*app.StatusSource, error) {
	secret, err := db.sealer.Open(r.SecretSealed, sourceAD(r.ShopID, r.ID))
	if err != nil {
		return nil, err
	}
	src := &app.StatusSource{ID: r.ID, ShopID: r.ShopID, Provider: r.Provider, Name: r.Name, Secret: string(secret),
		APIKeyHint: r.APIKeyHint, CheckedAt: utcPtr(r.CheckedAt), CheckError: r.CheckError, CreatedAt: r.CreatedAt.UTC()}
	if r.APIKeySealed != "" {
		key, err := db.sealer.Open(r.APIKeySealed, sourceKeyAD(r.ShopID, r.ID))
		if err != nil {
			return nil, err
		}
		src.APIKey = string(key)
	}
	return src, nil
}

// StatusSourceByID implements app.StatusStore.
func (db *DB) StatusSourceByID(ctx context.Context, id string) (*app.StatusSource, error) {
	var r statusSourceRow
	if err := db.gorm.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, notFound(err, "no status source %s", id)
	}
	return db.openSource(r)
}

// StatusSources implements app.StatusStore.
func (db *DB) StatusSources(ctx context.Context, shopID string) ([]app.StatusSource, error) {
	var rows []statusSourceRow
	if err := db.gorm.WithContext(ctx).Where("shop_id = ?", shopID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]app.StatusSource, 0, len(rows))
	for _, r := range rows {
		src, err := db.openSource(r)
		if err != nil {
			return nil, err
		}
		out = append(out, *src)
	}
	return out, nil
}

// DeleteStatusSource implements app.StatusStore. Shipments registered with
// it fall back to Shopify's own tracking and polling.
func (db *DB) DeleteStatusSource(ctx context.Context, shopID, id string) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("shop_id = ? AND id = ?", shopID, id).Delete(&statusSourceRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return app.Errorf(app.ErrNotFound, "no status source %s in this store", id)
		}
		return tx.Model(&shipmentRow{}).Where("shop_id = ? AND tracker_source_id = ?", shopID, id).
			Updates(map[string]any{"tracker_source_id": "", "tracker_state": string(app.TrackerNone), "tracker_id": "", "updated_at": db.clock.Now()}).Error
	})
}

// RecordSourceCheck implements app.StatusStore.
func (db *DB) RecordSourceCheck(ctx context.Context, id, checkErr string) error {
	return db.gorm.WithContext(ctx).Model(&statusSourceRow{}).Where("id = ?", id).
		Updates(map[string]any{"checked_at": db.clock.Now(), "check_error": checkErr}).Error
}

var _ app.StatusStore = (*DB)(nil)
