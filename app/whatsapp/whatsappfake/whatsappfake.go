// Package whatsappfake is a test and dev server for the parts of Meta's
// WhatsApp Business Platform Cloud API (Graph API) Waybill uses, following
// Meta's public documentation rather than Waybill's client:
//
//   - GET /{version}/{phone-number-id}: the phone number object;
//   - POST /{version}/{phone-number-id}/messages: template messages only,
//     validated as Meta does: messaging_product, to, template name and
//     language, the template approved in that language (132001 when it is
//     missing, pending or rejected; 132015 paused; 132016 disabled),
//     body parameter count and the URL button's parameter (132000), no
//     empty text parameter (131008);
//   - GET/POST /{version}/{waba-id}/message_templates: templates are
//     created PENDING and become APPROVED after a delay of the fake's clock
//     (none by default), or REJECTED for names set with Reject; the same
//     name and language twice is code 100, subcode 2388024;
//   - bearer tokens per account (190 for an unknown token, 100/33 for an
//     object the token cannot see);
//   - throughput per phone number id, 80 messages in any 1 s window by
//     default (130429); the pair rate limit, one message per 6 s from a
//     number to the same recipient (131056); optionally a messaging limit
//     of unique recipients per account in a moving 24 h;
//   - a number that is not on WhatsApp is accepted, then reported failed
//     (131026) on the status webhook, as Meta does;
//   - after each accepted message, signed status webhooks (sent, delivered,
//     and read when SetReadReceipts) to the callback URL, asynchronously;
//     Reply posts a customer's text message the same way.
//
// Errors are {"error": {message, type, code, error_subcode, error_data:
// {messaging_product, details}, fbtrace_id}} with HTTP 400 (401 for a
// token), as Meta's error code table lists them.
//
// Chosen here because the public docs do not say: the error subcodes other
// than 2388024 and 33, the exact message texts, and the code when the
// messaging limit is reached (Meta documents none: the fake reports the
// message failed with 131048, whose details speak of limits on how many
// messages a number can send).
package whatsappfake

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/waybill-app/waybill/app"
)

// Account is a WhatsApp Business Account with one phone number, as a
// merchant connects it.
type Account struct {
	WABAID        string
	PhoneNumberID string
	DisplayPhone  string // "+34 600 000 000"
	Token         string
	AppSecret     string // signs the webhooks about this number
	// WebhookURL is where this number's webhooks go (each merchant's own
	// Meta app has its callback); empty: the fake's SetWebhook URL.
	WebhookURL string
}

// Message is an accepted message as the fake recorded it.
type Message struct {
	ID            string // wamid
	PhoneNumberID string
	To            string // digits, as WhatsApp ids are
	Template      string
	Language      string
	Params        []string
	ButtonParam   string
	At            time.Time
}

// Stats are the fake's counts for one phone number id.
type Stats struct {
	Accepted int
	// MaxPerSecond is the most messages accepted in any 1 s window.
	MaxPerSecond int
	RateLimited  int // 130429 answers
	PairLimited  int // 131056 answers
}

type template struct {
	id, name, language, category, body string
	vars                               int
	buttonVar                          bool
	created                            time.Time
	forced                             string // a status set by SetTemplateStatus
}

type job struct {
	url    string
	secret string
	bodies [][]byte
}

// Fake is the server. Everything is safe for concurrent use.
type Fake struct {
	URL string
	srv *httptest.Server

	mu           sync.Mutex
	clock        app.Clock
	perSecond    int
	pairInterval time.Duration
	approveAfter time.Duration
	pageSize     int
	msgLimit     int
	readReceipts bool
	webhookURL   string
	accounts     map[string]*Account // phone number id -> account
	byToken      map[string][]*Account
	templates    map[string][]*template // waba id -> templates, in creation order
	rejected     map[string]string      // template name -> reason
	notOnWA      map[string]bool
	inject       map[string][]injected // phone number id -> errors to answer next
	window       map[string][]time.Time
	lastPair     map[string]time.Time
	unique       map[string]map[string]time.Time // waba -> recipient -> first message in the 24 h
	messages     []Message
	stats        map[string]*Stats
	requests     int
	seq          int
	hooksOK      int
	hooksFailed  int

	queue   chan job
	wg      sync.WaitGroup
	closed  bool
	client  *http.Client
	sending sync.WaitGroup
}

