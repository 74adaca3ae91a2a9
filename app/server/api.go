package server

import (
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shipping"
)

// maxAPIBody bounds POST /api/v1/tracking (1,000 rows fit in well under it).
const maxAPIBody = 8 << 20

const shopContextKey = "waybill.shop"

// apiKeyHashContextKey holds the SHA-256 of the supplier key that
// authenticated the request: its shipments record the key.
const apiKeyHashContextKey = "waybill.api_key_hash"

// supplierAuth authenticates `Authorization: Bearer <API key>`.
func (s *Server) supplierAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok || strings.TrimSpace(key) == "" {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="waybill"`)
			return app.Errorf(app.ErrUnauthorized, "send the supplier API key as `Authorization: Bearer <key>`")
		}
		shop, err := s.deps.APIKeys.ShopForAPIKey(c.Request().Context(), strings.TrimSpace(key))
		if err != nil {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="waybill", error="invalid_token"`)
			return err
		}
		c.Set(shopContextKey, shop)
		c.Set(apiKeyHashContextKey, app.HashAPIKey(strings.TrimSpace(key)))
		return next(c)
	}
}

func shopOf(c echo.Context) *app.Shop { return c.Get(shopContextKey).(*app.Shop) }

// postTracking is POST /api/v1/tracking: 202 with one result per row.
func (s *Server) postTracking(c echo.Context) error {
	return s.submitRows(c, app.SourceAPI, http.StatusAccepted)
}

// submitRows reads the supplier API's body (from a supplier or, for manual
// entry, the admin) and answers with one result per row.
func (s *Server) submitRows(c echo.Context, source app.ShipmentSource, status int) error {
	if err := capBody(c, maxAPIBody); err != nil {
		return err
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return bodyError(err)
	}
	subs, decodeErrs, err := shipping.DecodeJSON(body)
	if err != nil {
		return err
	}
	if h, ok := c.Get(apiKeyHashContextKey).(string); ok { // a supplier's key (not the admin's manual entry)
		for i := range subs {
			subs[i].APIKeyHash = h
		}
	}
	results, err := s.deps.Shipping.SubmitDecoded(c.Request().Context(), shopOf(c), source, subs, decodeErrs)
	if err != nil {
		return err
	}
	return c.JSON(status, map[string]any{"results": results})
}
