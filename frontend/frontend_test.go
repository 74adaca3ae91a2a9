package frontend

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
)

// What `go build` embeds is the admin itself, not the "build the UI" page: the
// build is committed, so a fresh clone or `go install` serves the real admin,
// and every asset its page names is in the binary.
func TestTheBinaryServesTheBuiltAdmin(t *testing.T) {
	h := Handler(func(*http.Request) string { return "https://admin.shopify.com" }, "key-123")
	get := func(path string) (*http.Response, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		body, err := io.ReadAll(rec.Result().Body)
		if err != nil {
			t.Fatal(err)
		}
		return rec.Result(), string(body)
	}
	_, page := get("/")
	if page == notBuilt {
		t.Fatal("the binary has no admin: frontend/dist is missing (run `make ui` and commit frontend/dist)")
	}
	if !regexp.MustCompile(`<meta name="shopify-api-key" content="key-123"`).MatchString(page) {
		t.Errorf("the page does not carry the API key for App Bridge:\n%s", page)
	}
	assets := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(page, -1)
	var js, css bool
	for _, m := range assets {
		res, body := get(m[1])
		if res.StatusCode != http.StatusOK || len(body) == 0 || body == page {
			t.Errorf("%s: %d, %d bytes (not the asset)", m[1], res.StatusCode, len(body))
		}
		js = js || regexp.MustCompile(`\.js$`).MatchString(m[1])
		css = css || regexp.MustCompile(`\.css$`).MatchString(m[1])
	}
	if !js || !css {
		t.Errorf("the page names no script or no stylesheet: %q", assets)
	}
}
