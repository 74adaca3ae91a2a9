// Package frontend serves the embedded admin UI: the Vite build in dist/,
// compiled into the binary. Client-side routes fall back to index.html.
package frontend

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// notBuilt is shown when the binary was built without the UI. The build is
// committed (so `go install` and a fresh clone's `go build .` carry the
// admin, with no Node); this only shows if someone deleted frontend/dist.
const notBuilt = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Waybill</title></head>
<body style="font:16px system-ui,sans-serif;margin:3rem;max-width:40rem">
<h1>Waybill is running</h1>
<p>This binary was built without the admin interface. Build it with
<code>npm --prefix frontend ci &amp;&amp; npm --prefix frontend run build</code>, then <code>go build .</code> again.</p>
</body></html>`

// Handler serves the UI. frameAncestors returns the Content-Security-Policy
// frame-ancestors value for a request (the shop's admin may frame the app);
// apiKey goes into index.html, where App Bridge reads it.
func Handler(frameAncestors func(*http.Request) string, apiKey string) http.Handler {
	var index []byte
	files, err := fs.Sub(dist, "dist")
	if err == nil {
		index, err = fs.ReadFile(files, "index.html")
	}
	built := err == nil
	index = []byte(strings.ReplaceAll(string(index), "%SHOPIFY_API_KEY%", template.HTMLEscapeString(apiKey)))
	fileServer := http.FileServer(http.FS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "frame-ancestors "+frameAncestors(r)+";")
		if !built {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(notBuilt))
			return
		}
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if name == "" || name == "." {
			name = "index.html"
		}
		if _, err := fs.Stat(files, name); err != nil || strings.HasPrefix(name, ".") || name == "index.html" {
			// The app's page (and every client-side route): never cached, so a
			// new release is picked up at once.
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			w.Write(index)
			return
		}
		if strings.HasPrefix(name, "assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		fileServer.ServeHTTP(w, r)
	})
}
