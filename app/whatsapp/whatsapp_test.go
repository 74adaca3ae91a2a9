package whatsapp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/whatsapp"
	"github.com/waybill-app/waybill/app/whatsapp/whatsappfake"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

const tracking = "https://track.example.com/t/"

type env struct {
	fake  *whatsappfake.Fake
	wa    *whatsapp.Client
	conn  *app.ChannelConnection
	clock *clock
}

func setup(t *testing.T) *env {
	t.Helper()
	f := whatsappfake.New()
	t.Cleanup(f.Close)
	c := &clock{now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	f.SetClock(c)
	f.AddAccount(whatsappfake.Account{WABAID: "102290129340398", PhoneNumberID: "106540352242922", Token: "EAAtoken-shop1", AppSecret: "app-secret-1"})
	return &env{fake: f, clock: c, wa: whatsapp.New(whatsapp.Options{BaseURL: f.URL}),
		conn: &app.ChannelConnection{Channel: app.ChannelWhatsApp, Provider: app.ProviderMeta, AccountID: "102290129340398",
			SenderID: "106540352242922", Token: "EAAtoken-shop1", AppSecret: "app-secret-1"}}
}

func (e *env) createAll(t *testing.T) {
	t.Helper()
	for _, d := range whatsapp.Definitions(tracking) {
		if err := e.wa.CreateTemplate(context.Background(), e.conn, d); err != nil {
			t.Fatalf("create %s/%s: %v", d.Name, d.Language, err)
		}
	}
}

func (e *env) shipped(to, locale string) app.Text {
	return app.Text{To: to, Locale: locale, Template: whatsapp.TemplateName(app.NotifyShipped),
		Params: whatsapp.Params(app.NotifyShipped, "#1001", "Correos", "PK123ES"), ButtonParam: "tok123"}
}

func wantCode(t *testing.T, err error, code app.ErrorCode, meta int) {
	t.Helper()
	if app.ErrorCodeOf(err) != code {
		t.Fatalf("error %v: code %q, want %q", err, app.ErrorCodeOf(err), code)
	}
	if meta != 0 && whatsapp.MetaCode(err) != meta {
		t.Fatalf("error %v: Meta code %d, want %d", err, whatsapp.MetaCode(err), meta)
	}
	if meta != 0 && !strings.Contains(app.ErrorMessageOf(err), "Meta error") {
		t.Fatalf("message %q does not name Meta's code", app.ErrorMessageOf(err))
	}
}

func TestSendDeliversTheTemplateTheCustomerReads(t *testing.T) {
	e := setup(t)
	e.createAll(t)
	ctx := context.Background()
	sent, err := e.wa.Send(ctx, e.conn, e.shipped("+34600111222", "es-MX"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.wa.Send(ctx, e.conn, e.shipped("+447700900123", "en-GB")); err != nil {
		t.Fatal(err)
	}
	msgs := e.fake.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages accepted, want 2", len(msgs))
	}
	m := msgs[0]
	if m.ID != sent.ProviderMessageID || !strings.HasPrefix(m.ID, "wamid.") {
		t.Fatalf("provider id %q, the fake recorded %q", sent.ProviderMessageID, m.ID)
	}
	if m.To != "34600111222" || m.Template != "waybill_shipped" || m.Language != "es" || m.ButtonParam != "tok123" ||
		!slices.Equal(m.Params, []string{"#1001", "Correos", "PK123ES"}) {
		t.Fatalf("recorded %+v", m)
	}
	if msgs[1].Language != "en" {
		t.Fatalf("en-GB went as %q", msgs[1].Language)
	}
	// What the customer reads.
	for _, d := range whatsapp.Definitions(tracking) {
		if d.Name == m.Template && d.Language == m.Language {
			got := whatsapp.Body(d, m.Params)
			want := "Tu pedido #1001 ya está en camino con Correos. Número de seguimiento: PK123ES. Puedes seguir el envío en el enlace de abajo."
			if got != want {
				t.Fatalf("body %q\nwant %q", got, want)
			}
			if link := strings.Replace(d.ButtonURL, "{{1}}", m.ButtonParam, 1); link != tracking+"tok123" {
				t.Fatalf("button opens %q", link)
			}
		}
	}
	if e.wa.PerSecond(e.conn) != 80 || e.wa.Channel() != app.ChannelWhatsApp {
		t.Fatal("WhatsApp paces at Meta's default 80 messages a second")
	}
}

func TestSendEmptyParameterGoesAsDash(t *testing.T) {
	e := setup(t)
	e.createAll(t)
	txt := e.shipped("+34600111222", "es")
	txt.Params = whatsapp.Params(app.NotifyShipped, "#1001", "", "PK1")
	if _, err := e.wa.Send(context.Background(), e.conn, txt); err != nil {
		t.Fatal(err)
	}
	if p := e.fake.Messages()[0].Params; p[1] != "-" {
		t.Fatalf("params %q", p)
	}
}

func TestSendTemplateNotReadyIsInvalid(t *testing.T) {
	e := setup(t)
	e.fake.SetApproveAfter(time.Hour)
	e.createAll(t)
	ctx := context.Background()
	_, err := e.wa.Send(ctx, e.conn, e.shipped("+34600111222", "es"))
	wantCode(t, err, app.ErrInvalid, 132001)
	if errors.Is(err, app.ErrRecipientRefused) {
		t.Fatal("a template not approved is not the recipient's fault")
	}
	e.clock.Advance(time.Hour)
	e.fake.SetTemplateStatus(e.conn.AccountID, "waybill_shipped", "es", "PAUSED")
	_, err = e.wa.Send(ctx, e.conn, e.shipped("+34600111222", "es"))
	wantCode(t, err, app.ErrInvalid, 132015)

	txt := e.shipped("+34600111222", "en")
	txt.Params = txt.Params[:2]
	_, err = e.wa.Send(ctx, e.conn, txt)
	wantCode(t, err, app.ErrInvalid, 132000)
	if len(e.fake.Messages()) != 0 {
		t.Fatal("a refused message was recorded as sent")
	}
}

func TestThroughputLimitIsRateLimited(t *testing.T) {
	e := setup(t)
	e.createAll(t)
	e.fake.SetThroughput(3)
	ctx := context.Background()
	for _, to := range []string{"+34600000001", "+34600000002", "+34600000003"} {
		if _, err := e.wa.Send(ctx, e.conn, e.shipped(to, "es")); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.wa.Send(ctx, e.conn, e.shipped("+34600000004", "es"))
	wantCode(t, err, app.ErrRateLimited, 130429)
	e.clock.Advance(time.Second)
	if _, err := e.wa.Send(ctx, e.conn, e.shipped("+34600000004", "es")); err != nil {
		t.Fatalf("a second later: %v", err)
	}
	st := e.fake.Stats(e.conn.SenderID)
	if st.Accepted != 4 || st.RateLimited != 1 || st.MaxPerSecond != 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestPairRateLimitIsRateLimited(t *testing.T) {
	e := setup(t)
	e.createAll(t)
	ctx := context.Background()
	if _, err := e.wa.Send(ctx, e.conn, e.shipped("+34600111222", "es")); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(5 * time.Second)
	_, err := e.wa.Send(ctx, e.conn, e.shipped("+34600111222", "es"))
	wantCode(t, err, app.ErrRateLimited, 131056)
	e.clock.Advance(time.Second)
	if _, err := e.wa.Send(ctx, e.conn, e.shipped("+34600111222", "es")); err != nil {
		t.Fatalf("6 s later: %v", err)
	}
	if st := e.fake.Stats(e.conn.SenderID); st.PairLimited != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestBadTokenIsUnauthorized(t *testing.T) {
	e := setup(t)
	e.createAll(t)
	ctx := context.Background()
	if err := e.wa.Check(ctx, e.conn); err != nil {
		t.Fatalf("check with the right token: %v", err)
	}
	bad := *e.conn
	bad.Token = "EAAexpired"
	wantCode(t, e.wa.Check(ctx, &bad), app.ErrUnauthorized, 190)
	_, err := e.wa.Send(ctx, &bad, e.shipped("+34600111222", "es"))
	wantCode(t, err, app.ErrUnauthorized, 190)
	_, err = e.wa.Templates(ctx, &bad)
	wantCode(t, err, app.ErrUnauthorized, 190)

	_, err = e.wa.Send(ctx, nil, e.shipped("+34600111222", "es"))
	wantCode(t, err, app.ErrUnauthorized, 0)

	other := *e.conn
	other.SenderID = "999999999999999"
	wantCode(t, e.wa.Check(ctx, &other), app.ErrInvalid, 100)
}

func TestMetaErrorsMapToWhatARetryCanDo(t *testing.T) {
	e := setup(t)
	e.createAll(t)
	cases := []struct {
		status, code int
		want         app.ErrorCode
		recipient    bool
	}{
		{500, 131000, app.ErrUnavailable, false},
		{503, 2, app.ErrUnavailable, false},
		{400, 131026, app.ErrInvalid, true},
		{400, 131030, app.ErrInvalid, true},
		{401, 190, app.ErrUnauthorized, false},
		{403, 10, app.ErrUnauthorized, false},
		{400, 80007, app.ErrRateLimited, false},
		{400, 4, app.ErrRateLimited, false},
		{400, 132016, app.ErrInvalid, false},
		{400, 368, app.ErrInvalid, false},
	}
	for i, c := range cases {
		e.fake.InjectError(e.conn.SenderID, c.status, c.code, "Failure for +34 600 111 222 in detail")
		e.clock.Advance(7 * time.Second)
		_, err := e.wa.Send(context.Background(), e.conn, e.shipped("+34600111222", "es"))
		wantCode(t, err, c.want, c.code)
		if errors.Is(err, app.ErrRecipientRefused) != c.recipient {
			t.Errorf("case %d (%d): recipient refused %v, want %v", i, c.code, !c.recipient, c.recipient)
		}
		if msg := app.ErrorMessageOf(err) + err.Error(); strings.Contains(msg, "600 111 222") || strings.Contains(msg, "34600111222") {
			t.Errorf("case %d: the phone number leaked into %q", i, msg)
		}
	}
	// Meta unreachable.
	down := whatsapp.New(whatsapp.Options{BaseURL: "http://127.0.0.1:1"})
	_, err := down.Send(context.Background(), e.conn, e.shipped("+34600111222", "es"))
	wantCode(t, err, app.ErrUnavailable, 0)
}

func TestTemplatesCreateReviewAndList(t *testing.T) {
	e := setup(t)
	e.fake.SetApproveAfter(time.Hour)
	e.fake.SetPageSize(4) // several pages
	e.fake.Reject("waybill_delayed", "INVALID_FORMAT")
	ctx := context.Background()
	e.createAll(t)
	// A template of the merchant's own is not Waybill's.
	if err := e.wa.CreateTemplate(ctx, e.conn, app.TemplateDefinition{Name: "summer_promo", Language: "es", Body: "Hola, rebajas de verano."}); err != nil {
		t.Fatal(err)
	}
	defs := whatsapp.Definitions(tracking)
	list := func() map[string]app.TextTemplate {
		ts, err := e.wa.Templates(ctx, e.conn)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]app.TextTemplate{}
		for _, x := range ts {
			m[x.Name+"/"+x.Language] = x
		}
		if len(m) != len(defs) || len(ts) != len(defs) {
			t.Fatalf("listed %d Waybill templates (%d distinct), want %d", len(ts), len(m), len(defs))
		}
		return m
	}
	m := list()
	for _, d := range defs {
		x := m[d.Name+"/"+d.Language]
		want := app.TemplatePending
		if d.Event == app.NotifyDelayed {
			want = app.TemplateRejected
		}
		if x.Status != want || x.Event != d.Event {
			t.Fatalf("%s/%s: %+v, want %s", d.Name, d.Language, x, want)
		}
		if want == app.TemplateRejected && x.Reason != "INVALID_FORMAT" || want != app.TemplateRejected && x.Reason != "" {
			t.Fatalf("%s/%s reason %q", d.Name, d.Language, x.Reason)
		}
	}
	e.clock.Advance(time.Hour)
	e.fake.SetTemplateStatus(e.conn.AccountID, "waybill_delivered", "en", "DISABLED")
	m = list()
	if m["waybill_shipped/es"].Status != app.TemplateApproved || m["waybill_delivered/en"].Status != app.TemplateDisabled {
		t.Fatalf("after review: %+v %+v", m["waybill_shipped/es"], m["waybill_delivered/en"])
	}
	// Creating again: Meta refuses the duplicate, which is no error. The
	// account has Waybill's, one made earlier in this test, and Meta's
	// hello_world sample.
	e.createAll(t)
	if n := len(e.fake.SortedTemplates(e.conn.AccountID)); n != len(defs)+2 {
		t.Fatalf("%d templates in the account after creating twice, want %d", n, len(defs)+2)
	}
}

func TestFakeRefusesATemplateMetaWouldRefuse(t *testing.T) {
	e := setup(t)
	err := e.wa.CreateTemplate(context.Background(), e.conn, app.TemplateDefinition{Name: "waybill_shipped", Language: "es",
		Body: "{{1}} ya está en camino.", Example: []string{"#1"}})
	wantCode(t, err, app.ErrInvalid, 100)
	err = e.wa.CreateTemplate(context.Background(), e.conn, app.TemplateDefinition{Name: "waybill_shipped", Language: "es",
		Body: "Tu pedido {{1}} con {{2}} ya está en camino.", Example: []string{"#1"}})
	wantCode(t, err, app.ErrInvalid, 100)
}

// receiver is Waybill's side of the webhook, as the server will do it.
type receiver struct {
	mu     sync.Mutex
	events []whatsapp.Event
	bad    int
	secret string
	verify string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		ch, ok := whatsapp.VerifyChallenge(r.URL.Query(), rc.verify)
		if !ok {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		_, _ = io.WriteString(w, ch) // the test reads what the fake checked
		return
	}
	body, _ := io.ReadAll(r.Body) // a short body only fails the signature
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !whatsapp.VerifySignature(body, r.Header.Get(whatsapp.SignatureHeader), rc.secret) {
		rc.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	evs, err := whatsapp.ParseWebhook(body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.events = append(rc.events, evs...)
}

func (rc *receiver) got() ([]whatsapp.Event, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]whatsapp.Event(nil), rc.events...), rc.bad
}

func TestFakeWebhooksArriveSignedAndParse(t *testing.T) {
	e := setup(t)
	e.createAll(t)
	rc := &receiver{secret: "app-secret-1", verify: "verify-me"}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	ctx := context.Background()
	if err := e.fake.Subscribe(ctx, srv.URL, "wrong"); err == nil {
		t.Fatal("the subscription check passed with a wrong verify token")
	}
	if err := e.fake.Subscribe(ctx, srv.URL, "verify-me"); err != nil {
		t.Fatal(err)
	}
	e.fake.SetReadReceipts(true)
	e.fake.NotOnWhatsApp("+34699000000")
	ok, err := e.wa.Send(ctx, e.conn, e.shipped("+34600111222", "es"))
	if err != nil {
		t.Fatal(err)
	}
	gone, err := e.wa.Send(ctx, e.conn, e.shipped("+34699000000", "es"))
	if err != nil {
		t.Fatalf("Meta accepts a number that is not on WhatsApp and reports it later: %v", err)
	}
	e.fake.Flush()
	if err := e.fake.Reply(e.conn.SenderID, "+34600111222", "BAJA"); err != nil {
		t.Fatal(err)
	}
	evs, bad := rc.got()
	if bad != 0 {
		t.Fatalf("%d webhooks failed the signature", bad)
	}
	statuses := map[string][]app.TextStatus{}
	var reply *app.TextReport
	for _, ev := range evs {
		if ev.PhoneNumberID != e.conn.SenderID || ev.WABAID != e.conn.AccountID {
			t.Fatalf("event for %s/%s", ev.PhoneNumberID, ev.WABAID)
		}
		if ev.Report.Status == "" {
			r := ev.Report
			reply = &r
			continue
		}
		if !ev.Report.At.Equal(e.clock.Now()) {
			t.Fatalf("status at %v, want %v", ev.Report.At, e.clock.Now())
		}
		statuses[ev.Report.ProviderMessageID] = append(statuses[ev.Report.ProviderMessageID], ev.Report.Status)
		if ev.Report.Status == app.TextFailed && (ev.Report.ErrorCode != "131026" || ev.Report.ErrorTitle == "") {
			t.Fatalf("failed report %+v", ev.Report)
		}
	}
	if got := statuses[ok.ProviderMessageID]; !slices.Equal(got, []app.TextStatus{app.TextSent, app.TextDelivered, app.TextRead}) {
		t.Fatalf("statuses of the delivered message: %v", got)
	}
	if got := statuses[gone.ProviderMessageID]; !slices.Equal(got, []app.TextStatus{app.TextFailed}) {
		t.Fatalf("statuses of the message to a number without WhatsApp: %v", got)
	}
	if reply == nil || reply.From != "+34600111222" || reply.Body != "BAJA" {
		t.Fatalf("reply %+v", reply)
	}
	if okN, failed := e.fake.Webhooks(); okN != 4 || failed != 0 {
		t.Fatalf("webhooks ok %d failed %d", okN, failed)
	}
}

func TestMessagingLimitFailsNewRecipients(t *testing.T) {
	e := setup(t)
	e.createAll(t)
	rc := &receiver{secret: "app-secret-1"}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	e.fake.SetWebhook(srv.URL)
	e.fake.SetMessagingLimit(2)
	ctx := context.Background()
	for _, to := range []string{"+34600000001", "+34600000002", "+34600000003"} {
		if _, err := e.wa.Send(ctx, e.conn, e.shipped(to, "es")); err != nil {
			t.Fatal(err)
		}
	}
	e.fake.Flush()
	evs, _ := rc.got()
	failed := 0
	for _, ev := range evs {
		if ev.Report.Status == app.TextFailed {
			failed++
		}
	}
	if failed != 1 {
		t.Fatalf("%d failed over a limit of 2 recipients with 3 sends, want 1", failed)
	}
}

func TestVerifySignature(t *testing.T) {
	// HMAC-SHA256("test", key "secret"), as published in the whatsapp_sdk
	// (Elixir) docs and by `printf test | openssl dgst -sha256 -hmac secret`.
	const vector = "0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"
	body := []byte("test")
	cases := []struct {
		header, secret string
		body           []byte
		want           bool
	}{
		{"sha256=" + vector, "secret", body, true},
		{"sha256=" + strings.ToUpper(vector), "secret", body, true},
		{"sha256=" + vector, "other", body, false},
		{"sha256=" + vector, "secret", []byte("test "), false},
		{vector, "secret", body, false},
		{"sha1=" + vector, "secret", body, false},
		{"sha256=" + vector[:62], "secret", body, false},
		{"", "secret", body, false},
		{"sha256=" + vector, "", body, false},
	}
	for i, c := range cases {
		if got := whatsapp.VerifySignature(c.body, c.header, c.secret); got != c.want {
			t.Errorf("case %d: %v, want %v", i, got, c.want)
		}
	}
	if whatsapp.Sign(body, "secret") != "sha256="+vector || whatsappfake.Sign(body, "secret") != "sha256="+vector {
		t.Fatal("Sign does not match the vector")
	}
}

func TestVerifyChallenge(t *testing.T) {
	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"tok"}, "hub.challenge": {"1158201444"}}
	if ch, ok := whatsapp.VerifyChallenge(q, "tok"); !ok || ch != "1158201444" {
		t.Fatalf("%q %v", ch, ok)
	}
	if _, ok := whatsapp.VerifyChallenge(q, "other"); ok {
		t.Fatal("a wrong verify token passed")
	}
	if _, ok := whatsapp.VerifyChallenge(q, ""); ok {
		t.Fatal("an empty verify token passed")
	}
}

// A body shaped as Meta's webhook reference shows it: a failed status,
// a delivered one, a played one (voice; not Waybill's), a customer's text
// and an image, and a template review change.
const docBody = `{
  "object": "whatsapp_business_account",
  "entry": [
    {
      "id": "102290129340398",
      "changes": [
        {
          "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "statuses": [
              {
                "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA",
                "status": "failed",
                "timestamp": "1750263773",
                "recipient_id": "16505551234",
                "errors": [
                  {
                    "code": 131026,
                    "title": "Message undeliverable",
                    "message": "Message undeliverable",
                    "error_data": {"details": "Message Undeliverable."},
                    "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
                  }
                ]
              },
              {
                "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDNjQ5MjFBMjU2N0NDMjI0QTkA",
                "status": "delivered",
                "timestamp": "1750263780",
                "recipient_id": "16505551234",
                "conversation": {"id": "6ceb9d929c1fc2b3d9e3ea7a1e1c4d1a", "origin": {"type": "utility"}},
                "pricing": {"billable": true, "pricing_model": "PMP", "category": "utility", "type": "regular"}
              },
              {"id": "wamid.voice", "status": "played", "timestamp": "1750263790", "recipient_id": "16505551234"}
            ]
          },
          "field": "messages"
        },
        {
          "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}],
            "messages": [
              {"from": "16505551234", "id": "wamid.in1", "timestamp": "1749416383", "type": "text", "text": {"body": "STOP"}},
              {"from": "16505551234", "id": "wamid.in2", "timestamp": "1749416390", "type": "image", "image": {"id": "1", "mime_type": "image/jpeg"}}
            ]
          },
          "field": "messages"
        },
        {
          "value": {"event": "APPROVED", "message_template_id": 1, "message_template_name": "waybill_shipped", "message_template_language": "es"},
          "field": "message_template_status_update"
        }
      ]
    }
  ]
}`

func TestParseWebhookOfMetasShape(t *testing.T) {
	evs, err := whatsapp.ParseWebhook([]byte(docBody))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 {
		t.Fatalf("%d events, want 3: %+v", len(evs), evs)
	}
	f := evs[0].Report
	if evs[0].PhoneNumberID != "106540352242922" || evs[0].WABAID != "102290129340398" || f.Status != app.TextFailed ||
		f.ErrorCode != "131026" || f.ErrorTitle != "Message undeliverable" || f.Channel != app.ChannelWhatsApp ||
		!f.At.Equal(time.Unix(1750263773, 0)) || f.ProviderMessageID != "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA" {
		t.Fatalf("failed status: %+v", evs[0])
	}
	if d := evs[1].Report; d.Status != app.TextDelivered || d.ErrorCode != "" || !d.At.Equal(time.Unix(1750263780, 0)) {
		t.Fatalf("delivered: %+v", d)
	}
	if r := evs[2].Report; r.Status != "" || r.From != "+16505551234" || r.Body != "STOP" || r.OptOut {
		t.Fatalf("reply: %+v", r)
	}
}

func TestParseWebhookMalformedIsInvalid(t *testing.T) {
	for _, b := range []string{"", "{", `{"entry": "x"}`, "<xml/>"} {
		_, err := whatsapp.ParseWebhook([]byte(b))
		if app.ErrorCodeOf(err) != app.ErrInvalid || !strings.Contains(app.ErrorMessageOf(err), "webhook") {
			t.Errorf("%q: %v", b, err)
		}
	}
	evs, err := whatsapp.ParseWebhook([]byte(`{"object": "page", "entry": []}`))
	if err != nil || len(evs) != 0 {
		t.Fatalf("another object: %v %v", evs, err)
	}
}

func TestLanguage(t *testing.T) {
	for in, want := range map[string]string{"es": "es", "es-ES": "es", "es_MX": "es", "ES-419": "es", "en": "en", "en-GB": "en", "fr": "en", "": "en"} {
		if got := whatsapp.Language(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestFakeUnderConcurrentShops(t *testing.T) {
	f := whatsappfake.New()
	defer f.Close()
	c := &clock{now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	f.SetClock(c) // frozen: every send falls in one second
	rc := &receiver{secret: "s"}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	f.SetWebhook(srv.URL)
	wa := whatsapp.New(whatsapp.Options{BaseURL: f.URL, HTTP: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}})
	const shops, perShop = 10, 85
	conns := make([]*app.ChannelConnection, shops)
	for i := range conns {
		id := fmt.Sprintf("1065403522%05d", i)
		conns[i] = &app.ChannelConnection{AccountID: "9" + id, SenderID: id, Token: "tok" + id}
		f.AddAccount(whatsappfake.Account{WABAID: "9" + id, PhoneNumberID: id, Token: "tok" + id, AppSecret: "s"})
		for _, d := range whatsapp.Definitions(tracking) {
			if d.Event != app.NotifyDelivered {
				continue
			}
			if err := wa.CreateTemplate(context.Background(), conns[i], d); err != nil {
				t.Fatal(err)
			}
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	limited := 0
	for i := range conns {
		for j := 0; j < perShop; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				to := fmt.Sprintf("+34600%03d%03d", i, j)
				_, err := wa.Send(context.Background(), conns[i], app.Text{To: to, Locale: "es", Template: "waybill_delivered",
					Params: whatsapp.Params(app.NotifyDelivered, "#1", "", ""), ButtonParam: "t"})
				if err != nil {
					if app.ErrorCodeOf(err) != app.ErrRateLimited {
						t.Error(err)
					}
					mu.Lock()
					limited++
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	f.Flush()
	accepted, refused := 0, 0
	for _, cn := range conns {
		st := f.Stats(cn.SenderID)
		if st.Accepted != 80 || st.MaxPerSecond != 80 || st.RateLimited != perShop-80 {
			t.Fatalf("shop %s: %+v", cn.SenderID, st)
		}
		accepted += st.Accepted
		refused += st.RateLimited
	}
	evs, bad := rc.got()
	if refused != limited || accepted != len(f.Messages()) || len(evs) != 2*accepted || bad != 0 {
		t.Fatalf("accepted %d, refused %d (client saw %d), %d status reports, %d bad signatures", accepted, refused, limited, len(evs), bad)
	}
}
