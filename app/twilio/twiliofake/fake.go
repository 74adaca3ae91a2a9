// Package twiliofake is a Twilio REST API for tests, faithful to Twilio's
// public documentation of the parts Waybill uses: the Messages resource
// (create), the Account resource (fetch), status callbacks and incoming
// message webhooks, signed with X-Twilio-Signature.
//
// What it models, from Twilio's docs: HTTP basic auth with the Account SID
// and auth token (20003); the Messages form (To in E.164 or 21211, Body
// required 21602 and at most 1600 characters 21617, From one of the
// account's numbers 21606 or a MessagingServiceSid of the account 21701);
// recipients refused for good (21610 after a STOP to that sender, 21614 not
// a mobile number); 201 with the Message JSON (sid "SM" + 32 hex, status
// "queued" with a From, "accepted" and num_segments "0" with a Messaging
// Service, as Twilio answers before it picks a sender); Twilio's queue per
// sender, releasing message segments at the sender's rate, with status
// callbacks (sent, then delivered, or undelivered with an error code for
// numbers configured so) posted when a message leaves the queue; incoming
// messages posted to the account's inbound URL, a default opt-out keyword
// unsubscribing the number from that sender, with OptOutType when the
// account has Advanced Opt-Out.
//
// One thing is not from Twilio's docs: the fake honours
// I-Twilio-Idempotency-Token on a create (the same token on the same
// account answers the first message again and sends nothing), as the client
// hopes Twilio does. Twilio documents that header only on its webhooks.
package twiliofake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/sms"
)

// Account is a Twilio account the fake knows.
type Account struct {
	SID       string // "AC" + 32 hex (NewSID("AC"))
	AuthToken string
	// Numbers are the account's phone numbers (E.164) or alphanumeric
	// sender ids, valid as From.
	Numbers []string
	// MessagingServices are the account's Messaging Service SIDs (MG…).
	MessagingServices []string
	// InboundURL receives the account's incoming messages.
	InboundURL string
	// AdvancedOptOut: the account's Messaging Service has Advanced Opt-Out
	// on, so incoming keyword messages carry OptOutType.
	AdvancedOptOut bool
	// Status is the account's status ("active" when empty).
	Status string
}

// Options configure a Fake.
type Options struct {
	// MPS is each sender's rate in message segments per second (10 when 0:
	// Twilio's standard rate outside the +1 region).
	MPS int
	// Clock stamps messages and schedules the queue (app.SystemClock{}
	// when nil). Callbacks wait in real time for the queue's delays.
	Clock app.Clock
	// HTTPClient posts the callbacks (http.DefaultClient when nil).
	HTTPClient *http.Client
}

// Message is a message the fake accepted.
type Message struct {
	SID                 string
	AccountSID          string
	From                string // "" with a Messaging Service
	MessagingServiceSID string
	To                  string
	Body                string
	Segments            int
	Encoding            string
	StatusCallback      string
	IdempotencyToken    string
	CreatedAt           time.Time
	// SendAt is when the sender's queue releases it: each sender releases
	// MPS segments per second, in the order messages were accepted.
	SendAt time.Time
	// Status is the last status reported: queued/accepted, sent, delivered
	// or undelivered.
	Status string
}

// Callback is a webhook the fake posted.
type Callback struct {
	URL        string
	Form       url.Values
	Signature  string
	StatusCode int   // the receiver's answer, 0 when the post failed
	Err        error // the post's error
}

// Fake is an http.Handler serving Twilio's API. Close it when done.
type Fake struct {
	mps   int
	clock app.Clock
	http  *http.Client

	mu           sync.Mutex
	accounts     map[string]*Account
	unsubscribed map[[2]string]bool // (sender, recipient)
	notMobile    map[string]bool
	undelivered  map[string]string // recipient → error code
	failNext     []apiError
	byToken      map[[2]string]*Message // (account, token)
	messages     []*Message
	nextFree     map[string]time.Time // sender → when its queue is free
	callbacks    []Callback

	ctx     context.Context
	cancel  context.CancelFunc
	pending sync.WaitGroup // callbacks scheduled, not yet posted
}

// New returns a Fake with no accounts.
func New(o Options) *Fake {
	f := &Fake{mps: o.MPS, clock: o.Clock, http: o.HTTPClient,
		accounts: map[string]*Account{}, unsubscribed: map[[2]string]bool{}, notMobile: map[string]bool{},
		undelivered: map[string]string{}, byToken: map[[2]string]*Message{}, nextFree: map[string]time.Time{}}
	if f.mps <= 0 {
		f.mps = 10
	}
	if f.clock == nil {
		f.clock = app.SystemClock{}
	}
	if f.http == nil {
		f.http = http.DefaultClient
	}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	return f
}

