package twilio_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/sms"
	"github.com/waybill-app/waybill/app/twilio"
	"github.com/waybill-app/waybill/app/twilio/twiliofake"
)

// receiver is Waybill's side of Twilio's webhooks: it keeps what arrives
// with a valid signature and refuses the rest, as the server must.
type receiver struct {
	srv   *httptest.Server
	token string

	mu       sync.Mutex
	reports  []app.TextReport
	refused  int
	statuses []string
}

func newReceiver(t *testing.T, token string) *receiver {
	rc := &receiver{token: token}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		fullURL := rc.srv.URL + r.URL.RequestURI()
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if !twilio.ValidSignature(rc.token, fullURL, r.PostForm, r.Header.Get(twilio.SignatureHeader)) {
			rc.refused++
			w.WriteHeader(http.StatusForbidden)
			return
		}
		if r.URL.Path == "/inbound" {
			rc.reports = append(rc.reports, twilio.ParseInbound(r.PostForm))
		} else {
			rc.reports = append(rc.reports, twilio.ParseStatus(r.PostForm))
			rc.statuses = append(rc.statuses, r.PostForm.Get("MessageStatus"))
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) got() ([]app.TextReport, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]app.TextReport(nil), rc.reports...), rc.refused
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

type env struct {
	fake    *twiliofake.Fake
	client  *twilio.Client
	conn    *app.ChannelConnection
	service *app.ChannelConnection
	rc      *receiver
	api     *httptest.Server
}

const sender = "+34910000001"

func setup(t *testing.T, o twiliofake.Options) *env {
	t.Helper()
	fake := twiliofake.New(o)
	api := httptest.NewServer(fake)
	t.Cleanup(func() { api.Close(); fake.Close() })
	sid, token, mg := twiliofake.NewSID("AC"), "auth-token-1", twiliofake.NewSID("MG")
	rc := newReceiver(t, token)
	fake.AddAccount(twiliofake.Account{SID: sid, AuthToken: token, Numbers: []string{sender},
		MessagingServices: []string{mg}, InboundURL: rc.srv.URL + "/inbound"})
	return &env{fake: fake, api: api, rc: rc,
		client:  twilio.New(twilio.Options{BaseURL: api.URL, HTTPClient: api.Client()}),
		conn:    &app.ChannelConnection{Channel: app.ChannelSMS, Provider: app.ProviderTwilio, AccountID: sid, SenderID: sender, Token: token},
		service: &app.ChannelConnection{Channel: app.ChannelSMS, Provider: app.ProviderTwilio, AccountID: sid, SenderID: mg, Token: token},
	}
}

func (e *env) text(to, body string) app.Text {
	return app.Text{To: to, Locale: "es", Body: body, StatusCallback: e.rc.srv.URL + "/status?text=t1"}
}

func TestSendReportsSegmentsAndSignedCallbacks(t *testing.T) {
	e := setup(t, twiliofake.Options{})
	body := "Hola Lucía: tu pedido #1001 ya está en camino con Correos. Sigue el envío aquí: https://tienda.example/a/t/8Fq2 ¡Gracias!"
	sent, err := e.client.Send(context.Background(), e.conn, e.text("+34612345678", body))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sent.ProviderMessageID, "SM") || len(sent.ProviderMessageID) != 34 {
		t.Errorf("sid %q, want SM + 32 hex", sent.ProviderMessageID)
	}
	if sent.Segments != 2 || sent.Encoding != sms.UCS2 {
		t.Errorf("sent %d segments %s, want 2 ucs2 (the accents cost a segment)", sent.Segments, sent.Encoding)
	}
	msgs := e.fake.Messages()
	if len(msgs) != 1 || msgs[0].To != "+34612345678" || msgs[0].Body != body || msgs[0].From != sender || msgs[0].Segments != 2 {
		t.Fatalf("Twilio has %+v", msgs)
	}

	// Fitted, the same message is one GSM-7 segment.
	fitted, err := e.client.Send(context.Background(), e.conn, e.text("+34612345679", sms.Fit(body)))
	if err != nil {
		t.Fatal(err)
	}
	if fitted.Segments != 1 || fitted.Encoding != sms.GSM7 {
		t.Errorf("fitted: %d segments %s, want 1 gsm7", fitted.Segments, fitted.Encoding)
	}

	e.fake.Drain()
	reports, refused := e.rc.got()
	if refused != 0 {
		t.Fatalf("%d callbacks failed the signature check", refused)
	}
	var first []app.TextStatus
	for _, r := range reports {
		if r.ProviderMessageID == sent.ProviderMessageID {
			first = append(first, r.Status)
		}
	}
	if len(first) != 2 || first[0] != app.TextSent || first[1] != app.TextDelivered {
		t.Errorf("the customer's message was reported %v, want [sent delivered]", first)
	}
}

