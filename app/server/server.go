// Package server is Waybill's HTTP adapter (Echo): routes, middleware, and the
// one place where domain errors become HTTP statuses. Handlers stay thin: they
// read the request, call domain interfaces, and write the answer.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/email"
	"github.com/waybill-app/waybill/app/shipping"
	"github.com/waybill-app/waybill/webhooks"
)

// Config is what the server needs from the app's configuration.
type Config struct {
	APIKey    string
	APISecret string
	AppURL    string
}

// Check is a readiness probe of one dependency. A failing check shows in
// /readyz's "checks" as "unavailable", or as its error's own word when the
// error has a CheckDetail() string method (the mail check's "auth_refused").
type Check struct {
	Name  string
	Check func(context.Context) error
	// Advisory checks are reported but never make /readyz answer 503 (see
	// readyz).
	Advisory bool
}

// Deps are the server's collaborators, wired in main's assembly. Every
// field is required: no route appears or vanishes with what is set.
type Deps struct {
	Config        Config
	Shops         app.ShopStore
	Auth          app.ShopifyAuth
	States        app.OAuthStates
	Dispatcher    app.Dispatcher
	SessionTokens SessionTokens
	APIKeys       app.APIKeyStore
	// Shipping is every action on shipments: intake, edits, retries,
	// statuses, emails and their previews.
	Shipping  *shipping.Service
	Shipments app.ShipmentStore
	Lister    app.ShipmentLister
	Insights  app.Insights // analytics and the CSV export
	Dashboard app.Dashboard
	// Customer emails: settings, the log, unsubscribes.
	Notifications app.NotificationStore
	Emails        *email.Renderer
	Unsubscribes  app.Unsubscribes
	// Carrier status sources and the tracking page.
	Status          app.StatusStore
	Tracking        app.TrackingStore
	StatusProviders map[string]app.StatusProvider
	Orders          app.OrderStore
	// Privacy holds the compliance requests Shopify sent.
	Privacy       app.PrivacyStore
	RateLimiter   app.RateLimiter
	TrackingLinks app.TrackingLinks
	// Customer texts (WhatsApp, SMS): connections, settings, the log,
	// consents and preferences; each provider's webhook reader; the short
	// links in SMS.
	Texts       app.TextStore
	TextReaders map[app.Channel]app.TextWebhookReader
	ShortLinks  app.ShortLinks
	// Webhooks receives POST /webhooks.
	Webhooks *webhooks.Intake
	Ready    []Check
	Registry *prometheus.Registry
	// Frontend serves the embedded admin UI for every other GET.
	Frontend http.Handler
	Clock    app.Clock
	Log      *slog.Logger
}

// Server is the HTTP server.
type Server struct {
	deps Deps
	echo *echo.Echo
}

// New builds the server and its routes.
func New(deps Deps) *Server {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	s := &Server{deps: deps, echo: e}
	e.HTTPErrorHandler = s.handleError

	e.Use(middleware.RequestID())
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			deps.Log.Error("panic in handler", "err", err, "path", c.Path(), "request_id", requestID(c), "stack", string(stack))
			return app.Errorf(app.ErrInternal, "internal error")
		},
	}))
	e.Use(middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURIPath: true, LogMethod: true, LogLatency: true, LogRequestID: true, HandleError: true,
		// Only the path: query strings carry OAuth codes, HMACs and emails.
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			deps.Log.LogAttrs(c.Request().Context(), level, "http request",
				slog.String("method", v.Method), slog.String("path", v.URIPath), slog.Int("status", v.Status),
				slog.Float64("latency_ms", float64(v.Latency.Microseconds())/1000), slog.String("request_id", v.RequestID))
			return nil
		},
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return p == "/healthz" || p == "/readyz" || p == "/metrics"
		},
	}))
	e.Use(echoprometheus.NewMiddlewareWithConfig(echoprometheus.MiddlewareConfig{
		Namespace: "waybill", Subsystem: "http", Registerer: deps.Registry, DoNotUseRequestPathFor404: true,
		Skipper: func(c echo.Context) bool { return c.Path() == "/metrics" },
	}))
	e.GET("/metrics", echoprometheus.NewHandlerWithConfig(echoprometheus.HandlerConfig{Gatherer: deps.Registry}))

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/auth", s.authStart)
	e.GET("/auth/callback", s.authCallback)
	e.POST("/webhooks", s.receiveWebhook)
	e.POST("/api/v1/tracking", s.postTracking, s.supplierAuth)
	s.adminRoutes()
	e.GET("/unsubscribe/:token", s.unsubscribeForm)
	e.POST("/unsubscribe/:token", s.unsubscribeDo)
	e.POST("/carriers/:provider/:source", s.carrierStatus)
	e.GET("/proxy/track", s.track)
	e.POST("/proxy/track/opt-in", s.trackOptIn)
	e.GET("/proxy/track/preferences", s.preferences)
	e.POST("/proxy/track/preferences", s.preferences)
	e.GET("/l/:token", s.shortLink)
	e.GET("/texts/whatsapp/:connection", s.whatsappSubscribe)
	e.POST("/texts/whatsapp/:connection", s.textWebhook(app.ChannelWhatsApp, false))
	e.POST("/texts/twilio/:connection/status", s.textWebhook(app.ChannelSMS, false))
	e.POST("/texts/twilio/:connection/inbound", s.textWebhook(app.ChannelSMS, true))
	e.GET("/*", echo.WrapHandler(deps.Frontend))
	return s
}

