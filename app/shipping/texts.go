package shipping

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/email"
	"github.com/waybill-app/waybill/app/phone"
	"github.com/waybill-app/waybill/app/sms"
)

// The customer's texts (WhatsApp, SMS), beside the email: decided in notify
// (notifyTexts), sent once per (shipment, event, channel) by SendText,
// followed by the provider's reports (TextReport), and only ever with the
// customer's consent, which the customer gives and withdraws (OptIn,
// SavePreferences, a STOP/BAJA reply).

// Pacing of sends, by the providers' published limits.
const (
	// pairWindow: Meta lets a business number send one message per 6 s
	// to one WhatsApp user (error 131056 beyond). Two parcels of one order
	// shipped together are two messages: the second waits.
	pairWindow = 6 * time.Second
	// paceWait bounds how long one send waits for a free slot of its
	// sender's throughput before it gives the slot back to the queue.
	paceWait = 2 * time.Second
)

// consent is what Waybill may do with a phone on a channel.
type consent int

const (
	consentNone    consent = iota // never agreed: nothing is recorded
	consentGiven                  // agreed (Shopify's SMS consent or an opt-in)
	consentRevoked                // STOP/BAJA or withdrawn: recorded as suppressed
)

// textConsent decides from the consent record, else Shopify's SMS consent
// on the order (which is for the order's own phone, and SMS only).
func (svc *Service) textConsent(ctx context.Context, shopID string, order *app.Order, c app.Channel) (consent, error) {
	given, _, err := svc.textConsentFrom(ctx, shopID, order, c)
	return given, err
}

// textConsentFrom is textConsent, and whether it rests on Shopify's consent
// alone (no record of Waybill's).
func (svc *Service) textConsentFrom(ctx context.Context, shopID string, order *app.Order, c app.Channel) (consent, bool, error) {
	rec, err := svc.Texts.Consent(ctx, shopID, app.PhoneHash(order.TextPhone()), c)
	switch {
	case err != nil:
		return consentNone, false, err
	case rec != nil && rec.Active():
		return consentGiven, false, nil
	case rec != nil:
		return consentRevoked, false, nil
	case c == app.ChannelSMS && order.SMSConsent && order.TextPhone() == order.Phone:
		return consentGiven, true, nil
	}
	return consentNone, false, nil
}

// shopifyConsentHolds reads Shopify's SMS consent again before an SMS that
// rests on it alone: the customer may have unsubscribed in Shopify since
// the order was saved (no webhook of Waybill's says so). It holds while
// subscribed for the order's own number.
func (svc *Service) shopifyConsentHolds(ctx context.Context, shop *app.Shop, order *app.Order) (bool, error) {
	if order.CustomerID == 0 {
		return false, nil
	}
	c, err := svc.Admin.CustomerSMSConsent(ctx, shop.Domain, order.CustomerID)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	e164, ok := phone.Normalize(c.Phone, order.ShippingCountry)
	return c.Subscribed && ok && e164 == order.Phone, nil
}

// notifyTexts records and queues the event's texts on each channel the shop
// connected and switched on, for an order with a phone whose customer agreed
// to that channel (or withdrew: the suppression is recorded, so the merchant
// sees the choice honoured). Orders without a phone or consent record
// nothing: most orders, and not worth a line each in the log.
func (svc *Service) notifyTexts(ctx context.Context, shop *app.Shop, s *app.Shipment, e app.NotificationEvent) {
	if !slices.Contains(app.TextEvents, e) || s.OrderID == 0 {
		return
	}
	warn := func(msg string, err error) {
		svc.Log.WarnContext(ctx, msg, "shop", shop.Domain, "shipment_id", s.ID, "event", e, "err", err)
	}
	conns, err := svc.Texts.ChannelConnections(ctx, shop.ID)
	if err != nil || len(conns) == 0 {
		if err != nil {
			warn("texts not decided", err)
		}
		return
	}
	settings, err := svc.Texts.TextSettings(ctx, shop.ID)
	if err != nil {
		warn("texts not decided", err)
		return
	}
	order, err := svc.Orders.OrderByID(ctx, shop.ID, s.OrderID)
	if err != nil || order.TextPhone() == "" {
		if err != nil && app.ErrorCodeOf(err) != app.ErrNotFound {
			warn("texts not decided", err)
		}
		return
	}
	for _, conn := range conns {
		if !settings.Enabled(conn.Channel, e) {
			continue
		}
		given, err := svc.textConsent(ctx, shop.ID, order, conn.Channel)
		if err != nil {
			warn("text consent not read", err)
			continue
		}
		if given == consentNone {
			continue
		}
		m, created, err := svc.Texts.QueueText(ctx, &app.CustomerText{ShopID: shop.ID, ShipmentID: s.ID, Channel: conn.Channel,
			Event: e, EventKey: app.NotificationKey(e, s.TrackingNumber)})
		if err != nil {
			warn("text not recorded", err)
			continue
		}
		if !created && m.Status != app.TextQueued {
			continue
		}
		if err := svc.Dispatch.QueueCustomerText(ctx, shop.Domain, m.ID); err != nil {
			svc.Log.WarnContext(ctx, "text not queued yet", "shop", shop.Domain, "text_id", m.ID, "err", err)
		}
	}
}

