package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/phone"
)

type channelConnectionRow struct {
	ID              string
	ShopID          string
	Channel         string
	Provider        string
	AccountID       string
	SenderID        string
	TokenSealed     string
	AppSecretSealed string
	VerifyToken     string
	TokenHint       string
	TestPhone       string
	CheckedAt       *time.Time
	CheckError      string
	TestMessageID   string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func (channelConnectionRow) TableName() string { return "channel_connections" }

type textTemplateRow struct {
	ConnectionID string `gorm:"primaryKey"`
	Event        string `gorm:"primaryKey"`
	Language     string `gorm:"primaryKey"`
	Name         string
	Status       string
	Reason       string
	UpdatedAt    time.Time
}

func (textTemplateRow) TableName() string { return "text_templates" }

type shopTextSettingsRow struct {
	ShopID          string `gorm:"primaryKey"`
	DisabledEvents  string
	ContactWhatsApp string `gorm:"column:contact_whatsapp"`
	ContactEmail    string
	ContactPhone    string
	UpdatedAt       time.Time
}

func (shopTextSettingsRow) TableName() string { return "shop_text_settings" }

type customerTextRow struct {
	ID                string
	ShopID            string
	ShipmentID        string
	Channel           string
	Event             string
	EventKey          string
	Phone             string
	Locale            string
	Status            string
	Reason            string
	Detail            string
	ProviderMessageID string
	Segments          int
	Encoding          string
	QueuedAt          time.Time
	SentAt            *time.Time
	DeliveredAt       *time.Time
	ReadAt            *time.Time
	SendingAt         *time.Time
	SendAttempts      int
	UpdatedAt         time.Time
}

func (customerTextRow) TableName() string { return "customer_texts" }

func (r customerTextRow) toText() app.CustomerText {
	return app.CustomerText{ID: r.ID, ShopID: r.ShopID, ShipmentID: r.ShipmentID, Channel: app.Channel(r.Channel),
		Event: app.NotificationEvent(r.Event), EventKey: r.EventKey, Phone: r.Phone, Locale: r.Locale,
		Status: app.TextStatus(r.Status), Reason: app.TextReason(r.Reason), Detail: r.Detail, ProviderMessageID: r.ProviderMessageID,
		Segments: r.Segments, Encoding: r.Encoding, QueuedAt: r.QueuedAt.UTC(), SentAt: utcPtr(r.SentAt),
		DeliveredAt: utcPtr(r.DeliveredAt), ReadAt: utcPtr(r.ReadAt), UpdatedAt: r.UpdatedAt.UTC(),
		SendingAt: utcPtr(r.SendingAt), SendAttempts: r.SendAttempts}
}

type textConsentRow struct {
	ShopID    string `gorm:"primaryKey"`
	PhoneHash string `gorm:"primaryKey"`
	Channel   string `gorm:"primaryKey"`
	Source    string
	GrantedAt *time.Time
	RevokedAt *time.Time
	RevokedBy string
	UpdatedAt time.Time
}

func (textConsentRow) TableName() string { return "text_consents" }

type customerPreferencesRow struct {
	ShopID      string `gorm:"primaryKey"`
	ContactHash string `gorm:"primaryKey"`
	Channels    string
	Topics      string
	UpdatedAt   time.Time
}

func (customerPreferencesRow) TableName() string { return "customer_preferences" }

// connectionAD binds a sealed secret to its shop, channel and field: a
// sealed column copied to another shop's row, or to the other field, does
// not open. The id is left out so that a replaced connection keeps its id
// whatever two racing saves chose.
func connectionAD(shopID string, c app.Channel, field string) []byte {
	return []byte(shopID + "\x00channel_connection\x00" + string(c) + "\x00" + field)
}

// SaveChannelConnection implements app.TextStore: one connection per shop
// and channel; replacing it keeps its id (the callback URLs name it) and,
// when none is given, its verify token; a new account forgets the old
// one's templates, and a new connection is untested.
func (db *DB) SaveChannelConnection(ctx context.Context, c *app.ChannelConnection) error {
	if !c.Channel.Valid() {
		return app.Errorf(app.ErrInvalid, "channel must be whatsapp or sms")
	}
	now := db.clock.Now()
	row := channelConnectionRow{ID: app.NewID(), ShopID: c.ShopID, Channel: string(c.Channel), Provider: c.Provider,
		AccountID: c.AccountID, SenderID: c.SenderID, VerifyToken: c.VerifyToken, TokenHint: keyHint(c.Token),
		TestPhone: c.TestPhone, CreatedAt: now, UpdatedAt: now}
	var err error
	if row.TokenSealed, err = db.sealer.Seal([]byte(c.Token), connectionAD(c.ShopID, c.Channel, "token")); err != nil {
		return err
	}
	if c.AppSecret != "" {
		if row.AppSecretSealed, err = db.sealer.Seal([]byte(c.AppSecret), connectionAD(c.ShopID, c.Channel, "app_secret")); err != nil {
			return err
		}
	}
	err = db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var old channelConnectionRow
		err := tx.Where("shop_id = ? AND channel = ?", c.ShopID, string(c.Channel)).Take(&old).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
		case err != nil:
			return err
		default:
			if row.VerifyToken == "" {
				row.VerifyToken = old.VerifyToken
			}
			if old.AccountID != row.AccountID {
				if err := tx.Where("connection_id = ?", old.ID).Delete(&textTemplateRow{}).Error; err != nil {
					return err
				}
			}
		}
		if err := tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "shop_id"}, {Name: "channel"}},
			DoUpdates: clause.Assignments(map[string]any{
				"provider": row.Provider, "account_id": row.AccountID, "sender_id": row.SenderID,
				"token_sealed": row.TokenSealed, "app_secret_sealed": row.AppSecretSealed, "verify_token": row.VerifyToken,
				"token_hint": row.TokenHint, "test_phone": row.TestPhone, "checked_at": nil, "check_error": "", "updated_at": now,
			}),
		}).Create(&row).Error; err != nil {
			return err
		}
		// Read back: the id and creation time are the first save's.
		stored := channelConnectionRow{}
		if err := tx.Where("shop_id = ? AND channel = ?", c.ShopID, string(c.Channel)).Take(&stored).Error; err != nil {
			return err
		}
		row = stored
		return nil
	})
	if err != nil {
		return err
	}
	c.ID, c.VerifyToken, c.TokenHint, c.CheckedAt, c.CheckError, c.CreatedAt = row.ID, row.VerifyToken, row.TokenHint, nil, "", row.CreatedAt.UTC()
	return nil
}

