package shipping

import (
	"context"
	"crypto/rand"
	"regexp"
	"strings"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/email"
	"github.com/waybill-app/waybill/app/phone"
)

// The merchant's side of texts: connecting the shop's own WhatsApp Business
// number or Twilio account, proving it with a test message to the
// merchant's phone, and Waybill's WhatsApp templates in that account.

// ConnectChannelRequest is what the Channels page sends.
type ConnectChannelRequest struct {
	Channel   app.Channel `json:"channel"`
	AccountID string      `json:"account_id"`
	SenderID  string      `json:"sender_id"`
	Token     string      `json:"token"`
	AppSecret string      `json:"app_secret"`
	TestPhone string      `json:"test_phone"`
}

// Identifier shapes, so a pasted value in the wrong box is named at once
// instead of failing at the provider.
var (
	metaID         = regexp.MustCompile(`^[0-9]{5,20}$`)
	twilioAccount  = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	twilioService  = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	maxSecretChars = 1024
)

// Check-error codes a connection shows (the admin words them).
const (
	ChannelKeyRefused  = "key_refused"
	ChannelUnreachable = "unreachable"
	ChannelRefused     = "request_refused"
)

// checkCode is the code the admin shows for a failed check or test.
func checkCode(err error) string {
	switch app.ErrorCodeOf(err) {
	case "":
		return ""
	case app.ErrUnauthorized, app.ErrForbidden:
		return ChannelKeyRefused
	case app.ErrInvalid:
		return ChannelRefused
	}
	return ChannelUnreachable
}

// ConnectChannel checks the account with the provider (a token it refuses
// is not saved) and saves it, replacing the shop's connection for that
// channel; for WhatsApp it then submits Waybill's templates for review.
func (svc *Service) ConnectChannel(ctx context.Context, shop *app.Shop, in ConnectChannelRequest) (*app.ChannelConnection, error) {
	in.AccountID, in.SenderID = strings.TrimSpace(in.AccountID), strings.TrimSpace(in.SenderID)
	in.Token, in.AppSecret = strings.TrimSpace(in.Token), strings.TrimSpace(in.AppSecret)
	sender := svc.TextSenders[in.Channel]
	if !in.Channel.Valid() || sender == nil {
		return nil, app.Refusal(app.ErrInvalid, app.NewMessage(app.MsgChannelInvalid, "channel must be whatsapp or sms"))
	}
	for field, v := range map[string]string{"token": in.Token, "app_secret": in.AppSecret} {
		if m := app.TextMessage(field, v, maxSecretChars); m.Code != "" {
			return nil, app.Refusal(app.ErrInvalid, m)
		}
	}
	c := &app.ChannelConnection{ShopID: shop.ID, Channel: in.Channel, AccountID: in.AccountID, SenderID: in.SenderID,
		Token: in.Token, AppSecret: in.AppSecret, CreatedAt: svc.Clock.Now()}
	switch in.Channel {
	case app.ChannelWhatsApp:
		c.Provider = app.ProviderMeta
		if !metaID.MatchString(in.AccountID) || !metaID.MatchString(in.SenderID) {
			return nil, app.Refusal(app.ErrInvalid, app.NewMessage(app.MsgMetaIDsInvalid,
				"account_id (the WhatsApp Business Account id) and sender_id (the phone number id) are the numeric ids Meta's WhatsApp Manager shows"))
		}
		if in.AppSecret == "" {
			return nil, app.Refusal(app.ErrInvalid, app.NewMessage(app.MsgAppSecretRequired,
				"app_secret (the Meta app's secret, which signs its webhooks) is needed"))
		}
		c.VerifyToken = "wbv_" + rand.Text()
	case app.ChannelSMS:
		c.Provider = app.ProviderTwilio
		if !twilioAccount.MatchString(in.AccountID) {
			return nil, app.Refusal(app.ErrInvalid, app.NewMessage(app.MsgTwilioAccount,
				"account_id must be the Twilio Account SID (AC followed by 32 hex digits)"))
		}
		if e164, ok := phone.Normalize(in.SenderID, ""); ok {
			c.SenderID = e164
		} else if !twilioService.MatchString(in.SenderID) {
			return nil, app.Refusal(app.ErrInvalid, app.NewMessage(app.MsgTwilioSender,
				"sender_id must be the Twilio number in international format (+34…) or a Messaging Service SID (MG…)"))
		}
		c.AppSecret = ""
	}
	if in.Token == "" {
		return nil, app.Refusal(app.ErrInvalid, app.NewMessage(app.MsgTokenRequired, "token is needed"))
	}
	if t := strings.TrimSpace(in.TestPhone); t != "" {
		e164, ok := phone.Normalize(t, shop.Country)
		if !ok {
			return nil, app.Refusal(app.ErrInvalid, app.NewMessage(app.MsgPhoneFieldInvalid,
				"test_phone is not a phone number (write it with its country code: +34 612 345 678)", "field", "test_phone"))
		}
		c.TestPhone = e164
	}
	if len(c.Token) > 4 {
		c.TokenHint = "…" + c.Token[len(c.Token)-4:]
	}
	if err := sender.Check(ctx, c); err != nil {
		if checkCode(err) == ChannelKeyRefused {
			return nil, app.Refusal(app.ErrInvalid, app.NewMessage(app.MsgProviderRefusedKey,
				"the provider refused the token or account: check them and try again ("+app.ErrorMessageOf(err)+")", "detail", app.ErrorMessageOf(err)))
		}
		return nil, err
	}
	now := svc.Clock.Now()
	c.CheckedAt = &now
	if err := svc.Texts.SaveChannelConnection(ctx, c); err != nil {
		return nil, err
	}
	if c.Channel == app.ChannelWhatsApp {
		if _, err := svc.SyncTemplates(ctx, shop, c.ID); err != nil {
			// Saved all the same: the Channels page shows the templates'
			// state and submits them again.
			svc.Log.WarnContext(ctx, "whatsapp templates not submitted", "shop", shop.Domain, "err", err)
		}
	}
	return c, nil
}

