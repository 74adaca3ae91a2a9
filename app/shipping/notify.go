package shipping

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/email"
)

// notify decides whether the customer hears of (shipment, event) from
// Waybill: when the shop has Waybill email its customers and the source did
// not ask for silence. It records the email once per (shipment, event) and
// queues it; a second call for the same pair does nothing. A failure here
// never undoes the step that caused it: a recorded email the queue did not
// take is queued by the stalled sweep, and one not recorded is logged.
//
// The texts (WhatsApp, SMS) are decided beside it, whoever sends the emails
// (notifyTexts in texts.go).
func (svc *Service) notify(ctx context.Context, shop *app.Shop, s *app.Shipment, e app.NotificationEvent) {
	if !s.NotifyCustomer || s.State == app.ShipmentCancelled {
		return
	}
	svc.notifyTexts(ctx, shop, s, e)
	if shop.CustomerEmails != app.CustomerEmailsWaybill {
		return
	}
	n, created, err := svc.Notifications.QueueNotification(ctx, &app.Notification{ShopID: shop.ID, ShipmentID: s.ID, Event: e,
		EventKey: app.NotificationKey(e, s.TrackingNumber)})
	if err != nil {
		svc.Log.WarnContext(ctx, "notification not recorded", "shop", shop.Domain, "shipment_id", s.ID, "event", e, "err", err)
		return
	}
	if !created && n.Status != app.NotificationQueued {
		return
	}
	if err := svc.Dispatch.QueueNotificationEmail(ctx, shop.Domain, n.ID); err != nil {
		svc.Log.WarnContext(ctx, "email not queued yet", "shop", shop.Domain, "notification_id", n.ID, "err", err)
	}
}

// ResendRequest is the merchant's resend: which email (default "shipped")
// and an optional personal note.
type ResendRequest struct {
	Event app.NotificationEvent `json:"event"`
	Note  string                `json:"note"`
}

// Resend records a new email of the event the merchant chose for a synced
// shipment, with the merchant's note, and queues it. Only an event that fits
// the parcel's status now may be resent (ResendableEvents).
func (svc *Service) Resend(ctx context.Context, shop *app.Shop, shipmentID string, in ResendRequest) (*app.Notification, error) {
	if in.Event == "" {
		in.Event = app.NotifyShipped
	}
	if !in.Event.Valid() {
		return nil, app.Errorf(app.ErrInvalid, "event must be one of %s", eventNames())
	}
	note, err := checkNote(in.Note)
	if err != nil {
		return nil, err
	}
	s, err := svc.Owned(ctx, shop, shipmentID)
	if err != nil {
		return nil, err
	}
	if s.State != app.ShipmentSynced {
		return nil, app.Errorf(app.ErrConflict, "the shipment is not in Shopify yet: its email goes out when it is")
	}
	if !slices.Contains(ResendableEvents(s), in.Event) {
		return nil, app.Errorf(app.ErrConflict, "the %s email does not fit this shipment: its parcel is %s; it can get %s",
			in.Event, parcelWords(s), joinEvents(ResendableEvents(s)))
	}
	settings, err := svc.Notifications.NotificationSettings(ctx, shop.ID)
	if err != nil {
		return nil, err
	}
	if !settings.Enabled(in.Event) {
		return nil, app.Errorf(app.ErrConflict, "the %s email is switched off in the notification settings: switch it on to send it", in.Event)
	}
	n, _, err := svc.Notifications.QueueNotification(ctx, &app.Notification{ShopID: shop.ID, ShipmentID: s.ID, Event: in.Event,
		EventKey: "resend:" + app.NewID(), Note: note})
	if err != nil {
		return nil, err
	}
	if err := svc.Dispatch.QueueNotificationEmail(ctx, shop.Domain, n.ID); err != nil {
		return nil, err
	}
	return n, nil
}

