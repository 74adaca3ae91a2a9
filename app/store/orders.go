package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/waybill-app/waybill/app"
)

type orderRow struct {
	ShopID            string `gorm:"primaryKey"`
	ID                int64  `gorm:"primaryKey;autoIncrement:false"`
	Name              string
	Email             string
	CustomerID        *int64
	CustomerLocale    string
	CustomerFirstName string
	ShippingCountry   string
	Phone             string
	SMSConsent        bool   `gorm:"column:sms_consent"`
	NotifyPhone       string // written by SetOrderNotifyPhone only
	RedactedAt        *time.Time
	ShopifyUpdatedAt  time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (orderRow) TableName() string { return "orders" }

type lineItemRow struct {
	ShopID              string `gorm:"primaryKey"`
	OrderID             int64  `gorm:"primaryKey;autoIncrement:false"`
	ID                  int64  `gorm:"primaryKey;autoIncrement:false"`
	SKU                 string `gorm:"column:sku"`
	Title               string
	Quantity            int
	FulfillableQuantity int
	Position            int
}

func (lineItemRow) TableName() string { return "order_line_items" }

func nullableID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// SaveOrder implements app.OrderStore. The upsert's WHERE keeps a newer
// stored version; a redacted order's personal data stays erased; the
// notify phone is left as it is.
func (db *DB) SaveOrder(ctx context.Context, o app.Order) (bool, error) {
	now := db.clock.Now()
	row := orderRow{
		ShopID: o.ShopID, ID: o.ID, Name: o.Name, Email: o.Email, CustomerID: nullableID(o.CustomerID),
		CustomerLocale: o.CustomerLocale, CustomerFirstName: o.CustomerFirstName, ShippingCountry: o.ShippingCountry,
		Phone: o.Phone, SMSConsent: o.SMSConsent,
		ShopifyUpdatedAt: o.ShopifyUpdatedAt.UTC(), CreatedAt: now, UpdatedAt: now,
	}
	keepRedacted := func(col string) clause.Expr {
		return gorm.Expr("CASE WHEN orders.redacted_at IS NULL THEN excluded." + col + " ELSE orders." + col + " END")
	}
	wrote := false
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "shop_id"}, {Name: "id"}},
			DoUpdates: clause.Assignments(map[string]any{
				"name": gorm.Expr("excluded.name"), "customer_locale": gorm.Expr("excluded.customer_locale"),
				"email": keepRedacted("email"), "customer_id": keepRedacted("customer_id"),
				"customer_first_name": keepRedacted("customer_first_name"), "shipping_country": keepRedacted("shipping_country"),
				"phone": keepRedacted("phone"), "sms_consent": keepRedacted("sms_consent"),
				// notify_phone is the customer's own choice on the tracking
				// page: never overwritten by Shopify's data.
				"shopify_updated_at": gorm.Expr("excluded.shopify_updated_at"), "updated_at": now,
			}),
			Where: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "orders.shopify_updated_at <= excluded.shopify_updated_at"}}},
		}).Create(&row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil // a newer version is stored
		}
		wrote = true
		if err := tx.Where("shop_id = ? AND order_id = ?", o.ShopID, o.ID).Delete(&lineItemRow{}).Error; err != nil {
			return err
		}
		if len(o.LineItems) == 0 {
			return nil
		}
		items := make([]lineItemRow, len(o.LineItems))
		for i, li := range o.LineItems {
			items[i] = lineItemRow{ShopID: o.ShopID, OrderID: o.ID, ID: li.ID, SKU: li.SKU, Title: li.Title,
				Quantity: li.Quantity, FulfillableQuantity: li.FulfillableQuantity, Position: i}
		}
		return tx.Create(&items).Error
	})
	return wrote, err
}

// OrderByID implements app.OrderStore.
func (db *DB) OrderByID(ctx context.Context, shopID string, id int64) (*app.Order, error) {
	var row orderRow
	if err := db.gorm.WithContext(ctx).Where("shop_id = ? AND id = ?", shopID, id).Take(&row).Error; err != nil {
		return nil, notFound(err, "order %d is not known", id)
	}
	orders, err := db.withLineItems(ctx, []orderRow{row})
	if err != nil {
		return nil, err
	}
	return &orders[0], nil
}

