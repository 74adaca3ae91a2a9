// Package providerfake has test servers for the status aggregators Waybill
// registers parcels with — 17TRACK, AfterShip, EasyPost — each following
// the provider's public documentation (paths, auth header, JSON shapes,
// error codes and bodies, batch and rate limits), not Waybill's client.
//
// Each fake is an httptest server on loopback (.URL, Close). Tests add the
// keys it accepts (AddKey), move a registered number along (Advance: a new
// event and, when SetWebhook named a URL, the signed push the provider
// would send), and read counters: requests, rate-limited answers,
// registrations and stops per number. Rate limits are per key per second
// of the fake's clock (SetClock: tests freeze or step it instead of
// sleeping). Everything is safe for concurrent use.
package providerfake

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Event is one carrier scan a fake knows of.
type Event struct {
	At       time.Time
	Status   string // the provider's own status or tag
	Location string // "City, State, Country"
	Message  string
}

type parcel struct {
	id      string
	key     string // the account (key) that registered it
	number  string
	carrier string
	created time.Time
	stopped bool
	events  []Event
}

// state is what every fake shares: keys, clock, rate limit, counters,
// webhook.
type state struct {
	limitSet      bool // SetRateLimit was called: it overrides per-endpoint limits
	mu            sync.Mutex
	keys          map[string]bool
	now           func() time.Time
	perSecond     int
	window        map[string]int64 // key -> the second its count is for
	count         map[string]int
	requests      int
	rateLimited   int
	registrations map[string]int
	stops         map[string]int
	webhookURL    string
	webhookSecret string
	client        *http.Client
	seq           int
}

func newState(perSecond int) state {
	return state{keys: map[string]bool{}, now: time.Now, perSecond: perSecond, window: map[string]int64{}, count: map[string]int{},
		registrations: map[string]int{}, stops: map[string]int{}, client: &http.Client{Timeout: 10 * time.Second}}
}

// AddKey makes the fake accept key.
func (s *state) AddKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[key] = true
}

// SetClock replaces the fake's clock (rate-limit windows, event times it
// makes up). A frozen clock puts every request in one second; a stepping
// one spreads them.
func (s *state) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// SetRateLimit changes the requests a key may make per second (the
// provider's documented limit by default).
func (s *state) SetRateLimit(perSecond int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.perSecond, s.limitSet = perSecond, true
}

// nextID makes the fake's ids (caller holds mu).
func (s *state) nextID(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%024x", prefix, s.seq)
}

// SetWebhook makes Advance deliver pushes to url, signed with secret (for
// 17TRACK: the account's key; see SeventeenTrack.SetWebhook).
func (s *state) SetWebhook(url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhookURL, s.webhookSecret = url, secret
}

// Requests counts every request the fake answered.
func (s *state) Requests() int { s.mu.Lock(); defer s.mu.Unlock(); return s.requests }

// RateLimited counts the requests answered with the rate-limit error.
func (s *state) RateLimited() int { s.mu.Lock(); defer s.mu.Unlock(); return s.rateLimited }

// Registrations counts the register requests that named number (accepted,
// duplicate or refused).
func (s *state) Registrations(number string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.registrations[number]
}

// Stops counts the stop or delete requests that named number.
func (s *state) Stops(number string) int { s.mu.Lock(); defer s.mu.Unlock(); return s.stops[number] }

// admit counts a request of key against its per-second budget (caller
// holds mu); false means answer the rate-limit error.
func (s *state) admit(key string) bool { return s.admitN(key, s.perSecond) }

// admitN is admit for a bucket with its own limit (AfterShip limits each
// endpoint on its own).
func (s *state) admitN(bucket string, limit int) bool {
	s.requests++
	sec := s.now().Unix()
	if s.window[bucket] != sec {
		s.window[bucket], s.count[bucket] = sec, 0
	}
	s.count[bucket]++
	if limit > 0 && s.count[bucket] > limit {
		s.rateLimited++
		return false
	}
	return true
}

// deliver posts a push and returns the status the receiver answered (0
// when there is no webhook or it could not be reached). Called without mu.
func (s *state) deliver(url string, header http.Header, body []byte) (int, error) {
	if url == "" {
		return 0, nil
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = header
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }() // the status is all a provider keeps
	return resp.StatusCode, nil
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}
