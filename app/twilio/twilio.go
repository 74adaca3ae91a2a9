// Package twilio sends SMS through Twilio's Programmable Messaging REST API
// (the 2010-04-01 Messages resource) with a shop's own Twilio account, and
// reads Twilio's webhooks: status callbacks and incoming messages, signed
// with X-Twilio-Signature.
//
// It speaks HTTP directly rather than through github.com/twilio/twilio-go:
// Waybill uses two endpoints, and the SDK's client package brings
// github.com/golang/mock (its mock_client.go is not a test file) and
// github.com/pkg/errors into the binary.
package twilio

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/sms"
)

// DefaultBaseURL is Twilio's REST API.
const DefaultBaseURL = "https://api.twilio.com"

// IdempotencyHeader carries Text.IdempotencyKey. Twilio documents this
// header on the webhooks it sends (the same token on each retry of one
// webhook); its documentation does not say the Messages API honours it on a
// request. It is sent in case it does and costs nothing if not: see the
// README on what a retry after a lost answer may do.
const IdempotencyHeader = "I-Twilio-Idempotency-Token"

// Options configure a Client.
type Options struct {
	// BaseURL is Twilio's API origin (DefaultBaseURL when empty); tests
	// point it at twiliofake.
	BaseURL string
	// HTTPClient sends the requests (a client with a 15 s timeout when nil).
	HTTPClient *http.Client
}

// Client sends SMS through Twilio with each shop's connection. It is an
// app.TextSender.
type Client struct {
	base string
	http *http.Client
}

var _ app.TextSender = (*Client)(nil)

// New returns a Client.
func New(o Options) *Client {
	c := &Client{base: strings.TrimRight(o.BaseURL, "/"), http: o.HTTPClient}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: 15 * time.Second}
	}
	return c
}

// Channel is SMS.
func (c *Client) Channel() app.Channel { return app.ChannelSMS }

// message is the part of Twilio's Message resource Waybill reads.
type message struct {
	SID         string `json:"sid"`
	Status      string `json:"status"`
	NumSegments string `json:"num_segments"`
}

// Send creates a Message: From is the connection's number (or alphanumeric
// sender), or MessagingServiceSid when the sender is a Messaging Service
// (MG…). The body is sent as given (the caller fits it with sms.Fit).
// Segments are Twilio's num_segments, or Waybill's count when Twilio has
// none yet (a Messaging Service answers 0 until it picks a sender).
func (c *Client) Send(ctx context.Context, conn *app.ChannelConnection, t app.Text) (app.SentText, error) {
	if err := checkConn(conn); err != nil {
		return app.SentText{}, err
	}
	form := url.Values{}
	form.Set("To", t.To)
	form.Set("Body", t.Body)
	if strings.HasPrefix(conn.SenderID, "MG") {
		form.Set("MessagingServiceSid", conn.SenderID)
	} else {
		form.Set("From", conn.SenderID)
	}
	if t.StatusCallback != "" {
		form.Set("StatusCallback", t.StatusCallback)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		c.base+"/2010-04-01/Accounts/"+url.PathEscape(conn.AccountID)+"/Messages.json", strings.NewReader(form.Encode()))
	if err != nil {
		return app.SentText{}, app.WrapError(app.ErrInternal, err, "twilio: building the request")
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if t.IdempotencyKey != "" {
		req.Header.Set(IdempotencyHeader, t.IdempotencyKey)
	}
	var m message
	if err := c.do(req, conn, &m); err != nil {
		return app.SentText{}, err
	}
	if m.SID == "" {
		return app.SentText{}, app.Errorf(app.ErrUnavailable, "Twilio answered without a message sid")
	}
	segments, encoding, _ := sms.Count(t.Body)
	if n, err := strconv.Atoi(m.NumSegments); err == nil && n > 0 {
		segments = n
	}
	return app.SentText{ProviderMessageID: m.SID, Segments: segments, Encoding: encoding}, nil
}

// account is the part of Twilio's Account resource Check reads.
type account struct {
	SID    string `json:"sid"`
	Status string `json:"status"` // active, suspended, closed
}

// Check fetches the connection's Account resource: it proves the Account
// SID and auth token, and that the account is active, without sending
// anything.
func (c *Client) Check(ctx context.Context, conn *app.ChannelConnection) error {
	if err := checkConn(conn); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		c.base+"/2010-04-01/Accounts/"+url.PathEscape(conn.AccountID)+".json", nil)
	if err != nil {
		return app.WrapError(app.ErrInternal, err, "twilio: building the request")
	}
	var a account
	if err := c.do(req, conn, &a); err != nil {
		return err
	}
	if a.Status != "" && a.Status != "active" {
		return app.Errorf(app.ErrInvalid, "The Twilio account is %s: Twilio sends no messages from it", a.Status)
	}
	return nil
}

