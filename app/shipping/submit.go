package shipping

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/carrier"
)

// Row statuses, as the README names them.
const (
	Accepted  = "accepted"
	Duplicate = "duplicate"
	Rejected  = "rejected"
)

// MaxBatch is the most rows one API call may send.
const MaxBatch = 1000

// Submission is one tracking number for an order, from any source.
type Submission struct {
	OrderName      string // "#1001" or "1001"
	OrderID        int64  // Shopify's order id, when the source gave one
	TrackingNumber string
	Carrier        string // optional: detected when empty
	TrackingURL    string // optional: the carrier's page when empty
	Lines          []Line // optional: everything still unfulfilled when empty
	NotifyCustomer *bool  // optional: the shop's choice when nil
	// APIKeyHash is the SHA-256 (app.HashAPIKey) of the supplier key that
	// sent it; "" for other sources. The shipment records the key.
	APIKeyHash string
}

// Line names an order line by SKU or line item id, with a quantity.
type Line struct {
	SKU        string
	LineItemID int64
	Quantity   int
}

// Result is the outcome of one submission.
type Result struct {
	Index      int    `json:"index"`
	Status     string `json:"status"`
	ShipmentID string `json:"shipment_id,omitempty"`
	// Error says why a row was rejected, in English; ErrorCode and
	// ErrorParams say it as a message code (app/message.go) the admin puts
	// in the merchant's language.
	Error       string            `json:"error,omitempty"`
	ErrorCode   string            `json:"error_code,omitempty"`
	ErrorParams map[string]string `json:"error_params,omitempty"`
	// Warning is set on accepted rows that need the merchant's attention
	// (the shipment waits in needs_attention), with its code and parameters.
	Warning       string            `json:"warning,omitempty"`
	WarningCode   string            `json:"warning_code,omitempty"`
	WarningParams map[string]string `json:"warning_params,omitempty"`
}

// reject makes r a rejected row saying msg.
func (r *Result) reject(msg app.Message) {
	r.Status, r.Error, r.ErrorCode, r.ErrorParams = Rejected, msg.Text, msg.Code, msg.Params
}

// warn sets r's warning (a zero Message clears it).
func (r *Result) warn(msg app.Message) {
	r.Warning, r.WarningCode, r.WarningParams = msg.Text, msg.Code, msg.Params
}

var trackingNumberPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{3,59}$`)

// validate says what is wrong (a sentence naming it, and its code), or a
// zero Message. Every source (supplier API, CSV, manual entry) and every
// edit runs these rules.
func (s Submission) validate() app.Message {
	switch {
	case strings.TrimSpace(s.OrderName) == "" && s.OrderID == 0:
		return app.NewMessage(app.MsgOrderRequired, "order is required: an order name like #1001 or a Shopify order id")
	case s.OrderID < 0:
		return app.NewMessage(app.MsgOrderInvalid, "order must be an order name like #1001 or a positive Shopify order id")
	}
	if msg := app.TextMessage("order", s.OrderName, app.MaxOrderLength); msg.Code != "" {
		return msg
	}
	if msg := numberMessage(s.TrackingNumber); msg.Code != "" {
		return msg
	}
	if msg := app.TextMessage("carrier", s.Carrier, app.MaxCarrierLength); msg.Code != "" {
		return msg
	}
	if s.TrackingURL != "" {
		if msg := app.TrackingURLMessage(s.TrackingURL); msg.Code != "" {
			return msg
		}
	}
	for i, l := range s.Lines {
		index := strconv.Itoa(i)
		switch {
		case l.SKU == "" && l.LineItemID == 0:
			return app.NewMessage(app.MsgLineNeedsItem, fmt.Sprintf("line_items[%d] needs a sku or a line_item_id", i), "index", index)
		case l.Quantity <= 0:
			return app.NewMessage(app.MsgLineQuantity, fmt.Sprintf("line_items[%d].quantity must be a whole number above 0", i), "index", index)
		case l.Quantity > 100000:
			return app.NewMessage(app.MsgLineQuantityLarge, fmt.Sprintf("line_items[%d].quantity is too large", i), "index", index)
		}
		if msg := app.TextMessage(fmt.Sprintf("line_items[%d].sku", i), l.SKU, app.MaxSKULength); msg.Code != "" {
			return msg
		}
	}
	return app.Message{}
}

// numberProblem is intake's rule for a tracking number: 4 to 60 letters,
// digits or dashes once spaces are removed.
func numberProblem(number string) string { return numberMessage(number).Text }

// numberMessage is numberProblem as a message.
func numberMessage(number string) app.Message {
	switch {
	case strings.TrimSpace(number) == "":
		return app.NewMessage(app.MsgNumberRequired, "tracking_number is required")
	case !trackingNumberPattern.MatchString(carrier.Normalize(number)):
		return app.NewMessage(app.MsgNumberInvalid,
			fmt.Sprintf("tracking_number %q is not a tracking number: 4 to 60 letters, digits or dashes", truncate(number, 70)),
			"value", truncate(number, 70))
	}
	return app.Message{}
}

// carrierProblem is intake's rule for a carrier's name (optional: detected
// from the number when empty).
func carrierProblem(name string) string {
	return app.TextProblem("carrier", name, app.MaxCarrierLength)
}

// truncate shortens s to at most n bytes for a message, cutting between
// characters.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// nameCandidates are the names an order reference may stand for: "1001" is
// "#1001" in most stores, but a store may name orders without "#".
func nameCandidates(ref string) []string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil
	}
	if strings.HasPrefix(ref, "#") {
		return []string{ref}
	}
	return []string{"#" + ref, ref}
}

// Submit takes tracking numbers from any source (supplier API, CSV, the
// merchant): one validation, one duplicate rule, one way to the push queue.
// It judges each submission on its own: nothing valid is dropped because
// a neighbour was bad. Accepted shipments are queued for their push.
func (svc *Service) Submit(ctx context.Context, shop *app.Shop, source app.ShipmentSource, subs []Submission) ([]Result, error) {
	results := make([]Result, len(subs))
	var names []string
	var ids []int64
	for i, s := range subs {
		results[i].Index = i
		if msg := s.validate(); msg.Code != "" {
			results[i].reject(msg)
			continue
		}
		names = append(names, nameCandidates(s.OrderName)...)
		if s.OrderID != 0 {
			ids = append(ids, s.OrderID)
		}
	}
	known, err := svc.Orders.OrdersByRef(ctx, shop.ID, names, ids)
	if err != nil {
		return nil, err
	}
	byName, byID := map[string]*app.Order{}, map[int64]*app.Order{}
	for i := range known {
		byName[known[i].Name], byID[known[i].ID] = &known[i], &known[i]
	}

	var shipments []*app.Shipment
	var rows []int
	for i, sub := range subs {
		if results[i].Status == Rejected {
			continue
		}
		sh, warning, msg := svc.shipment(shop, source, sub, byName, byID)
		if msg.Code != "" {
			results[i].reject(msg)
			continue
		}
		results[i].warn(warning)
		shipments = append(shipments, sh)
		rows = append(rows, i)
	}
	outcomes, err := svc.Shipments.CreateShipments(ctx, shipments, "Received from "+string(source))
	if err != nil {
		return nil, err
	}
	var toPush []string
	byKey := map[string][]string{} // new shipments by the supplier key that sent them
	for k, o := range outcomes {
		i := rows[k]
		results[i].ShipmentID = o.ShipmentID
		if !o.Created {
			results[i].Status = Duplicate
			results[i].warn(app.Message{})
			continue
		}
		results[i].Status = Accepted
		if h := subs[i].APIKeyHash; h != "" {
			byKey[h] = append(byKey[h], o.ShipmentID)
		}
		if shipments[k].State == app.ShipmentPending {
			toPush = append(toPush, o.ShipmentID)
		}
	}
	for h, ids := range byKey {
		// Only the awaiting list's supplier column reads it: the numbers are in.
		if err := svc.Shipments.RecordShipmentsAPIKey(ctx, shop.ID, ids, h); err != nil {
			svc.Log.WarnContext(ctx, "supplier key not recorded on shipments", "shop", shop.Domain, "count", len(ids), "err", err)
		}
	}
	svc.queuePushes(ctx, shop, toPush)
	return results, nil
}

// queuePushes queues the pushes with a few concurrent senders: one Redis
// round trip each, and a big import has tens of thousands. A push that
// cannot be queued stays pending; the stalled-shipment sweep queues it.
func (svc *Service) queuePushes(ctx context.Context, shop *app.Shop, ids []string) {
	const senders = 8
	work := make(chan string)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range min(senders, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				if err := svc.Dispatch.QueueTrackingSync(ctx, shop.Domain, id); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		svc.Log.WarnContext(ctx, "pushes not queued yet; the stalled-shipment sweep will", "shop", shop.Domain, "count", n)
	}
}

// shipment builds the shipment of a valid submission, with a warning when
// it waits for the merchant, or says why the submission cannot be one.
func (svc *Service) shipment(shop *app.Shop, source app.ShipmentSource, sub Submission, byName map[string]*app.Order, byID map[int64]*app.Order) (*app.Shipment, app.Message, app.Message) {
	sh := &app.Shipment{ShopID: shop.ID, Source: source, State: app.ShipmentPending, NotifyCustomer: sub.NotifyCustomer == nil || *sub.NotifyCustomer}
	sh.TrackingNumber = carrier.Normalize(sub.TrackingNumber)

	var order *app.Order
	if sub.OrderID != 0 {
		order = byID[sub.OrderID]
	}
	for _, n := range nameCandidates(sub.OrderName) {
		if order == nil {
			order = byName[n]
		}
	}
	switch {
	case order != nil:
		sh.OrderRef, sh.OrderID, sh.OrderName = order.Name, order.ID, order.Name
	case sub.OrderName != "":
		sh.OrderRef = nameCandidates(sub.OrderName)[0]
		sh.OrderName, sh.OrderID = sh.OrderRef, sub.OrderID
	default:
		sh.OrderRef, sh.OrderID = "id:"+strconv.FormatInt(sub.OrderID, 10), sub.OrderID
	}

	for i, l := range sub.Lines {
		line := app.ShipmentLineItem{LineItemID: l.LineItemID, SKU: l.SKU, Quantity: l.Quantity}
		if order != nil {
			// The order is known: a line that is not in it is the source's mistake.
			li := findLine(order, l)
			if li == nil {
				index := strconv.Itoa(i)
				if l.LineItemID != 0 {
					return nil, app.Message{}, app.NewMessage(app.MsgOrderNoLineItem,
						fmt.Sprintf("line_items[%d]: order %s has no line item %d", i, order.Name, l.LineItemID),
						"index", index, "order", order.Name, "line_item_id", strconv.FormatInt(l.LineItemID, 10))
				}
				return nil, app.Message{}, app.NewMessage(app.MsgOrderNoSKU, fmt.Sprintf("line_items[%d]: order %s has no line with sku %q", i, order.Name, l.SKU),
					"index", index, "order", order.Name, "sku", l.SKU)
			}
			line.LineItemID, line.SKU, line.Title = li.ID, li.SKU, li.Title
		}
		sh.LineItems = append(sh.LineItems, line)
	}

	var warning app.Message
	switch {
	case strings.TrimSpace(sub.Carrier) != "":
		c, _ := svc.Carriers.ByName(sub.Carrier)
		sh.Carrier, sh.TrackingURL = c.Name, c.TrackingURL(sh.TrackingNumber)
	default:
		res := svc.Carriers.Detect(sh.TrackingNumber)
		switch {
		case res.Carrier != nil:
			sh.Carrier, sh.TrackingURL = res.Carrier.Name, res.Carrier.TrackingURL(sh.TrackingNumber)
		case res.Ambiguous():
			names := make([]string, 0, len(res.Candidates))
			seen := map[string]bool{}
			for _, c := range res.Candidates {
				if !seen[c.Carrier.Name] {
					seen[c.Carrier.Name] = true
					names = append(names, c.Carrier.Name)
				}
			}
			warning = app.NewMessage(app.MsgAmbiguousCarrier,
				"The tracking number fits several carriers ("+strings.Join(names, ", ")+"): choose the carrier.", "carriers", strings.Join(names, ", "))
		case len(res.CheckDigitFails) > 0:
			// A carrier's shape with a wrong check digit is almost always a
			// typo: held until the merchant edits the number (or carrier),
			// or retries it as it is.
			names := make([]string, len(res.CheckDigitFails))
			for i, c := range res.CheckDigitFails {
				names[i] = c.Name
			}
			name := strings.Join(names, ", ")
			warning = app.NewMessage(app.MsgCheckDigit, fmt.Sprintf("The tracking number looks like %s but its check digit is wrong: check the number.", name),
				"carrier", name)
		}
	}
	if warning.Code != "" {
		sh.State, sh.StateReason, sh.StateCode, sh.StateParams = app.ShipmentNeedsAttention, warning.Text, warning.Code, warning.Params
	}
	if sub.TrackingURL != "" {
		sh.TrackingURL = sub.TrackingURL
	}
	return sh, warning, app.Message{}
}

func findLine(o *app.Order, l Line) *app.LineItem {
	for i := range o.LineItems {
		li := &o.LineItems[i]
		if (l.LineItemID != 0 && li.ID == l.LineItemID) || (l.LineItemID == 0 && l.SKU != "" && strings.EqualFold(li.SKU, l.SKU)) {
			return li
		}
	}
	return nil
}
