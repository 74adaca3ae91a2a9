package shopify

import (
	"context"
	"errors"
	"net"
	"strings"

	goshopify "github.com/bold-commerce/go-shopify/v4"

	"github.com/waybill-app/waybill/app"
)

// adminClient returns a go-shopify client for one shop with a fresh token.
func (s *Service) adminClient(ctx context.Context, shopDomain string) (*goshopify.Client, error) {
	shop, err := s.freshShop(ctx, shopDomain, refreshMargin)
	if err != nil {
		return nil, err
	}
	return s.newClient(shopDomain, shop.Token.AccessToken)
}

// query runs one GraphQL operation and turns go-shopify's errors into
// Waybill's codes: throttles are ErrRateLimited (wait, do not count as a
// failure), 401 means the token is dead, 5xx and network errors are
// ErrUnavailable (retry with backoff).
func query(ctx context.Context, client *goshopify.Client, q string, vars, resp any) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	return classifyAdminError(client.GraphQL.Query(ctx, q, vars, resp))
}

func classifyAdminError(err error) error {
	if err == nil {
		return nil
	}
	var rl goshopify.RateLimitError
	var re goshopify.ResponseError
	var netErr net.Error
	switch {
	case errors.As(err, &rl):
		return app.WrapError(app.ErrRateLimited, err, "Shopify is throttling this shop's API calls")
	case errors.As(err, &re):
		switch {
		case re.Status == 401:
			return app.WrapError(app.ErrNeedsReauth, err, "Shopify refused the shop's access token")
		case re.Status == 402 || re.Status == 423:
			return app.WrapError(app.ErrForbidden, err, "the store is frozen or locked (HTTP %d)", re.Status)
		case re.Status == 403:
			return app.WrapError(app.ErrForbidden, err, "Shopify denied the call: a scope may be missing")
		case re.Status == 404:
			return app.WrapError(app.ErrNotFound, err, "Shopify answered 404")
		case re.Status >= 500:
			return app.WrapError(app.ErrUnavailable, err, "Shopify answered HTTP %d", re.Status)
		case re.Status == 200:
			// GraphQL top-level errors (syntax, unknown field): a bug, not an outage.
			return app.WrapError(app.ErrInternal, err, "Shopify rejected the GraphQL query: %s", strings.Join(re.Errors, "; "))
		}
		return app.WrapError(app.ErrInternal, err, "Shopify answered HTTP %d", re.Status)
	case errors.As(err, &netErr), errors.Is(err, context.DeadlineExceeded):
		return app.WrapError(app.ErrUnavailable, err, "Shopify did not answer in time")
	}
	return app.WrapError(app.ErrUnavailable, err, "the call to Shopify failed")
}

// UserError is a GraphQL mutation's userErrors entry.
type UserError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
}

func userErrorsError(what string, errs []UserError) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Message
	}
	// Shopify's own words travel as the cause too, so the admin can quote
	// them inside a sentence in the merchant's language.
	return app.WrapError(app.ErrInvalid, &app.ShopifyRefusal{Words: strings.Join(msgs, "; ")}, "Shopify refused to %s: %s", what, strings.Join(msgs, "; "))
}

// TopicEnum turns a webhook topic ("orders/create") into its GraphQL enum
// value ("ORDERS_CREATE").
func TopicEnum(topic string) string {
	return strings.ToUpper(strings.NewReplacer("/", "_", "-", "_").Replace(topic))
}

const webhookSubscriptionsQuery = `query WebhookSubscriptions($after: String) {
  webhookSubscriptions(first: 100, after: $after) {
    nodes { id topic uri }
    pageInfo { hasNextPage endCursor }
  }
}`

const webhookSubscriptionCreateMutation = `mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}`

