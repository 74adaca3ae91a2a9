package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// NotificationEvent is what a customer email is about.
type NotificationEvent string

const (
	NotifyShipped           NotificationEvent = "shipped"          // the first tracking number
	NotifyTrackingUpdated   NotificationEvent = "tracking_updated" // number or carrier changed
	NotifyOutForDelivery    NotificationEvent = "out_for_delivery"
	NotifyDelivered         NotificationEvent = "delivered"
	NotifyDeliveryException NotificationEvent = "delivery_exception"
	NotifyAttemptedDelivery NotificationEvent = "attempted_delivery"
	NotifyReadyForPickup    NotificationEvent = "ready_for_pickup"
	// NotifyDelayed: the parcel stalled (no carrier news for days, or past
	// its estimated delivery). Off until the merchant switches it on.
	NotifyDelayed NotificationEvent = "delayed"
)

// NotificationEvents are all events, in the order the admin lists them.
var NotificationEvents = []NotificationEvent{NotifyShipped, NotifyTrackingUpdated, NotifyOutForDelivery, NotifyAttemptedDelivery,
	NotifyReadyForPickup, NotifyDelivered, NotifyDeliveryException, NotifyDelayed}

// OptInEvents are off until the merchant switches them on.
var OptInEvents = []NotificationEvent{NotifyDelayed}

// Valid reports whether e is a known event.
func (e NotificationEvent) Valid() bool { return slices.Contains(NotificationEvents, e) }

// Branding makes the emails look like the store.
type Branding struct {
	LogoURL     string `json:"logo_url"`
	AccentColor string `json:"accent_color"` // #rrggbb
	SenderName  string `json:"sender_name"`
	ReplyTo     string `json:"reply_to"`
	FooterText  string `json:"footer_text"`
}

// TemplateOverride replaces the subject or introduction of one event's email
// in one locale (text/template with the email's fields, e.g. {{.OrderName}}).
type TemplateOverride struct {
	Subject string `json:"subject"`
	Intro   string `json:"intro"`
}

// NotificationSettings are a shop's email choices.
type NotificationSettings struct {
	ShopID        string                                            `json:"-"`
	Branding      Branding                                          `json:"branding"`
	PrimaryLocale string                                            `json:"primary_locale"`
	Disabled      map[NotificationEvent]bool                        `json:"disabled_events"`
	Templates     map[string]map[NotificationEvent]TemplateOverride `json:"templates"` // locale → event → override
}

// Enabled reports whether the shop sends e.
func (s NotificationSettings) Enabled(e NotificationEvent) bool { return !s.Disabled[e] }

// Override returns the shop's override for (locale, event), if any.
func (s NotificationSettings) Override(locale string, e NotificationEvent) *TemplateOverride {
	if o, ok := s.Templates[locale][e]; ok && (o.Subject != "" || o.Intro != "") {
		return &o
	}
	return nil
}

// NotificationStatus is where an email is.
type NotificationStatus string

const (
	NotificationQueued     NotificationStatus = "queued"
	NotificationSent       NotificationStatus = "sent"
	NotificationFailed     NotificationStatus = "failed"
	NotificationSuppressed NotificationStatus = "suppressed" // the customer unsubscribed
	NotificationSkipped    NotificationStatus = "skipped"    // event off, no address, …
)

// NotificationStatuses are all statuses, in the order the admin lists them.
var NotificationStatuses = []NotificationStatus{NotificationQueued, NotificationSent, NotificationFailed, NotificationSuppressed, NotificationSkipped}

