package store

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/waybill-app/waybill/app"
)

type notificationSettingsRow struct {
	ShopID         string `gorm:"primaryKey"`
	LogoURL        string `gorm:"column:logo_url"`
	AccentColor    string
	SenderName     string
	ReplyTo        string
	FooterText     string
	PrimaryLocale  string
	DisabledEvents string
	UpdatedAt      time.Time
}

func (notificationSettingsRow) TableName() string { return "notification_settings" }

type notificationTemplateRow struct {
	ShopID    string `gorm:"primaryKey"`
	Locale    string `gorm:"primaryKey"`
	Event     string `gorm:"primaryKey"`
	Subject   string
	Intro     string
	UpdatedAt time.Time
}

func (notificationTemplateRow) TableName() string { return "notification_templates" }

type notificationRow struct {
	ID         string
	ShopID     string
	ShipmentID string
	Event      string
	EventKey   string
	Recipient  string
	Locale     string
	Status     string
	Reason     string
	Detail     string
	Note       string
	QueuedAt   time.Time
	SentAt     *time.Time
	UpdatedAt  time.Time
	// SendingAt: a send started and its outcome is not recorded yet.
	SendingAt    *time.Time
	SendAttempts int
}

func (notificationRow) TableName() string { return "notifications" }

func (r notificationRow) toNotification() app.Notification {
	return app.Notification{ID: r.ID, ShopID: r.ShopID, ShipmentID: r.ShipmentID, Event: app.NotificationEvent(r.Event), EventKey: r.EventKey,
		Recipient: r.Recipient, Locale: r.Locale, Status: app.NotificationStatus(r.Status), Reason: app.NotificationReason(r.Reason), Detail: r.Detail, Note: r.Note,
		QueuedAt: r.QueuedAt.UTC(), SentAt: r.SentAt, UpdatedAt: r.UpdatedAt.UTC(), SendingAt: utcPtr(r.SendingAt), SendAttempts: r.SendAttempts}
}

type suppressionRow struct {
	ShopID    string `gorm:"primaryKey"`
	EmailHash string `gorm:"primaryKey"`
	CreatedAt time.Time
}

func (suppressionRow) TableName() string { return "suppressions" }

// NotificationSettings implements app.NotificationStore.
func (db *DB) NotificationSettings(ctx context.Context, shopID string) (app.NotificationSettings, error) {
	s := app.NotificationSettings{ShopID: shopID, PrimaryLocale: "en", Disabled: map[app.NotificationEvent]bool{},
		Templates: map[string]map[app.NotificationEvent]app.TemplateOverride{}}
	var row notificationSettingsRow
	err := db.gorm.WithContext(ctx).Where("shop_id = ?", shopID).Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		for _, e := range app.OptInEvents {
			s.Disabled[e] = true
		}
	case err != nil:
		return s, err
	default:
		s.Branding = app.Branding{LogoURL: row.LogoURL, AccentColor: row.AccentColor, SenderName: row.SenderName, ReplyTo: row.ReplyTo, FooterText: row.FooterText}
		s.PrimaryLocale = row.PrimaryLocale
		for _, e := range strings.Split(row.DisabledEvents, ",") {
			if e != "" {
				s.Disabled[app.NotificationEvent(e)] = true
			}
		}
	}
	var templates []notificationTemplateRow
	if err := db.gorm.WithContext(ctx).Where("shop_id = ?", shopID).Find(&templates).Error; err != nil {
		return s, err
	}
	for _, t := range templates {
		if s.Templates[t.Locale] == nil {
			s.Templates[t.Locale] = map[app.NotificationEvent]app.TemplateOverride{}
		}
		s.Templates[t.Locale][app.NotificationEvent(t.Event)] = app.TemplateOverride{Subject: t.Subject, Intro: t.Intro}
	}
	return s, nil
}

