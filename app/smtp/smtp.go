// Package smtp is Waybill's email adapter: SMTP through go-mail, configured
// by SMTP_URL, or — without SMTP_URL — a mailer that logs what it would send.
package smtp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/waybill-app/waybill/app"
)

// SMTP sends over SMTP. A client is made per message: go-mail's Client holds
// one connection and is not meant to be shared between goroutines.
type SMTP struct {
	host string
	opts []gomail.Option
	from string
}

// New reads smtp://user:pass@host:port?from=…&tls=… (smtps:// for implicit
// TLS). tls is mandatory (STARTTLS required; the default), opportunistic or
// none (default for localhost, e.g. a local relay or test server). from
// defaults to shipping@ the app's host.
func New(smtpURL, appURL string) (*SMTP, error) {
	u, err := url.Parse(smtpURL)
	if err != nil || u.Hostname() == "" || (u.Scheme != "smtp" && u.Scheme != "smtps") {
		return nil, errors.New("SMTP_URL is not a valid smtp:// or smtps:// URL")
	}
	host := u.Hostname()
	port := 587
	if u.Scheme == "smtps" {
		port = 465
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, errors.New("SMTP_URL has an invalid port")
		}
	}
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(30 * time.Second)}
	local := host == "localhost" || net.ParseIP(host) != nil && net.ParseIP(host).IsLoopback()
	policy := u.Query().Get("tls")
	switch {
	case u.Scheme == "smtps":
		opts = append(opts, gomail.WithSSLPort(false))
	case policy == "none" || policy == "" && local:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case policy == "opportunistic":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case policy == "" || policy == "mandatory":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		return nil, fmt.Errorf("SMTP_URL tls=%q: use mandatory, opportunistic or none", policy)
	}
	if user := u.User.Username(); user != "" {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(user), gomail.WithPassword(pass))
	}
	from := u.Query().Get("from")
	if from == "" {
		appHost := "localhost"
		if a, err := url.Parse(appURL); err == nil && a.Hostname() != "" {
			appHost = a.Hostname()
		}
		from = "shipping@" + appHost
	}
	return &SMTP{host: host, opts: opts, from: from}, nil
}

// From is the sender address.
func (s *SMTP) From() string { return s.from }

// build makes the MIME message: text and HTML alternatives, the shop as the
// sender's name and reply-to, and the unsubscribe headers.
func build(from string, e app.Email) (*gomail.Msg, error) {
	m := gomail.NewMsg()
	if err := m.FromFormat(e.FromName, from); err != nil {
		return nil, app.WrapError(app.ErrInvalid, err, "invalid sender")
	}
	if err := m.To(e.To); err != nil {
		return nil, app.WrapError(app.ErrInvalid, err, "the recipient address is not valid")
	}
	if e.ReplyTo != "" {
		if err := m.ReplyTo(e.ReplyTo); err != nil {
			return nil, app.WrapError(app.ErrInvalid, err, "the reply-to address is not valid")
		}
	}
	m.Subject(e.Subject)
	m.SetBodyString(gomail.TypeTextPlain, e.Text)
	m.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
	if e.Locale != "" {
		m.SetGenHeader(gomail.HeaderContentLang, e.Locale)
	}
	if e.UnsubscribeURL != "" {
		// RFC 8058 one-click needs https; a development app on http gets
		// the plain header.
		if err := m.SetListUnsubscribeOneClick(e.UnsubscribeURL); err != nil {
			m.SetListUnsubscribe("<" + e.UnsubscribeURL + ">")
		}
	}
	m.SetMessageID()
	m.SetDate()
	return m, nil
}

// Send implements app.Mailer.
func (s *SMTP) Send(ctx context.Context, e app.Email) error {
	m, err := build(s.from, e)
	if err != nil {
		return err
	}
	client, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return app.WrapError(app.ErrUnavailable, err, "cannot set up the SMTP client")
	}
	err = client.DialAndSendWithContext(ctx, m)
	if err == nil {
		return nil
	}
	// The server's reply names the recipient: it goes into logs and the
	// email log, so the address is taken out first.
	reply := errors.New(addresses.ReplaceAllString(err.Error(), "<recipient>"))
	var se *gomail.SendError
	if errors.As(err, &se) && !se.IsTemp() && se.Reason != gomail.ErrConnCheck && se.Reason != gomail.ErrSMTPMailFrom {
		// A 5xx answer: the server refused this message for good.
		return app.WrapError(app.ErrInvalid, reply, "the mail server refused the message")
	}
	return app.WrapError(app.ErrUnavailable, reply, "the mail server is not reachable or asked to try later")
}

// addresses matches email addresses, with or without angle brackets.
var addresses = regexp.MustCompile(`<?[^\s<>@,;"]+@[^\s<>@,;"]+>?`)

// Sends reports whether messages really leave (false for Log).
func (*SMTP) Sends() bool { return true }

// Sends reports whether messages really leave: Log only logs them.
func (Log) Sends() bool { return false }

// Log is the mailer without SMTP_URL: it renders and logs (subject and the
// recipient's domain only, never the address) instead of sending.
type Log struct{ Logger *slog.Logger }

// Send implements app.Mailer.
func (l Log) Send(ctx context.Context, e app.Email) error {
	domain := e.To
	if i := strings.LastIndex(domain, "@"); i >= 0 {
		domain = domain[i+1:]
	}
	l.Logger.InfoContext(ctx, "email not sent (no SMTP_URL)", "subject", e.Subject, "recipient_domain", domain, "locale", e.Locale)
	return nil
}

var (
	_ app.Mailer = (*SMTP)(nil)
	_ app.Mailer = Log{}
)
