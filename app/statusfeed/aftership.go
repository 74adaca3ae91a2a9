package statusfeed

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/waybill-app/waybill/app"
)

// AfterShip is the AfterShip Tracking API, version 2025-01
// (https://www.aftership.com/docs/tracking/2025-01/):
//   - https://api.aftership.com/tracking/2025-01/trackings: POST creates a
//     tracking (slug optional: AfterShip detects the courier), GET
//     ?tracking_numbers=a,b lists them, DELETE /trackings/{id} deletes one;
//     GET /couriers lists the account's couriers (Check);
//   - the key goes in the as-api-key header; answers are {"meta": {"code",
//     "message", "type"}, "data": {...}};
//   - errors (quickstart/request-errors): 401 invalid key, 429
//     TooManyRequests, 4003 "Tracking already exists.", 4004 "Tracking does
//     not exist.", 4005/4010/4012/4017 a number or courier AfterShip refuses;
//   - rate limits per endpoint (quickstart/rate-limit): POST /trackings 20/s,
//     GET /trackings 6/s, GET/PUT/DELETE /trackings/{id} 5/s;
//   - webhooks (webhook/webhook-signature) carry aftership-hmac-sha256 =
//     base64 HMAC-SHA256 of the raw body under the account's webhook secret;
//     the body is {"event": "tracking_update", "event_id", "msg": tracking,
//     "ts"}.
type AfterShip struct {
	base string
	http *http.Client
}

const (
	asDisplay = "AfterShip"
	asVersion = "2025-01"
)

func (*AfterShip) Name() string            { return app.ProviderAfterShip }
func (*AfterShip) SignatureHeader() string { return "aftership-hmac-sha256" }
func (*AfterShip) Registers() bool         { return true }

// Limits: one tracking per create request; 5 requests a second, the lowest
// per-endpoint limit of the calls Waybill makes (GET/DELETE by id), so one
// pace fits them all. Window: AfterShip marks a tracking Expired when it
// has had no update for 30 days (delivery statuses: "Expired").
func (*AfterShip) Limits() app.TrackerLimits {
	return app.TrackerLimits{PerSecond: 5, BatchSize: 1, Window: 30 * 24 * time.Hour}
}

// Verify checks aftership-hmac-sha256 under the source's webhook secret.
func (*AfterShip) Verify(body []byte, signature string, src *app.StatusSource) bool {
	if src == nil || src.Secret == "" || signature == "" {
		return false
	}
	return constantEqual(strings.TrimSpace(signature), SignAfterShip(body, src.Secret))
}

