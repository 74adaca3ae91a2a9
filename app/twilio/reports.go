package twilio

import (
	"net/http"
	"net/url"

	"github.com/waybill-app/waybill/app"
)

// Reports implements app.TextWebhookReader for Twilio's form posts (status
// callbacks and incoming messages): signed with the connection's auth
// token over fullURL and the form (X-Twilio-Signature). A post with a
// MessageStatus is a status report; an incoming message (SmsStatus
// received, with or without a Body) is a customer's message.
func (*Client) Reports(conn *app.ChannelConnection, fullURL string, header http.Header, body []byte) ([]app.TextReport, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, app.Errorf(app.ErrInvalid, "the body is not a form: %v", err)
	}
	if conn.Token == "" || !ValidSignature(conn.Token, fullURL, form, header.Get("X-Twilio-Signature")) {
		return nil, app.Errorf(app.ErrUnauthorized, "X-Twilio-Signature is missing or does not match the auth token")
	}
	if form.Get("AccountSid") != "" && form.Get("AccountSid") != conn.AccountID {
		return nil, app.Errorf(app.ErrUnauthorized, "the post is for another Twilio account")
	}
	if form.Get("MessageStatus") != "" || (form.Get("SmsStatus") != "" && form.Get("SmsStatus") != "received") {
		return []app.TextReport{ParseStatus(form)}, nil
	}
	return []app.TextReport{ParseInbound(form)}, nil
}

var _ app.TextWebhookReader = (*Client)(nil)
