package server

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/tracking"
)

const maxStatusBody = 1 << 20

// statusSource loads the source named in the path and checks the body's
// signature with its secret (401 otherwise, before anything is parsed).
func (s *Server) statusSource(c echo.Context, provider string, verify func(body []byte, secret string) bool) (*app.StatusSource, *app.Shop, []byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxStatusBody))
	if err != nil {
		return nil, nil, nil, app.Errorf(app.ErrTooLarge, "the body is larger than %d bytes", maxStatusBody)
	}
	refused := app.Errorf(app.ErrUnauthorized, "the signature does not match this status source")
	src, err := s.deps.StatusSources.StatusSourceByID(c.Request().Context(), c.Param("source"))
	if err != nil || src.Provider != provider || !verify(body, src.Secret) {
		return nil, nil, nil, refused
	}
	shop, err := s.deps.Shops.ShopByID(c.Request().Context(), src.ShopID)
	if err != nil || shop.UninstalledAt != nil {
		return nil, nil, nil, refused
	}
	return src, shop, body, nil
}

// easyPostWebhook is POST /carriers/easypost/{source}: EasyPost's tracker events.
func (s *Server) easyPostWebhook(c echo.Context) error {
	header := c.Request().Header.Get("X-Hmac-Signature")
	_, shop, body, err := s.statusSource(c, "easypost", func(b []byte, secret string) bool { return tracking.VerifyEasyPost(b, header, secret) })
	if err != nil {
		return err
	}
	u, ok, err := tracking.ParseEasyPost(body)
	if err != nil {
		return err
	}
	if ok {
		if _, err := s.deps.StatusIntake.Apply(c.Request().Context(), shop, u); err != nil {
			return err
		}
	}
	return c.NoContent(http.StatusOK)
}

// pushStatus is POST /carriers/push/{source}: a 3PL's signed status JSON.
func (s *Server) pushStatus(c echo.Context) error {
	header := c.Request().Header.Get("X-Waybill-Signature")
	_, shop, body, err := s.statusSource(c, "push", func(b []byte, secret string) bool { return tracking.VerifyPush(b, header, secret) })
	if err != nil {
		return err
	}
	u, err := tracking.ParsePush(body)
	if err != nil {
		return err
	}
	changes, err := s.deps.StatusIntake.Apply(c.Request().Context(), shop, u)
	if err != nil {
		return err
	}
	out := make([]map[string]any, len(changes))
	for i, ch := range changes {
		out[i] = map[string]any{"shipment_id": ch.Shipment.ID, "status": ch.To, "changed": ch.Changed}
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
	if err := c.Bind(&in); err != nil || (in.Provider != "easypost" && in.Provider != "push") {
		return app.Errorf(app.ErrInvalid, "provider must be easypost or push")
	}
	b := make([]byte, 24)
	rand.Read(b)
	src := &app.StatusSource{ShopID: shopOf(c).ID, Provider: in.Provider, Name: in.Name, Secret: "whsec_" + base64.RawURLEncoding.EncodeToString(b)}
	if err := s.deps.StatusSources.CreateStatusSource(c.Request().Context(), src); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"source": src, "secret": src.Secret,
		"url": s.deps.Config.AppURL + "/carriers/" + in.Provider + "/" + src.ID})
}
