package smtp

import (
	"context"
	"net"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Loopback is the rule for sending a password without TLS.
var Loopback = loopback

// NewVia is New with every connection made to addr instead of SMTP_URL's
// host: how a test reaches a local server under a name that is not this
// machine's, where a password must not go without TLS.
func NewVia(smtpURL, appURL, addr string) (*SMTP, error) {
	s, err := New(smtpURL, appURL)
	if err != nil {
		return nil, err
	}
	s.opts = append(s.opts, gomail.WithDialContextFunc(func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}))
	return s, nil
}

// SetCheckTTL shortens how long Check trusts a result.
func SetCheckTTL(s *SMTP, ttl time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ttl = ttl
}
