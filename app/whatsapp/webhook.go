package whatsapp

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/waybill-app/waybill/app"
)

// SignatureHeader is the header Meta signs webhooks in.
const SignatureHeader = "X-Hub-Signature-256"

// Sign makes an X-Hub-Signature-256 value: "sha256=" + hex HMAC-SHA256 of
// the raw body under the app secret.
func Sign(body []byte, appSecret string) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks X-Hub-Signature-256 against the raw body, in
// constant time. An empty secret or header never verifies.
func VerifySignature(body []byte, header, appSecret string) bool {
	if appSecret == "" {
		return false
	}
	got, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	gotMAC, err := hex.DecodeString(strings.ToLower(got))
	if err != nil || len(gotMAC) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return subtle.ConstantTimeCompare(gotMAC, mac.Sum(nil)) == 1
}

// VerifyChallenge answers Meta's subscription check (GET with hub.mode
// "subscribe", hub.verify_token, hub.challenge): the challenge to echo
// with 200 when the token is the one Waybill gave, ok false otherwise
// (answer 403).
func VerifyChallenge(q url.Values, verifyToken string) (challenge string, ok bool) {
	if verifyToken == "" || q.Get("hub.mode") != "subscribe" {
		return "", false
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("hub.verify_token")), []byte(verifyToken)) != 1 {
		return "", false
	}
	return q.Get("hub.challenge"), true
}

// Event is one report read from a webhook, with the business phone number
// (and account) it came for: the connection to apply it to.
type Event struct {
	PhoneNumberID string
	WABAID        string
	Report        app.TextReport
}

type whError struct {
	Code      int    `json:"code"`
	Title     string `json:"title"`
	Message   string `json:"message"`
	ErrorData struct {
		Details string `json:"details"`
	} `json:"error_data"`
}

type webhookBody struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      string `json:"id"`
		Changes []struct {
			Field string `json:"field"`
			Value struct {
				MessagingProduct string `json:"messaging_product"`
				Metadata         struct {
					DisplayPhoneNumber string `json:"display_phone_number"`
					PhoneNumberID      string `json:"phone_number_id"`
				} `json:"metadata"`
				Statuses []struct {
					ID          string    `json:"id"`
					Status      string    `json:"status"`
					Timestamp   string    `json:"timestamp"`
					RecipientID string    `json:"recipient_id"`
					Errors      []whError `json:"errors"`
				} `json:"statuses"`
				Messages []struct {
					From      string `json:"from"`
					ID        string `json:"id"`
					Timestamp string `json:"timestamp"`
					Type      string `json:"type"`
					Text      *struct {
						Body string `json:"body"`
					} `json:"text"`
					Button *struct {
						Text string `json:"text"`
					} `json:"button"`
				} `json:"messages"`
			} `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

var statusMap = map[string]app.TextStatus{
	"sent": app.TextSent, "delivered": app.TextDelivered, "read": app.TextRead, "failed": app.TextFailed,
}

// ParseWebhook reads a messages webhook: statuses (sent, delivered, read,
// failed with the first error's code and title) and customers' text
// replies (From "+" + digits, Body). Other fields, other status values
// (played, deleted, …) and other message types are left out. A body that
// is not JSON is ErrInvalid. Verify the signature first.
func ParseWebhook(body []byte) ([]Event, error) {
	var w webhookBody
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, app.WrapError(app.ErrInvalid, err, "the WhatsApp webhook body is not the JSON Meta sends")
	}
	if w.Object != "" && w.Object != "whatsapp_business_account" {
		return nil, nil
	}
	var out []Event
	for _, e := range w.Entry {
		for _, ch := range e.Changes {
			if ch.Field != "messages" {
				continue
			}
			v := ch.Value
			pid := v.Metadata.PhoneNumberID
			for _, s := range v.Statuses {
				st, ok := statusMap[s.Status]
				if !ok || s.ID == "" {
					continue
				}
				r := app.TextReport{Channel: app.ChannelWhatsApp, ProviderMessageID: s.ID, Status: st, At: unixTime(s.Timestamp)}
				if len(s.Errors) > 0 {
					r.ErrorCode = strconv.Itoa(s.Errors[0].Code)
					r.ErrorTitle = s.Errors[0].Title
					if r.ErrorTitle == "" {
						r.ErrorTitle = s.Errors[0].Message
					}
				}
				out = append(out, Event{PhoneNumberID: pid, WABAID: e.ID, Report: r})
			}
			for _, m := range v.Messages {
				text := ""
				switch {
				case m.Type == "text" && m.Text != nil:
					text = m.Text.Body
				case m.Type == "button" && m.Button != nil:
					text = m.Button.Text // a quick-reply button's label
				default:
					continue
				}
				from := Digits(m.From)
				if from == "" {
					continue
				}
				out = append(out, Event{PhoneNumberID: pid, WABAID: e.ID, Report: app.TextReport{Channel: app.ChannelWhatsApp,
					ProviderMessageID: m.ID, At: unixTime(m.Timestamp), From: "+" + from, Body: text}})
			}
		}
	}
	return out, nil
}
