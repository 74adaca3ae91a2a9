package statusfeed

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/waybill-app/waybill/app"
)

// SeventeenTrack is the 17TRACK Tracking API v2.2
// (https://asset.17track.net/api/document/v2.2_en/index.html, also served at
// https://api.17track.net/en/doc?version=v2.2):
//   - every call is POST https://api.17track.net/track/v2.2/{register,
//     gettrackinfo, stoptrack, getquota} with the key in the 17token header;
//   - answers are {"code": 0, "data": {"accepted": [...], "rejected":
//     [{"number", "error": {"code", "message"}}]}}; a non-zero code fails the
//     whole request (data.errors), per number codes come in rejected;
//   - at most 40 numbers a request, 3 requests a second per key (HTTP 429);
//     HTTP 401 for a wrong key, an IP outside the whitelist, a disabled
//     account;
//   - the webhook pushes {"event": "TRACKING_UPDATED" | "TRACKING_STOPPED",
//     "data": {"number", "carrier", "param", "tag", "track_info"}} with the
//     header sign = hex SHA-256 of (raw body + "/" + the API key): 17TRACK
//     signs with the account's key, there is no separate webhook secret.
type SeventeenTrack struct {
	base string
	http *http.Client
}

const (
	st17Display = "17TRACK"
	st17Path    = "/track/v2.2/"
	// 17TRACK error codes (docs, "Error status code").
	st17AlreadyRegistered = -18019901
	st17NotRegistered     = -18019902
	st17DailyLimit        = -18019907
	st17QuotaExhausted    = -18019908
)

// st17AuthCodes refuse the key: IP not whitelisted, invalid key, account
// disabled, unauthorised access.
var st17AuthCodes = map[int]bool{-18010001: true, -18010002: true, -18010004: true, -18010005: true}

func (*SeventeenTrack) Name() string            { return app.Provider17Track }
func (*SeventeenTrack) SignatureHeader() string { return "sign" }
func (*SeventeenTrack) Registers() bool         { return true }

// Limits: 3 requests a second per key and 40 numbers a request (docs,
// "Request limit"). Window: 17TRACK stops tracking a number by itself when
// it has had no new event for a long time; 30 days is our reading of that
// rule, not a figure confirmed from the public docs.
func (*SeventeenTrack) Limits() app.TrackerLimits {
	return app.TrackerLimits{PerSecond: 3, BatchSize: 40, Window: 30 * 24 * time.Hour}
}

// Verify checks the sign header: 17TRACK signs with the API key itself.
func (*SeventeenTrack) Verify(body []byte, signature string, src *app.StatusSource) bool {
	if src == nil || src.APIKey == "" || signature == "" {
		return false
	}
	return constantEqual(strings.ToLower(strings.TrimSpace(signature)), Sign17Track(body, src.APIKey))
}

// Sign17Track makes the sign header 17TRACK sends with a push: hex SHA-256
// of the raw body, "/", and the account's API key.
func Sign17Track(body []byte, key string) string {
	h := sha256.New()
	h.Write(body)
	h.Write([]byte("/" + key))
	return hex.EncodeToString(h.Sum(nil))
}

type st17Event struct {
	TimeISO     string `json:"time_iso"`
	TimeUTC     string `json:"time_utc"`
	Description string `json:"description"`
	Location    string `json:"location"`
	Stage       string `json:"stage"`
	SubStatus   string `json:"sub_status"`
	Address     *struct {
		Country string `json:"country"`
		State   string `json:"state"`
		City    string `json:"city"`
	} `json:"address"`
}

type st17TrackInfo struct {
	LatestStatus struct {
		Status    string `json:"status"`
		SubStatus string `json:"sub_status"`
	} `json:"latest_status"`
	LatestEvent *st17Event `json:"latest_event"`
	TimeMetrics struct {
		EstimatedDeliveryDate struct {
			From *string `json:"from"`
			To   *string `json:"to"`
		} `json:"estimated_delivery_date"`
	} `json:"time_metrics"`
	Tracking struct {
		Providers []struct {
			Events []st17Event `json:"events"`
		} `json:"providers"`
	} `json:"tracking"`
}