// SendEmail sends one recorded notification, once: whatever it decides
// (sent, skipped, suppressed, failed) is recorded on the notification.
// lastTry says no retry follows, so an unreachable server is recorded as a
// failure. Errors: ErrInvalid when the mail server refused for good or the
// mail configuration is wrong (final), others are worth a retry.
//
// Only a crash between the mail server's acceptance and the record can send
// an email twice, and that cannot be closed (the server and the database
// commit apart). It is narrowed and defused: the send is recorded as in
// flight before the server is reached and as sent right after; a send that
// finds it in flight sends again with the same Message-ID (one per
// notification), which mail clients show once, and logs a possible repeat.
func (svc *Service) SendEmail(ctx context.Context, notificationID string, lastTry bool) error {
	n, err := svc.Notifications.NotificationByID(ctx, notificationID)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return nil // the shop's data was deleted
	}
	if err != nil {
		return err
	}
	if n.Status != app.NotificationQueued {
		return nil // sent, suppressed, skipped or failed already: once only
	}
	// record stores the email's outcome and counts it (queued again is no
	// outcome): the one place every outcome passes.
	recordIn := func(ctx context.Context, status app.NotificationStatus, recipient, locale string, reason app.NotificationReason, why string) error {
		if err := svc.Notifications.SetNotificationStatus(ctx, n.ID, status, recipient, locale, reason, why); err != nil {
			return err
		}
		if status != app.NotificationQueued {
			svc.Metrics.EmailOutcome(n.Event, status)
		}
		return nil
	}
	record := func(status app.NotificationStatus, recipient, locale string, reason app.NotificationReason, why string) error {
		return recordIn(ctx, status, recipient, locale, reason, why)
	}
	shop, err := svc.Shops.ShopByID(ctx, n.ShopID)
	if err != nil && app.ErrorCodeOf(err) != app.ErrNotFound {
		return err
	}
	if err != nil || shop.UninstalledAt != nil {
		return record(app.NotificationSkipped, "", "", app.ReasonSkippedUninstalled, "The shop has uninstalled Waybill.")
	}
	s, err := svc.Shipments.ShipmentByID(ctx, n.ShipmentID)
	if err != nil {
		return err
	}
	if s.State == app.ShipmentCancelled {
		return record(app.NotificationSkipped, "", "", app.ReasonSkippedCancelled, "The fulfillment was cancelled in Shopify.")
	}
	settings, err := svc.Notifications.NotificationSettings(ctx, shop.ID)
	if err != nil {
		return err
	}
	if !settings.Enabled(n.Event) {
		return record(app.NotificationSkipped, "", "", app.ReasonSwitchedOff, "This email is switched off in the notification settings.")
	}
	order, err := svc.Orders.OrderByID(ctx, shop.ID, s.OrderID)
	if err != nil && app.ErrorCodeOf(err) != app.ErrNotFound {
		return err
	}
	if err != nil || order.Email == "" {
		return record(app.NotificationSkipped, "", "", app.ReasonNoEmail, "The order has no email address.")
	}
	locale := svc.Emails.Locale(order.CustomerLocale, settings.PrimaryLocale)
	if suppressed, err := svc.Notifications.Suppressed(ctx, shop.ID, order.Email); err != nil {
		return err
	} else if suppressed {
		return record(app.NotificationSuppressed, order.Email, locale, app.ReasonSuppressed, "The customer unsubscribed from shipping emails.")
	}
	if prefs, err := svc.Texts.Preferences(ctx, shop.ID, app.EmailHash(order.Email)); err != nil {
		return err
	} else if !prefs.Wants(app.ChannelEmail, n.Event) {
		return record(app.NotificationSuppressed, order.Email, locale, app.ReasonPreferenceOff, "The customer chose not to hear about this by email.")
	}

	msg := svc.message(shop, settings, n.Event, locale, s)
	msg.CustomerFirstName = order.CustomerFirstName
	msg.UnsubscribeURL = svc.Unsubscribes.URL(shop.ID, order.Email, locale)
	msg.TrackingPageURL = svc.TrackingLinks.URL(shop.Domain, shop.ID, order.ID)
	msg.Note = n.Note
	rendered, err := svc.Emails.Render(msg, settings.Override(locale, n.Event))
	if err != nil {
		return record(app.NotificationFailed, order.Email, locale, app.ReasonRenderFailed, "The email could not be rendered: "+err.Error())
	}
	if marked, err := svc.Notifications.MarkNotificationSending(ctx, n.ID); err != nil {
		return err
	} else if !marked {
		return nil // another run recorded its outcome meanwhile
	}
	if n.SendingAt != nil {
		// No personal data: ids and the event only.
		svc.Log.WarnContext(ctx, "customer email: possible repeat, sent again with the same Message-ID", "shop", shop.Domain,
			"notification_id", n.ID, "event", n.Event, "attempt", n.SendAttempts+1, "previous_attempt_at", *n.SendingAt)
	}
	e := envelope(shop, settings, order.Email, rendered, msg.UnsubscribeURL)
	e.MessageID = n.MessageID()
	err = svc.Mailer.Send(ctx, e)
	switch {
	case err == nil && !svc.Mailer.Sends():
		return record(app.NotificationSkipped, order.Email, locale, app.ReasonSMTPNotConfigured, "Rendered and logged, not sent: SMTP_URL is not set.")
	case err == nil:
		svc.Log.InfoContext(ctx, "customer email sent", "shop", shop.Domain, "notification_id", n.ID, "event", n.Event, "locale", locale)
		// The server has it: a worker shutting down or the task's timeout
		// must not stop the record (that would send it again).
		recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordSentTimeout)
		defer cancel()
		return recordIn(recordCtx, app.NotificationSent, order.Email, locale, "", "")
	case app.ErrorCodeOf(err) == app.ErrInvalid:
		// The server refused the message for good (5xx), or SMTP_URL is
		// wrong (login refused, no login method, TLS missing): retrying
		// cannot help. The error's message says what is wrong and what to
		// change, then the server's answer; the mail adapter keeps
		// addresses and credentials out of it.
		return joinRecorded(err, record(app.NotificationFailed, order.Email, locale, app.ReasonSMTPRefused, err.Error()))
	case lastTry:
		return joinRecorded(err, record(app.NotificationFailed, order.Email, locale, app.ReasonUnreachable, "The mail server could not be reached after several attempts."))
	}
	// The server did not take it: no longer in flight, so the retry is no
	// possible repeat.
	return joinRecorded(err, record(app.NotificationQueued, "", "", "", ""))
}

