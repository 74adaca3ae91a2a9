// Package statusfeed reads the carrier status documents that status sources
// post to Waybill (EasyPost's tracker events, a 3PL's signed JSON): each
// provider checks its signature and turns its document into an
// app.StatusUpdate. Adding an aggregator is one more app.StatusProvider here.
package statusfeed

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/waybill-app/waybill/app"
)

// EasyPost reads EasyPost's tracker events.
type EasyPost struct{}

func (EasyPost) Name() string            { return "easypost" }
func (EasyPost) SignatureHeader() string { return "X-Hmac-Signature" }
func (EasyPost) Verify(body []byte, signature, secret string) bool {
	return VerifyEasyPost(body, signature, secret)
}
func (EasyPost) Parse(body []byte) (app.StatusUpdate, bool, error) { return ParseEasyPost(body) }

// Push reads the generic signed JSON a 3PL posts.
type Push struct{}

func (Push) Name() string            { return "push" }
func (Push) SignatureHeader() string { return "X-Waybill-Signature" }
func (Push) Verify(body []byte, signature, secret string) bool {
	return VerifyPush(body, signature, secret)
}
func (Push) Parse(body []byte) (app.StatusUpdate, bool, error) {
	u, err := ParsePush(body)
	return u, err == nil, err
}

// Providers are the providers Waybill accepts, by name.
func Providers() map[string]app.StatusProvider {
	out := map[string]app.StatusProvider{}
	for _, p := range []app.StatusProvider{EasyPost{}, Push{}} {
		out[p.Name()] = p
	}
	return out
}

// VerifyEasyPost checks EasyPost's X-Hmac-Signature ("hmac-sha256-hex=…",
// HMAC-SHA256 of the raw body under the NFKD-normalised webhook secret) in
// constant time.
func VerifyEasyPost(body []byte, header, secret string) bool {
	if header == "" || secret == "" {
		return false
	}
	mac := hmac.New(sha256.New, []byte(norm.NFKD.String(secret)))
	mac.Write(body)
	want := "hmac-sha256-hex=" + hex.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(header), []byte(want))
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

type easyPostEvent struct {
	Object      string `json:"object"`
	Description string `json:"description"`
	Result      struct {
		Object          string  `json:"object"`
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
	} `json:"result"`
}

// ParseEasyPost reads a tracker.updated (or tracker.created) event. Other
// events give ok false: acknowledged and ignored.
func ParseEasyPost(body []byte) (u app.StatusUpdate, ok bool, err error) {
	var ev easyPostEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return u, false, app.Errorf(app.ErrInvalid, "the EasyPost event is not JSON")
	}
	if ev.Description != "tracker.updated" && ev.Description != "tracker.created" || ev.Result.Object != "Tracker" {
		return u, false, nil
	}
	r := ev.Result
	u.TrackingNumber = r.TrackingCode
	u.Status = mapEasyPost(r.Status, r.StatusDetail)
	if r.EstDeliveryDate != nil {
		if t, err := time.Parse(time.RFC3339, *r.EstDeliveryDate); err == nil {
			u.EstimatedDelivery = &t
		}
	}
	for _, d := range r.TrackingDetails {
		t, err := time.Parse(time.RFC3339, d.Datetime)
		if err != nil {
			continue
		}
		loc := strings.Trim(strings.Join(nonEmpty(d.TrackingLocation.City, d.TrackingLocation.State, d.TrackingLocation.Country), ", "), ", ")
		u.Checkpoints = append(u.Checkpoints, app.Checkpoint{HappenedAt: t, Status: mapEasyPost(d.Status, d.StatusDetail), Location: loc, Message: d.Message})
	}
	return u, true, nil
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

func nonEmpty(xs ...string) []string {
	var out []string
	for _, x := range xs {
		if strings.TrimSpace(x) != "" {
			out = append(out, strings.TrimSpace(x))
		}
	}
	return out
}

// VerifyPush checks a 3PL push's X-Waybill-Signature ("sha256=" + hex
// HMAC-SHA256 of the raw body under the source's secret).
func VerifyPush(body []byte, header, secret string) bool {
	if header == "" || secret == "" {
		return false
	}
	return hmac.Equal([]byte(header), []byte(SignPush(body, secret)))
}

// SignPush makes X-Waybill-Signature for body (for 3PLs and tests).
func SignPush(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// ParsePush reads the generic status document:
// {"tracking_number", "status", "estimated_delivery", "checkpoints": [{"time", "status", "location", "message"}]}.
func ParsePush(body []byte) (app.StatusUpdate, error) {
	var in struct {
		TrackingNumber    string     `json:"tracking_number"`
		Status            string     `json:"status"`
		EstimatedDelivery *time.Time `json:"estimated_delivery"`
		Checkpoints       []struct {
			Time     time.Time `json:"time"`
			Status   string    `json:"status"`
			Location string    `json:"location"`
			Message  string    `json:"message"`
		} `json:"checkpoints"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return app.StatusUpdate{}, app.Errorf(app.ErrInvalid, "the body is not the status JSON: %v", err)
	}
	u := app.StatusUpdate{TrackingNumber: in.TrackingNumber, Status: app.ParcelStatus(in.Status), EstimatedDelivery: in.EstimatedDelivery}
	if !u.Status.Valid() {
		return u, app.Errorf(app.ErrInvalid, "status %q is not one of pending, info_received, in_transit, out_for_delivery, available_for_pickup, attempted_delivery, delivered, exception, expired", in.Status)
	}
	for i, c := range in.Checkpoints {
		st := app.ParcelStatus(c.Status)
		if c.Status == "" {
			st = u.Status
		}
		if !st.Valid() || c.Time.IsZero() {
			return u, app.Errorf(app.ErrInvalid, "checkpoints[%d] needs a time and a known status", i)
		}
		u.Checkpoints = append(u.Checkpoints, app.Checkpoint{HappenedAt: c.Time, Status: st, Location: c.Location, Message: c.Message})
	}
	return u, nil
}
