package server

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/waybill-app/waybill/app"
)

// maxInsightDays bounds an analytics period (a little over two years).
const maxInsightDays = 800

// insightRoutes adds this area's admin routes (all behind the session token).
func (s *Server) insightRoutes(g *echo.Group) {
	g.GET("/shipments/export.csv", s.exportShipments)
	g.GET("/insights", s.insights)
}

// shipmentFilterFrom reads the shipment list's filters (everything but the
// page) from the query, naming the first bad one.
func shipmentFilterFrom(c echo.Context) (app.ShipmentFilter, error) {
	var f app.ShipmentFilter
	state := app.ShipmentState(c.QueryParam("state"))
	if state != "" && !slices.Contains(app.ShipmentStates, state) {
		return f, app.Errorf(app.ErrInvalid, "state must be one of pending, syncing, synced, failed, needs_attention, cancelled")
	}
	source := app.ShipmentSource(c.QueryParam("source"))
	if source != "" && !slices.Contains(app.ShipmentSources, source) {
		return f, app.Errorf(app.ErrInvalid, "source must be one of api, csv, manual, shopify")
	}
	if msg := app.TextProblem("q", strings.TrimSpace(c.QueryParam("q")), app.MaxSearchLength); msg != "" {
		return f, app.Errorf(app.ErrInvalid, "%s: search for (part of) an order name, a tracking number or a carrier", msg)
	}
	if msg := app.TextProblem("carrier", c.QueryParam("carrier"), app.MaxCarrierLength); msg != "" {
		return f, app.Errorf(app.ErrInvalid, "%s", msg)
	}
	status := app.ParcelStatus(c.QueryParam("status"))
	if status != "" && !status.Valid() {
		names := make([]string, len(app.ParcelStatuses))
		for i, st := range app.ParcelStatuses {
			names[i] = string(st)
		}
		return f, app.Errorf(app.ErrInvalid, "status must be one of %s", strings.Join(names, ", "))
	}
	switch c.QueryParam("stalled") {
	case "", "false":
	case "true":
		f.Stalled = true
	default:
		return f, app.Errorf(app.ErrInvalid, "stalled must be true or false")
	}
	f.State, f.Status, f.Source, f.Query, f.Carrier = state, status, source, c.QueryParam("q"), c.QueryParam("carrier")
	var err error
	if f.From, f.To, err = dateRange(c, false); err != nil {
		return f, err
	}
	return f, nil
}

// dateRange reads from and to (days like 2026-11-24, to inclusive) as
// [from, to+1 day). required: both must be there, in order (a list's
// filter may leave either out, and an empty range lists nothing).
func dateRange(c echo.Context, required bool) (from, to time.Time, err error) {
	for name, dst := range map[string]*time.Time{"from": &from, "to": &to} {
		v := c.QueryParam(name)
		if v == "" {
			if required {
				return from, to, app.Errorf(app.ErrInvalid, "%s is required: a date like 2026-11-24", name)
			}
			continue
		}
		t, perr := time.Parse(time.DateOnly, v)
		if perr != nil {
			return from, to, app.Errorf(app.ErrInvalid, "%s must be a date like 2026-11-24", name)
		}
		if name == "to" {
			t = t.AddDate(0, 0, 1) // inclusive
		}
		*dst = t
	}
	if required && !to.After(from) {
		return from, to, app.Errorf(app.ErrInvalid, "from must not be after to")
	}
	return from, to, nil
}

// exportHeader names the CSV's columns (the same words in every language:
// a file for spreadsheets and scripts).
var exportHeader = []string{"order", "tracking_number", "carrier", "state", "parcel_status", "source", "created_at",
	"shipped_at", "delivered_at", "stalled_at", "destination"}