// ownedConnection is the shop's connection, or not found.
func (svc *Service) ownedConnection(ctx context.Context, shop *app.Shop, id string) (*app.ChannelConnection, error) {
	c, err := svc.Texts.ChannelConnectionByID(ctx, id)
	if err != nil || c.ShopID != shop.ID {
		return nil, app.Errorf(app.ErrNotFound, "no channel %s in this store", id)
	}
	return c, nil
}

// SyncTemplates submits Waybill's WhatsApp templates the account lacks and
// returns every one with Meta's review state, in Waybill's order.
func (svc *Service) SyncTemplates(ctx context.Context, shop *app.Shop, connectionID string) ([]app.TextTemplate, error) {
	c, err := svc.ownedConnection(ctx, shop, connectionID)
	if err != nil {
		return nil, err
	}
	if c.Channel != app.ChannelWhatsApp {
		return nil, app.Refusal(app.ErrConflict, app.NewMessage(app.MsgTemplatesOnlyMeta, "only WhatsApp has message templates"))
	}
	defs := svc.TemplateDefinitions(trackingBase(shop))
	have, err := svc.Templates.Templates(ctx, c)
	if err != nil {
		return nil, err
	}
	created := false
	for _, d := range defs {
		if templateStatus(have, d) == app.TemplateMissing {
			if err := svc.Templates.CreateTemplate(ctx, c, d); err != nil {
				return nil, err
			}
			created = true
		}
	}
	if created {
		if have, err = svc.Templates.Templates(ctx, c); err != nil {
			return nil, err
		}
	}
	if err := svc.Texts.SaveTextTemplates(ctx, c.ID, have); err != nil {
		return nil, err
	}
	return templatesInOrder(defs, have), nil
}

// templatesInOrder lists Waybill's templates with the account's states
// (missing when the account has none).
func templatesInOrder(defs []app.TemplateDefinition, have []app.TextTemplate) []app.TextTemplate {
	out := make([]app.TextTemplate, 0, len(defs))
	for _, d := range defs {
		t := app.TextTemplate{Event: d.Event, Language: d.Language, Name: d.Name, Status: app.TemplateMissing}
		for _, h := range have {
			if h.Name == d.Name && h.Language == d.Language {
				t.Status, t.Reason = h.Status, h.Reason
			}
		}
		out = append(out, t)
	}
	return out
}

// ChannelView is a connection as the Channels page shows it: never its
// secrets; where the provider must send its webhooks; its templates.
type ChannelView struct {
	app.ChannelConnection
	// WebhookURL is the callback to set in Meta's app (with VerifyToken)
	// or on the Twilio number ("A message comes in").
	WebhookURL string             `json:"webhook_url"`
	Templates  []app.TextTemplate `json:"templates"`
}

