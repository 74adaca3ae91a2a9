package server

import (
	"html/template"
	"net/http"
	"net/mail"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/email"
	"github.com/waybill-app/waybill/app/shipping"
)

var unsubscribePage = template.Must(template.New("unsubscribe").Parse(`<!doctype html>
<html lang="{{.Locale}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font:16px system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1f2328}
main{max-width:28rem;margin:3rem auto;background:#fff;border-radius:8px;padding:2rem}
button{font:inherit;padding:.7rem 1.2rem;border:0;border-radius:6px;background:#1f2328;color:#fff;cursor:pointer}</style></head>
<body><main><h1>{{.Title}}</h1><p>{{.Message}}</p>
{{if .Form}}<form method="post"><button type="submit">{{.Button}}</button></form>{{end}}
</main></body></html>`))

// unsubscribePage is GET /unsubscribe/{token}: a confirmation with a button.
// GET never unsubscribes: mail scanners follow links.
func (s *Server) unsubscribeForm(c echo.Context) error {
	return s.unsubscribe(c, false)
}

// unsubscribeDo is POST /unsubscribe/{token}: the button, and RFC 8058
// one-click unsubscribe from mail clients (List-Unsubscribe-Post).
func (s *Server) unsubscribeDo(c echo.Context) error {
	return s.unsubscribe(c, true)
}

func (s *Server) unsubscribe(c echo.Context, confirm bool) error {
	locale := s.deps.Emails.Locale(c.QueryParam("l"), "")
	page := map[string]any{"Locale": locale}
	render := func(status int) error {
		c.Response().Header().Set("Content-Type", "text/html; charset=utf-8")
		c.Response().WriteHeader(status)
		return unsubscribePage.Execute(c.Response(), page)
	}
	shopID, hash, err := s.deps.Unsubscribes.Parse(c.Param("token"))
	var shop *app.Shop
	if err == nil {
		shop, err = s.deps.Shops.ShopByID(c.Request().Context(), shopID)
	}
	if err != nil {
		page["Title"] = "Waybill"
		page["Message"] = s.deps.Emails.Say(locale, "unsubscribe_invalid", email.Message{})
		return render(http.StatusBadRequest)
	}
	m := email.Message{ShopName: shop.DisplayName()}
	page["Title"] = s.deps.Emails.Say(locale, "unsubscribe_title", m)
	if !confirm {
		page["Message"] = s.deps.Emails.Say(locale, "unsubscribe_confirm", m)
		page["Form"], page["Button"] = true, s.deps.Emails.Say(locale, "unsubscribe_button", m)
		return render(http.StatusOK)
	}
	if err := s.deps.Notifications.Suppress(c.Request().Context(), shop.ID, hash); err != nil {
		return err
	}
	page["Message"] = s.deps.Emails.Say(locale, "unsubscribed", m)
	return render(http.StatusOK)
}

// settingsBody is the admin's notification settings document.
type settingsBody struct {
	app.NotificationSettings
	CustomerEmails string   `json:"customer_emails"` // waybill or shopify
	Locales        []string `json:"locales,omitempty"`
	Events         []string `json:"events,omitempty"`
	// Placeholders are what a subject or introduction may use, as
	// {{.Name}} (answered, never read).
	Placeholders []string `json:"placeholders,omitempty"`
}

func (s *Server) getNotificationSettings(c echo.Context) error {
	shop := shopOf(c)
	settings, err := s.deps.Notifications.NotificationSettings(c.Request().Context(), shop.ID)
	if err != nil {
		return err
	}
	events := make([]string, len(app.NotificationEvents))
	for i, e := range app.NotificationEvents {
		events[i] = string(e)
	}
	return c.JSON(http.StatusOK, settingsBody{NotificationSettings: settings, CustomerEmails: shop.CustomerEmails,
		Locales: s.deps.Emails.Locales(), Events: events, Placeholders: email.Placeholders})
}

// putNotificationSettings validates everything before saving: a broken
// template is refused here, never at send.
func (s *Server) putNotificationSettings(c echo.Context) error {
	var in settingsBody
	if err := readJSON(c, &in, "branding, primary_locale, disabled_events, templates and customer_emails"); err != nil {
		return err
	}
	shop := shopOf(c)
	in.ShopID = shop.ID
	if err := s.deps.Emails.ValidateSettings(in.NotificationSettings); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if in.CustomerEmails != "" && in.CustomerEmails != shop.CustomerEmails {
		if err := s.deps.Shops.SetCustomerEmails(ctx, shop.Domain, in.CustomerEmails); err != nil {
			return err
		}
		shop.CustomerEmails = in.CustomerEmails
	}
	if err := s.deps.Notifications.SaveNotificationSettings(ctx, in.NotificationSettings); err != nil {
		return err
	}
	return s.getNotificationSettings(c)
}

func (s *Server) previewNotification(c echo.Context) error {
	var in shipping.PreviewRequest
	if err := readJSON(c, &in, "event, locale, shipment_id, branding, template and note"); err != nil {
		return err
	}
	out, _, err := s.deps.Shipping.Preview(c.Request().Context(), shopOf(c), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"locale": out.Locale, "subject": out.Subject, "html": out.HTML, "text": out.Text})
}

// testNotification sends a preview to the merchant (the store's address
// unless "to" is given).
func (s *Server) testNotification(c echo.Context) error {
	var in shipping.PreviewRequest
	if err := readJSON(c, &in, "event, locale, branding, template and to"); err != nil {
		return err
	}
	// The address goes into a mail header: one address, nothing else (a
	// line break would add headers or recipients). The store's own address
	// is held to the same rule when it is the one used.
	shop := shopOf(c)
	if strings.TrimSpace(in.To) != "" {
		if err := singleAddress("to", in.To); err != nil {
			return err
		}
	} else if shop.Email != "" {
		if err := singleAddress("the store's email address", shop.Email); err != nil {
			return app.Errorf(app.ErrInvalid, "%s: give \"to\"", app.ErrorMessageOf(err))
		}
	}
	// The answer tells the truth: "sent": false with the reason when the
	// mailer only logs (no SMTP_URL).
	out, err := s.deps.Shipping.TestSend(c.Request().Context(), shop, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// listNotifications is the email log, newest first: q matches the order
// name (partly, literally), status is one of the log's statuses.
func (s *Server) listNotifications(c echo.Context) error {
	page, err := pageParam(c)
	if err != nil {
		return err
	}
	const perPage = 50
	f := app.NotificationFilter{Query: c.QueryParam("q"), Status: app.NotificationStatus(c.QueryParam("status")), Page: page, PerPage: perPage}
	items, total, err := s.deps.Notifications.NotificationLog(c.Request().Context(), shopOf(c).ID, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"notifications": items, "total": total, "page": page, "per_page": perPage})
}

// singleAddress refuses anything but one plain email address (no name, no
// list, no line breaks or other control characters).
func singleAddress(field, raw string) error {
	addr := strings.TrimSpace(raw)
	if strings.IndexFunc(raw, unicode.IsControl) >= 0 {
		return app.Errorf(app.ErrInvalid, "%s must be one email address, without line breaks", field)
	}
	if a, err := mail.ParseAddress(addr); err != nil || a.Address != addr || len(addr) > 254 {
		return app.Errorf(app.ErrInvalid, "%s must be one email address like hola@tienda.example", field)
	}
	return nil
}
