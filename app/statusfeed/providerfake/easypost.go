package providerfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// EasyPost fakes EasyPost's Trackers API (https://docs.easypost.com/docs/trackers):
// POST /v2/trackers {"tracker": {"tracking_code", "carrier"}} (201 a new
// tracker; the existing tracker again for a code and carrier already
// tracked), GET /v2/trackers/{id}, GET /v2/trackers?tracking_code=&page_size=;
// HTTP basic auth with the key as user name; {"error": {"code", "message",
// "errors"}} errors (docs/errors), 429 beyond 5 requests a second per key
// (guides/rate-limiting-guide: the fixed limit of index endpoints; the fake
// applies it to every endpoint); no way to delete a tracker; webhooks are
// Events signed in X-Hmac-Signature ("hmac-sha256-hex=" + hex HMAC-SHA256
// under the NFKD-normalised secret).
//
// Not confirmed from the public docs, so chosen here: the error codes
// (APIKEY.REQUIRED, APIKEY.INACTIVE, RATE_LIMITED, TRACKER.CREATE.ERROR,
// NOT_FOUND) and the tracking_code format the fake accepts (4–60 letters,
// digits or dashes).
type EasyPost struct {
	state
	srv      *httptest.Server
	URL      string
	trackers map[string]map[string]*parcel // key -> id -> tracker
}

