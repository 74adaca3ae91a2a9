package smtp

import (
	"errors"
	"net/netip"
	"net/textproto"
	"strings"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"github.com/waybill-app/waybill/app"
)

// Status is the mail server as Waybill last found it: the "smtp" detail of
// /readyz, and what kind of problem a mail error is.
type Status string

const (
	StatusOK          Status = "ok"
	StatusUnknown     Status = "unknown"           // not checked yet
	StatusUnreachable Status = "unreachable"       // no connection, a timeout, a failed TLS handshake
	StatusTemporary   Status = "temporary_failure" // the server answered 4xx: try later
	// A 5xx to MAIL FROM other than 530: retried as before, since servers
	// answer a sending quota that way too.
	StatusSenderRefused Status = "sender_refused"

	// The configuration problems: no email can leave until SMTP_URL (or the
	// server) changes, so these errors are final.
	StatusAuthRefused     Status = "auth_refused"      // the login was refused (5xx to AUTH)
	StatusAuthRequired    Status = "auth_required"     // the server wants a login SMTP_URL does not give
	StatusTLSRequired     Status = "tls_required"      // TLS is required (by SMTP_URL or by the server) and missing
	StatusNoAuthMechanism Status = "no_auth_mechanism" // credentials given, but no login method Waybill may use
)

// The messages of configuration errors: what is wrong and what to change in
// SMTP_URL. They never hold a credential or an address; they are shown to
// the merchant (the email log, a test send) and logged for the operator.
const (
	msgAuthRefused = "The mail server refused the login: check the user name and password in SMTP_URL " +
		"(smtp://user:password@host:port, special characters percent-encoded)"
	msgAuthRequired = "The mail server requires a login: add the user name and password to SMTP_URL " +
		"(smtp://user:password@host:port)"
	msgNoSTARTTLS = "The mail server does not offer STARTTLS, which SMTP_URL requires (tls=mandatory, the default " +
		"for a host other than localhost): use the server's STARTTLS port (usually 587), or smtps:// if it has " +
		"implicit TLS (usually port 465)"
	msgTLSOff = "The mail server requires TLS, which SMTP_URL turns off (?tls=none, the default for localhost): " +
		"set ?tls=mandatory in SMTP_URL, or use smtps:// if the server has implicit TLS"
	msgNoPlaintextLogin = "The mail server offers no login Waybill may use without TLS: Waybill sends a password " +
		"over an unencrypted connection only to a server on this machine (127.0.0.1, ::1, localhost). Use STARTTLS " +
		"(drop ?tls= from SMTP_URL, or ?tls=mandatory) or smtps://"
	msgNoAuthMechanism = "The mail server offers no login method Waybill supports (PLAIN, LOGIN, CRAM-MD5, " +
		"SCRAM-SHA-1/256 or NTLM), or no login at all, while SMTP_URL has a user name and password: if the server " +
		"takes mail without a login, remove user:password from SMTP_URL; otherwise check the host and port"
	msgUnreachable = "the mail server is not reachable or asked to try later"
)

// loopback reports whether credentials may be sent to host without TLS: the
// host is this machine (127.0.0.0/8, ::1, or the name localhost), as Go's
// net/smtp PlainAuth allows. Anywhere else the connection could be read on
// the way, so a password goes only over TLS (STARTTLS or smtps://). The name
// localhost is trusted to resolve to this machine, as net/smtp trusts it.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// problem is the cause inside every error Send and Probe return for the
// server's sake (not for a bad message): its status, and what the server or
// go-mail said, addresses and credentials taken out.
type problem struct {
	status Status
	reply  string
}

func (p *problem) Error() string { return p.reply }

// CheckDetail is the word /readyz shows for the check.
func (p *problem) CheckDetail() string { return string(p.status) }

// StatusOf is the Status err (from Send, Probe or Check) stands for: ok for
// nil, unreachable for an error that does not say.
func StatusOf(err error) Status {
	if err == nil {
		return StatusOK
	}
	var p *problem
	if errors.As(err, &p) {
		return p.status
	}
	return StatusUnreachable
}

// configError reports whether err is a configuration problem (final).
func configError(err error) bool {
	switch StatusOf(err) {
	case StatusAuthRefused, StatusAuthRequired, StatusTLSRequired, StatusNoAuthMechanism:
		return true
	}
	return false
}