// OrderByName implements app.OrderStore.
func (db *DB) OrderByName(ctx context.Context, shopID, name string) (*app.Order, error) {
	var row orderRow
	if err := db.gorm.WithContext(ctx).Where("shop_id = ? AND name = ?", shopID, name).Order("id").Take(&row).Error; err != nil {
		return nil, notFound(err, "order %s is not known", name)
	}
	orders, err := db.withLineItems(ctx, []orderRow{row})
	if err != nil {
		return nil, err
	}
	return &orders[0], nil
}

// SetOrderNotifyPhone implements app.OrderStore. A redacted order is not
// given a phone again.
func (db *DB) SetOrderNotifyPhone(ctx context.Context, shopID string, orderID int64, phone string) error {
	res := db.gorm.WithContext(ctx).Model(&orderRow{}).Where("shop_id = ? AND id = ? AND redacted_at IS NULL", shopID, orderID).
		Updates(map[string]any{"notify_phone": phone, "updated_at": db.clock.Now()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return app.Errorf(app.ErrNotFound, "order %d is not known", orderID)
	}
	return nil
}

// OrdersByRef implements app.OrderStore. Names and ids are looked up in
// separate queries: an OR across the two columns keeps SQLite from using
// either index (measured: 50,000 names took 3 s instead of 0.3 s).
func (db *DB) OrdersByRef(ctx context.Context, shopID string, names []string, ids []int64) ([]app.Order, error) {
	const chunk = 500 // bound the IN lists
	seen := map[int64]bool{}
	var rows []orderRow
	add := func(part []orderRow) {
		for _, r := range part {
			if !seen[r.ID] {
				seen[r.ID] = true
				rows = append(rows, r)
			}
		}
	}
	for start := 0; start < len(names); start += chunk {
		var part []orderRow
		if err := db.gorm.WithContext(ctx).Where("shop_id = ? AND name IN ?", shopID, names[start:min(start+chunk, len(names))]).Find(&part).Error; err != nil {
			return nil, err
		}
		add(part)
	}
	for start := 0; start < len(ids); start += chunk {
		var part []orderRow
		if err := db.gorm.WithContext(ctx).Where("shop_id = ? AND id IN ?", shopID, ids[start:min(start+chunk, len(ids))]).Find(&part).Error; err != nil {
			return nil, err
		}
		add(part)
	}
	var out []app.Order
	for start := 0; start < len(rows); start += chunk {
		part, err := db.withLineItems(ctx, rows[start:min(start+chunk, len(rows))])
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

func (db *DB) withLineItems(ctx context.Context, rows []orderRow) ([]app.Order, error) {
	out := make([]app.Order, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var items []lineItemRow
	if err := db.gorm.WithContext(ctx).Where("shop_id = ? AND order_id IN ?", rows[0].ShopID, ids).
		Order("order_id, position").Find(&items).Error; err != nil {
		return nil, err
	}
	byOrder := map[int64][]app.LineItem{}
	for _, li := range items {
		byOrder[li.OrderID] = append(byOrder[li.OrderID], app.LineItem{ID: li.ID, SKU: li.SKU, Title: li.Title,
			Quantity: li.Quantity, FulfillableQuantity: li.FulfillableQuantity})
	}
	for i, r := range rows {
		out[i] = app.Order{ID: r.ID, ShopID: r.ShopID, Name: r.Name, Email: r.Email, CustomerLocale: r.CustomerLocale,
			CustomerFirstName: r.CustomerFirstName, ShippingCountry: r.ShippingCountry, Phone: r.Phone, SMSConsent: r.SMSConsent,
			NotifyPhone: r.NotifyPhone, LineItems: byOrder[r.ID],
			ShopifyUpdatedAt: r.ShopifyUpdatedAt.UTC(), RedactedAt: r.RedactedAt}
		if r.CustomerID != nil {
			out[i].CustomerID = *r.CustomerID
		}
	}
	return out, nil
}

var _ app.OrderStore = (*DB)(nil)

// OrdersByShopifyID implements app.OrderStore: the orders with this id in
// every shop (a short link's; the caller keeps the one whose shop its
// signature names).
func (db *DB) OrdersByShopifyID(ctx context.Context, id int64) ([]app.Order, error) {
	var rows []orderRow
	if err := db.gorm.WithContext(ctx).Where("id = ?", id).Order("shop_id").Limit(20).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]app.Order, 0, len(rows))
	for _, r := range rows {
		orders, err := db.withLineItems(ctx, []orderRow{r})
		if err != nil {
			return nil, err
		}
		out = append(out, orders...)
	}
	return out, nil
}
