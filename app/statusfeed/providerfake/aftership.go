package providerfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"time"
)

// AfterShip fakes the AfterShip Tracking API 2025-01
// (https://www.aftership.com/docs/tracking/2025-01/): /tracking/2025-01/
// trackings (POST create, GET ?tracking_numbers=), trackings/{id} (GET,
// DELETE), couriers (GET); the as-api-key header; {"meta", "data"}
// answers; 401 "Invalid API key.", 429 TooManyRequests with X-RateLimit-*
// headers, 4003 "Tracking already exists.", 4004 "Tracking does not
// exist.", 4005 an invalid tracking_number, 4010 an invalid slug; rate
// limits per endpoint (POST /trackings 20/s, GET /trackings 6/s, by id 5/s,
// couriers 5/s); webhooks {"event": "tracking_update", "event_id", "msg",
// "ts"} signed in aftership-hmac-sha256 (base64 HMAC-SHA256 of the body
// under the webhook secret).
//
// Not confirmed from the public docs, so chosen here: the data of a 4003
// answer (empty), the courier list's contents, and the tracking_number
// format the fake accepts (4–60 letters, digits or dashes).
type AfterShip struct {
	state
	srv       *httptest.Server
	URL       string
	trackings map[string]map[string]*parcel // key -> id -> tracking
}

