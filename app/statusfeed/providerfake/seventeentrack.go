package providerfake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"time"
)

// SeventeenTrack fakes the 17TRACK Tracking API v2.2
// (https://asset.17track.net/api/document/v2.2_en/index.html): POST
// /track/v2.2/{register,gettrackinfo,stoptrack,getquota} with the 17token
// header; {"code", "data": {"accepted", "rejected"}} answers; at most 40
// numbers a request (-18010014); 3 requests a second per key (HTTP 429); a
// wrong key is HTTP 401 (-18010002); -18019901 for a number the account
// already registered, -18019902 for one it did not; webhook pushes
// TRACKING_UPDATED with sign = hex SHA-256 of (body + "/" + key).
//
// Not confirmed from the public docs, so chosen here: the bodies of the
// 401 and 429 answers, and the code for a number of the wrong format
// (-18010012, "invalid data format"; numbers are 5–50 letters and digits).
type SeventeenTrack struct {
	state
	srv      *httptest.Server
	URL      string
	accounts map[string]map[string]*parcel // key -> number -> parcel
}

// New17Track starts the fake; Close stops it.
func New17Track() *SeventeenTrack {
	f := &SeventeenTrack{state: newState(3), accounts: map[string]map[string]*parcel{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	return f
}

// Close stops the server.
func (f *SeventeenTrack) Close() { f.srv.Close() }

// SetWebhook sets the webhook URL of the account whose key is key, as the
// 17TRACK dashboard does: pushes about that account's numbers go to url,
// signed with key.
func (f *SeventeenTrack) SetWebhook(url, key string) { f.state.SetWebhook(url, key) }

var st17Format = regexp.MustCompile(`^[A-Za-z0-9]{5,50}$`)

type st17Req struct {
	Number  string `json:"number"`
	Carrier int    `json:"carrier"`
}

func st17Envelope(code int, data any) []byte {
	b, _ := json.Marshal(map[string]any{"code": code, "data": data}) // plain maps and slices always encode
	return b
}

func st17Errors(code int, msg string) []byte {
	return st17Envelope(code, map[string]any{"errors": []map[string]any{{"code": code, "message": msg}}})
}

func (f *SeventeenTrack) serve(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.URL.Path, "/track/v2.2/")
	if !ok || r.Method != http.MethodPost {
		writeJSON(w, http.StatusNotFound, st17Errors(-18010404, "The requested URL does not exist."))
		return
	}
	key := r.Header.Get("17token")
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.keys[key] {
		f.requests++
		writeJSON(w, http.StatusUnauthorized, st17Errors(-18010002, "The access key is invalid."))
		return
	}
	if !f.admit(key) {
		writeJSON(w, http.StatusTooManyRequests, st17Errors(-18010018, "Too many requests, the limit is 3 per second."))
		return
	}
	acct := f.accounts[key]
	if acct == nil {
		acct = map[string]*parcel{}
		f.accounts[key] = acct
	}
	if op == "getquota" {
		used := len(acct)
		writeJSON(w, http.StatusOK, st17Envelope(0, map[string]any{"quota_total": 100, "quota_used": used, "quota_remain": 100 - used,
			"max_track_daily": 10000, "today_used": used, "free_email_quota": 0, "free_email_quotaused": 0}))
		return
	}
	var in []st17Req
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusOK, st17Errors(-18010012, "The format of the submitted data is invalid."))
		return
	}
	if len(in) > 40 {
		writeJSON(w, http.StatusOK, st17Errors(-18010014, "The number of tracking numbers exceeds the limit of 40."))
		return
	}
	accepted, rejected := []any{}, []any{}
	reject := func(n string, code int, msg string) {
		rejected = append(rejected, map[string]any{"number": n, "error": map[string]any{"code": code, "message": msg}})
	}
	switch op {
	case "register":
		for _, q := range in {
			f.registrations[q.Number]++
			switch {
			case !st17Format.MatchString(q.Number):
				reject(q.Number, -18010012, fmt.Sprintf("The format of '%s' is invalid.", q.Number))
			case acct[q.Number] != nil:
				reject(q.Number, -18019901, fmt.Sprintf("The tracking number '%s' has been registered, don't need to repeat registration.", q.Number))
			default:
				c := q.Carrier
				if c == 0 {
					c = 3011 // the fake's "auto-detection"
				}
				acct[q.Number] = &parcel{key: key, number: q.Number, carrier: fmt.Sprint(c), created: f.now()}
				accepted = append(accepted, map[string]any{"origin": 1, "number": q.Number, "carrier": c, "email": nil, "tag": nil, "lang": nil})
			}
		}
	case "gettrackinfo":
		for _, q := range in {
			p := acct[q.Number]
			if p == nil {
				reject(q.Number, -18019902, fmt.Sprintf("The tracking number '%s' does not register, please register first.", q.Number))
				continue
			}
			accepted = append(accepted, st17Data(p))
		}
	case "stoptrack":
		for _, q := range in {
			f.stops[q.Number]++
			p := acct[q.Number]
			if p == nil {
				reject(q.Number, -18019902, fmt.Sprintf("The tracking number '%s' does not register, please register first.", q.Number))
				continue
			}
			p.stopped = true
			accepted = append(accepted, map[string]any{"number": p.number, "carrier": atoi(p.carrier)})
		}
	default:
		writeJSON(w, http.StatusNotFound, st17Errors(-18010404, "The requested URL does not exist."))
		return
	}
	writeJSON(w, http.StatusOK, st17Envelope(0, map[string]any{"accepted": accepted, "rejected": rejected}))
}