// EnsureWebhookSubscriptions implements app.ShopifyAdmin. It is idempotent:
// it lists what exists first and creates only what is missing, so a retried
// setup job never duplicates a subscription.
func (s *Service) EnsureWebhookSubscriptions(ctx context.Context, shop *app.Shop, callbackURL string, topics []string) (int, error) {
	client, err := s.adminClient(ctx, shop.Domain)
	if err != nil {
		return 0, err
	}
	existing := map[string]bool{}
	var after *string
	for {
		var resp struct {
			WebhookSubscriptions struct {
				Nodes []struct {
					Topic string `json:"topic"`
					URI   string `json:"uri"`
				} `json:"nodes"`
				PageInfo struct {
					HasNextPage bool   `json:"hasNextPage"`
					EndCursor   string `json:"endCursor"`
				} `json:"pageInfo"`
			} `json:"webhookSubscriptions"`
		}
		if err := s.paced(ctx, client, shop.Domain, costSubscriptionList, webhookSubscriptionsQuery, map[string]any{"after": after}, &resp); err != nil {
			return 0, err
		}
		for _, n := range resp.WebhookSubscriptions.Nodes {
			if n.URI == callbackURL {
				existing[n.Topic] = true
			}
		}
		if !resp.WebhookSubscriptions.PageInfo.HasNextPage {
			break
		}
		cursor := resp.WebhookSubscriptions.PageInfo.EndCursor
		after = &cursor
	}

	created := 0
	for _, topic := range topics {
		enum := TopicEnum(topic)
		if existing[enum] {
			continue
		}
		var resp struct {
			WebhookSubscriptionCreate struct {
				UserErrors []UserError `json:"userErrors"`
			} `json:"webhookSubscriptionCreate"`
		}
		vars := map[string]any{
			"topic":               enum,
			"webhookSubscription": map[string]any{"uri": callbackURL},
		}
		if err := s.paced(ctx, client, shop.Domain, costMutation, webhookSubscriptionCreateMutation, vars, &resp); err != nil {
			return created, err
		}
		if alreadySubscribed(resp.WebhookSubscriptionCreate.UserErrors) {
			continue // a concurrent setup made it between our list and create
		}
		if err := userErrorsError("subscribe to "+topic, resp.WebhookSubscriptionCreate.UserErrors); err != nil {
			return created, err
		}
		created++
	}
	return created, nil
}

func alreadySubscribed(errs []UserError) bool {
	return len(errs) == 1 && strings.Contains(errs[0].Message, "already been taken")
}

// shopProfileQuery reads what Waybill keeps of a store: its name and
// addresses for the customer emails' defaults, its time zone (business days
// count there) and its country (a parcel to another is cross-border).
// shopAddress is the store's address as buyers see it; billingAddress, which
// it replaces, is deprecated in 2026-10.
const shopProfileQuery = `query ShopProfile { shop { name email contactEmail ianaTimezone shopAddress { countryCodeV2 } } }`

// ShopProfile implements app.ShopifyAdmin.
func (s *Service) ShopProfile(ctx context.Context, shopDomain string) (app.ShopProfile, error) {
	client, err := s.adminClient(ctx, shopDomain)
	if err != nil {
		return app.ShopProfile{}, err
	}
	var resp struct {
		Shop struct {
			Name         string `json:"name"`
			Email        string `json:"email"`
			ContactEmail string `json:"contactEmail"`
			IANATimezone string `json:"ianaTimezone"`
			ShopAddress  struct {
				CountryCodeV2 *string `json:"countryCodeV2"`
			} `json:"shopAddress"`
		} `json:"shop"`
	}
	if err := s.paced(ctx, client, shopDomain, costShopProfile, shopProfileQuery, nil, &resp); err != nil {
		return app.ShopProfile{}, err
	}
	p := app.ShopProfile{Name: resp.Shop.Name, Email: resp.Shop.ContactEmail, Timezone: resp.Shop.IANATimezone}
	if p.Email == "" {
		p.Email = resp.Shop.Email
	}
	if c := resp.Shop.ShopAddress.CountryCodeV2; c != nil {
		p.Country = strings.ToUpper(*c)
	}
	return p, nil
}
