package server

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/email"
	"github.com/waybill-app/waybill/app/phone"
	"github.com/waybill-app/waybill/app/shipping"
)

// The customer's choices, through the store's app proxy: agreeing to texts
// on the tracking page (POST /proxy/track/opt-in) and the preferences page
// (/proxy/track/preferences?t=…). Both act on the order the signed token
// names, never on an order number a stranger could type.

// maxCustomerForm bounds the customer's forms (a token, a channel, a phone,
// a few checkboxes).
const maxCustomerForm = 16 << 10

// Opt-ins per caller: enough for a customer trying a phone twice, too few
// to fill consents with strangers' numbers.
const (
	optInsPerIP  = 10
	optInsWindow = 10 * time.Minute
)

// customerForm reads a POSTed form (URL-encoded, capped); the query string
// stays Shopify's, whose signature covers it alone.
func customerForm(c echo.Context) (url.Values, error) {
	if err := capBody(c, maxCustomerForm); err != nil {
		return nil, err
	}
	r := c.Request()
	if err := r.ParseForm(); err != nil {
		return nil, bodyError(err)
	}
	return r.PostForm, nil
}

// trackOptIn is POST /proxy/track/opt-in: "Recibir avisos por WhatsApp"
// (or SMS) for the order the form's token names, at the phone given (the
// order's own when empty). The tracking page answers, with what happened
// in the customer's language.
func (s *Server) trackOptIn(c echo.Context) error {
	p, err := s.openProxyPage(c)
	if err != nil {
		return err
	}
	form, err := customerForm(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	order, err := s.orderByToken(ctx, p.shop, form.Get("t"))
	if err != nil {
		return err
	}
	if order == nil {
		return s.renderTrack(c, http.StatusOK, p.locale, p.page, "track.not_found")
	}
	allowed, err := s.deps.RateLimiter.Allow(ctx, "track:optin:"+customerIP(c.Request()), optInsPerIP, optInsWindow)
	if err != nil {
		return err
	}
	locale := s.deps.Emails.Locale(order.CustomerLocale, p.locale)
	if !allowed {
		return s.renderOrder(c, p, order, s.deps.Emails.Say(locale, "track.rate_limited", email.Message{}), false)
	}
	ch := app.Channel(form.Get("channel"))
	e164, err := s.deps.Shipping.OptIn(ctx, p.shop, order, ch, form.Get("phone"))
	if app.ErrorCodeOf(err) == app.ErrInvalid {
		code := app.ErrorMessageOf(err)
		if !slices.Contains([]string{shipping.PhoneRequired, shipping.PhoneInvalid, shipping.ChannelNotOffer}, code) {
			code = shipping.ChannelNotOffer
		}
		return s.renderOrder(c, p, order, s.deps.Emails.Say(locale, "track.opt_in.error."+code, email.Message{}), false)
	}
	if err != nil {
		return err
	}
	s.deps.Log.InfoContext(ctx, "customer opted in to texts", "shop", p.shop.Domain, "channel", ch)
	done := s.deps.Emails.Say(locale, "track.opt_in.done."+string(ch), email.Message{}) + " " + phone.Mask(e164)
	return s.renderOrder(c, p, order, done, true)
}

var prefsPage = template.Must(template.Must(template.New("style").Parse(pageStyle)).New("prefs").Parse(`{{template "head" .}}
<h1>{{.T.title}}</h1>
{{if .Message}}<p class="msg{{if .MessageOK}} ok{{end}}" role="status">{{.Message}}</p>{{end}}
{{if .Order}}
 <p class="meta">{{.Order.Name}}{{if .PhoneMasked}} · {{.PhoneMasked}}{{end}}</p>
 <form class="card" method="post" action="{{.FormAction}}">
  <input type="hidden" name="save" value="1">
  {{if .Channels}}<fieldset><legend>{{.T.channels}}</legend>
  {{range .Channels}}<label class="check"><input type="checkbox" name="channel" value="{{.Value}}"{{if .On}} checked{{end}}> {{.Label}}</label>{{end}}
  </fieldset>{{end}}
  <fieldset><legend>{{.T.topics}}</legend>
  {{range .Topics}}<label class="check"><input type="checkbox" name="topic" value="{{.Value}}"{{if .On}} checked{{end}}> {{.Label}}</label>{{end}}
  </fieldset>
  <p class="meta">{{.T.note}}</p>
  <button type="submit">{{.T.save}}</button>
 </form>
 <p><a class="link" href="{{.BackURL}}">{{.T.back}}</a></p>
{{end}}
</main></body></html>`))

// choiceView is one checkbox of the preferences page.
type choiceView struct {
	Value, Label string
	On           bool
}

// preferences is GET and POST /proxy/track/preferences?t=…: the channels
// offered to this order's customer (email, WhatsApp, SMS) and the topics,
// as checkboxes; POST saves them ("Guardado"). Switching a text channel off
// withdraws the consent, as a STOP reply would.
func (s *Server) preferences(c echo.Context) error {
	p, err := s.openProxyPage(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	token := c.QueryParam("t")
	order, err := s.orderByToken(ctx, p.shop, token)
	if err != nil {
		return err
	}
	if order == nil {
		return s.renderTrack(c, http.StatusOK, p.locale, p.page, "track.not_found")
	}
	locale := s.deps.Emails.Locale(order.CustomerLocale, p.locale)
	choices, err := s.deps.Shipping.CustomerPreferences(ctx, p.shop, order)
	if err != nil {
		return err
	}
	if c.Request().Method == http.MethodPost {
		form, err := customerForm(c)
		if err != nil {
			return err
		}
		in := shipping.CustomerChoices{Channels: map[app.Channel]bool{}, Topics: map[app.PreferenceTopic]bool{}}
		for ch := range choices.Channels {
			in.Channels[ch] = slices.Contains(form["channel"], string(ch))
		}
		for _, t := range app.PreferenceTopics {
			in.Topics[t] = slices.Contains(form["topic"], string(t))
		}
		if err := s.deps.Shipping.SaveCustomerPreferences(ctx, p.shop, order, in); err != nil {
			return err
		}
		s.deps.Log.InfoContext(ctx, "customer preferences saved", "shop", p.shop.Domain)
		if choices, err = s.deps.Shipping.CustomerPreferences(ctx, p.shop, order); err != nil {
			return err
		}
		p.page["Message"], p.page["MessageOK"] = s.deps.Emails.Say(locale, "prefs.saved", email.Message{}), true
	}
	say := func(key string) string { return s.deps.Emails.Say(locale, "prefs."+key, email.Message{}) }
	var channels, topics []choiceView
	for _, ch := range append([]app.Channel{app.ChannelEmail}, app.TextChannels...) {
		if on, offered := choices.Channels[ch]; offered {
			channels = append(channels, choiceView{Value: string(ch), Label: say("channel." + string(ch)), On: on})
		}
	}
	for _, t := range app.PreferenceTopics {
		topics = append(topics, choiceView{Value: string(t), Label: say("topic." + string(t)), On: choices.Topics[t]})
	}
	words := map[string]string{}
	for _, k := range []string{"title", "channels", "topics", "note", "save", "back"} {
		words[k] = say(k)
	}
	p.page["T"], p.page["Locale"], p.page["Title"] = words, locale, words["title"]
	p.page["Order"], p.page["PhoneMasked"], p.page["Channels"], p.page["Topics"] = order, choices.PhoneMasked, channels, topics
	p.page["FormAction"] = p.action + "/preferences?t=" + url.QueryEscape(token)
	p.page["BackURL"] = p.action + "?t=" + url.QueryEscape(token)
	return renderPage(c, http.StatusOK, prefsPage, p.page)
}
