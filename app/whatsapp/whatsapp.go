// Package whatsapp is Waybill's adapter for Meta's WhatsApp Business
// Platform Cloud API (Graph API), with the merchant's own WhatsApp Business
// Account: it sends template messages (app.TextSender), creates and reads
// Waybill's templates (app.TemplateManager) and reads Meta's webhooks.
//
// What it follows from Meta's public documentation
// (developers.facebook.com/documentation/business-messaging/whatsapp/…):
//   - Graph API version v27.0 (released 4 November 2026, the newest on the
//     Graph API changelog); base https://graph.facebook.com;
//     Authorization: Bearer <system user token>;
//   - POST /{phone-number-id}/messages with messaging_product "whatsapp",
//     type "template", template {name, language {code}, components: body
//     parameters, a url button (sub_type "url", index "0")}; the answer
//     {"messaging_product", "contacts": [{input, wa_id}], "messages": [{id:
//     "wamid…", message_status}]};
//   - GET /{phone-number-id} (the phone number object) proves the token
//     and the number (Check);
//   - GET/POST /{waba-id}/message_templates (fields name, language, status,
//     category, rejected_reason; paging.cursors.after);
//   - errors {"error": {message, type, code, error_subcode, error_data:
//     {messaging_product, details}, fbtrace_id}} (support/error-codes);
//     Meta asks integrators to act on code (and details), not on titles;
//   - throughput (throughput): 80 messages per second per business phone
//     number by default (up to 1,000 by automatic upgrade; 20 for numbers
//     shared with the WhatsApp Business app), error 130429 above it; pair
//     rate limit 131056 (about one message every 6 s to the same user);
//   - webhooks (webhooks/reference/messages, …/status): POST signed with
//     X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body under
//     the app secret; statuses[] (sent, delivered, read, failed with
//     errors[]) and messages[] (customer messages); the subscription check
//     GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=….
//
// WhatsApp has no idempotency key: a send retried after a timeout may be
// delivered twice (Text.IdempotencyKey is not sent).
package whatsapp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/waybill-app/waybill/app"
)

const (
	// DefaultBaseURL is Meta's Graph API host.
	DefaultBaseURL = "https://graph.facebook.com"
	// APIVersion is the Graph API version Waybill calls: v27.0, the newest
	// on Meta's changelog when this was written (released 2026-11-04).
	APIVersion = "v27.0"
	// DefaultPerSecond is Meta's default Cloud API throughput per business
	// phone number: "up to 80 messages per second (mps) by default, and up
	// to 1,000 mps by automatic upgrade" (whatsapp/throughput). Waybill
	// paces at the default: an upgrade is not visible to it.
	DefaultPerSecond = 80
	// PairInterval is Meta's pair rate limit: about one message every 6 s
	// from one business number to one WhatsApp user (error 131056).
	PairInterval = 6 * time.Second
	// TemplatePrefix names Waybill's templates in a merchant's account.
	TemplatePrefix = "waybill_"
	// maxResponse bounds what Waybill reads of an answer.
	maxResponse = 1 << 20
)

// Options configure a Client; zero values take the defaults.
type Options struct {
	BaseURL string       // DefaultBaseURL
	Version string       // APIVersion
	HTTP    *http.Client // a client with a 15 s timeout
}

// Client is the Cloud API adapter: app.TextSender and app.TemplateManager.
type Client struct {
	base    string
	version string
	http    *http.Client
}

var (
	_ app.TextSender      = (*Client)(nil)
	_ app.TemplateManager = (*Client)(nil)
)

// New makes a Client.
func New(o Options) *Client {
	c := &Client{base: strings.TrimRight(o.BaseURL, "/"), version: o.Version, http: o.HTTP}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	if c.version == "" {
		c.version = APIVersion
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 15 * time.Second}
	}
	return c
}

// Channel is WhatsApp.
func (*Client) Channel() app.Channel { return app.ChannelWhatsApp }

// PerSecond is Meta's default throughput per business phone number.
func (*Client) PerSecond(*app.ChannelConnection) int { return DefaultPerSecond }

// Language maps a customer's locale ("es-MX", "es_ES", "en-GB", "fr") to
// the language Waybill's templates exist in: "es" for Spanish, "en" for
// everything else.
func Language(locale string) string {
	l := strings.ToLower(strings.TrimSpace(locale))
	if i := strings.IndexAny(l, "-_"); i >= 0 {
		l = l[:i]
	}
	if l == "es" {
		return "es"
	}
	return "en"
}