// NewSID returns a Twilio SID: prefix ("AC", "SM", "MG", "PN") and 32 hex.
func NewSID(prefix string) string {
	b := make([]byte, 16)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// AddAccount registers (or replaces) an account.
func (f *Fake) AddAccount(a Account) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accounts[a.SID] = &a
}

// Unsubscribe records that recipient replied STOP to sender (a number or
// Messaging Service SID): creating a message from sender to recipient
// answers 21610.
func (f *Fake) Unsubscribe(sender, recipient string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unsubscribed[[2]string{sender, recipient}] = true
}

// NotMobile makes recipient a number that cannot receive SMS (21614).
func (f *Fake) NotMobile(recipient string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notMobile[recipient] = true
}

// Undeliverable makes messages to recipient end undelivered with code
// ("30003" unreachable handset, "30005" unknown handset, "30006" landline
// or unreachable carrier).
func (f *Fake) Undeliverable(recipient, code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.undelivered[recipient] = code
}

// FailNext makes the next API request answer status with Twilio's error
// code (429 with 20429, 500 with 20500, …) before anything else is checked.
func (f *Fake) FailNext(status, code int, message string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext = append(f.failNext, apiError{Code: code, Message: message, Status: status,
		MoreInfo: fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code)})
}

// Messages returns the accepted messages, in order.
func (f *Fake) Messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Message, len(f.messages))
	for i, m := range f.messages {
		out[i] = *m
	}
	return out
}

// Callbacks returns the webhooks posted so far, in order.
func (f *Fake) Callbacks() []Callback {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Callback(nil), f.callbacks...)
}

// Drain waits until every status callback scheduled so far has been posted
// (each waits for its message to leave the sender's queue). Call it (and
// Close) after the requests that scheduled callbacks have returned.
func (f *Fake) Drain() { f.pending.Wait() }

// Close drops the callbacks still queued and waits for the fake's
// goroutines to end.
func (f *Fake) Close() {
	f.cancel()
	f.pending.Wait()
}

// apiError is Twilio's REST error body.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func writeError(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, apiError{Code: code, Message: message, Status: status,
		MoreInfo: fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

var (
	messagesPath = regexp.MustCompile(`^/2010-04-01/Accounts/([^/]+)/Messages\.json$`)
	accountPath  = regexp.MustCompile(`^/2010-04-01/Accounts/([^/]+)\.json$`)
	e164         = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)
)

// ServeHTTP answers Twilio's API.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	if len(f.failNext) > 0 {
		e := f.failNext[0]
		f.failNext = f.failNext[1:]
		f.mu.Unlock()
		writeJSON(w, e.Status, e)
		return
	}
	f.mu.Unlock()
	var sid string
	var create bool
	switch {
	case r.Method == http.MethodPost && messagesPath.MatchString(r.URL.Path):
		sid, create = messagesPath.FindStringSubmatch(r.URL.Path)[1], true
	case r.Method == http.MethodGet && accountPath.MatchString(r.URL.Path):
		sid = accountPath.FindStringSubmatch(r.URL.Path)[1]
	default:
		writeError(w, http.StatusNotFound, 20404, fmt.Sprintf("The requested resource %s was not found", r.URL.Path))
		return
	}
	acct := f.authenticate(r, sid)
	if acct == nil {
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if !create {
		f.fetchAccount(w, acct)
		return
	}
	f.createMessage(w, r, acct)
}