// fail builds the error for status: a configuration problem is ErrInvalid
// (final: jobs do not retry it), anything else ErrUnavailable (retried).
func (s *SMTP) fail(status Status, cause error, message string) error {
	p := &problem{status: status, reply: s.redact(cause.Error())}
	code := app.ErrUnavailable
	if configError(p) {
		code = app.ErrInvalid
	}
	return app.WrapError(code, p, "%s", message)
}

// redact takes addresses (the recipient's, the sender's) and the SMTP_URL
// credentials out of a server's answer before it reaches logs and the
// email log.
func (s *SMTP) redact(text string) string {
	text = addresses.ReplaceAllString(text, "<address>")
	if s.pass != "" {
		text = strings.ReplaceAll(text, s.pass, "<password>")
	}
	// A user name of a letter or two would take letters out of every word.
	if len(s.user) >= 3 {
		text = strings.ReplaceAll(text, s.user, "<user>")
	}
	return text
}

// dialError classifies a failure to connect, say hello, start TLS or log in
// (go-mail's DialToSMTPClientWithContext). go-mail types only some of these
// errors; the texts matched below are its own (client.go), and the tests
// against a real server pin each of them.
func (s *SMTP) dialError(err error) error {
	text := err.Error()
	var reply *textproto.Error
	switch {
	case errors.Is(err, gosmtp.ErrUnencrypted):
		// go-mail's PLAIN/LOGIN refused to send the password in clear.
		return s.fail(StatusTLSRequired, err, msgNoPlaintextLogin)
	case strings.Contains(text, "does not support STARTTLS"):
		// TLSMandatory and no STARTTLS in the server's EHLO.
		return s.fail(StatusTLSRequired, err, msgNoSTARTTLS)
	case errors.Is(err, gomail.ErrNoSupportedAuthDiscovered), strings.Contains(text, "server does not support SMTP AUTH"):
		// No AUTH in EHLO ("server does not support SMTP AUTH"), or none of
		// the offered mechanisms may be used on this connection.
		if s.plaintextRisk {
			return s.fail(StatusNoAuthMechanism, err, msgNoPlaintextLogin)
		}
		return s.fail(StatusNoAuthMechanism, err, msgNoAuthMechanism)
	case errors.As(err, &reply) && strings.Contains(text, "SMTP AUTH failed") && reply.Code >= 500:
		if mentionsTLS(reply.Msg) {
			return s.fail(StatusTLSRequired, err, msgTLSOff)
		}
		return s.fail(StatusAuthRefused, err, msgAuthRefused)
	case errors.As(err, &reply) && reply.Code >= 400 && reply.Code < 500:
		return s.fail(StatusTemporary, err, msgUnreachable)
	}
	return s.fail(StatusUnreachable, err, msgUnreachable)
}

// sendError classifies a failure once connected and logged in: the server
// refused the sender, a recipient or the message.
func (s *SMTP) sendError(err error) error {
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return s.fail(StatusUnreachable, err, msgUnreachable)
	}
	switch {
	case se.Reason == gomail.ErrSMTPMailFrom && se.ErrorCode() == 530 && mentionsTLS(err.Error()):
		// "530 Must issue a STARTTLS command first".
		return s.fail(StatusTLSRequired, err, msgTLSOff)
	case se.Reason == gomail.ErrSMTPMailFrom && se.ErrorCode() == 530:
		// "530 Authentication required": SMTP_URL has no login.
		return s.fail(StatusAuthRequired, err, msgAuthRequired)
	case se.IsTemp():
		return s.fail(StatusTemporary, err, msgUnreachable)
	case se.Reason == gomail.ErrSMTPMailFrom:
		return s.fail(StatusSenderRefused, err, msgUnreachable)
	case se.Reason == gomail.ErrConnCheck:
		return s.fail(StatusUnreachable, err, msgUnreachable)
	}
	// A 5xx answer: the server refused this message for good.
	return app.WrapError(app.ErrInvalid, errors.New(s.redact(err.Error())), "the mail server refused the message")
}

func mentionsTLS(reply string) bool { return strings.Contains(strings.ToUpper(reply), "TLS") }
