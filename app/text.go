package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Channel is a way a customer hears from Waybill.
type Channel string

const (
	ChannelEmail    Channel = "email"
	ChannelWhatsApp Channel = "whatsapp" // Meta's WhatsApp Business Platform (Cloud API)
	ChannelSMS      Channel = "sms"      // Twilio's Messages API
)

// TextChannels are the channels that write to a phone, in the order the
// admin and the customer's preferences list them.
var TextChannels = []Channel{ChannelWhatsApp, ChannelSMS}

// Valid reports whether c is a text channel.
func (c Channel) Valid() bool { return c == ChannelWhatsApp || c == ChannelSMS }

// TextEvents are the events a text may be about: fewer than the emails (a
// changed number is not worth a text), and a customer chooses among them on
// the preferences page.
var TextEvents = []NotificationEvent{NotifyShipped, NotifyOutForDelivery, NotifyAttemptedDelivery, NotifyReadyForPickup,
	NotifyDelivered, NotifyDeliveryException, NotifyDelayed}

// PreferenceTopic groups events as a customer chooses them ("shipped, out
// for delivery, delivered, delays, problems").
type PreferenceTopic string

const (
	TopicShipped        PreferenceTopic = "shipped"          // shipped, number changed
	TopicOutForDelivery PreferenceTopic = "out_for_delivery" // out for delivery, ready for pickup
	TopicDelivered      PreferenceTopic = "delivered"
	TopicDelays         PreferenceTopic = "delays"
	TopicProblems       PreferenceTopic = "problems" // delivery attempted, exception
)

// PreferenceTopics are the topics, in the order the preferences page lists them.
var PreferenceTopics = []PreferenceTopic{TopicShipped, TopicOutForDelivery, TopicDelivered, TopicDelays, TopicProblems}

// Topic is the preference topic an event belongs to.
func (e NotificationEvent) Topic() PreferenceTopic {
	switch e {
	case NotifyOutForDelivery, NotifyReadyForPickup:
		return TopicOutForDelivery
	case NotifyDelivered:
		return TopicDelivered
	case NotifyDelayed:
		return TopicDelays
	case NotifyAttemptedDelivery, NotifyDeliveryException:
		return TopicProblems
	}
	return TopicShipped
}

// Text providers.
const (
	ProviderMeta   = "meta"   // WhatsApp Cloud API
	ProviderTwilio = "twilio" // Twilio Programmable Messaging
)

// ChannelConnection is a shop's own account with a text provider: a
// WhatsApp Business Account's phone number, or a Twilio account. Secrets
// are sealed at rest and never shown again after they are saved.
type ChannelConnection struct {
	ID       string  `json:"id"`
	ShopID   string  `json:"-"`
	Channel  Channel `json:"channel"`
	Provider string  `json:"provider"`
	// AccountID is the WhatsApp Business Account id (templates live there)
	// or the Twilio Account SID.
	AccountID string `json:"account_id"`
	// SenderID is the WhatsApp phone number id, or Twilio's sender: an
	// E.164 number or a Messaging Service SID (MG…).
	SenderID string `json:"sender_id"`
	// Token is the provider's access token (Meta: a system user token;
	// Twilio: the auth token, which also signs its callbacks): clear only
	// in memory.
	Token string `json:"-"`
	// AppSecret is the Meta app's secret, which signs WhatsApp webhooks
	// (X-Hub-Signature-256): clear only in memory; empty for Twilio.
	AppSecret string `json:"-"`
	// VerifyToken answers Meta's webhook subscription check
	// (hub.verify_token); Waybill makes it and shows it with the callback
	// URL. Not a secret that protects anything but the handshake.
	VerifyToken string `json:"verify_token,omitempty"`
	TokenHint   string `json:"token_hint"`
	// TestPhone is the merchant's own phone (E.164), where the test message goes.
	TestPhone string     `json:"test_phone"`
	CheckedAt *time.Time `json:"checked_at"`
	// CheckError is the last test's failure as a message code ("" when it worked).
	CheckError string `json:"check_error"`
	// TestMessageID is the provider's id of the last test message: its
	// status reports are acknowledged, not waited for as a text's.
	TestMessageID string    `json:"-"`
	CreatedAt     time.Time `json:"created_at"`
}

// TextTemplateStatus is Meta's review state of a message template.
type TextTemplateStatus string

