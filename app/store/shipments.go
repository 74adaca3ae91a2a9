package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/waybill-app/waybill/app"
)

type shipmentRow struct {
	ID                   string
	ShopID               string
	OrderID              int64
	OrderName            string
	TrackingNumber       string
	Carrier              string
	TrackingURL          string
	Source               string
	State                string
	StateReason          string
	ShopifyFulfillmentID *int64
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

func (shipmentRow) TableName() string { return "shipments" }

type shipmentLineItemRow struct {
	ShipmentID string `gorm:"primaryKey"`
	LineItemID int64  `gorm:"primaryKey;autoIncrement:false"`
	SKU        string `gorm:"column:sku"`
	Title      string
	Quantity   int
}

func (shipmentLineItemRow) TableName() string { return "shipment_line_items" }

type shipmentEventRow struct {
	ID         string
	ShipmentID string
	Kind       string
	Detail     string
	CreatedAt  time.Time
}

func (shipmentEventRow) TableName() string { return "shipment_events" }

func (r shipmentRow) toShipment(items []shipmentLineItemRow) app.Shipment {
	s := app.Shipment{ID: r.ID, ShopID: r.ShopID, OrderID: r.OrderID, OrderName: r.OrderName, TrackingNumber: r.TrackingNumber,
		Carrier: r.Carrier, TrackingURL: r.TrackingURL, Source: app.ShipmentSource(r.Source), State: app.ShipmentState(r.State),
		StateReason: r.StateReason, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.ShopifyFulfillmentID != nil {
		s.ShopifyFulfillmentID = *r.ShopifyFulfillmentID
	}
	for _, li := range items {
		s.LineItems = append(s.LineItems, app.ShipmentLineItem{LineItemID: li.LineItemID, SKU: li.SKU, Title: li.Title, Quantity: li.Quantity})
	}
	return s
}

func (db *DB) addShipmentEvent(tx *gorm.DB, shipmentID, kind, detail string) error {
	return tx.Create(&shipmentEventRow{ID: app.NewID(), ShipmentID: shipmentID, Kind: kind, Detail: detail, CreatedAt: db.clock.Now()}).Error
}

// RecordShopifyFulfillment implements app.ShipmentStore.
func (db *DB) RecordShopifyFulfillment(ctx context.Context, shopID string, f app.ShopifyFulfillment) (*app.Shipment, app.FulfillmentChange, error) {
	var (
		row    shipmentRow
		change app.FulfillmentChange
	)
	now := db.clock.Now()
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if f.OrderName == "" {
			tx.Model(&orderRow{}).Where("shop_id = ? AND id = ?", shopID, f.OrderID).Pluck("name", &f.OrderName)
		}
		err := tx.Where("shop_id = ? AND shopify_fulfillment_id = ?", shopID, f.ID).Take(&row).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			// Waybill's own push (issue: tracking sync) made a shipment with
			// this number before Shopify told us the fulfillment id.
			err = tx.Where("shop_id = ? AND order_id = ? AND tracking_number = ?", shopID, f.OrderID, f.TrackingNumber).Take(&row).Error
			if err == nil {
				change = app.FulfillmentUnchanged
				return tx.Model(&row).Updates(map[string]any{"shopify_fulfillment_id": f.ID, "state": string(app.ShipmentSynced),
					"state_reason": "", "updated_at": now}).Error
			}
		}
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			change = app.FulfillmentNew
			id := f.ID
			row = shipmentRow{ID: app.NewID(), ShopID: shopID, OrderID: f.OrderID, OrderName: f.OrderName,
				TrackingNumber: f.TrackingNumber, Carrier: f.Carrier, TrackingURL: f.TrackingURL,
				Source: string(app.SourceShopify), State: string(app.ShipmentSynced), ShopifyFulfillmentID: &id,
				CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
			for _, li := range f.LineItems {
				if err := tx.Create(&shipmentLineItemRow{ShipmentID: row.ID, LineItemID: li.LineItemID, SKU: li.SKU, Title: li.Title, Quantity: li.Quantity}).Error; err != nil {
					return err
				}
			}
			return db.addShipmentEvent(tx, row.ID, app.EventReceived, "Fulfillment created in Shopify")
		case err != nil:
			return err
		}
		if row.TrackingNumber == f.TrackingNumber && row.Carrier == f.Carrier {
			change = app.FulfillmentUnchanged
			if row.TrackingURL != f.TrackingURL {
				return tx.Model(&row).Updates(map[string]any{"tracking_url": f.TrackingURL, "updated_at": now}).Error
			}
			return nil
		}
		change = app.FulfillmentTrackingChanged
		detail := fmt.Sprintf("%s %s → %s %s", row.Carrier, row.TrackingNumber, f.Carrier, f.TrackingNumber)
		if err := tx.Model(&row).Updates(map[string]any{"tracking_number": f.TrackingNumber, "carrier": f.Carrier,
			"tracking_url": f.TrackingURL, "updated_at": now}).Error; err != nil {
			return err
		}
		return db.addShipmentEvent(tx, row.ID, app.EventTrackingChanged, detail)
	})
	if err != nil {
		return nil, "", err
	}
	shipments, err := db.shipmentsWhere(ctx, "id = ?", row.ID)
	if err != nil || len(shipments) == 0 {
		return nil, "", err
	}
	return &shipments[0], change, nil
}

func (db *DB) shipmentsWhere(ctx context.Context, query string, args ...any) ([]app.Shipment, error) {
	var rows []shipmentRow
	if err := db.gorm.WithContext(ctx).Where(query, args...).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var items []shipmentLineItemRow
	if err := db.gorm.WithContext(ctx).Where("shipment_id IN ?", ids).Order("shipment_id, line_item_id").Find(&items).Error; err != nil {
		return nil, err
	}
	byShipment := map[string][]shipmentLineItemRow{}
	for _, li := range items {
		byShipment[li.ShipmentID] = append(byShipment[li.ShipmentID], li)
	}
	out := make([]app.Shipment, len(rows))
	for i, r := range rows {
		out[i] = r.toShipment(byShipment[r.ID])
	}
	return out, nil
}

// ShipmentsByOrder implements app.ShipmentStore.
func (db *DB) ShipmentsByOrder(ctx context.Context, shopID string, orderID int64) ([]app.Shipment, error) {
	return db.shipmentsWhere(ctx, "shop_id = ? AND order_id = ?", shopID, orderID)
}

// ShipmentEvents implements app.ShipmentStore.
func (db *DB) ShipmentEvents(ctx context.Context, shipmentID string) ([]app.ShipmentEvent, error) {
	var rows []shipmentEventRow
	if err := db.gorm.WithContext(ctx).Where("shipment_id = ?", shipmentID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]app.ShipmentEvent, len(rows))
	for i, r := range rows {
		out[i] = app.ShipmentEvent{ID: r.ID, ShipmentID: r.ShipmentID, Kind: r.Kind, Detail: r.Detail, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

var _ app.ShipmentStore = (*DB)(nil)