// authenticate returns the account whose SID (the basic auth user, which
// must be the SID in the path) and auth token the request carries.
func (f *Fake) authenticate(r *http.Request, pathSID string) *Account {
	user, pass, ok := r.BasicAuth()
	if !ok || user != pathSID {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.accounts[user]
	if a == nil || !hmac.Equal([]byte(a.AuthToken), []byte(pass)) {
		return nil
	}
	copied := *a
	return &copied
}

func (f *Fake) fetchAccount(w http.ResponseWriter, a *Account) {
	status := a.Status
	if status == "" {
		status = "active"
	}
	now := f.clock.Now().UTC().Format(time.RFC1123Z)
	writeJSON(w, http.StatusOK, map[string]any{
		"sid": a.SID, "owner_account_sid": a.SID, "friendly_name": "Waybill test account", "status": status,
		"type": "Full", "date_created": now, "date_updated": now,
		"uri": "/2010-04-01/Accounts/" + a.SID + ".json",
	})
}

func (f *Fake) createMessage(w http.ResponseWriter, r *http.Request, a *Account) {
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "Could not parse the request")
		return
	}
	to, body := r.PostForm.Get("To"), r.PostForm.Get("Body")
	from, service := r.PostForm.Get("From"), r.PostForm.Get("MessagingServiceSid")
	callback := r.PostForm.Get("StatusCallback")
	switch {
	case to == "":
		writeError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case !e164.MatchString(to):
		// Twilio's message names the number, as here.
		writeError(w, http.StatusBadRequest, 21211, fmt.Sprintf("The 'To' number %s is not a valid phone number.", to))
		return
	case body == "":
		writeError(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	case utf8.RuneCountInString(body) > 1600:
		writeError(w, http.StatusBadRequest, 21617, "The concatenated message body exceeds the 1600 character limit.")
		return
	case from == "" && service == "":
		writeError(w, http.StatusBadRequest, 21603, "A 'From' phone number is required.")
		return
	case service != "" && !contains(a.MessagingServices, service):
		writeError(w, http.StatusBadRequest, 21701, fmt.Sprintf("The Messaging Service Sid %s is invalid.", service))
		return
	case service == "" && !contains(a.Numbers, from):
		writeError(w, http.StatusBadRequest, 21606,
			fmt.Sprintf("The From phone number %s is not a valid, SMS-capable inbound phone number or short code for your account.", from))
		return
	}
	if callback != "" {
		if u, err := url.Parse(callback); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			writeError(w, http.StatusBadRequest, 21609, "The StatusCallback URL is not a valid URL.")
			return
		}
	}
	sender := from
	if service != "" {
		sender = service
	}
	token := r.Header.Get("I-Twilio-Idempotency-Token")

	f.mu.Lock()
	if token != "" {
		if m := f.byToken[[2]string{a.SID, token}]; m != nil {
			copied := *m
			f.mu.Unlock()
			writeJSON(w, http.StatusCreated, messageJSON(&copied, f.clock.Now()))
			return
		}
	}
	refused := 0
	switch {
	case f.unsubscribed[[2]string{sender, to}]:
		refused = 21610
	case f.notMobile[to]:
		refused = 21614
	}
	if refused != 0 {
		f.mu.Unlock()
		if refused == 21610 {
			writeError(w, http.StatusBadRequest, 21610, "Attempt to send to unsubscribed recipient")
		} else {
			writeError(w, http.StatusBadRequest, 21614, fmt.Sprintf("'To' number %s is not a valid mobile number", to))
		}
		return
	}
	segments, encoding, _ := sms.Count(body)
	now := f.clock.Now().UTC()
	sendAt := now
	if free := f.nextFree[sender]; free.After(sendAt) {
		sendAt = free
	}
	f.nextFree[sender] = sendAt.Add(time.Duration(segments) * time.Second / time.Duration(f.mps))
	m := &Message{SID: NewSID("SM"), AccountSID: a.SID, From: from, MessagingServiceSID: service, To: to, Body: body,
		Segments: segments, Encoding: encoding, StatusCallback: callback, IdempotencyToken: token,
		CreatedAt: now, SendAt: sendAt, Status: "queued"}
	if service != "" {
		m.From, m.Status = "", "accepted"
	}
	f.messages = append(f.messages, m)
	if token != "" {
		f.byToken[[2]string{a.SID, token}] = m
	}
	code := f.undelivered[to]
	copied := *m
	f.pending.Add(1)
	f.mu.Unlock()

	go f.release(m, a.AuthToken, sender, code, sendAt.Sub(now))
	writeJSON(w, http.StatusCreated, messageJSON(&copied, now))
}

// messageJSON is Twilio's Message resource as the create answers it.
func messageJSON(m *Message, now time.Time) map[string]any {
	segments, status := fmt.Sprint(m.Segments), "queued"
	var from, service any
	if m.MessagingServiceSID != "" {
		// Twilio has not picked a sender yet: no From, 0 segments.
		segments, service, status = "0", m.MessagingServiceSID, "accepted"
	} else {
		from = m.From
	}
	created := m.CreatedAt.UTC().Format(time.RFC1123Z)
	uri := "/2010-04-01/Accounts/" + m.AccountSID + "/Messages/" + m.SID
	return map[string]any{
		"account_sid": m.AccountSID, "api_version": "2010-04-01", "body": m.Body,
		"date_created": created, "date_updated": now.UTC().Format(time.RFC1123Z), "date_sent": nil,
		"direction": "outbound-api", "error_code": nil, "error_message": nil,
		"from": from, "messaging_service_sid": service, "num_media": "0", "num_segments": segments,
		"price": nil, "price_unit": "USD", "sid": m.SID, "status": status,
		"to": m.To, "uri": uri + ".json", "subresource_uris": map[string]string{"media": uri + "/Media.json"},
	}
}