const (
	TemplateMissing  TextTemplateStatus = "missing" // not created in the account yet
	TemplatePending  TextTemplateStatus = "pending"
	TemplateApproved TextTemplateStatus = "approved"
	TemplateRejected TextTemplateStatus = "rejected"
	TemplatePaused   TextTemplateStatus = "paused"
	TemplateDisabled TextTemplateStatus = "disabled"
)

// TextTemplate is one of Waybill's WhatsApp templates (an event in a
// language) as the merchant's account has it.
type TextTemplate struct {
	Event    NotificationEvent  `json:"event"`
	Language string             `json:"language"` // Meta's code: "es", "en"
	Name     string             `json:"name"`     // waybill_shipped, …
	Status   TextTemplateStatus `json:"status"`
	// Reason is Meta's rejection reason, as Meta words it (an enum such as
	// INVALID_FORMAT), when rejected.
	Reason string `json:"reason"`
}

// TextStatus is where a text is.
type TextStatus string

const (
	TextQueued     TextStatus = "queued"
	TextSent       TextStatus = "sent"      // the provider accepted it
	TextDelivered  TextStatus = "delivered" // the phone has it
	TextRead       TextStatus = "read"      // WhatsApp read receipt
	TextFailed     TextStatus = "failed"
	TextSuppressed TextStatus = "suppressed" // STOP/BAJA, preferences, consent withdrawn
	TextSkipped    TextStatus = "skipped"    // switched off, not connected, no phone, …
)

// TextStatuses are all statuses, in the order the admin lists them.
var TextStatuses = []TextStatus{TextQueued, TextSent, TextDelivered, TextRead, TextFailed, TextSuppressed, TextSkipped}

// textStatusRank orders the provider's reports: a late "sent" never undoes
// a "delivered", a "read" never becomes "delivered".
var textStatusRank = map[TextStatus]int{TextQueued: 0, TextSent: 1, TextDelivered: 2, TextRead: 3}

// After reports whether a provider's report of next moves a message now at s
// forward (failed is final except over delivered/read, which it cannot undo).
func (s TextStatus) After(next TextStatus) bool {
	if s == TextFailed || s == TextSuppressed || s == TextSkipped {
		return false
	}
	if next == TextFailed {
		return s == TextQueued || s == TextSent
	}
	return textStatusRank[next] > textStatusRank[s]
}

// TextReason is why a text was not sent, as a code the admin words.
type TextReason string

const (
	TextReasonSwitchedOff      TextReason = "switched_off"       // the event is off for this channel
	TextReasonNotConnected     TextReason = "not_connected"      // the shop has no account for the channel
	TextReasonNoPhone          TextReason = "no_phone"           // the order has no phone Waybill could read
	TextReasonNoConsent        TextReason = "no_consent"         // the customer never agreed to this channel
	TextReasonOptedOut         TextReason = "opted_out"          // STOP/BAJA, or withdrawn on the preferences page
	TextReasonPreferenceOff    TextReason = "preference_off"     // the customer chose not to hear of this
	TextReasonTemplateMissing  TextReason = "template_not_ready" // WhatsApp template not approved
	TextReasonRecipientRefused TextReason = "recipient_refused"  // the provider refused the number for good
	TextReasonProviderRefused  TextReason = "provider_refused"   // the provider refused the message for good (key, template, …)
	TextReasonUndelivered      TextReason = "undelivered"        // accepted, then reported failed
	TextReasonUnreachable      TextReason = "unreachable"        // the provider could not be reached, retries spent
	TextReasonSkippedUninst    TextReason = "skipped_uninstalled"
	TextReasonSkippedCancelled TextReason = "skipped_cancelled"
)