func TestCallbackWithAForgedSignatureIsRefused(t *testing.T) {
	e := setup(t, twiliofake.Options{})
	// The same account's callbacks, signed with another token.
	e.rc.token = "someone-else"
	if _, err := e.client.Send(context.Background(), e.conn, e.text("+34612345678", "Tu pedido llega hoy")); err != nil {
		t.Fatal(err)
	}
	e.fake.Drain()
	if reports, refused := e.rc.got(); len(reports) != 0 || refused != 2 {
		t.Errorf("accepted %d reports and refused %d; want none accepted, 2 refused", len(reports), refused)
	}
}

func TestMessagingService(t *testing.T) {
	e := setup(t, twiliofake.Options{})
	sent, err := e.client.Send(context.Background(), e.service, e.text("+5215512345678", "Tu pedido llega hoy"))
	if err != nil {
		t.Fatal(err)
	}
	msgs := e.fake.Messages()
	if len(msgs) != 1 || msgs[0].MessagingServiceSID != e.service.SenderID || msgs[0].From != "" {
		t.Fatalf("Twilio has %+v, want a message through the Messaging Service", msgs)
	}
	// Twilio answers num_segments 0 before it picks a sender: Waybill counts.
	if sent.Segments != 1 || sent.Encoding != sms.GSM7 {
		t.Errorf("sent %+v, want 1 gsm7 segment", sent)
	}
}

func TestRecipientRefused(t *testing.T) {
	e := setup(t, twiliofake.Options{})
	e.fake.NotMobile("+34910000099")
	for _, tc := range []struct {
		name, to, code string
	}{
		{"not E.164", "612345678", "21211"},
		{"landline", "+34910000099", "21614"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.client.Send(context.Background(), e.conn, e.text(tc.to, "Tu pedido llega hoy"))
			if app.ErrorCodeOf(err) != app.ErrInvalid || !errors.Is(err, app.ErrRecipientRefused) {
				t.Fatalf("err = %v (%s), want invalid and recipient refused", err, app.ErrorCodeOf(err))
			}
			msg := app.ErrorMessageOf(err)
			if !strings.Contains(msg, tc.code) || strings.Contains(err.Error(), "12345678") || strings.Contains(err.Error(), "910000099") {
				t.Errorf("message %q (error %q): want Twilio's code %s and never the number", msg, err, tc.code)
			}
		})
	}
	if n := len(e.fake.Messages()); n != 0 {
		t.Errorf("Twilio accepted %d messages", n)
	}
}

func TestStopReplyUnsubscribesAndBajaDoesNotAtTwilio(t *testing.T) {
	e := setup(t, twiliofake.Options{})
	customer, other := "+34612345678", "+34699999999"
	if status, err := e.fake.Inbound(e.conn.AccountID, customer, sender, "Stop"); err != nil || status != http.StatusNoContent {
		t.Fatalf("inbound: %d %v", status, err)
	}
	if status, err := e.fake.Inbound(e.conn.AccountID, other, sender, " baja. "); err != nil || status != http.StatusNoContent {
		t.Fatalf("inbound: %d %v", status, err)
	}
	reports, refused := e.rc.got()
	if refused != 0 || len(reports) != 2 {
		t.Fatalf("got %d reports, %d refused", len(reports), refused)
	}
	for i, want := range []string{customer, other} {
		if r := reports[i]; r.From != want || !r.OptOut || r.Status != "" {
			t.Errorf("reply %d read as %+v, want an opt-out from %s", i, r, want)
		}
	}

	_, err := e.client.Send(context.Background(), e.conn, e.text(customer, "Tu pedido llega hoy"))
	if !errors.Is(err, app.ErrRecipientRefused) || !strings.Contains(app.ErrorMessageOf(err), "21610") {
		t.Errorf("after STOP: %v, want 21610 recipient refused", err)
	}
	// Twilio does not know BAJA: it would deliver, so Waybill must suppress.
	if _, err := e.client.Send(context.Background(), e.conn, e.text(other, "Tu pedido llega hoy")); err != nil {
		t.Errorf("after BAJA Twilio refused: %v", err)
	}
}