// SignAfterShip makes the aftership-hmac-sha256 header: base64 HMAC-SHA256
// of the raw body under the webhook secret.
func SignAfterShip(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

type asCheckpoint struct {
	CheckpointTime    string `json:"checkpoint_time"`
	City              string `json:"city"`
	State             string `json:"state"`
	CountryRegion     string `json:"country_region"`
	CountryRegionName string `json:"country_region_name"`
	CountryName       string `json:"country_name"` // before 2024-04
	CountryISO3       string `json:"country_iso3"` // before 2024-04
	Location          string `json:"location"`
	Message           string `json:"message"`
	Tag               string `json:"tag"`
	Subtag            string `json:"subtag"`
}

type asTracking struct {
	ID                           string  `json:"id"`
	TrackingNumber               string  `json:"tracking_number"`
	Slug                         string  `json:"slug"`
	Tag                          string  `json:"tag"`
	Subtag                       string  `json:"subtag"`
	UpdatedAt                    string  `json:"updated_at"`
	ExpectedDelivery             *string `json:"expected_delivery"`
	CourierEstimatedDeliveryDate *struct {
		EstimatedDeliveryDate    *string `json:"estimated_delivery_date"`
		EstimatedDeliveryDateMax *string `json:"estimated_delivery_date_max"`
	} `json:"courier_estimated_delivery_date"`
	Checkpoints []asCheckpoint `json:"checkpoints"`
}

// asTags maps AfterShip's delivery statuses (tags).
var asTags = map[string]app.ParcelStatus{
	"InfoReceived": app.StatusInfoReceived, "InTransit": app.StatusInTransit, "OutForDelivery": app.StatusOutForDelivery,
	"AttemptFail": app.StatusAttemptedDelivery, "Delivered": app.StatusDelivered,
	"AvailableForPickup": app.StatusAvailableForPickup, "Exception": app.StatusException, "Expired": app.StatusExpired,
}

// mapAfterShip maps a tag; Pending (AfterShip has no information yet) is no
// status; anything unknown is in transit.
func mapAfterShip(tag string) (app.ParcelStatus, bool) {
	if tag == "" || tag == "Pending" {
		return "", false
	}
	if s, ok := asTags[tag]; ok {
		return s, true
	}
	return app.StatusInTransit, true
}

func (t asTracking) update() (app.StatusUpdate, bool) {
	u := app.StatusUpdate{Source: app.ProviderAfterShip, TrackingNumber: t.TrackingNumber}
	st, ok := mapAfterShip(t.Tag)
	if !ok {
		return u, false
	}
	u.Status = st
	for _, c := range t.Checkpoints {
		at, ok := parseTime(c.CheckpointTime)
		if !ok {
			continue
		}
		cst, ok := mapAfterShip(c.Tag)
		if !ok {
			cst = app.StatusInfoReceived
		}
		country := c.CountryRegionName
		for _, alt := range []string{c.CountryName, c.CountryRegion, c.CountryISO3} {
			if country == "" {
				country = alt
			}
		}
		loc := joinLocation(c.City, c.State, country)
		if loc == "" {
			loc = strings.TrimSpace(c.Location)
		}
		u.Checkpoints = append(u.Checkpoints, app.Checkpoint{HappenedAt: at, Status: cst, Location: loc, Message: strings.TrimSpace(c.Message)})
	}
	var edd []*string
	if e := t.CourierEstimatedDeliveryDate; e != nil {
		// The latest day of the courier's range: "late" means after it.
		edd = append(edd, e.EstimatedDeliveryDateMax, e.EstimatedDeliveryDate)
	}
	for _, s := range append(edd, t.ExpectedDelivery) {
		if s != nil {
			if at, ok := parseTime(*s); ok {
				u.EstimatedDelivery = &at
				break
			}
		}
	}
	finish(&u)
	if u.StatusAt.IsZero() {
		if at, ok := parseTime(t.UpdatedAt); ok {
			u.StatusAt = at
		}
	}
	return u, true
}

// Parse reads a webhook. Events other than tracking_update (edd_revise,
// tracking_pending_time) and Pending trackings carry no status (ok false).
func (*AfterShip) Parse(body []byte) (app.StatusUpdate, bool, error) {
	var in struct {
		Event string      `json:"event"`
		Msg   *asTracking `json:"msg"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return app.StatusUpdate{}, false, jsonError("AfterShip webhook", err)
	}
	if in.Event == "" {
		return app.StatusUpdate{}, false, app.Errorf(app.ErrInvalid, "the AfterShip webhook has no event")
	}
	if in.Event != "tracking_update" {
		return app.StatusUpdate{}, false, nil
	}
	if in.Msg == nil || strings.TrimSpace(in.Msg.TrackingNumber) == "" {
		return app.StatusUpdate{}, false, app.Errorf(app.ErrInvalid, "the AfterShip webhook has no msg.tracking_number")
	}
	u, ok := in.Msg.update()
	return u, ok, nil
}

type asMeta struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Type    string `json:"type"`
}

// call makes one request; it returns the meta and data of a 2xx answer, or
// the meta of a 4xx answer that is about the request's content (the
// caller decides), or an error for the request as a whole.
func (a *AfterShip) call(ctx context.Context, src *app.StatusSource, method, path string, body any) (int, asMeta, json.RawMessage, error) {
	if src == nil || src.APIKey == "" {
		return 0, asMeta{}, nil, app.Errorf(app.ErrUnauthorized, "the AfterShip source has no API key")
	}
	status, b, err := apiCall(ctx, a.http, asDisplay, method, a.base+"/tracking/"+asVersion+path, http.Header{"As-Api-Key": {src.APIKey}}, body)
	if err != nil {
		return 0, asMeta{}, nil, err
	}
	var env struct {
		Meta asMeta          `json:"meta"`
		Data json.RawMessage `json:"data"`
	}
	jerr := json.Unmarshal(b, &env)
	if err := httpError(asDisplay, status, clip(env.Meta.Message)); err != nil {
		return status, env.Meta, nil, err
	}
	if jerr != nil {
		return status, asMeta{}, nil, app.Errorf(app.ErrUnavailable, "AfterShip's answer (HTTP %d) is not its JSON", status)
	}
	return status, env.Meta, env.Data, nil
}

// Register creates one tracking per parcel. "Tracking already exists"
// (4003) counts as registered; the tracking's id is then looked up.
func (a *AfterShip) Register(ctx context.Context, src *app.StatusSource, parcels []app.Parcel) ([]app.TrackerResult, error) {
	out := make([]app.TrackerResult, 0, len(parcels))
	for _, p := range parcels {
		body := map[string]string{"tracking_number": p.TrackingNumber}
		if slug := AfterShipSlug(p.Carrier); slug != "" {
			body["slug"] = slug
		}
		status, meta, data, err := a.call(ctx, src, http.MethodPost, "/trackings", body)
		if err != nil {
			return nil, err
		}
		res := app.TrackerResult{TrackingNumber: p.TrackingNumber}
		switch {
		case status/100 == 2:
			var t asTracking
			if err := json.Unmarshal(data, &t); err != nil {
				return nil, app.Errorf(app.ErrUnavailable, "AfterShip's created tracking is not its JSON")
			}
			res.TrackerID = t.ID
		case meta.Code == 4003:
			ts, err := a.find(ctx, src, []string{p.TrackingNumber})
			if err != nil {
				return nil, err
			}
			for _, t := range ts {
				if numKey(t.TrackingNumber) == numKey(p.TrackingNumber) {
					res.TrackerID = t.ID
				}
			}
		default:
			res.Err = app.Errorf(app.ErrInvalid, "AfterShip refused the number: %s (%d)", clip(meta.Message), meta.Code)
		}
		out = append(out, res)
	}
	return out, nil
}

// find lists the trackings with these numbers (GET /trackings, 50 numbers
// a request).
func (a *AfterShip) find(ctx context.Context, src *app.StatusSource, numbers []string) ([]asTracking, error) {
	var out []asTracking
	for start := 0; start < len(numbers); start += 50 {
		q := url.Values{"tracking_numbers": {strings.Join(numbers[start:min(start+50, len(numbers))], ",")}, "limit": {"200"}}
		status, meta, data, err := a.call(ctx, src, http.MethodGet, "/trackings?"+q.Encode(), nil)
		if err != nil {
			return nil, err
		}
		if status/100 != 2 {
			return nil, app.Errorf(app.ErrUnavailable, "AfterShip refused the tracking list: %s (%d)", clip(meta.Message), meta.Code)
		}
		var d struct {
			Trackings []asTracking `json:"trackings"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			return nil, app.Errorf(app.ErrUnavailable, "AfterShip's tracking list is not its JSON")
		}
		out = append(out, d.Trackings...)
	}
	return out, nil
}

