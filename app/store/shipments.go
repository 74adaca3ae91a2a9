package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/waybill-app/waybill/app"
)

type shipmentRow struct {
	ID                   string
	ShopID               string
	OrderRef             string
	OrderID              int64
	OrderName            string
	TrackingNumber       string
	Carrier              string
	TrackingURL          string
	Source               string
	State                string
	StateReason          string
	StateCode            string
	StateParams          string // a JSON object of strings
	NotifyCustomer       bool
	ShopifyFulfillmentID *int64
	Status               string
	StatusAt             *time.Time
	EstimatedDeliveryAt  *time.Time
	StatusSource         string
	StatusesSeen         string
	ShippedAt            *time.Time
	LastEventAt          *time.Time
	DeliveryWindowFrom   *time.Time
	DeliveryWindowTo     *time.Time
	StalledAt            *time.Time
	StalledReason        string
	StallCheckAt         *time.Time
	TrackerSourceID      string
	TrackerState         string
	TrackerID            string
	TrackerDetail        string
	TrackerRegisteredAt  *time.Time
	TrackingSince        *time.Time
	NextPollAt           *time.Time
	PollAttempts         int
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

func (shipmentRow) TableName() string { return "shipments" }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

type shipmentLineItemRow struct {
	ShipmentID string `gorm:"primaryKey"`
	Position   int    `gorm:"primaryKey;autoIncrement:false"`
	LineItemID int64
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
	Code       string
	Params     string // a JSON object of strings
	CreatedAt  time.Time
}

func (shipmentEventRow) TableName() string { return "shipment_events" }

// encodeParams is a message's parameters as stored: a JSON object of
// strings ("{}" when none).
func encodeParams(params map[string]string) string {
	if len(params) == 0 {
		return "{}"
	}
	b, err := json.Marshal(params)
	if err != nil {
		return "{}" // a map of strings always encodes
	}
	return string(b)
}

// decodeParams reads stored parameters; rows from before codes existed
// have none. Never nil: the API answers {}.
func decodeParams(raw string) map[string]string {
	out := map[string]string{}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			return map[string]string{} // only this package writes them
		}
	}
	return out
}

// stateMessage is the columns that say why a shipment is in its state.
func stateMessage(reason app.Message) map[string]any {
	return map[string]any{"state_reason": reason.Text, "state_code": reason.Code, "state_params": encodeParams(reason.Params)}
}

// withState adds the state reason's columns to an update.
func withState(updates map[string]any, reason app.Message) map[string]any {
	for k, v := range stateMessage(reason) {
		updates[k] = v
	}
	return updates
}

