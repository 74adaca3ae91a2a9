package statusfeed

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/waybill-app/waybill/app"
)

// EasyPost is EasyPost's Trackers API (https://docs.easypost.com/docs/trackers):
//   - POST /v2/trackers {"tracker": {"tracking_code", "carrier"}} creates a
//     tracker (carrier optional: EasyPost detects it); creating the same
//     code and carrier again answers the existing tracker;
//   - GET /v2/trackers/{id} reads one; GET /v2/trackers lists them;
//   - HTTP basic auth with the API key as the user name;
//   - errors are {"error": {"code", "message", "errors"}}
//     (https://docs.easypost.com/docs/errors); 429 when rate limited
//     (guides/rate-limiting-guide: index endpoints 5 requests a second, the
//     rest load-based);
//   - trackers cannot be deleted: Stop does nothing;
//   - webhooks are Events ({"description": "tracker.updated", "result":
//     tracker}) signed in X-Hmac-Signature: "hmac-sha256-hex=" + hex
//     HMAC-SHA256 of the body under the NFKD-normalised webhook secret.
type EasyPost struct {
	base string
	http *http.Client
}

const epDisplay = "EasyPost"

func (*EasyPost) Name() string            { return app.ProviderEasyPost }
func (*EasyPost) SignatureHeader() string { return "X-Hmac-Signature" }
func (*EasyPost) Registers() bool         { return true }

// Limits: one tracker per create request; 5 requests a second, EasyPost's
// fixed limit for index endpoints (its other limits are load-based and
// unpublished). Window: EasyPost does not publish how long a tracker is
// updated; 90 days is the period it de-duplicates trackers over (a guess,
// not confirmed from the docs).
func (*EasyPost) Limits() app.TrackerLimits {
	return app.TrackerLimits{PerSecond: 5, BatchSize: 1, Window: 90 * 24 * time.Hour}
}

func (*EasyPost) Verify(body []byte, signature string, src *app.StatusSource) bool {
	return src != nil && VerifyEasyPost(body, signature, src.Secret)
}

func (*EasyPost) Parse(body []byte) (app.StatusUpdate, bool, error) { return ParseEasyPost(body) }

// VerifyEasyPost checks EasyPost's X-Hmac-Signature ("hmac-sha256-hex=…",
// HMAC-SHA256 of the raw body under the NFKD-normalised webhook secret) in
// constant time.
func VerifyEasyPost(body []byte, header, secret string) bool {
	if header == "" || secret == "" {
		return false
	}
	return constantEqual(header, SignEasyPost(body, secret))
}

// SignEasyPost makes the header EasyPost would send (tests, tools).
func SignEasyPost(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(norm.NFKD.String(secret)))
	mac.Write(body)
	return "hmac-sha256-hex=" + hex.EncodeToString(mac.Sum(nil))
}

// easyPostStatuses maps EasyPost tracker statuses to Waybill's.
var easyPostStatuses = map[string]app.ParcelStatus{
	"unknown": app.StatusPending, "pre_transit": app.StatusInfoReceived, "in_transit": app.StatusInTransit,
	"out_for_delivery": app.StatusOutForDelivery, "delivered": app.StatusDelivered, "available_for_pickup": app.StatusAvailableForPickup,
	"return_to_sender": app.StatusException, "failure": app.StatusException, "cancelled": app.StatusException, "error": app.StatusException,
}

type easyPostTracker struct {
	Object          string  `json:"object"`
	ID              string  `json:"id"`
	TrackingCode    string  `json:"tracking_code"`
	Status          string  `json:"status"`
	StatusDetail    string  `json:"status_detail"`
	EstDeliveryDate *string `json:"est_delivery_date"`
	UpdatedAt       string  `json:"updated_at"`
	TrackingDetails []struct {
		Message          string `json:"message"`
		Status           string `json:"status"`
		StatusDetail     string `json:"status_detail"`
		Datetime         string `json:"datetime"`
		TrackingLocation struct {
			City    string `json:"city"`
			State   string `json:"state"`
			Country string `json:"country"`
		} `json:"tracking_location"`
	} `json:"tracking_details"`
}

func (r easyPostTracker) update() app.StatusUpdate {
	u := app.StatusUpdate{Source: app.ProviderEasyPost, TrackingNumber: r.TrackingCode, Status: mapEasyPost(r.Status, r.StatusDetail)}
	if r.EstDeliveryDate != nil {
		if t, ok := parseTime(*r.EstDeliveryDate); ok {
			u.EstimatedDelivery = &t
		}
	}
	for _, d := range r.TrackingDetails {
		t, ok := parseTime(d.Datetime)
		if !ok {
			continue
		}
		loc := joinLocation(d.TrackingLocation.City, d.TrackingLocation.State, d.TrackingLocation.Country)
		u.Checkpoints = append(u.Checkpoints, app.Checkpoint{HappenedAt: t, Status: mapEasyPost(d.Status, d.StatusDetail), Location: loc, Message: d.Message})
	}
	finish(&u)
	if u.StatusAt.IsZero() {
		if t, ok := parseTime(r.UpdatedAt); ok {
			u.StatusAt = t
		}
	}
	return u
}