// recordSentTimeout bounds recording a send the server accepted, which goes
// on after the task's context ends.
const recordSentTimeout = 10 * time.Second

// joinRecorded keeps a send's error (its code decides retry or not) and adds
// a failure to record it, which the caller must see too.
func joinRecorded(err, recordErr error) error {
	if recordErr != nil {
		return &app.Error{Code: app.ErrorCodeOf(err), Message: app.ErrorMessageOf(err) + "; and recording it failed", Err: recordErr}
	}
	return err
}

// message is what an email about shipment s says, for the shop's customers
// and for the merchant's preview alike; the recipient's own parts (first
// name, unsubscribe and tracking page links) are the caller's.
func (svc *Service) message(shop *app.Shop, settings app.NotificationSettings, e app.NotificationEvent, locale string, s *app.Shipment) email.Message {
	m := email.Message{Event: e, Locale: locale, ShopName: shop.DisplayName(), ShopEmail: shop.Email, Brand: settings.Branding,
		OrderName: s.OrderName, Carrier: s.Carrier, TrackingNumber: s.TrackingNumber, TrackingURL: s.TrackingURL,
		EstimatedDelivery: s.EstimatedDeliveryAt, DeliveryFrom: s.DeliveryWindowFrom, DeliveryTo: s.DeliveryWindowTo, Location: shop.Location()}
	if e == app.NotifyDelayed {
		// A delayed parcel's estimate is past: only one still ahead is said.
		now := svc.Clock.Now()
		if m.EstimatedDelivery != nil && m.EstimatedDelivery.Before(now) {
			m.EstimatedDelivery = nil
		}
		if m.DeliveryTo != nil && m.DeliveryTo.Before(now) {
			m.DeliveryFrom, m.DeliveryTo = nil, nil
		}
	}
	for _, li := range s.LineItems {
		title := li.Title
		if title == "" {
			title = li.SKU
		}
		m.Items = append(m.Items, email.Item{Title: title, Quantity: li.Quantity})
	}
	return m
}