// connection is the shop's connection for channel c, nil when none.
func (svc *Service) connection(ctx context.Context, shopID string, c app.Channel) (*app.ChannelConnection, error) {
	conns, err := svc.Texts.ChannelConnections(ctx, shopID)
	if err != nil {
		return nil, err
	}
	for i := range conns {
		if conns[i].Channel == c {
			return &conns[i], nil
		}
	}
	return nil, nil
}

// SendText sends one recorded text, once: whatever it decides (sent,
// skipped, suppressed, failed) is recorded on it. lastTry says no retry
// follows. Errors: ErrInvalid when the provider refused for good (final),
// ErrRateLimited when the sender's pace is reached (retried without
// counting as a failure), others are worth a retry.
func (svc *Service) SendText(ctx context.Context, textID string, lastTry bool) error {
	m, err := svc.Texts.TextByID(ctx, textID)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return nil // the shop's data was deleted
	}
	if err != nil {
		return err
	}
	if m.Status != app.TextQueued {
		return nil // decided already: once only
	}
	out := app.TextOutcome{}
	record := func(status app.TextStatus, reason app.TextReason, detail string) error {
		out.Status, out.Reason, out.Detail = status, reason, detail
		if err := svc.Texts.SetTextOutcome(ctx, m.ID, out); err != nil {
			return err
		}
		if status != app.TextQueued {
			svc.Metrics.TextOutcome(m.Channel, string(status))
		}
		return nil
	}
	shop, err := svc.Shops.ShopByID(ctx, m.ShopID)
	if err != nil && app.ErrorCodeOf(err) != app.ErrNotFound {
		return err
	}
	if err != nil || shop.UninstalledAt != nil {
		return record(app.TextSkipped, app.TextReasonSkippedUninst, "The shop has uninstalled Waybill.")
	}
	s, err := svc.Shipments.ShipmentByID(ctx, m.ShipmentID)
	if err != nil {
		return err
	}
	if s.State == app.ShipmentCancelled {
		return record(app.TextSkipped, app.TextReasonSkippedCancelled, "The fulfillment was cancelled in Shopify.")
	}
	settings, err := svc.Texts.TextSettings(ctx, shop.ID)
	if err != nil {
		return err
	}
	if !settings.Enabled(m.Channel, m.Event) {
		return record(app.TextSkipped, app.TextReasonSwitchedOff, "This message is switched off in the channel settings.")
	}
	conn, err := svc.connection(ctx, shop.ID, m.Channel)
	if err != nil {
		return err
	}
	sender := svc.TextSenders[m.Channel]
	if conn == nil || sender == nil {
		return record(app.TextSkipped, app.TextReasonNotConnected, "The store has no "+string(m.Channel)+" account connected.")
	}
	order, err := svc.Orders.OrderByID(ctx, shop.ID, s.OrderID)
	if err != nil && app.ErrorCodeOf(err) != app.ErrNotFound {
		return err
	}
	if err != nil || order.TextPhone() == "" {
		return record(app.TextSkipped, app.TextReasonNoPhone, "The order has no phone number.")
	}
	out.Phone = order.TextPhone()
	switch given, fromShopify, err := svc.textConsentFrom(ctx, shop.ID, order, m.Channel); {
	case err != nil:
		return err
	case given == consentRevoked:
		return record(app.TextSuppressed, app.TextReasonOptedOut, "The customer asked not to get these messages.")
	case given == consentNone:
		return record(app.TextSkipped, app.TextReasonNoConsent, "The customer has not agreed to these messages.")
	case fromShopify:
		holds, err := svc.shopifyConsentHolds(ctx, shop, order)
		if err != nil {
			return err
		}
		if !holds {
			return record(app.TextSuppressed, app.TextReasonOptedOut, "The customer's SMS consent in Shopify is no longer given for this number.")
		}
	}
	if prefs, err := svc.Texts.Preferences(ctx, shop.ID, app.PhoneHash(out.Phone)); err != nil {
		return err
	} else if !prefs.Wants(m.Channel, m.Event) {
		return record(app.TextSuppressed, app.TextReasonPreferenceOff, "The customer chose not to hear about this.")
	}
	notes, err := svc.Notifications.NotificationSettings(ctx, shop.ID)
	if err != nil {
		return err
	}
	out.Locale = svc.Emails.Locale(order.CustomerLocale, notes.PrimaryLocale)
	t, ready, err := svc.composeText(ctx, shop, conn, m, s, order, out.Locale)
	switch code := app.ErrorCodeOf(err); {
	case err == nil:
	case code == app.ErrUnauthorized || code == app.ErrForbidden || code == app.ErrInvalid:
		// Meta refused the token reading the templates: no retry helps.
		return joinRecorded(app.Errorf(app.ErrInvalid, "%s", app.ErrorMessageOf(err)),
			record(app.TextFailed, app.TextReasonProviderRefused, app.ErrorMessageOf(err)))
	case lastTry && code != app.ErrRateLimited:
		return joinRecorded(err, record(app.TextFailed, app.TextReasonUnreachable, "The provider could not be reached after several attempts."))
	default:
		return err
	}
	if !ready {
		return record(app.TextSkipped, app.TextReasonTemplateMissing,
			fmt.Sprintf("The WhatsApp template %s (%s) is not approved by Meta yet.", templateName(m.Event), out.Locale))
	}
	if err := svc.paceText(ctx, conn, sender, app.PhoneHash(out.Phone)); err != nil {
		if lastTry && app.ErrorCodeOf(err) != app.ErrRateLimited {
			return joinRecorded(err, record(app.TextFailed, app.TextReasonUnreachable, "The text could not be paced: Redis was unavailable."))
		}
		return err
	}
	if marked, err := svc.Texts.MarkTextSending(ctx, m.ID); err != nil {
		return err
	} else if !marked {
		return nil // another run recorded its outcome meanwhile
	}
	if m.SendingAt != nil {
		svc.Log.WarnContext(ctx, "customer text: possible repeat", "shop", shop.Domain, "text_id", m.ID,
			"channel", m.Channel, "attempt", m.SendAttempts+1)
	}
	sent, err := sender.Send(ctx, conn, t)
	out.ProviderMessageID, out.Segments, out.Encoding = sent.ProviderMessageID, sent.Segments, sent.Encoding
	switch code := app.ErrorCodeOf(err); {
	case err == nil:
		svc.Log.InfoContext(ctx, "customer text sent", "shop", shop.Domain, "text_id", m.ID, "channel", m.Channel,
			"event", m.Event, "locale", out.Locale, "segments", out.Segments)
		// The provider has it: the record must happen even when the task
		// is being stopped (that would send it again).
		recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordSentTimeout)
		defer cancel()
		out.Status, out.Reason, out.Detail = app.TextSent, "", ""
		if err := svc.Texts.SetTextOutcome(recordCtx, m.ID, out); err != nil {
			return err
		}
		svc.Metrics.TextOutcome(m.Channel, string(app.TextSent))
		return nil
	case errors.Is(err, app.ErrTemplateRefused):
		// Meta's review changed (paused, disabled) since Waybill read it.
		if fresh, terr := svc.Templates.Templates(ctx, conn); terr == nil {
			if serr := svc.Texts.SaveTextTemplates(ctx, conn.ID, fresh); serr != nil {
				svc.Log.WarnContext(ctx, "whatsapp templates not saved", "shop", shop.Domain, "err", serr)
			}
		}
		return joinRecorded(app.Errorf(app.ErrInvalid, "%s", app.ErrorMessageOf(err)),
			record(app.TextSkipped, app.TextReasonTemplateMissing, app.ErrorMessageOf(err)))
	case errors.Is(err, app.ErrRecipientRefused):
		return joinRecorded(err, record(app.TextFailed, app.TextReasonRecipientRefused, app.ErrorMessageOf(err)))
	case code == app.ErrInvalid || code == app.ErrUnauthorized || code == app.ErrForbidden:
		// A refused token or template: no retry helps; final.
		return joinRecorded(app.Errorf(app.ErrInvalid, "%s", app.ErrorMessageOf(err)),
			record(app.TextFailed, app.TextReasonProviderRefused, app.ErrorMessageOf(err)))
	case code == app.ErrRateLimited:
		return joinRecorded(err, record(app.TextQueued, "", ""))
	case lastTry:
		return joinRecorded(err, record(app.TextFailed, app.TextReasonUnreachable, "The provider could not be reached after several attempts."))
	}
	return joinRecorded(err, record(app.TextQueued, "", ""))
}