type sendParam struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type sendComponent struct {
	Type       string      `json:"type"`
	SubType    string      `json:"sub_type,omitempty"`
	Index      string      `json:"index,omitempty"`
	Parameters []sendParam `json:"parameters"`
}

type sendRequest struct {
	MessagingProduct string `json:"messaging_product"`
	RecipientType    string `json:"recipient_type"`
	To               string `json:"to"`
	Type             string `json:"type"`
	Template         struct {
		Name     string `json:"name"`
		Language struct {
			Code string `json:"code"`
		} `json:"language"`
		Components []sendComponent `json:"components,omitempty"`
	} `json:"template"`
}

type sendResponse struct {
	Contacts []struct {
		Input string `json:"input"`
		WaID  string `json:"wa_id"`
	} `json:"contacts"`
	Messages []struct {
		ID            string `json:"id"`
		MessageStatus string `json:"message_status"`
	} `json:"messages"`
}

// emptyParam stands in for an empty parameter: Meta refuses a text
// parameter without text (131008, required parameter missing).
const emptyParam = "-"

// Send posts a template message; the wamid is the ProviderMessageID. A
// number that is not on WhatsApp is usually accepted here and reported
// failed (131026) on the status webhook.
func (c *Client) Send(ctx context.Context, conn *app.ChannelConnection, t app.Text) (app.SentText, error) {
	if err := checkConn(conn, false); err != nil {
		return app.SentText{}, err
	}
	if t.Template == "" {
		return app.SentText{}, app.Errorf(app.ErrInvalid, "a WhatsApp message needs a template")
	}
	if t.To == "" {
		return app.SentText{}, &app.Error{Code: app.ErrInvalid, Message: "a WhatsApp message needs a phone number", Err: app.ErrRecipientRefused}
	}
	var req sendRequest
	req.MessagingProduct, req.RecipientType, req.To, req.Type = "whatsapp", "individual", t.To, "template"
	req.Template.Name = t.Template
	req.Template.Language.Code = Language(t.Locale)
	if !strings.HasPrefix(t.Template, TemplatePrefix) && strings.TrimSpace(t.Locale) != "" {
		// Another template (Meta's hello_world sample, en_US): its
		// language code exactly as the account has it.
		req.Template.Language.Code = strings.TrimSpace(t.Locale)
	}
	if len(t.Params) > 0 {
		body := sendComponent{Type: "body"}
		for _, p := range t.Params {
			if strings.TrimSpace(p) == "" {
				p = emptyParam
			}
			body.Parameters = append(body.Parameters, sendParam{Type: "text", Text: p})
		}
		req.Template.Components = append(req.Template.Components, body)
	}
	if t.ButtonParam != "" {
		req.Template.Components = append(req.Template.Components, sendComponent{Type: "button", SubType: "url", Index: "0",
			Parameters: []sendParam{{Type: "text", Text: t.ButtonParam}}})
	}
	var out sendResponse
	if err := c.do(ctx, conn, http.MethodPost, c.url(conn.SenderID, "messages", nil), req, &out); err != nil {
		return app.SentText{}, err
	}
	if len(out.Messages) == 0 || out.Messages[0].ID == "" {
		return app.SentText{}, app.Errorf(app.ErrUnavailable, "WhatsApp accepted the message without a message id")
	}
	return app.SentText{ProviderMessageID: out.Messages[0].ID}, nil
}

// Check reads the phone number object: the token works and the number is
// one it can use. No message is sent.
func (c *Client) Check(ctx context.Context, conn *app.ChannelConnection) error {
	if err := checkConn(conn, false); err != nil {
		return err
	}
	q := url.Values{"fields": {"id,display_phone_number,verified_name,quality_rating"}}
	var out struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, conn, http.MethodGet, c.url(conn.SenderID, "", q), nil, &out); err != nil {
		return err
	}
	if out.ID != conn.SenderID {
		return app.Errorf(app.ErrInvalid, "WhatsApp answered for another phone number id")
	}
	return nil
}