func (r shipmentRow) toShipment(items []shipmentLineItemRow) app.Shipment {
	s := app.Shipment{ID: r.ID, ShopID: r.ShopID, OrderRef: r.OrderRef, NotifyCustomer: r.NotifyCustomer, OrderID: r.OrderID, OrderName: r.OrderName, TrackingNumber: r.TrackingNumber,
		Carrier: r.Carrier, TrackingURL: r.TrackingURL, Source: app.ShipmentSource(r.Source), State: app.ShipmentState(r.State),
		StateReason: r.StateReason, StateCode: r.StateCode, StateParams: decodeParams(r.StateParams), Status: app.ParcelStatus(r.Status), StatusAt: utcPtr(r.StatusAt), EstimatedDeliveryAt: utcPtr(r.EstimatedDeliveryAt),
		StatusSource: r.StatusSource, ShippedAt: utcPtr(r.ShippedAt), LastEventAt: utcPtr(r.LastEventAt),
		DeliveryWindowFrom: utcPtr(r.DeliveryWindowFrom), DeliveryWindowTo: utcPtr(r.DeliveryWindowTo),
		StalledAt: utcPtr(r.StalledAt), StalledReason: r.StalledReason, TrackerSourceID: r.TrackerSourceID,
		TrackerState: app.TrackerState(r.TrackerState), TrackerID: r.TrackerID, TrackerDetail: r.TrackerDetail,
		NextPollAt: utcPtr(r.NextPollAt), PollAttempts: r.PollAttempts, TrackerRegisteredAt: utcPtr(r.TrackerRegisteredAt),
		TrackingSince: utcPtr(r.TrackingSince), StallCheckAt: utcPtr(r.StallCheckAt),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if s.Status == "" {
		s.Status = app.StatusPending
	}
	if r.ShopifyFulfillmentID != nil {
		s.ShopifyFulfillmentID = *r.ShopifyFulfillmentID
	}
	for _, li := range items {
		s.LineItems = append(s.LineItems, app.ShipmentLineItem{LineItemID: li.LineItemID, SKU: li.SKU, Title: li.Title, Quantity: li.Quantity})
	}
	return s
}

// checkLink is the store's own check of what becomes a link in the admin,
// the emails and the tracking page: intake refuses anything but http(s)
// already, so a refusal here is a bug upstream, never stored.
func checkLink(trackingURL, carrierName string) error {
	if trackingURL != "" {
		if msg := app.TrackingURLProblem(trackingURL); msg != "" {
			return app.Errorf(app.ErrInvalid, "%s", msg)
		}
	}
	if msg := app.TextProblem("carrier", carrierName, app.MaxCarrierLength); msg != "" {
		return app.Errorf(app.ErrInvalid, "%s", msg)
	}
	return nil
}

// addShipmentEvent adds a history line: line.Text is its detail (English),
// its code and parameters what the admin shows.
func (db *DB) addShipmentEvent(tx *gorm.DB, shipmentID, kind string, line app.Message) error {
	return tx.Create(&shipmentEventRow{ID: app.NewID(), ShipmentID: shipmentID, Kind: kind, Detail: line.Text, Code: line.Code,
		Params: encodeParams(line.Params), CreatedAt: db.clock.Now()}).Error
}

// RecordShopifyFulfillment implements app.ShipmentStore.
func (db *DB) RecordShopifyFulfillment(ctx context.Context, shopID string, f app.ShopifyFulfillment) ([]app.RecordedFulfillment, error) {
	now := db.clock.Now()
	type recorded struct {
		id     string
		change app.FulfillmentChange
	}
	var out []recorded
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if f.OrderName == "" {
			if err := tx.Model(&orderRow{}).Where("shop_id = ? AND id = ?", shopID, f.OrderID).Pluck("name", &f.OrderName).Error; err != nil {
				return err
			}
		}
		var existing []shipmentRow
		if err := tx.Where("shop_id = ? AND shopify_fulfillment_id = ?", shopID, f.ID).Order("created_at, id").Find(&existing).Error; err != nil {
			return err
		}
		if f.Status.Failed() {
			// Cancelled or failed for good: its shipments say so, and stop.
			state, reason := app.ShipmentCancelled, app.NewMessage(app.MsgCancelled, "Fulfillment cancelled in Shopify.")
			if f.Status != app.FulfillmentCancelled {
				state, reason = app.ShipmentFailed, app.NewMessage(app.MsgFulfillmentFailed,
					fmt.Sprintf("Shopify reports the fulfillment as %s.", f.Status), "status", string(f.Status))
			}
			for _, row := range existing {
				if row.State == string(state) {
					continue
				}
				if err := tx.Model(&row).Updates(withState(map[string]any{"state": string(state), "updated_at": now,
					"next_poll_at": nil, "stall_check_at": nil, "stalled_at": nil, "stalled_reason": ""}, reason)).Error; err != nil {
					return err
				}
				if err := db.addShipmentEvent(tx, row.ID, string(state), reason); err != nil {
					return err
				}
				out = append(out, recorded{row.ID, app.FulfillmentEnded})
			}
			return nil
		}
		byNumber := map[string]*shipmentRow{}
		for i := range existing {
			byNumber[existing[i].TrackingNumber] = &existing[i]
		}
		for i, number := range f.TrackingNumbers {
			url := ""
			if i < len(f.TrackingURLs) {
				url = f.TrackingURLs[i]
			}
			change, id, err := db.recordParcel(tx, shopID, f, number, url, byNumber, existing, now)
			if err != nil {
				return err
			}
			out = append(out, recorded{id, change})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	ids := make([]string, len(out))
	for i, r := range out {
		ids[i] = r.id
	}
	shipments, err := db.shipmentsWhere(ctx, "id IN ?", ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*app.Shipment, len(shipments))
	for i := range shipments {
		byID[shipments[i].ID] = &shipments[i]
	}
	result := make([]app.RecordedFulfillment, 0, len(out))
	for _, r := range out {
		if s, ok := byID[r.id]; ok {
			result = append(result, app.RecordedFulfillment{Shipment: s, Change: r.change})
		}
	}
	return result, nil
}

// recordParcel records one tracking number of a fulfillment.
func (db *DB) recordParcel(tx *gorm.DB, shopID string, f app.ShopifyFulfillment, number, url string, byNumber map[string]*shipmentRow,
	existing []shipmentRow, now time.Time) (app.FulfillmentChange, string, error) {
	if err := checkLink(url, f.Carrier); err != nil {
		return "", "", err
	}
	if row, ok := byNumber[number]; ok {
		if row.Carrier == f.Carrier && (url == "" || row.TrackingURL == url) {
			return app.FulfillmentUnchanged, row.ID, nil
		}
		updates := map[string]any{"carrier": f.Carrier, "updated_at": now}
		if url != "" {
			updates["tracking_url"] = url
		}
		if row.Carrier == f.Carrier {
			// Only the link changed: nothing to tell the customer.
			return app.FulfillmentUnchanged, row.ID, tx.Model(row).Updates(updates).Error
		}
		line := trackingChanged(row.Carrier, number, f.Carrier, number)
		if err := tx.Model(row).Updates(updates).Error; err != nil {
			return "", "", err
		}
		return app.FulfillmentTrackingChanged, row.ID, db.addShipmentEvent(tx, row.ID, app.EventTrackingChanged, line)
	}
	// Waybill's own push made a shipment with this number before Shopify
	// told us the fulfillment id.
	var own shipmentRow
	err := tx.Where("shop_id = ? AND order_id = ? AND tracking_number = ?", shopID, f.OrderID, number).Take(&own).Error
	if err == nil {
		return app.FulfillmentUnchanged, own.ID, tx.Model(&own).Updates(withState(map[string]any{"shopify_fulfillment_id": f.ID,
			"state": string(app.ShipmentSynced), "updated_at": now}, app.Message{})).Error
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return "", "", err
	}
	if len(f.TrackingNumbers) == 1 && len(existing) == 1 {
		// The fulfillment's one number was replaced: the same parcel, told
		// as a tracking update.
		row := &existing[0]
		line := trackingChanged(row.Carrier, row.TrackingNumber, f.Carrier, number)
		// Another number is another parcel: what was known of the old one
		// no longer applies, and Shopify's reports from before are its.
		if err := tx.Model(row).Updates(map[string]any{"tracking_number": number, "carrier": f.Carrier,
			"tracking_url": url, "updated_at": now, "status": string(app.StatusShipped), "status_at": now, "status_source": "",
			"statuses_seen": "", "estimated_delivery_at": nil, "last_event_at": nil, "stalled_at": nil, "stalled_reason": "",
			"stall_check_at": now, "next_poll_at": now.Add(6 * time.Hour), "poll_attempts": 0, "tracker_source_id": "",
			"tracker_state": string(app.TrackerNone), "tracker_id": "", "tracker_detail": "", "tracker_registered_at": nil,
			"tracking_since": now}).Error; err != nil {
			return "", "", err
		}
		if err := tx.Where("shipment_id = ?", row.ID).Delete(&checkpointRow{}).Error; err != nil {
			return "", "", err
		}
		return app.FulfillmentTrackingChanged, row.ID, db.addShipmentEvent(tx, row.ID, app.EventTrackingChanged, line)
	}
	id := f.ID
	ref := f.OrderName
	if ref == "" {
		ref = fmt.Sprintf("id:%d", f.OrderID)
	}
	row := shipmentRow{ID: app.NewID(), ShopID: shopID, OrderRef: ref, OrderID: f.OrderID, OrderName: f.OrderName, NotifyCustomer: true,
		TrackingNumber: number, Carrier: f.Carrier, TrackingURL: url,
		Source: string(app.SourceShopify), State: string(app.ShipmentSynced), ShopifyFulfillmentID: &id, Status: string(app.StatusPending),
		CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&row).Error; err != nil {
		return "", "", err
	}
	if err := insertLines(tx, row.ID, f.LineItems); err != nil {
		return "", "", err
	}
	return app.FulfillmentNew, row.ID, db.addShipmentEvent(tx, row.ID, app.EventReceived,
		app.NewMessage(app.MsgReceived, "Fulfillment created in Shopify", "source", string(app.SourceShopify)))
}

// trackingChanged is the history line of a number or carrier change.
func trackingChanged(fromCarrier, fromNumber, toCarrier, toNumber string) app.Message {
	return app.NewMessage(app.MsgTrackingChanged, fmt.Sprintf("%s %s → %s %s", fromCarrier, fromNumber, toCarrier, toNumber),
		"from_carrier", fromCarrier, "from_number", fromNumber, "to_carrier", toCarrier, "to_number", toNumber)
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
	if err := db.gorm.WithContext(ctx).Where("shipment_id IN ?", ids).Order("shipment_id, position").Find(&items).Error; err != nil {
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
		out[i] = app.ShipmentEvent{ID: r.ID, ShipmentID: r.ShipmentID, Kind: r.Kind, Detail: r.Detail, Code: r.Code,
			Params: decodeParams(r.Params), CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

var _ app.ShipmentStore = (*DB)(nil)

func insertLines(tx *gorm.DB, shipmentID string, lines []app.ShipmentLineItem) error {
	if len(lines) == 0 {
		return nil
	}
	rows := make([]shipmentLineItemRow, len(lines))
	for i, li := range lines {
		rows[i] = shipmentLineItemRow{ShipmentID: shipmentID, Position: i, LineItemID: li.LineItemID, SKU: li.SKU, Title: li.Title, Quantity: li.Quantity}
	}
	return tx.Create(&rows).Error
}

// CreateShipments implements app.ShipmentStore. The unique index on (shop,
// order ref, number) decides duplicates, so concurrent submissions of one
// number cannot both be created. Work is done in chunks, one transaction each.
func (db *DB) CreateShipments(ctx context.Context, shipments []*app.Shipment, detail string) ([]app.CreateOutcome, error) {
	out := make([]app.CreateOutcome, len(shipments))
	const chunk = 500
	for start := 0; start < len(shipments); start += chunk {
		end := min(start+chunk, len(shipments))
		if err := db.createShipmentChunk(ctx, shipments[start:end], detail, out[start:end]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// dedupKey is what the unique index (shop, order_ref, tracking_number)
// compares, within one shop's batch.
func dedupKey(s *app.Shipment) string { return s.OrderRef + "\x00" + s.TrackingNumber }

func (db *DB) createShipmentChunk(ctx context.Context, batch []*app.Shipment, detail string, out []app.CreateOutcome) error {
	now := db.clock.Now()
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		rows := make([]shipmentRow, 0, len(batch))
		inBatch := map[string]int{}
		for i, s := range batch {
			key := dedupKey(s)
			if _, dup := inBatch[key]; dup {
				continue // a repeat inside the batch: resolved below with the first's outcome
			}
			inBatch[key] = i
			if err := checkLink(s.TrackingURL, s.Carrier); err != nil {
				return err
			}
			if s.ID == "" {
				s.ID = app.NewID()
			}
			rows = append(rows, shipmentRow{ID: s.ID, ShopID: s.ShopID, OrderRef: s.OrderRef, OrderID: s.OrderID, OrderName: s.OrderName,
				TrackingNumber: s.TrackingNumber, Carrier: s.Carrier, TrackingURL: s.TrackingURL, Source: string(s.Source),
				State: string(s.State), StateReason: s.StateReason, StateCode: s.StateCode, StateParams: encodeParams(s.StateParams), NotifyCustomer: s.NotifyCustomer, Status: string(app.StatusPending), CreatedAt: now, UpdatedAt: now})
		}
		if len(rows) == 0 {
			return nil
		}
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 100).Error; err != nil {
			return err
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		var createdIDs []string
		if err := tx.Model(&shipmentRow{}).Where("id IN ?", ids).Pluck("id", &createdIDs).Error; err != nil {
			return err
		}
		created := make(map[string]bool, len(createdIDs))
		for _, id := range createdIDs {
			created[id] = true
		}
		var lines []shipmentLineItemRow
		var events []shipmentEventRow
		for i, s := range batch {
			key := dedupKey(s)
			if inBatch[key] != i {
				continue
			}
			if !created[s.ID] {
				var id string
				if err := tx.Model(&shipmentRow{}).Where("shop_id = ? AND order_ref = ? AND tracking_number = ?", s.ShopID, s.OrderRef, s.TrackingNumber).
					Pluck("id", &id).Error; err != nil {
					return err
				}
				out[i] = app.CreateOutcome{ShipmentID: id}
				continue
			}
			out[i] = app.CreateOutcome{ShipmentID: s.ID, Created: true}
			for p, li := range s.LineItems {
				lines = append(lines, shipmentLineItemRow{ShipmentID: s.ID, Position: p, LineItemID: li.LineItemID, SKU: li.SKU, Title: li.Title, Quantity: li.Quantity})
			}
			events = append(events, shipmentEventRow{ID: app.NewID(), ShipmentID: s.ID, Kind: app.EventReceived, Detail: detail,
				Code: app.MsgReceived, Params: encodeParams(map[string]string{"source": string(s.Source)}), CreatedAt: now})
			if s.State == app.ShipmentNeedsAttention {
				events = append(events, shipmentEventRow{ID: app.NewID(), ShipmentID: s.ID, Kind: app.EventNeedsAttention, Detail: s.StateReason,
					Code: s.StateCode, Params: encodeParams(s.StateParams), CreatedAt: now})
			}
		}
		// Repeats inside the batch point at the first one's shipment.
		for i, s := range batch {
			key := dedupKey(s)
			if first := inBatch[key]; first != i {
				out[i] = app.CreateOutcome{ShipmentID: out[first].ShipmentID}
			}
		}
		if len(lines) > 0 {
			if err := tx.CreateInBatches(lines, 200).Error; err != nil {
				return err
			}
		}
		if len(events) > 0 {
			return tx.CreateInBatches(events, 200).Error
		}
		return nil
	})
}

// ShipmentByID implements app.ShipmentStore.
func (db *DB) ShipmentByID(ctx context.Context, id string) (*app.Shipment, error) {
	shipments, err := db.shipmentsWhere(ctx, "id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(shipments) == 0 {
		return nil, app.Errorf(app.ErrNotFound, "no shipment %s", id)
	}
	return &shipments[0], nil
}

// ResolveShipmentOrder implements app.ShipmentStore.
func (db *DB) ResolveShipmentOrder(ctx context.Context, id string, orderID int64, orderName string, lines []app.ShipmentLineItem) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&shipmentRow{}).Where("id = ?", id).Updates(map[string]any{
			"order_id": orderID, "order_name": orderName, "updated_at": db.clock.Now()}).Error; err != nil {
			return err
		}
		if lines == nil {
			return nil
		}
		if err := tx.Where("shipment_id = ?", id).Delete(&shipmentLineItemRow{}).Error; err != nil {
			return err
		}
		return insertLines(tx, id, lines)
	})
}

// SetShipmentState moves the shipment with English sentences and no codes:
// for tests and tools. Workflows use MoveShipment, whose messages the admin
// puts in the merchant's language.
func (db *DB) SetShipmentState(ctx context.Context, id string, state app.ShipmentState, reason, kind, detail string) error {
	return db.MoveShipment(ctx, id, state, app.Message{Text: reason}, kind, app.Message{Text: detail})
}

// MoveShipment implements app.ShipmentStore.
func (db *DB) MoveShipment(ctx context.Context, id string, state app.ShipmentState, reason app.Message, kind string, line app.Message) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&shipmentRow{}).Where("id = ?", id).Updates(withState(map[string]any{
			"state": string(state), "updated_at": db.clock.Now()}, reason))
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return app.Errorf(app.ErrNotFound, "no shipment %s", id)
		}
		if kind == "" {
			return nil
		}
		return db.addShipmentEvent(tx, id, kind, line)
	})
}

