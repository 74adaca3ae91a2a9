package smtp_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app/apptest"
	"github.com/waybill-app/waybill/app/smtp"
)

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("never: %s", what)
}

// /readyz's check answers from memory and opens at most one connection a
// TTL, in the background.
func TestCheckIsCachedAndNeverWaits(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed at the end of the test
			}
			accepted.Add(1)
			if err := c.Close(); err != nil {
				t.Errorf("closing a connection: %v", err)
			}
		}
	}()
	t.Cleanup(func() {
		if err := ln.Close(); err != nil {
			t.Errorf("closing the listener: %v", err)
		}
	})
	// A server that hangs up at once: unreachable.
	mailer := newMailer(t, "smtp://"+ln.Addr().String())
	var logs apptest.Logs
	check := mailer.ReadyCheck(slog.New(slog.NewJSONHandler(&logs, nil)))
	ctx := context.Background()
	if got := smtp.StatusOf(check(ctx)); got != smtp.StatusUnknown {
		t.Fatalf("before any probe: %q, want unknown", got)
	}
	eventually(t, "the background probe's result", func() bool { return smtp.StatusOf(check(ctx)) == smtp.StatusUnreachable })
	for range 20 {
		if got := smtp.StatusOf(check(ctx)); got != smtp.StatusUnreachable {
			t.Fatalf("cached: %q", got)
		}
	}
	time.Sleep(100 * time.Millisecond)
	if n := accepted.Load(); n != 1 {
		t.Fatalf("%d connections for 22 checks within the TTL, want 1", n)
	}
	if n := strings.Count(logs.String(), `"smtp":"unreachable"`); n != 1 {
		t.Fatalf("the change is logged %d times, want once: %s", n, logs.String())
	}
	smtp.SetCheckTTL(mailer, 20*time.Millisecond)
	time.Sleep(30 * time.Millisecond)
	if got := smtp.StatusOf(check(ctx)); got != smtp.StatusUnreachable {
		t.Fatalf("an old result, while a new probe runs: %q", got)
	}
	eventually(t, "a new probe once the result is old", func() bool { return accepted.Load() == 2 })
}