func (db *DB) openConnection(r channelConnectionRow) (*app.ChannelConnection, error) {
	ch := app.Channel(r.Channel)
	token, err := db.sealer.Open(r.TokenSealed, connectionAD(r.ShopID, ch, "token"))
	if err != nil {
		return nil, fmt.Errorf("channel connection %s, token: %w", r.ID, err)
	}
	c := &app.ChannelConnection{ID: r.ID, ShopID: r.ShopID, Channel: ch, Provider: r.Provider, AccountID: r.AccountID,
		SenderID: r.SenderID, Token: string(token), VerifyToken: r.VerifyToken, TokenHint: r.TokenHint, TestPhone: r.TestPhone,
		CheckedAt: utcPtr(r.CheckedAt), CheckError: r.CheckError, TestMessageID: r.TestMessageID, CreatedAt: r.CreatedAt.UTC()}
	if r.AppSecretSealed != "" {
		secret, err := db.sealer.Open(r.AppSecretSealed, connectionAD(r.ShopID, ch, "app_secret"))
		if err != nil {
			return nil, fmt.Errorf("channel connection %s, app secret: %w", r.ID, err)
		}
		c.AppSecret = string(secret)
	}
	return c, nil
}

// ChannelConnections implements app.TextStore, in TextChannels' order.
func (db *DB) ChannelConnections(ctx context.Context, shopID string) ([]app.ChannelConnection, error) {
	var rows []channelConnectionRow
	if err := db.gorm.WithContext(ctx).Where("shop_id = ?", shopID).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]app.ChannelConnection, 0, len(rows))
	for _, r := range rows {
		c, err := db.openConnection(r)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b app.ChannelConnection) int {
		return slices.Index(app.TextChannels, a.Channel) - slices.Index(app.TextChannels, b.Channel)
	})
	return out, nil
}

