package whatsapp

import (
	"net/http"

	"github.com/waybill-app/waybill/app"
)

// Reports implements app.TextWebhookReader: the body must be signed with
// the connection's app secret (X-Hub-Signature-256), and only reports for
// the connection's own phone number are returned (a Meta app may serve
// several numbers; each is applied through its own connection).
func (*Client) Reports(conn *app.ChannelConnection, _ string, header http.Header, body []byte) ([]app.TextReport, error) {
	if conn.AppSecret == "" || !VerifySignature(body, header.Get("X-Hub-Signature-256"), conn.AppSecret) {
		return nil, app.Errorf(app.ErrUnauthorized, "X-Hub-Signature-256 is missing or does not match the app secret")
	}
	events, err := ParseWebhook(body)
	if err != nil {
		return nil, err
	}
	out := make([]app.TextReport, 0, len(events))
	for _, e := range events {
		if e.PhoneNumberID == "" || e.PhoneNumberID == conn.SenderID {
			out = append(out, e.Report)
		}
	}
	return out, nil
}

var _ app.TextWebhookReader = (*Client)(nil)
