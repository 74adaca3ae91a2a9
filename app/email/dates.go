package email

import (
	"fmt"
	"strings"
	"time"
)

// Dates in words, per language. Hand-written because Go has no localised
// date formatting (golang.org/x/text formats numbers and plurals, not dates);
// a language without a table here writes dates in English.
type dateWords struct {
	months   [12]string // January first
	weekdays [7]string  // Sunday first, as time.Weekday counts
	// day is "12 de diciembre" / "December 12"; dayYear adds the year.
	day, dayYear func(w *dateWords, t time.Time) string
	// weekday is "viernes, 12 de diciembre" / "Friday, December 12".
	weekday func(w *dateWords, t time.Time) string
	// sameMonth is a range within one month: "12–19 de diciembre" / "December 12–19".
	sameMonth func(w *dateWords, from, to time.Time) string
}

var dateTables = map[string]*dateWords{
	"es": {
		months: [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
			"octubre", "noviembre", "diciembre"},
		weekdays: [7]string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"},
		day: func(w *dateWords, t time.Time) string {
			return fmt.Sprintf("%d de %s", t.Day(), w.months[t.Month()-1])
		},
		dayYear: func(w *dateWords, t time.Time) string {
			return fmt.Sprintf("%d de %s de %d", t.Day(), w.months[t.Month()-1], t.Year())
		},
		weekday: func(w *dateWords, t time.Time) string {
			return fmt.Sprintf("%s, %d de %s", w.weekdays[t.Weekday()], t.Day(), w.months[t.Month()-1])
		},
		sameMonth: func(w *dateWords, from, to time.Time) string {
			return fmt.Sprintf("%d–%d de %s", from.Day(), to.Day(), w.months[from.Month()-1])
		},
	},
	"en": {
		months: [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September",
			"October", "November", "December"},
		weekdays: [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		day: func(w *dateWords, t time.Time) string {
			return fmt.Sprintf("%s %d", w.months[t.Month()-1], t.Day())
		},
		dayYear: func(w *dateWords, t time.Time) string {
			return fmt.Sprintf("%s %d, %d", w.months[t.Month()-1], t.Day(), t.Year())
		},
		weekday: func(w *dateWords, t time.Time) string {
			return fmt.Sprintf("%s, %s %d", w.weekdays[t.Weekday()], w.months[t.Month()-1], t.Day())
		},
		sameMonth: func(w *dateWords, from, to time.Time) string {
			return fmt.Sprintf("%s %d–%d", w.months[from.Month()-1], from.Day(), to.Day())
		},
	},
}

// wordsFor is the date table of a locale ("es-MX" → es), else English.
func wordsFor(locale string) *dateWords {
	l := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(locale), "_", "-"))
	if w, ok := dateTables[l]; ok {
		return w
	}
	if base, _, _ := strings.Cut(l, "-"); dateTables[base] != nil {
		return dateTables[base]
	}
	return dateTables[FallbackLocale]
}

// FormatDelivery says when a parcel should arrive, in the locale's words and
// on the calendar of loc (the shop's time zone; nil is UTC): the carrier's
// estimate when there is one, as a single day ("viernes, 12 de diciembre",
// "Friday, December 12"), else the merchant's window as a range ("12–19 de
// diciembre", "29 de diciembre – 5 de enero", "December 29, 2026 – January 5,
// 2027"); a window with one end, or both on one day, is that day. "" when
// there is neither. Times are instants: a date-only value should be stored
// at noon UTC or at midnight in the shop's zone so that no zone moves it.
func FormatDelivery(locale string, loc *time.Location, eta, from, to *time.Time) string {
	if loc == nil {
		loc = time.UTC
	}
	w := wordsFor(locale)
	if eta != nil && !eta.IsZero() {
		return w.weekday(w, eta.In(loc))
	}
	if from != nil && from.IsZero() {
		from = nil
	}
	if to != nil && to.IsZero() {
		to = nil
	}
	switch {
	case from == nil && to == nil:
		return ""
	case from == nil:
		from = to
	case to == nil:
		to = from
	}
	a, b := from.In(loc), to.In(loc)
	if b.Before(a) {
		a, b = b, a
	}
	switch {
	case sameDay(a, b):
		return w.weekday(w, a)
	case a.Year() != b.Year():
		return w.dayYear(w, a) + " – " + w.dayYear(w, b)
	case a.Month() != b.Month():
		return w.day(w, a) + " – " + w.day(w, b)
	}
	return w.sameMonth(w, a, b)
}

// FormatDay is a calendar day in the locale's words, in loc (nil is UTC):
// "2 de diciembre", "December 2".
func FormatDay(locale string, loc *time.Location, t time.Time) string {
	if loc == nil {
		loc = time.UTC
	}
	w := wordsFor(locale)
	return w.day(w, t.In(loc))
}

func sameDay(a, b time.Time) bool {
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}
