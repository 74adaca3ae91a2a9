package app

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Message is something a merchant reads about a shipment — a history line,
// why it waits or failed, what happened to an imported row — as a code and
// its parameters, which the admin puts into the merchant's language, and the
// English sentence (Text) kept for logs and API users. Parameters are data
// (an order name, a carrier, Shopify's own words), never sentences of ours.
type Message struct {
	Code   string
	Params map[string]string
	Text   string
}

// NewMessage is a message with its parameters given as pairs of key and
// value ("carrier", "UPS").
func NewMessage(code, text string, pairs ...string) Message {
	m := Message{Code: code, Text: text, Params: map[string]string{}}
	for i := 0; i+1 < len(pairs); i += 2 {
		m.Params[pairs[i]] = pairs[i+1]
	}
	return m
}

// Message codes: the history lines, the shipment's state reasons and the
// intake row results. The admin's words for each are in
// frontend/src/locales/messages.ts.
const (
	// History lines.
	MsgReceived        = "received"         // {source}: api, csv, manual, shopify
	MsgPushedCreated   = "pushed_created"   // {location}
	MsgPushedExisting  = "pushed_existing"  // already a fulfillment in Shopify with this number
	MsgPushedUpdated   = "pushed_updated"   // the fulfillment's number updated
	MsgPushedUntracked = "pushed_untracked" // added to a fulfillment made without a number
	MsgTrackingChanged = "tracking_changed" // {from_carrier, from_number, to_carrier, to_number}
	MsgStatusChanged   = "status_changed"   // {from, to, source}
	MsgStalled         = "stalled"          // {reason}: StallNoEvents, StallPastEstimate
	MsgRetried         = "retried"          // {reason_code, …the reason's params}
	// Pushed lines carry ParamChangedMeanwhile = "true" when the number was
	// edited while the push ran (the new number follows).
	ParamChangedMeanwhile = "changed_meanwhile"

	// State reasons (also history lines).
	MsgCancelled         = "cancelled"                         // the fulfillment was cancelled in Shopify
	MsgFulfillmentFailed = "fulfillment_failed"                // {status}: Shopify reports the fulfillment as error/failure
	MsgFailedShopify     = "failed_shopify"                    // {message}: Shopify's own words
	MsgFailedUnreachable = "failed_unreachable"                // {message}: after every retry
	MsgNoOrder           = "needs_attention_no_order"          // {order}
	MsgNothingToFulfil   = "needs_attention_nothing_to_fulfil" // {order}
	MsgSeveralLocations  = "needs_attention_several_locations" // {order, count, locations}
	MsgLineNothingLeft   = "needs_attention_line_nothing_left" // {order, sku | line_item_id}
	MsgLineShort         = "needs_attention_line_short"        // {order, sku | line_item_id, quantity, left}
	MsgLinesSplit        = "needs_attention_lines_split"       // {order}
	MsgAmbiguousCarrier  = "ambiguous_carrier"                 // {carriers}: comma-separated names
	MsgCheckDigit        = "check_digit"                       // {carrier}: its shape, not its check digit

	// Intake row errors ({field} names the field: order, tracking_number,
	// carrier, tracking_url, line_items[0].sku …).
	MsgOrderRequired     = "order_required"
	MsgOrderInvalid      = "order_invalid"
	MsgNumberRequired    = "tracking_number_required"
	MsgNumberInvalid     = "tracking_number_invalid" // {value}
	MsgTextInvalidUTF8   = "text_invalid_utf8"       // {field}
	MsgTextControl       = "text_control_characters" // {field}
	MsgTextTooLong       = "text_too_long"           // {field, max}
	MsgURLInvalid        = "tracking_url_invalid"    // {max}
	MsgLineNeedsItem     = "line_needs_item"         // {index}
	MsgLineQuantity      = "line_quantity_invalid"   // {index}
	MsgLineQuantityLarge = "line_quantity_too_large" // {index}
	MsgOrderNoLineItem   = "order_has_no_line_item"  // {index, order, line_item_id}
	MsgOrderNoSKU        = "order_has_no_sku"        // {index, order, sku}
	// API rows that are not the JSON the API documents.
	MsgRowNotObject      = "row_not_object"
	MsgUnknownField      = "unknown_field"  // {field}
	MsgFieldNotText      = "field_not_text" // {field}
	MsgNotifyInvalid     = "notify_customer_invalid"
	MsgLinesNotArray     = "line_items_not_array"
	MsgLineNotObject     = "line_not_object"      // {index}
	MsgLineSKUNotText    = "line_sku_not_text"    // {index}
	MsgLineItemIDInvalid = "line_item_id_invalid" // {index}
	// CSV rows.
	MsgOrderIDInvalid     = "order_id_invalid"     // {value}
	MsgQuantityInvalid    = "quantity_invalid"     // {value}
	MsgQuantityWithoutSKU = "quantity_without_sku" //
	MsgRowUnreadable      = "row_unreadable"       // {reason}: the CSV reader's, in English
	// Connecting WhatsApp or SMS, and the text settings.
	MsgChannelInvalid     = "channel_invalid"
	MsgMetaIDsInvalid     = "meta_ids_invalid"
	MsgAppSecretRequired  = "app_secret_required"
	MsgTwilioAccount      = "twilio_account_invalid"
	MsgTwilioSender       = "twilio_sender_invalid"
	MsgTokenRequired      = "token_required"
	MsgPhoneFieldInvalid  = "phone_field_invalid" // {field}
	MsgTestPhoneMissing   = "test_phone_missing"
	MsgProviderRefusedKey = "provider_refused_key" // {detail}: the provider's answer
	MsgTemplatesOnlyMeta  = "templates_whatsapp_only"
	MsgEmailFieldInvalid  = "email_field_invalid" // {field}
)

// TextMessage is TextProblem as a message (a zero Message when s is fine).
func TextMessage(field, s string, max int) Message {
	text := TextProblem(field, s, max)
	switch {
	case text == "":
		return Message{}
	case !utf8.ValidString(s):
		return NewMessage(MsgTextInvalidUTF8, text, "field", field)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return NewMessage(MsgTextControl, text, "field", field)
	}
	return NewMessage(MsgTextTooLong, text, "field", field, "max", strconv.Itoa(max))
}

// TrackingURLMessage is TrackingURLProblem as a message.
func TrackingURLMessage(raw string) Message {
	if text := TrackingURLProblem(raw); text != "" {
		return NewMessage(MsgURLInvalid, text, "max", strconv.Itoa(MaxTrackingURLLength))
	}
	return Message{}
}

// ShopifyRefusal is the cause of an error Shopify's userErrors made: its own
// words, which a message quotes as a parameter.
type ShopifyRefusal struct{ Words string }

func (r *ShopifyRefusal) Error() string { return r.Words }