// ChannelConnectionByID implements app.TextStore.
func (db *DB) ChannelConnectionByID(ctx context.Context, id string) (*app.ChannelConnection, error) {
	var r channelConnectionRow
	if err := db.gorm.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, notFound(err, "no channel connection %s", id)
	}
	return db.openConnection(r)
}

// DeleteChannelConnection implements app.TextStore; its templates go with
// it (ON DELETE CASCADE).
func (db *DB) DeleteChannelConnection(ctx context.Context, shopID, id string) error {
	res := db.gorm.WithContext(ctx).Where("shop_id = ? AND id = ?", shopID, id).Delete(&channelConnectionRow{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return app.Errorf(app.ErrNotFound, "no channel connection %s in this store", id)
	}
	return nil
}

// RecordChannelCheck implements app.TextStore.
func (db *DB) RecordChannelCheck(ctx context.Context, id string, checkError, testMessageID string) error {
	return db.gorm.WithContext(ctx).Model(&channelConnectionRow{}).Where("id = ?", id).
		Updates(map[string]any{"checked_at": db.clock.Now(), "check_error": checkError, "test_message_id": testMessageID}).Error
}

// SaveTextTemplates implements app.TextStore: what the account has now
// replaces what was known (one per event and language, the last wins).
func (db *DB) SaveTextTemplates(ctx context.Context, connectionID string, ts []app.TextTemplate) error {
	now := db.clock.Now()
	type key struct{ event, language string }
	seen := map[key]int{}
	var rows []textTemplateRow
	for _, t := range ts {
		r := textTemplateRow{ConnectionID: connectionID, Event: string(t.Event), Language: t.Language, Name: t.Name,
			Status: string(t.Status), Reason: t.Reason, UpdatedAt: now}
		k := key{r.Event, r.Language}
		if i, ok := seen[k]; ok {
			rows[i] = r
			continue
		}
		seen[k] = len(rows)
		rows = append(rows, r)
	}
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("connection_id = ?", connectionID).Delete(&textTemplateRow{}).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		return tx.Create(&rows).Error
	})
}

// TextTemplates implements app.TextStore.
func (db *DB) TextTemplates(ctx context.Context, connectionID string) ([]app.TextTemplate, error) {
	var rows []textTemplateRow
	if err := db.gorm.WithContext(ctx).Where("connection_id = ?", connectionID).Order("name, language").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]app.TextTemplate, len(rows))
	for i, r := range rows {
		out[i] = app.TextTemplate{Event: app.NotificationEvent(r.Event), Language: r.Language, Name: r.Name,
			Status: app.TextTemplateStatus(r.Status), Reason: r.Reason}
	}
	return out, nil
}

func (db *DB) shopTextSettings(ctx context.Context, shopID string) (shopTextSettingsRow, bool, error) {
	var row shopTextSettingsRow
	err := db.gorm.WithContext(ctx).Where("shop_id = ?", shopID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return row, false, nil
	}
	return row, err == nil, err
}

// TextSettings implements app.TextStore: nothing saved is every text event
// on (but the opt-in ones).
func (db *DB) TextSettings(ctx context.Context, shopID string) (app.TextSettings, error) {
	s := app.TextSettings{Disabled: map[app.Channel]map[app.NotificationEvent]bool{}}
	row, found, err := db.shopTextSettings(ctx, shopID)
	if err != nil || !found {
		return s, err
	}
	if err := unmarshalColumn(row.DisabledEvents, &s.Disabled); err != nil {
		return s, fmt.Errorf("store: text settings of %s: %w", shopID, err)
	}
	if s.Disabled == nil { // a JSON null
		s.Disabled = map[app.Channel]map[app.NotificationEvent]bool{}
	}
	return s, nil
}

