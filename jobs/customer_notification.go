package jobs

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hibiken/asynq"
)

// TypeCustomerNotification sends one customer email: a (shipment, event)
// recorded in the notification log, sent once whatever the retries — except
// after a crash between the mail server's acceptance and the record, when
// the recovered task sends it again with the same Message-ID (see
// shipping.SendEmail).
const TypeCustomerNotification = "notification:email"

// CustomerNotificationPayload names the notification.
type CustomerNotificationPayload struct {
	Shop           string `json:"shop"`
	NotificationID string `json:"notification_id"`
}

// NewCustomerNotificationTask returns the task, unique per notification.
func NewCustomerNotificationTask(shop, notificationID string) (*asynq.Task, []asynq.Option, error) {
	b, err := json.Marshal(CustomerNotificationPayload{Shop: shop, NotificationID: notificationID})
	return asynq.NewTask(TypeCustomerNotification, b), []asynq.Option{
		asynq.Queue(QueueEmail), asynq.MaxRetry(8), asynq.Timeout(time.Minute),
		asynq.TaskID(TypeCustomerNotification + ":" + notificationID), asynq.Retention(24 * time.Hour),
	}, err
}

// QueueNotificationEmail implements app.Dispatcher.
func (c *Client) QueueNotificationEmail(ctx context.Context, shop, notificationID string) error {
	return c.enqueue(ctx)(NewCustomerNotificationTask(shop, notificationID))
}

func (d Deps) handleCustomerNotification(ctx context.Context, t *asynq.Task) error {
	var p CustomerNotificationPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return outcome(d.Shipping.SendEmail(ctx, p.NotificationID, lastTry(ctx)))
}
