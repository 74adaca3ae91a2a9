package server

import (
	"crypto/subtle"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/email"
	"github.com/waybill-app/waybill/app/phone"
	"github.com/waybill-app/waybill/app/shipping"
)

// maxTextWebhookBody bounds a provider's webhook: Meta batches up to 1,000
// updates in one, a few hundred KB; Twilio's forms are a few KB.
const maxTextWebhookBody = 1 << 20

// twimlEmpty answers Twilio's incoming message webhook: no reply (the
// merchant answers customers from their own inbox).
const twimlEmpty = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// textConnection is the route's connection for channel, or not found (an
// id of the other channel is unknown here too).
func (s *Server) textConnection(c echo.Context, channel app.Channel) (*app.ChannelConnection, error) {
	conn, err := s.deps.Texts.ChannelConnectionByID(c.Request().Context(), c.Param("connection"))
	if err != nil && app.ErrorCodeOf(err) != app.ErrNotFound {
		return nil, err
	}
	if err != nil || conn.Channel != channel {
		return nil, app.Errorf(app.ErrNotFound, "no %s connection %q", channel, c.Param("connection"))
	}
	return conn, nil
}

// whatsappSubscribe is GET /texts/whatsapp/{connection}: Meta's check of
// the callback URL when the merchant saves it in their app (hub.mode
// "subscribe" and the verify token Waybill showed): the challenge, as
// plain text, or 403.
func (s *Server) whatsappSubscribe(c echo.Context) error {
	conn, err := s.textConnection(c, app.ChannelWhatsApp)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	if conn.VerifyToken == "" || q.Get("hub.mode") != "subscribe" || !constantEqual(q.Get("hub.verify_token"), conn.VerifyToken) {
		return app.Errorf(app.ErrForbidden, "the verify token is not this connection's")
	}
	return c.String(http.StatusOK, q.Get("hub.challenge"))
}

// textWebhook is a provider's POST about sent texts (statuses) or from
// customers (replies): the channel's reader checks the signature with the
// connection's secret (401 otherwise) and reads the reports, which the
// shipping workflow applies. A report not applied answers 503, so the
// provider sends it again (Meta and Twilio both retry).
func (s *Server) textWebhook(channel app.Channel, inbound bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().ContentLength > maxTextWebhookBody {
			return tooLarge(maxTextWebhookBody)
		}
		body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxTextWebhookBody))
		if err != nil {
			return bodyError(err)
		}
		conn, err := s.textConnection(c, channel)
		if err != nil {
			return err
		}
		reader := s.deps.TextReaders[channel]
		if reader == nil {
			return app.Errorf(app.ErrNotFound, "no %s webhook", channel)
		}
		// Twilio signs the URL it called: the app's public one, not what
		// a proxy in front of Waybill forwarded.
		fullURL := strings.TrimSuffix(s.deps.Config.AppURL, "/") + c.Request().RequestURI
		reports, err := reader.Reports(conn, fullURL, c.Request().Header, body)
		if err != nil {
			if app.ErrorCodeOf(err) == app.ErrUnauthorized {
				return app.Errorf(app.ErrUnauthorized, "the signature does not match this connection")
			}
			return err
		}
		ctx := c.Request().Context()
		for _, r := range reports {
			if err := s.deps.Shipping.TextReport(ctx, conn, r); err != nil {
				s.deps.Log.WarnContext(ctx, "text report not applied", "channel", channel, "connection_id", conn.ID, "err", err)
				return app.Errorf(app.ErrUnavailable, "the report could not be recorded now: send it again")
			}
		}
		if inbound {
			return c.Blob(http.StatusOK, "text/xml; charset=utf-8", []byte(twimlEmpty))
		}
		return c.NoContent(http.StatusOK)
	}
}

// shortLink is GET /l/{token}, the link in an SMS: the order it names, in
// the shop its signature was made for, opens on its tracking page.
// Anything else is one not-found page in the reader's language.
func (s *Server) shortLink(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	if id, ok := s.deps.ShortLinks.OrderID(token); ok && len(token) < 64 {
		orders, err := s.deps.Orders.OrdersByShopifyID(ctx, id)
		if err != nil {
			return err
		}
		for _, o := range orders {
			if !s.deps.ShortLinks.Valid(token, o.ShopID, o.ID) {
				continue
			}
			shop, err := s.deps.Shops.ShopByID(ctx, o.ShopID)
			if err != nil && app.ErrorCodeOf(err) != app.ErrNotFound {
				return err
			}
			if err == nil && shop.UninstalledAt == nil {
				c.Response().Header().Set("Cache-Control", "no-store")
				return c.Redirect(http.StatusFound, s.deps.TrackingLinks.URL(shop.Domain, shop.ID, o.ID))
			}
		}
	}
	locale := s.deps.Emails.Locale(acceptLanguage(c.Request().Header.Get("Accept-Language")), "")
	page := map[string]any{"ShopName": "", "Accent": email.DefaultAccent}
	return s.renderTrack(c, http.StatusNotFound, locale, page, "track.link_invalid")
}