// envelope addresses a rendered email from the shop: its sender name and
// reply-to from the branding, else the store's name and address.
func envelope(shop *app.Shop, settings app.NotificationSettings, to string, r email.Rendered, unsubscribeURL string) app.Email {
	e := app.Email{FromName: settings.Branding.SenderName, To: to, ReplyTo: settings.Branding.ReplyTo, Subject: r.Subject,
		HTML: r.HTML, Text: r.Text, UnsubscribeURL: unsubscribeURL, Locale: r.Locale}
	if e.FromName == "" {
		e.FromName = shop.DisplayName()
	}
	if e.ReplyTo == "" {
		e.ReplyTo = shop.Email
	}
	return e
}

// PreviewRequest renders an email without saving anything: the admin's live
// preview passes the branding and template being edited.
type PreviewRequest struct {
	Event      app.NotificationEvent `json:"event"`
	Locale     string                `json:"locale"`
	ShipmentID string                `json:"shipment_id"`
	Branding   *app.Branding         `json:"branding"`
	Template   *app.TemplateOverride `json:"template"`
	// Note previews a resend's personal note.
	Note string `json:"note"`
	To   string `json:"to"` // test send only; default the store's email
}

// Preview renders the email the request describes: the shop's settings with
// the edits applied, about the given shipment — its items, carrier, number,
// customer and its order's page on this store — or, without one, sample
// data with this store's tracking page.
func (svc *Service) Preview(ctx context.Context, shop *app.Shop, in PreviewRequest) (email.Rendered, app.NotificationSettings, error) {
	if !in.Event.Valid() {
		return email.Rendered{}, app.NotificationSettings{}, app.Errorf(app.ErrInvalid, "event must be one of %s", eventNames())
	}
	note, err := checkNote(in.Note)
	if err != nil {
		return email.Rendered{}, app.NotificationSettings{}, err
	}
	settings, err := svc.Notifications.NotificationSettings(ctx, shop.ID)
	if err != nil {
		return email.Rendered{}, settings, err
	}
	if in.Branding != nil {
		settings.Branding = *in.Branding
	}
	locale := svc.Emails.Locale(in.Locale, settings.PrimaryLocale)
	override := settings.Override(locale, in.Event)
	if in.Template != nil {
		override = in.Template
		settings.Templates = map[string]map[app.NotificationEvent]app.TemplateOverride{locale: {in.Event: *in.Template}}
	}
	if err := svc.Emails.ValidateSettings(settings); err != nil {
		return email.Rendered{}, settings, err
	}
	var m email.Message
	if in.ShipmentID != "" {
		s, err := svc.Owned(ctx, shop, in.ShipmentID)
		if err != nil {
			return email.Rendered{}, settings, err
		}
		m = svc.message(shop, settings, in.Event, locale, s)
		if s.OrderID > 0 {
			order, err := svc.Orders.OrderByID(ctx, shop.ID, s.OrderID)
			switch {
			case err == nil:
				m.CustomerFirstName = order.CustomerFirstName
			case app.ErrorCodeOf(err) != app.ErrNotFound:
				return email.Rendered{}, settings, err
			}
			m.TrackingPageURL = svc.TrackingLinks.URL(shop.Domain, shop.ID, s.OrderID)
		}
	} else {
		m = email.Sample(in.Event, locale)
		// This store's tracking page (it asks for the order and email):
		// never a sample store's.
		m.TrackingPageURL = "https://" + shop.Domain + "/apps/track"
		m.Location = shop.Location()
	}
	m.ShopName, m.ShopEmail, m.Brand, m.Note = shop.DisplayName(), shop.Email, settings.Branding, note
	m.UnsubscribeURL = svc.Unsubscribes.URL(shop.ID, "preview@example.com", locale)
	out, err := svc.Emails.Render(m, override)
	return out, settings, err
}

