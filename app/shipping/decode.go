package shipping

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/waybill-app/waybill/app"
)

// DecodeJSON reads the supplier API's body: one object or an array of up to
// MaxBatch. Each element is decoded on its own, so a malformed row is
// rejected with a precise error and never takes its neighbours with it.
// It fails only when the body is not JSON at all (or over the batch limit).
func DecodeJSON(body []byte) ([]Submission, []app.Message, error) {
	body = bytes.Trim(body, " \t\r\n") // JSON's whitespace: "\f[]" is not JSON
	var elems []json.RawMessage
	switch {
	case len(body) > 0 && body[0] == '[':
		if err := json.Unmarshal(body, &elems); err != nil {
			return nil, nil, app.Errorf(app.ErrInvalid, "the body is not valid JSON: %v", err)
		}
	case len(body) > 0 && body[0] == '{':
		if !json.Valid(body) {
			return nil, nil, app.Errorf(app.ErrInvalid, "the body is not valid JSON")
		}
		elems = []json.RawMessage{body}
	default:
		return nil, nil, app.Errorf(app.ErrInvalid, "the body must be a JSON object or an array of objects")
	}
	if len(elems) > MaxBatch {
		return nil, nil, app.Errorf(app.ErrTooLarge, "%d rows sent; at most %d per request", len(elems), MaxBatch)
	}
	subs := make([]Submission, len(elems))
	errs := make([]app.Message, len(elems))
	for i, e := range elems {
		subs[i], errs[i] = decodeRow(e)
	}
	return subs, errs, nil
}

var knownFields = map[string]bool{"order": true, "tracking_number": true, "carrier": true, "tracking_url": true, "line_items": true, "notify_customer": true}

func decodeRow(raw json.RawMessage) (Submission, app.Message) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return Submission{}, app.NewMessage(app.MsgRowNotObject, "each row must be a JSON object")
	}
	var unknown []string
	for k := range m {
		if !knownFields[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return Submission{}, app.NewMessage(app.MsgUnknownField,
			fmt.Sprintf("unknown field %q (fields are order, tracking_number, carrier, tracking_url, line_items, notify_customer)", unknown[0]),
			"field", unknown[0])
	}
	var s Submission
	switch v := m["order"].(type) {
	case nil:
	case string:
		s.OrderName = strings.TrimSpace(v)
	case json.Number:
		id, err := v.Int64()
		if err != nil || id <= 0 {
			return s, app.NewMessage(app.MsgOrderInvalid, "order must be an order name like \"#1001\" or a positive Shopify order id")
		}
		s.OrderID = id
	default:
		return s, app.NewMessage(app.MsgOrderInvalid, "order must be an order name like \"#1001\" or a Shopify order id")
	}
	var msg app.Message
	if s.TrackingNumber, msg = stringField(m, "tracking_number"); msg.Code != "" {
		return s, msg
	}
	if s.Carrier, msg = stringField(m, "carrier"); msg.Code != "" {
		return s, msg
	}
	if s.TrackingURL, msg = stringField(m, "tracking_url"); msg.Code != "" {
		return s, msg
	}
	switch v := m["notify_customer"].(type) {
	case nil:
	case bool:
		s.NotifyCustomer = &v
	default:
		return s, app.NewMessage(app.MsgNotifyInvalid, "notify_customer must be true or false")
	}
	switch v := m["line_items"].(type) {
	case nil:
	case []any:
		for i, li := range v {
			lm, ok := li.(map[string]any)
			if !ok {
				return s, app.NewMessage(app.MsgLineNotObject, fmt.Sprintf("line_items[%d] must be an object with sku or line_item_id and quantity", i), "index", strconv.Itoa(i))
			}
			var l Line
			if sku, ok := lm["sku"]; ok {
				if l.SKU, ok = sku.(string); !ok {
					return s, app.NewMessage(app.MsgLineSKUNotText, fmt.Sprintf("line_items[%d].sku must be a string", i), "index", strconv.Itoa(i))
				}
			}
			if id, ok := lm["line_item_id"]; ok {
				n, ok := id.(json.Number)
				v, err := n.Int64()
				if !ok || err != nil || v <= 0 {
					return s, app.NewMessage(app.MsgLineItemIDInvalid, fmt.Sprintf("line_items[%d].line_item_id must be a positive number", i), "index", strconv.Itoa(i))
				}
				l.LineItemID = v
			}
			switch q := lm["quantity"].(type) {
			case nil:
				return s, app.NewMessage(app.MsgLineQuantity, fmt.Sprintf("line_items[%d].quantity is required", i), "index", strconv.Itoa(i))
			case json.Number:
				f, err := q.Float64()
				if err != nil || f != math.Trunc(f) || f > math.MaxInt32 {
					return s, app.NewMessage(app.MsgLineQuantity, fmt.Sprintf("line_items[%d].quantity must be a whole number above 0", i), "index", strconv.Itoa(i))
				}
				l.Quantity = int(f)
			default:
				return s, app.NewMessage(app.MsgLineQuantity, fmt.Sprintf("line_items[%d].quantity must be a whole number above 0", i), "index", strconv.Itoa(i))
			}
			s.Lines = append(s.Lines, l)
		}
	default:
		return s, app.NewMessage(app.MsgLinesNotArray, "line_items must be an array")
	}
	return s, app.Message{}
}

func stringField(m map[string]any, name string) (string, app.Message) {
	switch v := m[name].(type) {
	case nil:
		return "", app.Message{}
	case string:
		return strings.TrimSpace(v), app.Message{}
	case json.Number:
		if name == "tracking_number" {
			return v.String(), app.Message{} // numeric tracking numbers sent as JSON numbers
		}
	}
	return "", app.NewMessage(app.MsgFieldNotText, name+" must be a string", "field", name)
}

// SubmitDecoded submits what DecodeJSON read: rows it could not decode are
// rejected with their error, the rest are submitted.
func (svc *Service) SubmitDecoded(ctx context.Context, shop *app.Shop, source app.ShipmentSource, subs []Submission, decodeErrs []app.Message) ([]Result, error) {
	var good []Submission
	var index []int
	results := make([]Result, len(subs))
	for i := range subs {
		if decodeErrs[i].Code != "" {
			results[i] = Result{Index: i}
			results[i].reject(decodeErrs[i])
			continue
		}
		good = append(good, subs[i])
		index = append(index, i)
	}
	res, err := svc.Submit(ctx, shop, source, good)
	if err != nil {
		return nil, err
	}
	for k, r := range res {
		r.Index = index[k]
		results[index[k]] = r
	}
	return results, nil
}