// textRoutes are the admin's channels, text settings and text log.
func (s *Server) textRoutes(g *echo.Group, jsonOnly echo.MiddlewareFunc) {
	g.GET("/channels", s.listChannels)
	g.POST("/channels", s.connectChannel, jsonOnly)
	g.DELETE("/channels/:id", s.disconnectChannel)
	g.POST("/channels/:id/test", s.testChannel, jsonOnly)
	g.POST("/channels/:id/templates", s.syncTemplates)
	g.GET("/texts/settings", s.getTextSettings)
	g.PUT("/texts/settings", s.putTextSettings, jsonOnly)
	g.GET("/texts", s.listTexts)
}

func (s *Server) listChannels(c echo.Context) error {
	views, err := s.deps.Shipping.Channels(c.Request().Context(), shopOf(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"channels": views})
}

// connectChannel is POST /api/admin/channels: the provider checks the
// account first (a refused token is not saved); the answer carries what
// the merchant sets at the provider (the webhook URL and, for WhatsApp,
// the verify token) and never the secrets.
func (s *Server) connectChannel(c echo.Context) error {
	var in shipping.ConnectChannelRequest
	if err := readJSON(c, &in, "channel, account_id, sender_id, token, app_secret and test_phone"); err != nil {
		return err
	}
	ctx := c.Request().Context()
	conn, err := s.deps.Shipping.ConnectChannel(ctx, shopOf(c), in)
	if err != nil {
		return err
	}
	views, err := s.deps.Shipping.Channels(ctx, shopOf(c))
	if err != nil {
		return err
	}
	for _, v := range views {
		if v.ID == conn.ID {
			v.VerifyToken = conn.VerifyToken
			return c.JSON(http.StatusCreated, map[string]any{"channel": v})
		}
	}
	return app.Errorf(app.ErrConflict, "the channel was replaced meanwhile: reload")
}