type injected struct {
	status int
	code   int
	msg    string
}

// New starts the fake on loopback; Close stops it.
func New() *Fake {
	f := &Fake{clock: app.SystemClock{}, perSecond: 80, pairInterval: 6 * time.Second, pageSize: 25,
		accounts: map[string]*Account{}, byToken: map[string][]*Account{}, templates: map[string][]*template{},
		rejected: map[string]string{}, notOnWA: map[string]bool{}, inject: map[string][]injected{},
		window: map[string][]time.Time{}, lastPair: map[string]time.Time{}, unique: map[string]map[string]time.Time{},
		stats: map[string]*Stats{}, queue: make(chan job, 4096), client: &http.Client{Timeout: 10 * time.Second,
			Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second}}}
	for i := 0; i < 4; i++ {
		f.wg.Add(1)
		go f.worker()
	}
	f.srv = httptest.NewServer(f)
	f.URL = f.srv.URL
	return f
}

// Close stops taking requests, waits for the webhooks queued so far and
// stops the server.
func (f *Fake) Close() {
	f.srv.Close()
	f.Flush()
	if t, ok := f.client.Transport.(*http.Transport); ok {
		defer t.CloseIdleConnections()
	}
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.queue)
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// Flush waits until every webhook queued so far has been posted.
func (f *Fake) Flush() { f.sending.Wait() }

// AddAccount registers an account: its token works for its phone number
// and its WhatsApp Business Account.
func (f *Fake) AddAccount(a Account) {
	f.mu.Lock()
	defer f.mu.Unlock()
	acct := a
	if acct.DisplayPhone == "" {
		acct.DisplayPhone = "+1 555 000 " + fmt.Sprintf("%04d", len(f.accounts)%10000)
	}
	f.accounts[a.PhoneNumberID] = &acct
	f.byToken[a.Token] = append(f.byToken[a.Token], &acct)
	// Meta gives every new account its sample template, approved.
	if !slices.ContainsFunc(f.templates[a.WABAID], func(t *template) bool { return t.name == "hello_world" }) {
		f.seq++
		f.templates[a.WABAID] = append(f.templates[a.WABAID], &template{id: fmt.Sprintf("%d", 900000000+f.seq), name: "hello_world",
			language: "en_US", category: "UTILITY", body: "Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us.",
			forced: "APPROVED"})
	}
}

// hookURL is where an account's webhooks go. Called with f.mu held.
func (f *Fake) hookURL(acct *Account) string {
	if acct != nil && acct.WebhookURL != "" {
		return acct.WebhookURL
	}
	return f.webhookURL
}

// SetClock replaces the fake's clock (rate windows, template review,
// webhook timestamps).
func (f *Fake) SetClock(c app.Clock) { f.mu.Lock(); defer f.mu.Unlock(); f.clock = c }

// SetThroughput changes the messages per second a phone number may send
// (80 by default).
func (f *Fake) SetThroughput(perSecond int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.perSecond = perSecond
}

// SetPairInterval changes the pair rate limit (6 s by default; 0 turns it off).
func (f *Fake) SetPairInterval(d time.Duration) { f.mu.Lock(); defer f.mu.Unlock(); f.pairInterval = d }

// SetMessagingLimit limits the unique recipients an account reaches in a
// moving 24 h (0, the default, is unlimited).
func (f *Fake) SetMessagingLimit(n int) { f.mu.Lock(); defer f.mu.Unlock(); f.msgLimit = n }

