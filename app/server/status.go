package server

import (
	"crypto/rand"
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
	if err != nil || src.Provider != provider.Name() || !provider.Verify(body, c.Request().Header.Get(provider.SignatureHeader()), src) {
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

// sourceView is a status source as the admin shows it: never its secrets.
type sourceView struct {
	*app.StatusSource
	WebhookURL string `json:"webhook_url"`
}

func (s *Server) sourceView(src *app.StatusSource) sourceView {
	return sourceView{StatusSource: src, WebhookURL: s.deps.Config.AppURL + "/carriers/" + src.Provider + "/" + src.ID}
}

// providerView tells the admin what each provider needs.
type providerView struct {
	Name      string   `json:"name"`
	Registers bool     `json:"registers"`
	Needs     []string `json:"needs"`
}

// providerNeeds are the fields a merchant gives for each provider:
// 17TRACK signs its pushes with the API key itself; AfterShip and
// EasyPost with a webhook secret of their own; a 3PL gets one from Waybill.
var providerNeeds = map[string][]string{
	app.Provider17Track:   {"api_key"},
	app.ProviderAfterShip: {"api_key", "webhook_secret"},
	app.ProviderEasyPost:  {"api_key", "webhook_secret"},
	app.ProviderPush:      {},
}

// listStatusSources is GET /api/admin/status-sources.
func (s *Server) listStatusSources(c echo.Context) error {
	sources, err := s.deps.Status.StatusSources(c.Request().Context(), shopOf(c).ID)
	if err != nil {
		return err
	}
	out := struct {
		Sources   []sourceView   `json:"sources"`
		Providers []providerView `json:"providers"`
	}{Sources: []sourceView{}, Providers: []providerView{{Name: app.ProviderShopify, Needs: []string{}}}}
	for i := range sources {
		out.Sources = append(out.Sources, s.sourceView(&sources[i]))
	}
	for _, name := range []string{app.Provider17Track, app.ProviderAfterShip, app.ProviderEasyPost, app.ProviderPush} {
		if p, ok := s.deps.StatusProviders[name]; ok {
			out.Providers = append(out.Providers, providerView{Name: name, Registers: p.Registers(), Needs: providerNeeds[name]})
		}
	}
	return c.JSON(http.StatusOK, out)
}

// createStatusSource is POST /api/admin/status-sources: a provider
// connected with the merchant's key (and webhook secret), or a 3PL feed
// whose secret Waybill makes and shows this once. Keys are sealed at rest
// and never shown again.
func (s *Server) createStatusSource(c echo.Context) error {
	var in struct {
		Provider      string `json:"provider"`
		Name          string `json:"name"`
		APIKey        string `json:"api_key"`
		WebhookSecret string `json:"webhook_secret"`
	}
	if err := readJSON(c, &in, "provider, name, api_key and webhook_secret"); err != nil {
		return err
	}
	in.Name, in.APIKey, in.WebhookSecret = strings.TrimSpace(in.Name), strings.TrimSpace(in.APIKey), strings.TrimSpace(in.WebhookSecret)
	if msg := app.TextProblem("name", in.Name, app.MaxNameLength); msg != "" {
		return app.Errorf(app.ErrInvalid, "%s", msg)
	}
	needs, ok := providerNeeds[in.Provider]
	if _, served := s.deps.StatusProviders[in.Provider]; !ok || !served {
		return app.Errorf(app.ErrInvalid, "provider must be one of 17track, aftership, easypost, push")
	}
	for _, field := range needs {
		v := map[string]string{"api_key": in.APIKey, "webhook_secret": in.WebhookSecret}[field]
		if v == "" {
			return app.Errorf(app.ErrInvalid, "%s needs %s", in.Provider, field)
		}
		if msg := app.TextProblem(field, v, 512); msg != "" {
			return app.Errorf(app.ErrInvalid, "%s", msg)
		}
	}
	src := &app.StatusSource{ShopID: shopOf(c).ID, Provider: in.Provider, Name: in.Name, APIKey: in.APIKey, Secret: in.WebhookSecret}
	shown := ""
	if in.Provider == app.ProviderPush {
		src.Secret = "whsec_" + rand.Text()
		shown = src.Secret
	}
	if in.Provider == app.Provider17Track {
		src.Secret = in.APIKey // 17TRACK signs its pushes with the key
	}
	if err := s.deps.Status.CreateStatusSource(c.Request().Context(), src); err != nil {
		return err
	}
	// Parcels already on their way are followed by it too (a task: there
	// may be thousands, spread within the provider's rate). The source
	// exists now whatever happens: a queue that is down is logged, not
	// answered as a failure the merchant would retry into a duplicate.
	if err := s.deps.Dispatcher.QueueSourceConnected(c.Request().Context(), shopOf(c).Domain, src.ID); err != nil {
		s.deps.Log.WarnContext(c.Request().Context(), "parcels on their way not queued for the new source", "shop", shopOf(c).Domain, "err", err)
	}
	view := s.sourceView(src)
	return c.JSON(http.StatusCreated, map[string]any{"source": view, "secret": shown, "url": view.WebhookURL})
}

// deleteStatusSource is DELETE /api/admin/status-sources/:id: its parcels
// fall back to Shopify's own tracking.
func (s *Server) deleteStatusSource(c echo.Context) error {
	if err := s.deps.Status.DeleteStatusSource(c.Request().Context(), shopOf(c).ID, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// testStatusSource is POST /api/admin/status-sources/:id/test: the key is
// tried against the provider; the outcome is recorded and answered.
func (s *Server) testStatusSource(c echo.Context) error {
	ctx := c.Request().Context()
	src, err := s.deps.Status.StatusSourceByID(ctx, c.Param("id"))
	if err != nil || src.ShopID != shopOf(c).ID {
		return app.Errorf(app.ErrNotFound, "no status source %s in this store", c.Param("id"))
	}
	provider, ok := s.deps.StatusProviders[src.Provider]
	if !ok {
		return app.Errorf(app.ErrNotFound, "no status provider %q", src.Provider)
	}
	checkErr := provider.Check(ctx, src)
	code := string(app.ErrorCodeOf(checkErr))
	if checkErr != nil && code == "" {
		code = string(app.ErrUnavailable)
	}
	if err := s.deps.Status.RecordSourceCheck(ctx, src.ID, code); err != nil {
		return err
	}
	out := map[string]any{"ok": checkErr == nil, "checked_at": s.deps.Clock.Now().UTC()}
	if checkErr != nil {
		out["error"], out["message"] = code, app.ErrorMessageOf(checkErr)
	}
	return c.JSON(http.StatusOK, out)
}

// getTrackingSettings is GET /api/admin/tracking-settings.
func (s *Server) getTrackingSettings(c echo.Context) error {
	settings, err := s.deps.Tracking.TrackingSettings(c.Request().Context(), shopOf(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, settings)
}

// putTrackingSettings is PUT /api/admin/tracking-settings: the whole
// settings, validated field by field.
func (s *Server) putTrackingSettings(c echo.Context) error {
	var in app.TrackingSettings
	if err := readJSON(c, &in, "shopify_tracking, stall_days_domestic, stall_days_cross_border and transit_windows"); err != nil {
		return err
	}
	in.ShopID = shopOf(c).ID
	if err := s.deps.Tracking.SaveTrackingSettings(c.Request().Context(), in); err != nil {
		return err
	}
	return s.getTrackingSettings(c)
}
