package smtp

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/waybill-app/waybill/app"
)

const (
	// checkTTL is how long a result stands for /readyz before a new probe.
	checkTTL = time.Minute
	// probeTimeout bounds a background probe; startupTimeout the one at
	// start, which Waybill waits for.
	probeTimeout   = 10 * time.Second
	startupTimeout = 5 * time.Second
)

// health is what Waybill last learnt about the mail server, from a probe
// or a send.
type health struct {
	mu         sync.Mutex
	last       error     // nil: ok
	at         time.Time // zero: nothing learnt yet
	refreshing bool
	ttl        time.Duration // zero: checkTTL
}

func (h *health) remember(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last, h.at = err, time.Now()
}

// Probe connects once as a send would — TLS and the login as SMTP_URL says,
// no message — and returns what it found: nil, or an error classified as
// Send's are (StatusOf names the problem; a wrong configuration is
// ErrInvalid with a message saying what to change). ctx bounds it.
func (s *SMTP) Probe(ctx context.Context) error {
	timeout := probeTimeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = time.Until(deadline)
	}
	if timeout <= 0 {
		return s.fail(StatusUnreachable, context.DeadlineExceeded, msgUnreachable)
	}
	// go-mail's timeout bounds each step once connected, where ctx no
	// longer reaches.
	client, conn, err := s.connect(ctx, gomail.WithTimeout(timeout))
	if err != nil {
		return err
	}
	// Connected and logged in, which is all a probe asks: a failed QUIT
	// says nothing about the configuration.
	_ = client.CloseWithSMTPClient(conn)
	s.remember(nil)
	return nil
}

// Check is the mail server's status for /readyz, from memory: the latest
// probe's or send's result, nil when it worked. When that result is older
// than a minute (or there is none yet) a probe starts in the background, so
// a readiness probe never waits on the mail server, and opens at most one
// SMTP connection a minute. Before any result the status is unknown.
func (s *SMTP) Check(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ttl := s.ttl
	if ttl == 0 {
		ttl = checkTTL
	}
	if !s.refreshing && (s.at.IsZero() || time.Since(s.at) >= ttl) {
		s.refreshing = true
		go s.refresh()
	}
	if s.at.IsZero() {
		return &problem{status: StatusUnknown, reply: "the mail server has not been checked yet"}
	}
	return s.last
}

func (s *SMTP) refresh() {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	// Probe remembers its result, which is what Check reports.
	_ = s.Probe(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refreshing = false
}

// StartupCheck probes the server once at start (for at most a few seconds)
// and logs what it found: a warning naming the problem and the fix when
// SMTP_URL is wrong or the server cannot be reached. It never stops
// Waybill: a mail server down for a while must not keep webhooks from being
// acknowledged. Emails then retry, or — for a wrong configuration — fail at
// once with the reason in the email log; /readyz shows the status.
func (s *SMTP) StartupCheck(ctx context.Context, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	s.logStatus(ctx, log, s.Probe(ctx))
}

// ReadyCheck is the check for /readyz: Check, plus a log line whenever the
// status changes (a warning when it goes wrong), so a problem that starts
// after start-up reaches the logs once, not at every probe.
func (s *SMTP) ReadyCheck(log *slog.Logger) func(context.Context) error {
	var mu sync.Mutex
	s.mu.Lock()
	reported := StatusUnknown
	if !s.at.IsZero() {
		reported = StatusOf(s.last)
	}
	s.mu.Unlock()
	return func(ctx context.Context) error {
		err := s.Check(ctx)
		status := StatusOf(err)
		mu.Lock()
		changed := status != reported && status != StatusUnknown
		if changed {
			reported = status
		}
		mu.Unlock()
		if changed {
			s.logStatus(ctx, log, err)
		}
		return err
	}
}

func (s *SMTP) logStatus(ctx context.Context, log *slog.Logger, err error) {
	status := StatusOf(err)
	switch {
	case err == nil:
		log.InfoContext(ctx, "SMTP_URL: the mail server accepts Waybill's connection", "smtp_host", s.host)
	case configError(err):
		var p *problem
		reply := ""
		if errors.As(err, &p) {
			reply = p.reply
		}
		log.WarnContext(ctx, "SMTP_URL is wrong: customer emails fail until it is fixed",
			"smtp_host", s.host, "smtp", status, "problem", app.ErrorMessageOf(err), "server_reply", reply)
	default:
		log.WarnContext(ctx, "SMTP_URL: the mail server cannot be reached now; customer emails are retried",
			"smtp_host", s.host, "smtp", status, "err", err)
	}
}
