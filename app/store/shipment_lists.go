package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/waybill-app/waybill/app"
)

// likeEscaper makes a search term a literal LIKE pattern under ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

// ListShipments implements app.ShipmentLister. Every query is scoped to the shop.
func (db *DB) ListShipments(ctx context.Context, shopID string, f app.ShipmentFilter) (app.ShipmentPage, error) {
	if f.PerPage <= 0 || f.PerPage > 200 {
		f.PerPage = 50
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	q, err := filterShipments(db.gorm.WithContext(ctx).Model(&shipmentRow{}).Where("shop_id = ?", shopID), "", f)
	if err != nil {
		return app.ShipmentPage{}, err
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

// filterShipments adds the admin's shipment filters to q — the list's and
// the export's, one set of rules. col prefixes the shipments' columns ("s."
// when the query joins other tables).
func filterShipments(q *gorm.DB, col string, f app.ShipmentFilter) (*gorm.DB, error) {
	if f.State != "" {
		q = q.Where(col+"state = ?", string(f.State))
	}
	if f.Source != "" {
		q = q.Where(col+"source = ?", string(f.Source))
	}
	if f.Status != "" {
		q = q.Where(col+"status = ?", string(f.Status))
	}
	if f.Stalled {
		q = q.Where(col + "stalled_at IS NOT NULL")
	}
	if f.Carrier != "" {
		if msg := app.TextProblem("carrier", f.Carrier, app.MaxCarrierLength); msg != "" {
			return nil, app.Errorf(app.ErrInvalid, "%s", msg)
		}
		q = q.Where(col+"carrier = ?", f.Carrier)
	}
	if !f.From.IsZero() {
		q = q.Where(col+"created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where(col+"created_at < ?", f.To.UTC())
	}
	if term := strings.TrimSpace(f.Query); term != "" {
		if msg := app.TextProblem("q", term, app.MaxSearchLength); msg != "" {
			return nil, app.Errorf(app.ErrInvalid, "%s", msg)
		}
		// The term is matched literally: % and _ are not wildcards, on
		// either engine (SQLite has no default LIKE escape character).
		like := "%" + likeEscaper.Replace(strings.ToUpper(term)) + "%"
		q = q.Where(fmt.Sprintf(`(UPPER(%[1]sorder_name) LIKE ? ESCAPE '\' OR UPPER(%[1]stracking_number) LIKE ? ESCAPE '\' OR UPPER(%[1]scarrier) LIKE ? ESCAPE '\')`, col),
			like, like, like)
	}
	return q, nil
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

// DashboardCounts implements app.Dashboard.
func (db *DB) DashboardCounts(ctx context.Context, shopID string, since time.Time) (app.DashboardCounts, error) {
	var c app.DashboardCounts
	byState, err := db.CountShipments(ctx, shopID, since)
	if err != nil {
		return c, err
	}
	c.Pending = byState[app.ShipmentPending] + byState[app.ShipmentSyncing]
	c.Synced, c.Failed, c.NeedsAttention = byState[app.ShipmentSynced], byState[app.ShipmentFailed], byState[app.ShipmentNeedsAttention]
	g := db.gorm.WithContext(ctx)
	if err := db.awaiting(ctx, shopID).Count(&c.AwaitingTracking).Error; err != nil { // now, as the awaiting list
		return c, err
	}
	if err := g.Model(&notificationRow{}).Where("shop_id = ? AND status = ? AND sent_at >= ?", shopID, string(app.NotificationSent), since.UTC()).
		Count(&c.EmailsSent).Error; err != nil {
		return c, err
	}
	if err := g.Model(&shipmentRow{}).Where("shop_id = ? AND stalled_at IS NOT NULL", shopID).Count(&c.Stalled).Error; err != nil {
		return c, err
	}
	err = g.Model(&suppressionRow{}).Where("shop_id = ? AND created_at >= ?", shopID, since.UTC()).Count(&c.Unsubscribes).Error
	return c, err
}

// RecentActivity implements app.Dashboard: the shop's latest shipment history.
func (db *DB) RecentActivity(ctx context.Context, shopID string, limit int) ([]app.Activity, error) {
	var rows []struct {
		ShipmentID string
		OrderName  string
		Kind       string
		Detail     string
		Code       string
		Params     string
		CreatedAt  time.Time
	}
	err := db.gorm.WithContext(ctx).Table("shipment_events e").
		Select("e.shipment_id, s.order_name, e.kind, e.detail, e.code, e.params, e.created_at").
		Joins("JOIN shipments s ON s.id = e.shipment_id").Where("s.shop_id = ?", shopID).
		Order("e.created_at DESC, e.id DESC").Limit(limit).Scan(&rows).Error
	out := make([]app.Activity, len(rows))
	for i, r := range rows {
		out[i] = app.Activity{ShipmentID: r.ShipmentID, OrderName: r.OrderName, Kind: r.Kind, Detail: r.Detail, Code: r.Code,
			Params: decodeParams(r.Params), At: r.CreatedAt.UTC()}
	}
	return out, err
}

var _ app.Dashboard = (*DB)(nil)