// templateName is Waybill's WhatsApp template of an event.
func templateName(e app.NotificationEvent) string { return "waybill_" + string(e) }

// composeText builds what is sent: an approved WhatsApp template with the
// order's words, or an SMS body in the customer's language, fitted to as few
// segments as it can take. ready is false when the WhatsApp template is not
// approved (after asking Meta again when Waybill's copy says so).
func (svc *Service) composeText(ctx context.Context, shop *app.Shop, conn *app.ChannelConnection, m *app.CustomerText,
	s *app.Shipment, order *app.Order, locale string) (app.Text, bool, error) {
	link := svc.TrackingLinks.URL(shop.Domain, shop.ID, order.ID)
	if m.Channel == app.ChannelSMS {
		link = svc.ShortLinks.URL(shop.ID, order.ID) // an SMS segment is 160 characters
	}
	t := app.Text{To: order.TextPhone(), Locale: locale, IdempotencyKey: m.ID}
	msg := email.Message{Event: m.Event, Locale: locale, ShopName: shop.DisplayName(), OrderName: s.OrderName,
		Carrier: s.Carrier, TrackingNumber: s.TrackingNumber, TrackingPageURL: link, CustomerFirstName: order.CustomerFirstName}
	if m.Channel == app.ChannelSMS {
		t.Body = sms.Fit(svc.Emails.Say(locale, "sms."+string(m.Event), msg))
		t.StatusCallback = svc.AppURL + "/texts/twilio/" + conn.ID + "/status"
		return t, true, nil
	}
	def, ok := svc.templateDefinition(shop, m.Event, locale)
	if !ok {
		return t, false, nil
	}
	approved, err := svc.templateApproved(ctx, conn, def)
	if err != nil || !approved {
		return t, false, err
	}
	t.Template = def.Name
	t.Params = svc.TemplateParams(m.Event, s.OrderName, s.Carrier, s.TrackingNumber)
	for i, p := range t.Params {
		if strings.TrimSpace(p) == "" {
			t.Params[i] = "-" // Meta refuses an empty parameter
		}
	}
	t.ButtonParam = strings.TrimPrefix(link, trackingBase(shop))
	return t, true, nil
}