type st17Item struct {
	Number    string         `json:"number"`
	Carrier   int            `json:"carrier"`
	TrackInfo *st17TrackInfo `json:"track_info"`
	Error     *st17Error     `json:"error"`
}

type st17Error struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type st17Envelope struct {
	Code int `json:"code"`
	Data struct {
		Accepted []st17Item  `json:"accepted"`
		Rejected []st17Item  `json:"rejected"`
		Errors   []st17Error `json:"errors"`
	} `json:"data"`
}

// st17Statuses maps 17TRACK's main statuses (docs, "Package status").
var st17Statuses = map[string]app.ParcelStatus{
	"InfoReceived": app.StatusInfoReceived, "InTransit": app.StatusInTransit, "Expired": app.StatusExpired,
	"AvailableForPickup": app.StatusAvailableForPickup, "OutForDelivery": app.StatusOutForDelivery,
	"DeliveryFailure": app.StatusAttemptedDelivery, "Delivered": app.StatusDelivered, "Exception": app.StatusException,
}

// st17Stages maps the key stages events and milestones carry.
var st17Stages = map[string]app.ParcelStatus{
	"InfoReceived": app.StatusInfoReceived, "PickedUp": app.StatusInTransit, "Departure": app.StatusInTransit,
	"Arrival": app.StatusInTransit, "AvailableForPickup": app.StatusAvailableForPickup,
	"OutForDelivery": app.StatusOutForDelivery, "Delivered": app.StatusDelivered,
	"Returning": app.StatusException, "Returned": app.StatusException,
}

// map17 maps a status or a sub-status ("DeliveryFailure_NoBody": its main
// status is the part before "_"). NotFound is no status at all; anything
// unknown is in transit.
func map17(status string) (app.ParcelStatus, bool) {
	main, _, _ := strings.Cut(status, "_")
	if main == "NotFound" || main == "" {
		return "", false
	}
	if s, ok := st17Statuses[main]; ok {
		return s, true
	}
	return app.StatusInTransit, true
}

func (e st17Event) checkpoint() (app.Checkpoint, bool) {
	t, ok := parseTime(e.TimeUTC)
	if !ok {
		if t, ok = parseTime(e.TimeISO); !ok {
			return app.Checkpoint{}, false
		}
	}
	st, ok := map17(e.SubStatus)
	if !ok {
		if st, ok = st17Stages[e.Stage]; !ok {
			st = app.StatusInTransit
		}
	}
	loc := ""
	if e.Address != nil {
		loc = joinLocation(e.Address.City, e.Address.State, e.Address.Country)
	}
	if loc == "" {
		loc = strings.TrimSpace(e.Location)
	}
	return app.Checkpoint{HappenedAt: t, Status: st, Location: loc, Message: strings.TrimSpace(e.Description)}, true
}

// update turns a number's track_info into a StatusUpdate (ok false: 17TRACK
// has found nothing yet).
func (it st17Item) update() (app.StatusUpdate, bool) {
	u := app.StatusUpdate{Source: app.Provider17Track, TrackingNumber: it.Number}
	ti := it.TrackInfo
	if ti == nil {
		return u, false
	}
	st, ok := map17(ti.LatestStatus.Status)
	if !ok {
		return u, false
	}
	u.Status = st
	seen := map[string]bool{}
	for _, p := range ti.Tracking.Providers {
		for _, e := range p.Events {
			c, ok := e.checkpoint()
			key := c.HappenedAt.String() + "|" + c.Message
			if !ok || seen[key] {
				continue
			}
			seen[key] = true
			u.Checkpoints = append(u.Checkpoints, c)
		}
	}
	if ti.LatestEvent != nil {
		if c, ok := ti.LatestEvent.checkpoint(); ok {
			u.StatusAt = c.HappenedAt
		}
	}
	ed := ti.TimeMetrics.EstimatedDeliveryDate
	for _, s := range []*string{ed.To, ed.From} {
		if s != nil {
			if t, ok := parseTime(*s); ok {
				u.EstimatedDelivery = &t
				break
			}
		}
	}
	finish(&u)
	return u, true
}

