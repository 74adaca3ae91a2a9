package app_test

import (
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
	}
	for _, c := range cases {
		if got := app.NewerStatus(c.current, c.currentAt, c.next, c.at); got != c.want {
			t.Errorf("%s@%v → %s@%v: %v, want %v", c.current, c.currentAt, c.next, c.at, got, c.want)
		}
	}
}
