package shopifyfake

import (
	"encoding/json"
	"fmt"
	"strings"
)

// FulfillmentStatuses are the values of the Admin API's FulfillmentStatus
// enum (webhooks write them lower case).
var FulfillmentStatuses = map[string]bool{
	"CANCELLED": true, "ERROR": true, "FAILURE": true, "OPEN": true, "PENDING": true, "SUCCESS": true,
}

// NewFulfillment describes a fulfillment made outside the app under test:
// by the merchant in the admin, by automatic fulfilment, by a 3PL or by
// another app.
type NewFulfillment struct {
	// Lines to fulfil (line item ids and quantities); none means everything
	// still to fulfil at LocationID.
	Lines []FulfillLine
	// LocationID is where the items ship from; 0 means the location of the
	// first line, or the first location with something left to fulfil.
	LocationID int64
	// Tracking is the parcels' numbers; none makes an untracked fulfillment
	// (as automatic fulfilment does).
	Tracking []TrackingInfo
	// Status is a FulfillmentStatus (default SUCCESS).
	Status         string
	NotifyCustomer bool
	// SendWebhooks sends fulfillments/create and orders/updated to the
	// shop's subscriptions, as Shopify does, whatever Options.DeliverWebhooks says.
	SendWebhooks bool
}

// FulfillLine is a quantity of one line item.
type FulfillLine struct {
	LineItemID int64
	Quantity   int
}

// CreateFulfillment records a fulfillment on an order as Shopify does when
// something other than the app fulfils it: the quantities come off the
// fulfillment orders, which close when nothing is left. It refuses what
// fulfillmentCreate would refuse (more than remains, lines at two
// locations, nothing to fulfil).
func (s *Store) CreateFulfillment(shop string, orderID int64, n NewFulfillment) (Fulfillment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.findOrder(shop, orderID)
	if o == nil {
		return Fulfillment{}, fmt.Errorf("shopifyfake: %s has no order %d", shop, orderID)
	}
	status := strings.ToUpper(n.Status)
	if status == "" {
		status = "SUCCESS"
	}
	if !FulfillmentStatuses[status] || status == "CANCELLED" {
		return Fulfillment{}, fmt.Errorf("shopifyfake: a fulfillment cannot be created with status %q", n.Status)
	}
	location := n.LocationID
	type take struct {
		foli *FulfillmentOrderLineItem
		qty  int
	}
	var takes []take
	if len(n.Lines) == 0 {
		for _, fo := range o.FulfillmentOrders {
			if location != 0 && fo.LocationID != location {
				continue
			}
			for _, foli := range fo.LineItems {
				if foli.RemainingQuantity > 0 && (location == 0 || location == fo.LocationID) {
					location = fo.LocationID
					takes = append(takes, take{foli, foli.RemainingQuantity})
				}
			}
		}
	}
	for _, l := range n.Lines {
		need := l.Quantity
		if need <= 0 {
			return Fulfillment{}, fmt.Errorf("shopifyfake: quantity %d of line item %d", l.Quantity, l.LineItemID)
		}
		for _, fo := range o.FulfillmentOrders {
			for _, foli := range fo.LineItems {
				if foli.LineItemID != l.LineItemID || foli.RemainingQuantity == 0 || need == 0 {
					continue
				}
				if location == 0 {
					location = fo.LocationID
				}
				if fo.LocationID != location {
					continue
				}
				q := min(need, foli.RemainingQuantity)
				takes = append(takes, take{foli, q})
				need -= q
			}
		}
		if need > 0 {
			return Fulfillment{}, fmt.Errorf("shopifyfake: line item %d has not %d left to fulfil at location %d", l.LineItemID, l.Quantity, location)
		}
	}
	if len(takes) == 0 {
		return Fulfillment{}, fmt.Errorf("shopifyfake: order %d has nothing left to fulfil", orderID)
	}
	f := &Fulfillment{ID: s.id(), OrderID: o.ID, LocationID: location, Status: status,
		TrackingInfo: append([]TrackingInfo(nil), n.Tracking...), NotifyCustomer: n.NotifyCustomer}
	for _, t := range takes {
		t.foli.RemainingQuantity -= t.qty
		f.LineItems = append(f.LineItems, FulfillmentLineItem{ID: s.id(), LineItemID: t.foli.LineItemID, Quantity: t.qty})
	}
	s.addFulfillment(o, f)
	if n.SendWebhooks {
		s.fulfillmentWebhooks(shop, "fulfillments/create", o, f)
	}
	return copyFulfillment(f), nil
}