func TestAdvancedOptOutType(t *testing.T) {
	e := setup(t, twiliofake.Options{})
	sid, token := twiliofake.NewSID("AC"), "tok-2"
	rc := newReceiver(t, token)
	e.fake.AddAccount(twiliofake.Account{SID: sid, AuthToken: token, Numbers: []string{sender}, InboundURL: rc.srv.URL + "/inbound", AdvancedOptOut: true})
	if _, err := e.fake.Inbound(sid, "+34612345678", sender, "UNSUBSCRIBE"); err != nil {
		t.Fatal(err)
	}
	callbacks := e.fake.Callbacks()
	if len(callbacks) != 1 || callbacks[0].Form.Get("OptOutType") != "STOP" {
		t.Fatalf("posted %+v, want OptOutType STOP", callbacks)
	}
	if reports, _ := rc.got(); len(reports) != 1 || !reports[0].OptOut {
		t.Errorf("reports %+v, want an opt-out", reports)
	}
}

func TestUndeliveredReportsTheCarrierCode(t *testing.T) {
	e := setup(t, twiliofake.Options{})
	e.fake.Undeliverable("+34612000000", "30003")
	sent, err := e.client.Send(context.Background(), e.conn, e.text("+34612000000", "Tu pedido llega hoy"))
	if err != nil {
		t.Fatal(err)
	}
	e.fake.Drain()
	reports, _ := e.rc.got()
	if len(reports) != 2 {
		t.Fatalf("reports %+v", reports)
	}
	last := reports[1]
	if last.ProviderMessageID != sent.ProviderMessageID || last.Status != app.TextFailed || last.ErrorCode != "30003" ||
		last.ErrorTitle != "Unreachable destination handset" {
		t.Errorf("final report %+v, want failed 30003", last)
	}
}

func TestAuthAndCheck(t *testing.T) {
	e := setup(t, twiliofake.Options{})
	ctx := context.Background()
	if err := e.client.Check(ctx, e.conn); err != nil {
		t.Fatalf("Check: %v", err)
	}
	bad := *e.conn
	bad.Token = "wrong"
	if err := e.client.Check(ctx, &bad); app.ErrorCodeOf(err) != app.ErrUnauthorized || !strings.Contains(err.Error(), "20003") {
		t.Errorf("Check with a wrong token: %v, want unauthorized 20003", err)
	}
	if _, err := e.client.Send(ctx, &bad, e.text("+34612345678", "Hola")); app.ErrorCodeOf(err) != app.ErrUnauthorized {
		t.Errorf("Send with a wrong token: %v, want unauthorized", err)
	}
	if n := len(e.fake.Messages()); n != 0 {
		t.Errorf("%d messages sent with a wrong token", n)
	}
	e.fake.AddAccount(twiliofake.Account{SID: e.conn.AccountID, AuthToken: e.conn.Token, Numbers: []string{sender}, Status: "suspended"})
	if err := e.client.Check(ctx, e.conn); app.ErrorCodeOf(err) != app.ErrInvalid || !strings.Contains(app.ErrorMessageOf(err), "suspended") {
		t.Errorf("Check of a suspended account: %v", err)
	}
}