func atoi(s string) int {
	n := 0
	_, _ = fmt.Sscan(s, &n) // carriers the fake stores are numbers it formatted
	return n
}

// splitLocation reads "City, State, Country" back into its parts.
func splitLocation(loc string) (city, state, country string) {
	parts := strings.Split(loc, ", ")
	switch len(parts) {
	case 1:
		return "", "", parts[0]
	case 2:
		return parts[0], "", parts[1]
	}
	return parts[0], parts[1], parts[len(parts)-1]
}

func st17Sub(status string) (main, sub string) {
	if m, _, ok := strings.Cut(status, "_"); ok {
		return m, status
	}
	return status, status + "_Other"
}

func st17Event(e Event) map[string]any {
	city, state, country := splitLocation(e.Location)
	_, sub := st17Sub(e.Status)
	return map[string]any{
		"time_iso": e.At.Format(time.RFC3339), "time_utc": e.At.UTC().Format(time.RFC3339),
		"time_raw":    map[string]any{"date": e.At.Format("2006-01-02"), "time": e.At.Format("15:04:05"), "timezone": nil},
		"description": e.Message, "description_translation": nil, "location": e.Location, "stage": nil, "sub_status": sub,
		"address": map[string]any{"country": country, "state": state, "city": city, "street": nil, "postal_code": nil,
			"coordinates": map[string]any{"longitude": nil, "latitude": nil}},
	}
}

// st17Data is the accepted item gettrackinfo and pushes carry: the number
// and its track_info now.
func st17Data(p *parcel) map[string]any {
	status, sub := "NotFound", "NotFound_Other"
	var latest any
	events := []any{}
	for i := len(p.events) - 1; i >= 0; i-- { // newest first, as 17TRACK lists them
		events = append(events, st17Event(p.events[i]))
	}
	if n := len(p.events); n > 0 {
		status, sub = st17Sub(p.events[n-1].Status)
		latest = events[0]
	}
	carrier := atoi(p.carrier)
	return map[string]any{
		"number": p.number, "carrier": carrier, "param": nil, "tag": nil,
		"track_info": map[string]any{
			"shipping_info": map[string]any{"shipper_address": map[string]any{}, "recipient_address": map[string]any{}},
			"latest_status": map[string]any{"status": status, "sub_status": sub, "sub_status_descr": nil},
			"latest_event":  latest,
			"time_metrics": map[string]any{"days_after_order": 0, "days_of_transit": 0, "days_of_transit_done": 0, "days_after_last_update": 0,
				"estimated_delivery_date": map[string]any{"source": nil, "from": nil, "to": nil}},
			"milestone": []any{},
			"misc_info": map[string]any{},
			"tracking": map[string]any{"providers_hash": 0, "providers": []any{map[string]any{
				"provider":           map[string]any{"key": carrier, "name": nil, "alias": nil, "tel": nil, "homepage": nil, "country": nil},
				"service_type":       nil,
				"latest_sync_status": "Success", "latest_sync_time": nil, "events_hash": 0, "events": events,
			}}},
		},
	}
}

// Advance records a new event for a registered number — status is a
// 17TRACK status or sub-status ("InTransit", "DeliveryFailure_NoBody") —
// and, when the number's account has a webhook, pushes TRACKING_UPDATED
// to it and returns the HTTP status the receiver answered.
func (f *SeventeenTrack) Advance(number, status string, at time.Time, location, message string) (int, error) {
	f.mu.Lock()
	var p *parcel
	for _, acct := range f.accounts {
		if acct[number] != nil {
			p = acct[number]
		}
	}
	if p == nil {
		f.mu.Unlock()
		return 0, fmt.Errorf("17TRACK fake: %s is not registered", number)
	}
	p.events = append(p.events, Event{At: at, Status: status, Location: location, Message: message})
	url, key := f.webhookURL, f.webhookSecret
	var body []byte
	if url != "" && key == p.key && !p.stopped {
		body, _ = json.Marshal(map[string]any{"event": "TRACKING_UPDATED", "data": st17Data(p)}) // maps of plain values always encode
	}
	f.mu.Unlock()
	if body == nil {
		return 0, nil
	}
	sum := sha256.Sum256(append(append([]byte{}, body...), "/"+key...))
	return f.deliver(url, http.Header{"Sign": {hex.EncodeToString(sum[:])}}, body)
}
