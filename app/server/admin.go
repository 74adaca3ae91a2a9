package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/shipping"
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
		shopDomain, retry, err := s.sessionShop(raw)
		if err != nil {
			if retry {
				c.Response().Header().Set("X-Shopify-Retry-Invalid-Session-Request", "1")
			}
			return err
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

// sessionShop verifies an App Bridge session token (HS256 with the app
// secret, aud = API key, unexpired, dest = a shop whose admin is iss) and
// returns its shop. retry says the token itself did not verify, so App
// Bridge should fetch a fresh one and try again.
func (s *Server) sessionShop(raw string) (shop string, retry bool, err error) {
	claims := jwt.MapClaims{}
	_, err = jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return []byte(s.deps.Config.APISecret), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(s.deps.Config.APIKey), jwt.WithExpirationRequired(),
		// iat in the future (beyond the leeway) is refused like nbf: a
		// token cannot have been issued later than now.
		jwt.WithIssuedAt(), jwt.WithLeeway(sessionLeeway), jwt.WithTimeFunc(s.deps.Clock.Now))
	if err != nil {
		return "", true, app.WrapError(app.ErrUnauthorized, err, "the session token is not valid")
	}
	dest, _ := claims["dest"].(string)
	shop, err = app.ValidateShopDomain(strings.TrimPrefix(dest, "https://"))
	if err != nil {
		return "", false, app.Errorf(app.ErrUnauthorized, "the session token names no shop")
	}
	// The issuer is the same shop's admin (Shopify's own check).
	if iss, _ := claims["iss"].(string); iss != "https://"+shop+"/admin" {
		return "", false, app.Errorf(app.ErrUnauthorized, "the session token's issuer is not the shop's admin")
	}
	return shop, false, nil
}

func (s *Server) adminRoutes() {
	g := s.echo.Group("/api/admin", s.sessionAuth)
	// Every route that reads a body reads JSON (415 otherwise) of a bounded
	// size (413 before reading when Content-Length says so); the CSV upload
	// has its own cap and types.
	jsonOnly := s.jsonBody(maxAdminBody)
	g.GET("/shipments", s.listShipments)
	g.POST("/shipments", s.createShipments, s.jsonBody(maxAPIBody))
	g.GET("/shipments/:id", s.getShipment)
	g.PATCH("/shipments/:id", s.editShipment, jsonOnly)
	g.POST("/shipments/:id/retry", s.retryShipment)
	g.POST("/shipments/:id/resend", s.resendEmail, jsonOnly)
	g.POST("/imports", s.importCSV)
	g.GET("/stats", s.stats)
	g.GET("/api-keys", s.listAPIKeys)
	g.POST("/api-keys", s.createAPIKey, jsonOnly)
	g.DELETE("/api-keys/:id", s.revokeAPIKey)
	g.GET("/status-sources", s.listStatusSources)
	g.POST("/status-sources", s.createStatusSource, jsonOnly)
	g.DELETE("/status-sources/:id", s.deleteStatusSource)
	g.POST("/status-sources/:id/test", s.testStatusSource)
	g.GET("/tracking-settings", s.getTrackingSettings)
	g.PUT("/tracking-settings", s.putTrackingSettings, jsonOnly)
	g.GET("/notifications", s.listNotifications)
	g.GET("/notifications/settings", s.getNotificationSettings)
	g.PUT("/notifications/settings", s.putNotificationSettings, jsonOnly)
	g.POST("/notifications/preview", s.previewNotification, jsonOnly)
	g.POST("/notifications/test", s.testNotification, jsonOnly)
	s.textRoutes(g, jsonOnly)
	s.orderRoutes(g)
	s.insightRoutes(g)
	s.dataRequestRoutes(g)
}

// maxAdminBody bounds the admin's JSON bodies (settings, edits, names); the
// largest, a settings document with every template, is a few tens of KB.
const maxAdminBody = 1 << 20

// jsonBody makes a route take JSON only: a body of another type is refused
// with 415 before it is read, one over limit with 413 — before reading when
// Content-Length says so, else when the reading passes it. A request with
// no body passes (the handler says what it needs).
func (s *Server) jsonBody(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.ContentLength != 0 {
				mt, params, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
				if err != nil || mt != echo.MIMEApplicationJSON {
					return echo.NewHTTPError(http.StatusUnsupportedMediaType,
						"the body must be JSON, sent with Content-Type: application/json")
				}
				if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
					return echo.NewHTTPError(http.StatusUnsupportedMediaType, "JSON must be UTF-8 (charset=utf-8)")
				}
			}
			if err := capBody(c, limit); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// capBody refuses a body over limit before reading it when Content-Length
// says so, and otherwise stops the reading at limit (http.MaxBytesError,
// which bodyError turns into 413).
func capBody(c echo.Context, limit int64) error {
	r := c.Request()
	if r.ContentLength > limit {
		return tooLarge(limit)
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
	return nil
}

// tooLarge is the 413 for a body over limit.
func tooLarge(limit int64) error {
	size := fmt.Sprintf("%d bytes", limit)
	if limit >= 1<<20 && limit%(1<<20) == 0 {
		size = fmt.Sprintf("%d MiB", limit>>20)
	}
	return app.Errorf(app.ErrTooLarge, "the body is larger than %s: nothing was done", size)
}

// bodyError is the answer to a body that could not be read: 413 past the
// cap, 400 otherwise.
func bodyError(err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return tooLarge(maxErr.Limit)
	}
	return app.WrapError(app.ErrInvalid, err, "the body could not be read completely")
}

