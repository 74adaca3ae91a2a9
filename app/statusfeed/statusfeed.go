// Package statusfeed connects Waybill to the status providers a merchant
// brings: the aggregators it registers parcels with (17TRACK, AfterShip,
// EasyPost) and the generic signed push of a 3PL. Each is an
// app.StatusProvider: inbound it checks the provider's webhook signature and
// reads its document; outbound it registers, polls and stops parcels and
// checks the key. Every call follows the provider's public documentation
// (named next to each provider); providerfake has test servers that follow
// the same documents.
//
// Keys and secrets never appear in errors or logs: errors carry the
// provider's own message and the HTTP status only.
package statusfeed

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/waybill-app/waybill/app"
)

// Config says where the providers' APIs are (tests point them at the fakes).
type Config struct {
	SeventeenTrackURL string       // default "https://api.17track.net"
	AfterShipURL      string       // default "https://api.aftership.com"
	EasyPostURL       string       // default "https://api.easypost.com"
	HTTPClient        *http.Client // default: a client with a 15 s timeout
}

// Providers are the providers Waybill accepts, by name: app.Provider17Track,
// app.ProviderAfterShip, app.ProviderEasyPost and app.ProviderPush.
func Providers(cfg Config) map[string]app.StatusProvider {
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	or := func(s, def string) string {
		if s == "" {
			return def
		}
		return strings.TrimRight(s, "/")
	}
	out := map[string]app.StatusProvider{}
	for _, p := range []app.StatusProvider{
		&SeventeenTrack{base: or(cfg.SeventeenTrackURL, "https://api.17track.net"), http: hc},
		&AfterShip{base: or(cfg.AfterShipURL, "https://api.aftership.com"), http: hc},
		&EasyPost{base: or(cfg.EasyPostURL, "https://api.easypost.com"), http: hc},
		Push{},
	} {
		out[p.Name()] = p
	}
	return out
}

// maxResponse bounds what is read of a provider's answer.
const maxResponse = 8 << 20

// apiCall is one request to a provider, answered with its status and body.
// A network failure is ErrUnavailable; the caller classifies the status.
func apiCall(ctx context.Context, hc *http.Client, display, method, url string, header http.Header, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, app.WrapError(app.ErrInternal, err, "the %s request could not be encoded", display)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, app.WrapError(app.ErrInternal, err, "the %s request could not be built", display)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		// The error names the URL, never a header: keys stay out.
		return 0, nil, app.WrapError(app.ErrUnavailable, redactURLError(err), "%s could not be reached", display)
	}
	defer func() { _ = resp.Body.Close() }() // read fully below; a close error changes nothing
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return resp.StatusCode, nil, app.WrapError(app.ErrUnavailable, err, "%s's answer could not be read", display)
	}
	return resp.StatusCode, b, nil
}

// redactURLError keeps the cause of a failed request without its URL's
// query (EasyPost and AfterShip keys never travel there, but numbers do).
func redactURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		return ue.Unwrap()
	}
	return err
}

// httpError classifies a whole-request failure by HTTP status: 401/403 the
// key, 429 the rate limit, 5xx the provider. It returns nil for any other
// status (the caller reads the body).
func httpError(display string, status int, msg string) error {
	if msg != "" {
		msg = ": " + msg
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return app.Errorf(app.ErrUnauthorized, "the %s key was refused%s", display, msg)
	case status == http.StatusTooManyRequests:
		return app.Errorf(app.ErrRateLimited, "%s's rate limit was exceeded%s", display, msg)
	case status >= 500:
		return app.Errorf(app.ErrUnavailable, "%s answered HTTP %d%s", display, status, msg)
	}
	return nil
}

// clip keeps a provider's message short enough for an error.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 300 {
		return string(r[:300]) + "…"
	}
	return s
}

// joinLocation makes "City, State, Country" from the parts there are.
func joinLocation(parts ...string) string {
	return strings.Join(nonEmpty(parts...), ", ")
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

// parseTime reads the timestamps providers send: RFC 3339, or a local
// time without an offset (read as UTC). A date alone (an estimated
// delivery day) is read as noon UTC: the same calendar day in every time
// zone from UTC−11 to UTC+11, where midnight UTC is the day before west of
// Greenwich.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Add(12 * time.Hour), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// finish sets StatusAt to the latest checkpoint's time when the document
// named no time of its own, and orders checkpoints oldest first.
func finish(u *app.StatusUpdate) {
	sortCheckpoints(u.Checkpoints)
	if u.StatusAt.IsZero() && len(u.Checkpoints) > 0 {
		u.StatusAt = u.Checkpoints[len(u.Checkpoints)-1].HappenedAt
	}
}

func sortCheckpoints(cs []app.Checkpoint) {
	// Insertion sort: documents are short and usually sorted already (some
	// newest first); stable for equal times.
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].HappenedAt.Before(cs[j-1].HappenedAt); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// constantEqual compares two strings in constant time (for their length).
func constantEqual(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }

// Push reads the generic signed JSON a 3PL posts. Waybill registers
// nothing with it: the 3PL sends what it has, so the outbound methods do
// nothing.
type Push struct{}

func (Push) Name() string            { return app.ProviderPush }
func (Push) SignatureHeader() string { return "X-Waybill-Signature" }
func (Push) Verify(body []byte, signature string, src *app.StatusSource) bool {
	return src != nil && VerifyPush(body, signature, src.Secret)
}
func (Push) Parse(body []byte) (app.StatusUpdate, bool, error) {
	u, err := ParsePush(body)
	return u, err == nil, err
}
func (Push) Registers() bool                                { return false }
func (Push) Limits() app.TrackerLimits                      { return app.TrackerLimits{} }
func (Push) Check(context.Context, *app.StatusSource) error { return nil }
func (Push) Register(context.Context, *app.StatusSource, []app.Parcel) ([]app.TrackerResult, error) {
	return nil, nil
}
func (Push) Poll(context.Context, *app.StatusSource, []app.Parcel) ([]app.StatusUpdate, error) {
	return nil, nil
}
func (Push) Stop(context.Context, *app.StatusSource, []app.Parcel) error { return nil }

// VerifyPush checks a 3PL push's X-Waybill-Signature ("sha256=" + hex
// HMAC-SHA256 of the raw body under the source's secret).
func VerifyPush(body []byte, header, secret string) bool {
	if header == "" || secret == "" {
		return false
	}
	return constantEqual(header, SignPush(body, secret))
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
	u := app.StatusUpdate{Source: app.ProviderPush, TrackingNumber: in.TrackingNumber, Status: app.ParcelStatus(in.Status), EstimatedDelivery: in.EstimatedDelivery}
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
	finish(&u)
	return u, nil
}

// jsonError names what is wrong with a document that is not the expected
// JSON, for ErrInvalid messages.
func jsonError(display string, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return app.Errorf(app.ErrInvalid, "the %s document is not JSON (syntax error at byte %d)", display, se.Offset)
	case errors.As(err, &te):
		return app.Errorf(app.ErrInvalid, "the %s document has %s where %s belongs at %q", display, te.Value, te.Type, te.Field)
	}
	return app.Errorf(app.ErrInvalid, "the %s document is not JSON: %s", display, clip(fmt.Sprint(err)))
}