// MarkShipmentSynced is MarkShipmentPushed with an English detail and no
// code: for tests and tools.
func (db *DB) MarkShipmentSynced(ctx context.Context, id, pushedNumber string, fulfillmentID int64, detail string) (bool, error) {
	return db.MarkShipmentPushed(ctx, id, pushedNumber, fulfillmentID, app.Message{Text: detail})
}

// MarkShipmentPushed implements app.ShipmentStore: a compare-and-set on the
// tracking number.
func (db *DB) MarkShipmentPushed(ctx context.Context, id, pushedNumber string, fulfillmentID int64, line app.Message) (bool, error) {
	synced := false
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The fulfillment exists whatever happened meanwhile: remember it, so
		// a changed number updates it rather than making a second one.
		if err := tx.Model(&shipmentRow{}).Where("id = ?", id).Update("shopify_fulfillment_id", fulfillmentID).Error; err != nil {
			return err
		}
		res := tx.Model(&shipmentRow{}).Where("id = ? AND tracking_number = ?", id, pushedNumber).Updates(withState(map[string]any{
			"state": string(app.ShipmentSynced), "updated_at": db.clock.Now()}, app.Message{}))
		if res.Error != nil {
			return res.Error
		}
		synced = res.RowsAffected == 1
		if !synced {
			line.Text += " The tracking number changed meanwhile: the new one follows."
			params := map[string]string{app.ParamChangedMeanwhile: "true"}
			for k, v := range line.Params {
				params[k] = v
			}
			line.Params = params
		}
		return db.addShipmentEvent(tx, id, app.EventPushed, line)
	})
	return synced, err
}