// Channels lists the shop's connections for the admin.
func (svc *Service) Channels(ctx context.Context, shop *app.Shop) ([]ChannelView, error) {
	conns, err := svc.Texts.ChannelConnections(ctx, shop.ID)
	if err != nil {
		return nil, err
	}
	out := make([]ChannelView, 0, len(conns))
	for _, c := range conns {
		v := ChannelView{ChannelConnection: c}
		v.Token, v.AppSecret = "", ""
		if c.Channel == app.ChannelWhatsApp {
			v.WebhookURL = svc.AppURL + "/texts/whatsapp/" + c.ID
			have, err := svc.Texts.TextTemplates(ctx, c.ID)
			if err != nil {
				return nil, err
			}
			v.Templates = templatesInOrder(svc.TemplateDefinitions(trackingBase(shop)), have)
		} else {
			v.WebhookURL = svc.AppURL + "/texts/twilio/" + c.ID + "/inbound"
		}
		out = append(out, v)
	}
	return out, nil
}

// DisconnectChannel removes the shop's connection: its queued texts are
// then skipped as not connected.
func (svc *Service) DisconnectChannel(ctx context.Context, shop *app.Shop, id string) error {
	if _, err := svc.ownedConnection(ctx, shop, id); err != nil {
		return err
	}
	return svc.Texts.DeleteChannelConnection(ctx, shop.ID, id)
}

// ChannelTestResult is what a test message did.
type ChannelTestResult struct {
	Sent bool `json:"sent"`
	// Error is the failure as a code (key_refused, request_refused,
	// unreachable), Detail the provider's words.
	Error  string `json:"error,omitempty"`
	Detail string `json:"detail,omitempty"`
	To     string `json:"to"` // masked
}

// TestChannel sends a test message to the merchant's own phone (to, else
// the connection's test phone): WhatsApp's "hello_world" template, which
// Meta gives every new account, or an SMS in the shop's language. The
// outcome is recorded on the connection.
func (svc *Service) TestChannel(ctx context.Context, shop *app.Shop, id, to string) (ChannelTestResult, error) {
	c, err := svc.ownedConnection(ctx, shop, id)
	if err != nil {
		return ChannelTestResult{}, err
	}
	number := c.TestPhone
	if strings.TrimSpace(to) != "" {
		e164, ok := phone.Normalize(to, shop.Country)
		if !ok {
			return ChannelTestResult{}, app.Refusal(app.ErrInvalid, app.NewMessage(app.MsgPhoneFieldInvalid,
				"to is not a phone number (write it with its country code: +34 612 345 678)", "field", "to"))
		}
		number = e164
	}
	if number == "" {
		return ChannelTestResult{}, app.Refusal(app.ErrInvalid, app.NewMessage(app.MsgTestPhoneMissing,
			"give \"to\": your own phone, where the test message goes"))
	}
	notes, err := svc.Notifications.NotificationSettings(ctx, shop.ID)
	if err != nil {
		return ChannelTestResult{}, err
	}
	t := app.Text{To: number, IdempotencyKey: "test-" + app.NewID()}
	if c.Channel == app.ChannelWhatsApp {
		t.Template, t.Locale = "hello_world", "en_US"
	} else {
		t.Locale = svc.Emails.Locale(notes.PrimaryLocale, "")
		t.Body = svc.Emails.Say(t.Locale, "sms.test", email.Message{ShopName: shop.DisplayName()})
	}
	sent, sendErr := svc.TextSenders[c.Channel].Send(ctx, c, t)
	code := checkCode(sendErr)
	if err := svc.Texts.RecordChannelCheck(ctx, c.ID, code, sent.ProviderMessageID); err != nil {
		return ChannelTestResult{}, err
	}
	res := ChannelTestResult{Sent: sendErr == nil, Error: code, To: phone.Mask(number)}
	if sendErr != nil {
		res.Detail = app.ErrorMessageOf(sendErr)
	}
	return res, nil
}

// TextsBySMS reports whether the shop has an SMS account connected: only
// then is Shopify's SMS consent worth a read when an order arrives (order
// webhooks stopped carrying it in API 2025-01). A store that cannot answer
// says yes: the read is cheap, a missed consent is not.
func (svc *Service) TextsBySMS(ctx context.Context, shopID string) bool {
	c, err := svc.connection(ctx, shopID, app.ChannelSMS)
	return err != nil || c != nil
}