// readJSON decodes the request's JSON body into v. fields lists what the
// body may hold, for the error a person reads; a value of the wrong type is
// named.
func readJSON(c echo.Context, v any, fields string) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return bodyError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return app.Errorf(app.ErrInvalid, "the body must be JSON with %s", fields)
	}
	if err := json.Unmarshal(body, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return app.Errorf(app.ErrInvalid, "%s must be %s (the body is JSON with %s)", typeErr.Field, jsonKind(typeErr.Type), fields)
		}
		return app.Errorf(app.ErrInvalid, "the body must be JSON with %s", fields)
	}
	return nil
}

// jsonKind names a Go type as JSON calls it.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16,
		reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

func (s *Server) listShipments(c echo.Context) error {
	page, err := pageParam(c)
	if err != nil {
		return err
	}
	f, err := shipmentFilterFrom(c)
	if err != nil {
		return err
	}
	f.Page = page
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
	texts, err := s.deps.Texts.ShipmentTexts(ctx, sh.ID)
	if err != nil {
		return err
	}
	if texts == nil {
		texts = []app.CustomerText{}
	}
	return c.JSON(http.StatusOK, map[string]any{"shipment": sh, "history": events, "checkpoints": checkpoints, "emails": emails,
		"texts": texts})
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
	const fields = "tracking_number, carrier or tracking_url"
	if err := readJSON(c, &in, fields); err != nil {
		return err
	}
	if strings.TrimSpace(in.TrackingNumber+in.Carrier+in.TrackingURL) == "" {
		return app.Errorf(app.ErrInvalid, "nothing to change: give %s", fields)
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
// multipart form, and answers with the per-row report. The body is capped
// at shipping.MaxCSVBytes before anything is read (413 at once when
// Content-Length is over it); a body that passes the cap while being read is
// 413 too, and nothing of it is imported: the file is read whole before
// any row is submitted. With ?dry_run=true it answers how the file is
// understood (shipping.CSVPreview) and stores nothing.
func (s *Server) importCSV(c echo.Context) error {
	r := c.Request()
	dryRun := false
	if v := c.QueryParam("dry_run"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return app.Errorf(app.ErrInvalid, "dry_run must be true or false")
		}
		dryRun = b
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || !slices.Contains(csvMediaTypes, mt) {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType,
			"send the CSV as the body (Content-Type: text/csv) or as the \"file\" field of a multipart/form-data form")
	}
	if err := capBody(c, shipping.MaxCSVBytes); err != nil {
		return err
	}
	file := io.Reader(r.Body)
	if mt == echo.MIMEMultipartForm {
		if file, err = formFile(r, params["boundary"]); err != nil {
			return err
		}
	}
	var report any
	if dryRun {
		report, err = shipping.PreviewCSV(file)
	} else {
		report, err = s.deps.Shipping.ImportCSV(r.Context(), shopOf(c), app.SourceCSV, file)
	}
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return uploadTooLarge()
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, report)
}

// uploadTooLarge is the 413 of an import over the cap.
func uploadTooLarge() error {
	return app.Errorf(app.ErrTooLarge, "the upload is larger than %d MiB: nothing was imported; split the file", shipping.MaxCSVBytes>>20)
}

// csvMediaTypes are the bodies an import takes: the file itself (as
// browsers and curl label CSV) or a form carrying it.
var csvMediaTypes = []string{"text/csv", "text/plain", "application/csv", "application/vnd.ms-excel", "application/octet-stream", echo.MIMEMultipartForm}

// formFile streams the "file" part of a multipart body: nothing is spooled
// to disk or memory on the way, so the body's cap is the only limit.
func formFile(r *http.Request, boundary string) (io.Reader, error) {
	if boundary == "" {
		return nil, app.Errorf(app.ErrInvalid, "the multipart form has no boundary")
	}
	mr := multipart.NewReader(r.Body, boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, app.Errorf(app.ErrInvalid, "send the CSV as the \"file\" field of the form")
		}
		if err != nil {
			var maxErr *http.MaxBytesError
			if errors.As(err, &maxErr) {
				return nil, uploadTooLarge()
			}
			return nil, app.WrapError(app.ErrInvalid, err, "the multipart form cannot be read")
		}
		if part.FormName() == "file" {
			return part, nil
		}
	}
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
	texts, err := s.deps.Texts.TextCounts(ctx, shop.ID, now.AddDate(0, 0, -30))
	if err != nil {
		return err
	}
	if texts == nil {
		texts = map[app.Channel]map[app.TextStatus]int64{}
	}
	out["texts"] = texts
	out["shop"] = map[string]any{"name": shop.DisplayName(), "domain": shop.Domain, "needs_reauth": shop.NeedsReauthAt != nil}
	return c.JSON(http.StatusOK, out)
}

// resendEmail sends one of the shipment's emails again (a new entry in the
// log): {"event": "delivered", "note": "…"}, both optional (no body: the
// "shipped" email, without a note).
func (s *Server) resendEmail(c echo.Context) error {
	var in shipping.ResendRequest
	if c.Request().ContentLength != 0 {
		if err := readJSON(c, &in, "event and note"); err != nil {
			return err
		}
	}
	n, err := s.deps.Shipping.Resend(c.Request().Context(), shopOf(c), c.Param("id"), in)
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
	if err := readJSON(c, &in, "a name"); err != nil {
		return err
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
