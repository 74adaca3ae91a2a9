package statusfeed_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/statusfeed"
	"github.com/waybill-app/waybill/app/statusfeed/providerfake"
)

// fake is what the three provider fakes have in common.
type fake interface {
	AddKey(string)
	SetClock(func() time.Time)
	SetWebhook(url, secret string)
	Advance(number, status string, at time.Time, location, message string) (int, error)
	Registrations(string) int
	Stops(string) int
	RateLimited() int
	Requests() int
	Close()
}

type harness struct {
	name    string
	p       app.StatusProvider
	f       fake
	src     *app.StatusSource
	hookKey string // what the fake signs pushes with
	good    []string
	bad     string // a number the provider refuses for good
	carrier string
	moves   [][2]string // provider status, then the Waybill status it must map to
	ids     bool        // the provider answers tracker ids
	stops   bool        // Stop reaches the provider
}

// stepping is a clock that moves one second a call: every request is in
// its own rate-limit window, without sleeping.
func stepping() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

func frozen() func() time.Time {
	t := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	return func() time.Time { return t }
}

func harnesses(t *testing.T) []harness {
	f17 := providerfake.New17Track()
	fas := providerfake.NewAfterShip()
	fep := providerfake.NewEasyPost()
	t.Cleanup(func() { f17.Close(); fas.Close(); fep.Close() })
	ps := statusfeed.Providers(statusfeed.Config{SeventeenTrackURL: f17.URL, AfterShipURL: fas.URL, EasyPostURL: fep.URL})
	hs := []harness{
		{name: "17track", p: ps[app.Provider17Track], f: f17, src: &app.StatusSource{Provider: app.Provider17Track, APIKey: "key-17track-0001"},
			hookKey: "key-17track-0001", good: []string{"RR123456789CN", "LP00512345678901"}, bad: "AB!", carrier: "China Post",
			moves: [][2]string{{"InfoReceived", "info_received"}, {"InTransit_PickedUp", "in_transit"}, {"OutForDelivery", "out_for_delivery"},
				{"DeliveryFailure_NoBody", "attempted_delivery"}, {"Delivered", "delivered"}}, stops: true},
		{name: "aftership", p: ps[app.ProviderAfterShip], f: fas, src: &app.StatusSource{Provider: app.ProviderAfterShip, APIKey: "asat_key_0001", Secret: "as-webhook-secret"},
			hookKey: "as-webhook-secret", good: []string{"1Z9999999999999998", "9400110898825022579493"}, bad: "A!", carrier: "UPS",
			moves: [][2]string{{"InfoReceived", "info_received"}, {"InTransit_002", "in_transit"}, {"OutForDelivery", "out_for_delivery"},
				{"AttemptFail_001", "attempted_delivery"}, {"Delivered", "delivered"}}, ids: true, stops: true},
		{name: "easypost", p: ps[app.ProviderEasyPost], f: fep, src: &app.StatusSource{Provider: app.ProviderEasyPost, APIKey: "EZAK_key_0001", Secret: "ep-secret-ﬁ"},
			hookKey: "ep-secret-ﬁ", good: []string{"9400110898825022579493", "EZ1000000001"}, bad: "A!", carrier: "USPS",
			moves: [][2]string{{"pre_transit", "info_received"}, {"in_transit", "in_transit"}, {"out_for_delivery", "out_for_delivery"},
				{"failure:delivery_attempted", "attempted_delivery"}, {"delivered", "delivered"}}, ids: true},
	}
	for _, h := range hs {
		h.f.AddKey(h.src.APIKey)
		h.f.SetClock(stepping())
	}
	return hs
}

func parcels(h harness, numbers ...string) []app.Parcel {
	var out []app.Parcel
	for _, n := range numbers {
		out = append(out, app.Parcel{TrackingNumber: n, Carrier: h.carrier})
	}
	return out
}

func codeOf(err error) app.ErrorCode { return app.ErrorCodeOf(err) }

