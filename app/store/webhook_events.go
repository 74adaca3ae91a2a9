package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"

	"github.com/waybill-app/waybill/app"
)

type webhookEventRow struct {
	ShopDomain  string
	Topic       string `gorm:"primaryKey"`
	EventID     string `gorm:"primaryKey"`
	ProcessedAt time.Time
}

func (webhookEventRow) TableName() string { return "webhook_events" }

// WebhookProcessed implements app.WebhookLog.
func (db *DB) WebhookProcessed(ctx context.Context, topic, eventID string) (bool, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Model(&webhookEventRow{}).Where("topic = ? AND event_id = ?", topic, eventID).Count(&n).Error
	return n > 0, err
}

// MarkWebhookProcessed implements app.WebhookLog.
func (db *DB) MarkWebhookProcessed(ctx context.Context, shopDomain, topic, eventID string) error {
	return db.gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&webhookEventRow{ShopDomain: shopDomain, Topic: topic, EventID: eventID, ProcessedAt: db.clock.Now()}).Error
}

// PruneWebhookLog implements app.WebhookLog.
func (db *DB) PruneWebhookLog(ctx context.Context, before time.Time) (int64, error) {
	res := db.gorm.WithContext(ctx).Where("processed_at < ?", before.UTC()).Delete(&webhookEventRow{})
	return res.RowsAffected, res.Error
}

var _ app.WebhookLog = (*DB)(nil)
