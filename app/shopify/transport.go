package shopify

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// NewHTTPClient is the one *http.Client for Shopify traffic: timeouts, a
// pooled transport, and — in dev and tests — the SHOPIFY_ADMIN_ORIGIN rewrite.
func NewHTTPClient(adminOrigin string) *http.Client {
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          200,
		MaxIdleConnsPerHost:   20,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}
	var rt http.RoundTripper = base
	if adminOrigin != "" {
		rt = NewOriginRewrite(adminOrigin, base)
	}
	return &http.Client{
		Transport: rt,
		Timeout:   45 * time.Second,
		// OAuth and Admin API calls never need redirects; following one could
		// send the access token header somewhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// OriginRewrite sends requests for https://*.myshopify.com to one origin
// (the fake store), keeping the shop domain in the Host header so the fake
// knows which shop is meant.
type OriginRewrite struct {
	origin *url.URL
	next   http.RoundTripper
}

// NewOriginRewrite panics on a malformed origin: config validated it already.
func NewOriginRewrite(origin string, next http.RoundTripper) *OriginRewrite {
	u, err := url.Parse(origin)
	if err != nil {
		panic("shopify: bad admin origin: " + err.Error())
	}
	return &OriginRewrite{origin: u, next: next}
}

func (o *OriginRewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Hostname(), ".myshopify.com") {
		return o.next.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	out.Host = req.URL.Host
	out.URL.Scheme = o.origin.Scheme
	out.URL.Host = o.origin.Host
	return o.next.RoundTrip(out)
}
