package email

import (
	"net/url"
	"strings"
	"time"

	"github.com/waybill-app/waybill/app"
)

// digestPrefix starts the catalogue keys of the merchant's digest: they run
// on digestData, not on a Message.
const digestPrefix = "digest."

// maxDigestLines is how many parcels the digest lists; the subject counts
// them all and the button leads to the rest.
const maxDigestLines = 100

// Digest is the merchant's daily summary of stalled parcels, sent to the
// store's address in the shop's primary locale.
type Digest struct {
	Locale, ShopName string
	// AdminURL opens the admin's list of stalled parcels (http or https;
	// the button is left out otherwise).
	AdminURL string
	// Location is the shop's time zone, for the dates (nil is UTC).
	Location *time.Location
	// Lines are the stalled parcels, listed in this order.
	Lines []DigestLine
}

// DigestLine is one stalled parcel.
type DigestLine struct {
	OrderName, TrackingNumber, Carrier string
	// Reason is app.StallNoEvents or app.StallPastEstimate.
	Reason      string
	StalledAt   time.Time
	LastEventAt *time.Time // the newest carrier news, if any
	// EstimatedDelivery is the date it was expected by: the carrier's
	// estimate, else the last day of the merchant's window.
	EstimatedDelivery *time.Time
}

// digestData is what the digest's catalogue entries may use.
type digestData struct {
	Count    int
	ShopName string
	Date     string
}

type digestRow struct{ OrderName, TrackingNumber, Carrier, Why string }

type digestView struct {
	Locale, Subject, Heading, Intro, Button, Footer, More, AdminURL, Accent string
	T                                                                       struct{ Order, Carrier, TrackingNumber, Why string }
	Lines                                                                   []digestRow
}

// RenderDigest renders the merchant's digest: "3 envíos retrasados en Mi
// Tienda", a line per parcel saying why in words, and a button to the
// admin. A digest without lines is refused: there is nothing to send.
func (r *Renderer) RenderDigest(d Digest) (Rendered, error) {
	if len(d.Lines) == 0 {
		return Rendered{}, app.Errorf(app.ErrInvalid, "a digest needs at least one stalled parcel")
	}
	locale := r.Locale(d.Locale, "")
	n := len(d.Lines)
	data := digestData{Count: n, ShopName: d.ShopName}
	plural := "_other"
	if n == 1 {
		plural = "_one"
	}
	v := digestView{Locale: locale, Accent: DefaultAccent}
	if u, err := url.Parse(d.AdminURL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		v.AdminURL = d.AdminURL
	}
	var err error
	say := func(key string, data any) string {
		if err != nil {
			return ""
		}
		var s string
		s, err = r.say(locale, key, data)
		return s
	}
	v.Subject = strings.Join(strings.Fields(say("digest.subject"+plural, data)), " ")
	v.Heading = say("digest.heading", data)
	v.Intro = say("digest.intro"+plural, data)
	v.Button = say("digest.button", data)
	v.Footer = say("digest.footer", data)
	v.T.Order, v.T.Why = say("digest.order", data), say("digest.why", data)
	v.T.Carrier, v.T.TrackingNumber = say("carrier", data), say("tracking_number", data)
	if n > maxDigestLines {
		v.More = say("digest.more", digestData{Count: n - maxDigestLines, ShopName: d.ShopName})
	}
	for i, l := range d.Lines {
		if i == maxDigestLines {
			break
		}
		key, date := digestPrefix+"reason.other", l.StalledAt
		switch {
		case l.Reason == app.StallNoEvents && l.LastEventAt != nil:
			key, date = digestPrefix+"reason.no_events", *l.LastEventAt
		case l.Reason == app.StallNoEvents:
			key = digestPrefix + "reason.no_events_never"
		case l.Reason == app.StallPastEstimate && l.EstimatedDelivery != nil:
			key, date = digestPrefix+"reason.past_estimate", *l.EstimatedDelivery
		case l.Reason == app.StallPastEstimate:
			key = digestPrefix + "reason.past_estimate_undated"
		}
		why := say(key, digestData{Count: n, ShopName: d.ShopName, Date: FormatDay(locale, d.Location, date)})
		v.Lines = append(v.Lines, digestRow{OrderName: orDash(l.OrderName), TrackingNumber: orDash(l.TrackingNumber), Carrier: orDash(l.Carrier), Why: why})
	}
	if err != nil {
		return Rendered{}, err
	}
	html, text, err := execute(r.digestHTML, r.digestText, v)
	if err != nil {
		return Rendered{}, err
	}
	return Rendered{Locale: locale, Subject: v.Subject, HTML: html, Text: text}, nil
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}