func TestIdempotentResend(t *testing.T) {
	e := setup(t, twiliofake.Options{})
	ctx := context.Background()
	txt := e.text("+34612345678", "Tu pedido #1001 ha salido")
	txt.IdempotencyKey = "text-01JD-shipped"
	first, err := e.client.Send(ctx, e.conn, txt)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.client.Send(ctx, e.conn, txt)
	if err != nil {
		t.Fatal(err)
	}
	if again.ProviderMessageID != first.ProviderMessageID {
		t.Errorf("resend gave %s, first %s", again.ProviderMessageID, first.ProviderMessageID)
	}
	if n := len(e.fake.Messages()); n != 1 {
		t.Errorf("the customer got %d messages, want 1", n)
	}
	txt.IdempotencyKey = "text-01JD-delivered"
	if other, err := e.client.Send(ctx, e.conn, txt); err != nil || other.ProviderMessageID == first.ProviderMessageID {
		t.Errorf("another key: %+v %v, want a new message", other, err)
	}
}

func TestRetryableErrors(t *testing.T) {
	e := setup(t, twiliofake.Options{})
	ctx := context.Background()
	e.fake.FailNext(http.StatusTooManyRequests, 20429, "Too Many Requests")
	if _, err := e.client.Send(ctx, e.conn, e.text("+34612345678", "Hola")); app.ErrorCodeOf(err) != app.ErrRateLimited {
		t.Errorf("429: %v, want rate limited", err)
	}
	e.fake.FailNext(http.StatusServiceUnavailable, 20503, "Service Unavailable")
	if _, err := e.client.Send(ctx, e.conn, e.text("+34612345678", "Hola")); app.ErrorCodeOf(err) != app.ErrUnavailable {
		t.Errorf("503: %v, want unavailable", err)
	}
	e.fake.FailNext(http.StatusBadRequest, 21606, "The From phone number +34910000001 is not a valid, SMS-capable inbound phone number")
	_, err := e.client.Send(ctx, e.conn, e.text("+34612345678", "Hola"))
	if app.ErrorCodeOf(err) != app.ErrInvalid || errors.Is(err, app.ErrRecipientRefused) || strings.Contains(err.Error(), "910000001") {
		t.Errorf("21606: %v, want invalid, not about the recipient, without the number", err)
	}
	down := twilio.New(twilio.Options{BaseURL: "http://127.0.0.1:1"})
	if _, err := down.Send(ctx, e.conn, e.text("+34612345678", "Hola")); app.ErrorCodeOf(err) != app.ErrUnavailable {
		t.Errorf("unreachable: %v, want unavailable", err)
	}
}

func TestQueueReleasesAtTheSenderRate(t *testing.T) {
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	e := setup(t, twiliofake.Options{MPS: 100, Clock: fixedClock{start}})
	ctx := context.Background()
	long := strings.Repeat("Tu pedido llega hoy. ", 10) // 210 septets: 2 segments
	for _, tc := range []struct {
		conn *app.ChannelConnection
		body string
	}{{e.conn, "Uno"}, {e.conn, long}, {e.conn, "Tres"}, {e.service, "Otro remitente"}} {
		if _, err := e.client.Send(ctx, tc.conn, e.text("+34612345678", tc.body)); err != nil {
			t.Fatal(err)
		}
	}
	var got []time.Duration
	for _, m := range e.fake.Messages() {
		got = append(got, m.SendAt.Sub(start))
	}
	// 100 segments per second per sender: 10 ms a segment, the long one 20.
	want := []time.Duration{0, 10 * time.Millisecond, 30 * time.Millisecond, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("released at %v, want %v", got, want)
		}
	}
}

func TestPerSecond(t *testing.T) {
	c := twilio.New(twilio.Options{})
	for sender, want := range map[string]int{"+15005550006": 1, "+34910000001": 10, "MG0123": 10, "WAYBILL": 10} {
		if got := c.PerSecond(&app.ChannelConnection{SenderID: sender}); got != want {
			t.Errorf("PerSecond(%s) = %d, want %d", sender, got, want)
		}
	}
	if c.Channel() != app.ChannelSMS {
		t.Errorf("channel %s", c.Channel())
	}
}

// Twilio's published example (the helper libraries' documentation and
// tests: twilio-php, twilio-python, twilio-csharp): auth token 12345.
var (
	vectorURL  = "https://mycompany.com/myapp.php?foo=1&bar=2"
	vectorForm = url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675309"}, "Digits": {"1234"},
		"From": {"+14158675309"}, "To": {"+18005551212"}}
)

