// Package smtp is Waybill's email adapter: SMTP through go-mail, configured
// by SMTP_URL, or — without SMTP_URL — a mailer that logs what it would send.
package smtp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"github.com/waybill-app/waybill/app"
)

// SMTP sends over SMTP. A client is made per message: go-mail's Client holds
// one connection and is not meant to be shared between goroutines.
type SMTP struct {
	host string
	opts []gomail.Option
	from string
	// domain is the right part of every Message-ID: the app's host.
	domain string
	// user and pass are SMTP_URL's credentials, kept to take them out of
	// any server answer that repeats them.
	user, pass string
	// plaintextRisk: credentials are set, the host is not this machine and
	// the connection may lack TLS (tls=none or opportunistic), so go-mail
	// keeps the password to itself unless TLS is on.
	plaintextRisk bool

	health
}

// New reads smtp://user:pass@host:port?from=…&tls=… (smtps:// for implicit
// TLS). tls is mandatory (STARTTLS required; the default), opportunistic or
// none (default for localhost, e.g. a local relay or test server). from
// defaults to shipping@ the app's host.
//
// A password goes only over TLS, except to this machine (see loopback):
// there PLAIN and LOGIN are used without TLS, as a local relay or a mailpit
// with a login expects.
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
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(sendTimeout)}
	local := loopback(host)
	policy := u.Query().Get("tls")
	mayBePlaintext := false
	switch {
	case u.Scheme == "smtps":
		opts = append(opts, gomail.WithSSLPort(false))
	case policy == "none" || policy == "" && local:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
		mayBePlaintext = true
	case policy == "opportunistic":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
		mayBePlaintext = true
	case policy == "" || policy == "mandatory":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		return nil, fmt.Errorf("SMTP_URL tls=%q: use mandatory, opportunistic or none", policy)
	}
	s := &SMTP{host: host, user: u.User.Username()}
	if s.user != "" {
		s.pass, _ = u.User.Password()
		// go-mail's auto-discovery never picks PLAIN or LOGIN without TLS,
		// whatever the host (client.go, authTypeAutoDiscover), so a local
		// relay offering only those could not be logged in to. To this
		// machine, and only here, PLAIN or LOGIN are asked for without
		// TLS (the -NOENC types); if the server offers neither, go-mail
		// falls back to auto-discovery.
		auth := gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover)
		if local && u.Scheme == "smtp" {
			auth = gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc)
		}
		opts = append(opts, auth, gomail.WithUsername(s.user), gomail.WithPassword(s.pass))
		s.plaintextRisk = mayBePlaintext && !local
	}
	appHost := "localhost"
	if a, err := url.Parse(appURL); err == nil && a.Hostname() != "" {
		appHost = a.Hostname()
	}
	s.from = u.Query().Get("from")
	if s.from == "" {
		s.from = "shipping@" + appHost
	}
	s.domain = appHost
	if !dotAtom.MatchString(s.domain) {
		// An IPv6 literal is no dot-atom (RFC 5322 msg-id).
		s.domain = "localhost"
	}
	s.opts = opts
	return s, nil
}

// From is the sender address.
func (s *SMTP) From() string { return s.from }

// dotAtom is RFC 5322's dot-atom-text, narrowed to letters, digits, dashes
// and underscores: each side of a Message-ID.
var dotAtom = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$`)

// build makes the MIME message: text and HTML alternatives, the shop as the
// sender's name and reply-to, the unsubscribe headers, and the Message-ID
// <e.MessageID@domain> (a new one when e has none).
func build(from, domain string, e app.Email) (*gomail.Msg, error) {
	id := e.MessageID
	if id == "" {
		id = app.NewID()
	}
	if !dotAtom.MatchString(id) {
		return nil, app.Errorf(app.ErrInvalid, "the Message-ID %q is not a dot-atom", id)
	}
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
	// The same notification always gets the same Message-ID: a repeat
	// after a crash collapses into the first in the customer's mailbox.
	m.SetMessageIDWithValue(id + "@" + domain)
	m.SetDate()
	return m, nil
}

// sendTimeout bounds each step of a send (connecting, each command).
const sendTimeout = 30 * time.Second

// client is a go-mail client for one session; extra options come last, so
// they win.
func (s *SMTP) client(extra ...gomail.Option) (*gomail.Client, error) {
	c, err := gomail.NewClient(s.host, append(slices.Clip(s.opts), extra...)...)
	if err != nil {
		return nil, app.WrapError(app.ErrUnavailable, err, "cannot set up the SMTP client")
	}
	return c, nil
}

// Send implements app.Mailer. A wrong configuration (the login refused, no
// login method Waybill may use, TLS missing) is ErrInvalid: no retry can
// help, and its message says what to change in SMTP_URL. A refused message
// (5xx) is ErrInvalid too; anything else is ErrUnavailable, worth a retry.
// The errors hold no address and no credential.
func (s *SMTP) Send(ctx context.Context, e app.Email) error {
	m, err := build(s.from, s.domain, e)
	if err != nil {
		return err
	}
	client, conn, err := s.connect(ctx)
	if err != nil {
		return err
	}
	err = client.SendWithSMTPClient(conn, m)
	// QUIT ends the session whatever happened. After a failed send, that
	// failure is the one to report; after a successful one the server has
	// the message (it answered 250 to its end), and a failed QUIT must not
	// make the caller send it again.
	_ = client.CloseWithSMTPClient(conn)
	if err == nil {
		s.remember(nil)
		return nil
	}
	err = s.sendError(err)
	if configError(err) {
		s.remember(err)
	} else {
		// Connected and logged in: the configuration works.
		s.remember(nil)
	}
	return err
}

// connect opens a session as SMTP_URL says (TLS, login): what a send and a
// probe both do first. A failure is classified and remembered for /readyz.
func (s *SMTP) connect(ctx context.Context, extra ...gomail.Option) (*gomail.Client, *gosmtp.Client, error) {
	client, err := s.client(extra...)
	if err != nil {
		return nil, nil, err
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		err = s.dialError(err)
		s.remember(err)
		return nil, nil, err
	}
	return client, conn, nil
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