// Parse reads a push. TRACKING_STOPPED and other events, and a number
// 17TRACK has not found yet, carry no status (ok false).
func (*SeventeenTrack) Parse(body []byte) (app.StatusUpdate, bool, error) {
	var in struct {
		Event string    `json:"event"`
		Data  *st17Item `json:"data"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return app.StatusUpdate{}, false, jsonError("17TRACK push", err)
	}
	if in.Event == "" {
		return app.StatusUpdate{}, false, app.Errorf(app.ErrInvalid, "the 17TRACK push has no event")
	}
	if in.Event != "TRACKING_UPDATED" {
		return app.StatusUpdate{}, false, nil
	}
	if in.Data == nil || strings.TrimSpace(in.Data.Number) == "" {
		return app.StatusUpdate{}, false, app.Errorf(app.ErrInvalid, "the 17TRACK push has no data.number")
	}
	u, ok := in.Data.update()
	return u, ok, nil
}

type st17Number struct {
	Number  string `json:"number"`
	Carrier int    `json:"carrier,omitempty"`
}

func st17Numbers(parcels []app.Parcel) []st17Number {
	out := make([]st17Number, len(parcels))
	for i, p := range parcels {
		out[i] = st17Number{Number: p.TrackingNumber, Carrier: SeventeenTrackCarrier(p.Carrier)}
	}
	return out
}

// call makes one request and reads its envelope; the error is for the
// request as a whole.
func (s *SeventeenTrack) call(ctx context.Context, src *app.StatusSource, op string, body any) (*st17Envelope, error) {
	if src == nil || src.APIKey == "" {
		return nil, app.Errorf(app.ErrUnauthorized, "the 17TRACK source has no API key")
	}
	status, b, err := apiCall(ctx, s.http, st17Display, http.MethodPost, s.base+st17Path+op, http.Header{"17token": {src.APIKey}}, body)
	if err != nil {
		return nil, err
	}
	var env st17Envelope
	jerr := json.Unmarshal(b, &env)
	msg := ""
	if jerr == nil && len(env.Data.Errors) > 0 {
		msg = clip(env.Data.Errors[0].Message)
	}
	if err := httpError(st17Display, status, msg); err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, app.Errorf(app.ErrUnavailable, "17TRACK answered HTTP %d to %s", status, op)
	}
	if jerr != nil {
		return nil, app.Errorf(app.ErrUnavailable, "17TRACK's answer to %s is not its JSON", op)
	}
	if env.Code != 0 {
		return nil, st17RequestError(env.Code, msg)
	}
	return &env, nil
}

func st17RequestError(code int, msg string) error {
	switch {
	case st17AuthCodes[code]:
		return app.Errorf(app.ErrUnauthorized, "the 17TRACK key was refused: %s (%d)", msg, code)
	case code == -18010003:
		return app.Errorf(app.ErrUnavailable, "17TRACK had an internal error: %s (%d)", msg, code)
	case code <= -18010010 && code >= -18010099:
		return app.Errorf(app.ErrInvalid, "17TRACK refused the request: %s (%d)", msg, code)
	}
	return app.Errorf(app.ErrUnavailable, "17TRACK refused the request: %s (%d)", msg, code)
}

// numberError is what a rejected number means for the parcel.
func st17NumberError(e *st17Error) error {
	if e == nil {
		return app.Errorf(app.ErrUnavailable, "17TRACK rejected the number without a reason")
	}
	msg := clip(e.Message)
	switch e.Code {
	case st17DailyLimit:
		return app.Errorf(app.ErrRateLimited, "17TRACK's daily limit is reached: %s (%d)", msg, e.Code)
	case st17QuotaExhausted:
		return app.Errorf(app.ErrForbidden, "the 17TRACK account's quota is used up: %s (%d)", msg, e.Code)
	case -18010003:
		return app.Errorf(app.ErrUnavailable, "17TRACK had an internal error: %s (%d)", msg, e.Code)
	}
	return app.Errorf(app.ErrInvalid, "17TRACK refused the number: %s (%d)", msg, e.Code)
}

func numKey(n string) string { return strings.ToUpper(strings.ReplaceAll(n, " ", "")) }

// Register registers the parcels, 40 a request. A number 17TRACK already
// tracks (-18019901) counts as registered.
func (s *SeventeenTrack) Register(ctx context.Context, src *app.StatusSource, parcels []app.Parcel) ([]app.TrackerResult, error) {
	out := make([]app.TrackerResult, 0, len(parcels))
	for start := 0; start < len(parcels); start += 40 {
		batch := parcels[start:min(start+40, len(parcels))]
		env, err := s.call(ctx, src, "register", st17Numbers(batch))
		if err != nil {
			return nil, err
		}
		done := map[string]error{}
		for _, a := range env.Data.Accepted {
			done[numKey(a.Number)] = nil
		}
		for _, r := range env.Data.Rejected {
			if r.Error != nil && r.Error.Code == st17AlreadyRegistered {
				done[numKey(r.Number)] = nil
				continue
			}
			done[numKey(r.Number)] = st17NumberError(r.Error)
		}
		for _, p := range batch {
			res := app.TrackerResult{TrackingNumber: p.TrackingNumber}
			e, ok := done[numKey(p.TrackingNumber)]
			switch {
			case !ok:
				res.Err = app.Errorf(app.ErrUnavailable, "17TRACK's answer does not mention the number")
			default:
				res.Err = e
			}
			out = append(out, res)
		}
	}
	return out, nil
}

// Poll reads the parcels' track_info (gettrackinfo, 40 a request). Numbers
// 17TRACK does not track, or has found nothing for yet, are left out.
func (s *SeventeenTrack) Poll(ctx context.Context, src *app.StatusSource, parcels []app.Parcel) ([]app.StatusUpdate, error) {
	var out []app.StatusUpdate
	for start := 0; start < len(parcels); start += 40 {
		batch := parcels[start:min(start+40, len(parcels))]
		env, err := s.call(ctx, src, "gettrackinfo", st17Numbers(batch))
		if err != nil {
			return nil, err
		}
		for _, a := range env.Data.Accepted {
			if u, ok := a.update(); ok {
				out = append(out, u)
			}
		}
	}
	return out, nil
}

// Stop stops tracking (stoptrack: 17TRACK keeps the history and can retrack
// it). A number 17TRACK does not track is already stopped.
func (s *SeventeenTrack) Stop(ctx context.Context, src *app.StatusSource, parcels []app.Parcel) error {
	for start := 0; start < len(parcels); start += 40 {
		batch := parcels[start:min(start+40, len(parcels))]
		env, err := s.call(ctx, src, "stoptrack", st17Numbers(batch))
		if err != nil {
			return err
		}
		var refused []string
		for _, r := range env.Data.Rejected {
			if r.Error != nil && r.Error.Code == st17NotRegistered {
				continue
			}
			refused = append(refused, fmt.Sprintf("%s: %v", r.Number, st17NumberError(r.Error)))
		}
		if len(refused) > 0 {
			return app.Errorf(app.ErrInvalid, "17TRACK did not stop %s", strings.Join(refused, "; "))
		}
	}
	return nil
}

// Check asks for the account's quota (getquota), which costs nothing.
func (s *SeventeenTrack) Check(ctx context.Context, src *app.StatusSource) error {
	_, err := s.call(ctx, src, "getquota", nil)
	return err
}