// exportShipments is GET /api/admin/shipments/export.csv: every shipment
// the list's filters select, streamed as UTF-8 CSV with a BOM (so Excel
// reads accents), cells neutralised against formulas.
func (s *Server) exportShipments(c echo.Context) error {
	f, err := shipmentFilterFrom(c)
	if err != nil {
		return err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		// A file of nothing would look like a failed export: say why.
		return app.Errorf(app.ErrInvalid, "from must not be after to")
	}
	ins := s.deps.Insights
	ctx := c.Request().Context()
	shop := shopOf(c)
	w := c.Response()
	name := fmt.Sprintf("waybill-shipments-%s.csv", s.deps.Clock.Now().In(shop.Location()).Format(time.DateOnly))
	started := false
	buf := bufio.NewWriterSize(w, 32<<10)
	out := csv.NewWriter(buf)
	start := func() error {
		started = true
		w.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		w.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, name))
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		if _, err := buf.WriteString("\ufeff"); err != nil {
			return err
		}
		return out.Write(exportHeader)
	}
	rows := 0
	err = ins.ExportShipments(ctx, shop.ID, f, func(r app.ShipmentExportRow) error {
		if !started {
			if err := start(); err != nil {
				return err
			}
		}
		rows++
		return out.Write(neutralised(exportCells(r)))
	})
	if err != nil {
		if !started {
			return err // nothing sent yet: the error answer
		}
		// Mid-stream: the status is sent. Abort the connection so the
		// browser reports a failed download instead of keeping a file cut
		// short (Echo's recover passes http.ErrAbortHandler on).
		s.deps.Log.ErrorContext(ctx, "shipment export cut short", "shop", shop.Domain, "rows", rows, "err", err, "request_id", requestID(c))
		panic(http.ErrAbortHandler)
	}
	if !started {
		if err := start(); err != nil {
			return err
		}
	}
	out.Flush()
	if err := out.Error(); err != nil {
		return err
	}
	return buf.Flush()
}

func exportCells(r app.ShipmentExportRow) []string {
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	return []string{r.OrderName, r.TrackingNumber, r.Carrier, string(r.State), string(r.Status), string(r.Source),
		r.CreatedAt.UTC().Format(time.RFC3339), at(r.ShippedAt), at(r.DeliveredAt), at(r.StalledAt), r.Country}
}

// neutralised applies the admin's CSV rule (frontend logic.ts csvCell,
// OWASP's): a cell a spreadsheet would run as a formula — starting with
// = + - @, a tab or a carriage return — gets a leading single quote.
// encoding/csv quotes what needs quoting.
func neutralised(cells []string) []string {
	for i, v := range cells {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			cells[i] = "'" + v
		}
	}
	return cells
}

// insights is GET /api/admin/insights?from=&to=&by=carrier|supplier|country:
// a preset period's snapshot when fresh, else computed live
// (shipping.ShopInsights).
func (s *Server) insights(c echo.Context) error {
	by := app.InsightGrouping(c.QueryParam("by"))
	if by == "" {
		by = app.ByCarrier
	}
	if !slices.Contains(app.InsightGroupings, by) {
		return app.Errorf(app.ErrInvalid, "by must be one of carrier, supplier, country")
	}
	from, to, err := dateRange(c, true)
	if err != nil {
		return err
	}
	if to.Sub(from) > maxInsightDays*24*time.Hour {
		return app.Errorf(app.ErrInvalid, "the period is at most %d days", maxInsightDays)
	}
	report, err := s.deps.Shipping.ShopInsights(c.Request().Context(), shopOf(c), app.InsightQuery{From: from, To: to, By: by})
	if err != nil {
		return err
	}
	// live: computed now; else a snapshot of computed_at (the last 30,
	// 90 or 365 days, refreshed in the background).
	return c.JSON(http.StatusOK, map[string]any{"by": by, "from": c.QueryParam("from"), "to": c.QueryParam("to"), "rows": report.Rows,
		"live": report.Live, "computed_at": report.ComputedAt})
}

// recordTrackingVisits counts a tracking page view of each shipment shown.
// A failure is logged: the customer still sees the page.
func (s *Server) recordTrackingVisits(ctx context.Context, shopID string, shipments []app.Shipment) {
	if len(shipments) == 0 {
		return
	}
	ids := make([]string, len(shipments))
	for i, sh := range shipments {
		ids[i] = sh.ID
	}
	if err := s.deps.Insights.RecordTrackingVisits(ctx, shopID, ids, s.deps.Clock.Now()); err != nil {
		s.deps.Log.WarnContext(ctx, "tracking page visit not counted", "shop_id", shopID, "err", err)
	}
}