// TestResult is what a test send did: Sent is false, with the reason, when
// the mailer only logs (no SMTP_URL).
type TestResult struct {
	Sent    bool                   `json:"sent"`
	Reason  app.NotificationReason `json:"reason,omitempty"`
	To      string                 `json:"to"`
	Subject string                 `json:"subject"`
}

// TestSend sends the preview to the merchant (the store's address unless the
// request names one) and says whether it really left.
func (svc *Service) TestSend(ctx context.Context, shop *app.Shop, in PreviewRequest) (TestResult, error) {
	out, settings, err := svc.Preview(ctx, shop, in)
	if err != nil {
		return TestResult{}, err
	}
	to := strings.TrimSpace(in.To)
	if to == "" {
		to = shop.Email
	}
	if to == "" {
		return TestResult{}, app.Errorf(app.ErrInvalid, "the store has no email address yet: give \"to\"")
	}
	out.Subject = "[Test] " + out.Subject
	if err := svc.Mailer.Send(ctx, envelope(shop, settings, to, out, "")); err != nil {
		return TestResult{}, err
	}
	if !svc.Mailer.Sends() {
		return TestResult{Sent: false, Reason: app.ReasonSMTPNotConfigured, To: to, Subject: out.Subject}, nil
	}
	return TestResult{Sent: true, To: to, Subject: out.Subject}, nil
}

// ResendableEvents are the emails that fit a shipment now, which the
// merchant may send again: none before it is in Shopify; "shipped" and
// "tracking_updated" until it is delivered; the event of its parcel status
// (out for delivery, delivery attempted, ready for pickup, delivered,
// problem); "delayed" while it is stalled and not delivered. The admin's
// resend form offers the same list (frontend/src/pages/EmailLog.tsx).
func ResendableEvents(s *app.Shipment) []app.NotificationEvent {
	if s.State != app.ShipmentSynced {
		return nil
	}
	var out []app.NotificationEvent
	if s.Status != app.StatusDelivered {
		out = append(out, app.NotifyShipped, app.NotifyTrackingUpdated)
	}
	switch s.Status {
	case app.StatusOutForDelivery:
		out = append(out, app.NotifyOutForDelivery)
	case app.StatusAttemptedDelivery:
		out = append(out, app.NotifyAttemptedDelivery)
	case app.StatusAvailableForPickup:
		out = append(out, app.NotifyReadyForPickup)
	case app.StatusDelivered:
		out = append(out, app.NotifyDelivered)
	case app.StatusException:
		out = append(out, app.NotifyDeliveryException)
	}
	if s.StalledAt != nil && s.Status != app.StatusDelivered {
		out = append(out, app.NotifyDelayed)
	}
	return out
}

// parcelWords names a parcel's status for a refusal.
func parcelWords(s *app.Shipment) string {
	if s.Status == "" {
		return "not scanned by the carrier yet"
	}
	return strings.ReplaceAll(string(s.Status), "_", " ")
}

func joinEvents(events []app.NotificationEvent) string {
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = string(e)
	}
	return strings.Join(names, ", ")
}

// checkNote is a resend's personal note, trimmed, or the reason it is refused.
func checkNote(note string) (string, error) {
	note = strings.TrimSpace(note)
	if msg := app.TextProblem("note", note, app.MaxNoteLength); msg != "" {
		return "", app.Errorf(app.ErrInvalid, "%s", msg)
	}
	return note, nil
}

func eventNames() string {
	return joinEvents(app.NotificationEvents)
}