// SetApproveAfter makes new templates stay PENDING that long on the
// fake's clock (0: approved at once).
func (f *Fake) SetApproveAfter(d time.Duration) { f.mu.Lock(); defer f.mu.Unlock(); f.approveAfter = d }

// SetPageSize changes the templates per page when the request sets no limit
// or a larger one (25 by default), so that tests see paging.
func (f *Fake) SetPageSize(n int) { f.mu.Lock(); defer f.mu.Unlock(); f.pageSize = n }

// Reject makes the review reject templates named name with reason
// (Meta's enum, e.g. INVALID_FORMAT).
func (f *Fake) Reject(name, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejected[name] = reason
}

// SetTemplateStatus forces a template's status (PAUSED, DISABLED, …).
func (f *Fake) SetTemplateStatus(wabaID, name, language, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range f.templates[wabaID] {
		if t.name == name && t.language == language {
			t.forced = status
		}
	}
}

// NotOnWhatsApp marks numbers (E.164 or digits) as having no WhatsApp.
func (f *Fake) NotOnWhatsApp(numbers ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range numbers {
		f.notOnWA[digits(n)] = true
	}
}

// SetReadReceipts makes every delivered message also reported read.
func (f *Fake) SetReadReceipts(on bool) { f.mu.Lock(); defer f.mu.Unlock(); f.readReceipts = on }

// SetWebhook sets the callback URL without the subscription check.
func (f *Fake) SetWebhook(url string) { f.mu.Lock(); defer f.mu.Unlock(); f.webhookURL = url }

// Subscribe does Meta's subscription check against callbackURL (GET with
// hub.mode, hub.verify_token, hub.challenge; the challenge must come back
// with 200) and, when it passes, sends webhooks there.
func (f *Fake) Subscribe(ctx context.Context, callbackURL, verifyToken string) error {
	f.mu.Lock()
	f.seq++
	challenge := strconv.Itoa(1_000_000 + f.seq*7919)
	f.mu.Unlock()
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {verifyToken}, "hub.challenge": {challenge}}
	sep := "?"
	if strings.Contains(callbackURL, "?") {
		sep = "&"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, callbackURL+sep+q.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }() // read below
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(buf.String()) != challenge {
		return fmt.Errorf("the callback URL did not answer the challenge (HTTP %d)", resp.StatusCode)
	}
	f.SetWebhook(callbackURL)
	return nil
}

// InjectError makes the next send from phoneNumberID answer Meta's error
// code with HTTP status (an outage, a code the fake does not model).
func (f *Fake) InjectError(phoneNumberID string, httpStatus, code int, message string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inject[phoneNumberID] = append(f.inject[phoneNumberID], injected{status: httpStatus, code: code, msg: message})
}

// Messages are the accepted messages, in order.
func (f *Fake) Messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.messages...)
}

// Stats are the counts for a phone number id.
func (f *Fake) Stats(phoneNumberID string) Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.stats[phoneNumberID]; s != nil {
		return *s
	}
	return Stats{}
}

// Requests counts every request answered.
func (f *Fake) Requests() int { f.mu.Lock(); defer f.mu.Unlock(); return f.requests }

// Webhooks counts webhook posts answered 2xx and those that failed.
func (f *Fake) Webhooks() (ok, failed int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hooksOK, f.hooksFailed
}

// ---- HTTP ----

var pathRe = regexp.MustCompile(`^/v[0-9]+\.[0-9]+/([0-9]+)(?:/([a-z_]+))?/?$`)

type graphErr struct {
	status  int
	code    int
	subcode int
	typ     string
	msg     string
	details string
	title   string
}

func (f *Fake) fail(w http.ResponseWriter, e graphErr) {
	if e.typ == "" {
		e.typ = "OAuthException"
	}
	if e.status == 0 {
		e.status = http.StatusBadRequest
	}
	body := map[string]any{"message": e.msg, "type": e.typ, "code": e.code, "fbtrace_id": "AfakeTrace" + strconv.Itoa(e.code)}
	if e.subcode != 0 {
		body["error_subcode"] = e.subcode
	}
	if e.details != "" {
		body["error_data"] = map[string]any{"messaging_product": "whatsapp", "details": e.details}
	}
	if e.title != "" {
		body["error_user_title"] = e.title
	}
	writeJSON(w, e.status, map[string]any{"error": body})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b) // the client going away is not the fake's problem
}