// EditShipmentTracking implements app.ShipmentStore.
func (db *DB) EditShipmentTracking(ctx context.Context, id, number, carrierName, url string) (*app.Shipment, error) {
	if err := checkLink(url, carrierName); err != nil {
		return nil, err
	}
	current, err := db.ShipmentByID(ctx, id)
	if err != nil {
		return nil, err
	}
	err = db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&shipmentRow{}).Where("id = ?", id).Updates(withState(map[string]any{
			"tracking_number": number, "carrier": carrierName, "tracking_url": url,
			"state": string(app.ShipmentPending), "updated_at": db.clock.Now()}, app.Message{})).Error; err != nil {
			return err
		}
		if number != current.TrackingNumber {
			// Another number is another parcel: what was known of the old
			// one (status, scans, registration, stall) no longer applies.
			if err := tx.Model(&shipmentRow{}).Where("id = ?", id).Updates(map[string]any{
				"status": string(app.StatusPending), "status_at": nil, "status_source": "", "statuses_seen": "", "estimated_delivery_at": nil,
				"last_event_at": nil, "stalled_at": nil, "stalled_reason": "", "stall_check_at": nil, "next_poll_at": nil, "poll_attempts": 0,
				"tracker_source_id": "", "tracker_state": string(app.TrackerNone), "tracker_id": "", "tracker_detail": "", "tracker_registered_at": nil,
				"tracking_since": db.clock.Now()}).Error; err != nil {
				return err
			}
			if err := tx.Where("shipment_id = ?", id).Delete(&checkpointRow{}).Error; err != nil {
				return err
			}
		}
		return db.addShipmentEvent(tx, id, app.EventTrackingChanged, trackingChanged(current.Carrier, current.TrackingNumber, carrierName, number))
	})
	if err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, app.Errorf(app.ErrConflict, "the order already has a shipment with tracking number %s", number)
		}
		return nil, err
	}
	return db.ShipmentByID(ctx, id)
}

// StalledShipments implements app.ShipmentStore.
func (db *DB) StalledShipments(ctx context.Context, before time.Time, limit int) ([]app.Shipment, error) {
	var ids []string
	if err := db.gorm.WithContext(ctx).Model(&shipmentRow{}).Where("state = ? AND updated_at < ?", string(app.ShipmentPending), before.UTC()).
		Order("updated_at").Limit(limit).Pluck("id", &ids).Error; err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return db.shipmentsWhere(ctx, "id IN ?", ids)
}
