package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shopifyfake"
	"github.com/waybill-app/waybill/app/twilio"
	"github.com/waybill-app/waybill/app/whatsapp"
)

// texts: the entry points of WhatsApp and SMS — the providers' webhooks,
// the short links, the tracking page's opt-in and preferences forms and the
// channels admin — with oversized bodies, bad JSON and forms, bad
// signatures, bad phones and script in every field. No 5xx, no script
// reflected, and nothing stored that the forms refuse.
func (e *hostileEnv) texts(t *testing.T) {
	ctx := context.Background()
	acme := e.shops[shop]
	wa := &app.ChannelConnection{ShopID: acme.ID, Channel: app.ChannelWhatsApp, Provider: app.ProviderMeta, AccountID: "1029384756",
		SenderID: "5647382910", Token: "EAAG-hostile", AppSecret: "meta-secret", VerifyToken: "wbv_hostile", CreatedAt: time.Now()}
	sms := &app.ChannelConnection{ShopID: acme.ID, Channel: app.ChannelSMS, Provider: app.ProviderTwilio, AccountID: "AC" + strings.Repeat("0b", 16),
		SenderID: "+34600000001", Token: "twilio-hostile", CreatedAt: time.Now()}
	for _, c := range []*app.ChannelConnection{wa, sms} {
		if err := e.db.SaveChannelConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	order, err := e.db.OrderByName(ctx, acme.ID, "#1001")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(e.TrackingLinks.URL(shop, acme.ID, order.ID))
	if err != nil {
		t.Fatal(err)
	}
	token := u.Query().Get("t")

	raw := func(method, path, contentType string, header http.Header, body string) func() *http.Request {
		return func() *http.Request {
			req := e.request(method, path, "", contentType, strings.NewReader(body))
			for k, v := range header {
				req.Header[k] = v
			}
			return req
		}
	}
	signedWA := func(body string) http.Header {
		return http.Header{"X-Hub-Signature-256": {whatsapp.Sign([]byte(body), wa.AppSecret)}}
	}
	twilioPost := func(path string, form url.Values, sign bool) func() *http.Request {
		h := http.Header{"X-Twilio-Signature": {twilio.Signature("not-the-token", e.url+path, form)}}
		if sign {
			h = http.Header{"X-Twilio-Signature": {twilio.Signature(sms.Token, e.url+path, form)}}
		}
		return raw("POST", path, "application/x-www-form-urlencoded", h, form.Encode())
	}
	proxyForm := func(path string, query, form url.Values) func() *http.Request {
		return func() *http.Request {
			q := url.Values{"shop": {shop}, "timestamp": {strconv.FormatInt(time.Now().Unix(), 10)}}
			for k, v := range query {
				q[k] = v
			}
			q.Set("signature", shopifyfake.SignProxy(apiSecret, q))
			req := e.request("POST", path+"?"+q.Encode(), "", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
			req.Header.Set("X-Forwarded-For", "198.51.100."+strconv.Itoa(len(form.Encode())%200))
			return req
		}
	}
	waPath, statusPath, inboundPath := "/texts/whatsapp/"+wa.ID, "/texts/twilio/"+sms.ID+"/status", "/texts/twilio/"+sms.ID+"/inbound"
	notJSON := `{"object":"whatsapp_business_account","entry":[`
	scripted := `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"5647382910"},` +
		`"statuses":[{"id":"` + strings.ReplaceAll(xss, `'`, `\u0027`) + `","status":"delivered","timestamp":"x"}],` +
		`"messages":[{"from":"` + strings.ReplaceAll(xss, `'`, `\u0027`) + `","id":"m","type":"text","text":{"body":"BAJA"}}]}}]}]}`
	big := strings.Repeat(" ", 1<<20+1)
	e.check(t, []probe{
		{"whatsapp: no signature", raw("POST", waPath, "application/json", nil, `{}`), 401, ""},
		{"whatsapp: a forged signature", raw("POST", waPath, "application/json", http.Header{"X-Hub-Signature-256": {"sha256=" + xss}}, `{}`), 401, ""},
		{"whatsapp: signed with another secret", raw("POST", waPath, "application/json",
			http.Header{"X-Hub-Signature-256": {whatsapp.Sign([]byte(`{}`), "other")}}, `{}`), 401, ""},
		{"whatsapp: signed, not JSON", raw("POST", waPath, "application/json", signedWA(notJSON), notJSON), 400, ""},
		{"whatsapp: signed, script in ids and numbers", raw("POST", waPath, "application/json", signedWA(scripted), scripted), 200, ""},
		{"whatsapp: a body over 1 MiB", raw("POST", waPath, "application/json", signedWA(big), big), 413, ""},
		{"whatsapp: an unknown connection", raw("POST", "/texts/whatsapp/"+url.PathEscape(xss), "application/json", signedWA(`{}`), `{}`), 404, ""},
		{"whatsapp: handshake with script", raw("GET", waPath+"?hub.mode=subscribe&hub.verify_token="+url.QueryEscape(xss)+"&hub.challenge="+url.QueryEscape(xss),
			"", nil, ""), 403, ""},
		{"twilio: a forged status", twilioPost(statusPath, url.Values{"MessageSid": {xss}, "MessageStatus": {"delivered"}}, false), 401, ""},
		{"twilio: a status signed for another URL", raw("POST", statusPath, "application/x-www-form-urlencoded",
			http.Header{"X-Twilio-Signature": {twilio.Signature(sms.Token, e.url+inboundPath, url.Values{"MessageStatus": {"sent"}})}}, "MessageStatus=sent"), 401, ""},
		{"twilio: signed, script in every field", twilioPost(statusPath, url.Values{"MessageSid": {xss}, "MessageStatus": {xss}, "ErrorCode": {xss}}, true), 200, ""},
		{"twilio: signed reply from a number that is not one", twilioPost(inboundPath, url.Values{"From": {xss}, "Body": {"BAJA"}}, true), 200, "<Response>"},
		{"twilio: not a form", raw("POST", inboundPath, "application/x-www-form-urlencoded", http.Header{"X-Twilio-Signature": {"x"}}, "%zz"), 400, ""},
		{"twilio: a body over 1 MiB", raw("POST", statusPath, "application/x-www-form-urlencoded", nil, big), 413, ""},
		{"short link: script", raw("GET", "/l/"+url.PathEscape(xss), "", nil, ""), 404, ""},
		{"short link: 10 KB", raw("GET", "/l/"+strings.Repeat("z", 10000), "", nil, ""), 404, ""},
		{"short link: a negative id", raw("GET", "/l/-1-AAAAAAAAAAAA", "", nil, ""), 404, ""},
		{"opt-in: unsigned", raw("POST", "/proxy/track/opt-in?shop="+shop, "application/x-www-form-urlencoded", nil, "t="+url.QueryEscape(token)), 403, ""},
		{"opt-in: a forged token", proxyForm("/proxy/track/opt-in", nil, url.Values{"t": {xss}, "channel": {"whatsapp"}, "phone": {xss}}), 200, ""},
		{"opt-in: script as the phone", proxyForm("/proxy/track/opt-in", nil, url.Values{"t": {token}, "channel": {"whatsapp"}, "phone": {xss}}), 200, ""},
		{"opt-in: a 10 KB phone", proxyForm("/proxy/track/opt-in", nil, url.Values{"t": {token}, "channel": {"sms"}, "phone": {strings.Repeat("6", 10000)}}), 200, ""},
		{"opt-in: script as the channel", proxyForm("/proxy/track/opt-in", nil, url.Values{"t": {token}, "channel": {xss}, "phone": {"+34612345678"}}), 200, ""},
		{"opt-in: a body over the cap", proxyForm("/proxy/track/opt-in", nil, url.Values{"t": {token}, "phone": {strings.Repeat("6", 20<<10)}}), 413, ""},
		{"preferences: script in the choices", proxyForm("/proxy/track/preferences", url.Values{"t": {token}},
			url.Values{"channel": {xss, "telegram"}, "topic": {xss}}), 200, ""},
		{"preferences: a forged token", proxyForm("/proxy/track/preferences", url.Values{"t": {xss}}, url.Values{"channel": {"email"}}), 200, ""},
		{"admin: connect, bad JSON", func() *http.Request { return e.admin("POST", "/channels", `{"channel":`) }, 400, ""},
		{"admin: connect, script everywhere", func() *http.Request {
			return e.admin("POST", "/channels", map[string]string{"channel": "whatsapp", "account_id": xss, "sender_id": xss, "token": xss, "app_secret": xss, "test_phone": xss})
		}, 400, ""},
		{"admin: connect, a token with line breaks", func() *http.Request {
			return e.admin("POST", "/channels", map[string]string{"channel": "sms", "account_id": "AC" + strings.Repeat("0c", 16), "sender_id": "+34600000002", "token": "a\r\nb"})
		}, 400, ""},
		{"admin: connect, over 1 MiB", func() *http.Request {
			return e.admin("POST", "/channels", `{"token":"`+strings.Repeat("a", 1<<20)+`"}`)
		}, 413, ""},
		{"admin: test to script", func() *http.Request { return e.admin("POST", "/channels/"+wa.ID+"/test", map[string]string{"to": xss}) }, 400, ""},
		{"admin: test an unknown channel", func() *http.Request { return e.admin("POST", "/channels/"+url.PathEscape(xss)+"/test", `{}`) }, 404, ""},
		{"admin: settings, script in contact", func() *http.Request {
			return e.admin("PUT", "/texts/settings", map[string]any{"contact": map[string]string{"whatsapp": xss, "email": xss + "@x.es", "phone": "+34 91 123\n45 67"}})
		}, 400, ""},
		{"admin: settings, script as a channel and event", func() *http.Request {
			return e.admin("PUT", "/texts/settings", map[string]any{"disabled_events": map[string]any{xss: map[string]bool{xss: true}}})
		}, 400, ""},
		{"admin: settings, wrong types", func() *http.Request {
			return e.admin("PUT", "/texts/settings", `{"disabled_events":{"sms":{"shipped":"yes"}}}`)
		}, 400, ""},
		{"admin: the log, script in q", func() *http.Request { return e.admin("GET", "/texts?q="+url.QueryEscape(xss+"\x00"), nil) }, 400, ""},
		{"admin: the log, a 10 KB q", func() *http.Request { return e.admin("GET", "/texts?q="+strings.Repeat("a", 10000), nil) }, 400, ""},
	})
	// Nothing refused was stored: no consent for a phone that is not one,
	// no contact options, no settings, the one connection per channel.
	contact, err := e.db.ContactOptions(ctx, acme.ID)
	if err != nil || contact != (app.ContactOptions{}) {
		t.Errorf("contact options after refused saves: %+v %v", contact, err)
	}
	settings, err := e.db.TextSettings(ctx, acme.ID)
	if err != nil || len(settings.Disabled) != 0 {
		t.Errorf("text settings after refused saves: %+v %v", settings, err)
	}
	conns, err := e.db.ChannelConnections(ctx, acme.ID)
	if err != nil || len(conns) != 2 || conns[0].Token == xss || conns[1].Token == xss {
		t.Errorf("connections after refused connects: %d %v", len(conns), err)
	}
	o, err := e.db.OrderByID(ctx, acme.ID, order.ID)
	if err != nil || o.NotifyPhone != "" {
		t.Errorf("the order's phone for texts after refused opt-ins: %q %v", o.NotifyPhone, err)
	}
}