// addFulfillment records f on the order now and brings the fulfillment
// orders' statuses in line with what remains.
func (s *Store) addFulfillment(o *Order, f *Fulfillment) {
	now := s.clock.Now()
	f.CreatedAt, f.UpdatedAt = now, now
	o.Fulfillments = append(o.Fulfillments, f)
	o.UpdatedAt = now
	settleFulfillmentOrders(o)
}

// settleFulfillmentOrders sets each fulfillment order's status from its
// remaining quantities: OPEN (nothing taken), IN_PROGRESS, CLOSED.
func settleFulfillmentOrders(o *Order) {
	for _, fo := range o.FulfillmentOrders {
		remaining, total := 0, 0
		for _, li := range fo.LineItems {
			remaining += li.RemainingQuantity
			total += li.TotalQuantity
		}
		switch {
		case remaining == 0 && total > 0:
			fo.Status = "CLOSED"
		case remaining < total:
			fo.Status = "IN_PROGRESS"
		default:
			fo.Status = "OPEN"
		}
	}
}

// cancelFulfillment is Shopify's fulfillment cancellation: the status
// becomes CANCELLED and its quantities are to fulfil again (the fulfillment
// orders reopen). It returns Shopify's userError message when it refuses.
func (s *Store) cancelFulfillment(o *Order, f *Fulfillment) string {
	if f.Status == "CANCELLED" {
		return "Fulfillment has already been cancelled."
	}
	for _, fl := range f.LineItems {
		give := fl.Quantity
		for _, fo := range o.FulfillmentOrders {
			if fo.LocationID != f.LocationID {
				continue
			}
			for _, foli := range fo.LineItems {
				if foli.LineItemID == fl.LineItemID && give > 0 {
					q := min(give, foli.TotalQuantity-foli.RemainingQuantity)
					foli.RemainingQuantity += q
					give -= q
				}
			}
		}
	}
	f.Status = "CANCELLED"
	f.UpdatedAt = s.clock.Now()
	o.UpdatedAt = f.UpdatedAt
	settleFulfillmentOrders(o)
	return ""
}

// CancelFulfillment cancels a fulfillment as a merchant does in the admin:
// status cancelled, its quantities back to fulfil. With sendWebhooks,
// fulfillments/update and orders/updated go to the shop's subscriptions.
func (s *Store) CancelFulfillment(shop string, fulfillmentID int64, sendWebhooks bool) (Fulfillment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, f := s.findFulfillment(shop, fulfillmentID)
	if f == nil {
		return Fulfillment{}, fmt.Errorf("shopifyfake: %s has no fulfillment %d", shop, fulfillmentID)
	}
	if msg := s.cancelFulfillment(o, f); msg != "" {
		return Fulfillment{}, fmt.Errorf("shopifyfake: fulfillment %d: %s", fulfillmentID, msg)
	}
	if sendWebhooks {
		s.fulfillmentWebhooks(shop, "fulfillments/update", o, f)
	}
	return copyFulfillment(f), nil
}

