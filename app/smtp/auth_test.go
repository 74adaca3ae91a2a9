package smtp_test

import (
	"context"
	"strings"
	"testing"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/smtp"
	"github.com/waybill-app/waybill/app/smtp/mailpittest"
)

const (
	login    = "waybill:Correct-Horse-9"
	password = "Correct-Horse-9"
	wrong    = "Wrong-Battery-7"
)

// send sends the sample email to lucia@example.com through smtpURL.
func send(t *testing.T, mailer *smtp.SMTP) error {
	t.Helper()
	return mailer.Send(context.Background(), spanishEmail(t, "lucia@example.com"))
}

func newMailer(t *testing.T, smtpURL string) *smtp.SMTP {
	t.Helper()
	m, err := smtp.New(smtpURL, "https://waybill.example.com")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// final checks err is a configuration error: ErrInvalid (final for jobs),
// of the status, with a message naming SMTP_URL and the words of the fix,
// and no credential or address anywhere in it.
func final(t *testing.T, what string, err error, status smtp.Status, fix ...string) {
	t.Helper()
	if app.ErrorCodeOf(err) != app.ErrInvalid {
		t.Fatalf("%s: %v (%s), want a final (invalid) error", what, err, app.ErrorCodeOf(err))
	}
	if got := smtp.StatusOf(err); got != status {
		t.Errorf("%s: status %q, want %q (%v)", what, got, status, err)
	}
	msg := app.ErrorMessageOf(err)
	for _, want := range append([]string{"SMTP_URL"}, fix...) {
		if !strings.Contains(msg, want) {
			t.Errorf("%s: message %q lacks %q", what, msg, want)
		}
	}
	for _, secret := range []string{password, wrong, "lucia@example.com", "lucia"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: %q shows %q", what, err.Error(), secret)
		}
	}
}

// The issue: a local relay (or mailpit) that wants a login and offers PLAIN
// and LOGIN without TLS, as README's own SMTP_URL format reaches it.
func TestLoginWithoutTLSToThisMachine(t *testing.T) {
	pit := mailpittest.StartWith(t, mailpittest.Options{Login: login})
	port := pit.SMTPAddr[strings.LastIndex(pit.SMTPAddr, ":")+1:]
	for i, host := range []string{"127.0.0.1", "localhost"} {
		mailer := newMailer(t, "smtp://"+login+"@"+host+":"+port+"?from=shipping@waybill.test")
		if err := mailer.Probe(context.Background()); err != nil {
			t.Fatalf("%s: probe: %v", host, err)
		}
		if err := send(t, mailer); err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		if got := pit.Wait(i+1, 0); got[0].To[0].Address != "lucia@example.com" {
			t.Fatalf("%s: %+v", host, got[0])
		}
	}
}

func TestWrongPasswordIsFinal(t *testing.T) {
	pit := mailpittest.StartWith(t, mailpittest.Options{Login: login})
	mailer := newMailer(t, "smtp://waybill:"+wrong+"@"+pit.SMTPAddr)
	final(t, "send", send(t, mailer), smtp.StatusAuthRefused, "user name and password")
	final(t, "probe", mailer.Probe(context.Background()), smtp.StatusAuthRefused, "user name and password")
	// No login at all, to a server that wants one.
	final(t, "no login", send(t, newMailer(t, "smtp://"+pit.SMTPAddr)), smtp.StatusAuthRequired, "user name and password")
	if n := len(pit.Messages()); n != 0 {
		t.Fatalf("%d messages arrived", n)
	}
}

func TestCredentialsWithoutUsableLogin(t *testing.T) {
	// A server that offers no login at all.
	noAuth := mailpittest.StartWith(t, mailpittest.Options{NoAuth: true})
	mailer := newMailer(t, "smtp://"+login+"@"+noAuth.SMTPAddr)
	final(t, "no AUTH", send(t, mailer), smtp.StatusNoAuthMechanism, "remove user:password")
	final(t, "no AUTH, probe", mailer.Probe(context.Background()), smtp.StatusNoAuthMechanism, "remove user:password")

	// TLS required (by SMTP_URL) and the server has none.
	pit := mailpittest.StartWith(t, mailpittest.Options{Login: login})
	final(t, "tls=mandatory", send(t, newMailer(t, "smtp://"+login+"@"+pit.SMTPAddr+"?tls=mandatory")),
		smtp.StatusTLSRequired, "STARTTLS", "smtps://")

	// A host that is not this machine (the connection still goes to the
	// local mailpit, which offers PLAIN and LOGIN without TLS): the password
	// is never sent in clear.
	for _, c := range []struct {
		query  string
		status smtp.Status
		fix    string
	}{
		{"", smtp.StatusTLSRequired, "STARTTLS"},                               // tls=mandatory, the default
		{"?tls=opportunistic", smtp.StatusNoAuthMechanism, "without TLS"},      // no STARTTLS offered: no TLS
		{"?tls=none", smtp.StatusNoAuthMechanism, "127.0.0.1, ::1, localhost"}, // asked for no TLS
	} {
		remote, err := smtp.NewVia("smtp://"+login+"@mail.example.net:587"+c.query, "https://waybill.example.com", pit.SMTPAddr)
		if err != nil {
			t.Fatal(err)
		}
		final(t, "remote host"+c.query, send(t, remote), c.status, c.fix)
	}
	if n := len(pit.Messages()); n != 0 {
		t.Fatalf("%d messages arrived", n)
	}
}

func TestTemporaryFailuresAreRetried(t *testing.T) {
	down := newMailer(t, "smtp://"+login+"@127.0.0.1:1")
	for what, err := range map[string]error{"send": send(t, down), "probe": down.Probe(context.Background())} {
		if app.ErrorCodeOf(err) != app.ErrUnavailable || smtp.StatusOf(err) != smtp.StatusUnreachable {
			t.Errorf("server down, %s: %v (%s), want unavailable (retry)", what, err, smtp.StatusOf(err))
		}
	}
	// 454: the server cannot check the login now.
	pit := mailpittest.StartWith(t, mailpittest.Options{Login: login, Chaos: "Authentication:454:100"})
	err := send(t, newMailer(t, "smtp://"+login+"@"+pit.SMTPAddr))
	if app.ErrorCodeOf(err) != app.ErrUnavailable || smtp.StatusOf(err) != smtp.StatusTemporary {
		t.Errorf("454 to AUTH: %v (%s), want unavailable (retry)", err, smtp.StatusOf(err))
	}
}

// Credentials go without TLS only to this machine.
func TestLoopbackRule(t *testing.T) {
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.3.2.1": true, "::1": true, "localhost": true, "LocalHost": true, "::ffff:127.0.0.1": true,
		"10.0.0.1": false, "192.168.1.10": false, "0.0.0.0": false, "::": false, "smtp.example.com": false,
		"localhost.example.com": false, "127.0.0.1.nip.io": false, "mylocalhost": false, "": false,
	} {
		if got := smtp.Loopback(host); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", host, got, want)
		}
	}
}
