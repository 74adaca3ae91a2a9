package shipping

import (
	"context"
	"slices"
	"strings"

	"github.com/waybill-app/waybill/app"
	"github.com/waybill-app/waybill/app/phone"
)

// The customer's side: agreeing to texts on the tracking page, and the
// preferences page (reached from every message's signed link and the
// tracking page) where they choose channels and what they hear about.
// Choices are kept per contact (the hash of the phone and of the email), so
// they follow the customer to their next order in the store.

// Message codes of the customer's pages (rendered in their language).
const (
	PhoneRequired   = "phone_required"
	PhoneInvalid    = "phone_invalid"
	ChannelNotOffer = "channel_not_offered"
)

// OptIn records the customer's agreement to hear on channel c about the
// order, at rawPhone (read as a number of the shipping country; the order's
// own phone when empty). A phone other than the order's is kept as the
// order's notify phone. Errors are ErrInvalid with one of the codes above
// as message.
func (svc *Service) OptIn(ctx context.Context, shop *app.Shop, order *app.Order, c app.Channel, rawPhone string) (string, error) {
	conn, err := svc.connection(ctx, shop.ID, c)
	if err != nil {
		return "", err
	}
	if !c.Valid() || conn == nil {
		return "", app.Errorf(app.ErrInvalid, ChannelNotOffer)
	}
	e164 := order.TextPhone()
	if raw := strings.TrimSpace(rawPhone); raw != "" {
		n, ok := phone.Normalize(raw, order.ShippingCountry)
		if !ok {
			return "", app.Errorf(app.ErrInvalid, PhoneInvalid)
		}
		e164 = n
	}
	if e164 == "" {
		return "", app.Errorf(app.ErrInvalid, PhoneRequired)
	}
	// Texts go to TextPhone: a phone other than it (even the order's own,
	// after the customer gave another one) becomes the notify phone, so
	// the number agreed to is the one written to.
	if e164 != order.TextPhone() {
		if err := svc.Orders.SetOrderNotifyPhone(ctx, shop.ID, order.ID, e164); err != nil {
			return "", err
		}
		order.NotifyPhone = e164
	}
	if err := svc.Texts.GrantConsent(ctx, app.Consent{ShopID: shop.ID, PhoneHash: app.PhoneHash(e164), Channel: c,
		Source: app.ConsentTrackingPage, GrantedAt: svc.Clock.Now()}); err != nil {
		return "", err
	}
	// Asking for the channel overrides having left it unticked on the
	// preferences page before.
	prefs, err := svc.Texts.Preferences(ctx, shop.ID, app.PhoneHash(e164))
	if err != nil {
		return "", err
	}
	if on, set := prefs.Channels[c]; set && !on {
		prefs.ShopID, prefs.ContactHash, prefs.UpdatedAt = shop.ID, app.PhoneHash(e164), svc.Clock.Now()
		prefs.Channels[c] = true
		if err := svc.Texts.SavePreferences(ctx, prefs); err != nil {
			return "", err
		}
	}
	return e164, nil
}

// CustomerChoices are the preferences page's choices: per channel offered
// to this order, on or off; per topic, on or off.
type CustomerChoices struct {
	Channels map[app.Channel]bool         `json:"channels"`
	Topics   map[app.PreferenceTopic]bool `json:"topics"`
	// PhoneMasked and EmailOffered say which contacts the choices cover.
	PhoneMasked string `json:"phone_masked"`
}

// offeredChannels are the channels this order's customer can choose: email
// when the order has an address and Waybill writes the shop's emails, and
// each text channel the shop connected when the order has a phone.
func (svc *Service) offeredChannels(ctx context.Context, shop *app.Shop, order *app.Order) ([]app.Channel, error) {
	var out []app.Channel
	if order.Email != "" && shop.CustomerEmails == app.CustomerEmailsWaybill {
		out = append(out, app.ChannelEmail)
	}
	if order.TextPhone() == "" {
		return out, nil
	}
	conns, err := svc.Texts.ChannelConnections(ctx, shop.ID)
	if err != nil {
		return nil, err
	}
	for _, c := range app.TextChannels {
		for _, conn := range conns {
			if conn.Channel == c {
				out = append(out, c)
			}
		}
	}
	return out, nil
}