// SaveTextSettings implements app.TextStore; the contact options stay.
func (db *DB) SaveTextSettings(ctx context.Context, shopID string, s app.TextSettings) error {
	disabled := s.Disabled
	if disabled == nil {
		disabled = map[app.Channel]map[app.NotificationEvent]bool{}
	}
	js, err := json.Marshal(disabled)
	if err != nil {
		return fmt.Errorf("store: text settings of %s: %w", shopID, err)
	}
	now := db.clock.Now()
	return db.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "shop_id"}},
		DoUpdates: clause.Assignments(map[string]any{"disabled_events": string(js), "updated_at": now}),
	}).Create(&shopTextSettingsRow{ShopID: shopID, DisabledEvents: string(js), UpdatedAt: now}).Error
}

// ContactOptions implements app.TextStore.
func (db *DB) ContactOptions(ctx context.Context, shopID string) (app.ContactOptions, error) {
	row, _, err := db.shopTextSettings(ctx, shopID)
	return app.ContactOptions{WhatsApp: row.ContactWhatsApp, Email: row.ContactEmail, Phone: row.ContactPhone}, err
}

// SaveContactOptions implements app.TextStore; the text switches stay.
func (db *DB) SaveContactOptions(ctx context.Context, shopID string, c app.ContactOptions) error {
	now := db.clock.Now()
	return db.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "shop_id"}},
		DoUpdates: clause.Assignments(map[string]any{"contact_whatsapp": c.WhatsApp, "contact_email": c.Email,
			"contact_phone": c.Phone, "updated_at": now}),
	}).Create(&shopTextSettingsRow{ShopID: shopID, DisabledEvents: "{}", ContactWhatsApp: c.WhatsApp, ContactEmail: c.Email,
		ContactPhone: c.Phone, UpdatedAt: now}).Error
}

// QueueText implements app.TextStore: the unique index on (shipment, event
// key, channel) makes it once only, whatever races it; the loser reads the
// winner's row.
func (db *DB) QueueText(ctx context.Context, m *app.CustomerText) (*app.CustomerText, bool, error) {
	if !m.Channel.Valid() {
		return nil, false, app.Errorf(app.ErrInvalid, "channel must be whatsapp or sms")
	}
	now := db.clock.Now()
	row := customerTextRow{ID: app.NewID(), ShopID: m.ShopID, ShipmentID: m.ShipmentID, Channel: string(m.Channel), Event: string(m.Event),
		EventKey: m.EventKey, Phone: m.Phone, Locale: m.Locale, Status: string(app.TextQueued), QueuedAt: now, UpdatedAt: now}
	res := db.gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if res.Error != nil {
		return nil, false, res.Error
	}
	created := res.RowsAffected == 1
	if !created {
		// A fresh row: GORM would add the unsaved row's new id to the WHERE.
		row = customerTextRow{}
		if err := db.gorm.WithContext(ctx).Where("shipment_id = ? AND event_key = ? AND channel = ?", m.ShipmentID, m.EventKey, string(m.Channel)).
			Take(&row).Error; err != nil {
			return nil, false, err
		}
	}
	out := row.toText()
	return &out, created, nil
}

// TextByID implements app.TextStore.
func (db *DB) TextByID(ctx context.Context, id string) (*app.CustomerText, error) {
	var row customerTextRow
	if err := db.gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, notFound(err, "no text %s", id)
	}
	t := row.toText()
	return &t, nil
}

// TextByProviderID implements app.TextStore (customer_texts_provider_message).
func (db *DB) TextByProviderID(ctx context.Context, channel app.Channel, providerMessageID string) (*app.CustomerText, error) {
	if providerMessageID == "" {
		// Texts not sent have no id: an empty one names none of them.
		return nil, app.Errorf(app.ErrNotFound, "no text without a provider id")
	}
	var row customerTextRow
	if err := db.gorm.WithContext(ctx).Where("channel = ? AND provider_message_id = ?", string(channel), providerMessageID).
		Order("queued_at, id").Take(&row).Error; err != nil {
		return nil, notFound(err, "no %s text %s", channel, providerMessageID)
	}
	t := row.toText()
	return &t, nil
}

