package store

import (
	"context"
	"fmt"
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
		if err := tx.Where("shop_id = ? AND tracking_number = ? AND state <> ?", shopID, u.TrackingNumber, string(app.ShipmentCancelled)).Find(&rows).Error; err != nil {
			return err
		}
		now := db.clock.Now()
		for _, r := range rows {
			for _, c := range u.Checkpoints {
				cp := checkpointRow{ID: app.NewID(), ShipmentID: r.ID, HappenedAt: c.HappenedAt.UTC(), Status: string(c.Status),
					Location: c.Location, Message: c.Message, CreatedAt: now}
				if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&cp).Error; err != nil {
					return err
				}
			}
			current := app.ParcelStatus(r.Status)
			updates := map[string]any{}
			if u.EstimatedDelivery != nil {
				updates["estimated_delivery_at"] = u.EstimatedDelivery.UTC()
			}
			change := app.StatusChange{Shipment: &app.Shipment{ID: r.ID}, From: current, To: current}
			if u.Status.Valid() && app.NewerStatus(current, timeOf(r.StatusAt), u.Status, statusAt) {
				updates["status"], updates["status_at"] = string(u.Status), statusAt
				change.Changed, change.To = true, u.Status
			}
			if len(updates) > 0 {
				updates["updated_at"] = now
				if err := tx.Model(&shipmentRow{}).Where("id = ?", r.ID).Updates(updates).Error; err != nil {
					return err
				}
			}
			if change.Changed {
				if err := db.addShipmentEvent(tx, r.ID, "status", fmt.Sprintf("%s → %s", current, u.Status)); err != nil {
					return err
				}
			}
			changes = append(changes, change)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Read back after the commit: the shipments as they now are.
	rows, err := db.shipmentsWhere(ctx, "shop_id = ? AND tracking_number = ?", shopID, u.TrackingNumber)
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

// CreateStatusSource implements app.StatusStore: the secret is sealed.
func (db *DB) CreateStatusSource(ctx context.Context, src *app.StatusSource) error {
	if msg := app.TextProblem("name", src.Name, app.MaxNameLength); msg != "" {
		return app.Errorf(app.ErrInvalid, "%s", msg)
	}
	src.ID, src.CreatedAt = app.NewID(), db.clock.Now()
	sealed, err := db.sealer.Seal([]byte(src.Secret), sourceAD(src.ShopID, src.ID))
	if err != nil {
		return err
	}
	return db.gorm.WithContext(ctx).Create(&statusSourceRow{ID: src.ID, ShopID: src.ShopID, Provider: src.Provider, Name: src.Name,
		SecretSealed: sealed, CreatedAt: src.CreatedAt}).Error
}

// StatusSourceByID implements app.StatusStore.
func (db *DB) StatusSourceByID(ctx context.Context, id string) (*app.StatusSource, error) {
	var r statusSourceRow
	if err := db.gorm.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, notFound(err, "no status source %s", id)
	}
	secret, err := db.sealer.Open(r.SecretSealed, sourceAD(r.ShopID, r.ID))
	if err != nil {
		return nil, err
	}
	return &app.StatusSource{ID: r.ID, ShopID: r.ShopID, Provider: r.Provider, Name: r.Name, Secret: string(secret), CreatedAt: r.CreatedAt}, nil
}

var _ app.StatusStore = (*DB)(nil)