func TestRegisterDuplicatesAndRejections(t *testing.T) {
	ctx := context.Background()
	for _, h := range harnesses(t) {
		t.Run(h.name, func(t *testing.T) {
			res, err := h.p.Register(ctx, h.src, parcels(h, h.good[0], h.bad, h.good[1]))
			if err != nil || len(res) != 3 {
				t.Fatalf("Register = %+v, %v", res, err)
			}
			for i, n := range []string{h.good[0], h.bad, h.good[1]} {
				if res[i].TrackingNumber != n {
					t.Errorf("result %d is for %q, want %q (results in order)", i, res[i].TrackingNumber, n)
				}
			}
			if res[0].Err != nil || res[2].Err != nil {
				t.Fatalf("good numbers refused: %v / %v", res[0].Err, res[2].Err)
			}
			if codeOf(res[1].Err) != app.ErrInvalid || !strings.Contains(res[1].Err.Error(), "refused the number") {
				t.Errorf("bad number: %v, want ErrInvalid with the provider's message", res[1].Err)
			}
			if h.ids && (res[0].TrackerID == "" || res[2].TrackerID == "") {
				t.Errorf("no tracker ids: %+v", res)
			}
			// A single registration of a number already tracked is a success.
			again, err := h.p.Register(ctx, h.src, parcels(h, h.good[0]))
			if err != nil || len(again) != 1 || again[0].Err != nil {
				t.Fatalf("duplicate registration = %+v, %v", again, err)
			}
			if h.ids && again[0].TrackerID != res[0].TrackerID {
				t.Errorf("duplicate's tracker id %q, want the first %q", again[0].TrackerID, res[0].TrackerID)
			}
			if n := h.f.Registrations(h.good[0]); n != 2 {
				t.Errorf("the fake saw %d registrations of %s, want 2", n, h.good[0])
			}
		})
	}
}