// MarkTextSending implements app.TextStore: one statement, committed before
// the caller talks to the provider.
func (db *DB) MarkTextSending(ctx context.Context, id string) (bool, error) {
	now := db.clock.Now()
	res := db.gorm.WithContext(ctx).Model(&customerTextRow{}).Where("id = ? AND status = ?", id, string(app.TextQueued)).
		Updates(map[string]any{"sending_at": now, "send_attempts": gorm.Expr("send_attempts + 1"), "updated_at": now})
	return res.RowsAffected == 1, res.Error
}

// SetTextOutcome implements app.TextStore. What the outcome leaves empty
// (the phone, the locale, the provider's id and count) stays as it was.
func (db *DB) SetTextOutcome(ctx context.Context, id string, o app.TextOutcome) error {
	now := db.clock.Now()
	updates := map[string]any{"status": string(o.Status), "reason": string(o.Reason), "detail": o.Detail, "updated_at": now, "sending_at": nil}
	if o.Phone != "" {
		updates["phone"] = o.Phone
	}
	if o.Locale != "" {
		updates["locale"] = o.Locale
	}
	if o.ProviderMessageID != "" {
		updates["provider_message_id"] = o.ProviderMessageID
	}
	if o.Segments != 0 {
		updates["segments"] = o.Segments
	}
	if o.Encoding != "" {
		updates["encoding"] = o.Encoding
	}
	if o.Status == app.TextSent {
		updates["sent_at"] = now
	}
	return db.gorm.WithContext(ctx).Model(&customerTextRow{}).Where("id = ?", id).Updates(updates).Error
}

// textReportRetries bounds how often one report re-reads a text another
// report changed under it.
const textReportRetries = 8

// ApplyTextReport implements app.TextStore: a compare-and-set on the status
// as read, so of two racing reports ("delivered" and a late "sent") the
// one behind never undoes the other.
func (db *DB) ApplyTextReport(ctx context.Context, id string, status app.TextStatus, at time.Time, reason app.TextReason, detail string) (bool, error) {
	now := db.clock.Now()
	if at.IsZero() {
		at = now
	}
	at = at.UTC()
	for attempt := 0; ; attempt++ {
		var row customerTextRow
		if err := db.gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
			return false, notFound(err, "no text %s", id)
		}
		if !app.TextStatus(row.Status).After(status) {
			return false, nil
		}
		updates := map[string]any{"status": string(status), "updated_at": now}
		switch status {
		case app.TextSent:
			if row.SentAt == nil {
				updates["sent_at"] = at
			}
		case app.TextDelivered:
			updates["delivered_at"] = at
		case app.TextRead:
			updates["read_at"] = at
			if row.DeliveredAt == nil {
				updates["delivered_at"] = at // read is delivered too
			}
		case app.TextFailed:
			updates["reason"], updates["detail"] = string(reason), detail
		}
		if row.Status == string(app.TextQueued) {
			updates["sending_at"] = nil // the provider has it: the send is over
		}
		res := db.gorm.WithContext(ctx).Model(&customerTextRow{}).Where("id = ? AND status = ?", id, row.Status).Updates(updates)
		if res.Error != nil {
			return false, res.Error
		}
		if res.RowsAffected == 1 {
			return true, nil
		}
		if attempt >= textReportRetries {
			return false, app.Errorf(app.ErrUnavailable, "text %s kept changing under a status report", id)
		}
	}
}

// StalledTexts implements app.TextStore (customer_texts_status_updated).
func (db *DB) StalledTexts(ctx context.Context, before time.Time, limit int) ([]app.CustomerText, error) {
	var rows []customerTextRow
	err := db.gorm.WithContext(ctx).Where("status = ? AND updated_at < ?", string(app.TextQueued), before.UTC()).
		Order("updated_at").Limit(limit).Find(&rows).Error
	return textsOf(rows), err
}

func textsOf(rows []customerTextRow) []app.CustomerText {
	out := make([]app.CustomerText, len(rows))
	for i, r := range rows {
		out[i] = r.toText()
	}
	return out
}