// NewAfterShip starts the fake; Close stops it.
func NewAfterShip() *AfterShip {
	f := &AfterShip{state: newState(0), trackings: map[string]map[string]*parcel{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	return f
}

// Close stops the server.
func (f *AfterShip) Close() { f.srv.Close() }

// asSlugs are the couriers the fake knows.
var asSlugs = map[string]string{"ups": "UPS", "fedex": "FedEx", "usps": "USPS", "dhl": "DHL Express", "china-post": "China Post",
	"spain-correos-es": "Correos Spain", "correos-de-mexico": "Correos de Mexico", "canada-post": "Canada Post",
	"royal-mail": "Royal Mail", "cainiao": "Cainiao", "yunexpress": "YunExpress", "4px": "4PX", "yanwen": "Yanwen"}

var asFormat = regexp.MustCompile(`^[A-Za-z0-9-]{4,60}$`)

const asPrefix = "/tracking/2025-01/"

func asBody(code int, typ, msg string, data any) []byte {
	if data == nil {
		data = map[string]any{}
	}
	b, _ := json.Marshal(map[string]any{"meta": map[string]any{"code": code, "message": msg, "type": typ}, "data": data}) // plain maps always encode
	return b
}

func (f *AfterShip) serve(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, asPrefix)
	if !ok {
		writeJSON(w, http.StatusNotFound, asBody(404, "NotFound", "The URI requested is invalid or the resource requested does not exist.", nil))
		return
	}
	key := r.Header.Get("as-api-key")
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.keys[key] {
		f.requests++
		writeJSON(w, http.StatusUnauthorized, asBody(401, "Unauthorized", "Invalid API key.", nil))
		return
	}
	endpoint, limit := r.Method+" "+path, 5
	switch {
	case path == "trackings" && r.Method == http.MethodPost:
		limit = 20
	case path == "trackings":
		limit = 6
	case strings.HasPrefix(path, "trackings/"):
		endpoint = r.Method + " trackings/:id"
	}
	if f.limitSet {
		limit = f.perSecond
	}
	if !f.admitN(key+"|"+endpoint, limit) {
		w.Header().Set("X-RateLimit-Limit", fmt.Sprint(limit))
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", fmt.Sprint(f.now().Unix()+1))
		writeJSON(w, http.StatusTooManyRequests, asBody(429, "TooManyRequests", "You have exceeded the API call rate limit. Please retry again at X-RateLimit-Reset time.", nil))
		return
	}
	acct := f.trackings[key]
	if acct == nil {
		acct = map[string]*parcel{}
		f.trackings[key] = acct
	}
	switch {
	case path == "couriers" && r.Method == http.MethodGet:
		couriers := []any{}
		for slug, name := range asSlugs {
			couriers = append(couriers, map[string]any{"slug": slug, "name": name})
		}
		writeJSON(w, http.StatusOK, asBody(200, "OK", "", map[string]any{"total": len(couriers), "couriers": couriers}))
	case path == "trackings" && r.Method == http.MethodPost:
		f.create(w, r, key, acct)
	case path == "trackings" && r.Method == http.MethodGet:
		var list []any
		for _, n := range strings.Split(r.URL.Query().Get("tracking_numbers"), ",") {
			for _, p := range acct {
				if n != "" && p.number == n {
					list = append(list, asTracking(p))
				}
			}
		}
		if list == nil {
			list = []any{}
		}
		writeJSON(w, http.StatusOK, asBody(200, "OK", "", map[string]any{
			"pagination": map[string]any{"total": len(list), "next_cursor": nil, "has_next_page": false}, "trackings": list}))
	case strings.HasPrefix(path, "trackings/") && (r.Method == http.MethodGet || r.Method == http.MethodDelete):
		p := acct[strings.TrimPrefix(path, "trackings/")]
		if p == nil {
			writeJSON(w, http.StatusNotFound, asBody(4004, "BadRequest", "Tracking does not exist.", nil))
			return
		}
		if r.Method == http.MethodDelete {
			f.stops[p.number]++
			delete(acct, p.id)
		}
		writeJSON(w, http.StatusOK, asBody(200, "OK", "", asTracking(p)))
	default:
		writeJSON(w, http.StatusNotFound, asBody(404, "NotFound", "The URI requested is invalid or the resource requested does not exist.", nil))
	}
}

func (f *AfterShip) create(w http.ResponseWriter, r *http.Request, key string, acct map[string]*parcel) {
	var in struct {
		TrackingNumber *string `json:"tracking_number"`
		Slug           string  `json:"slug"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, asBody(4001, "BadRequest", "Invalid JSON data.", nil))
		return
	}
	if in.TrackingNumber == nil || *in.TrackingNumber == "" {
		writeJSON(w, http.StatusBadRequest, asBody(4007, "BadRequest", "`tracking_number` is required.", nil))
		return
	}
	n := *in.TrackingNumber
	f.registrations[n]++
	if !asFormat.MatchString(n) {
		writeJSON(w, http.StatusBadRequest, asBody(4005, "BadRequest", "The value of `tracking_number` is invalid.", nil))
		return
	}
	if in.Slug != "" && asSlugs[in.Slug] == "" {
		writeJSON(w, http.StatusBadRequest, asBody(4010, "BadRequest", "The value of `slug` is invalid.", nil))
		return
	}
	for _, p := range acct {
		if p.number == n && (in.Slug == "" || p.carrier == in.Slug) {
			writeJSON(w, http.StatusBadRequest, asBody(4003, "BadRequest", "Tracking already exists.", nil))
			return
		}
	}
	slug := in.Slug
	if slug == "" {
		slug = "china-post" // the fake's "auto-detection"
	}
	p := &parcel{id: f.nextID(""), key: key, number: n, carrier: slug, created: f.now()}
	acct[p.id] = p
	writeJSON(w, http.StatusCreated, asBody(201, "Created", "The request was successful and a resource was created.", asTracking(p)))
}

func asTag(status string) (tag, subtag string) {
	if t, _, ok := strings.Cut(status, "_"); ok {
		return t, status
	}
	return status, status + "_001"
}

// asTracking is the tracking object as the fake's API shows it now.
func asTracking(p *parcel) map[string]any {
	tag, subtag := "Pending", "Pending_001"
	checkpoints := []any{}
	updated := p.created
	for _, e := range p.events {
		t, st := asTag(e.Status)
		city, state, country := splitLocation(e.Location)
		checkpoints = append(checkpoints, map[string]any{
			"created_at": e.At.UTC().Format(time.RFC3339), "slug": p.carrier, "checkpoint_time": e.At.Format(time.RFC3339),
			"location": e.Location, "city": city, "state": state, "zip": nil, "coordinate": map[string]any{"latitude": nil, "longitude": nil},
			"country_region": country, "country_region_name": country, "message": e.Message, "tag": t, "subtag": st,
			"subtag_message": t, "raw_tag": "", "events": []any{}, "source": "carrier",
		})
		tag, subtag, updated = t, st, e.At
	}
	return map[string]any{
		"id": p.id, "legacy_id": p.id, "created_at": p.created.UTC().Format(time.RFC3339), "updated_at": updated.UTC().Format(time.RFC3339),
		"tracking_number": p.number, "slug": p.carrier, "active": tag != "Delivered" && tag != "Expired",
		"tag": tag, "subtag": subtag, "subtag_message": tag, "title": p.number, "order_id": nil,
		"origin_country_region": nil, "destination_country_region": nil, "transit_time": nil,
		"courier_estimated_delivery_date": map[string]any{"estimated_delivery_date": nil, "estimated_delivery_date_min": nil, "estimated_delivery_date_max": nil},
		"checkpoints":                     checkpoints,
	}
}

// Advance records a checkpoint for a number's tracking — status is an
// AfterShip tag or subtag ("InTransit", "AttemptFail_002") — and, with a
// webhook set, posts tracking_update to it, returning the HTTP status the
// receiver answered.
func (f *AfterShip) Advance(number, status string, at time.Time, location, message string) (int, error) {
	f.mu.Lock()
	var p *parcel
	for _, acct := range f.trackings {
		for _, t := range acct {
			if t.number == number {
				p = t
			}
		}
	}
	if p == nil {
		f.mu.Unlock()
		return 0, fmt.Errorf("AfterShip fake: no tracking for %s", number)
	}
	tag, _ := asTag(status)
	first := true
	for _, e := range p.events {
		if t, _ := asTag(e.Status); t == tag {
			first = false
		}
	}
	p.events = append(p.events, Event{At: at, Status: status, Location: location, Message: message})
	url, secret := f.webhookURL, f.webhookSecret
	var body []byte
	if url != "" {
		body, _ = json.Marshal(map[string]any{"event": "tracking_update", "event_id": f.nextID("evt-"), "is_tracking_first_tag": first,
			"msg": asTracking(p), "ts": f.now().Unix()}) // plain maps always encode
	}
	f.mu.Unlock()
	if body == nil {
		return 0, nil
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return f.deliver(url, http.Header{"Aftership-Hmac-Sha256": {base64.StdEncoding.EncodeToString(mac.Sum(nil))}, "As-Webhook-Version": {"2025-01"}}, body)
}
