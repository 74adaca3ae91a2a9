// Package mailpittest runs a real SMTP server for tests: mailpit, installed
// by the test set-up (`make test`: go install github.com/axllent/mailpit@v1.27.11),
// started on free ports, read back through its HTTP API.
package mailpittest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Version is the mailpit the tests are written against.
const Version = "v1.27.11"

// Server is a running mailpit.
type Server struct {
	SMTPAddr string
	api      string
	t        testing.TB
}

func binary(t testing.TB) string {
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		t.Fatalf("mailpit is not on PATH, and `go env GOPATH` (where go install puts it) failed: %v", err)
	}
	p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "mailpit")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	t.Fatalf("mailpit is needed for the email tests: go install github.com/axllent/mailpit@%s (make test does it)", Version)
	return ""
}

func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	// Closed before mailpit binds the port: a listener left open would
	// keep it taken.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// Start runs mailpit until the test ends, accepting any login or none.
// allowedRecipients, when set, is a regular expression: other recipients are
// refused with a permanent error.
func Start(t testing.TB, allowedRecipients string) *Server {
	return StartWith(t, Options{AllowedRecipients: allowedRecipients})
}

// Options choose how the server behaves. The zero value is Start's: no TLS,
// PLAIN and LOGIN offered without it, and any login (or none) accepted.
type Options struct {
	// AllowedRecipients, when set, is a regular expression: other
	// recipients are refused with a permanent error.
	AllowedRecipients string
	// Login, as "user:password", is the one login the server accepts; it
	// then refuses mail from a client that has not logged in.
	Login string
	// NoAuth makes the server offer no login at all (no AUTH in EHLO).
	NoAuth bool
	// Chaos is mailpit's --chaos-triggers, e.g. "Authentication:454:100"
	// to answer every login with a temporary failure.
	Chaos string
}

// StartWith runs mailpit with opts until the test ends.
func StartWith(t testing.TB, opts Options) *Server {
	if opts.Login != "" && opts.NoAuth {
		t.Fatal("mailpittest: Login and NoAuth contradict each other")
	}
	smtp, web := freePort(t), freePort(t)
	args := []string{"--smtp", smtp, "--listen", web, "--disable-version-check", "--quiet", "--smtp-disable-rdns",
		"--database", filepath.Join(t.TempDir(), "mailpit.db")}
	switch {
	case opts.NoAuth:
	case opts.Login != "":
		// mailpit reads an htpasswd file; a plain-text password is one of
		// the formats it accepts.
		file := filepath.Join(t.TempDir(), "smtp-users")
		if err := os.WriteFile(file, []byte(opts.Login+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--smtp-auth-file", file, "--smtp-auth-allow-insecure")
	default:
		args = append(args, "--smtp-auth-accept-any", "--smtp-auth-allow-insecure")
	}
	if opts.AllowedRecipients != "" {
		args = append(args, "--smtp-allowed-recipients", opts.AllowedRecipients)
	}
	if opts.Chaos != "" {
		args = append(args, "--chaos-triggers", opts.Chaos)
	}
	cmd := exec.Command(binary(t), args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(t, cmd) })
	s := &Server{SMTPAddr: smtp, api: "http://" + web + "/api/v1", t: t}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.api + "/messages"); err == nil {
			if err := resp.Body.Close(); err != nil {
				t.Fatal(err)
			}
			if c, err := net.Dial("tcp", smtp); err == nil {
				if err := c.Close(); err != nil {
					t.Fatal(err)
				}
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("mailpit did not start")
	return nil
}

// stop kills mailpit and reaps it. Its end by our signal is the expected
// one; any other (it crashed, or could not be killed) fails the test.
func stop(t testing.TB, cmd *exec.Cmd) {
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("stopping mailpit: %v", err)
	}
	var exit *exec.ExitError
	if err := cmd.Wait(); err != nil && !(errors.As(err, &exit) && exit.ExitCode() == -1) {
		t.Errorf("mailpit: %v", err)
	}
}

// URL is an SMTP_URL for the server.
func (s *Server) URL() string { return "smtp://" + s.SMTPAddr + "?tls=none&from=shipping@waybill.test" }

// Summary is a message in the list.
type Summary struct {
	ID      string
	Subject string
	To      []struct{ Address string }
	From    struct{ Name, Address string }
}

// Message is one message's content.
type Message struct {
	Subject string
	Text    string
	HTML    string
	Headers map[string][]string
}

func (s *Server) get(path string, v any) {
	resp, err := http.Get(s.api + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer func() {
		if err := resp.Body.Close(); err != nil {
			s.t.Errorf("mailpit %s: %v", path, err)
		}
	}()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		s.t.Fatalf("mailpit %s: %v", path, err)
	}
}

// Messages lists what arrived, newest first.
func (s *Server) Messages() []Summary {
	var out struct{ Messages []Summary }
	s.get("/messages", &out)
	return out.Messages
}

// Read returns a message with its parts and headers.
func (s *Server) Read(id string) Message {
	var m Message
	s.get("/message/"+id, &m)
	s.get("/message/"+id+"/headers", &m.Headers)
	return m
}

// Wait waits until n messages arrived, and a little more to see that no
// more come; it returns them.
func (s *Server) Wait(n int, settle time.Duration) []Summary {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && len(s.Messages()) < n {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(settle)
	got := s.Messages()
	if len(got) != n {
		s.t.Fatalf("%d messages arrived, want %d: %v", len(got), n, fmt.Sprint(got))
	}
	return got
}