// ServeHTTP makes the server an http.Handler (tests, load commands).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// HTTPServer returns an *http.Server with sane timeouts for addr.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
}

func requestID(c echo.Context) string { return c.Response().Header().Get(echo.HeaderXRequestID) }

// StatusFor maps a domain error code to its HTTP status: the one place this
// mapping exists.
func StatusFor(code app.ErrorCode) int {
	switch code {
	case app.ErrInvalid:
		return http.StatusBadRequest
	case app.ErrUnauthorized, app.ErrNeedsReauth:
		return http.StatusUnauthorized
	case app.ErrForbidden:
		return http.StatusForbidden
	case app.ErrNotFound:
		return http.StatusNotFound
	case app.ErrConflict:
		return http.StatusConflict
	case app.ErrTooLarge:
		return http.StatusRequestEntityTooLarge
	case app.ErrRateLimited:
		return http.StatusTooManyRequests
	case app.ErrUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorBody is every error answer: a code for programs, a sentence for people.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	// MessageCode and Params say Message as a code the admin words in the
	// merchant's language (app/message.go), when the error has one.
	MessageCode string            `json:"message_code,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	RequestID   string            `json:"request_id,omitempty"`
}

func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := http.StatusInternalServerError, errorBody{RequestID: requestID(c)}
	var he *echo.HTTPError
	var ae *app.Error
	switch {
	case errors.As(err, &ae):
		status = StatusFor(ae.Code)
		body.Error, body.Message = string(ae.Code), ae.Message
		if ae.Msg != nil && ae.Msg.Code != "" {
			body.MessageCode, body.Params = ae.Msg.Code, ae.Msg.Params
		}
	case errors.As(err, &he):
		status = he.Code
		body.Error = strings.ToLower(strings.ReplaceAll(http.StatusText(he.Code), " ", "_"))
		if m, ok := he.Message.(string); ok {
			body.Message = m
		} else {
			body.Message = http.StatusText(he.Code)
		}
	default:
		body.Error, body.Message = string(app.ErrInternal), app.ErrorMessageOf(err)
	}
	if status >= 500 {
		s.deps.Log.ErrorContext(c.Request().Context(), "request failed", "err", err, "path", c.Path(), "request_id", body.RequestID)
	}
	var werr error
	if c.Request().Method == http.MethodHead {
		werr = c.NoContent(status)
	} else {
		werr = c.JSON(status, body)
	}
	if werr != nil {
		// The client went away mid-answer: nothing more to tell it.
		s.deps.Log.DebugContext(c.Request().Context(), "error answer not written", "err", werr, "request_id", body.RequestID)
	}
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	status, checks := http.StatusOK, map[string]string{}
	for _, ch := range s.deps.Ready {
		err := ch.Check(ctx)
		if err == nil {
			checks[ch.Name] = "ok"
			continue
		}
		checks[ch.Name] = "unavailable"
		var detail interface{ CheckDetail() string }
		if errors.As(err, &detail) {
			checks[ch.Name] = detail.CheckDetail()
		}
		if ch.Advisory {
			// An advisory dependency (the mail server) is shown, not
			// counted: a 503 takes this process out of the load balancer,
			// and every web process shares the one mail server, so all
			// of them would go and Shopify's webhooks would go unanswered
			// (retried for a while, then lost) — over emails, which wait
			// in the queue meanwhile or, when SMTP_URL is wrong, fail with
			// the reason in the email log. The check logs its own changes.
			continue
		}
		status = http.StatusServiceUnavailable
		s.deps.Log.Warn("readiness check failed", "check", ch.Name, "err", err)
	}
	return c.JSON(status, map[string]any{"ready": status == http.StatusOK, "checks": checks})
}

// receiveWebhook is POST /webhooks: 200 only once the delivery is queued (or
// deliberately ignored); the intake's errors become 401/413/400/503 here.
func (s *Server) receiveWebhook(c echo.Context) error {
	body := http.MaxBytesReader(c.Response(), c.Request().Body, webhooks.MaxBodyBytes)
	if _, err := s.deps.Webhooks.Receive(c.Request().Context(), c.Request().Header, body); err != nil {
		return err
	}
	return c.NoContent(http.StatusOK)
}
