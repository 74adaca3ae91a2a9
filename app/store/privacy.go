package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/waybill-app/waybill/app"
)

type dataRequestRow struct {
	ID              string
	ShopID          string
	CustomerID      *int64
	CustomerEmail   string
	OrdersRequested string
	Report          string
	CreatedAt       time.Time
}

func (dataRequestRow) TableName() string { return "data_requests" }

// customerOrders selects a customer's orders: the ones Shopify named, and
// any other of theirs by customer id or email.
func customerOrders(tx *gorm.DB, shopID string, c app.Customer, orderIDs []int64) *gorm.DB {
	q := tx.Model(&orderRow{}).Where("shop_id = ?", shopID)
	cond := tx.Where("1 = 0")
	if len(orderIDs) > 0 {
		cond = cond.Or("id IN ?", orderIDs)
	}
	if c.ID != 0 {
		cond = cond.Or("customer_id = ?", c.ID)
	}
	if c.Email != "" {
		cond = cond.Or("email = ?", c.Email)
	}
	return q.Where(cond)
}

// CustomerData implements app.PrivacyStore.
func (db *DB) CustomerData(ctx context.Context, shopID string, c app.Customer, orderIDs []int64) (app.CustomerDataReport, error) {
	var rows []orderRow
	if err := customerOrders(db.gorm.WithContext(ctx), shopID, c, orderIDs).Order("id").Find(&rows).Error; err != nil {
		return app.CustomerDataReport{}, err
	}
	orders, err := db.withLineItems(ctx, rows)
	if err != nil {
		return app.CustomerDataReport{}, err
	}
	report := app.CustomerDataReport{Orders: orders, Shipments: []app.Shipment{}, Texts: []app.CustomerText{}}
	if len(rows) > 0 {
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		shipments, err := db.shipmentsWhere(ctx, "shop_id = ? AND order_id IN ?", shopID, ids)
		if err != nil {
			return report, err
		}
		report.Shipments = append(report.Shipments, shipments...)
		var texts []customerTextRow
		if err := db.gorm.WithContext(ctx).Where("shop_id = ? AND shipment_id IN (?)", shopID,
			db.gorm.Model(&shipmentRow{}).Select("id").Where("shop_id = ? AND order_id IN ?", shopID, ids)).
			Order("queued_at, id").Find(&texts).Error; err != nil {
			return report, err
		}
		report.Texts = append(report.Texts, textsOf(texts)...)
	}
	return report, nil
}

// SaveDataRequest implements app.PrivacyStore.
func (db *DB) SaveDataRequest(ctx context.Context, r app.DataRequest) error {
	requested, err := json.Marshal(r.OrdersRequested)
	if err != nil {
		return fmt.Errorf("store: data request %s: %w", r.ID, err)
	}
	report, err := json.Marshal(r.Report)
	if err != nil {
		return fmt.Errorf("store: data request %s: %w", r.ID, err)
	}
	return db.gorm.WithContext(ctx).Create(&dataRequestRow{ID: r.ID, ShopID: r.ShopID, CustomerID: nullableID(r.Customer.ID),
		CustomerEmail: r.Customer.Email, OrdersRequested: string(requested), Report: string(report), CreatedAt: r.CreatedAt}).Error
}

// DataRequests lists a shop's data requests, newest first.
func (db *DB) DataRequests(ctx context.Context, shopID string) ([]app.DataRequest, error) {
	var rows []dataRequestRow
	if err := db.gorm.WithContext(ctx).Where("shop_id = ?", shopID).Order("created_at DESC").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]app.DataRequest, len(rows))
	for i, r := range rows {
		out[i] = app.DataRequest{ID: r.ID, ShopID: r.ShopID, Customer: app.Customer{Email: r.CustomerEmail}, CreatedAt: r.CreatedAt}
		if r.CustomerID != nil {
			out[i].Customer.ID = *r.CustomerID
		}
		if err := unmarshalColumn(r.OrdersRequested, &out[i].OrdersRequested); err != nil {
			return nil, fmt.Errorf("store: data request %s, orders_requested: %w", r.ID, err)
		}
		if err := unmarshalColumn(r.Report, &out[i].Report); err != nil {
			return nil, fmt.Errorf("store: data request %s, report: %w", r.ID, err)
		}
	}
	return out, nil
}

// unmarshalColumn decodes a JSON column. An empty column (the default of
// the SQL schema) leaves v as it is.
func unmarshalColumn(col string, v any) error {
	if col == "" {
		return nil
	}
	return json.Unmarshal([]byte(col), v)
}

// RedactCustomer implements app.PrivacyStore: personal fields of the
// customer's orders are blanked (the orders stay, so the merchant's shipment
// records stay whole), and data requests about them are deleted.
func (db *DB) RedactCustomer(ctx context.Context, shopID string, c app.Customer, orderIDs []int64) (int, error) {
	var n int
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Find the customer's orders first: the update erases what finds them.
		var ids []int64
		if err := customerOrders(tx, shopID, c, orderIDs).Pluck("id", &ids).Error; err != nil {
			return err
		}
		n = len(ids)
		if len(ids) > 0 {
			if err := tx.Model(&orderRow{}).Where("shop_id = ? AND id IN ?", shopID, ids).Updates(map[string]any{
				"email": "", "customer_id": nil, "customer_first_name": "", "shipping_country": "",
				"phone": "", "sms_consent": false, "notify_phone": "",
				"redacted_at": db.clock.Now(), "updated_at": db.clock.Now(),
			}).Error; err != nil {
				return err
			}
			// The email log names the customer too (and a merchant's note may).
			shipments := tx.Model(&shipmentRow{}).Select("id").Where("shop_id = ? AND order_id IN ?", shopID, ids)
			if err := tx.Model(&notificationRow{}).Where("shipment_id IN (?)", shipments).
				Updates(map[string]any{"recipient": "", "note": ""}).Error; err != nil {
				return err
			}
			// And the text log its phone (detail never holds the number).
			if err := tx.Model(&customerTextRow{}).Where("shipment_id IN (?)", shipments).
				Update("phone", "").Error; err != nil {
				return err
			}
		}
		if c.ID != 0 {
			if err := tx.Where("shop_id = ? AND customer_id = ?", shopID, c.ID).Delete(&dataRequestRow{}).Error; err != nil {
				return err
			}
		}
		if c.Email != "" {
			if err := tx.Where("shop_id = ? AND customer_email = ?", shopID, c.Email).Delete(&dataRequestRow{}).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// DeleteShopData implements app.PrivacyStore: the shop row goes, and with it
// (ON DELETE CASCADE) its orders, shipments, keys and requests, its emails
// and texts, its text accounts and templates, consents and preferences.
func (db *DB) DeleteShopData(ctx context.Context, shopDomain string) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("domain = ?", shopDomain).Delete(&shopRow{}).Error; err != nil {
			return err
		}
		return tx.Where("shop_domain = ?", shopDomain).Delete(&webhookEventRow{}).Error
	})
}

var _ app.PrivacyStore = (*DB)(nil)