// trackingBase is the part of a shop's tracking links every one shares: the
// templates' URL button is this with the token as its variable.
func trackingBase(shop *app.Shop) string { return "https://" + shop.Domain + "/apps/track?t=" }

// templateDefinition is Waybill's template for (event, locale) as the shop
// would have created it.
func (svc *Service) templateDefinition(shop *app.Shop, e app.NotificationEvent, locale string) (app.TemplateDefinition, bool) {
	if svc.TemplateDefinitions == nil {
		return app.TemplateDefinition{}, false
	}
	lang, _, _ := strings.Cut(locale, "-")
	for _, d := range svc.TemplateDefinitions(trackingBase(shop)) {
		if d.Event == e && d.Language == lang {
			return d, true
		}
	}
	return app.TemplateDefinition{}, false
}

// templateApproved reads Waybill's copy of the connection's templates and,
// when it does not say approved, asks Meta once (a template is usually
// approved within minutes of its submission).
func (svc *Service) templateApproved(ctx context.Context, conn *app.ChannelConnection, def app.TemplateDefinition) (bool, error) {
	known, err := svc.Texts.TextTemplates(ctx, conn.ID)
	if err != nil {
		return false, err
	}
	if templateStatus(known, def) == app.TemplateApproved {
		return true, nil
	}
	fresh, err := svc.Templates.Templates(ctx, conn)
	if err != nil {
		return false, err
	}
	if err := svc.Texts.SaveTextTemplates(ctx, conn.ID, fresh); err != nil {
		return false, err
	}
	return templateStatus(fresh, def) == app.TemplateApproved, nil
}

func templateStatus(ts []app.TextTemplate, def app.TemplateDefinition) app.TextTemplateStatus {
	for _, t := range ts {
		if t.Name == def.Name && t.Language == def.Language {
			return t.Status
		}
	}
	return app.TemplateMissing
}