func TestBadKeyAndCheck(t *testing.T) {
	ctx := context.Background()
	for _, h := range harnesses(t) {
		t.Run(h.name, func(t *testing.T) {
			if err := h.p.Check(ctx, h.src); err != nil {
				t.Fatalf("Check with a good key: %v", err)
			}
			bad := *h.src
			bad.APIKey = "wrong-key-SECRETVALUE"
			for name, err := range map[string]error{
				"check":    h.p.Check(ctx, &bad),
				"register": func() error { _, err := h.p.Register(ctx, &bad, parcels(h, h.good[0])); return err }(),
				"poll":     func() error { _, err := h.p.Poll(ctx, &bad, parcels(h, h.good[0])); return err }(),
			} {
				if codeOf(err) != app.ErrUnauthorized {
					t.Errorf("%s with a bad key: %v, want ErrUnauthorized", name, err)
				}
				if err != nil && strings.Contains(err.Error(), "SECRETVALUE") {
					t.Errorf("%s: the error shows the key: %v", name, err)
				}
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	ctx := context.Background()
	for _, h := range harnesses(t) {
		t.Run(h.name, func(t *testing.T) {
			h.f.SetClock(frozen()) // every request in one second
			n := h.p.Limits().PerSecond
			for i := 0; i < n; i++ {
				if err := h.p.Check(ctx, h.src); err != nil {
					t.Fatalf("request %d of %d allowed a second: %v", i+1, n, err)
				}
			}
			err := h.p.Check(ctx, h.src)
			if codeOf(err) != app.ErrRateLimited {
				t.Fatalf("request %d in one second: %v, want ErrRateLimited", n+1, err)
			}
			if h.f.RateLimited() != 1 {
				t.Errorf("the fake rate-limited %d requests, want 1", h.f.RateLimited())
			}
		})
	}
}

// receiver is Waybill's side of a webhook: verify, then parse.
type receiver struct {
	mu      sync.Mutex
	updates []app.StatusUpdate
	bodies  [][]byte
	sigs    []string
}

func (rc *receiver) serve(p app.StatusProvider, src *app.StatusSource) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body) // a short read fails the signature below
		sig := r.Header.Get(p.SignatureHeader())
		if !p.Verify(body, sig, src) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		u, ok, err := p.Parse(body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.bodies, rc.sigs = append(rc.bodies, body), append(rc.sigs, sig)
		if ok {
			rc.updates = append(rc.updates, u)
		}
	})
}

func TestPushPollAndStop(t *testing.T) {
	ctx := context.Background()
	for _, h := range harnesses(t) {
		t.Run(h.name, func(t *testing.T) {
			rc := &receiver{}
			hook := httptest.NewServer(rc.serve(h.p, h.src))
			defer hook.Close()
			h.f.SetWebhook(hook.URL, h.hookKey)
			number := h.good[0]
			res, err := h.p.Register(ctx, h.src, parcels(h, number))
			if err != nil || res[0].Err != nil {
				t.Fatalf("Register: %v %+v", err, res)
			}
			start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
			for i, m := range h.moves {
				code, err := h.f.Advance(number, m[0], start.Add(time.Duration(i)*time.Hour), "Madrid, Madrid, ES", "scan "+m[0])
				if err != nil || code != http.StatusOK {
					t.Fatalf("push of %s: HTTP %d, %v", m[0], code, err)
				}
				rc.mu.Lock()
				u := rc.updates[len(rc.updates)-1]
				rc.mu.Unlock()
				if string(u.Status) != m[1] || u.Source != h.p.Name() || u.TrackingNumber != number || len(u.Checkpoints) != i+1 {
					t.Fatalf("push of %s read as %+v, want %s with %d checkpoints", m[0], u, m[1], i+1)
				}
				if !u.StatusAt.Equal(start.Add(time.Duration(i) * time.Hour)) {
					t.Errorf("push of %s: StatusAt %v", m[0], u.StatusAt)
				}
			}
			// What Waybill accepted must be refused when anything is off.
			rc.mu.Lock()
			body, sig := rc.bodies[0], rc.sigs[0]
			rc.mu.Unlock()
			tampered := []byte(strings.Replace(string(body), number, number+"X", 1))
			wrong := *h.src
			wrong.APIKey, wrong.Secret = "other-key", "other-secret"
			if !h.p.Verify(body, sig, h.src) {
				t.Fatal("the fake's push does not verify")
			}
			if h.p.Verify(tampered, sig, h.src) || h.p.Verify(body, sig, &wrong) || h.p.Verify(body, "", h.src) || h.p.Verify(body, sig, nil) {
				t.Error("a tampered body, a wrong secret, an empty header or no source was accepted")
			}

			ups, err := h.p.Poll(ctx, h.src, parcels(h, number))
			if err != nil || len(ups) != 1 {
				t.Fatalf("Poll = %+v, %v", ups, err)
			}
			u := ups[0]
			last := start.Add(time.Duration(len(h.moves)-1) * time.Hour)
			if u.Status != app.StatusDelivered || u.Source != h.p.Name() || !u.StatusAt.Equal(last) || len(u.Checkpoints) != len(h.moves) {
				t.Fatalf("Poll read %+v", u)
			}
			c := u.Checkpoints[0]
			if c.Location != "Madrid, Madrid, ES" || !c.HappenedAt.Equal(start) || c.Status != app.StatusInfoReceived || c.Message != "scan "+h.moves[0][0] {
				t.Errorf("first checkpoint %+v", c)
			}
			if s := u.Checkpoints[3].Status; s != app.StatusAttemptedDelivery {
				t.Errorf("the failed attempt's checkpoint is %s", s)
			}

			before := h.f.Requests()
			if err := h.p.Stop(ctx, h.src, []app.Parcel{{TrackingNumber: number, Carrier: h.carrier, TrackerID: res[0].TrackerID}}); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if h.stops {
				if h.f.Stops(number) != 1 {
					t.Errorf("the fake saw %d stops", h.f.Stops(number))
				}
			} else if h.f.Requests() != before || h.f.Stops(number) != 0 {
				t.Error("Stop reached a provider that cannot stop trackers")
			}
		})
	}
}

func TestAfterShipStopByNumberAndGone(t *testing.T) {
	ctx := context.Background()
	h := harnesses(t)[1]
	if _, err := h.p.Register(ctx, h.src, parcels(h, h.good[0])); err != nil {
		t.Fatal(err)
	}
	// No TrackerID: the tracking is found by number, then deleted.
	if err := h.p.Stop(ctx, h.src, parcels(h, h.good[0])); err != nil || h.f.Stops(h.good[0]) != 1 {
		t.Fatalf("Stop by number: %v, %d deletes", err, h.f.Stops(h.good[0]))
	}
	if ups, err := h.p.Poll(ctx, h.src, parcels(h, h.good[0])); err != nil || len(ups) != 0 {
		t.Fatalf("a deleted tracking polled as %+v, %v", ups, err)
	}
	// Deleting a tracking that is gone (4004) is done.
	if err := h.p.Stop(ctx, h.src, []app.Parcel{{TrackingNumber: h.good[0], TrackerID: "gone"}}); err != nil {
		t.Fatalf("Stop of a deleted tracking: %v", err)
	}
}

func Test17TrackStoppedNumberIsNotPushedAndBatchLimit(t *testing.T) {
	ctx := context.Background()
	h := harnesses(t)[0]
	var many []app.Parcel
	for i := 0; i < 41; i++ {
		many = append(many, app.Parcel{TrackingNumber: "RR" + strings.Repeat("1", 8) + string(rune('A'+i%26)) + string(rune('A'+i/26)) + "CN"})
	}
	res, err := h.p.Register(ctx, h.src, many)
	if err != nil || len(res) != 41 {
		t.Fatalf("41 numbers: %v, %d results", err, len(res))
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.TrackingNumber, r.Err)
		}
	}
	if h.f.Requests() != 2 {
		t.Errorf("41 numbers took %d requests, want 2 (40 a request)", h.f.Requests())
	}
	if err := h.p.Stop(ctx, h.src, many[:1]); err != nil {
		t.Fatal(err)
	}
	code, err := h.f.Advance(many[0].TrackingNumber, "InTransit", time.Now(), "Madrid, ES", "x")
	if err != nil || code != 0 {
		t.Errorf("a stopped number was pushed: %d %v", code, err)
	}
	// Stopping a number 17TRACK does not track is done already.
	if err := h.p.Stop(ctx, h.src, []app.Parcel{{TrackingNumber: "ZZ999999999CN"}}); err != nil {
		t.Errorf("Stop of an unknown number: %v", err)
	}
}

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// setPath sets a field in a JSON document (path of object keys).
func setPath(t *testing.T, doc []byte, value any, path ...string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	cur := m
	for _, k := range path[:len(path)-1] {
		cur = cur[k].(map[string]any)
	}
	cur[path[len(path)-1]] = value
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseSamplesAndMappings(t *testing.T) {
	ps := statusfeed.Providers(statusfeed.Config{})
	est := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	for _, tc := range []struct {
		provider, file string
		status         []string // path to the status field
		number         string
		want           app.ParcelStatus
		at             time.Time
		checkpoints    int
		location       string // of the newest checkpoint
		eta            time.Time
		mappings       map[string]app.ParcelStatus
		noStatus       []string
	}{
		{provider: app.Provider17Track, file: "17track_push.json", status: []string{"data", "track_info", "latest_status", "status"},
			number: "RR123456789CN", want: app.StatusInTransit, at: est("2026-11-23T08:15:00Z"), checkpoints: 3, location: "Madrid, Madrid, ES",
			eta: est("2026-11-28T00:00:00Z"),
			mappings: map[string]app.ParcelStatus{"InfoReceived": app.StatusInfoReceived, "InTransit": app.StatusInTransit, "Expired": app.StatusExpired,
				"AvailableForPickup": app.StatusAvailableForPickup, "OutForDelivery": app.StatusOutForDelivery, "DeliveryFailure": app.StatusAttemptedDelivery,
				"Delivered": app.StatusDelivered, "Exception": app.StatusException, "SomethingNew": app.StatusInTransit},
			noStatus: []string{"NotFound"}},
		{provider: app.ProviderAfterShip, file: "aftership_webhook.json", status: []string{"msg", "tag"},
			number: "1Z9999999999999998", want: app.StatusOutForDelivery, at: est("2026-11-24T12:30:00Z"), checkpoints: 2, location: "New York, NY, United States",
			eta: est("2026-11-24T12:00:00Z"), // a date alone: noon UTC, the same day everywhere
			mappings: map[string]app.ParcelStatus{"InfoReceived": app.StatusInfoReceived, "InTransit": app.StatusInTransit, "OutForDelivery": app.StatusOutForDelivery,
				"AttemptFail": app.StatusAttemptedDelivery, "Delivered": app.StatusDelivered, "AvailableForPickup": app.StatusAvailableForPickup,
				"Exception": app.StatusException, "Expired": app.StatusExpired, "SomethingNew": app.StatusInTransit},
			noStatus: []string{"Pending"}},
		{provider: app.ProviderEasyPost, file: "easypost_event.json", status: []string{"result", "status"},
			number: "9400110898825022579493", want: app.StatusOutForDelivery, at: est("2026-11-24T07:30:00Z"), checkpoints: 3, location: "SAN FRANCISCO, CA, US",
			eta: est("2026-11-24T18:00:00Z"),
			mappings: map[string]app.ParcelStatus{"unknown": app.StatusPending, "pre_transit": app.StatusInfoReceived, "in_transit": app.StatusInTransit,
				"out_for_delivery": app.StatusOutForDelivery, "delivered": app.StatusDelivered, "available_for_pickup": app.StatusAvailableForPickup,
				"return_to_sender": app.StatusException, "failure": app.StatusException, "cancelled": app.StatusException, "error": app.StatusException,
				"something_new": app.StatusInTransit}},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			p := ps[tc.provider]
			doc := readSample(t, tc.file)
			u, ok, err := p.Parse(doc)
			if err != nil || !ok {
				t.Fatalf("Parse: %v %v", ok, err)
			}
			if u.Source != tc.provider || u.TrackingNumber != tc.number || u.Status != tc.want || !u.StatusAt.Equal(tc.at) ||
				len(u.Checkpoints) != tc.checkpoints || u.Checkpoints[len(u.Checkpoints)-1].Location != tc.location ||
				u.EstimatedDelivery == nil || !u.EstimatedDelivery.Equal(tc.eta) {
				t.Fatalf("Parse = %+v (eta %v)", u, u.EstimatedDelivery)
			}
			for i := 1; i < len(u.Checkpoints); i++ {
				if u.Checkpoints[i].HappenedAt.Before(u.Checkpoints[i-1].HappenedAt) {
					t.Error("checkpoints are not oldest first")
				}
			}
			for status, want := range tc.mappings {
				u, ok, err := p.Parse(setPath(t, doc, status, tc.status...))
				if err != nil || !ok || u.Status != want {
					t.Errorf("%s: %s, %v, %v; want %s", status, u.Status, ok, err, want)
				}
			}
			for _, status := range tc.noStatus {
				if _, ok, err := p.Parse(setPath(t, doc, status, tc.status...)); ok || err != nil {
					t.Errorf("%s carries no status, got ok %v err %v", status, ok, err)
				}
			}
			// Other events are acknowledged and ignored.
			other := setPath(t, doc, "something.else", "event")
			if tc.provider == app.ProviderEasyPost {
				other = setPath(t, doc, "batch.created", "description")
			}
			if _, ok, err := p.Parse(other); ok || err != nil {
				t.Errorf("another event: ok %v err %v", ok, err)
			}
			// Bad JSON is ErrInvalid with a sentence.
			_, _, err = p.Parse([]byte(`{"event": `))
			if codeOf(err) != app.ErrInvalid || !strings.Contains(err.Error(), "not JSON") {
				t.Errorf("bad JSON: %v", err)
			}
			_, _, err = p.Parse([]byte(`[1,2]`))
			if codeOf(err) != app.ErrInvalid {
				t.Errorf("an array: %v", err)
			}
		})
	}
}