// Notification is one customer email (to be) sent.
type Notification struct {
	ID         string             `json:"id"`
	ShopID     string             `json:"-"`
	ShipmentID string             `json:"shipment_id"`
	Event      NotificationEvent  `json:"event"`
	EventKey   string             `json:"-"`
	Recipient  string             `json:"recipient"`
	Locale     string             `json:"locale"`
	Status     NotificationStatus `json:"status"`
	// Reason says, as a code the admin words, why the email was not sent
	// (or "" when it was, or is still queued); Detail says it in English,
	// with the mail server's answer when there is one.
	Reason NotificationReason `json:"reason"`
	Detail string             `json:"detail"`
	// Note is the merchant's personal note of a resend: plain text, shown
	// as its own paragraph in the email.
	Note      string     `json:"note"`
	QueuedAt  time.Time  `json:"queued_at"`
	SentAt    *time.Time `json:"sent_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	// SendingAt is set, while the email is still queued, from the moment a
	// send starts until its outcome is recorded: a send that finds it set
	// follows one that may have reached the mail server (a crash between
	// the server's acceptance and the record). SendAttempts counts the
	// sends started.
	SendingAt    *time.Time `json:"-"`
	SendAttempts int        `json:"-"`
}

// MessageID is the left part of the Message-ID of n's email (the mailer adds
// its host): derived from the notification alone, so every send of one
// notification carries the same Message-ID and a repeat after a crash is
// shown once by mail clients such as Gmail. A resend is a new notification,
// with its own.
func (n Notification) MessageID() string { return n.ID }

// NotificationReason is why an email was not sent, as a code.
type NotificationReason string

const (
	ReasonSkippedUninstalled NotificationReason = "skipped_uninstalled" // the shop uninstalled Waybill
	ReasonSkippedCancelled   NotificationReason = "skipped_cancelled"   // the fulfillment was cancelled
	ReasonSwitchedOff        NotificationReason = "switched_off"        // the event is off in the settings
	ReasonNoEmail            NotificationReason = "no_email"            // the order has no address
	ReasonSuppressed         NotificationReason = "suppressed"          // the customer unsubscribed
	ReasonPreferenceOff      NotificationReason = "preference_off"      // the customer chose not to hear of this by email
	ReasonRenderFailed       NotificationReason = "render_failed"       // a template could not be rendered
	ReasonSMTPNotConfigured  NotificationReason = "smtp_not_configured" // no SMTP_URL: rendered and logged only
	ReasonSMTPRefused        NotificationReason = "smtp_refused"        // the server refused for good, or SMTP_URL is wrong
	ReasonUnreachable        NotificationReason = "unreachable"         // the server could not be reached, retries spent
)

// MaxNoteLength bounds a resend's personal note, in characters.
const MaxNoteLength = 500

// NotificationFilter selects a page of a shop's email log.
type NotificationFilter struct {
	// Query matches the order name, partly and literally (% and _ are text).
	Query   string
	Status  NotificationStatus // "" for any
	Page    int                // from 1
	PerPage int
}

// NotificationLogEntry is an email of the log with what names its shipment.
type NotificationLogEntry struct {
	Notification
	OrderName      string `json:"order_name"`
	TrackingNumber string `json:"tracking_number"`
}

// NotificationKey is the once-only key of (event, shipment state): a
// tracking update is keyed by its new number, so each change is told once.
func NotificationKey(e NotificationEvent, trackingNumber string) string {
	if e == NotifyTrackingUpdated {
		return string(e) + ":" + trackingNumber
	}
	return string(e)
}

// EmailHash identifies an address for suppression without storing it.
func EmailHash(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return hex.EncodeToString(sum[:])
}

// NotificationStore keeps settings, the email log and suppressions.
type NotificationStore interface {
	// NotificationSettings returns the shop's settings (defaults when unset).
	NotificationSettings(ctx context.Context, shopID string) (NotificationSettings, error)
	SaveNotificationSettings(ctx context.Context, s NotificationSettings) error
	// QueueNotification records a queued email for (shipment, event key);
	// when one exists already it returns that one and created false.
	QueueNotification(ctx context.Context, n *Notification) (stored *Notification, created bool, err error)
	NotificationByID(ctx context.Context, id string) (*Notification, error)
	// MarkNotificationSending records, committed before the email goes to
	// the mail server, that a send of the queued notification starts
	// (SendingAt, one more SendAttempts); false when it is no longer queued.
	MarkNotificationSending(ctx context.Context, id string) (bool, error)
	// SetNotificationStatus records an outcome (and the recipient and locale
	// used), which ends a send in flight (SendingAt cleared), queued included.
	SetNotificationStatus(ctx context.Context, id string, status NotificationStatus, recipient, locale string, reason NotificationReason, detail string) error
	// StalledNotifications are queued emails not touched since before t.
	StalledNotifications(ctx context.Context, before time.Time, limit int) ([]Notification, error)
	ListNotifications(ctx context.Context, shopID string, page, perPage int) ([]Notification, int64, error)
	// NotificationLog is the shop's log, newest first, filtered (ErrInvalid
	// for a query or status it cannot take), with each shipment's order name
	// and tracking number.
	NotificationLog(ctx context.Context, shopID string, f NotificationFilter) ([]NotificationLogEntry, int64, error)
	// ShipmentNotifications are a shipment's emails, oldest first.
	ShipmentNotifications(ctx context.Context, shipmentID string) ([]Notification, error)
	Suppressed(ctx context.Context, shopID, email string) (bool, error)
	// Suppress records an unsubscribe by address hash.
	Suppress(ctx context.Context, shopID, emailHash string) error
}

// Email is one rendered message.
type Email struct {
	FromName       string
	To             string
	ReplyTo        string
	Subject        string
	HTML           string
	Text           string
	UnsubscribeURL string // List-Unsubscribe (one-click)
	Locale         string
	// MessageID, when set, is the left part of the Message-ID header
	// (letters, digits, dots, dashes); the mailer adds "@" and the app's
	// host, so the same value gives the same Message-ID. Empty: a new one.
	MessageID string
}

// Mailer delivers email. nil means the server accepted the message. Its
// errors are ErrUnavailable when a retry may work (connection refused, 4xx)
// and ErrInvalid when the server refused for good (5xx).
type Mailer interface {
	Send(ctx context.Context, e Email) error
	// Sends is false for a mailer that only logs (no SMTP_URL): its emails
	// are recorded as skipped, never as sent.
	Sends() bool
}
