package server

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	"github.com/waybill-app/waybill/app"
)

// SessionTokens are what the admin API needs of Shopify: trading an App
// Bridge session token for an offline token (Shopify-managed installation).
type SessionTokens interface {
	ExchangeSessionToken(ctx context.Context, shop, sessionToken string) (app.OfflineToken, error)
}

// sessionLeeway tolerates clock skew between Shopify and this server.
const sessionLeeway = 10 * time.Second

// sessionAuth verifies the App Bridge session token (HS256 with the app
// secret, aud = API key, dest = the shop) and puts the shop on the request.
// A shop that opens the app without an offline token gets one by token
// exchange, so Shopify-managed installation needs no OAuth redirect.
func (s *Server) sessionAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		raw, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok || raw == "" {
			return app.Errorf(app.ErrUnauthorized, "the admin API needs a Shopify session token (Authorization: Bearer <token>)")
		}
		claims := jwt.MapClaims{}
		_, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return []byte(s.deps.Config.APISecret), nil },
			jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(s.deps.Config.APIKey), jwt.WithExpirationRequired(),
			jwt.WithLeeway(sessionLeeway), jwt.WithTimeFunc(s.deps.Clock.Now))
		if err != nil {
			c.Response().Header().Set("X-Shopify-Retry-Invalid-Session-Request", "1")
			return app.WrapError(app.ErrUnauthorized, err, "the session token is not valid")
		}
		dest, _ := claims["dest"].(string)
		shopDomain, err := app.ValidateShopDomain(strings.TrimPrefix(dest, "https://"))
		if err != nil {
			return app.Errorf(app.ErrUnauthorized, "the session token names no shop")
		}
		// The issuer is the same shop's admin (Shopify's own check).
		if iss, _ := claims["iss"].(string); iss != "https://"+shopDomain+"/admin" {
			return app.Errorf(app.ErrUnauthorized, "the session token's issuer is not the shop's admin")
		}
		ctx := c.Request().Context()
		shop, err := s.deps.Shops.ShopByDomain(ctx, shopDomain)
		if err != nil && app.ErrorCodeOf(err) != app.ErrNotFound {
			return err
		}
		if shop == nil || !shop.Active() {
			tok, err := s.deps.SessionTokens.ExchangeSessionToken(ctx, shopDomain, raw)
			if err != nil {
				return err
			}
			if shop, err = s.deps.Shops.SaveInstall(ctx, shopDomain, tok); err != nil {
				return err
			}
			if err := s.deps.Dispatcher.QueueShopSetup(ctx, shopDomain); err != nil {
				s.deps.Log.WarnContext(ctx, "shop setup not queued", "shop", shopDomain, "err", err)
			}
			s.deps.Log.InfoContext(ctx, "shop installed by token exchange", "shop", shopDomain)
		}
		c.Set(shopContextKey, shop)
		return next(c)
	}
}

func (s *Server) adminRoutes() {
	g := s.echo.Group("/api/admin", s.sessionAuth)
	g.GET("/shipments", s.listShipments)
	g.POST("/shipments", s.createShipments)
	g.GET("/shipments/:id", s.getShipment)
	g.PATCH("/shipments/:id", s.editShipment)
	g.POST("/shipments/:id/retry", s.retryShipment)
	g.POST("/shipments/:id/resend", s.resendEmail)
	g.POST("/imports", s.importCSV)
	g.GET("/stats", s.stats)
	g.GET("/api-keys", s.listAPIKeys)
	g.POST("/api-keys", s.createAPIKey)
	g.DELETE("/api-keys/:id", s.revokeAPIKey)
	g.POST("/status-sources", s.createStatusSource)
	g.GET("/notifications", s.listNotifications)
	g.GET("/notifications/settings", s.getNotificationSettings)
	g.PUT("/notifications/settings", s.putNotificationSettings)
	g.POST("/notifications/preview", s.previewNotification)
	g.POST("/notifications/test", s.testNotification)
}

func (s *Server) listShipments(c echo.Context) error {
	page, err := pageParam(c)
	if err != nil {
		return err
	}
	state := app.ShipmentState(c.QueryParam("state"))
	if state != "" && !slices.Contains(app.ShipmentStates, state) {
		return app.Errorf(app.ErrInvalid, "state must be one of pending, syncing, synced, failed, needs_attention, cancelled")
	}
	f := app.ShipmentFilter{State: state, Source: app.ShipmentSource(c.QueryParam("source")), Query: c.QueryParam("q"),
		Carrier: c.QueryParam("carrier"), Page: page}
	for name, dst := range map[string]*time.Time{"from": &f.From, "to": &f.To} {
		if v := c.QueryParam(name); v != "" {
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				return app.Errorf(app.ErrInvalid, "%s must be a date like 2026-11-24", name)
			}
			if name == "to" {
				t = t.AddDate(0, 0, 1) // inclusive
			}
			*dst = t
		}
	}
	result, err := s.deps.Lister.ListShipments(c.Request().Context(), shopOf(c).ID, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, result)
}