// release waits for the message's turn in its sender's queue, then reports
// it sent and delivered (or undelivered with code) to its StatusCallback.
func (f *Fake) release(m *Message, authToken, sender, code string, wait time.Duration) {
	defer f.pending.Done()
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-f.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	final := "delivered"
	if code != "" {
		final = "undelivered"
	}
	for _, status := range []string{"sent", final} {
		if f.ctx.Err() != nil {
			return
		}
		f.mu.Lock()
		m.Status = status
		callback, from, to, sid := m.StatusCallback, m.From, m.To, m.SID
		f.mu.Unlock()
		if callback == "" {
			continue
		}
		form := url.Values{
			"AccountSid": {m.AccountSID}, "ApiVersion": {"2010-04-01"}, "From": {from}, "To": {to},
			"MessageSid": {sid}, "SmsSid": {sid}, "MessageStatus": {status}, "SmsStatus": {status},
		}
		if from == "" {
			form.Set("From", sender)
		}
		if m.MessagingServiceSID != "" {
			form.Set("MessagingServiceSid", m.MessagingServiceSID)
		}
		if status == "undelivered" {
			form.Set("ErrorCode", code)
		}
		f.post(callback, authToken, form)
	}
}

// Inbound posts an incoming message from a phone to one of the account's
// senders (a number, or a Messaging Service SID) to the account's
// InboundURL, signed, and returns the receiver's HTTP status. A body that
// is one of Twilio's default opt-out keywords unsubscribes from from to
// (later messages answer 21610); START subscribes again. With Advanced
// Opt-Out the post carries OptOutType. BAJA is not Twilio's keyword: it
// arrives as any other reply.
func (f *Fake) Inbound(accountSID, from, to, body string) (int, error) {
	f.mu.Lock()
	a := f.accounts[accountSID]
	if a == nil {
		f.mu.Unlock()
		return 0, fmt.Errorf("twiliofake: no account %s", accountSID)
	}
	acct := *a
	keyword := strings.ToUpper(strings.TrimSpace(body))
	optType := ""
	switch keyword {
	case "STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "REVOKE", "OPTOUT", "CANCEL":
		f.unsubscribed[[2]string{to, from}] = true
		optType = "STOP"
	case "START", "UNSTOP":
		delete(f.unsubscribed, [2]string{to, from})
		optType = "START"
	case "HELP", "INFO":
		optType = "HELP"
	}
	f.mu.Unlock()
	if acct.InboundURL == "" {
		return 0, errors.New("twiliofake: the account has no InboundURL")
	}
	sid := NewSID("SM")
	segments, _, _ := sms.Count(body)
	form := url.Values{
		"AccountSid": {acct.SID}, "ApiVersion": {"2010-04-01"}, "MessageSid": {sid}, "SmsSid": {sid},
		"SmsMessageSid": {sid}, "SmsStatus": {"received"}, "From": {from}, "To": {to}, "Body": {body},
		"NumMedia": {"0"}, "NumSegments": {fmt.Sprint(segments)},
	}
	if strings.HasPrefix(to, "MG") {
		form.Set("MessagingServiceSid", to)
	}
	if acct.AdvancedOptOut && optType != "" {
		form.Set("OptOutType", optType)
	}
	f.pending.Add(1)
	defer f.pending.Done()
	cb := f.post(acct.InboundURL, acct.AuthToken, form)
	return cb.StatusCode, cb.Err
}

// post sends one signed webhook and records it.
func (f *Fake) post(target, authToken string, form url.Values) Callback {
	cb := Callback{URL: target, Form: form, Signature: sign(authToken, target, form)}
	req, err := http.NewRequestWithContext(f.ctx, http.MethodPost, target, bytes.NewBufferString(form.Encode()))
	if err == nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", cb.Signature)
		req.Header.Set("I-Twilio-Idempotency-Token", NewSID(""))
		req.Header.Set("User-Agent", "TwilioProxy/1.1")
		var resp *http.Response
		if resp, err = f.http.Do(req); err == nil {
			cb.StatusCode = resp.StatusCode
			err = resp.Body.Close()
		}
	}
	cb.Err = err
	f.mu.Lock()
	f.callbacks = append(f.callbacks, cb)
	f.mu.Unlock()
	return cb
}

// sign is Twilio's X-Twilio-Signature, written here apart from the
// client's validator so that the tests compare two implementations: the
// URL, then each parameter name and value sorted by name, HMAC-SHA1 with
// the auth token, base64.
func sign(authToken, target string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := target
	for _, k := range keys {
		for _, v := range form[k] {
			s += k + v
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
