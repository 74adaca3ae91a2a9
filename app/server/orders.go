package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/waybill-app/waybill/app"
)

// orderRoutes adds this area's admin routes (all behind the session token).
func (s *Server) orderRoutes(g *echo.Group) {
	g.GET("/orders/awaiting", s.awaitingOrders)
	g.GET("/carriers/detect", s.detectCarrier)
}

// awaitingPerPage is the awaiting list's page size.
const awaitingPerPage = 50

// awaitingOrders is GET /api/admin/orders/awaiting?page=: the orders
// waiting for a tracking number, oldest first.
func (s *Server) awaitingOrders(c echo.Context) error {
	page, err := pageParam(c)
	if err != nil {
		return err
	}
	out, err := s.deps.Shipments.AwaitingOrders(c.Request().Context(), shopOf(c).ID, page, awaitingPerPage)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// maxDetectLength bounds what the carrier guess reads: past intake's 60
// characters nothing is a tracking number anyway.
const maxDetectLength = 100

// detectCarrier is GET /api/admin/carriers/detect?number=: the carrier the
// number's format says, for the manual-entry form ("" when unknown or
// ambiguous; candidates then lists the equally good ones).
func (s *Server) detectCarrier(c echo.Context) error {
	number := c.QueryParam("number")
	if strings.TrimSpace(number) == "" {
		return app.Errorf(app.ErrInvalid, "number is required: the tracking number to recognise")
	}
	if msg := app.TextProblem("number", number, maxDetectLength); msg != "" {
		return app.Errorf(app.ErrInvalid, "%s", msg)
	}
	res := s.deps.Shipping.Carriers.Detect(number)
	out := struct {
		Number      string   `json:"number"`
		Carrier     string   `json:"carrier"`
		TrackingURL string   `json:"tracking_url"`
		Candidates  []string `json:"candidates"`
	}{Number: res.Number, Candidates: []string{}}
	if res.Carrier != nil {
		out.Carrier, out.TrackingURL = res.Carrier.Name, res.Carrier.TrackingURL(res.Number)
	}
	if res.Ambiguous() {
		seen := map[string]bool{}
		for _, m := range res.Candidates {
			if !seen[m.Carrier.Name] {
				seen[m.Carrier.Name] = true
				out.Candidates = append(out.Candidates, m.Carrier.Name)
			}
		}
	}
	return c.JSON(http.StatusOK, out)
}
