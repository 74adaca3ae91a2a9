package twilio

import (
	"crypto/hmac"
	"crypto/sha1" // Twilio signs with HMAC-SHA1: Twilio's choice, not Waybill's
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"sort"
	"strings"

	"github.com/waybill-app/waybill/app"
)

// SignatureHeader is the header Twilio signs its webhooks with.
const SignatureHeader = "X-Twilio-Signature"

// Signature computes Twilio's X-Twilio-Signature for a POST to fullURL with
// form: the URL exactly as configured (scheme, host, port if any, path and
// query), then every parameter sorted by name (byte order, so case
// matters), each name immediately followed by its value (a repeated name
// once per value, values sorted), no separators; HMAC-SHA1 of that with
// the auth token as key, in standard base64.
func Signature(authToken, fullURL string, form url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		values := append([]string(nil), form[k]...)
		sort.Strings(values)
		for _, v := range values {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ValidSignature reports whether header is Twilio's signature of a POST to
// fullURL with form, signed with authToken. fullURL must be the URL Twilio
// was given (the public https URL, query included), not what a proxy in
// front of Waybill forwarded. As Twilio's own helper libraries do, the URL
// is also tried with its default port added or removed (":443" for https),
// since Twilio has signed both forms. Comparisons are constant-time.
func ValidSignature(authToken, fullURL string, form url.Values, header string) bool {
	if authToken == "" || header == "" {
		return false
	}
	ok := false
	for _, u := range urlVariants(fullURL) {
		if subtle.ConstantTimeCompare([]byte(Signature(authToken, u, form)), []byte(header)) == 1 {
			ok = true
		}
	}
	return ok
}

// urlVariants is fullURL as given, and with its scheme's default port
// removed when present, or added when absent.
func urlVariants(fullURL string) []string {
	out := []string{fullURL}
	u, err := url.Parse(fullURL)
	if err != nil || u.Host == "" {
		return out
	}
	def := map[string]string{"https": "443", "http": "80"}[u.Scheme]
	if def == "" {
		return out
	}
	switch u.Port() {
	case "":
		v := *u
		v.Host = u.Host + ":" + def
		out = append(out, v.String())
	case def:
		v := *u
		v.Host = u.Hostname()
		out = append(out, v.String())
	}
	return out
}

// ParseStatus reads a status callback (Twilio's POST to the message's
// StatusCallback): MessageSid, MessageStatus and ErrorCode. Twilio's
// statuses map to Waybill's: queued, accepted, scheduled, sending and sent
// are sent (Twilio has it); delivered; undelivered, failed and canceled are
// failed; read (RCS, WhatsApp) is read. An unknown status leaves Status
// empty. The callback carries no time of the event: At is left zero for the
// caller to stamp with its clock.
func ParseStatus(form url.Values) app.TextReport {
	r := app.TextReport{
		Channel:           app.ChannelSMS,
		ProviderMessageID: form.Get("MessageSid"),
		ErrorCode:         form.Get("ErrorCode"),
	}
	if r.ProviderMessageID == "" {
		r.ProviderMessageID = form.Get("SmsSid")
	}
	status := form.Get("MessageStatus")
	if status == "" {
		status = form.Get("SmsStatus")
	}
	switch status {
	case "queued", "accepted", "scheduled", "sending", "sent":
		r.Status = app.TextSent
	case "delivered":
		r.Status = app.TextDelivered
	case "undelivered", "failed", "canceled":
		r.Status = app.TextFailed
	case "read":
		r.Status = app.TextRead
	}
	if r.ErrorCode == "0" {
		r.ErrorCode = ""
	}
	if r.ErrorCode != "" {
		r.ErrorTitle = deliveryErrors[r.ErrorCode]
	}
	return r
}

// deliveryErrors word the delivery failures status callbacks report.
var deliveryErrors = map[string]string{
	"30001": "Queue overflow",
	"30002": "Account suspended",
	"30003": "Unreachable destination handset",
	"30004": "Message blocked",
	"30005": "Unknown destination handset",
	"30006": "Landline or unreachable carrier",
	"30007": "Message filtered by the carrier",
	"30008": "Unknown error",
	"21610": "Attempt to send to unsubscribed recipient",
}

// ParseInbound reads an incoming message (Twilio's POST to the number's or
// Messaging Service's incoming message webhook): From as Twilio sends it
// (E.164 for a phone), Body, and OptOut when Twilio's Advanced Opt-Out
// flagged it (OptOutType STOP) or the body, spaces and punctuation trimmed
// and case ignored, is an opt-out keyword ("Stop", "baja.", "¡BAJA!";
// app.IsOptOutReply: Twilio's own keywords and the Spanish ones).
func ParseInbound(form url.Values) app.TextReport {
	body := form.Get("Body")
	return app.TextReport{
		Channel:           app.ChannelSMS,
		ProviderMessageID: form.Get("MessageSid"),
		From:              form.Get("From"),
		Body:              body,
		OptOut:            strings.EqualFold(form.Get("OptOutType"), "STOP") || app.IsOptOutReply(body),
	}
}