func (s *Server) getShipment(c echo.Context) error {
	ctx := c.Request().Context()
	sh, err := s.deps.Shipping.Owned(ctx, shopOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	events, err := s.deps.Shipments.ShipmentEvents(ctx, sh.ID)
	if err != nil {
		return err
	}
	checkpoints, err := s.deps.Status.Checkpoints(ctx, sh.ID)
	if err != nil {
		return err
	}
	emails, err := s.deps.Notifications.ShipmentNotifications(ctx, sh.ID)
	if err != nil {
		return err
	}
	if checkpoints == nil {
		checkpoints = []app.Checkpoint{}
	}
	if emails == nil {
		emails = []app.Notification{}
	}
	return c.JSON(http.StatusOK, map[string]any{"shipment": sh, "history": events, "checkpoints": checkpoints, "emails": emails})
}

// createShipments is manual entry: the supplier API's body, from the admin.
func (s *Server) createShipments(c echo.Context) error {
	return s.submitRows(c, app.SourceManual, http.StatusOK)
}

func (s *Server) editShipment(c echo.Context) error {
	var in struct {
		TrackingNumber string `json:"tracking_number"`
		Carrier        string `json:"carrier"`
		TrackingURL    string `json:"tracking_url"`
	}
	if err := c.Bind(&in); err != nil {
		return app.Errorf(app.ErrInvalid, "the body must be JSON with tracking_number, carrier or tracking_url")
	}
	sh, err := s.deps.Shipping.Edit(c.Request().Context(), shopOf(c), c.Param("id"), in.TrackingNumber, in.Carrier, in.TrackingURL)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"shipment": sh})
}

func (s *Server) retryShipment(c echo.Context) error {
	sh, err := s.deps.Shipping.Retry(c.Request().Context(), shopOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"shipment": sh})
}

// importCSV takes the CSV as the body (text/csv) or as the "file" field of a
// multipart form, and answers with the per-row report.
func (s *Server) importCSV(c echo.Context) error {
	r := io.Reader(http.MaxBytesReader(c.Response(), c.Request().Body, 64<<20))
	if strings.HasPrefix(c.Request().Header.Get("Content-Type"), "multipart/form-data") {
		fh, err := c.FormFile("file")
		if err != nil {
			return app.Errorf(app.ErrInvalid, "send the CSV as the \"file\" field of the form")
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer func() {
			// Only read: closing an upload's temporary file cannot lose anything.
			if err := f.Close(); err != nil {
				s.deps.Log.WarnContext(c.Request().Context(), "closing an upload", "err", err)
			}
		}()
		r = f
	}
	report, err := s.deps.Shipping.ImportCSV(c.Request().Context(), shopOf(c), app.SourceCSV, r)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return app.Errorf(app.ErrTooLarge, "the file is larger than 64 MiB")
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, report)
}

func (s *Server) stats(c echo.Context) error {
	now := s.deps.Clock.Now()
	ctx := c.Request().Context()
	shop := shopOf(c)
	out := map[string]any{}
	for _, days := range []int{7, 30} {
		counts, err := s.deps.Dashboard.DashboardCounts(ctx, shop.ID, now.AddDate(0, 0, -days))
		if err != nil {
			return err
		}
		out["last_"+strconv.Itoa(days)+"_days"] = counts
	}
	activity, err := s.deps.Dashboard.RecentActivity(ctx, shop.ID, 15)
	if err != nil {
		return err
	}
	out["activity"] = activity
	out["shop"] = map[string]any{"name": shop.DisplayName(), "domain": shop.Domain, "needs_reauth": shop.NeedsReauthAt != nil}
	return c.JSON(http.StatusOK, out)
}

// resendEmail sends the shipment's email again (a new entry in the log).
func (s *Server) resendEmail(c echo.Context) error {
	n, err := s.deps.Shipping.Resend(c.Request().Context(), shopOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"notification": n})
}

func (s *Server) listAPIKeys(c echo.Context) error {
	keys, err := s.deps.APIKeys.APIKeys(c.Request().Context(), shopOf(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"api_keys": keys})
}

// createAPIKey answers the key itself this once.
func (s *Server) createAPIKey(c echo.Context) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := c.Bind(&in); err != nil {
		return app.Errorf(app.ErrInvalid, "the body must be JSON with a name")
	}
	key, meta, err := s.deps.APIKeys.CreateAPIKey(c.Request().Context(), shopOf(c).Domain, strings.TrimSpace(in.Name))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"api_key": meta, "key": key, "endpoint": s.deps.Config.AppURL + "/api/v1/tracking"})
}

func (s *Server) revokeAPIKey(c echo.Context) error {
	if err := s.deps.APIKeys.RevokeAPIKey(c.Request().Context(), shopOf(c).ID, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// pageParam reads the optional page number of a list (1 when absent).
func pageParam(c echo.Context) (int, error) {
	v := c.QueryParam("page")
	if v == "" {
		return 1, nil
	}
	page, err := strconv.Atoi(v)
	if err != nil || page < 1 {
		return 0, app.Errorf(app.ErrInvalid, "page must be a whole number from 1")
	}
	return page, nil
}