func (s *Server) disconnectChannel(c echo.Context) error {
	if err := s.deps.Shipping.DisconnectChannel(c.Request().Context(), shopOf(c), c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// testChannel is POST /api/admin/channels/{id}/test {"to"}: a message to
// the merchant's own phone ("to", else the connection's test phone).
func (s *Server) testChannel(c echo.Context) error {
	var in struct {
		To string `json:"to"`
	}
	if c.Request().ContentLength != 0 {
		if err := readJSON(c, &in, "to"); err != nil {
			return err
		}
	}
	if m := app.TextMessage("to", in.To, 40); m.Code != "" {
		return app.Refusal(app.ErrInvalid, m)
	}
	res, err := s.deps.Shipping.TestChannel(c.Request().Context(), shopOf(c), c.Param("id"), in.To)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// syncTemplates submits Waybill's WhatsApp templates the account lacks and
// answers every one with Meta's review state.
func (s *Server) syncTemplates(c echo.Context) error {
	ts, err := s.deps.Shipping.SyncTemplates(c.Request().Context(), shopOf(c), c.Param("id"))
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []app.TextTemplate{}
	}
	return c.JSON(http.StatusOK, map[string]any{"templates": ts})
}

// textSettingsView is the text settings as the admin reads and writes
// them: every (channel, event) with whether it is off, and the tracking
// page's contact options.
type textSettingsView struct {
	Disabled map[app.Channel]map[app.NotificationEvent]bool `json:"disabled_events"`
	Contact  app.ContactOptions                             `json:"contact"`
	Events   []app.NotificationEvent                        `json:"events,omitempty"`
}

func (s *Server) textSettingsView(c echo.Context) (textSettingsView, error) {
	ctx := c.Request().Context()
	shop := shopOf(c)
	settings, err := s.deps.Texts.TextSettings(ctx, shop.ID)
	if err != nil {
		return textSettingsView{}, err
	}
	contact, err := s.deps.Texts.ContactOptions(ctx, shop.ID)
	if err != nil {
		return textSettingsView{}, err
	}
	out := textSettingsView{Disabled: map[app.Channel]map[app.NotificationEvent]bool{}, Contact: contact, Events: app.TextEvents}
	for _, ch := range app.TextChannels {
		out.Disabled[ch] = map[app.NotificationEvent]bool{}
		for _, e := range app.TextEvents {
			out.Disabled[ch][e] = !settings.Enabled(ch, e)
		}
	}
	return out, nil
}

func (s *Server) getTextSettings(c echo.Context) error {
	v, err := s.textSettingsView(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// putTextSettings saves the per channel, per event switches and the
// contact options; nothing is saved when any value is refused.
func (s *Server) putTextSettings(c echo.Context) error {
	var in textSettingsView
	if err := readJSON(c, &in, "disabled_events and contact"); err != nil {
		return err
	}
	shop := shopOf(c)
	var problems []string
	settings := app.TextSettings{Disabled: map[app.Channel]map[app.NotificationEvent]bool{}}
	for ch, events := range in.Disabled {
		if !ch.Valid() {
			problems = append(problems, "disabled_events: unknown channel \""+clip(string(ch))+"\" (whatsapp or sms)")
			continue
		}
		settings.Disabled[ch] = map[app.NotificationEvent]bool{}
		for e, off := range events {
			if !slices.Contains(app.TextEvents, e) {
				problems = append(problems, "disabled_events."+string(ch)+": unknown event \""+clip(string(e))+"\"")
				continue
			}
			settings.Disabled[ch][e] = off
		}
	}
	contact, contactProblems := contactOptions(in.Contact, shop.Country)
	if len(problems) == 0 && len(contactProblems) > 0 {
		// What the merchant typed: said in their language, the first.
		return app.Refusal(app.ErrInvalid, contactProblems[0])
	}
	for _, m := range contactProblems {
		problems = append(problems, m.Text)
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return app.Errorf(app.ErrInvalid, "%s", strings.Join(problems, "; "))
	}
	ctx := c.Request().Context()
	if err := s.deps.Texts.SaveTextSettings(ctx, shop.ID, settings); err != nil {
		return err
	}
	if err := s.deps.Texts.SaveContactOptions(ctx, shop.ID, contact); err != nil {
		return err
	}
	return s.getTextSettings(c)
}

// contactOptions checks the tracking page's contact values: phones read as
// numbers of the shop's country and kept as E.164, one plain email address.
func contactOptions(in app.ContactOptions, country string) (app.ContactOptions, []app.Message) {
	var out app.ContactOptions
	var problems []app.Message
	for _, f := range []struct {
		name string
		raw  string
		dst  *string
	}{{"contact.whatsapp", in.WhatsApp, &out.WhatsApp}, {"contact.phone", in.Phone, &out.Phone}} {
		raw := strings.TrimSpace(f.raw)
		if raw == "" {
			continue
		}
		e164, ok := "", app.TextProblem(f.name, raw, 40) == ""
		if ok {
			e164, ok = phone.Normalize(raw, country)
		}
		if !ok {
			problems = append(problems, app.NewMessage(app.MsgPhoneFieldInvalid,
				f.name+" must be a phone number (with its country code: +34 612 345 678)", "field", f.name))
			continue
		}
		*f.dst = e164
	}
	if addr := strings.TrimSpace(in.Email); addr != "" {
		if err := singleAddress("contact.email", in.Email); err != nil {
			problems = append(problems, app.NewMessage(app.MsgEmailFieldInvalid, app.ErrorMessageOf(err), "field", "contact.email"))
		} else {
			out.Email = addr
		}
	}
	return out, problems
}

// clip shortens a value quoted back in an error.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// listTexts is the text log, newest first: q matches the order name
// (partly, literally), channel and status filter.
func (s *Server) listTexts(c echo.Context) error {
	page, err := pageParam(c)
	if err != nil {
		return err
	}
	const perPage = 50
	f := app.TextFilter{Query: strings.TrimSpace(c.QueryParam("q")), Channel: app.Channel(c.QueryParam("channel")),
		Status: app.TextStatus(c.QueryParam("status")), Page: page, PerPage: perPage}
	if msg := app.TextProblem("q", f.Query, app.MaxSearchLength); msg != "" {
		return app.Errorf(app.ErrInvalid, "%s", msg)
	}
	if f.Channel != "" && !f.Channel.Valid() {
		return app.Errorf(app.ErrInvalid, "channel must be whatsapp or sms")
	}
	if f.Status != "" && !slices.Contains(app.TextStatuses, f.Status) {
		return app.Errorf(app.ErrInvalid, "status must be one of the log's statuses")
	}
	items, total, err := s.deps.Texts.TextLog(c.Request().Context(), shopOf(c).ID, f)
	if err != nil {
		return err
	}
	if items == nil {
		items = []app.TextLogEntry{}
	}
	return c.JSON(http.StatusOK, map[string]any{"texts": items, "total": total, "page": page, "per_page": perPage})
}

// constantEqual compares a secret-ish value in constant time.
func constantEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