// CustomerPreferences reads the choices in force for the order's customer:
// a text channel is on when the customer agreed to it (and did not switch
// it off), email unless they switched it off or unsubscribed.
func (svc *Service) CustomerPreferences(ctx context.Context, shop *app.Shop, order *app.Order) (CustomerChoices, error) {
	offered, err := svc.offeredChannels(ctx, shop, order)
	if err != nil {
		return CustomerChoices{}, err
	}
	out := CustomerChoices{Channels: map[app.Channel]bool{}, Topics: map[app.PreferenceTopic]bool{}}
	var prefs app.Preferences
	if p := order.TextPhone(); p != "" {
		out.PhoneMasked = phone.Mask(p)
		if prefs, err = svc.Texts.Preferences(ctx, shop.ID, app.PhoneHash(p)); err != nil {
			return out, err
		}
	} else if order.Email != "" {
		if prefs, err = svc.Texts.Preferences(ctx, shop.ID, app.EmailHash(order.Email)); err != nil {
			return out, err
		}
	}
	for _, t := range app.PreferenceTopics {
		on, set := prefs.Topics[t]
		out.Topics[t] = on || !set
	}
	for _, c := range offered {
		switch c {
		case app.ChannelEmail:
			emailPrefs, err := svc.Texts.Preferences(ctx, shop.ID, app.EmailHash(order.Email))
			if err != nil {
				return out, err
			}
			suppressed, err := svc.Notifications.Suppressed(ctx, shop.ID, order.Email)
			if err != nil {
				return out, err
			}
			on, set := emailPrefs.Channels[app.ChannelEmail]
			out.Channels[c] = (on || !set) && !suppressed
		default:
			given, err := svc.textConsent(ctx, shop.ID, order, c)
			if err != nil {
				return out, err
			}
			on, set := prefs.Channels[c]
			out.Channels[c] = given == consentGiven && (on || !set)
		}
	}
	return out, nil
}

// SaveCustomerPreferences records the customer's choices for each of the
// order's contacts: topics and channels; a text channel switched on is the
// customer's consent (from the tracking page's preferences), switched off
// withdraws it, as a STOP reply would.
func (svc *Service) SaveCustomerPreferences(ctx context.Context, shop *app.Shop, order *app.Order, in CustomerChoices) error {
	offered, err := svc.offeredChannels(ctx, shop, order)
	if err != nil {
		return err
	}
	for c := range in.Channels {
		if !slices.Contains(offered, c) {
			return app.Errorf(app.ErrInvalid, ChannelNotOffer)
		}
	}
	for t := range in.Topics {
		if !slices.Contains(app.PreferenceTopics, t) {
			return app.Errorf(app.ErrInvalid, "unknown topic %q", t)
		}
	}
	now := svc.Clock.Now()
	p := order.TextPhone()
	// The consent in force on each text channel chosen, read once: what
	// the choices below are measured against.
	given := map[app.Channel]consent{}
	for c := range in.Channels {
		if c.Valid() && p != "" {
			g, err := svc.textConsent(ctx, shop.ID, order, c)
			if err != nil {
				return err
			}
			given[c] = g
		}
	}
	// A text channel left unticked that the customer never agreed to is
	// no choice: kept as none, so a consent given later (the tracking
	// page's opt-in, Shopify's checkout) is not overruled by it.
	channels := map[app.Channel]bool{}
	for c, on := range in.Channels {
		if c.Valid() && !on && given[c] != consentGiven {
			continue
		}
		channels[c] = on
	}
	prefs := app.Preferences{ShopID: shop.ID, Channels: channels, Topics: in.Topics, UpdatedAt: now}
	var contacts []string
	if p := order.TextPhone(); p != "" {
		contacts = append(contacts, app.PhoneHash(p))
	}
	if order.Email != "" {
		contacts = append(contacts, app.EmailHash(order.Email))
	}
	for _, h := range contacts {
		prefs.ContactHash = h
		if err := svc.Texts.SavePreferences(ctx, prefs); err != nil {
			return err
		}
	}
	for c, on := range in.Channels {
		if !c.Valid() || p == "" {
			continue
		}
		var err error
		switch {
		case on && given[c] != consentGiven:
			err = svc.Texts.GrantConsent(ctx, app.Consent{ShopID: shop.ID, PhoneHash: app.PhoneHash(p), Channel: c,
				Source: app.ConsentTrackingPage, GrantedAt: now})
		case !on && given[c] == consentGiven:
			// Only a consent that was given is withdrawn: a channel the
			// customer never agreed to and left unticked stays open to a
			// consent they give later (in Shopify's checkout, say).
			err = svc.Texts.RevokeConsent(ctx, shop.ID, app.PhoneHash(p), c, "preferences", now)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
