package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/waybill-app/waybill/app"
)

// awaitingRule is the one rule for "waiting for a tracking number": items
// left to fulfil and no shipment that is not cancelled. The awaiting list
// and the dashboard's awaiting_tracking both use it.
const awaitingRule = `orders.shop_id = ?
	AND EXISTS (SELECT 1 FROM order_line_items li WHERE li.shop_id = orders.shop_id AND li.order_id = orders.id AND li.fulfillable_quantity > 0)
	AND NOT EXISTS (SELECT 1 FROM shipments s WHERE s.shop_id = orders.shop_id AND s.order_id = orders.id AND s.state <> 'cancelled')`

// awaiting selects the shop's orders waiting for a tracking number.
func (db *DB) awaiting(ctx context.Context, shopID string) *gorm.DB {
	return db.gorm.WithContext(ctx).Model(&orderRow{}).Where(awaitingRule, shopID)
}

// AwaitingOrders implements app.AwaitingOrders.
func (db *DB) AwaitingOrders(ctx context.Context, shopID string, page, perPage int) (app.AwaitingPage, error) {
	if perPage <= 0 || perPage > 200 {
		perPage = 50
	}
	if page <= 0 {
		page = 1
	}
	out := app.AwaitingPage{Orders: []app.AwaitingOrder{}, Page: page, PerPage: perPage}
	if err := db.awaiting(ctx, shopID).Count(&out.Total).Error; err != nil {
		return out, err
	}
	var rows []orderRow
	if err := db.awaiting(ctx, shopID).Order("orders.created_at, orders.id").Offset((page - 1) * perPage).Limit(perPage).
		Find(&rows).Error; err != nil {
		return out, err
	}
	if len(rows) == 0 {
		return out, nil
	}
	orders, err := db.withLineItems(ctx, rows)
	if err != nil {
		return out, err
	}
	var skus []string
	seen := map[string]bool{}
	for _, o := range orders {
		for _, li := range o.LineItems {
			if li.SKU != "" && !seen[li.SKU] {
				seen[li.SKU] = true
				skus = append(skus, li.SKU)
			}
		}
	}
	suppliers, err := db.suppliersBySKU(ctx, shopID, skus)
	if err != nil {
		return out, err
	}
	now := db.clock.Now()
	for i, o := range orders {
		created := rows[i].CreatedAt.UTC()
		a := app.AwaitingOrder{ID: o.ID, Name: o.Name, ShippingCountry: o.ShippingCountry, CreatedAt: created,
			AgeDays: max(0, int(now.Sub(created)/(24*time.Hour))), LineItems: []app.AwaitingLineItem{}}
		for _, li := range o.LineItems {
			if li.Quantity > li.FulfillableQuantity {
				a.Fulfilled = true
			}
			a.LineItems = append(a.LineItems, app.AwaitingLineItem{ID: li.ID, SKU: li.SKU, Title: li.Title, Quantity: li.Quantity,
				FulfillableQuantity: li.FulfillableQuantity, Supplier: suppliers[li.SKU]})
		}
		out.Orders = append(out.Orders, a)
	}
	return out, nil
}

// suppliersBySKU names, for each SKU, the supplier API key that most
// recently sent a shipment with it: the shipment's lines or, for a
// shipment that named none (the whole order), its order's lines.
func (db *DB) suppliersBySKU(ctx context.Context, shopID string, skus []string) (map[string]string, error) {
	out := map[string]string{}
	if len(skus) == 0 {
		return out, nil
	}
	var rows []struct {
		SKU  string `gorm:"column:sku"`
		Name string
	}
	err := db.gorm.WithContext(ctx).Raw(`SELECT sku, name FROM (
		SELECT x.sku, k.name, ROW_NUMBER() OVER (PARTITION BY x.sku ORDER BY x.created_at DESC, x.id DESC) AS rn
		FROM (
			SELECT sli.sku, s.api_key_id, s.created_at, s.id FROM shipment_line_items sli
				JOIN shipments s ON s.id = sli.shipment_id
				WHERE s.shop_id = ? AND s.api_key_id IS NOT NULL AND sli.sku IN ?
			UNION ALL
			SELECT li.sku, s.api_key_id, s.created_at, s.id FROM shipments s
				JOIN order_line_items li ON li.shop_id = s.shop_id AND li.order_id = s.order_id
				WHERE s.shop_id = ? AND s.api_key_id IS NOT NULL AND li.sku IN ?
				AND NOT EXISTS (SELECT 1 FROM shipment_line_items own WHERE own.shipment_id = s.id)
		) x JOIN api_keys k ON k.id = x.api_key_id
	) ranked WHERE rn = 1`, shopID, skus, shopID, skus).Scan(&rows).Error
	for _, r := range rows {
		out[r.SKU] = r.Name
	}
	return out, err
}

// RecordShipmentsAPIKey implements app.ShipmentSuppliers.
func (db *DB) RecordShipmentsAPIKey(ctx context.Context, shopID string, shipmentIDs []string, keyHash string) error {
	const chunk = 500
	for start := 0; start < len(shipmentIDs); start += chunk {
		ids := shipmentIDs[start:min(start+chunk, len(shipmentIDs))]
		key := db.gorm.Model(&apiKeyRow{}).Select("id").Where("shop_id = ? AND key_hash = ?", shopID, keyHash)
		if err := db.gorm.WithContext(ctx).Model(&shipmentRow{}).Where("shop_id = ? AND id IN ?", shopID, ids).
			UpdateColumn("api_key_id", key).Error; err != nil {
			return err
		}
	}
	return nil
}

// SaveBackfilledOrder implements app.BackfillStore: SaveOrder, then the
// order is dated from when it was placed (never later than Waybill saw it).
func (db *DB) SaveBackfilledOrder(ctx context.Context, o app.Order, placedAt time.Time) (bool, error) {
	wrote, err := db.SaveOrder(ctx, o)
	if err != nil || placedAt.IsZero() {
		return wrote, err
	}
	err = db.gorm.WithContext(ctx).Model(&orderRow{}).Where("shop_id = ? AND id = ? AND created_at > ?", o.ShopID, o.ID, placedAt.UTC()).
		UpdateColumn("created_at", placedAt.UTC()).Error
	return wrote, err
}

var (
	_ app.AwaitingOrders    = (*DB)(nil)
	_ app.ShipmentSuppliers = (*DB)(nil)
	_ app.BackfillStore     = (*DB)(nil)
)
