package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/email"
)

// TypeCustomerNotification sends one customer email: a (shipment, event)
// recorded in the notification log, sent once whatever the retries.
const TypeCustomerNotification = "notification:email"

// CustomerNotificationPayload names the notification.
type CustomerNotificationPayload struct {
	Shop           string `json:"shop"`
	NotificationID string `json:"notification_id"`
}

const customerNotificationMaxRetry = 8

// NewCustomerNotificationTask returns the task, unique per notification.
func NewCustomerNotificationTask(shop, notificationID string) (*asynq.Task, []asynq.Option) {
	b, _ := json.Marshal(CustomerNotificationPayload{Shop: shop, NotificationID: notificationID})
	return asynq.NewTask(TypeCustomerNotification, b), []asynq.Option{
		asynq.Queue(QueueEmail), asynq.MaxRetry(customerNotificationMaxRetry), asynq.Timeout(time.Minute),
		asynq.TaskID(TypeCustomerNotification + ":" + notificationID), asynq.Retention(24 * time.Hour),
	}
}

// QueueEmail implements app.Dispatcher.
func (c *Client) QueueEmail(ctx context.Context, shop, notificationID string) error {
	t, opts := NewCustomerNotificationTask(shop, notificationID)
	return c.enqueue(ctx, t, opts...)
}

// notify records (shipment, event) in the log and queues its email, when the
// shop has Waybill email its customers and the source did not ask for
// silence. A second call for the same (shipment, event) does nothing.
func (d Deps) notify(ctx context.Context, shop *app.Shop, s *app.Shipment, e app.NotificationEvent) {
	if shop.CustomerEmails != app.CustomerEmailsWaybill || !s.NotifyCustomer || d.Notifications == nil {
		return
	}
	n, created, err := d.Notifications.QueueNotification(ctx, &app.Notification{ShopID: shop.ID, ShipmentID: s.ID, Event: e,
		EventKey: app.NotificationKey(e, s.TrackingNumber)})
	if err != nil {
		d.Log.WarnContext(ctx, "notification not recorded", "shop", shop.Domain, "shipment_id", s.ID, "event", e, "err", err)
		return
	}
	if !created && n.Status != app.NotificationQueued {
		return
	}
	if err := d.Dispatch.QueueEmail(ctx, shop.Domain, n.ID); err != nil {
		// Recorded as queued: the stalled-notification sweep queues it later.
		d.Log.WarnContext(ctx, "email not queued yet", "shop", shop.Domain, "notification_id", n.ID, "err", err)
	}
}

func (d Deps) handleCustomerNotification(ctx context.Context, t *asynq.Task) error {
	var p CustomerNotificationPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return final(fmt.Errorf("notification payload: %w", err))
	}
	n, err := d.Notifications.NotificationByID(ctx, p.NotificationID)
	if app.ErrorCodeOf(err) == app.ErrNotFound {
		return nil // the shop's data was deleted
	}
	if err != nil {
		return err
	}
	if n.Status != app.NotificationQueued {
		return nil // sent, suppressed, skipped or failed already: once only
	}
	skip := func(status app.NotificationStatus, recipient, locale, why string) error {
		return d.Notifications.SetNotificationStatus(ctx, n.ID, status, recipient, locale, why)
	}
	shop, err := d.Shops.ShopByID(ctx, n.ShopID)
	if err != nil || shop.UninstalledAt != nil {
		return skip(app.NotificationSkipped, "", "", "The shop has uninstalled Waybill.")
	}
	s, err := d.Shipments.ShipmentByID(ctx, n.ShipmentID)
	if err != nil {
		return err
	}
	settings, err := d.Notifications.NotificationSettings(ctx, shop.ID)
	if err != nil {
		return err
	}
	if !settings.Enabled(n.Event) {
		return skip(app.NotificationSkipped, "", "", "This email is switched off in the notification settings.")
	}
	order, err := d.Orders.OrderByID(ctx, shop.ID, s.OrderID)
	if err != nil || order.Email == "" {
		return skip(app.NotificationSkipped, "", "", "The order has no email address.")
	}
	locale := d.Renderer.Locale(order.CustomerLocale, settings.PrimaryLocale)
	if suppressed, err := d.Notifications.Suppressed(ctx, shop.ID, order.Email); err != nil {
		return err
	} else if suppressed {
		return skip(app.NotificationSuppressed, order.Email, locale, "The customer unsubscribed from shipping emails.")
	}

	msg := email.Message{Event: n.Event, Locale: locale, ShopName: shop.DisplayName(), ShopEmail: shop.Email,
		CustomerFirstName: order.CustomerFirstName, OrderName: s.OrderName, Carrier: s.Carrier, TrackingNumber: s.TrackingNumber,
		TrackingURL: s.TrackingURL, UnsubscribeURL: d.Unsubscribes.URL(shop.ID, order.Email, locale), Brand: settings.Branding,
		TrackingPageURL: d.TrackingLinks.URL(shop.Domain, shop.ID, order.ID)}
	for _, li := range s.LineItems {
		title := li.Title
		if title == "" {
			title = li.SKU
		}
		msg.Items = append(msg.Items, email.Item{Title: title, Quantity: li.Quantity})
	}
	rendered, err := d.Renderer.Render(msg, settings.Override(locale, n.Event))
	if err != nil {
		return skip(app.NotificationFailed, order.Email, locale, "The email could not be rendered: "+err.Error())
	}
	e := app.Email{FromName: settings.Branding.SenderName, To: order.Email, ReplyTo: settings.Branding.ReplyTo, Subject: rendered.Subject,
		HTML: rendered.HTML, Text: rendered.Text, UnsubscribeURL: msg.UnsubscribeURL, Locale: locale}
	if e.FromName == "" {
		e.FromName = shop.DisplayName()
	}
	if e.ReplyTo == "" {
		e.ReplyTo = shop.Email
	}
	err = d.Mailer.Send(ctx, e)
	retried, _ := asynq.GetRetryCount(ctx)
	switch {
	case err == nil && !reallySends(d.Mailer):
		return skip(app.NotificationSkipped, order.Email, locale, "Rendered and logged, not sent: SMTP_URL is not set.")
	case err == nil:
		d.Log.InfoContext(ctx, "customer email sent", "shop", shop.Domain, "notification_id", n.ID, "event", n.Event, "locale", locale)
		return d.Notifications.SetNotificationStatus(ctx, n.ID, app.NotificationSent, order.Email, locale, "")
	case app.ErrorCodeOf(err) == app.ErrInvalid:
		// The server refused the message for good (5xx): retrying cannot help.
		skip(app.NotificationFailed, order.Email, locale, err.Error()) // the mail adapter keeps addresses out
		return final(err)
	case retried >= customerNotificationMaxRetry:
		skip(app.NotificationFailed, order.Email, locale, "The mail server could not be reached after several attempts.")
		return err
	}
	return err
}

// reallySends is false for a mailer that only logs (no SMTP_URL): its
// emails must not count as sent.
func reallySends(m app.Mailer) bool {
	s, ok := m.(interface{ Sends() bool })
	return !ok || s.Sends()
}
