package store

import "context"

// CountStalledShipments counts the parcels stalled now across all shops: the
// admin's "stalled" count (DashboardCounts), summed. For /metrics, which
// caches it (app/metrics.Stalled); it reads the (shop_id, stalled_at) index.
func (db *DB) CountStalledShipments(ctx context.Context) (int64, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Model(&shipmentRow{}).Where("stalled_at IS NOT NULL").Count(&n).Error
	return n, err
}