// Poll lists the parcels' trackings (50 numbers a request) and reports
// those AfterShip has information for.
func (a *AfterShip) Poll(ctx context.Context, src *app.StatusSource, parcels []app.Parcel) ([]app.StatusUpdate, error) {
	numbers := make([]string, len(parcels))
	for i, p := range parcels {
		numbers[i] = p.TrackingNumber
	}
	ts, err := a.find(ctx, src, numbers)
	if err != nil {
		return nil, err
	}
	var out []app.StatusUpdate
	for _, t := range ts {
		if u, ok := t.update(); ok {
			out = append(out, u)
		}
	}
	return out, nil
}

// Stop deletes the parcels' trackings (by TrackerID, looked up by number
// when missing). A tracking that no longer exists (4004) is stopped.
func (a *AfterShip) Stop(ctx context.Context, src *app.StatusSource, parcels []app.Parcel) error {
	var lookup []string
	ids := map[string]bool{}
	for _, p := range parcels {
		if p.TrackerID != "" {
			ids[p.TrackerID] = true
		} else {
			lookup = append(lookup, p.TrackingNumber)
		}
	}
	if len(lookup) > 0 {
		ts, err := a.find(ctx, src, lookup)
		if err != nil {
			return err
		}
		for _, t := range ts {
			ids[t.ID] = true
		}
	}
	for id := range ids {
		status, meta, _, err := a.call(ctx, src, http.MethodDelete, "/trackings/"+url.PathEscape(id), nil)
		if err != nil {
			return err
		}
		if status/100 != 2 && meta.Code != 4004 && status != http.StatusNotFound {
			return app.Errorf(app.ErrInvalid, "AfterShip did not delete the tracking: %s (%d)", clip(meta.Message), meta.Code)
		}
	}
	return nil
}

// Check lists the account's couriers, which changes nothing.
func (a *AfterShip) Check(ctx context.Context, src *app.StatusSource) error {
	status, meta, _, err := a.call(ctx, src, http.MethodGet, "/couriers", nil)
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return app.Errorf(app.ErrUnavailable, "AfterShip refused the courier list: %s (%d)", clip(meta.Message), meta.Code)
	}
	return nil
}