// checkConn checks the connection has a token and the id a call needs:
// the WhatsApp Business Account's (account) or the phone number's.
func checkConn(conn *app.ChannelConnection, account bool) error {
	if conn == nil || conn.Token == "" {
		return app.Errorf(app.ErrUnauthorized, "the WhatsApp connection has no access token")
	}
	id, what := conn.SenderID, "phone number id"
	if account {
		id, what = conn.AccountID, "business account id"
	}
	if id == "" || !graphID.MatchString(id) {
		return app.Errorf(app.ErrInvalid, "the WhatsApp %s is missing or not a number", what)
	}
	return nil
}

var graphID = regexp.MustCompile(`^[0-9]{1,32}$`)

func (c *Client) url(id, edge string, q url.Values) string {
	u := c.base + "/" + c.version + "/" + id
	if edge != "" {
		u += "/" + edge
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// do makes one Graph API call: in is sent as JSON when not nil, a 2xx
// answer is decoded into out, anything else becomes an app.Error.
func (c *Client) do(ctx context.Context, conn *app.ChannelConnection, method, u string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return app.WrapError(app.ErrInternal, err, "could not encode the WhatsApp request")
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return app.WrapError(app.ErrInternal, err, "could not build the WhatsApp request")
	}
	req.Header.Set("Authorization", "Bearer "+conn.Token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return app.WrapError(app.ErrUnavailable, scrubErr(err), "WhatsApp could not be reached")
	}
	defer func() { _ = resp.Body.Close() }() // the body is read in full below
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return app.WrapError(app.ErrUnavailable, scrubErr(err), "WhatsApp's answer could not be read")
	}
	if resp.StatusCode/100 != 2 {
		return mapError(resp.StatusCode, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return app.WrapError(app.ErrUnavailable, err, "WhatsApp answered with something that is not the JSON it documents (HTTP %d)", resp.StatusCode)
	}
	return nil
}

// scrubErr keeps a transport error's kind without its URL (which carries
// ids, never the token, but keeps logs short).
func scrubErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// GraphError is Meta's error object.
type GraphError struct {
	Message      string `json:"message"`
	Type         string `json:"type"`
	Code         int    `json:"code"`
	ErrorSubcode int    `json:"error_subcode,omitempty"`
	ErrorData    *struct {
		MessagingProduct string `json:"messaging_product,omitempty"`
		Details          string `json:"details,omitempty"`
	} `json:"error_data,omitempty"`
	ErrorUserTitle string `json:"error_user_title,omitempty"`
	ErrorUserMsg   string `json:"error_user_msg,omitempty"`
	FBTraceID      string `json:"fbtrace_id,omitempty"`
}

// Error is what logs see: the code, subcode, type and trace id, never
// Meta's free text (which may quote what was sent).
func (e *GraphError) Error() string {
	s := fmt.Sprintf("meta error %d", e.Code)
	if e.ErrorSubcode != 0 {
		s += fmt.Sprintf(" (subcode %d)", e.ErrorSubcode)
	}
	if e.Type != "" {
		s += " " + e.Type
	}
	if e.FBTraceID != "" {
		s += " fbtrace_id=" + e.FBTraceID
	}
	return s
}

// Meta's error codes Waybill treats apart (support/error-codes).
var (
	authCodes = map[int]bool{0: true, 3: true, 10: true, 190: true}
	rateCodes = map[int]bool{
		4:      true, // too many API calls (app)
		80007:  true, // WhatsApp Business Account rate limit
		130429: true, // throughput reached
		131048: true, // spam rate limit: restrictions on how many messages this number sends
		131056: true, // (business, consumer) pair rate limit
		133016: true, // register/deregister rate limit
	}
	unavailableCodes = map[int]bool{
		1:      true, // API unknown
		2:      true, // API service: downtime or overload
		131000: true, // something went wrong
		131016: true, // service unavailable
		133004: true, // server temporarily unavailable
	}
	// recipientCodes are refusals about the number itself.
	recipientCodes = map[int]bool{
		131021: true, // recipient cannot be sender
		131026: true, // message undeliverable: not on WhatsApp, old app, terms not accepted
		131030: true, // recipient not in the allowed list (test numbers)
		131050: true, // the user stopped messages of this kind from the business
	}
	templateCodes = map[int]bool{
		132000: true, // number of parameters does not match
		132001: true, // template does not exist (in this language)
		132005: true, // translated text too long
		132007: true, // template format character policy violated
		132012: true, // parameter format does not match
		132015: true, // template paused (low quality)
		132016: true, // template disabled
		132068: true, // flow blocked
		132069: true, // flow throttled
	}
)

var longDigits = regexp.MustCompile(`\+?[0-9][0-9 ]{6,}[0-9]`)

// title is Meta's message without anything that looks like a phone number,
// at most 160 characters.
func (e *GraphError) title() string {
	t := strings.TrimSpace(e.Message)
	if e.ErrorData != nil && e.ErrorData.Details != "" && len(t) < 40 {
		t = strings.TrimSpace(t + " " + e.ErrorData.Details)
	}
	t = longDigits.ReplaceAllString(t, "…")
	if r := []rune(t); len(r) > 160 {
		t = string(r[:160]) + "…"
	}
	return t
}

// mapError turns a Graph API error answer into app.Error codes per
// app.TextSender: refused for good → ErrInvalid (wrapping
// app.ErrRecipientRefused for the number), slow down → ErrRateLimited,
// retry may work → ErrUnavailable, token → ErrUnauthorized. Meta's code
// stays in the message.
func mapError(status int, raw []byte) error {
	var env struct {
		Error *GraphError `json:"error"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || env.Error == nil {
		switch {
		case status == http.StatusTooManyRequests:
			return app.Errorf(app.ErrRateLimited, "WhatsApp asked to slow down (HTTP 429)")
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return app.Errorf(app.ErrUnauthorized, "WhatsApp refused the access token (HTTP %d)", status)
		case status >= 500 || status == http.StatusRequestTimeout:
			return app.Errorf(app.ErrUnavailable, "WhatsApp is unavailable (HTTP %d)", status)
		}
		return app.Errorf(app.ErrInvalid, "WhatsApp refused the request (HTTP %d)", status)
	}
	g := env.Error
	what := fmt.Sprintf("Meta error %d: %s", g.Code, g.title())
	switch {
	case authCodes[g.Code] || (g.Code >= 200 && g.Code <= 299):
		return &app.Error{Code: app.ErrUnauthorized, Message: "WhatsApp refused the access token (" + what + ")", Err: g}
	case rateCodes[g.Code] || status == http.StatusTooManyRequests:
		return &app.Error{Code: app.ErrRateLimited, Message: "WhatsApp asked to slow down (" + what + ")", Err: g}
	case unavailableCodes[g.Code] || status >= 500:
		return &app.Error{Code: app.ErrUnavailable, Message: "WhatsApp is unavailable (" + what + ")", Err: g}
	case recipientCodes[g.Code]:
		return &app.Error{Code: app.ErrInvalid, Message: "WhatsApp refused the recipient (" + what + ")",
			Err: fmt.Errorf("%w: %w", app.ErrRecipientRefused, g)}
	case templateCodes[g.Code]:
		return &app.Error{Code: app.ErrInvalid, Message: "WhatsApp refused the template (" + what + ")",
			Err: fmt.Errorf("%w: %w", app.ErrTemplateRefused, g)}
	}
	return &app.Error{Code: app.ErrInvalid, Message: "WhatsApp refused the request (" + what + ")", Err: g}
}

// MetaCode is Meta's error code inside err (0 when err is not from Meta).
func MetaCode(err error) int {
	var g *GraphError
	if errors.As(err, &g) {
		return g.Code
	}
	return 0
}

// ---- templates ----

type templateRow struct {
	Name           string `json:"name"`
	Language       string `json:"language"`
	Status         string `json:"status"`
	Category       string `json:"category"`
	RejectedReason string `json:"rejected_reason"`
}

// maxTemplatePages bounds the paging (100 templates a page).
const maxTemplatePages = 50

// Templates reads the account's Waybill templates (name waybill_<event>,
// for an event of app.TextEvents), in every language the account has.
func (c *Client) Templates(ctx context.Context, conn *app.ChannelConnection) ([]app.TextTemplate, error) {
	if err := checkConn(conn, true); err != nil {
		return nil, err
	}
	var out []app.TextTemplate
	after := ""
	for page := 0; page < maxTemplatePages; page++ {
		q := url.Values{"fields": {"name,language,status,category,rejected_reason"}, "limit": {"100"}}
		if after != "" {
			q.Set("after", after)
		}
		var resp struct {
			Data   []templateRow `json:"data"`
			Paging struct {
				Cursors struct {
					After string `json:"after"`
				} `json:"cursors"`
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := c.do(ctx, conn, http.MethodGet, c.url(conn.AccountID, "message_templates", q), nil, &resp); err != nil {
			return nil, err
		}
		for _, r := range resp.Data {
			if t, ok := textTemplate(r); ok {
				out = append(out, t)
			}
		}
		// Meta leaves next out on the last page.
		if resp.Paging.Next == "" || resp.Paging.Cursors.After == "" || resp.Paging.Cursors.After == after {
			return out, nil
		}
		after = resp.Paging.Cursors.After
	}
	return out, nil
}

func textTemplate(r templateRow) (app.TextTemplate, bool) {
	ev, ok := strings.CutPrefix(r.Name, TemplatePrefix)
	if !ok {
		return app.TextTemplate{}, false
	}
	e := app.NotificationEvent(ev)
	known := false
	for _, te := range app.TextEvents {
		known = known || te == e
	}
	if !known {
		return app.TextTemplate{}, false
	}
	t := app.TextTemplate{Event: e, Language: r.Language, Name: r.Name, Status: MapTemplateStatus(r.Status)}
	if t.Status == app.TemplateRejected && r.RejectedReason != "NONE" {
		t.Reason = r.RejectedReason
	}
	return t, true
}

// MapTemplateStatus maps Meta's template status (APPROVED, PENDING,
// REJECTED, PAUSED, DISABLED, IN_APPEAL, PENDING_DELETION, DELETED, …).
func MapTemplateStatus(s string) app.TextTemplateStatus {
	switch strings.ToUpper(s) {
	case "APPROVED":
		return app.TemplateApproved
	case "REJECTED":
		return app.TemplateRejected
	case "PAUSED":
		return app.TemplatePaused
	case "DISABLED":
		return app.TemplateDisabled
	case "DELETED", "PENDING_DELETION", "ARCHIVED":
		return app.TemplateMissing
	}
	return app.TemplatePending // PENDING, IN_APPEAL, LIMIT_EXCEEDED and anything new
}

type createComponent struct {
	Type    string         `json:"type"`
	Text    string         `json:"text,omitempty"`
	Example map[string]any `json:"example,omitempty"`
	Buttons []createButton `json:"buttons,omitempty"`
}

type createButton struct {
	Type    string   `json:"type"`
	Text    string   `json:"text"`
	URL     string   `json:"url"`
	Example []string `json:"example,omitempty"`
}

// CreateTemplate submits a definition for review as a UTILITY template: a
// BODY with its example values and a URL button with its example. A
// template that exists already in that language is not an error.
func (c *Client) CreateTemplate(ctx context.Context, conn *app.ChannelConnection, d app.TemplateDefinition) error {
	if err := checkConn(conn, true); err != nil {
		return err
	}
	body := createComponent{Type: "BODY", Text: d.Body}
	if len(d.Example) > 0 {
		body.Example = map[string]any{"body_text": [][]string{d.Example}}
	}
	comps := []createComponent{body}
	if d.ButtonURL != "" {
		b := createButton{Type: "URL", Text: d.ButtonText, URL: d.ButtonURL}
		if strings.Contains(d.ButtonURL, "{{1}}") && d.ButtonExample != "" {
			b.Example = []string{d.ButtonExample}
		}
		comps = append(comps, createComponent{Type: "BUTTONS", Buttons: []createButton{b}})
	}
	in := map[string]any{"name": d.Name, "language": d.Language, "category": "UTILITY", "components": comps}
	err := c.do(ctx, conn, http.MethodPost, c.url(conn.AccountID, "message_templates", nil), in, nil)
	if err != nil && templateExists(err) {
		return nil
	}
	return err
}

// templateExistsSubcode is the subcode Meta answers (with code 100) when
// the name already has content in that language.
const templateExistsSubcode = 2388024

func templateExists(err error) bool {
	var g *GraphError
	if !errors.As(err, &g) {
		return false
	}
	if g.ErrorSubcode == templateExistsSubcode {
		return true
	}
	text := strings.ToLower(g.Message + " " + g.ErrorUserTitle + " " + g.ErrorUserMsg)
	return strings.Contains(text, "already exists") || strings.Contains(text, "already english") || strings.Contains(text, "already spanish")
}

// ---- helpers shared with the fake and tests ----

// Digits is s with only its ASCII digits (WhatsApp ids are E.164 digits).
func Digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unixTime reads Meta's timestamps (unix seconds as a string).
func unixTime(s string) time.Time {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}
