package shopifyfake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"
)

// InstallApp plays a merchant's browser through the whole OAuth install of
// the app at appURL: GET /auth?shop=, approve on the store (this fake), and
// follow the callback with the cookies the app set. It returns where the app
// finally sends the browser (the embedded app in the store admin).
func (s *Store) InstallApp(ctx context.Context, appURL, shop string) (string, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return "", err
	}
	browser := &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	// get returns the redirect's response, its body closed: the headers
	// are what the browser follows.
	get := func(u string) (_ *http.Response, err error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		resp, err := browser.Do(req)
		if err != nil {
			return nil, err
		}
		defer func() {
			if cerr := resp.Body.Close(); cerr != nil {
				err = errors.Join(err, fmt.Errorf("GET %s: %w", u, cerr))
			}
		}()
		if resp.StatusCode != http.StatusFound {
			body, err := io.ReadAll(io.LimitReader(resp.Body, 2048))
			if err != nil {
				return nil, fmt.Errorf("GET %s: HTTP %d, and its body could not be read: %w", u, resp.StatusCode, err)
			}
			return nil, fmt.Errorf("GET %s: HTTP %d: %s", u, resp.StatusCode, strings.TrimSpace(string(body)))
		}
		return resp, nil
	}

	resp, err := get(strings.TrimSuffix(appURL, "/") + "/auth?shop=" + url.QueryEscape(shop))
	if err != nil {
		return "", err
	}
	authorize := resp.Header.Get("Location")
	au, err := url.Parse(authorize)
	if err != nil || au.Host != shop || au.Path != "/admin/oauth/authorize" {
		return "", fmt.Errorf("the app sent the browser to %q, not to the shop's authorize page", authorize)
	}

	// The store's approval screen, served in-process: https://{shop} does not
	// resolve outside Shopify.
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, authorize, nil).WithContext(ctx))
	if rec.Code != http.StatusFound {
		return "", fmt.Errorf("the store refused the authorize request: HTTP %d: %s", rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	resp, err = get(rec.Header().Get("Location"))
	if err != nil {
		return "", err
	}
	return resp.Header.Get("Location"), nil
}