// TextLog implements app.TextStore: one query joining each text to its
// shipment, within the shop, newest first (customer_texts_shop_queued).
func (db *DB) TextLog(ctx context.Context, shopID string, f app.TextFilter) ([]app.TextLogEntry, int64, error) {
	if f.PerPage <= 0 || f.PerPage > 200 {
		f.PerPage = 50
	}
	f.Page = max(f.Page, 1)
	q := db.gorm.WithContext(ctx).Table("customer_texts AS t").Joins("JOIN shipments AS s ON s.id = t.shipment_id").
		Where("t.shop_id = ?", shopID)
	if f.Channel != "" {
		if !f.Channel.Valid() {
			return nil, 0, app.Errorf(app.ErrInvalid, "channel must be whatsapp or sms")
		}
		q = q.Where("t.channel = ?", string(f.Channel))
	}
	if f.Status != "" {
		if !slices.Contains(app.TextStatuses, f.Status) {
			return nil, 0, app.Errorf(app.ErrInvalid, "status must be one of %s", textStatusNames())
		}
		q = q.Where("t.status = ?", string(f.Status))
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
		Row            customerTextRow `gorm:"embedded"`
		OrderName      string
		TrackingNumber string
	}
	if err := q.Select("t.*, s.order_name, s.tracking_number").Order("t.queued_at DESC, t.id DESC").
		Offset((f.Page - 1) * f.PerPage).Limit(f.PerPage).Scan(&rows).Error; err != nil {
		return nil, 0, err
	}
	out := make([]app.TextLogEntry, len(rows))
	for i, r := range rows {
		out[i] = app.TextLogEntry{CustomerText: r.Row.toText(), OrderName: r.OrderName, TrackingNumber: r.TrackingNumber}
		if r.Row.Phone != "" {
			out[i].PhoneMasked = phone.Mask(r.Row.Phone)
		}
	}
	return out, total, nil
}

func textStatusNames() string {
	names := make([]string, len(app.TextStatuses))
	for i, s := range app.TextStatuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// ShipmentTexts implements app.TextStore.
func (db *DB) ShipmentTexts(ctx context.Context, shipmentID string) ([]app.CustomerText, error) {
	var rows []customerTextRow
	err := db.gorm.WithContext(ctx).Where("shipment_id = ?", shipmentID).Order("queued_at, id").Find(&rows).Error
	return textsOf(rows), err
}

// TextCounts implements app.TextStore (customer_texts_shop_queued).
func (db *DB) TextCounts(ctx context.Context, shopID string, since time.Time) (map[app.Channel]map[app.TextStatus]int64, error) {
	var rows []struct {
		Channel string
		Status  string
		N       int64
	}
	if err := db.gorm.WithContext(ctx).Model(&customerTextRow{}).Select("channel, status, COUNT(*) AS n").
		Where("shop_id = ? AND queued_at >= ?", shopID, since.UTC()).Group("channel, status").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[app.Channel]map[app.TextStatus]int64{}
	for _, r := range rows {
		c := app.Channel(r.Channel)
		if out[c] == nil {
			out[c] = map[app.TextStatus]int64{}
		}
		out[c][app.TextStatus(r.Status)] = r.N
	}
	return out, nil
}

// Consent implements app.TextStore.
func (db *DB) Consent(ctx context.Context, shopID, phoneHash string, c app.Channel) (*app.Consent, error) {
	var row textConsentRow
	err := db.gorm.WithContext(ctx).Where("shop_id = ? AND phone_hash = ? AND channel = ?", shopID, phoneHash, string(c)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := &app.Consent{ShopID: row.ShopID, PhoneHash: row.PhoneHash, Channel: app.Channel(row.Channel), Source: app.ConsentSource(row.Source),
		RevokedAt: utcPtr(row.RevokedAt), RevokedBy: row.RevokedBy}
	if row.GrantedAt != nil {
		out.GrantedAt = row.GrantedAt.UTC()
	}
	return out, nil
}

// GrantConsent implements app.TextStore: an upsert that also lifts a
// revocation (the customer opted in again).
func (db *DB) GrantConsent(ctx context.Context, c app.Consent) error {
	if !c.Channel.Valid() {
		return app.Errorf(app.ErrInvalid, "channel must be whatsapp or sms")
	}
	now := db.clock.Now()
	granted := c.GrantedAt.UTC()
	if c.GrantedAt.IsZero() {
		granted = now
	}
	return db.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "shop_id"}, {Name: "phone_hash"}, {Name: "channel"}},
		DoUpdates: clause.Assignments(map[string]any{"source": string(c.Source), "granted_at": granted,
			"revoked_at": nil, "revoked_by": "", "updated_at": now}),
	}).Create(&textConsentRow{ShopID: c.ShopID, PhoneHash: c.PhoneHash, Channel: string(c.Channel), Source: string(c.Source),
		GrantedAt: &granted, UpdatedAt: now}).Error
}

