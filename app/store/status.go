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
		// Shopify's events are the fulfillment's: with several parcels on
		// it, they say nothing about which one moved.
		ambiguous := u.TrackingNumber == "" && len(rows) > 1
		for _, r := range rows {
			change, err := db.applyToShipment(tx, r, u, statusAt, ambiguous)
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

// published is the statuses Waybill published to Shopify as fulfillment
// events, each with its time ("in_transit@1764567600"): Shopify shows
// every one of them back (fulfillment_events/create, the fulfillment's
// events), and that echo is no news.
type published []string

func publishedOf(r shipmentRow) published {
	if r.StatusesSeen == "" {
		return nil
	}
	return strings.Split(r.StatusesSeen, ",")
}

func publishedEntry(s app.ParcelStatus, at time.Time) string {
	return fmt.Sprintf("%s@%d", s, at.Unix())
}

func (p published) has(s app.ParcelStatus, at time.Time) bool {
	return slices.Contains(p, publishedEntry(s, at))
}

// statusCASRetries bounds how often one update re-reads a shipment that
// another update changed under it.
const statusCASRetries = 8

// applyToShipment records one update on one shipment: its new checkpoints,
// its estimate, and its status when the update is newer. The status is
// written with a compare-and-set on what was read, so two updates racing
// (a provider's push and Shopify's event) never lose one: the loser reads
// again and decides again.
func (db *DB) applyToShipment(tx *gorm.DB, r shipmentRow, u app.StatusUpdate, statusAt time.Time, ambiguous bool) (app.StatusChange, error) {
	now := db.clock.Now()
	change := app.StatusChange{Shipment: &app.Shipment{ID: r.ID}}
	fromShopify := u.Source == app.ProviderShopify
	for attempt := 0; ; attempt++ {
		current := app.ParcelStatus(r.Status)
		change.From, change.To, change.Changed = current, current, false
		pub := publishedOf(r)
		stale := func(t time.Time) bool {
			// After a number change, Shopify still reports the old parcel
			// for a while: nothing from before the change is this one's.
			return fromShopify && r.TrackingSince != nil && t.Before(*r.TrackingSince)
		}
		var newest time.Time
		for _, c := range u.Checkpoints {
			if fromShopify && pub.has(c.Status, c.HappenedAt) || stale(c.HappenedAt) {
				continue // Waybill's own event shown back, or the old number's
			}
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
		etaChanged := false
		if u.EstimatedDelivery != nil && !stale(statusAt) && !ambiguous && (r.EstimatedDeliveryAt == nil || !r.EstimatedDeliveryAt.Equal(u.EstimatedDelivery.UTC())) {
			updates["estimated_delivery_at"] = u.EstimatedDelivery.UTC()
			etaChanged = true
		}
		moves := u.Status.Valid() && !ambiguous && app.NewerStatus(current, timeOf(r.StatusAt), u.Status, statusAt)
		switch {
		case !moves:
		case fromShopify && (pub.has(u.Status, statusAt) || stale(statusAt)):
			moves = false // an echo, or the old number's status
		case u.ForwardOnly && !current.Before(u.Status):
			moves = false // no carrier time: only forward
		}
		if moves {
			updates["status"], updates["status_at"], updates["status_source"] = string(u.Status), statusAt, u.Source
			change.Changed, change.To = true, u.Status
			if statusAt.After(newest) {
				newest = statusAt
			}
			if !fromShopify && u.Status.FulfillmentEventStatus() != "" {
				// It will be published to Shopify at this time: remember
				// it, to know the echo.
				updates["statuses_seen"] = strings.Join(append(pub, publishedEntry(u.Status, statusAt)), ",")
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
		if etaChanged {
			// A new estimate: late or not is decided again.
			updates["stall_check_at"] = now
			if r.StalledReason == app.StallPastEstimate {
				updates["stalled_at"], updates["stalled_reason"] = nil, ""
			}
		}
		if change.To.Final() {
			updates["stall_check_at"], updates["stalled_at"], updates["stalled_reason"], updates["next_poll_at"] = nil, nil, "", nil
		}
		if len(updates) == 0 {
			return change, nil
		}
		updates["updated_at"] = now
		// Compare-and-set on the status as read.
		q := tx.Model(&shipmentRow{}).Where("id = ? AND status = ? AND statuses_seen = ?", r.ID, r.Status, r.StatusesSeen)
		if r.StatusAt == nil {
			q = q.Where("status_at IS NULL")
		} else {
			q = q.Where("status_at = ?", *r.StatusAt)
		}
		res := q.Updates(updates)
		if res.Error != nil {
			return change, res.Error
		}
		if res.RowsAffected == 1 {
			break
		}
		if attempt >= statusCASRetries {
			return change, app.Errorf(app.ErrUnavailable, "shipment %s kept changing under a status update", r.ID)
		}
		if err := tx.Where("id = ?", r.ID).Take(&r).Error; err != nil {
			return change, err
		}
		change.NewCheckpoints = 0
	}
	if change.Changed {
		detail := fmt.Sprintf("%s → %s", change.From, u.Status)
		if u.Source != "" {
			detail += " (" + u.Source + ")"
		}
		line := app.NewMessage(app.MsgStatusChanged, detail, "from", string(change.From), "to", string(u.Status), "source", u.Source)
		if err := db.addShipmentEvent(tx, r.ID, "status", line); err != nil {
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
