package store

import (
	"context"
	"strings"
	"time"

	"github.com/waybill-app/waybill/app"
)

// ListShipments implements app.ShipmentLister. Every query is scoped to the shop.
func (db *DB) ListShipments(ctx context.Context, shopID string, f app.ShipmentFilter) (app.ShipmentPage, error) {
	if f.PerPage <= 0 || f.PerPage > 200 {
		f.PerPage = 50
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	q := db.gorm.WithContext(ctx).Model(&shipmentRow{}).Where("shop_id = ?", shopID)
	if f.State != "" {
		q = q.Where("state = ?", string(f.State))
	}
	if f.Source != "" {
		q = q.Where("source = ?", string(f.Source))
	}
	if term := strings.TrimSpace(f.Query); term != "" {
		like := "%" + strings.NewReplacer("%", `\%`, "_", `\_`).Replace(strings.ToUpper(term)) + "%"
		q = q.Where("(UPPER(order_name) LIKE ? OR tracking_number LIKE ? OR UPPER(carrier) LIKE ?)", like, like, like)
	}
	page := app.ShipmentPage{Page: f.Page, PerPage: f.PerPage, Shipments: []app.Shipment{}}
	if err := q.Count(&page.Total).Error; err != nil {
		return page, err
	}
	var ids []string
	if err := q.Order("created_at DESC, id DESC").Offset((f.Page-1)*f.PerPage).Limit(f.PerPage).Pluck("id", &ids).Error; err != nil {
		return page, err
	}
	if len(ids) == 0 {
		return page, nil
	}
	shipments, err := db.shipmentsWhere(ctx, "id IN ?", ids)
	if err != nil {
		return page, err
	}
	byID := map[string]app.Shipment{}
	for _, s := range shipments {
		byID[s.ID] = s
	}
	for _, id := range ids {
		page.Shipments = append(page.Shipments, byID[id])
	}
	return page, nil
}

// CountShipments implements app.ShipmentLister.
func (db *DB) CountShipments(ctx context.Context, shopID string, since time.Time) (map[app.ShipmentState]int64, error) {
	var rows []struct {
		State string
		N     int64
	}
	err := db.gorm.WithContext(ctx).Model(&shipmentRow{}).Select("state, COUNT(*) AS n").
		Where("shop_id = ? AND created_at >= ?", shopID, since.UTC()).Group("state").Scan(&rows).Error
	out := map[app.ShipmentState]int64{}
	for _, r := range rows {
		out[app.ShipmentState(r.State)] = r.N
	}
	return out, err
}

var _ app.ShipmentLister = (*DB)(nil)