// RevokeConsent implements app.TextStore: an upsert, so a STOP before any
// consent is recorded too.
func (db *DB) RevokeConsent(ctx context.Context, shopID, phoneHash string, c app.Channel, by string, at time.Time) error {
	if !c.Valid() {
		return app.Errorf(app.ErrInvalid, "channel must be whatsapp or sms")
	}
	now := db.clock.Now()
	if at.IsZero() {
		at = now
	}
	at = at.UTC()
	return db.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "shop_id"}, {Name: "phone_hash"}, {Name: "channel"}},
		DoUpdates: clause.Assignments(map[string]any{"revoked_at": at, "revoked_by": by, "updated_at": now}),
	}).Create(&textConsentRow{ShopID: shopID, PhoneHash: phoneHash, Channel: string(c), RevokedAt: &at, RevokedBy: by, UpdatedAt: now}).Error
}

// Preferences implements app.TextStore: empty maps (everything wanted)
// when the contact never chose.
func (db *DB) Preferences(ctx context.Context, shopID, contactHash string) (app.Preferences, error) {
	p := app.Preferences{ShopID: shopID, ContactHash: contactHash, Channels: map[app.Channel]bool{}, Topics: map[app.PreferenceTopic]bool{}}
	var row customerPreferencesRow
	err := db.gorm.WithContext(ctx).Where("shop_id = ? AND contact_hash = ?", shopID, contactHash).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return p, nil
	}
	if err != nil {
		return p, err
	}
	if err := unmarshalColumn(row.Channels, &p.Channels); err != nil {
		return p, fmt.Errorf("store: preferences, channels: %w", err)
	}
	if err := unmarshalColumn(row.Topics, &p.Topics); err != nil {
		return p, fmt.Errorf("store: preferences, topics: %w", err)
	}
	if p.Channels == nil { // a JSON null
		p.Channels = map[app.Channel]bool{}
	}
	if p.Topics == nil {
		p.Topics = map[app.PreferenceTopic]bool{}
	}
	p.UpdatedAt = row.UpdatedAt.UTC()
	return p, nil
}

// SavePreferences implements app.TextStore.
func (db *DB) SavePreferences(ctx context.Context, p app.Preferences) error {
	channels, topics := p.Channels, p.Topics
	if channels == nil {
		channels = map[app.Channel]bool{}
	}
	if topics == nil {
		topics = map[app.PreferenceTopic]bool{}
	}
	cj, err := json.Marshal(channels)
	if err != nil {
		return fmt.Errorf("store: preferences, channels: %w", err)
	}
	tj, err := json.Marshal(topics)
	if err != nil {
		return fmt.Errorf("store: preferences, topics: %w", err)
	}
	now := db.clock.Now()
	return db.gorm.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "shop_id"}, {Name: "contact_hash"}},
		DoUpdates: clause.Assignments(map[string]any{"channels": string(cj), "topics": string(tj), "updated_at": now}),
	}).Create(&customerPreferencesRow{ShopID: p.ShopID, ContactHash: p.ContactHash, Channels: string(cj), Topics: string(tj), UpdatedAt: now}).Error
}

var _ app.TextStore = (*DB)(nil)
