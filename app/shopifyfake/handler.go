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
		case shop == "" && (r.URL.Path == "/" || strings.HasPrefix(r.URL.Path, "/devstore")):
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

func hostShop(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if strings.HasSuffix(host, ".myshopify.com") {
		return host
	}
	return r.URL.Query().Get("shop")
}