func TestSignaturePublishedVectors(t *testing.T) {
	if got := twilio.Signature("12345", vectorURL, vectorForm); got != "RSOYDt4T1cUTdK1PDd93/VVr8B8=" {
		t.Errorf("Signature = %s", got)
	}
	if !twilio.ValidSignature("12345", vectorURL, vectorForm, "RSOYDt4T1cUTdK1PDd93/VVr8B8=") {
		t.Error("Twilio's example signature refused")
	}
	// twilio-go's client/request_validator_test.go vector.
	goForm := url.Values{"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"},
		"Caller": {"+14158675309"}, "From": {"+14158675309"}, "ReasonConferenceEnded": {"test"}, "Reason": {"Participant"}}
	if !twilio.ValidSignature("12345", vectorURL, goForm, "vOEb5UThFn24KEfnOFLQY2AE5FY=") {
		t.Error("twilio-go's vector refused")
	}
	// Twilio may have signed the URL with or without the default port.
	if !twilio.ValidSignature("12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", vectorForm, "RSOYDt4T1cUTdK1PDd93/VVr8B8=") {
		t.Error("the URL with :443 refused")
	}
	tampered := url.Values{}
	for k, v := range vectorForm {
		tampered[k] = v
	}
	tampered.Set("Digits", "1235")
	for name, ok := range map[string]bool{
		"tampered form":  twilio.ValidSignature("12345", vectorURL, tampered, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
		"other token":    twilio.ValidSignature("12346", vectorURL, vectorForm, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
		"other URL":      twilio.ValidSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=3", vectorForm, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
		"http for https": twilio.ValidSignature("12345", "http://mycompany.com/myapp.php?foo=1&bar=2", vectorForm, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
		"no header":      twilio.ValidSignature("12345", vectorURL, vectorForm, ""),
		"no token":       twilio.ValidSignature("", vectorURL, vectorForm, twilio.Signature("", vectorURL, vectorForm)),
	} {
		if ok {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		status, code string
		want         app.TextStatus
		wantCode     string
	}{
		{"queued", "", app.TextSent, ""},
		{"sending", "", app.TextSent, ""},
		{"sent", "", app.TextSent, ""},
		{"delivered", "0", app.TextDelivered, ""},
		{"undelivered", "30005", app.TextFailed, "30005"},
		{"failed", "30006", app.TextFailed, "30006"},
		{"read", "", app.TextRead, ""},
		{"receiving", "", "", ""},
	} {
		r := twilio.ParseStatus(url.Values{"MessageSid": {"SM1"}, "MessageStatus": {tc.status}, "ErrorCode": {tc.code}})
		if r.Status != tc.want || r.ErrorCode != tc.wantCode || r.ProviderMessageID != "SM1" || r.Channel != app.ChannelSMS {
			t.Errorf("%s/%s read as %+v", tc.status, tc.code, r)
		}
	}
}

func TestParseInbound(t *testing.T) {
	for _, tc := range []struct {
		body, optOutType string
		want             bool
	}{
		{"STOP", "", true},
		{"stop", "", true},
		{" Stop ", "", true},
		{"STOPALL", "", true},
		{"cancel", "", true},
		{"BAJA", "", true},
		{"baja.", "", true},
		{"¡Baja!", "", true},
		{"Baja por favor", "", false},
		{"Para", "STOP", true},
		{"START", "START", false},
		{"¿Cuándo llega mi pedido?", "", false},
	} {
		form := url.Values{"MessageSid": {"SM2"}, "From": {"+34612345678"}, "Body": {tc.body}}
		if tc.optOutType != "" {
			form.Set("OptOutType", tc.optOutType)
		}
		r := twilio.ParseInbound(form)
		if r.OptOut != tc.want || r.From != "+34612345678" || r.Body != tc.body || r.Status != "" {
			t.Errorf("%q (OptOutType %q) read as %+v, want opt-out %v", tc.body, tc.optOutType, r, tc.want)
		}
	}
}