// paceText waits for a slot within the sender's published throughput (up to
// paceWait, then ErrRateLimited gives the task back to the queue) and, on
// WhatsApp, within Meta's one-message-per-6-s pair limit.
func (svc *Service) paceText(ctx context.Context, conn *app.ChannelConnection, sender app.TextSender, phoneHash string) error {
	if conn.Channel == app.ChannelWhatsApp {
		ok, err := svc.RateLimiter.Allow(ctx, "text:pair:"+conn.ID+":"+phoneHash, 1, pairWindow)
		if err != nil {
			return err
		}
		if !ok {
			return app.Errorf(app.ErrRateLimited, "one WhatsApp message per 6 s to one customer")
		}
	}
	// 90 % of the published rate: a request allowed here reaches the
	// provider a few milliseconds later, and at 100 % that jitter puts an
	// 81st message into some second of the provider's count (measured:
	// 65 refusals in 2,000 messages at 80/s, none at 72/s).
	perSecond := max(1, sender.PerSecond(conn)*9/10)
	deadline := time.Now().Add(paceWait)
	for {
		ok, err := svc.RateLimiter.Allow(ctx, "text:rate:"+conn.ID, perSecond, time.Second)
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return app.Errorf(app.ErrRateLimited, "the %s sender is at its %d messages per second", conn.Channel, perSecond)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(20+rand.IntN(60)) * time.Millisecond):
		}
	}
}

// TextReport applies a provider's report to the shop's text: a status moves
// the text forward only (a late "sent" never undoes "delivered"); a reply
// that says STOP or BAJA (or that the provider marked an opt-out) withdraws
// the customer's consent on that channel at once.
func (svc *Service) TextReport(ctx context.Context, conn *app.ChannelConnection, r app.TextReport) error {
	if r.Status == "" {
		if !r.OptOut && !app.IsOptOutReply(r.Body) {
			return nil // a customer's message: the merchant answers it in their own inbox
		}
		numbers := phone.WhatsAppNumbers(r.From)
		if conn.Channel == app.ChannelSMS {
			numbers = nil
			if e164, ok := phone.Normalize(r.From, ""); ok {
				numbers = []string{e164} // Twilio's From is E.164
			}
		}
		svc.Log.InfoContext(ctx, "customer opted out by reply", "shop_id", conn.ShopID, "channel", conn.Channel, "numbers", len(numbers))
		for _, e164 := range numbers {
			if err := svc.Texts.RevokeConsent(ctx, conn.ShopID, app.PhoneHash(e164), conn.Channel, "stop_reply", svc.Clock.Now()); err != nil {
				return err
			}
		}
		return nil
	}
	m, err := svc.textOfReport(ctx, conn, r)
	if err != nil || m == nil {
		return err
	}
	reason, detail := app.TextReason(""), ""
	if r.Status == app.TextFailed {
		reason, detail = app.TextReasonUndelivered, strings.TrimSpace(r.ErrorCode+" "+r.ErrorTitle)
	}
	at := r.At
	if at.IsZero() {
		at = svc.Clock.Now()
	}
	moved, err := svc.Texts.ApplyTextReport(ctx, m.ID, r.Status, at, reason, detail)
	if moved && r.Status != app.TextSent {
		outcome := string(r.Status)
		if r.Status == app.TextFailed {
			outcome = "undelivered"
		}
		svc.Metrics.TextOutcome(m.Channel, outcome)
	}
	return err
}

// Reports can overtake their send's record: the provider posts "sent" and
// "delivered" as soon as it accepts the message, while SendText records the
// message's id only when the provider's answer is back.
const (
	reportWait   = 3 * time.Second // how long a report waits for its send's record
	reportRetain = 2 * time.Minute // a younger report not found is asked again (503)
)

// textOfReport finds the text a status report is about, waiting a moment
// for a send still being recorded. nil without error: not Waybill's text (a
// test message, or a deleted shop's), or a report too old to wait for.
// ErrUnavailable: a recent report whose text is not recorded yet, which
// the provider sends again.
func (svc *Service) textOfReport(ctx context.Context, conn *app.ChannelConnection, r app.TextReport) (*app.CustomerText, error) {
	if r.ProviderMessageID == conn.TestMessageID {
		return nil, nil // the merchant's test message
	}
	deadline := time.Now().Add(reportWait)
	for {
		m, err := svc.Texts.TextByProviderID(ctx, conn.Channel, r.ProviderMessageID)
		switch {
		case err == nil && m.ShopID != conn.ShopID:
			return nil, nil
		case err == nil:
			return m, nil
		case app.ErrorCodeOf(err) != app.ErrNotFound:
			return nil, err
		case time.Now().After(deadline):
			if !r.At.IsZero() && svc.Clock.Now().Sub(r.At) < reportRetain {
				return nil, app.Errorf(app.ErrUnavailable, "no text has this message id yet")
			}
			return nil, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