// CustomerText is one customer text (to be) sent: once per (shipment, event
// key, channel), exactly as emails.
type CustomerText struct {
	ID         string            `json:"id"`
	ShopID     string            `json:"-"`
	ShipmentID string            `json:"shipment_id"`
	Channel    Channel           `json:"channel"`
	Event      NotificationEvent `json:"event"`
	EventKey   string            `json:"-"`
	// Phone is the number written to (E.164), shown to the merchant masked.
	Phone  string     `json:"-"`
	Locale string     `json:"locale"`
	Status TextStatus `json:"status"`
	Reason TextReason `json:"reason"`
	// Detail says what happened in English, with the provider's error code
	// (never the number).
	Detail string `json:"detail"`
	// ProviderMessageID is the provider's id (wamid…, SM…): status reports
	// are matched by it.
	ProviderMessageID string `json:"provider_message_id"`
	// Segments and Encoding: an SMS's length as billed (gsm7 or ucs2).
	Segments    int        `json:"segments"`
	Encoding    string     `json:"encoding"`
	QueuedAt    time.Time  `json:"queued_at"`
	SentAt      *time.Time `json:"sent_at"`
	DeliveredAt *time.Time `json:"delivered_at"`
	ReadAt      *time.Time `json:"read_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	// SendingAt/SendAttempts: as a Notification's, a send in flight.
	SendingAt    *time.Time `json:"-"`
	SendAttempts int        `json:"-"`
}

// TextLogEntry is a text of the log with what names its shipment.
type TextLogEntry struct {
	CustomerText
	OrderName      string `json:"order_name"`
	TrackingNumber string `json:"tracking_number"`
	// PhoneMasked shows the last digits only: "+34 ••• ••• 678".
	PhoneMasked string `json:"phone_masked"`
}

// TextFilter selects a page of a shop's text log.
type TextFilter struct {
	Query   string // order name, partly and literally
	Channel Channel
	Status  TextStatus
	Page    int
	PerPage int
}

// ConsentSource says where a customer agreed to texts: what the merchant
// can show.
type ConsentSource string

const (
	// ConsentTrackingPage: the customer ticked "Recibir avisos por
	// WhatsApp/SMS" on the tracking page or the preferences page.
	ConsentTrackingPage ConsentSource = "tracking_page"
)

// Consent is a customer's agreement to hear on a channel, by phone hash.
type Consent struct {
	ShopID    string        `json:"-"`
	PhoneHash string        `json:"-"`
	Channel   Channel       `json:"channel"`
	Source    ConsentSource `json:"source"`
	GrantedAt time.Time     `json:"granted_at"`
	// RevokedAt is set by STOP/BAJA or the preferences page; a revoked
	// consent is withdrawn until the customer opts in again.
	RevokedAt *time.Time `json:"revoked_at"`
	// RevokedBy is "stop_reply" or "preferences".
	RevokedBy string `json:"revoked_by"`
}

// Active reports whether the consent holds now.
func (c *Consent) Active() bool { return c != nil && c.RevokedAt == nil }

// Preferences are what a customer chose to hear and where, kept per contact
// (the hash of an E.164 phone or of an email address).
type Preferences struct {
	ShopID      string                   `json:"-"`
	ContactHash string                   `json:"-"`
	Channels    map[Channel]bool         `json:"channels"` // false: not on this channel
	Topics      map[PreferenceTopic]bool `json:"topics"`   // false: not about this
	UpdatedAt   time.Time                `json:"updated_at"`
}

// Wants reports whether the customer wants to hear of e on c (everything
// they did not switch off).
func (p Preferences) Wants(c Channel, e NotificationEvent) bool {
	if on, set := p.Channels[c]; set && !on {
		return false
	}
	if on, set := p.Topics[e.Topic()]; set && !on {
		return false
	}
	return true
}

// PhoneHash identifies an E.164 number without storing it (suppressions,
// consents, preferences).
func PhoneHash(e164 string) string {
	sum := sha256.Sum256([]byte("phone:" + e164))
	return hex.EncodeToString(sum[:])
}

// TextSettings are a shop's text choices: per channel, the events switched
// off (TextEvents not listed are on, except OptInEvents until switched on).
type TextSettings struct {
	Disabled map[Channel]map[NotificationEvent]bool `json:"disabled_events"`
}

// Enabled reports whether the shop sends texts of e on c.
func (s TextSettings) Enabled(c Channel, e NotificationEvent) bool {
	if off, set := s.Disabled[c][e]; set {
		return !off
	}
	for _, o := range OptInEvents {
		if o == e {
			return false
		}
	}
	for _, t := range TextEvents {
		if t == e {
			return true
		}
	}
	return false
}

// ContactOptions are what the tracking page's contact button offers: what
// the merchant set ("" hides it).
type ContactOptions struct {
	WhatsApp string `json:"whatsapp"` // E.164, opened as https://wa.me/<digits>
	Email    string `json:"email"`
	Phone    string `json:"phone"` // E.164, opened as tel:
}

// TextStore keeps channel connections, texts, consents, preferences and
// text settings.
type TextStore interface {
	// SaveChannelConnection creates or replaces the shop's connection for
	// its channel (one per channel), secrets sealed.
	SaveChannelConnection(ctx context.Context, c *ChannelConnection) error
	// ChannelConnections lists the shop's connections (secrets clear in
	// memory, for the caller to use, never to show).
	ChannelConnections(ctx context.Context, shopID string) ([]ChannelConnection, error)
	ChannelConnectionByID(ctx context.Context, id string) (*ChannelConnection, error)
	DeleteChannelConnection(ctx context.Context, shopID, id string) error
	// RecordChannelCheck records a test's outcome (checkError "" for
	// success) and the test message's provider id ("" when none was sent).
	RecordChannelCheck(ctx context.Context, id string, checkError, testMessageID string) error
	// SaveTextTemplates replaces what is known of the connection's
	// WhatsApp templates.
	SaveTextTemplates(ctx context.Context, connectionID string, ts []TextTemplate) error
	TextTemplates(ctx context.Context, connectionID string) ([]TextTemplate, error)

	TextSettings(ctx context.Context, shopID string) (TextSettings, error)
	SaveTextSettings(ctx context.Context, shopID string, s TextSettings) error
	ContactOptions(ctx context.Context, shopID string) (ContactOptions, error)
	SaveContactOptions(ctx context.Context, shopID string, c ContactOptions) error

	// QueueText records a queued text for (shipment, event key, channel);
	// when one exists already it returns that one and created false.
	QueueText(ctx context.Context, m *CustomerText) (stored *CustomerText, created bool, err error)
	TextByID(ctx context.Context, id string) (*CustomerText, error)
	// TextByProviderID finds a text by the provider's message id (status
	// reports); ErrNotFound when none.
	TextByProviderID(ctx context.Context, channel Channel, providerMessageID string) (*CustomerText, error)
	// MarkTextSending records that a send of the queued text starts; false
	// when it is no longer queued.
	MarkTextSending(ctx context.Context, id string) (bool, error)
	// SetTextOutcome records a send's outcome (sent with the provider's
	// id, or failed/skipped/suppressed with the reason), ending a send in
	// flight. Queued again clears the flight.
	SetTextOutcome(ctx context.Context, id string, o TextOutcome) error
	// ApplyTextReport moves a sent text by the provider's report, only
	// forward (TextStatus.After); reports whether it moved.
	ApplyTextReport(ctx context.Context, id string, status TextStatus, at time.Time, reason TextReason, detail string) (bool, error)
	// StalledTexts are queued texts not touched since before t.
	StalledTexts(ctx context.Context, before time.Time, limit int) ([]CustomerText, error)
	TextLog(ctx context.Context, shopID string, f TextFilter) ([]TextLogEntry, int64, error)
	ShipmentTexts(ctx context.Context, shipmentID string) ([]CustomerText, error)
	// TextCounts counts the shop's texts by channel and status since t
	// (the dashboard).
	TextCounts(ctx context.Context, shopID string, since time.Time) (map[Channel]map[TextStatus]int64, error)

	// Consent returns the (shop, phone, channel) consent, nil when none.
	Consent(ctx context.Context, shopID, phoneHash string, c Channel) (*Consent, error)
	// GrantConsent records (or renews after a revocation) a consent.
	GrantConsent(ctx context.Context, c Consent) error
	// RevokeConsent withdraws it (recording a revoked row when none
	// existed, so Shopify's consent cannot bring it back).
	RevokeConsent(ctx context.Context, shopID, phoneHash string, c Channel, by string, at time.Time) error
	// Preferences returns the contact's choices (empty when none).
	Preferences(ctx context.Context, shopID, contactHash string) (Preferences, error)
	SavePreferences(ctx context.Context, p Preferences) error
}

// TextOutcome is what one send did.
type TextOutcome struct {
	Status            TextStatus
	Phone             string
	Locale            string
	Reason            TextReason
	Detail            string
	ProviderMessageID string
	Segments          int
	Encoding          string
}

// Text is one message to a phone, ready for a TextSender.
type Text struct {
	To     string // E.164
	Locale string
	// Body is the SMS's text (WhatsApp sends the template with Params).
	Body string
	// Template and Params are the WhatsApp template and its body
	// parameters, in order; ButtonParam is the tracking link's variable
	// part (the URL button's {{1}}).
	Template    string
	Params      []string
	ButtonParam string
	// StatusCallback is where the provider reports what became of it
	// (Twilio's StatusCallback; WhatsApp reports to the app's webhook).
	StatusCallback string
	// IdempotencyKey is the same for every send of one message (Twilio's
	// I-Twilio-Idempotency-Token; WhatsApp has none: see the README).
	IdempotencyKey string
}

// SentText is the provider's answer to a send.
type SentText struct {
	ProviderMessageID string
	Segments          int
	Encoding          string
}

// TextSender writes to phones through one provider with a shop's
// connection. Errors: ErrInvalid when the provider refused the message
// for good (a bad number: wrap ErrRecipientRefused; a refused token or
// template), ErrRateLimited when it asks to slow down, ErrUnavailable when
// a retry may work.
type TextSender interface {
	Channel() Channel
	Send(ctx context.Context, conn *ChannelConnection, t Text) (SentText, error)
	// Check proves the connection works with the cheapest call the
	// provider has (no message).
	Check(ctx context.Context, conn *ChannelConnection) error
	// PerSecond is how many messages one sender (phone number or
	// account) may send per second, by the provider's published limits.
	PerSecond(conn *ChannelConnection) int
}

// ErrRecipientRefused marks a send error about the number itself (not a
// mobile, not on WhatsApp, unsubscribed at the provider): the text is
// recorded as refused for that recipient.
var ErrRecipientRefused = &Error{Code: ErrInvalid, Message: "the provider refused the recipient"}

// ErrTemplateRefused marks a send error about the template (missing in
// the language, paused, disabled, its parameters): the text is recorded as
// not ready, and Waybill's copy of the template states is read again.
var ErrTemplateRefused = &Error{Code: ErrInvalid, Message: "the provider refused the template"}

// TemplateManager creates and reads WhatsApp templates in the merchant's
// account.
type TemplateManager interface {
	// Templates reads the account's Waybill templates (by name and language).
	Templates(ctx context.Context, conn *ChannelConnection) ([]TextTemplate, error)
	// CreateTemplate submits one of Waybill's templates for review; one
	// that exists already is not an error.
	CreateTemplate(ctx context.Context, conn *ChannelConnection, t TemplateDefinition) error
}

// TemplateDefinition is one of Waybill's WhatsApp template texts: the body
// with {{1}}…{{n}} and a URL button to the tracking page.
type TemplateDefinition struct {
	Name     string
	Language string
	Event    NotificationEvent
	Body     string
	// Example fills the body's variables for Meta's review.
	Example []string
	// ButtonText and ButtonURL: the URL button ("https://…/{{1}}").
	ButtonText    string
	ButtonURL     string
	ButtonExample string
}

// TextReport is a provider's report about a sent message, or a customer's
// reply, read from its webhook.
type TextReport struct {
	Channel           Channel
	ProviderMessageID string
	Status            TextStatus // sent, delivered, read, failed; "" for a reply
	At                time.Time
	ErrorCode         string
	ErrorTitle        string
	// A reply: From (E.164) and Body. OptOut is true when the provider
	// itself recognised an opt-out keyword (Twilio's OptOutType STOP).
	From   string
	Body   string
	OptOut bool
}

// optOutWords are the replies that stop texts: Twilio's and the CTIA's
// English keywords, and the Spanish a customer in Spain or Latin America
// writes (BAJA is what Spanish SMS services ask for).
var optOutWords = []string{"STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE",
	"BAJA", "DAR DE BAJA", "DARME DE BAJA", "PARAR", "CANCELAR", "NO MAS", "NO MÁS"}

// IsOptOutReply reports whether a customer's reply asks to stop: the whole
// reply is one of the keywords, whatever its case, spaces and punctuation.
func IsOptOutReply(body string) bool {
	b := strings.TrimFunc(body, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) })
	b = strings.Join(strings.Fields(strings.ToUpper(b)), " ")
	return slices.Contains(optOutWords, b)
}

// TextWebhookReader reads one provider's webhooks: it checks the request's
// signature with the connection's secret (Meta: X-Hub-Signature-256 with
// the app secret; Twilio: X-Twilio-Signature with the auth token over the
// URL and form) and returns the reports it carries. fullURL is the URL the
// provider called (Twilio signs it). ErrUnauthorized when the signature is
// missing or wrong, ErrInvalid when the body cannot be read.
type TextWebhookReader interface {
	Reports(conn *ChannelConnection, fullURL string, header http.Header, body []byte) ([]TextReport, error)
}