// ParseEasyPost reads a tracker.updated (or tracker.created) event. Other
// events give ok false: acknowledged and ignored.
func ParseEasyPost(body []byte) (u app.StatusUpdate, ok bool, err error) {
	var ev struct {
		Object      string          `json:"object"`
		Description string          `json:"description"`
		Result      easyPostTracker `json:"result"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		return u, false, jsonError("EasyPost event", err)
	}
	if ev.Description != "tracker.updated" && ev.Description != "tracker.created" || ev.Result.Object != "Tracker" {
		return u, false, nil
	}
	if strings.TrimSpace(ev.Result.TrackingCode) == "" {
		return u, false, app.Errorf(app.ErrInvalid, "the EasyPost event has no result.tracking_code")
	}
	return ev.Result.update(), true, nil
}

func mapEasyPost(status, detail string) app.ParcelStatus {
	if status == "failure" && strings.Contains(detail, "attempt") {
		return app.StatusAttemptedDelivery
	}
	if s, ok := easyPostStatuses[status]; ok {
		return s
	}
	return app.StatusInTransit
}

type epError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (e *EasyPost) call(ctx context.Context, src *app.StatusSource, method, path string, body any) (int, []byte, string, error) {
	if src == nil || src.APIKey == "" {
		return 0, nil, "", app.Errorf(app.ErrUnauthorized, "the EasyPost source has no API key")
	}
	req := http.Header{}
	r := &http.Request{Header: req}
	r.SetBasicAuth(src.APIKey, "")
	status, b, err := apiCall(ctx, e.http, epDisplay, method, e.base+path, req, body)
	if err != nil {
		return 0, nil, "", err
	}
	var ee epError
	msg := ""
	if json.Unmarshal(b, &ee) == nil && ee.Error.Message != "" {
		msg = clip(ee.Error.Message)
		if ee.Error.Code != "" {
			msg += " (" + clip(ee.Error.Code) + ")"
		}
	}
	if err := httpError(epDisplay, status, msg); err != nil {
		return status, nil, msg, err
	}
	return status, b, msg, nil
}

// Register creates a tracker per parcel. EasyPost answers the existing
// tracker for a code it already tracks: registered either way.
func (e *EasyPost) Register(ctx context.Context, src *app.StatusSource, parcels []app.Parcel) ([]app.TrackerResult, error) {
	out := make([]app.TrackerResult, 0, len(parcels))
	for _, p := range parcels {
		tr := map[string]string{"tracking_code": p.TrackingNumber}
		if c := EasyPostCarrier(p.Carrier); c != "" {
			tr["carrier"] = c
		}
		status, b, msg, err := e.call(ctx, src, http.MethodPost, "/v2/trackers", map[string]any{"tracker": tr})
		if err != nil {
			return nil, err
		}
		res := app.TrackerResult{TrackingNumber: p.TrackingNumber}
		if status/100 == 2 {
			var t easyPostTracker
			if err := json.Unmarshal(b, &t); err != nil || t.ID == "" {
				return nil, app.Errorf(app.ErrUnavailable, "EasyPost's tracker is not its JSON")
			}
			res.TrackerID = t.ID
		} else {
			res.Err = app.Errorf(app.ErrInvalid, "EasyPost refused the number: %s", msg)
		}
		out = append(out, res)
	}
	return out, nil
}

// Poll reads each parcel's tracker: by id, or by its code through the
// tracker list.
func (e *EasyPost) Poll(ctx context.Context, src *app.StatusSource, parcels []app.Parcel) ([]app.StatusUpdate, error) {
	var out []app.StatusUpdate
	for _, p := range parcels {
		var t easyPostTracker
		if p.TrackerID != "" {
			status, b, _, err := e.call(ctx, src, http.MethodGet, "/v2/trackers/"+url.PathEscape(p.TrackerID), nil)
			if err != nil {
				return nil, err
			}
			if status == http.StatusNotFound {
				continue
			}
			if status/100 != 2 || json.Unmarshal(b, &t) != nil {
				return nil, app.Errorf(app.ErrUnavailable, "EasyPost answered HTTP %d for a tracker", status)
			}
		} else {
			q := url.Values{"tracking_code": {p.TrackingNumber}, "page_size": {"1"}}
			status, b, _, err := e.call(ctx, src, http.MethodGet, "/v2/trackers?"+q.Encode(), nil)
			if err != nil {
				return nil, err
			}
			var list struct {
				Trackers []easyPostTracker `json:"trackers"`
			}
			if status/100 != 2 || json.Unmarshal(b, &list) != nil {
				return nil, app.Errorf(app.ErrUnavailable, "EasyPost answered HTTP %d for the tracker list", status)
			}
			if len(list.Trackers) == 0 {
				continue
			}
			t = list.Trackers[0]
		}
		out = append(out, t.update())
	}
	return out, nil
}

// Stop does nothing: EasyPost trackers cannot be deleted or stopped; they
// end on their own.
func (*EasyPost) Stop(context.Context, *app.StatusSource, []app.Parcel) error { return nil }

// Check lists one tracker, which changes nothing.
func (e *EasyPost) Check(ctx context.Context, src *app.StatusSource) error {
	status, _, msg, err := e.call(ctx, src, http.MethodGet, "/v2/trackers?page_size=1", nil)
	if err != nil {
		return err
	}
	if status/100 != 2 {
		return app.Errorf(app.ErrUnavailable, "EasyPost answered HTTP %d: %s", status, msg)
	}
	return nil
}
