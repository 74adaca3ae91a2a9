package server

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/waybill-app/waybill/app"
)

const maxStatusBody = 1 << 20

// carrierStatus is POST /carriers/{provider}/{source}: a status source
// (EasyPost, a 3PL…) posting its signed document. The signature is checked
// with the source's secret before anything is parsed (401 otherwise).
func (s *Server) carrierStatus(c echo.Context) error {
	provider, ok := s.deps.StatusProviders[c.Param("provider")]
	if !ok {
		return app.Errorf(app.ErrNotFound, "no status provider %q", c.Param("provider"))
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxStatusBody))
	if err != nil {
		return app.Errorf(app.ErrTooLarge, "the body is larger than %d bytes", maxStatusBody)
	}
	ctx := c.Request().Context()
	refused := app.Errorf(app.ErrUnauthorized, "the signature does not match this status source")
	src, err := s.deps.Status.StatusSourceByID(ctx, c.Param("source"))
	if err != nil || src.Provider != provider.Name() || !provider.Verify(body, c.Request().Header.Get(provider.SignatureHeader()), src.Secret) {
		return refused
	}
	shop, err := s.deps.Shops.ShopByID(ctx, src.ShopID)
	if err != nil || shop.UninstalledAt != nil {
		return refused
	}
	u, ok, err := provider.Parse(body)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	if ok {
		changes, err := s.deps.Shipping.ApplyStatus(ctx, shop, u)
		if err != nil {
			return err
		}
		for _, ch := range changes {
			out = append(out, map[string]any{"shipment_id": ch.Shipment.ID, "status": ch.To, "changed": ch.Changed})
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"shipments": out})
}

// createStatusSource is POST /api/admin/status-sources: a new signed feed;
// the secret is shown this once.
func (s *Server) createStatusSource(c echo.Context) error {
	var in struct {
		Provider string `json:"provider"`
		Name     string `json:"name"`
	}
	if err := readJSON(c, &in, "provider and name"); err != nil {
		return err
	}
	if msg := app.TextProblem("name", strings.TrimSpace(in.Name), app.MaxNameLength); msg != "" {
		return app.Errorf(app.ErrInvalid, "%s", msg)
	}
	if _, ok := s.deps.StatusProviders[in.Provider]; !ok {
		return app.Errorf(app.ErrInvalid, "provider must be easypost or push")
	}
	b := make([]byte, 24)
	rand.Read(b)
	src := &app.StatusSource{ShopID: shopOf(c).ID, Provider: in.Provider, Name: in.Name, Secret: "whsec_" + base64.RawURLEncoding.EncodeToString(b)}
	if err := s.deps.Status.CreateStatusSource(c.Request().Context(), src); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"source": src, "secret": src.Secret,
		"url": s.deps.Config.AppURL + "/carriers/" + in.Provider + "/" + src.ID})
}
