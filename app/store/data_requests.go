package store

import (
	"context"
	"fmt"

	"github.com/waybill-app/waybill/app"
)

// ListDataRequests implements app.PrivacyStore: the shop's customer data
// requests, newest first, perPage (1–200, else 50) a page.
func (db *DB) ListDataRequests(ctx context.Context, shopID string, page, perPage int) ([]app.DataRequest, int64, error) {
	if perPage <= 0 || perPage > 200 {
		perPage = 50
	}
	page = max(page, 1)
	q := db.gorm.WithContext(ctx).Model(&dataRequestRow{}).Where("shop_id = ?", shopID)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var rows []dataRequestRow
	if err := q.Order("created_at DESC, id DESC").Offset((page - 1) * perPage).Limit(perPage).Find(&rows).Error; err != nil {
		return nil, 0, err
	}
	out := make([]app.DataRequest, len(rows))
	for i, r := range rows {
		d, err := r.toDataRequest()
		if err != nil {
			return nil, 0, err
		}
		out[i] = d
	}
	return out, total, nil
}

func (r dataRequestRow) toDataRequest() (app.DataRequest, error) {
	d := app.DataRequest{ID: r.ID, ShopID: r.ShopID, Customer: app.Customer{Email: r.CustomerEmail}, CreatedAt: r.CreatedAt}
	if r.CustomerID != nil {
		d.Customer.ID = *r.CustomerID
	}
	if err := unmarshalColumn(r.OrdersRequested, &d.OrdersRequested); err != nil {
		return d, fmt.Errorf("store: data request %s, orders_requested: %w", r.ID, err)
	}
	if err := unmarshalColumn(r.Report, &d.Report); err != nil {
		return d, fmt.Errorf("store: data request %s, report: %w", r.ID, err)
	}
	return d, nil
}