// SetFulfillmentStatus changes a fulfillment's status (PENDING, OPEN,
// SUCCESS, ERROR, FAILURE; CANCELLED cancels it as CancelFulfillment does),
// as a fulfillment service's answer would, and with sendWebhooks sends
// fulfillments/update.
func (s *Store) SetFulfillmentStatus(shop string, fulfillmentID int64, status string, sendWebhooks bool) (Fulfillment, error) {
	status = strings.ToUpper(status)
	if !FulfillmentStatuses[status] {
		return Fulfillment{}, fmt.Errorf("shopifyfake: %q is not a FulfillmentStatus", status)
	}
	if status == "CANCELLED" {
		return s.CancelFulfillment(shop, fulfillmentID, sendWebhooks)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o, f := s.findFulfillment(shop, fulfillmentID)
	if f == nil {
		return Fulfillment{}, fmt.Errorf("shopifyfake: %s has no fulfillment %d", shop, fulfillmentID)
	}
	if f.Status == "CANCELLED" {
		return Fulfillment{}, fmt.Errorf("shopifyfake: fulfillment %d is cancelled", fulfillmentID)
	}
	f.Status = status
	f.UpdatedAt = s.clock.Now()
	o.UpdatedAt = f.UpdatedAt
	if sendWebhooks {
		s.fulfillmentWebhooks(shop, "fulfillments/update", o, f)
	}
	return copyFulfillment(f), nil
}

// AddTrackingNumbers adds parcels to a fulfillment, tracked or not yet
// (what fulfillmentTrackingInfoUpdate with numbers does, keeping the ones
// there), and with sendWebhooks sends fulfillments/update.
func (s *Store) AddTrackingNumbers(shop string, fulfillmentID int64, tracking []TrackingInfo, sendWebhooks bool) (Fulfillment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, f := s.findFulfillment(shop, fulfillmentID)
	if f == nil {
		return Fulfillment{}, fmt.Errorf("shopifyfake: %s has no fulfillment %d", shop, fulfillmentID)
	}
	f.TrackingInfo = append(f.TrackingInfo, tracking...)
	f.UpdatedAt = s.clock.Now()
	o.UpdatedAt = f.UpdatedAt
	if sendWebhooks {
		s.fulfillmentWebhooks(shop, "fulfillments/update", o, f)
	}
	return copyFulfillment(f), nil
}

// Fulfillment returns a copy of the fulfillment with that id.
func (s *Store) Fulfillment(shop string, id int64) (Fulfillment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, f := s.findFulfillment(shop, id); f != nil {
		return copyFulfillment(f), true
	}
	return Fulfillment{}, false
}

// FulfillmentWebhook returns the fulfillments/create (or /update) body of a
// fulfillment, for tests that send the webhook themselves.
func (s *Store) FulfillmentWebhook(shop string, fulfillmentID int64) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, f := s.findFulfillment(shop, fulfillmentID)
	if f == nil {
		panic(fmt.Sprintf("shopifyfake: %s has no fulfillment %d", shop, fulfillmentID))
	}
	c := copyOrder(o)
	var body map[string]any
	for _, x := range c.Fulfillments {
		if x.ID == fulfillmentID {
			body = restFulfillment(&c, x)
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		// strings, numbers, booleans, nil, and maps and slices of them.
		panic("shopifyfake: encoding a fulfillment: " + err.Error())
	}
	return b
}

func (s *Store) findFulfillment(shop string, id int64) (*Order, *Fulfillment) {
	if sh := s.shops[shop]; sh != nil {
		for _, o := range sh.orders {
			for _, f := range o.Fulfillments {
				if f.ID == id {
					return o, f
				}
			}
		}
	}
	return nil, nil
}

func copyFulfillment(f *Fulfillment) Fulfillment {
	c := *f
	c.TrackingInfo = append([]TrackingInfo(nil), f.TrackingInfo...)
	c.LineItems = append([]FulfillmentLineItem(nil), f.LineItems...)
	c.Events = append([]FulfillmentEvent(nil), f.Events...)
	return c
}

// fulfillmentCancel is the fulfillmentCancel mutation.
func (e *execution) fulfillmentCancel(args map[string]any) any {
	id, _ := parseGID(args["id"], "Fulfillment")
	o, f := e.fulfillment(id)
	if f == nil {
		return obj{"__typename": "FulfillmentCancelPayload", "fulfillment": nil,
			"userErrors": userErrors(userError("Fulfillment does not exist.", "id"))}
	}
	if msg := e.store.cancelFulfillment(o, f); msg != "" {
		return obj{"__typename": "FulfillmentCancelPayload", "fulfillment": nil,
			"userErrors": userErrors(userError(msg, "id"))}
	}
	e.afterCommit("fulfillments/update", o, f)
	return obj{"__typename": "FulfillmentCancelPayload", "fulfillment": e.fulfillmentObj(o, f), "userErrors": userErrors()}
}
