package shopifyfake

import (
	"net"
	"net/http"
	"strings"
)

// Handler serves the store. The shop comes from the Host header (what
// SHOPIFY_ADMIN_ORIGIN traffic keeps) or, for a browser on the fake's own
// address, from ?shop=.
func (s *Store) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		shop := hostShop(r)
		switch {
		case !isShopHost(r) && (r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, "/devstore/")):
			s.devstoreUI(w, r)
		case shop == "":
			http.Error(w, "name the shop in the Host header or ?shop=", http.StatusNotFound)
		case r.Method == http.MethodGet && r.URL.Path == "/admin/oauth/authorize":
			s.authorize(w, r, shop)
		case r.Method == http.MethodPost && r.URL.Path == "/admin/oauth/access_token":
			s.accessToken(w, r, shop)
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/admin/api/") && strings.HasSuffix(r.URL.Path, "/graphql.json"):
			version := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/admin/api/"), "/graphql.json")
			s.graphql(w, r, shop, version)
		case strings.HasPrefix(r.URL.Path, "/admin/api/"):
			// Waybill must use GraphQL only; REST is legacy for public apps.
			writeJSON(w, http.StatusGone, map[string]any{"errors": "This fake store serves only the GraphQL Admin API"})
		case strings.HasPrefix(r.URL.Path, "/admin/apps/"):
			s.embeddedAdmin(w, r, shop)
		default:
			http.NotFound(w, r)
		}
	})
}

func hostName(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		return h
	}
	return r.Host
}

// isShopHost: the request was meant for https://{shop} (it kept the Host).
func isShopHost(r *http.Request) bool { return strings.HasSuffix(hostName(r), ".myshopify.com") }

func hostShop(r *http.Request) string {
	if isShopHost(r) {
		return hostName(r)
	}
	return r.URL.Query().Get("shop")
}