// PerSecond is the sender's default rate in Twilio's published limits, in
// message segments per second (Twilio queues what comes faster, up to 10
// hours' worth per sender, then refuses with 21611 or fails with 30001): 1
// for a US or Canadian (+1) number, whose traffic goes mostly to +1
// numbers; 10 for any other sender (Twilio's standard rate for messages
// outside the +1 region, which is where Waybill's Spanish-speaking shops
// send, and the default of alphanumeric senders and Messaging Services
// without more throughput bought). A multi-segment message uses one unit
// per segment.
func (c *Client) PerSecond(conn *app.ChannelConnection) int {
	if strings.HasPrefix(conn.SenderID, "+1") {
		return 1
	}
	return 10
}

func checkConn(conn *app.ChannelConnection) error {
	if conn == nil || conn.AccountID == "" || conn.Token == "" {
		return app.Errorf(app.ErrInvalid, "The Twilio connection has no Account SID or auth token")
	}
	return nil
}

// do sends req with the connection's credentials and decodes a 2xx answer
// into out, or returns the answer as an app.Error.
func (c *Client) do(req *http.Request, conn *app.ChannelConnection, out any) error {
	req.SetBasicAuth(conn.AccountID, conn.Token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return app.WrapError(app.ErrUnavailable, err, "Twilio could not be reached")
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return app.WrapError(app.ErrUnavailable, err, "reading Twilio's answer")
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if err := json.Unmarshal(body, out); err != nil {
			return app.WrapError(app.ErrUnavailable, err, "Twilio's answer is not the JSON expected (HTTP %d)", resp.StatusCode)
		}
		return nil
	}
	return restError(resp.StatusCode, body)
}

// apiError is Twilio's REST error body.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// recipientCodes are Twilio's refusals of the number itself: no retry and
// no other message to that number through this account will work.
var recipientCodes = map[int]string{
	21211: "Invalid 'To' phone number",
	21408: "Permission to send an SMS has not been enabled for the region of the 'To' number",
	21610: "The recipient replied STOP: unsubscribed from this sender",
	21612: "The 'To' number is not reachable via SMS",
	21614: "The 'To' number is not a valid mobile number",
}

// titles word the other codes Waybill meets; Twilio's own message is not
// used because it often holds the phone number.
var titles = map[int]string{
	20003: "Authentication failed: check the Account SID and auth token",
	20404: "Not found",
	20429: "Too many concurrent requests",
	21602: "Message body is required",
	21603: "The 'From' number or Messaging Service is required",
	21606: "The 'From' number is not an SMS-capable number of this account",
	21608: "Trial accounts can send only to verified numbers",
	21611: "The sender's queue is full",
	21617: "The message body exceeds 1600 characters",
	21701: "The Messaging Service was not found",
}

// restError turns Twilio's answer into Waybill's error, with Twilio's code
// in the message and never the phone number.
func restError(status int, body []byte) error {
	var e apiError
	if json.Unmarshal(body, &e) != nil {
		e = apiError{}
	}
	detail := fmt.Sprintf("Twilio answered HTTP %d", status)
	if e.Code != 0 {
		title, ok := recipientCodes[e.Code]
		if !ok {
			title, ok = titles[e.Code]
		}
		if !ok {
			title = scrub(e.Message)
		}
		detail = fmt.Sprintf("Twilio error %d: %s", e.Code, title)
	}
	switch {
	case recipientCodes[e.Code] != "":
		return &app.Error{Code: app.ErrInvalid, Message: detail, Err: app.ErrRecipientRefused}
	case e.Code == 20003 || status == http.StatusUnauthorized:
		return app.Errorf(app.ErrUnauthorized, "%s", detail)
	case e.Code == 20429 || status == http.StatusTooManyRequests:
		return app.Errorf(app.ErrRateLimited, "%s", detail)
	case status >= 500:
		return app.Errorf(app.ErrUnavailable, "%s", detail)
	default:
		return app.Errorf(app.ErrInvalid, "%s", detail)
	}
}

// numberLike matches what could be a phone number in a message of Twilio's.
var numberLike = regexp.MustCompile(`\+?\d[\d ().-]{4,}\d`)

func scrub(s string) string {
	s = numberLike.ReplaceAllString(s, "[number]")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