// ServeHTTP answers the Graph API endpoints.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	f.mu.Unlock()
	m := pathRe.FindStringSubmatch(r.URL.Path)
	if m == nil {
		f.fail(w, graphErr{code: 2500, msg: "Unknown path components: " + r.URL.Path})
		return
	}
	id, edge := m[1], m[2]
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	accts := f.byToken[token]
	f.mu.Unlock()
	if !ok || token == "" || len(accts) == 0 {
		f.fail(w, graphErr{status: http.StatusUnauthorized, code: 190, msg: "Invalid OAuth access token - Cannot parse access token"})
		return
	}
	var acct *Account
	isWABA := false
	for _, a := range accts {
		if a.PhoneNumberID == id {
			acct = a
		} else if a.WABAID == id {
			acct, isWABA = a, true
		}
	}
	if acct == nil {
		f.fail(w, graphErr{code: 100, subcode: 33, msg: fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", strings.ToLower(r.Method), id)})
		return
	}
	switch {
	case edge == "" && r.Method == http.MethodGet:
		if isWABA {
			writeJSON(w, http.StatusOK, map[string]any{"id": acct.WABAID, "name": "Fake business"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": acct.PhoneNumberID, "display_phone_number": acct.DisplayPhone,
			"verified_name": "Fake Shop", "quality_rating": "GREEN"})
	case edge == "messages" && r.Method == http.MethodPost && !isWABA:
		f.send(w, r, acct)
	case edge == "message_templates" && isWABA && r.Method == http.MethodGet:
		f.listTemplates(w, r, acct)
	case edge == "message_templates" && isWABA && r.Method == http.MethodPost:
		f.createTemplate(w, r, acct)
	default:
		f.fail(w, graphErr{code: 100, subcode: 33, msg: fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not support this operation.", strings.ToLower(r.Method), id)})
	}
}

// ---- templates ----

var templateName = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
var varRe = regexp.MustCompile(`\{\{([0-9]+)\}\}`)

// status is a template's review state now (caller holds mu).
func (f *Fake) status(t *template) string {
	if t.forced != "" {
		return t.forced
	}
	if _, ok := f.rejected[t.name]; ok {
		return "REJECTED"
	}
	if f.clock.Now().Sub(t.created) >= f.approveAfter {
		return "APPROVED"
	}
	return "PENDING"
}

type createReq struct {
	Name       string `json:"name"`
	Language   string `json:"language"`
	Category   string `json:"category"`
	Components []struct {
		Type    string `json:"type"`
		Text    string `json:"text"`
		Example struct {
			BodyText [][]string `json:"body_text"`
		} `json:"example"`
		Buttons []struct {
			Type    string   `json:"type"`
			Text    string   `json:"text"`
			URL     string   `json:"url"`
			Example []string `json:"example"`
		} `json:"buttons"`
	} `json:"components"`
}

func (f *Fake) createTemplate(w http.ResponseWriter, r *http.Request, acct *Account) {
	var in createReq
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		f.fail(w, graphErr{code: 100, msg: "(#100) Invalid parameter", details: "The request body is not valid JSON."})
		return
	}
	invalid := func(details string) {
		f.fail(w, graphErr{code: 100, msg: "(#100) Invalid parameter", details: details})
	}
	switch {
	case !templateName.MatchString(in.Name):
		invalid("name must be lowercase letters, digits and underscores.")
		return
	case in.Language == "":
		invalid("language is required.")
		return
	case in.Category != "UTILITY" && in.Category != "MARKETING" && in.Category != "AUTHENTICATION":
		invalid("category must be UTILITY, MARKETING or AUTHENTICATION.")
		return
	}
	t := &template{name: in.Name, language: in.Language, category: in.Category}
	for _, c := range in.Components {
		switch strings.ToUpper(c.Type) {
		case "BODY":
			t.body = c.Text
			n, okSeq := countVars(c.Text)
			if !okSeq {
				invalid("Body variables must be numbered {{1}}, {{2}}, … without gaps.")
				return
			}
			trimmed := strings.TrimSpace(c.Text)
			if n > 0 && (strings.HasPrefix(trimmed, "{{") || strings.HasSuffix(trimmed, "}}")) {
				invalid("The body can't start or end with a variable.")
				return
			}
			if n > 0 && (len(c.Example.BodyText) == 0 || len(c.Example.BodyText[0]) != n) {
				invalid(fmt.Sprintf("The body has %d variables: example.body_text must give %d values.", n, n))
				return
			}
			t.vars = n
		case "BUTTONS":
			for _, b := range c.Buttons {
				if strings.ToUpper(b.Type) == "URL" {
					if len([]rune(b.Text)) > 25 {
						invalid("Button text is limited to 25 characters.")
						return
					}
					if strings.Contains(b.URL, "{{1}}") {
						if !strings.HasSuffix(b.URL, "{{1}}") || len(b.Example) != 1 {
							invalid("A URL button's variable goes at the end of the URL and needs one example.")
							return
						}
						t.buttonVar = true
					}
				}
			}
		}
	}
	if t.body == "" {
		invalid("A template needs a BODY component.")
		return
	}
	f.mu.Lock()
	for _, old := range f.templates[acct.WABAID] {
		if old.name == in.Name && old.language == in.Language {
			f.mu.Unlock()
			f.fail(w, graphErr{code: 100, subcode: 2388024, msg: "(#100) Invalid parameter", title: "Message template already exists",
				details: fmt.Sprintf("There is already %s content for this template. Create a new template and try again.", in.Language)})
			return
		}
	}
	f.seq++
	t.id = strconv.Itoa(900000000000000 + f.seq)
	t.created = f.clock.Now()
	f.templates[acct.WABAID] = append(f.templates[acct.WABAID], t)
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"id": t.id, "status": "PENDING", "category": t.category})
}

func countVars(body string) (int, bool) {
	seen := map[int]bool{}
	max := 0
	for _, m := range varRe.FindAllStringSubmatch(body, -1) {
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 {
			return 0, false
		}
		seen[n] = true
		if n > max {
			max = n
		}
	}
	return max, len(seen) == max
}

func (f *Fake) listTemplates(w http.ResponseWriter, r *http.Request, acct *Account) {
	q := r.URL.Query()
	start := 0
	if a := q.Get("after"); a != "" {
		n, err := strconv.Atoi(a)
		if err != nil || n < 0 {
			f.fail(w, graphErr{code: 100, msg: "(#100) Invalid parameter", details: "after is not a cursor of this list."})
			return
		}
		start = n
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	limit := f.pageSize
	if n, err := strconv.Atoi(q.Get("limit")); err == nil && n > 0 && n < limit {
		limit = n
	}
	all := f.templates[acct.WABAID]
	start = min(start, len(all))
	end := min(start+limit, len(all))
	data := []map[string]any{}
	for _, t := range all[start:end] {
		st := f.status(t)
		reason := "NONE"
		if st == "REJECTED" {
			reason = f.rejected[t.name]
		}
		data = append(data, map[string]any{"name": t.name, "language": t.language, "status": st, "category": t.category,
			"id": t.id, "rejected_reason": reason})
	}
	paging := map[string]any{"cursors": map[string]any{"before": strconv.Itoa(start), "after": strconv.Itoa(end)}}
	if end < len(all) {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("after", strconv.Itoa(end))
		paging["next"] = f.URL + r.URL.Path + "?" + nq.Encode()
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "paging": paging})
}

// ---- messages ----

type sendReq struct {
	MessagingProduct string `json:"messaging_product"`
	RecipientType    string `json:"recipient_type"`
	To               string `json:"to"`
	Type             string `json:"type"`
	Template         *struct {
		Name     string `json:"name"`
		Language struct {
			Code string `json:"code"`
		} `json:"language"`
		Components []struct {
			Type       string `json:"type"`
			SubType    string `json:"sub_type"`
			Index      any    `json:"index"`
			Parameters []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"parameters"`
		} `json:"components"`
	} `json:"template"`
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var e164ish = regexp.MustCompile(`^\+?[0-9 ()-]{6,24}$`)

func (f *Fake) send(w http.ResponseWriter, r *http.Request, acct *Account) {
	var in sendReq
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		f.fail(w, graphErr{code: 100, msg: "(#100) Invalid parameter", details: "The request body is not valid JSON."})
		return
	}
	invalid := func(details string) {
		f.fail(w, graphErr{code: 100, msg: "(#100) Invalid parameter", details: details})
	}
	switch {
	case in.MessagingProduct != "whatsapp":
		invalid("messaging_product must be whatsapp.")
		return
	case in.To == "":
		invalid("The parameter to is required.")
		return
	case !e164ish.MatchString(in.To) || len(digits(in.To)) < 8 || len(digits(in.To)) > 15:
		f.fail(w, graphErr{code: 131009, msg: "(#131009) Parameter value is not valid", details: "to is not a valid phone number."})
		return
	case in.Type != "template" || in.Template == nil:
		invalid("The fake accepts template messages only.")
		return
	case in.Template.Name == "" || in.Template.Language.Code == "":
		f.fail(w, graphErr{code: 131008, msg: "(#131008) Required parameter is missing", details: "template.name and template.language.code are required."})
		return
	}
	var params []string
	button, hasButton := "", false
	for _, c := range in.Template.Components {
		for _, p := range c.Parameters {
			if p.Type != "text" || p.Text == "" {
				f.fail(w, graphErr{code: 131008, msg: "(#131008) Required parameter is missing", details: "Every text parameter needs text."})
				return
			}
		}
		switch strings.ToLower(c.Type) {
		case "body":
			for _, p := range c.Parameters {
				params = append(params, p.Text)
			}
		case "button":
			if strings.ToLower(c.SubType) != "url" || fmt.Sprint(c.Index) != "0" || len(c.Parameters) != 1 {
				f.fail(w, graphErr{code: 132000, msg: "(#132000) Number of parameters does not match the expected number of params", details: "The URL button at index 0 takes one parameter."})
				return
			}
			button, hasButton = c.Parameters[0].Text, true
		}
	}
	to := digits(in.To)
	f.mu.Lock()
	if inj := f.inject[acct.PhoneNumberID]; len(inj) > 0 {
		f.inject[acct.PhoneNumberID] = inj[1:]
		f.mu.Unlock()
		f.fail(w, graphErr{status: inj[0].status, code: inj[0].code, msg: fmt.Sprintf("(#%d) %s", inj[0].code, inj[0].msg), details: inj[0].msg})
		return
	}
	var tpl *template
	for _, t := range f.templates[acct.WABAID] {
		if t.name == in.Template.Name && t.language == in.Template.Language.Code {
			tpl = t
		}
	}
	status := ""
	if tpl != nil {
		status = f.status(tpl)
	}
	var ge *graphErr
	switch {
	case tpl == nil || status == "PENDING" || status == "REJECTED":
		ge = &graphErr{code: 132001, msg: "(#132001) Template name does not exist in the translation",
			details: fmt.Sprintf("template name (%s) does not exist in %s", in.Template.Name, in.Template.Language.Code)}
	case status == "PAUSED":
		ge = &graphErr{code: 132015, msg: "(#132015) Template is paused", details: "Template is paused due to low quality so it cannot be sent in a template message."}
	case status == "DISABLED":
		ge = &graphErr{code: 132016, msg: "(#132016) Template is disabled", details: "Template has been paused too many times due to low quality and is now permanently disabled."}
	case len(params) != tpl.vars || hasButton != tpl.buttonVar:
		ge = &graphErr{code: 132000, msg: "(#132000) Number of parameters does not match the expected number of params",
			details: fmt.Sprintf("body: number of localizable_params (%d) does not match the expected number of params (%d)", len(params), tpl.vars)}
	}
	if ge != nil {
		f.mu.Unlock()
		f.fail(w, *ge)
		return
	}
	now := f.clock.Now()
	st := f.stats[acct.PhoneNumberID]
	if st == nil {
		st = &Stats{}
		f.stats[acct.PhoneNumberID] = st
	}
	// Throughput: messages accepted in the last second.
	win := f.window[acct.PhoneNumberID]
	cut := 0
	for cut < len(win) && !win[cut].After(now.Add(-time.Second)) {
		cut++
	}
	win = win[cut:]
	if f.perSecond > 0 && len(win) >= f.perSecond {
		f.window[acct.PhoneNumberID] = win
		st.RateLimited++
		f.mu.Unlock()
		f.fail(w, graphErr{code: 130429, msg: "(#130429) Rate limit hit",
			details: "Cloud API message throughput has been reached."})
		return
	}
	pairKey := acct.PhoneNumberID + ">" + to
	if last, ok := f.lastPair[pairKey]; ok && f.pairInterval > 0 && now.Sub(last) < f.pairInterval {
		f.window[acct.PhoneNumberID] = win
		st.PairLimited++
		f.mu.Unlock()
		f.fail(w, graphErr{code: 131056, msg: "(#131056) (Business Account, Consumer Account) pair rate limit hit",
			details: "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time."})
		return
	}
	win = append(win, now)
	f.window[acct.PhoneNumberID] = win
	st.Accepted++
	st.MaxPerSecond = max(st.MaxPerSecond, len(win))
	f.lastPair[pairKey] = now
	f.seq++
	wamid := fmt.Sprintf("wamid.FAKE%016X%08X", now.UnixNano(), f.seq)
	f.messages = append(f.messages, Message{ID: wamid, PhoneNumberID: acct.PhoneNumberID, To: to, Template: tpl.name,
		Language: tpl.language, Params: params, ButtonParam: button, At: now})
	failCode, failTitle := 0, ""
	switch {
	case f.notOnWA[to]:
		failCode, failTitle = 131026, "Message undeliverable."
	case f.overLimit(acct.WABAID, to, now):
		failCode, failTitle = 131048, "Spam rate limit hit"
	}
	var bodies [][]byte
	if failCode != 0 {
		bodies = append(bodies, statusBody(acct, wamid, to, "failed", now, failCode, failTitle))
	} else {
		bodies = append(bodies, statusBody(acct, wamid, to, "sent", now, 0, ""), statusBody(acct, wamid, to, "delivered", now, 0, ""))
		if f.readReceipts {
			bodies = append(bodies, statusBody(acct, wamid, to, "read", now, 0, ""))
		}
	}
	f.enqueue(job{url: f.hookURL(acct), secret: acct.AppSecret, bodies: bodies})
	f.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"messaging_product": "whatsapp",
		"contacts": []map[string]any{{"input": in.To, "wa_id": to}},
		"messages": []map[string]any{{"id": wamid, "message_status": "accepted"}}})
}

// overLimit counts to against the account's unique recipients in a moving
// 24 h (caller holds mu); true when it is one too many.
func (f *Fake) overLimit(wabaID, to string, now time.Time) bool {
	if f.msgLimit <= 0 {
		return false
	}
	seen := f.unique[wabaID]
	if seen == nil {
		seen = map[string]time.Time{}
		f.unique[wabaID] = seen
	}
	for n, at := range seen {
		if now.Sub(at) >= 24*time.Hour {
			delete(seen, n)
		}
	}
	if _, ok := seen[to]; ok {
		return false
	}
	if len(seen) >= f.msgLimit {
		return true
	}
	seen[to] = now
	return false
}

// ---- webhooks ----

func envelope(acct *Account, value map[string]any) []byte {
	value["messaging_product"] = "whatsapp"
	value["metadata"] = map[string]any{"display_phone_number": digits(acct.DisplayPhone), "phone_number_id": acct.PhoneNumberID}
	b, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{ // maps of strings always encode
		"id": acct.WABAID, "changes": []any{map[string]any{"value": value, "field": "messages"}}}}})
	return b
}

func statusBody(acct *Account, wamid, to, status string, at time.Time, code int, title string) []byte {
	s := map[string]any{"id": wamid, "status": status, "timestamp": strconv.FormatInt(at.Unix(), 10), "recipient_id": to}
	if code != 0 {
		s["errors"] = []any{map[string]any{"code": code, "title": title, "message": title,
			"error_data": map[string]any{"details": title}, "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}}
	} else {
		s["conversation"] = map[string]any{"id": "CONVERSATION_" + to, "origin": map[string]any{"type": "utility"}}
		s["pricing"] = map[string]any{"billable": true, "pricing_model": "PMP", "category": "utility", "type": "regular"}
	}
	return envelope(acct, map[string]any{"statuses": []any{s}})
}

// enqueue hands a job to the workers (caller holds mu).
func (f *Fake) enqueue(j job) {
	if j.url == "" || f.closed || len(j.bodies) == 0 {
		return
	}
	f.sending.Add(1)
	select {
	case f.queue <- j:
	default:
		// The queue is full: deliver from a goroutine of its own rather
		// than hold the lock.
		go func() { f.queue <- j }()
	}
}

func (f *Fake) worker() {
	defer f.wg.Done()
	for j := range f.queue {
		for _, b := range j.bodies {
			// Meta retries a delivery that failed (with decreasing
			// frequency, for days): here a few times, a moment apart.
			ok := false
			for try := range 5 {
				if ok = f.post(j.url, j.secret, b) == nil; ok {
					break
				}
				time.Sleep(time.Duration(100<<try) * time.Millisecond)
			}
			f.mu.Lock()
			if ok {
				f.hooksOK++
			} else {
				f.hooksFailed++
			}
			f.mu.Unlock()
		}
		f.sending.Done()
	}
}

// Sign is Meta's X-Hub-Signature-256 value for body under secret.
func Sign(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func (f *Fake) post(url, secret string, body []byte) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", Sign(body, secret))
	resp, err := f.client.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close() // Meta keeps only the status
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// Reply posts, signed and at once, the webhook of a customer's text
// message to phoneNumberID (from: E.164 or digits), e.g. "BAJA".
func (f *Fake) Reply(phoneNumberID, from, text string) error {
	f.mu.Lock()
	acct := f.accounts[phoneNumberID]
	url := f.hookURL(acct)
	now := f.clock.Now()
	f.seq++
	id := fmt.Sprintf("wamid.FAKEIN%016X%08X", now.UnixNano(), f.seq)
	f.mu.Unlock()
	if acct == nil {
		return fmt.Errorf("no account has phone number id %s", phoneNumberID)
	}
	if url == "" {
		return fmt.Errorf("no webhook URL is set")
	}
	d := digits(from)
	body := envelope(acct, map[string]any{
		"contacts": []any{map[string]any{"profile": map[string]any{"name": "Customer"}, "wa_id": d}},
		"messages": []any{map[string]any{"from": d, "id": id, "timestamp": strconv.FormatInt(now.Unix(), 10), "type": "text",
			"text": map[string]any{"body": text}}},
	})
	return f.post(url, acct.AppSecret, body)
}

// SortedTemplates lists an account's templates as "name/language STATUS"
// (for debugging tests).
func (f *Fake) SortedTemplates(wabaID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, t := range f.templates[wabaID] {
		out = append(out, t.name+"/"+t.language+" "+f.status(t))
	}
	sort.Strings(out)
	return out
}