// NewEasyPost starts the fake; Close stops it.
func NewEasyPost() *EasyPost {
	f := &EasyPost{state: newState(5), trackers: map[string]map[string]*parcel{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	return f
}

// Close stops the server.
func (f *EasyPost) Close() { f.srv.Close() }

var epFormat = regexp.MustCompile(`^[A-Za-z0-9-]{4,60}$`)

func epError(code, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": code, "message": msg, "errors": []any{}}}) // plain maps always encode
	return b
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v) // the fake encodes only maps of plain values
	return b
}

func (f *EasyPost) serve(w http.ResponseWriter, r *http.Request) {
	key, _, hasAuth := r.BasicAuth()
	f.mu.Lock()
	defer f.mu.Unlock()
	if !hasAuth || key == "" {
		f.requests++
		writeJSON(w, http.StatusUnauthorized, epError("APIKEY.REQUIRED", "This resource requires a valid API key."))
		return
	}
	if !f.keys[key] {
		f.requests++
		writeJSON(w, http.StatusUnauthorized, epError("APIKEY.INACTIVE", "The API key provided is not valid or is inactive."))
		return
	}
	if !f.admit(key) {
		writeJSON(w, http.StatusTooManyRequests, epError("RATE_LIMITED", "You have exceeded the rate limit. Please slow down your requests."))
		return
	}
	acct := f.trackers[key]
	if acct == nil {
		acct = map[string]*parcel{}
		f.trackers[key] = acct
	}
	switch {
	case r.URL.Path == "/v2/trackers" && r.Method == http.MethodPost:
		var in struct {
			Tracker struct {
				TrackingCode string `json:"tracking_code"`
				Carrier      string `json:"carrier"`
			} `json:"tracker"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			writeJSON(w, http.StatusUnprocessableEntity, epError("PARAMETER.INVALID", "The request body is not valid JSON."))
			return
		}
		code := in.Tracker.TrackingCode
		f.registrations[code]++
		if !epFormat.MatchString(code) {
			writeJSON(w, http.StatusUnprocessableEntity, epError("TRACKER.CREATE.ERROR", fmt.Sprintf("Invalid tracking_code %q.", code)))
			return
		}
		carrier := in.Tracker.Carrier
		if carrier == "" {
			carrier = "USPS" // the fake's "auto-detection"
		}
		for _, p := range acct {
			if p.number == code && p.carrier == carrier {
				writeJSON(w, http.StatusOK, mustJSON(epTracker(p)))
				return
			}
		}
		p := &parcel{id: f.nextID("trk_"), key: key, number: code, carrier: carrier, created: f.now()}
		acct[p.id] = p
		writeJSON(w, http.StatusCreated, mustJSON(epTracker(p)))
	case r.URL.Path == "/v2/trackers" && r.Method == http.MethodGet:
		code := r.URL.Query().Get("tracking_code")
		list := []any{}
		for _, p := range acct {
			if code == "" || p.number == code {
				list = append(list, epTracker(p))
			}
		}
		if n := r.URL.Query().Get("page_size"); n == "1" && len(list) > 1 {
			list = list[:1]
		}
		writeJSON(w, http.StatusOK, mustJSON(map[string]any{"trackers": list, "has_more": false}))
	case strings.HasPrefix(r.URL.Path, "/v2/trackers/") && r.Method == http.MethodGet:
		p := acct[strings.TrimPrefix(r.URL.Path, "/v2/trackers/")]
		if p == nil {
			writeJSON(w, http.StatusNotFound, epError("NOT_FOUND", "The requested resource could not be found."))
			return
		}
		writeJSON(w, http.StatusOK, mustJSON(epTracker(p)))
	default:
		writeJSON(w, http.StatusNotFound, epError("NOT_FOUND", "The requested resource could not be found."))
	}
}

func epStatus(s string) (status, detail string) {
	if st, d, ok := strings.Cut(s, ":"); ok {
		return st, d
	}
	return s, "unknown"
}

func epTracker(p *parcel) map[string]any {
	status, detail := "unknown", "unknown"
	details := []any{}
	updated := p.created
	for _, e := range p.events {
		st, d := epStatus(e.Status)
		city, state, country := splitLocation(e.Location)
		details = append(details, map[string]any{"object": "TrackingDetail", "message": e.Message, "description": "", "status": st,
			"status_detail": d, "datetime": e.At.UTC().Format(time.RFC3339), "source": p.carrier, "carrier_code": "",
			"tracking_location": map[string]any{"object": "TrackingLocation", "city": city, "state": state, "country": country, "zip": nil}})
		status, detail, updated = st, d, e.At
	}
	return map[string]any{
		"id": p.id, "object": "Tracker", "mode": "test", "tracking_code": p.number, "status": status, "status_detail": detail,
		"created_at": p.created.UTC().Format(time.RFC3339), "updated_at": updated.UTC().Format(time.RFC3339),
		"signed_by": nil, "weight": nil, "est_delivery_date": nil, "shipment_id": nil, "carrier": p.carrier,
		"tracking_details": details, "carrier_detail": nil, "public_url": "https://track.easypost.com/" + p.id, "fees": []any{},
	}
}

// Advance records a tracking detail for a number's tracker — status is an
// EasyPost status, optionally with its detail ("failure:delivery_attempted")
// — and, with a webhook set, posts the tracker.updated Event, returning the
// HTTP status the receiver answered.
func (f *EasyPost) Advance(number, status string, at time.Time, location, message string) (int, error) {
	f.mu.Lock()
	var p *parcel
	for _, acct := range f.trackers {
		for _, t := range acct {
			if t.number == number {
				p = t
			}
		}
	}
	if p == nil {
		f.mu.Unlock()
		return 0, fmt.Errorf("EasyPost fake: no tracker for %s", number)
	}
	previous, _ := epStatus("unknown")
	if n := len(p.events); n > 0 {
		previous, _ = epStatus(p.events[n-1].Status)
	}
	p.events = append(p.events, Event{At: at, Status: status, Location: location, Message: message})
	url, secret := f.webhookURL, f.webhookSecret
	var body []byte
	if url != "" {
		body = mustJSON(map[string]any{"object": "Event", "id": f.nextID("evt_"), "mode": "test", "description": "tracker.updated",
			"previous_attributes": map[string]any{"status": previous}, "pending_urls": []any{}, "completed_urls": []any{},
			"created_at": f.now().UTC().Format(time.RFC3339), "updated_at": f.now().UTC().Format(time.RFC3339),
			"result": epTracker(p), "status": "pending"})
	}
	f.mu.Unlock()
	if body == nil {
		return 0, nil
	}
	mac := hmac.New(sha256.New, []byte(norm.NFKD.String(secret)))
	mac.Write(body)
	return f.deliver(url, http.Header{"X-Hmac-Signature": {"hmac-sha256-hex=" + hex.EncodeToString(mac.Sum(nil))}}, body)
}
