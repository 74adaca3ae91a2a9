package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/waybill-app/waybill/app"
)

func TestStatusNeverMovesBackwards(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		current   app.ParcelStatus
		currentAt time.Time
		next      app.ParcelStatus
		at        time.Time
		want      bool
	}{
		{app.StatusPending, time.Time{}, app.StatusInTransit, t0, true},
		{app.StatusInTransit, t0, app.StatusOutForDelivery, t0.Add(time.Hour), true},
		{app.StatusOutForDelivery, t0, app.StatusInTransit, t0.Add(-time.Hour), false}, // a late, older report
		{app.StatusInTransit, t0, app.StatusInTransit, t0.Add(time.Hour), false},       // a repeat
		{app.StatusDelivered, t0, app.StatusException, t0.Add(time.Hour), false},       // delivered is final
		{app.StatusOutForDelivery, t0, app.StatusAttemptedDelivery, t0.Add(time.Hour), true},
		{app.StatusAttemptedDelivery, t0, app.StatusOutForDelivery, t0.Add(24 * time.Hour), true}, // the next day's round
		{app.StatusInTransit, t0, app.StatusDelivered, t0, true},                                  // same moment: further wins
		{app.StatusDelivered, t0, app.StatusInTransit, t0, false},
		{app.StatusShipped, t0, app.StatusInfoReceived, t0.Add(-48 * time.Hour), true}, // scans may predate the fulfillment
		{app.StatusInTransit, t0, app.StatusPending, t0.Add(time.Hour), false},         // "not found yet" never moves a parcel back
		{app.StatusInTransit, t0, app.StatusShipped, t0.Add(time.Hour), false},
	}
	for _, c := range cases {
		if got := app.NewerStatus(c.current, c.currentAt, c.next, c.at); got != c.want {
			t.Errorf("%s@%v → %s@%v: %v, want %v", c.current, c.currentAt, c.next, c.at, got, c.want)
		}
	}
}

func TestDeliveryWindowCountsBusinessDaysInTheShopsTimeZone(t *testing.T) {
	madrid, err := time.LoadLocation("Europe/Madrid")
	if err != nil {
		t.Fatal(err)
	}
	// Friday 4 December 2026, 23:30 in Madrid (22:30 UTC): the working days
	// start on Monday 7.
	shipped := time.Date(2026, 12, 4, 22, 30, 0, 0, time.UTC)
	from, to := app.DeliveryWindow(shipped, madrid, app.TransitWindow{Country: "ES", MinDays: 3, MaxDays: 5})
	if got := from.In(madrid).Format("2006-01-02 15:04"); got != "2026-12-09 00:00" {
		t.Errorf("from %s, want Wednesday 9 December", got)
	}
	if got := to.In(madrid).Format("2006-01-02 15:04:05"); got != "2026-12-11 23:59:59" {
		t.Errorf("to %s, want the end of Friday 11 December", got)
	}
	// The same moment in UTC is still Friday: no different here, but in
	// Mexico City it is Friday 16:30 — and in Tokyo Saturday.
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	_, to = app.DeliveryWindow(shipped, tokyo, app.TransitWindow{MinDays: 1, MaxDays: 1})
	if got := to.In(tokyo).Format("2006-01-02"); got != "2026-12-07" {
		t.Errorf("Tokyo: Saturday + 1 working day = %s, want Monday 7", got)
	}
}

func TestTransitWindowsPreferTheCarriersOwn(t *testing.T) {
	s := app.TrackingSettings{TransitWindows: []app.TransitWindow{
		{Country: "MX", MinDays: 10, MaxDays: 20}, {Country: "MX", Carrier: "DHL", MinDays: 3, MaxDays: 5}}}
	if w, ok := s.Window("mx", "dhl"); !ok || w.MaxDays != 5 {
		t.Errorf("DHL to Mexico: %+v %v", w, ok)
	}
	if w, ok := s.Window("MX", "Correos"); !ok || w.MaxDays != 20 {
		t.Errorf("another carrier to Mexico: %+v %v", w, ok)
	}
	if _, ok := s.Window("AR", ""); ok {
		t.Error("no window for Argentina")
	}
	bad := app.TrackingSettings{StallDaysDomestic: 0, StallDaysCrossBorder: 10, TransitWindows: []app.TransitWindow{{Country: "Spain", MinDays: 5, MaxDays: 3}}}
	err := bad.Validate()
	for _, want := range []string{"stall_days_domestic", "transit_windows[0].country", "transit_windows[0] needs"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validation %v does not name %s", err, want)
		}
	}
}

func TestShopifyTrackingBecomesAnUpdate(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	eta := t0.Add(72 * time.Hour)
	ft := app.FulfillmentTracking{DisplayStatus: "OUT_FOR_DELIVERY", EstimatedDeliveryAt: &eta, Events: []app.FulfillmentTrackingEvent{
		{Status: "IN_TRANSIT", HappenedAt: t0, Province: "Madrid", Country: "Spain"},
		{Status: "OUT_FOR_DELIVERY", HappenedAt: t0.Add(24 * time.Hour), Message: "En reparto"},
	}}
	u, ok := ft.Update("PK123")
	if !ok || u.Status != app.StatusOutForDelivery || !u.StatusAt.Equal(t0.Add(24*time.Hour)) || u.Source != app.ProviderShopify || len(u.Checkpoints) != 2 {
		t.Fatalf("update %+v %v", u, ok)
	}
	if u.Checkpoints[0].Location != "Madrid, Spain" {
		t.Errorf("location %q", u.Checkpoints[0].Location)
	}
	if _, ok := (app.FulfillmentTracking{DisplayStatus: "FULFILLED"}).Update("X"); ok {
		t.Error("a plain fulfilled fulfillment says nothing of the parcel")
	}
}