// SaveNotificationSettings implements app.NotificationStore (validate first:
// the email package knows what a valid template is).
func (db *DB) SaveNotificationSettings(ctx context.Context, s app.NotificationSettings) error {
	now := db.clock.Now()
	var disabled []string
	for e, off := range s.Disabled {
		if off {
			disabled = append(disabled, string(e))
		}
	}
	sort.Strings(disabled)
	row := notificationSettingsRow{ShopID: s.ShopID, LogoURL: s.Branding.LogoURL, AccentColor: s.Branding.AccentColor, SenderName: s.Branding.SenderName,
		ReplyTo: s.Branding.ReplyTo, FooterText: s.Branding.FooterText, PrimaryLocale: s.PrimaryLocale, DisabledEvents: strings.Join(disabled, ","), UpdatedAt: now}
	if row.PrimaryLocale == "" {
		row.PrimaryLocale = "en"
	}
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error; err != nil {
			return err
		}
		if err := tx.Where("shop_id = ?", s.ShopID).Delete(&notificationTemplateRow{}).Error; err != nil {
			return err
		}
		for locale, byEvent := range s.Templates {
			for e, o := range byEvent {
				if o.Subject == "" && o.Intro == "" {
					continue
				}
				if err := tx.Create(&notificationTemplateRow{ShopID: s.ShopID, Locale: locale, Event: string(e), Subject: o.Subject, Intro: o.Intro, UpdatedAt: now}).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// QueueNotification implements app.NotificationStore.
func (db *DB) QueueNotification(ctx context.Context, n *app.Notification) (*app.Notification, bool, error) {
	now := db.clock.Now()
	row := notificationRow{ID: app.NewID(), ShopID: n.ShopID, ShipmentID: n.ShipmentID, Event: string(n.Event), EventKey: n.EventKey,
		Status: string(app.NotificationQueued), Note: n.Note, QueuedAt: now, UpdatedAt: now}
	res := db.gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return nil, false, res.Error
	}
	created := res.RowsAffected == 1
	if !created {
		// A fresh row: GORM would add the unsaved row's new id to the WHERE.
		row = notificationRow{}
		if err := db.gorm.WithContext(ctx).Where("shipment_id = ? AND event_key = ?", n.ShipmentID, n.EventKey).Take(&row).Error; err != nil {
			return nil, false, err
		}
	}
	out := row.toNotification()
	return &out, created, nil
}

// NotificationByID implements app.NotificationStore.
func (db *DB) NotificationByID(ctx context.Context, id string) (*app.Notification, error) {
	var row notificationRow
	if err := db.gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, notFound(err, "no notification %s", id)
	}
	n := row.toNotification()
	return &n, nil
}

// MarkNotificationSending implements app.NotificationStore: one statement,
// committed before the caller talks to the mail server.
func (db *DB) MarkNotificationSending(ctx context.Context, id string) (bool, error) {
	now := db.clock.Now()
	res := db.gorm.WithContext(ctx).Model(&notificationRow{}).Where("id = ? AND status = ?", id, string(app.NotificationQueued)).
		Updates(map[string]any{"sending_at": now, "send_attempts": gorm.Expr("send_attempts + 1"), "updated_at": now})
	return res.RowsAffected == 1, res.Error
}

// SetNotificationStatus implements app.NotificationStore.
func (db *DB) SetNotificationStatus(ctx context.Context, id string, status app.NotificationStatus, recipient, locale string,
	reason app.NotificationReason, detail string) error {
	now := db.clock.Now()
	updates := map[string]any{"status": string(status), "reason": string(reason), "detail": detail, "updated_at": now, "sending_at": nil}
	if recipient != "" {
		updates["recipient"] = recipient
	}
	if locale != "" {
		updates["locale"] = locale
	}
	if status == app.NotificationSent {
		updates["sent_at"] = now
	}
	return db.gorm.WithContext(ctx).Model(&notificationRow{}).Where("id = ?", id).Updates(updates).Error
}

// StalledNotifications implements app.NotificationStore.
func (db *DB) StalledNotifications(ctx context.Context, before time.Time, limit int) ([]app.Notification, error) {
	var rows []notificationRow
	err := db.gorm.WithContext(ctx).Where("status = ? AND updated_at < ?", string(app.NotificationQueued), before.UTC()).
		Order("updated_at").Limit(limit).Find(&rows).Error
	out := make([]app.Notification, len(rows))
	for i, r := range rows {
		out[i] = r.toNotification()
	}
	return out, err
}

// ListNotifications implements app.NotificationStore: the shop's log, newest first.
func (db *DB) ListNotifications(ctx context.Context, shopID string, page, perPage int) ([]app.Notification, int64, error) {
	if perPage <= 0 || perPage > 200 {
		perPage = 50
	}
	page = max(page, 1)
	q := db.gorm.WithContext(ctx).Model(&notificationRow{}).Where("shop_id = ?", shopID)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var rows []notificationRow
	if err := q.Order("queued_at DESC, id DESC").Offset((page - 1) * perPage).Limit(perPage).Find(&rows).Error; err != nil {
		return nil, 0, err
	}
	out := make([]app.Notification, len(rows))
	for i, r := range rows {
		out[i] = r.toNotification()
	}
	return out, total, nil
}

// NotificationLog implements app.NotificationStore: one query joining each
// email to its shipment, within the shop (notifications_shop_queued, and
// notifications_shop_status_queued with a status).
func (db *DB) NotificationLog(ctx context.Context, shopID string, f app.NotificationFilter) ([]app.NotificationLogEntry, int64, error) {
	if f.PerPage <= 0 || f.PerPage > 200 {
		f.PerPage = 50
	}
	f.Page = max(f.Page, 1)
	q := db.gorm.WithContext(ctx).Table("notifications AS n").Joins("JOIN shipments AS s ON s.id = n.shipment_id").
		Where("n.shop_id = ?", shopID)
	if f.Status != "" {
		if !slices.Contains(app.NotificationStatuses, f.Status) {
			return nil, 0, app.Errorf(app.ErrInvalid, "status must be one of %s", statusNames())
		}
		q = q.Where("n.status = ?", string(f.Status))
	}
	q, err := whereOrderName(q, f.Query)
	if err != nil {
		return nil, 0, err
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var rows []struct {
		Row            notificationRow `gorm:"embedded"`
		OrderName      string
		TrackingNumber string
	}
	if err := q.Select("n.*, s.order_name, s.tracking_number").Order("n.queued_at DESC, n.id DESC").
		Offset((f.Page - 1) * f.PerPage).Limit(f.PerPage).Scan(&rows).Error; err != nil {
		return nil, 0, err
	}
	out := make([]app.NotificationLogEntry, len(rows))
	for i, r := range rows {
		out[i] = app.NotificationLogEntry{Notification: r.Row.toNotification(), OrderName: r.OrderName, TrackingNumber: r.TrackingNumber}
	}
	return out, total, nil
}

func statusNames() string {
	names := make([]string, len(app.NotificationStatuses))
	for i, s := range app.NotificationStatuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// ShipmentNotifications implements app.NotificationStore.
func (db *DB) ShipmentNotifications(ctx context.Context, shipmentID string) ([]app.Notification, error) {
	var rows []notificationRow
	if err := db.gorm.WithContext(ctx).Where("shipment_id = ?", shipmentID).Order("queued_at, id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]app.Notification, len(rows))
	for i, r := range rows {
		out[i] = r.toNotification()
	}
	return out, nil
}

// Suppressed implements app.NotificationStore.
func (db *DB) Suppressed(ctx context.Context, shopID, email string) (bool, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Model(&suppressionRow{}).Where("shop_id = ? AND email_hash = ?", shopID, app.EmailHash(email)).Count(&n).Error
	return n > 0, err
}

// Suppress implements app.NotificationStore.
func (db *DB) Suppress(ctx context.Context, shopID, emailHash string) error {
	return db.gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&suppressionRow{ShopID: shopID, EmailHash: emailHash, CreatedAt: db.clock.Now()}).Error
}

var _ app.NotificationStore = (*DB)(nil)

// whereOrderName narrows a log query (its shipments joined as s) to the
// order names that contain query, literally (% and _ are text, on either
// engine); ErrInvalid for a query intake would refuse.
func whereOrderName(q *gorm.DB, query string) (*gorm.DB, error) {
	term := strings.TrimSpace(query)
	if term == "" {
		return q, nil
	}
	if msg := app.TextProblem("q", term, app.MaxSearchLength); msg != "" {
		return nil, app.Errorf(app.ErrInvalid, "%s", msg)
	}
	return q.Where(`UPPER(s.order_name) LIKE ? ESCAPE '\'`, "%"+likeEscaper.Replace(strings.ToUpper(term))+"%"), nil
}