func TestPushProviderAndCarriers(t *testing.T) {
	p := statusfeed.Providers(statusfeed.Config{})[app.ProviderPush]
	body := []byte(`{"tracking_number":"X1","status":"in_transit","checkpoints":[{"time":"2026-11-23T08:00:00Z","location":"Madrid"}]}`)
	src := &app.StatusSource{Secret: "s"}
	if p.Registers() || !p.Verify(body, statusfeed.SignPush(body, "s"), src) || p.Verify(body, statusfeed.SignPush(body, "t"), src) {
		t.Fatal("push provider")
	}
	u, ok, err := p.Parse(body)
	if err != nil || !ok || u.Source != app.ProviderPush || !u.StatusAt.Equal(time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("push parse %+v %v %v", u, ok, err)
	}
	if res, err := p.Register(context.Background(), src, []app.Parcel{{TrackingNumber: "X1"}}); res != nil || err != nil {
		t.Fatal("push Register does something")
	}
	for name, want := range map[string][3]string{
		"UPS": {"100002", "ups", "UPS"}, "dhl express": {"100001", "dhl", "DHLExpress"}, "Correos de México": {"13141", "correos-de-mexico", ""},
		"Nobody Express": {"0", "", ""}, "": {"0", "", ""},
	} {
		got := [3]string{itoa(statusfeed.SeventeenTrackCarrier(name)), statusfeed.AfterShipSlug(name), statusfeed.EasyPostCarrier(name)}
		if got != want {
			t.Errorf("%q maps to %v, want %v", name, got, want)
		}
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n) // an int always encodes
	return string(b)
}

func TestNetworkFailureIsUnavailable(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	ps := statusfeed.Providers(statusfeed.Config{SeventeenTrackURL: url, AfterShipURL: url, EasyPostURL: url})
	for _, name := range []string{app.Provider17Track, app.ProviderAfterShip, app.ProviderEasyPost} {
		err := ps[name].Check(context.Background(), &app.StatusSource{APIKey: "k"})
		var ae *app.Error
		if codeOf(err) != app.ErrUnavailable || !errors.As(err, &ae) {
			t.Errorf("%s against a closed port: %v", name, err)
		}
	}
	// A 5xx is unavailable too.
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer down.Close()
	ps = statusfeed.Providers(statusfeed.Config{SeventeenTrackURL: down.URL, AfterShipURL: down.URL, EasyPostURL: down.URL})
	for _, name := range []string{app.Provider17Track, app.ProviderAfterShip, app.ProviderEasyPost} {
		if err := ps[name].Check(context.Background(), &app.StatusSource{APIKey: "k"}); codeOf(err) != app.ErrUnavailable {
			t.Errorf("%s answering 502: %v", name, err)
		}
	}
}
